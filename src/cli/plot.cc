// incarne plot RUN_DIR... [-o report.html] — draws runs as one offline HTML page (dygraphs
// charts per second, the summary table of `incarne report`, a percentile spectrum).
//   incarne plot runs/latest                        # writes runs/latest/report.html
//   incarne plot runs/before runs/after -o cmp.html # overlays two runs
#include <cstdio>
#include <string>

#include "cli/cli_common.h"
#include "results/html_report.h"

namespace incarne::cli {

namespace {
constexpr char kUsage[] =
    "usage: incarne plot RUN_DIR [RUN_DIR...] [-o report.html]\n"
    "\n"
    "Writes one self-contained HTML page (no network needed: charts, data and script are\n"
    "inline) that draws the runs from their `aggregates` file: planned vs achieved rps,\n"
    "latency p50/p90/p99/max corrected and uncorrected, lag p99, hits in flight, proto and net\n"
    "codes, bytes, a whole-run percentile spectrum, and the summary table of incarne report.\n"
    "Several run directories are overlaid (legend = directory name). docs/results.md §11.\n"
    "\n"
    "  -o, --output FILE   where to write (default RUN_DIR/report.html for one run; required\n"
    "                      for several)\n";
}  // namespace

int RunPlot(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("output", 'o');
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("plot", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const std::vector<std::string>& dirs = args.positional();
  if (dirs.empty() || (dirs.size() > 1 && !args.Has("output"))) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  const std::string out = args.Has("output") ? args.Get("output") : dirs[0] + "/report.html";
  if (absl::Status st = WriteHtmlReport(dirs, out); !st.ok()) {
    return Fail("plot", st);
  }
  std::fprintf(stderr, "incarne plot: wrote %s\n", out.c_str());
  return kExitOk;
}

}  // namespace incarne::cli
