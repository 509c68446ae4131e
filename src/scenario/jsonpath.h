// JSON path captures (docs/scenario.md "Captures"): the path a plan writes ("$.a.b[0].c",
// "$['a key'][2]") is turned into an RFC 6901 JSON pointer ("/a/b/0/c") once, at load; the
// worker then parses a reply body with simdjson (Debian libsimdjson-dev) into a parser it
// allocated at start and looks the pointer up — no hand-written JSON parser, no allocation per
// hit for bodies within the capacity.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace incarne::scenario {

// Bytes a buffer handed to JsonReader::Parse must have readable after the JSON
// (simdjson's SIMDJSON_PADDING).
inline constexpr uint32_t kJsonPadding = 64;

// "$.a.b[0].c" → "/a/b/0/c". Accepts `$` then any of `.name` (name: letters, digits, `_`, `-`,
// `$`, or any byte ≥ 0x80), `['name']` / `["name"]` (any bytes but the quote; `\'` `\"` `\\`
// escape) and `[N]` (a decimal index). InvalidArgument "column N: expected ..." otherwise
// (N counts bytes of `path` from 1). `$` alone is the whole document.
absl::StatusOr<std::string> JsonPathToPointer(std::string_view path);

// One worker's JSON reader (not thread-safe; one per worker).
class JsonReader {
 public:
  JsonReader();
  ~JsonReader();
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // Preallocates for documents up to `capacity` bytes (control plane).
  absl::Status Init(uint32_t capacity);

  // Parses json[0, len) — which must be followed by kJsonPadding readable bytes — as the
  // current document; false when it is not JSON (or longer than the capacity).
  bool Parse(const char* json, uint32_t len);

  // The value at `pointer` in the current document written to out[0, cap): a string as its
  // unescaped bytes, a number, true/false/null as JSON writes them. Returns its length, -1
  // when the pointer names nothing or an object/array, -2 when it is longer than cap.
  int64_t Get(std::string_view pointer, char* out, uint32_t cap);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace incarne::scenario
