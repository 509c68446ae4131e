// libFuzzer target for JSON path captures (src/scenario/jsonpath.h): the path parser and
// the simdjson lookup of the pointer it gives.
//   build-x/tests/fuzz/scenario_jsonpath_fuzz tests/fuzz/corpus/scenario_jsonpath
// Input: a path, a NUL byte, then a JSON document. Besides "no crash, no UB, no overread": a
// path that parses gives a pointer that starts with '/' (or is empty for "$"), and a value
// found is never longer than the room given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "scenario/jsonpath.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static incarne::scenario::JsonReader* reader = [] {
    auto* r = new incarne::scenario::JsonReader();
    if (!r->Init(4096).ok()) {
      abort();
    }
    return r;
  }();
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view path = all.substr(0, nul);
  auto ptr = incarne::scenario::JsonPathToPointer(path);
  if (!ptr.ok()) {
    return 0;
  }
  if (!ptr->empty() && (*ptr)[0] != '/') {
    abort();
  }
  if (nul == std::string_view::npos) {
    return 0;
  }
  std::vector<char> json(all.begin() + static_cast<std::ptrdiff_t>(nul) + 1, all.end());
  const uint32_t len = static_cast<uint32_t>(json.size());
  json.resize(json.size() + incarne::scenario::kJsonPadding);
  if (!reader->Parse(json.data(), len)) {
    return 0;
  }
  char out[16];
  const int64_t n = reader->Get(*ptr, out, sizeof(out));
  if (n > static_cast<int64_t>(sizeof(out))) {
    abort();
  }
  return 0;
}
