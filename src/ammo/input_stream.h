// Sequential, bounded-memory reader over one ammo input: a file or bytes in memory,
// gzip-compressed or not (detected by the gzip magic 1f 8b, decompressed with zlib).
//
// Readers see lines (ReadLine) and runs of raw bytes (ReadBytes) and always know where they
// are: offset() is the byte offset in the decompressed stream and line() the 1-based line
// number, both of the next unread byte. Memory is one buffer (1 MiB, grown only to hold a
// line, at most kMaxLine bytes); a request body of any size is passed through in pieces.
// Control plane; one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace incarne {

class InputSource;

class InputStream {
 public:
  static constexpr size_t kMaxLine = 64u << 20;  // longest line a reader may ask for
  static constexpr size_t kDefaultBuffer = 1u << 20;

  // Errors: NotFound (missing file), PermissionDenied / Internal (cannot read).
  static absl::StatusOr<std::unique_ptr<InputStream>> Open(const std::string& path);
  // `data` must outlive the stream. `name` is used in messages. A small `buffer_size` makes
  // every refill and buffer-growth path run on small inputs (tests, fuzzing).
  static std::unique_ptr<InputStream> FromMemory(std::string_view data, std::string name,
                                                 size_t buffer_size = kDefaultBuffer);

  ~InputStream();

  const std::string& name() const { return name_; }
  bool gzip() const { return gzip_; }
  uint64_t offset() const { return consumed_ + begin_; }
  uint64_t line() const { return line_ + 1; }

  // Up to `n` bytes from the current position without consuming them (fewer at EOF).
  absl::StatusOr<std::string_view> Peek(size_t n);
  // The next line without its '\n' (a '\r' before it is kept; the last line may lack the
  // '\n'). Returns false at the end of the input. The view is valid until the next call.
  // Errors: a line longer than kMaxLine, read or decompression errors.
  absl::StatusOr<bool> ReadLine(std::string_view* line);
  // The next byte, or -1 at the end of the input.
  absl::StatusOr<int> GetByte();
  // Passes the next `n` bytes to `fn(std::string_view) -> absl::Status` in one or more
  // pieces; returns how many were passed (less than `n` only at the end of the input).
  template <typename Fn>
  absl::StatusOr<uint64_t> ReadBytes(uint64_t n, Fn&& fn);

 private:
  InputStream(std::unique_ptr<InputSource> source, std::string name, bool gzip, size_t buffer_size);
  // Makes at least `want` bytes available from begin_ (fewer at EOF); may move the buffer.
  absl::Status Fill(size_t want);
  void Consume(size_t n);

  std::unique_ptr<InputSource> source_;
  std::string name_;
  bool gzip_ = false;
  bool eof_ = false;
  std::vector<char> buf_;
  size_t begin_ = 0;       // first unread byte in buf_
  size_t end_ = 0;         // one past the last valid byte in buf_
  uint64_t consumed_ = 0;  // stream offset of buf_[0]
  uint64_t line_ = 0;      // '\n' bytes consumed so far
};

template <typename Fn>
absl::StatusOr<uint64_t> InputStream::ReadBytes(uint64_t n, Fn&& fn) {
  uint64_t done = 0;
  while (done < n) {
    if (begin_ == end_) {
      absl::Status s = Fill(1);
      if (!s.ok()) {
        return s;
      }
      if (begin_ == end_) {
        break;  // EOF
      }
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n - done, end_ - begin_));
    std::string_view piece(buf_.data() + begin_, take);
    Consume(take);
    absl::Status s = fn(piece);
    if (!s.ok()) {
      return s;
    }
    done += take;
  }
  return done;
}

}  // namespace incarne
