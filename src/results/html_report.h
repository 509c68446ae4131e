// `incarne plot`: one self-contained, offline HTML page that draws a run (or overlays several)
// from its per-second `aggregates` — never from the raw hits, so it works on sampled and
// merged runs. Charts are dygraphs (Debian libjs-dygraphs, embedded at build time); the data
// is inline JSON; the page holds no network address and forbids every remote source in its
// content-security-policy. What the page shows is in docs/results.md §11.
//
//   incarne plot runs/x                      # writes runs/x/report.html
//   incarne plot runs/a runs/b -o cmp.html   # overlay, legend = run directory name
//
// Control plane only (a tool, or the end of a run).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace incarne {

// Per-tag series are merged into bins of whole seconds so that the page stays small (the
// overall series is always per second): bin = the smallest of 1, 2, 5, 10, 15, 30, 60, 120,
// 300, 600, 1800, 3600 s that keeps seconds × tags / bin under this budget.
inline constexpr double kTagPointBudget = 12000;

// Builds the page for the run directories (at least one). Reads each directory's
// `aggregates` (required), `hits` header (for the raw-record count) and `plan.toml`
// (optional, for the header). Errors: NotFound / InvalidArgument naming the file and what
// is wrong (a missing aggregates file, a corrupt block). A truncated last block or a run
// without any second gives a page that says so.
absl::StatusOr<std::string> BuildHtmlReport(const std::vector<std::string>& run_dirs);

// BuildHtmlReport written to `out` through a temporary file in the same directory and a
// rename: `out` is either the whole page or untouched.
absl::Status WriteHtmlReport(const std::vector<std::string>& run_dirs, const std::string& out);

// The end-of-run report (`results.html = true`): RUN_DIR/report.html unless `out` is given.
absl::Status WriteHtmlReport(const std::string& run_dir, const std::string& out = "");

}  // namespace incarne
