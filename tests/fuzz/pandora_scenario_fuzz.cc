// libFuzzer target: the pandora scenario reader (`incarne ammo convert --from
// pandora-scenario`) must reject or accept any input without crashing, hanging, leaking a
// yaml-cpp exception or unbounded memory; an accepted scenario must give rules that the TOML
// plan loader accepts (regexes, JSON paths and variable names are valid).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plan/plan_loader.h"
#include "tank/pandora_scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto converted = incarne::ConvertPandoraScenario(text, "fuzz.yaml", {});
  if (converted.ok()) {
    auto plan = incarne::LoadPlanText(
        std::string("[target]\nnib = \"dummy\"\n[load]\nschedule = \"const(1, 1s)\"\n") +
            converted->rules_toml,
        "rules", {});
    if (!plan.ok()) {
      std::abort();  // the converter wrote rules this incarne does not load
    }
  }
  return 0;
}
