// TOML plan → Plan. The only place toml++ is used; its exceptions are caught in exactly one
// function (plan_loader.cc) and turned into a Status carrying "file:line:column: message".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

// Loads `path`, applies `overrides` ("section.key=VALUE", VALUE parsed as a TOML value, or
// as a bare string when it does not parse as one), validates and resolves every default.
// Errors: InvalidArgument with "path:line:col: what was expected" (overrides are named
// "--set KEY=VALUE"); NotFound when the file is missing.
absl::StatusOr<Plan> LoadPlanFile(const std::string& path,
                                  const std::vector<std::string>& overrides);

// Same, from text in memory (`name` is used in messages). For tests and fuzzing.
absl::StatusOr<Plan> LoadPlanText(std::string_view text, std::string_view name,
                                  const std::vector<std::string>& overrides);

// The resolved plan as TOML (every key, every default), loadable again by LoadPlanText
// to an equal Plan.
std::string FormatPlanToml(const Plan& plan);

// load.usl.instances → the levels, increasing: "1,2,4,8", "geometric(A, B, F)" (A, ⌊A·F⌋, …
// ≤ B) or "linear(A, B, S)" (A, A+S, … ≤ B); at least 3 levels, each ≤ the instance limit.
// InvalidArgument saying what was expected.
absl::StatusOr<std::vector<uint32_t>> ParseUslInstances(std::string_view text);

}  // namespace incarne
