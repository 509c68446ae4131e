// libFuzzer target: the TOML plan loader must reject or accept any input without crashing,
// hanging or leaking, and every plan it accepts must survive FormatPlanToml → LoadPlanText
// unchanged (the resolved plan.toml of a run directory is loadable again).
//   tests/fuzz/run-fuzz build/tests/fuzz/plan_fuzz tests/fuzz/corpus/plan
//
// Lines of the input that start with "#set " (TOML comments, so the plan still parses) are
// also passed as --set overrides, so the override path is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sets;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(start, end - start);
    if (line.substr(0, 5) == "#set ") {
      sets.emplace_back(line.substr(5));
    }
    start = end + 1;
  }
  absl::StatusOr<incarne::Plan> plan = incarne::LoadPlanText(text, "fuzz.toml", sets);
  if (!plan.ok()) {
    return 0;
  }
  const std::string toml = incarne::FormatPlanToml(*plan);
  absl::StatusOr<incarne::Plan> again = incarne::LoadPlanText(toml, "fuzz.toml", {});
  if (!again.ok() || !(*again == *plan)) {
    std::fprintf(stderr, "round trip failed:\n%s\n", toml.c_str());
    std::abort();
  }
  return 0;
}
