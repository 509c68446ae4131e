// libFuzzer target for the template compiler and assembler (src/scenario/template.h).
//   build-x/tests/fuzz/scenario_template_fuzz tests/fuzz/corpus/scenario_template
// Input: a request with ${...} references over the variables "a" and "token". Besides "no
// crash, no UB, no overread": an untemplated request assembles to itself; an assembly never
// writes past its room and, with Content-Length fixed up, the length written is the body's.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) {
    return 0;
  }
  const std::string_view req(reinterpret_cast<const char*>(data), size);
  static const std::vector<std::string> kVars = {"a", "token"};
  auto t = incarne::scenario::CompileTemplate(req, kVars);
  if (!t.ok()) {
    return 0;
  }
  char values[2 * 8] = {'x', 0, 0, 0, 0, 0, 0, 0, 't', 'o', 'k', 0, 0, 0, 0, 0};
  const uint16_t lens[2] = {1, 3};
  uint64_t rng = 1;
  incarne::scenario::TemplateContext ctx;
  ctx.values = values;
  ctx.lens = lens;
  ctx.max_value = 8;
  ctx.instance = 3;
  ctx.iteration = 1000;
  ctx.now_ms = -5;
  ctx.rng = &rng;
  const uint32_t cap = static_cast<uint32_t>(size) * 8 + 64;
  std::vector<char> out(cap + 16, '\x5a');
  const int64_t n = incarne::scenario::AssembleTemplate(*t, req.data(), ctx, out.data(), cap);
  if (n > static_cast<int64_t>(cap) || (n < 0 && n != -EMSGSIZE && n != -ENOENT)) {
    abort();
  }
  for (size_t i = cap; i < out.size(); ++i) {
    if (out[i] != '\x5a') {
      abort();  // wrote past its room
    }
  }
  if (!t->templated() && (n != static_cast<int64_t>(size) || memcmp(out.data(), data, size) != 0)) {
    abort();
  }
  return 0;
}
