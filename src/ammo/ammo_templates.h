// Templates read from a compiled ammo file's templates section (docs/formats.md, docs/scenario.md
// "Templates in ammo"): `incarne ammo compile` split every record holding "${" into pieces that
// name their variables; at run start these names are resolved to the plan's variable indices
// here, without reading any record's bytes but those the compiler could not split. Control
// plane, at start; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ammo/ammo_file.h"
#include "scenario/template.h"

namespace incarne {

// The templated records of `file` (which must have_template_split()), by increasing record,
// with kVar pieces indexing `vars` (the plan's variable names). A record the compiler stored
// unsplit is compiled from its bytes (scenario::CompileTemplate). Errors, InvalidArgument, as
// the run-start split's: "record R: offset O: unknown variable 'x' (the plan defines: ...)",
// or CompileTemplate's message for an unsplit record.
absl::StatusOr<std::vector<std::pair<uint64_t, scenario::Template>>> StoredTemplates(
    const AmmoFile& file, const std::vector<std::string>& vars);

}  // namespace incarne
