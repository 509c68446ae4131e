// Shared by the ammo reader fuzz targets (tests/fuzz/ammo_<format>_fuzz.cc): runs one reader
// over the fuzz input and checks the RecordSink protocol. Any input must be accepted or
// rejected with InvalidArgument naming the input — never a crash, a hang or a wild allocation.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ammo/input_stream.h"
#include "ammo/readers.h"

namespace incarne::fuzz {

class CheckingSink : public RecordSink {
 public:
  absl::Status Begin(uint64_t line, uint64_t offset) override {
    Check(!open_, "Begin inside a record");
    open_ = true;
    record_bytes_ = 0;
    return absl::OkStatus();
  }
  absl::Status Append(std::string_view bytes) override {
    Check(open_, "Append outside a record");
    record_bytes_ += bytes.size();
    total_bytes_ += bytes.size();
    if (!bytes.empty()) {  // touch both ends so ASan sees a view outside its buffer
      sum_ += static_cast<unsigned char>(bytes.front()) + static_cast<unsigned char>(bytes.back());
    }
    return absl::OkStatus();
  }
  absl::Status End(std::string_view tag, bool tagged, int64_t planned_ms) override {
    Check(open_, "End outside a record");
    Check(!tagged || !tag.empty(), "tagged record with an empty tag");
    open_ = false;
    ++records_;
    return absl::OkStatus();
  }
  // Bounds the work per input: uri files can legitimately repeat a large header block in
  // every request (quadratic output), which is not what this target looks for.
  bool done() const override { return records_ >= 10000 || total_bytes_ >= (64u << 20); }

  uint64_t sum_ = 0;

 private:
  static void Check(bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "RecordSink protocol broken: %s\n", what);
      std::abort();
    }
  }
  bool open_ = false;
  uint64_t record_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t records_ = 0;
};

using ReaderFn = absl::Status (*)(InputStream&, const ReaderOptions&, RecordSink&);

// The first byte picks the input buffer size (1..256 bytes), so refills and buffer growth
// happen at every possible place; the rest is the ammo.
inline int RunReader(ReaderFn reader, const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const size_t buffer = static_cast<size_t>(data[0]) + 1;
  std::unique_ptr<InputStream> in = InputStream::FromMemory(
      std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), "fuzz", buffer);
  ReaderOptions options;
  options.headers = {"Host: fuzz.example", "X-Config: 1"};
  CheckingSink sink;
  absl::Status s = reader(*in, options, sink);
  if (!s.ok()) {
    std::string_view msg(s.message().data(), s.message().size());
    if (s.code() != absl::StatusCode::kInvalidArgument || msg.substr(0, 6) != "fuzz: ") {
      std::fprintf(stderr, "unexpected error: %.*s\n", static_cast<int>(msg.size()), msg.data());
      std::abort();
    }
  }
  return 0;
}

}  // namespace incarne::fuzz
