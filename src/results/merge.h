// `incarne merge`: several run directories (shards of one test, or separate runs) into one.
//
// Exact by construction (docs/results.md "merge"): raw records are concatenated with their
// times shifted to the earliest origin; per-second aggregates are merged as histograms and
// counters (never percentiles averaged), tags are matched by name.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace incarne {

// Writes hits, aggregates, stats.jsonl and summary.json into out_dir (created if missing;
// refused when it already holds run files). Notes for the user are appended to *notes.
absl::Status MergeRuns(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                       std::vector<std::string>* notes);

}  // namespace incarne
