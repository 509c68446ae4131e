#include "ammo/input_stream.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"

namespace incarne {

// Where the bytes come from. Read() returns 0 only at the end of the input.
class InputSource {
 public:
  virtual ~InputSource() = default;
  virtual absl::StatusOr<size_t> Read(char* dst, size_t n) = 0;
};

namespace {

constexpr size_t kCompressedChunk = 256u << 10;

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = Cat(what, ": ", std::strerror(err));
  if (err == ENOENT) {
    return absl::NotFoundError(msg);
  }
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(msg);
  }
  if (err == EISDIR) {
    return absl::InvalidArgumentError(msg + " (expected a file)");
  }
  return absl::InternalError(msg);
}

class FdSource : public InputSource {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdSource() override { ::close(fd_); }

  absl::StatusOr<size_t> Read(char* dst, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) {
        return static_cast<size_t>(r);
      }
      if (errno != EINTR) {
        return ErrnoStatus(errno, Cat(name_, ": read"));
      }
    }
  }

 private:
  int fd_;
  std::string name_;
};

class MemorySource : public InputSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  absl::StatusOr<size_t> Read(char* dst, size_t n) override {
    size_t take = std::min(n, data_.size() - pos_);
    std::memcpy(dst, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// gzip (RFC 1952) over another source; concatenated members are read one after another,
// as gzip(1) does. A stream that ends inside a member is an error.
class GzipSource : public InputSource {
 public:
  GzipSource(std::unique_ptr<InputSource> raw, std::string name)
      : raw_(std::move(raw)), name_(std::move(name)), in_(kCompressedChunk) {
    std::memset(&zs_, 0, sizeof(zs_));
    ok_ = inflateInit2(&zs_, 15 + 16) == Z_OK;
  }
  ~GzipSource() override {
    if (ok_) {
      inflateEnd(&zs_);
    }
  }

  absl::StatusOr<size_t> Read(char* dst, size_t n) override {
    if (!ok_) {
      return absl::InternalError(Cat(name_, ": zlib initialisation failed"));
    }
    if (done_) {
      return 0;
    }
    zs_.next_out = reinterpret_cast<Bytef*>(dst);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0 && !raw_eof_) {
        absl::StatusOr<size_t> got = raw_->Read(in_.data(), in_.size());
        if (!got.ok()) {
          return got.status();
        }
        if (*got == 0) {
          raw_eof_ = true;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
        zs_.avail_in = static_cast<uInt>(*got);
      }
      if (zs_.avail_in == 0 && raw_eof_) {
        if (in_member_) {
          return absl::InvalidArgumentError(
              Cat(name_, ": compressed offset ", zs_.total_in + compressed_before_,
                  ": expected more gzip data (the compressed file is truncated)"));
        }
        done_ = true;
        break;
      }
      in_member_ = true;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Another member may follow (cat a.gz b.gz), as gzip(1) reads them.
        in_member_ = false;
        ++members_;
        compressed_before_ += zs_.total_in;
        inflateReset(&zs_);
        continue;
      }
      if (rc == Z_BUF_ERROR && zs_.avail_in == 0) {
        continue;  // needs more input
      }
      if (rc != Z_OK) {
        if (members_ > 0 && rc == Z_DATA_ERROR) {
          done_ = true;  // trailing garbage after a complete member: ignored, as gzip(1) does
          break;
        }
        return absl::InvalidArgumentError(
            Cat(name_, ": compressed offset ", zs_.total_in + compressed_before_,
                ": expected valid gzip data (", zs_.msg ? zs_.msg : "inflate error", ")"));
      }
    }
    return static_cast<size_t>(zs_.next_out - reinterpret_cast<Bytef*>(dst));
  }

 private:
  std::unique_ptr<InputSource> raw_;
  std::string name_;
  std::vector<char> in_;
  z_stream zs_;
  bool ok_ = false;
  bool raw_eof_ = false;
  bool done_ = false;
  bool in_member_ = false;
  uint64_t members_ = 0;
  uint64_t compressed_before_ = 0;
};

// Reads the first two bytes of a raw source without losing them.
class PrefixSource : public InputSource {
 public:
  PrefixSource(std::string prefix, std::unique_ptr<InputSource> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  absl::StatusOr<size_t> Read(char* dst, size_t n) override {
    if (pos_ < prefix_.size()) {
      size_t take = std::min(n, prefix_.size() - pos_);
      std::memcpy(dst, prefix_.data() + pos_, take);
      pos_ += take;
      return take;
    }
    return rest_->Read(dst, n);
  }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<InputSource> rest_;
};

absl::StatusOr<std::unique_ptr<InputSource>> MaybeGunzip(std::unique_ptr<InputSource> raw,
                                                         const std::string& name, bool* gzip) {
  char magic[2];
  size_t have = 0;
  while (have < 2) {
    absl::StatusOr<size_t> got = raw->Read(magic + have, 2 - have);
    if (!got.ok()) {
      return got.status();
    }
    if (*got == 0) {
      break;
    }
    have += *got;
  }
  auto prefixed = std::make_unique<PrefixSource>(std::string(magic, have), std::move(raw));
  *gzip = have == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
          static_cast<unsigned char>(magic[1]) == 0x8b;
  if (*gzip) {
    return std::unique_ptr<InputSource>(std::make_unique<GzipSource>(std::move(prefixed), name));
  }
  return std::unique_ptr<InputSource>(std::move(prefixed));
}

}  // namespace

absl::StatusOr<std::unique_ptr<InputStream>> InputStream::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, path);
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  bool gzip = false;
  absl::StatusOr<std::unique_ptr<InputSource>> src =
      MaybeGunzip(std::make_unique<FdSource>(fd, path), path, &gzip);
  if (!src.ok()) {
    return src.status();
  }
  return std::unique_ptr<InputStream>(new InputStream(std::move(*src), path, gzip, kDefaultBuffer));
}

std::unique_ptr<InputStream> InputStream::FromMemory(std::string_view data, std::string name,
                                                     size_t buffer_size) {
  bool gzip = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
              static_cast<unsigned char>(data[1]) == 0x8b;
  std::unique_ptr<InputSource> src = std::make_unique<MemorySource>(data);
  if (gzip) {
    src = std::make_unique<GzipSource>(std::move(src), name);
  }
  return std::unique_ptr<InputStream>(
      new InputStream(std::move(src), std::move(name), gzip, std::max<size_t>(buffer_size, 1)));
}

InputStream::InputStream(std::unique_ptr<InputSource> source, std::string name, bool gzip,
                         size_t buffer_size)
    : source_(std::move(source)), name_(std::move(name)), gzip_(gzip), buf_(buffer_size) {}

InputStream::~InputStream() = default;

absl::Status InputStream::Fill(size_t want) {
  while (end_ - begin_ < want && !eof_) {
    if (buf_.size() - begin_ < want) {
      // Slide the unread bytes to the front; grow only when a single line needs it.
      if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        consumed_ += begin_;
        end_ -= begin_;
        begin_ = 0;
      }
      if (buf_.size() < want) {
        buf_.resize(std::max(want, buf_.size() * 2));
      }
    } else if (end_ == buf_.size()) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      consumed_ += begin_;
      end_ -= begin_;
      begin_ = 0;
    }
    absl::StatusOr<size_t> got = source_->Read(buf_.data() + end_, buf_.size() - end_);
    if (!got.ok()) {
      return got.status();
    }
    if (*got == 0) {
      eof_ = true;
    }
    end_ += *got;
  }
  return absl::OkStatus();
}

namespace {

// '\n' bytes in [p, p + n). Counted in blocks of 255 with a byte-wide counter, which the
// compiler turns into byte-lane SIMD (std::count with its 64-bit counter does not vectorise
// well and was a third of the compile time of request-style ammo).
uint64_t CountNewlines(const char* p, size_t n) {
  uint64_t total = 0;
  while (n > 0) {
    const size_t m = n < 255 ? n : 255;
    uint8_t c = 0;
    for (size_t i = 0; i < m; ++i) {
      c = static_cast<uint8_t>(c + (p[i] == '\n'));
    }
    total += c;
    p += m;
    n -= m;
  }
  return total;
}

}  // namespace

void InputStream::Consume(size_t n) {
  line_ += CountNewlines(buf_.data() + begin_, n);
  begin_ += n;
}

absl::StatusOr<std::string_view> InputStream::Peek(size_t n) {
  absl::Status s = Fill(n);
  if (!s.ok()) {
    return s;
  }
  return std::string_view(buf_.data() + begin_, std::min(n, end_ - begin_));
}

absl::StatusOr<int> InputStream::GetByte() {
  if (begin_ == end_) {
    absl::Status s = Fill(1);
    if (!s.ok()) {
      return s;
    }
    if (begin_ == end_) {
      return -1;
    }
  }
  unsigned char c = static_cast<unsigned char>(buf_[begin_]);
  if (c == '\n') {
    ++line_;
  }
  ++begin_;
  return c;
}

absl::StatusOr<bool> InputStream::ReadLine(std::string_view* out) {
  size_t scanned = 0;  // bytes after begin_ already known to hold no '\n'
  for (;;) {
    const char* start = buf_.data() + begin_;
    const void* nl = std::memchr(start + scanned, '\n', end_ - begin_ - scanned);
    if (nl != nullptr) {
      size_t len = static_cast<const char*>(nl) - start;
      *out = std::string_view(start, len);
      begin_ += len + 1;
      ++line_;
      return true;
    }
    scanned = end_ - begin_;
    if (eof_) {
      if (scanned == 0) {
        return false;
      }
      *out = std::string_view(start, scanned);
      begin_ = end_;
      return true;
    }
    if (scanned >= kMaxLine) {
      return absl::InvalidArgumentError(Cat(name_, ": line ", line(), ", offset ", offset(),
                                            ": expected a line of at most ", kMaxLine >> 20,
                                            " MiB, found a longer one"));
    }
    absl::Status s = Fill(std::min(kMaxLine + 1, std::max(scanned + 1, scanned * 2)));
    if (!s.ok()) {
      return s;
    }
  }
}

}  // namespace incarne
