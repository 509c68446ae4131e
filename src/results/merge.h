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
// refused when it already holds run files, is an input or is inside one). Every input is read
// and checked first: the same run twice (same folder or same run id) is refused, every hits
// record is checked (RecordLimits; bad ones are an error naming the byte offset, or with
// `skip_bad` left out and counted in a note); runs whose plan.toml differ get a warning with
// both hashes. Shards of one test (the same `--shard K/N` count N > 1 and the same plan.toml)
// must all be there, once each: a missing shard is InvalidArgument naming it (with `partial`:
// a warning in *notes), a shard given twice is InvalidArgument. Notes for the user are
// appended to *notes.
absl::Status MergeRuns(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                       std::vector<std::string>* notes, bool skip_bad = false,
                       bool partial = false);

}  // namespace incarne
