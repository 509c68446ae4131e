#include "dummy_config.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "plan/duration.h"
#include "plan/plan.h"

namespace incarne::dummy {

absl::StatusOr<DummyConfig> DummyConfigFrom(const incarne_nib_config& config) {
  DummyConfig c;
  if (config.plan != nullptr) {
    c.latency_ns = static_cast<const Plan*>(config.plan)->target.dummy.latency_ns;
  } else {
    for (uint32_t i = 0; i < config.param_count; ++i) {
      const std::string_view key = config.params[i].key != nullptr ? config.params[i].key : "";
      const std::string_view value =
          config.params[i].value != nullptr ? config.params[i].value : "";
      if (key == "latency") {
        absl::StatusOr<int64_t> ns = ParseDuration(value);
        if (!ns.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("target.dummy.latency: ", ns.status().message()));
        }
        c.latency_ns = *ns;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("target.dummy: unknown key '", std::string(key), "' (expected: latency)"));
      }
    }
  }
  if (c.latency_ns < 0 || c.latency_ns > kMaxLatencyNs) {
    return absl::InvalidArgumentError(
        absl::StrCat("target.dummy.latency: expected a duration from 0 to 1h, got ",
                     FormatDuration(c.latency_ns)));
  }
  return c;
}

}  // namespace incarne::dummy
