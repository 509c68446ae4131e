// Yandex.Tank YAML config → Plan: the `phantom:` section of a Tank load.yaml, read the way
// Tank reads it (every key and decision: docs/tank.md). Part of the Yandex.Tank
// compatibility room (src/tank/).
//
//   incarne run --tank load.yaml [--set KEY=VALUE]...
//
// The result is an ordinary Plan (results.phout always on); `incarne run` serialises it with
// FormatPlanToml and hands the text to Launch, which validates it exactly like a plan file.
// Control plane only. yaml-cpp throws; its exceptions are caught in exactly one function
// (tank_yaml.cc) and become "file:line:column: ..." Statuses. Without yaml-cpp at build time
// (meson option `yaml`) every entry point returns FailedPrecondition (exit 2).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

struct TankImport {
  Plan plan;
  // One line each, for the user: sections and keys that were ignored, Tank behaviour that
  // differs (e.g. "ammo_limit: 100 sends exactly 100 hits; Tank sends 101").
  std::vector<std::string> notes;
};

// False when incarne was built without yaml-cpp.
bool TankYamlSupported();

// Converts the text of a Tank YAML config (`name` is used in messages). Errors are
// InvalidArgument "name:line:column: phantom.key: what was expected": YAML syntax errors,
// unknown or mistyped `phantom:` keys, keys incarne cannot honour (multi, tank_type: none,
// config, phout_file, …), a schedule that does not parse. The plan is also checked by the
// TOML plan loader (LoadPlanText of its FormatPlanToml), so a converted plan always loads.
// FailedPrecondition without yaml-cpp.
absl::StatusOr<TankImport> TankYamlToPlan(std::string_view text, std::string_view name);

// Reads `path` (NotFound when missing) and converts it.
absl::StatusOr<TankImport> LoadTankYamlFile(const std::string& path);

}  // namespace incarne
