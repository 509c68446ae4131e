// Small TOML configuration files read with the plan loader's rules (docs/plan.md "Errors"):
// TOML syntax errors, unknown keys or tables (with the valid ones and a "did you mean") and
// values of the wrong type or range are InvalidArgument "file:line:column: key: expected ...";
// a missing file is NotFound. Used by the daemon's configuration (src/control/daemon_config.h)
// so that it answers a mistake exactly as `incarne check` answers one in a plan.
// Implemented in plan_loader.cc beside the plan's own key readers. Control plane only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace incarne {

// A duration key ("30m", "1h", a number of seconds); "" reads as 0.
struct ConfigDuration {
  int64_t* ns;
};

// One key of a configuration: where it lives and where its value goes. Keys not in the file
// keep the value already in `out`.
struct ConfigKey {
  std::string_view section;  // "" = the top level, "allow" = [allow]
  std::string_view name;
  // std::string*: a string; std::vector<std::string>*: an array of strings; uint64_t*: an
  // integer ≥ 0; double*: a number ≥ 0 (integer or float); ConfigDuration: a duration.
  std::variant<std::string*, std::vector<std::string>*, uint64_t*, double*, ConfigDuration> out;
  // Checks (and may normalise) a string or one item of an array of strings: "" when valid,
  // else what was expected — reported at that item's line and column.
  std::string (*check)(std::string*) = nullptr;
};

// Reads `text` (named `name` in messages) into the keys' outputs. Every table and key of the
// file must be one of `keys` (a section is known when at least one key names it).
absl::Status ReadConfigText(std::string_view text, std::string_view name,
                            std::span<const ConfigKey> keys);
// Same, from the file `path` (at most 1 MiB). NotFound "PATH: no such <what>".
absl::Status ReadConfigFile(const std::string& path, std::string_view what,
                            std::span<const ConfigKey> keys);

}  // namespace incarne
