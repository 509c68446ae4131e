// The plan's [[rules]] tables (docs/scenario.md) read from and written back to TOML. Called
// by the plan loader (src/plan/plan_loader.cc) for the top-level `rules` key; every regex is
// compiled here, so a bad one is refused at load ("plan.toml:7:8: rules.body: bad regex:
// missing ): (abc") and nothing starts. Control plane only.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "plan/plan.h"

namespace incarne::scenario {

// The top-level `rules` ([[rules]] tables) and `scenario` ([scenario]: max_vars, max_value;
// the keys of the scenario work not built yet are refused by name) of plan `name` into
// plan->rules and plan->scenario; also checks that the captures fit scenario.max_vars.
absl::Status ReadScenarioKeys(const toml::table& root, std::string_view name, Plan* plan);

// [scenario] and the [[rules]] tables as TOML (every key with its value in effect), "" when
// the plan has neither.
std::string FormatScenarioKeys(const Plan& plan);

}  // namespace incarne::scenario
