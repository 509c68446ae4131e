// Human ammo formats → binary ammo file (docs/ammo.md).
//
// Compiling streams: memory stays bounded whatever the input size. Output goes to a
// temporary file in the destination directory and is renamed into place only on success.
//
// Per record, after the format's reader built the request: the tag is the record's own, else
// the `autocases` tag; records whose tag is not in `chosen_cases` (when set) are dropped;
// compiling stops after `limit` kept records. Control plane; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

struct AmmoCompileOptions {
  std::string input;              // path ("" with uris set)
  std::vector<std::string> uris;  // inline uris (plan `ammo.uris`)
  AmmoFormat format = AmmoFormat::kAuto;
  std::vector<std::string> headers;  // "Name: value" ("[Name: value]" accepted)
  std::string http_version = "1.1";
  std::string autocases = "0";            // "0" | "<N>" | "uri" | "uniq"
  std::vector<std::string> chosen_cases;  // items are split on whitespace ("a b" = a, b)
  uint64_t limit = 0;                     // records to keep, 0 = all (see docs/ammo.md)

  static AmmoCompileOptions FromPlan(const AmmoPlan& ammo);
};

struct AmmoCompileStats {
  uint64_t records = 0;  // kept records (= AmmoFile::count())
  uint64_t bytes = 0;    // request bytes
  uint32_t tags = 0;     // tag table entries, including "" (tag 0)
  std::string format;    // detected or given
  // Extensions beyond the lead's interface (for `incarne ammo compile` messages):
  uint64_t read = 0;          // records the reader produced
  uint64_t filtered = 0;      // dropped by chosen_cases
  uint64_t skipped = 0;       // access-log lines skipped (not GET, unparsable)
  std::string first_skipped;  // "line L: why" of the first skipped line
  // stpd records planned earlier than a record before them (sent late, in file order).
  uint64_t times_backwards = 0;
  std::string first_backwards;  // "line L: T ms after T0"
  // HTTP/1.1 requests with no Host header (servers answer 400).
  uint64_t no_host = 0;
  std::string first_no_host;     // "line L" (or "offset O" for compiled input)
  bool headers_ignored = false;  // config headers given for phantom/stpd/ammo input
  bool has_times = false;
  bool gzip = false;
  uint32_t min_length = 0;
  uint32_t max_length = 0;
  // Records holding "${" (split into the templates section, docs/formats.md), and those of
  // them the compiler could not split (a malformed reference: the run reports it when the plan
  // has variables; without, they are sent as written).
  uint64_t templated = 0;
  uint64_t templates_unsplit = 0;
  // Records stored with a session mark naming a scenario (a jsonline "scenario", a
  // `[scenario=...]` marker), in the file's sessions section (docs/formats.md).
  uint64_t session_marks = 0;
};

// Errors: InvalidArgument naming "<input>: line L, offset O: expected ..."; NotFound for a
// missing input; the output path is left untouched.
absl::StatusOr<AmmoCompileStats> CompileAmmo(const AmmoCompileOptions& options,
                                             const std::string& output_path);

// `incarne ammo compile`'s default output: INPUT with its extension (after dropping a ".gz")
// replaced by ".ammo" ("ammo.txt" → "ammo.ammo", "a.stpd.gz" → "a.ammo", "x" → "x.ammo").
std::string DefaultAmmoOutputPath(const std::string& input);

}  // namespace incarne
