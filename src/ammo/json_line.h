// A small strict JSON (RFC 8259) parser for one Pandora jsonline ammo object:
//   {"host": "...", "method": "...", "uri": "...", "headers": {"Name": "value", ...},
//    "tag": "...", "body": "...", "scenario": "...", "step": 1, "sleep": "100ms"}
// Known keys must hold strings (headers: an object of strings) or null (= absent); unknown
// keys are allowed (Pandora ignores them) but their values must still be valid JSON. A later
// duplicate key replaces an earlier one, as in Go's encoding/json. Strings must be valid
// UTF-8 without raw control characters; escapes (\uXXXX with surrogate pairs) are decoded.
// Nesting is limited to kMaxDepth levels. No exceptions, no recursion beyond kMaxDepth.
// Control plane; pure function, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace incarne {

struct JsonAmmo {
  std::string host;
  std::string method;
  std::string uri;
  std::string tag;
  std::string body;
  bool has_uri = false;
  // Multi-step sessions (docs/scenario.md): "scenario" a string, "step" an integer
  // 1..65535 (0 = absent), "sleep" a duration string ("100ms"; "" = absent).
  std::string scenario;
  uint32_t step = 0;
  std::string sleep;
  std::vector<std::pair<std::string, std::string>> headers;  // in document order
};

struct JsonError {
  size_t pos = 0;        // byte offset into the text where parsing failed
  std::string expected;  // "expected ..." (what would have been valid there)
};

inline constexpr int kJsonMaxDepth = 64;

// Parses `text`, which must hold exactly one JSON object and optional JSON whitespace around
// it. Returns false and fills `error` on any syntax or type error.
bool ParseJsonAmmo(std::string_view text, JsonAmmo* out, JsonError* error);

}  // namespace incarne
