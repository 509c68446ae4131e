// Human ammo formats → binary ammo file (reference/tank.md §1, §2.5, §3).
//
// Compiling streams: memory stays bounded whatever the input size. Output goes to a
// temporary file in the destination directory and is renamed into place only on success.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plan/plan.h"

namespace incarne {

struct AmmoCompileOptions {
  std::string input;                       // path ("" with uris set)
  std::vector<std::string> uris;           // inline uris (plan `ammo.uris`)
  AmmoFormat format = AmmoFormat::kAuto;
  std::vector<std::string> headers;        // "Name: value"
  std::string http_version = "1.1";
  std::string autocases = "0";
  std::vector<std::string> chosen_cases;
  uint64_t limit = 0;                      // records to keep, 0 = all (see docs/ammo.md)

  static AmmoCompileOptions FromPlan(const AmmoPlan& ammo);
};

struct AmmoCompileStats {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint32_t tags = 0;
  std::string format;                      // detected or given
};

// Errors: InvalidArgument naming "<input>: line L, offset O: expected ..."; the output path
// is left untouched.
absl::StatusOr<AmmoCompileStats> CompileAmmo(const AmmoCompileOptions& options,
                                             const std::string& output_path);

}  // namespace incarne
