#include "results/hits_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/absl_view.h"
#include "util/status.h"

namespace incarne {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "run files are little-endian");

template <typename T>
void Put(std::string* out, size_t at, T v) {
  std::memcpy(out->data() + at, &v, sizeof(v));
}
template <typename T>
T Get(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof(v));
  return v;
}

std::string Printable(std::string_view magic) {
  std::string s;
  for (char c : magic) {
    if (c >= 0x20 && c < 0x7f) {
      s.push_back(c);
    } else {
      absl::StrAppend(&s, "\\x", absl::Hex(static_cast<uint8_t>(c), absl::kZeroPad2));
    }
  }
  return s;
}

}  // namespace

std::string KeepName(const HitsKeep& keep) {
  switch (keep.mode) {
    case HitsKeep::Mode::kAll:
      return "all";
    case HitsKeep::Mode::kErrors:
      return "errors";
    case HitsKeep::Mode::kSample:
      return absl::StrCat("sample:", keep.every);
  }
  return "all";
}

uint64_t NewRunId() {
  uint64_t id = 0;
  while (id == 0) {
    if (getrandom(&id, sizeof(id), 0) != static_cast<ssize_t>(sizeof(id))) {
      // No entropy source: time and pid still tell runs apart.
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      id = (static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec)) ^
           (static_cast<uint64_t>(getpid()) << 40);
    }
  }
  return id;
}

std::string RunIdText(uint64_t id) { return absl::StrCat(absl::Hex(id, absl::kZeroPad16)); }

std::string EncodeRunHeader(const char (&magic)[8], const RunMeta& meta) {
  std::string tags;
  const size_t tag_count = meta.tags.empty() ? 1 : meta.tags.size();
  for (size_t i = 0; i < tag_count; ++i) {
    std::string_view t = meta.tags.empty() ? std::string_view() : std::string_view(meta.tags[i]);
    if (t.size() > 0xffff) {
      t = t.substr(0, 0xffff);
    }
    const uint16_t len = static_cast<uint16_t>(t.size());
    tags.append(reinterpret_cast<const char*>(&len), 2);
    tags.append(t);
  }
  size_t size = kRunHeaderFixed + tags.size();
  size = (size + kRunHeaderAlign - 1) / kRunHeaderAlign * kRunHeaderAlign;
  std::string h(size, '\0');
  std::memcpy(h.data(), magic, 8);
  Put<uint32_t>(&h, 8, kRunFileVersion);
  Put<uint32_t>(&h, 12, static_cast<uint32_t>(size));
  Put<uint32_t>(&h, 16, sizeof(HitRecord));
  Put<uint32_t>(&h, 20, meta.keep_mixed ? 1u : 0u);
  Put<int64_t>(&h, 24, meta.origin_realtime_ns);
  Put<uint32_t>(&h, 32, meta.shard);
  Put<uint32_t>(&h, 36, meta.shards);
  Put<uint32_t>(&h, 40, meta.workers);
  Put<uint32_t>(&h, 44, static_cast<uint32_t>(meta.keep.mode));
  Put<uint32_t>(&h, 48, meta.keep.mode == HitsKeep::Mode::kSample ? meta.keep.every : 1u);
  Put<uint32_t>(&h, 52, static_cast<uint32_t>(tag_count));
  Put<uint64_t>(&h, 56, meta.run_id);
  std::memcpy(h.data() + kRunHeaderFixed, tags.data(), tags.size());
  return h;
}

absl::StatusOr<RunMeta> DecodeRunHeader(std::string_view bytes, const char (&magic)[8],
                                        std::string_view name, size_t* header_size) {
  const std::string file(name.data(), name.size());
  const std::string want(magic, 8);
  if (bytes.size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": truncated header: ", bytes.size(),
                                                   " bytes, expected magic \"", want, "\""));
  }
  if (std::memcmp(bytes.data(), magic, 8) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": not an incarne ", want, " file: magic at byte 0 is \"",
                     Printable(bytes.substr(0, 8)), "\", expected \"", want, "\""));
  }
  if (bytes.size() < kRunHeaderFixed) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": truncated header: ", bytes.size(),
                                                   " bytes, the fixed header is ",
                                                   kRunHeaderFixed));
  }
  const uint32_t version = Get<uint32_t>(bytes, 8);
  if (version > kRunFileVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ": format version ", version, " was written by a newer incarne; this build reads ",
        "version ", kRunFileVersion, " (byte offset 8)"));
  }
  if (version == 0) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": format version 0 at byte offset 8"));
  }
  const uint32_t hsize = Get<uint32_t>(bytes, 12);
  if (hsize < kRunHeaderAlign || hsize % kRunHeaderAlign != 0) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": header size ", hsize,
                                                   " at byte offset 12 is not a multiple of 4096"));
  }
  if (bytes.size() < hsize) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": truncated header: ", bytes.size(),
                                                   " bytes, header_size says ", hsize));
  }
  const uint32_t rsize = Get<uint32_t>(bytes, 16);
  if (rsize != sizeof(HitRecord)) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": record size ", rsize, " at byte offset 16, expected 64"));
  }
  RunMeta meta;
  meta.keep_mixed = (Get<uint32_t>(bytes, 20) & 1) != 0;
  meta.origin_realtime_ns = Get<int64_t>(bytes, 24);
  meta.shard = Get<uint32_t>(bytes, 32);
  meta.shards = Get<uint32_t>(bytes, 36);
  meta.workers = Get<uint32_t>(bytes, 40);
  meta.run_id = version >= 2 ? Get<uint64_t>(bytes, 56) : 0;
  if (meta.shards == 0 || meta.shard >= meta.shards) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": shard ", meta.shard, " of ", meta.shards, " at byte offset 32"));
  }
  const uint32_t mode = Get<uint32_t>(bytes, 44);
  const uint32_t every = Get<uint32_t>(bytes, 48);
  if (mode > 2 || every == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": keep mode ", mode, " every ", every, " at byte offset 44"));
  }
  meta.keep.mode = static_cast<HitsKeep::Mode>(mode);
  meta.keep.every = every;
  const uint32_t tag_count = Get<uint32_t>(bytes, 52);
  if (tag_count == 0 || tag_count > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": tag count ", tag_count, " at byte offset 52, expected 1..65536"));
  }
  size_t at = kRunHeaderFixed;
  meta.tags.reserve(tag_count);
  for (uint32_t i = 0; i < tag_count; ++i) {
    if (at + 2 > hsize) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": tag table overruns the header at byte offset ", at));
    }
    const uint16_t len = Get<uint16_t>(bytes, at);
    at += 2;
    if (at + len > hsize) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": tag ", i, " overruns the header at byte offset ", at));
    }
    meta.tags.emplace_back(bytes.substr(at, len));
    at += len;
  }
  *header_size = hsize;
  return meta;
}

absl::StatusOr<HitsView> HitsView::FromBytes(std::string_view bytes, std::string_view name) {
  HitsView v;
  size_t hsize = 0;
  auto meta = DecodeRunHeader(bytes, kHitsMagic, name, &hsize);
  if (!meta.ok()) {
    return meta.status();
  }
  v.meta_ = std::move(*meta);
  v.header_size_ = hsize;
  const size_t body = bytes.size() - hsize;
  const size_t n = body / sizeof(HitRecord);
  if (body % sizeof(HitRecord) != 0) {
    v.warning_ = absl::StrCat(
        std::string(name.data(), name.size()), ": truncated last record at byte offset ",
        hsize + n * sizeof(HitRecord), " (", body % sizeof(HitRecord),
        " of 64 bytes; a crashed run?) — ignored, ", n, " whole records read");
  }
  // The header is a multiple of 4096 bytes, so records are aligned whenever `bytes` is (an
  // mmap); copies from elsewhere must be 8-byte aligned too.
  v.records_ =
      std::span<const HitRecord>(reinterpret_cast<const HitRecord*>(bytes.data() + hsize), n);
  return v;
}

absl::StatusOr<HitsFile> HitsFile::Open(const std::string& path) {
  HitsFile f;
  ASSIGN_OR_RETURN(f.map_, MappedFile::Open(path, MappedFile::Access::kSequential));
  ASSIGN_OR_RETURN(f.view_, HitsView::FromBytes(f.map_.bytes(), path));
  return f;
}

RecordLimits RecordLimits::For(const RunMeta& meta, uint64_t run_end_ns) {
  constexpr uint64_t kNsPerS = 1000000000;
  RecordLimits l;
  l.workers = meta.workers;
  l.tags = meta.tags.size();
  l.max_time_ns = run_end_ns == 0 ? 31 * 86400 * kNsPerS : run_end_ns + 60 * kNsPerS;
  return l;
}

std::string RecordLimits::Problem(const HitRecord& r) const {
  if (workers <= 256 && r.worker >= workers) {
    return absl::StrCat("worker ", r.worker, ", expected < ", workers);
  }
  if (r.tag >= tags) {
    return absl::StrCat("tag index ", r.tag, ", expected < ", tags);
  }
  if (r.net_code > kMaxNetCode) {
    return absl::StrCat("net code ", r.net_code, ", expected ≤ ", kMaxNetCode);
  }
  if (r.proto_code > kMaxProtoCode) {
    return absl::StrCat("protocol code ", r.proto_code, ", expected ≤ ", kMaxProtoCode);
  }
  for (const auto& [what, t] : {std::pair<const char*, uint64_t>{"planned", r.planned},
                                {"start", r.start},
                                {"done", r.done}}) {
    if (t > max_time_ns) {
      return absl::StrCat(what, " time ", t / 1000000000.0, " s after the origin, expected ≤ ",
                          max_time_ns / 1000000000, " s (the run's end)");
    }
  }
  return "";
}

absl::Status CheckRecords(std::span<const HitRecord> records, const RecordLimits& limits,
                          std::string_view name, uint64_t first_offset, bool skip_bad,
                          uint64_t* bad) {
  *bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!limits.Ok(records[i])) {
      if (*bad == 0) {
        first = i;
      }
      ++*bad;
    }
  }
  if (*bad == 0 || skip_bad) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      AbslView(name), ": bad record at byte offset ", first_offset + first * sizeof(HitRecord),
      ": ", limits.Problem(records[first]), " (", *bad, " of ", records.size(),
      " records are bad: a damaged file? --skip-bad converts the rest)"));
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    }
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", strerror(e)));
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int e = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": read: ", strerror(e)));
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return absl::InternalError(
          absl::StrCat(std::string(what.data(), what.size()), ": write: ", strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace incarne
