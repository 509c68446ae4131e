// Pandora's HTTP scenario ammo (the `http/scenario` provider's YAML file: requests, variable
// sources, pre/postprocessors, scenarios) → incarne's plan rules and jsonline ammo with
// scenario steps. What maps and what is refused by name: docs/scenario.md "Pandora".
//
//   incarne ammo convert --from pandora-scenario payload.yaml [-o payload.jsonl]
//                        [--plan payload.toml] [--target HOST:PORT]
//
// Part of the compatibility room (src/tank/), beside the Tank YAML import. Control plane only.
// yaml-cpp throws; its exceptions are caught in exactly one function (pandora_scenario.cc)
// and become "file:line:column: ..." Statuses. A pure function of the text: the CSV header
// check that needs the file system is left to the caller (PandoraConversion::data_file).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne {

struct PandoraOptions {
  // The ammo file the plan's `[ammo] file` names (as written into the plan).
  std::string ammo_path = "ammo.jsonl";
  // HOST:PORT: written as `[target] address` and as every record's "host" (pandora's
  // gun.target, which Go's client also sends as Host). Empty: neither.
  std::string target;
};

struct PandoraConversion {
  // The plan: `[ammo]`, `[scenario]` (max_vars, on_fail, `[scenario.data]`) and `[[rules]]`.
  std::string plan_toml;
  // Only the `[[rules]]` tables and `[scenario] max_vars` (what a plan on its own accepts
  // without the session keys; the tests load it with LoadPlanText).
  std::string rules_toml;
  // One jsonline record per step, sessions in order (docs/ammo.md "jsonline").
  std::string ammo_jsonl;
  uint64_t records = 0;
  uint32_t sessions = 0;  // scenario copies written (weights spread, as pandora does)
  uint32_t rules = 0;
  // The `file/csv` source the plan's `[scenario.data]` names (the path as written in the
  // YAML) and the header row incarne will name its columns by: the caller checks that the
  // file's first line is exactly these names (incarne reads the names from the file).
  std::string data_file;
  std::vector<std::string> data_columns;
  // One line each: what was dropped on purpose and what differs (a sleep after a session's
  // last step, an unused request, a `tag:` key pandora itself ignores).
  std::vector<std::string> notes;
};

// Converts the text of a pandora scenario YAML (`name` is used in messages). InvalidArgument
// "name:line:column: where: what was expected" for YAML syntax errors, unknown keys, and every
// feature whose meaning incarne cannot keep, named (`var/xpath`, `assert/response.size`,
// `min_waiting_time`, Go template functions other than uuid/randInt, `file/json` sources …).
// FailedPrecondition when incarne was built without yaml-cpp.
absl::StatusOr<PandoraConversion> ConvertPandoraScenario(std::string_view text,
                                                         std::string_view name,
                                                         const PandoraOptions& options);

}  // namespace incarne
