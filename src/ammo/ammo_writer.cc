#include "ammo/ammo_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "util/output_file.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr size_t kDataBuffer = 1u << 20;
constexpr size_t kDirectWrite = 256u << 10;  // appends this large skip the buffer
constexpr size_t kSpillBuffer = 1u << 20;

absl::Status ErrnoError(int err, std::string_view what) {
  std::string msg = Cat(what, ": ", std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) {
    return absl::NotFoundError(msg);
  }
  if (err == EACCES || err == EPERM || err == EROFS) {
    return absl::PermissionDeniedError(msg);
  }
  return absl::InternalError(msg);
}

absl::Status PwriteAll(int fd, const void* data, size_t n, uint64_t offset) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoError(errno, "write");
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return absl::OkStatus();
}

// An anonymous scratch file next to the output (same filesystem, so copy_file_range stays
// in the kernel), or in $TMPDIR when the directory refuses O_TMPFILE.
absl::StatusOr<int> ScratchFile(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) {
    return fd;
  }
  FILE* f = std::tmpfile();
  if (f == nullptr) {
    return ErrnoError(errno, Cat(dir, ": cannot create a scratch file"));
  }
  fd = ::dup(fileno(f));
  std::fclose(f);
  if (fd < 0) {
    return ErrnoError(errno, "dup");
  }
  return fd;
}

// Copies [0, n) of `from` to `to` at `offset`.
absl::Status CopyFile(int from, uint64_t n, int to, uint64_t offset) {
  loff_t in_off = 0;
  loff_t out_off = static_cast<loff_t>(offset);
  while (n > 0) {
    ssize_t c = ::copy_file_range(from, &in_off, to, &out_off, n, 0);
    if (c > 0) {
      n -= static_cast<uint64_t>(c);
      continue;
    }
    if (c < 0 && errno == EINTR) {
      continue;
    }
    if (c == 0 || errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) {
      break;  // fall back to read/write
    }
    return ErrnoError(errno, "copy_file_range");
  }
  std::string buf(std::min<uint64_t>(n, kSpillBuffer), '\0');
  while (n > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, buf.size()));
    ssize_t r = ::pread(from, buf.data(), want, in_off);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return ErrnoError(r < 0 ? errno : EIO, "read scratch file");
    }
    RETURN_IF_ERROR(
        PwriteAll(to, buf.data(), static_cast<size_t>(r), static_cast<uint64_t>(out_off)));
    in_off += r;
    out_off += r;
    n -= static_cast<uint64_t>(r);
  }
  return absl::OkStatus();
}

// A name table: per name u16 length + bytes (names are at most 64 KiB - 1: the callers check).
std::string NameTable(const std::vector<std::string>& names) {
  std::string table;
  for (const std::string& n : names) {
    uint16_t len = static_cast<uint16_t>(n.size());
    table.append(reinterpret_cast<const char*>(&len), sizeof(len));
    table.append(n);
  }
  return table;
}

}  // namespace

// Fixed-size records buffered in memory and spilled to a scratch file when the buffer fills.
class AmmoSpill {
 public:
  explicit AmmoSpill(std::string dir) : dir_(std::move(dir)) { buf_.reserve(kSpillBuffer); }
  ~AmmoSpill() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  absl::Status Add(const void* p, size_t n) {
    if (buf_.size() + n > kSpillBuffer) {
      RETURN_IF_ERROR(Spill());
    }
    buf_.append(static_cast<const char*>(p), n);
    return absl::OkStatus();
  }

  uint64_t size() const { return spilled_ + buf_.size(); }

  absl::Status CopyTo(int fd, uint64_t offset) {
    if (spilled_ > 0) {
      RETURN_IF_ERROR(CopyFile(fd_, spilled_, fd, offset));
    }
    return PwriteAll(fd, buf_.data(), buf_.size(), offset + spilled_);
  }

 private:
  absl::Status Spill() {
    if (fd_ < 0) {
      ASSIGN_OR_RETURN(fd_, ScratchFile(dir_));
    }
    RETURN_IF_ERROR(PwriteAll(fd_, buf_.data(), buf_.size(), spilled_));
    spilled_ += buf_.size();
    buf_.clear();
    return absl::OkStatus();
  }

  std::string dir_;
  std::string buf_;
  int fd_ = -1;
  uint64_t spilled_ = 0;
};

absl::StatusOr<std::unique_ptr<AmmoWriter>> AmmoWriter::Create(const std::string& path,
                                                               bool has_times) {
  OutputOptions options;
  options.seekable = true;  // the header is written last
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Open(path, options));
  return std::unique_ptr<AmmoWriter>(new AmmoWriter(path, std::move(out), has_times));
}

AmmoWriter::AmmoWriter(std::string path, std::unique_ptr<OutputFile> out, bool has_times)
    : path_(std::move(path)),
      out_(std::move(out)),
      fd_(out_->fd()),
      has_times_(has_times),
      index_(std::make_unique<AmmoSpill>(out_->scratch_dir())),
      times_(std::make_unique<AmmoSpill>(out_->scratch_dir())),
      template_records_(std::make_unique<AmmoSpill>(out_->scratch_dir())),
      template_pieces_(std::make_unique<AmmoSpill>(out_->scratch_dir())),
      session_marks_(std::make_unique<AmmoSpill>(out_->scratch_dir())) {
  buf_.reserve(kDataBuffer);
}

AmmoWriter::~AmmoWriter() = default;  // an uncommitted output_ removes only its temporary

absl::Status AmmoWriter::Fail(int err, std::string_view what) const {
  return ErrnoError(err, Cat(path_, ": ", what));
}

absl::Status AmmoWriter::WriteAt(const void* data, size_t n, uint64_t offset) {
  absl::Status s = PwriteAll(fd_, data, n, offset);
  if (!s.ok()) {
    return absl::Status(s.code(), Cat(path_, ": ", s.message()));
  }
  return s;
}

absl::Status AmmoWriter::FlushData() {
  if (buf_.empty()) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(WriteAt(buf_.data(), buf_.size(), kAmmoPage + data_flushed_));
  data_flushed_ += buf_.size();
  buf_.clear();
  return absl::OkStatus();
}

void AmmoWriter::BeginRecord() { record_start_ = data_size(); }

absl::Status AmmoWriter::Append(std::string_view bytes) {
  if (bytes.size() >= kDirectWrite) {
    RETURN_IF_ERROR(FlushData());
    RETURN_IF_ERROR(WriteAt(bytes.data(), bytes.size(), kAmmoPage + data_flushed_));
    data_flushed_ += bytes.size();
    return absl::OkStatus();
  }
  if (buf_.size() + bytes.size() > kDataBuffer) {
    RETURN_IF_ERROR(FlushData());
  }
  buf_.append(bytes);
  return absl::OkStatus();
}

void AmmoWriter::AbortRecord() {
  if (record_start_ >= data_flushed_) {
    buf_.resize(record_start_ - data_flushed_);
  } else {
    buf_.clear();
    data_flushed_ = record_start_;  // later writes overwrite the dropped bytes
  }
}

absl::Status AmmoWriter::EndRecord(uint16_t tag, uint16_t flags, int64_t planned_ns) {
  uint64_t length = record_bytes();
  if (length > UINT32_MAX) {
    return absl::InvalidArgumentError(
        Cat(path_, ": a request of ", length, " bytes: expected at most 4 GiB - 1"));
  }
  AmmoIndexEntry e{kAmmoPage + record_start_, static_cast<uint32_t>(length), tag, flags};
  RETURN_IF_ERROR(index_->Add(&e, sizeof(e)));
  if (has_times_) {
    RETURN_IF_ERROR(times_->Add(&planned_ns, sizeof(planned_ns)));
  }
  ++count_;
  min_length_ = std::min(min_length_, static_cast<uint32_t>(length));
  max_length_ = std::max(max_length_, static_cast<uint32_t>(length));
  return absl::OkStatus();
}

absl::Status AmmoWriter::AddTemplate(std::span<const AmmoTemplatePiece> pieces) {
  if (count_ == 0 || pieces_ > UINT32_MAX - pieces.size()) {
    return absl::InvalidArgumentError(
        Cat(path_, ": expected at most 4 G - 1 template pieces in one ammo file"));
  }
  AmmoTemplateRecord r{count_ - 1, static_cast<uint32_t>(pieces_),
                       static_cast<uint32_t>(pieces.size())};
  RETURN_IF_ERROR(template_records_->Add(&r, sizeof(r)));
  if (!pieces.empty()) {
    RETURN_IF_ERROR(template_pieces_->Add(pieces.data(), pieces.size_bytes()));
  }
  ++templated_;
  pieces_ += pieces.size();
  return absl::OkStatus();
}

absl::Status AmmoWriter::AddSessionMark(uint32_t scenario, uint32_t step, int64_t sleep_ns) {
  if (count_ == 0) {
    return absl::InternalError(Cat(path_, ": a session mark before any record"));
  }
  AmmoSessionMark m{count_ - 1, scenario, step, sleep_ns};
  RETURN_IF_ERROR(session_marks_->Add(&m, sizeof(m)));
  ++marks_;
  return absl::OkStatus();
}

absl::Status AmmoWriter::Commit(const std::vector<std::string>& tags,
                                std::string_view source_format,
                                const std::vector<std::string>* template_names,
                                const std::vector<std::string>* scenario_names) {
  RETURN_IF_ERROR(FlushData());
  AmmoHeader h;
  std::memset(&h, 0, sizeof(h));
  std::memcpy(h.magic, kAmmoMagic, sizeof(h.magic));
  h.version = kAmmoVersion;
  h.header_size = scenario_names != nullptr   ? kAmmoHeaderBytes
                  : template_names != nullptr ? kAmmoHeaderBytesTemplates
                                              : kAmmoHeaderBytesV1;
  h.count = count_;
  h.data_offset = kAmmoPage;
  h.data_size = data_flushed_;
  const uint64_t data_end = kAmmoPage + data_flushed_;
  h.index_offset = (data_end + 7) & ~uint64_t{7};
  h.index_size = index_->size();
  uint64_t end = h.index_offset + h.index_size;
  if (has_times_) {
    h.times_offset = end;
    h.times_size = times_->size();
    end += h.times_size;
    h.flags |= kAmmoHasTimes;
  }
  const std::string table = NameTable(tags);
  h.tags_offset = end;
  h.tags_size = table.size();
  h.tag_count = static_cast<uint32_t>(tags.size());
  end += table.size();
  std::string names;  // the templates section's head goes first, its name table last
  if (template_names != nullptr) {
    AmmoTemplatesHead th{templated_, pieces_, static_cast<uint32_t>(template_names->size()), 0};
    names = NameTable(*template_names);
    h.templates_offset = (end + 7) & ~uint64_t{7};
    h.templates_size =
        sizeof(th) + template_records_->size() + template_pieces_->size() + names.size();
    names.insert(0, reinterpret_cast<const char*>(&th), sizeof(th));
  }
  const uint64_t templates_end =
      h.templates_offset != 0 ? h.templates_offset + h.templates_size : end;
  std::string sessions;  // the sessions section's head, then (after the marks) its names
  if (scenario_names != nullptr) {
    AmmoSessionsHead sh{marks_, static_cast<uint32_t>(scenario_names->size()), 0};
    sessions.assign(reinterpret_cast<const char*>(&sh), sizeof(sh));
    sessions.append(NameTable(*scenario_names));
    h.sessions_offset = (templates_end + 7) & ~uint64_t{7};
    h.sessions_size = sessions.size() + session_marks_->size();
  }
  h.file_size = h.sessions_offset != 0 ? h.sessions_offset + h.sessions_size : templates_end;
  h.min_length = count_ > 0 ? min_length_ : 0;
  h.max_length = max_length_;
  std::memcpy(h.source_format, source_format.data(),
              std::min(source_format.size(), sizeof(h.source_format) - 1));

  static const char kZeros[8] = {};
  RETURN_IF_ERROR(WriteAt(kZeros, h.index_offset - data_end, data_end));
  RETURN_IF_ERROR(index_->CopyTo(fd_, h.index_offset));
  if (has_times_) {
    RETURN_IF_ERROR(times_->CopyTo(fd_, h.times_offset));
  }
  RETURN_IF_ERROR(WriteAt(table.data(), table.size(), h.tags_offset));
  if (template_names != nullptr) {
    uint64_t at = h.templates_offset;
    RETURN_IF_ERROR(WriteAt(kZeros, at - end, end));
    RETURN_IF_ERROR(WriteAt(names.data(), sizeof(AmmoTemplatesHead), at));
    at += sizeof(AmmoTemplatesHead);
    RETURN_IF_ERROR(template_records_->CopyTo(fd_, at));
    at += template_records_->size();
    RETURN_IF_ERROR(template_pieces_->CopyTo(fd_, at));
    at += template_pieces_->size();
    RETURN_IF_ERROR(WriteAt(names.data() + sizeof(AmmoTemplatesHead),
                            names.size() - sizeof(AmmoTemplatesHead), at));
  }
  if (scenario_names != nullptr) {
    uint64_t at = h.sessions_offset;
    RETURN_IF_ERROR(WriteAt(kZeros, at - templates_end, templates_end));
    RETURN_IF_ERROR(WriteAt(sessions.data(), sizeof(AmmoSessionsHead), at));
    at += sizeof(AmmoSessionsHead);
    RETURN_IF_ERROR(session_marks_->CopyTo(fd_, at));
    at += session_marks_->size();
    RETURN_IF_ERROR(WriteAt(sessions.data() + sizeof(AmmoSessionsHead),
                            sessions.size() - sizeof(AmmoSessionsHead), at));
  }
  std::string page(kAmmoPage, '\0');
  std::memcpy(page.data(), &h, sizeof(h));
  RETURN_IF_ERROR(WriteAt(page.data(), page.size(), 0));
  if (::ftruncate(fd_, static_cast<off_t>(h.file_size)) != 0) {
    return Fail(errno, "truncate");
  }
  RETURN_IF_ERROR(out_->Commit());
  finished_ = true;
  return absl::OkStatus();
}

}  // namespace incarne
