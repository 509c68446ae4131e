// incarne report RUN_DIR [--json] — the summary of a run directory per tag: hits, rps,
// latency percentiles (corrected and uncorrected), mean phases, codes, lag, bytes.
//   incarne report runs/2024-05-01T12:00:00
//   incarne report runs/latest --json | jq .overall.latency_us.p99
#include <cstdio>
#include <string>

#include "cli/capacity_run.h"
#include "cli/cli_common.h"
#include "results/collector.h"

namespace incarne::cli {

namespace {
constexpr char kUsage[] =
    "usage: incarne report RUN_DIR [--json]\n"
    "\n"
    "Summarises a run directory (its `aggregates` file) per tag and overall: hits, duration,\n"
    "rps, latency percentiles 50/75/90/95/99/99.9/max both corrected (done - planned) and\n"
    "uncorrected (done - start), lag (start - planned), mean connect/send/latency/receive,\n"
    "HTTP and net codes, bytes. Complete even when results.hits kept only some raw records.\n"
    "\n"
    "  --json   one JSON object (the same as the run's summary.json; docs/results.md)\n";
}  // namespace

int RunReport(int argc, char** argv) {
  Args args(argc, argv);
  args.Flag("json");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("report", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  // A find-max run directory holds steps, not aggregates (docs/capacity.md).
  if (std::optional<absl::StatusOr<std::string>> fm =
          CapacityReport(args.positional()[0], args.Has("json"));
      fm.has_value()) {
    if (!fm->ok()) {
      return Fail("report", fm->status());
    }
    std::fputs((*fm)->c_str(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
  }
  auto text = RenderReport(args.positional()[0], args.Has("json"));
  if (!text.ok()) {
    return Fail("report", text.status());
  }
  if (absl::Status st = AddUslReport(args.positional()[0], args.Has("json"), &*text); !st.ok()) {
    return Fail("report", st);
  }
  std::fputs(text->c_str(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

}  // namespace incarne::cli
