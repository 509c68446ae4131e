#include "ammo/ammo_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "scenario/template.h"
#include "util/status.h"

namespace incarne {
namespace {

// [off, off + size) lies within [0, file) without overflowing.
bool Within(uint64_t off, uint64_t size, uint64_t file) {
  return off <= file && size <= file - off;
}

// The errors of a compiled ammo file: "PATH: offset N: expected WHAT".
auto OffsetError(std::string_view path) {
  return [path](uint64_t offset, std::string_view what) {
    return absl::InvalidArgumentError(Cat(path, ": offset ", offset, ": expected ", what));
  };
}

// An optional section [at, at + size) named by the header field at `field`: 8-aligned, inside
// the file, at least its head.
absl::Status CheckSection(std::string_view path, uint64_t field, std::string_view name, uint64_t at,
                          uint64_t size, uint64_t head, uint64_t file) {
  if (at == 0 || at % 8 != 0 || !Within(at, size, file) || size < head) {
    return OffsetError(path)(field, Cat("an 8-aligned ", name, " section of at least ", head,
                                        " bytes inside the file, found ", at, "+", size));
  }
  return absl::OkStatus();
}

}  // namespace

AmmoFile::AmmoFile(AmmoFile&& o) noexcept { *this = std::move(o); }

AmmoFile& AmmoFile::operator=(AmmoFile&& o) noexcept {
  if (this != &o) {
    Reset();
    path_ = std::move(o.path_);
    fd_ = std::exchange(o.fd_, -1);
    map_ = std::exchange(o.map_, nullptr);
    map_size_ = std::exchange(o.map_size_, 0);
    index_ = std::exchange(o.index_, nullptr);
    times_ = std::exchange(o.times_, nullptr);
    count_ = std::exchange(o.count_, 0);
    data_size_ = o.data_size_;
    min_length_ = o.min_length_;
    max_length_ = o.max_length_;
    tags_ = std::move(o.tags_);
    source_format_ = std::move(o.source_format_);
    has_template_split_ = std::exchange(o.has_template_split_, false);
    template_records_ = std::exchange(o.template_records_, {});
    template_pieces_ = std::exchange(o.template_pieces_, {});
    template_names_ = std::move(o.template_names_);
    has_sessions_ = std::exchange(o.has_sessions_, false);
    session_marks_ = std::exchange(o.session_marks_, {});
    scenario_names_ = std::move(o.scenario_names_);
  }
  return *this;
}

AmmoFile::~AmmoFile() { Reset(); }

void AmmoFile::Reset() {
  if (map_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(map_), map_size_);
    map_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  index_ = nullptr;
  times_ = nullptr;
  count_ = 0;
  has_template_split_ = false;
  template_records_ = {};
  template_pieces_ = {};
  has_sessions_ = false;
  session_marks_ = {};
}

uint64_t AmmoFile::data_size() const { return data_size_; }
uint32_t AmmoFile::min_length() const { return min_length_; }
uint32_t AmmoFile::max_length() const { return max_length_; }
uint64_t AmmoFile::file_size() const { return map_size_; }

// The templates section (ammo_layout.h, docs/formats.md), checked whole: every record entry
// names a record flagged kAmmoFlagTemplate (and every flagged record has one), every piece
// lies in its record and names a known variable, the name table ends at the section's end.
absl::Status AmmoFile::OpenTemplates(const AmmoHeader& h, uint64_t flagged) {
  const auto bad = OffsetError(path_);
  const uint64_t at = h.templates_offset;
  const uint64_t end = at + h.templates_size;
  RETURN_IF_ERROR(CheckSection(path_, offsetof(AmmoHeader, templates_offset), "templates", at,
                               h.templates_size, sizeof(AmmoTemplatesHead), map_size_));
  AmmoTemplatesHead th;
  std::memcpy(&th, map_ + at, sizeof(th));
  const uint64_t room = h.templates_size - sizeof(th);
  if (th.records != flagged) {
    return bad(at + offsetof(AmmoTemplatesHead, records),
               Cat(flagged, " templated records (as flagged in the index), found ", th.records));
  }
  if (th.records > room / sizeof(AmmoTemplateRecord) ||
      th.pieces > (room - th.records * sizeof(AmmoTemplateRecord)) / sizeof(AmmoTemplatePiece)) {
    return bad(at + offsetof(AmmoTemplatesHead, pieces),
               Cat(th.records, " record entries and ", th.pieces, " pieces inside the ",
                   h.templates_size, "-byte templates section"));
  }
  if (th.reserved != 0) {
    return bad(at + offsetof(AmmoTemplatesHead, reserved), "0 in the reserved field");
  }
  const uint64_t records_at = at + sizeof(th);
  const uint64_t pieces_at = records_at + th.records * sizeof(AmmoTemplateRecord);
  const auto* recs = reinterpret_cast<const AmmoTemplateRecord*>(map_ + records_at);
  const auto* pieces = reinterpret_cast<const AmmoTemplatePiece*>(map_ + pieces_at);

  // Names first: pieces are checked against their count.
  uint64_t p = pieces_at + th.pieces * sizeof(AmmoTemplatePiece);
  template_names_.reserve(std::min<uint64_t>(th.names, (end - p) / 2));
  for (uint32_t n = 0; n < th.names; ++n) {
    uint16_t len;
    if (end - p < sizeof(len)) {
      return bad(p, Cat("variable name ", n, " of ", th.names, " (the name table is truncated)"));
    }
    std::memcpy(&len, map_ + p, sizeof(len));
    p += sizeof(len);
    if (end - p < len) {
      return bad(p, Cat(len, " bytes of variable name ", n, " (the name table is truncated)"));
    }
    std::string_view name(reinterpret_cast<const char*>(map_ + p), len);
    if (!scenario::IsVarName(name)) {
      return bad(p, Cat("a variable name (letters, digits, _, not first a digit, at most ",
                        scenario::kMaxVarName, " bytes), found '", Excerpt(name), "'"));
    }
    template_names_.emplace_back(name);
    p += len;
  }
  if (p != end) {
    return bad(p, "the end of the templates section after its name table");
  }

  uint64_t next_piece = 0;
  for (uint64_t k = 0; k < th.records; ++k) {
    const AmmoTemplateRecord& r = recs[k];
    const uint64_t r_at = records_at + k * sizeof(AmmoTemplateRecord);
    if (r.record >= h.count || (k > 0 && r.record <= recs[k - 1].record) ||
        (index_[r.record].flags & kAmmoFlagTemplate) == 0) {
      return bad(r_at, Cat("a record flagged as templated, after the previous entry's, found "
                           "record ",
                           r.record));
    }
    if (r.first_piece != next_piece || r.pieces > th.pieces - next_piece) {
      return bad(r_at + offsetof(AmmoTemplateRecord, first_piece),
                 Cat("pieces from ", next_piece, " within the ", th.pieces, ", found ",
                     r.first_piece, "+", r.pieces));
    }
    const uint32_t length = index_[r.record].length;
    for (uint32_t i = 0; i < r.pieces; ++i) {
      const AmmoTemplatePiece& q = pieces[next_piece + i];
      const uint64_t q_at = pieces_at + (next_piece + i) * sizeof(AmmoTemplatePiece);
      const auto kind = static_cast<AmmoPieceKind>(q.kind);
      const bool span = kind == AmmoPieceKind::kStatic || kind == AmmoPieceKind::kContentLength;
      if (q.kind >= kAmmoPieceKinds || q.body > 1 || q.reserved != 0) {
        return bad(q_at, Cat("a piece kind 0..", kAmmoPieceKinds - 1,
                             " with body 0 or 1 and reserved 0, found kind ", q.kind, " body ",
                             q.body, " reserved ", q.reserved));
      }
      if (q.offset > length || (span ? q.len > length - q.offset : q.len != 0)) {
        return bad(q_at + offsetof(AmmoTemplatePiece, offset),
                   Cat("a piece inside record ", r.record, " (", length, " bytes), found ",
                       q.offset, "+", q.len));
      }
      if (kind == AmmoPieceKind::kVar ? q.name >= th.names : q.name != 0) {
        return bad(
            q_at + offsetof(AmmoTemplatePiece, name),
            Cat("a variable name index below ", th.names, " (0 but for ${name}), found ", q.name));
      }
      if (kind == AmmoPieceKind::kRandom ? q.lo > q.hi : (q.lo != 0 || q.hi != 0)) {
        return bad(
            q_at + offsetof(AmmoTemplatePiece, lo),
            Cat("random bounds lo <= hi (0 but for ${random(a,b)}), found ", q.lo, ", ", q.hi));
      }
    }
    next_piece += r.pieces;
  }
  if (next_piece != th.pieces) {
    return bad(at + offsetof(AmmoTemplatesHead, pieces),
               Cat(next_piece, " pieces (as the record entries use), found ", th.pieces));
  }
  template_records_ = {recs, th.records};
  template_pieces_ = {pieces, th.pieces};
  has_template_split_ = true;
  return absl::OkStatus();
}

// The sessions section (ammo_layout.h, docs/formats.md), checked whole: marks name records
// in increasing order and known scenarios, think times are not negative, a mark without a
// scenario has a step or a sleep (the compiler stores no empty mark), the name table ends at
// the section's end. The order of steps is SessionsFromMarks' to check, as for a source.
absl::Status AmmoFile::OpenSessions(const AmmoHeader& h) {
  const auto bad = OffsetError(path_);
  const uint64_t at = h.sessions_offset;
  const uint64_t end = at + h.sessions_size;
  RETURN_IF_ERROR(CheckSection(path_, offsetof(AmmoHeader, sessions_offset), "sessions", at,
                               h.sessions_size, sizeof(AmmoSessionsHead), map_size_));
  AmmoSessionsHead sh;
  std::memcpy(&sh, map_ + at, sizeof(sh));
  if (sh.marks > (h.sessions_size - sizeof(sh)) / sizeof(AmmoSessionMark) || sh.marks > h.count) {
    return bad(at + offsetof(AmmoSessionsHead, marks),
               Cat("at most one session mark per record (", h.count, ") inside the ",
                   h.sessions_size, "-byte sessions section, found ", sh.marks));
  }
  if (sh.reserved != 0) {
    return bad(at + offsetof(AmmoSessionsHead, reserved), "0 in the reserved field");
  }
  const uint64_t marks_at = at + sizeof(sh);
  const auto* marks = reinterpret_cast<const AmmoSessionMark*>(map_ + marks_at);
  uint64_t p = marks_at + sh.marks * sizeof(AmmoSessionMark);
  scenario_names_.reserve(std::min<uint64_t>(sh.names, (end - p) / 2));
  for (uint32_t n = 0; n < sh.names; ++n) {
    uint16_t len;
    if (end - p < sizeof(len)) {
      return bad(p, Cat("scenario name ", n, " of ", sh.names, " (the name table is truncated)"));
    }
    std::memcpy(&len, map_ + p, sizeof(len));
    p += sizeof(len);
    if (len == 0 || end - p < len) {
      return bad(p - sizeof(len), Cat("1..", end - p, " bytes of scenario name ", n,
                                      " (the name table is truncated), found ", len));
    }
    scenario_names_.emplace_back(reinterpret_cast<const char*>(map_ + p), len);
    p += len;
  }
  if (p != end) {
    return bad(p, "the end of the sessions section after its name table");
  }
  for (uint64_t k = 0; k < sh.marks; ++k) {
    const AmmoSessionMark& m = marks[k];
    const uint64_t m_at = marks_at + k * sizeof(AmmoSessionMark);
    if (m.record >= h.count || (k > 0 && m.record <= marks[k - 1].record)) {
      return bad(m_at, Cat("a record below ", h.count, " after the previous mark's, found record ",
                           m.record));
    }
    if (m.scenario > sh.names) {
      return bad(m_at + offsetof(AmmoSessionMark, scenario),
                 Cat("a scenario 0..", sh.names, ", found ", m.scenario));
    }
    if (m.sleep_ns < 0) {
      return bad(m_at + offsetof(AmmoSessionMark, sleep_ns),
                 Cat("a think time of 0 ns or more, found ", m.sleep_ns));
    }
    if (m.scenario == 0 && m.step == 0 && m.sleep_ns == 0) {
      return bad(m_at + offsetof(AmmoSessionMark, scenario),
                 Cat("a scenario, step or sleep in the mark of record ", m.record, ", found none"));
    }
  }
  session_marks_ = {marks, sh.marks};
  has_sessions_ = true;
  return absl::OkStatus();
}

absl::StatusOr<AmmoFile> AmmoFile::Open(const std::string& path) {
  AmmoFile f;
  f.path_ = path;
  f.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd_ < 0) {
    std::string msg = Cat(path, ": ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
  }
  struct stat st;
  if (::fstat(f.fd_, &st) != 0) {
    return absl::InternalError(Cat(path, ": stat: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(Cat(path, ": expected a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const auto bad = OffsetError(path);
  if (size < kAmmoHeaderBytesV1) {
    {
      char magic[8];
      size_t n = std::min<size_t>(size, sizeof(magic));
      if (::pread(f.fd_, magic, n, 0) == static_cast<ssize_t>(n) &&
          std::memcmp(magic, kAmmoMagic, n) != 0) {
        return bad(0,
                   "the magic 'INCAMMO1' of a compiled ammo file (compile human-readable "
                   "ammo with `incarne ammo compile`)");
      }
    }
    return bad(size, Cat("a ", kAmmoHeaderBytesV1, "-byte header, the file has only ", size,
                         " bytes (truncated)"));
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd_, 0);
  if (m == MAP_FAILED) {
    return absl::InternalError(Cat(path, ": mmap: ", std::strerror(errno)));
  }
  f.map_ = static_cast<const uint8_t*>(m);
  f.map_size_ = size;

  AmmoHeader h;
  std::memset(&h, 0, sizeof(h));
  std::memcpy(&h, f.map_, std::min<uint64_t>(size, sizeof(h)));
  if (std::memcmp(h.magic, kAmmoMagic, sizeof(h.magic)) != 0) {
    return bad(0,
               "the magic 'INCAMMO1' of a compiled ammo file (compile human-readable ammo "
               "with `incarne ammo compile`)");
  }
  if (h.version == 0 || h.version > kAmmoVersion) {
    return bad(offsetof(AmmoHeader, version),
               Cat("format version ", kAmmoVersion, " or older, found ", h.version,
                   h.version > kAmmoVersion ? " (written by a newer incarne)" : ""));
  }
  if (h.header_size < kAmmoHeaderBytesV1 || h.header_size > kAmmoPage) {
    return bad(offsetof(AmmoHeader, header_size), Cat("a header size of ", kAmmoHeaderBytesV1, "..",
                                                      kAmmoPage, ", found ", h.header_size));
  }
  if (h.header_size < kAmmoHeaderBytesTemplates) {  // written before the templates section
    h.templates_offset = 0;
    h.templates_size = 0;
  }
  if (h.header_size < kAmmoHeaderBytes) {  // written before the sessions section
    h.sessions_offset = 0;
    h.sessions_size = 0;
  }
  if (h.file_size != size) {
    return bad(offsetof(AmmoHeader, file_size),
               Cat("a file of ", h.file_size, " bytes as its header says, found ", size,
                   size < h.file_size ? " (truncated)" : " (extra bytes)"));
  }
  if (h.count == 0) {
    return bad(offsetof(AmmoHeader, count), "at least one record");
  }
  if (h.data_offset < kAmmoPage || h.data_offset % kAmmoPage != 0 ||
      !Within(h.data_offset, h.data_size, size)) {
    return bad(
        offsetof(AmmoHeader, data_offset),
        Cat("a page-aligned data region inside the file, found ", h.data_offset, "+", h.data_size));
  }
  if (h.count > size / sizeof(AmmoIndexEntry) || h.index_size != h.count * sizeof(AmmoIndexEntry) ||
      h.index_offset % 8 != 0 || !Within(h.index_offset, h.index_size, size)) {
    return bad(offsetof(AmmoHeader, index_offset), Cat("an 8-aligned index of ", h.count,
                                                       " 16-byte entries inside the "
                                                       "file, found ",
                                                       h.index_offset, "+", h.index_size));
  }
  const bool has_times = (h.flags & kAmmoHasTimes) != 0;
  if (has_times) {
    if (h.times_size != h.count * 8 || h.times_offset % 8 != 0 ||
        !Within(h.times_offset, h.times_size, size)) {
      return bad(offsetof(AmmoHeader, times_offset), Cat("an 8-aligned table of ", h.count,
                                                         " planned times inside the "
                                                         "file, found ",
                                                         h.times_offset, "+", h.times_size));
    }
  } else if (h.times_offset != 0 || h.times_size != 0) {
    return bad(offsetof(AmmoHeader, times_offset), "no times table without the times flag");
  }
  if (!Within(h.tags_offset, h.tags_size, size) || h.tag_count == 0 || h.tag_count > kAmmoMaxTags) {
    return bad(offsetof(AmmoHeader, tags_offset),
               Cat("a tag table of 1..65536 tags inside the file, found ", h.tag_count, " tags at ",
                   h.tags_offset, "+", h.tags_size));
  }
  if (h.source_format[sizeof(h.source_format) - 1] != '\0') {
    return bad(offsetof(AmmoHeader, source_format), "a NUL-terminated source format name");
  }

  // Tag table.
  uint64_t p = h.tags_offset;
  const uint64_t tags_end = h.tags_offset + h.tags_size;
  f.tags_.reserve(h.tag_count);
  for (uint32_t t = 0; t < h.tag_count; ++t) {
    uint16_t len;
    if (tags_end - p < sizeof(len)) {
      return bad(p, Cat("tag ", t, " of ", h.tag_count,
                        " (the tag table is "
                        "truncated)"));
    }
    std::memcpy(&len, f.map_ + p, sizeof(len));
    p += sizeof(len);
    if (tags_end - p < len) {
      return bad(p, Cat(len, " bytes of tag ", t, " (the tag table is truncated)"));
    }
    f.tags_.emplace_back(reinterpret_cast<const char*>(f.map_ + p), len);
    p += len;
  }
  if (p != tags_end) {
    return bad(p, "the end of the tag table");
  }
  if (!f.tags_[0].empty()) {
    return bad(h.tags_offset, "tag 0 to be the empty tag");
  }

  // Every index entry, once, so that Request(i) is safe without checks afterwards.
  f.index_ = reinterpret_cast<const AmmoIndexEntry*>(f.map_ + h.index_offset);
  const uint64_t data_end = h.data_offset + h.data_size;
  uint64_t flagged = 0;
  for (uint64_t i = 0; i < h.count; ++i) {
    const AmmoIndexEntry& e = f.index_[i];
    if (e.offset < h.data_offset || e.offset > data_end || e.length > data_end - e.offset) {
      return bad(h.index_offset + i * sizeof(AmmoIndexEntry),
                 Cat("record ", i, " inside the data region ", h.data_offset, "..", data_end,
                     ", found ", e.offset, "+", e.length));
    }
    if (e.tag >= h.tag_count) {
      return bad(h.index_offset + i * sizeof(AmmoIndexEntry) + offsetof(AmmoIndexEntry, tag),
                 Cat("a tag id below ", h.tag_count, " for record ", i, ", found ", e.tag));
    }
    flagged += (e.flags & kAmmoFlagTemplate) != 0 ? 1 : 0;
  }
  if (h.templates_offset != 0 || h.templates_size != 0) {
    RETURN_IF_ERROR(f.OpenTemplates(h, flagged));
  } else if (flagged != 0) {
    return bad(h.index_offset, Cat("no record flagged as templated in a file without a templates "
                                   "section, found ",
                                   flagged));
  }
  if (h.sessions_offset != 0 || h.sessions_size != 0) {
    RETURN_IF_ERROR(f.OpenSessions(h));
  }
  if (has_times) {
    f.times_ = reinterpret_cast<const int64_t*>(f.map_ + h.times_offset);
  }
  f.count_ = h.count;
  f.data_size_ = h.data_size;
  f.min_length_ = h.min_length;
  f.max_length_ = h.max_length;
  f.source_format_ = std::string(h.source_format);
  return f;
}

}  // namespace incarne
