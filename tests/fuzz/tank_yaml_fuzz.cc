// libFuzzer target: the Tank YAML import must reject or accept any input without crashing,
// hanging, leaking a yaml-cpp exception or unbounded memory; an accepted config must give a
// plan that the TOML plan loader reads back to the same plan.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plan/plan_loader.h"
#include "tank/tank_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto imported = incarne::TankYamlToPlan(text, "fuzz.yaml");
  if (imported.ok()) {
    auto again = incarne::LoadPlanText(incarne::FormatPlanToml(imported->plan), "again", {});
    if (!again.ok() || !(*again == imported->plan)) {
      std::abort();  // a converted plan must load, and load to itself
    }
  }
  return 0;
}
