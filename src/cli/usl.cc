// `incarne usl` — fit the Universal Scalability Law to a closed-model run or a CSV of points
// (docs/capacity.md).
//   incarne usl runs/usl-2026-12-07                (X(N) per level of instances)
//   incarne usl --points cisco.csv --json          (CSV lines N,X; a header line allowed)
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/cli_common.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "usl/usl_fit.h"
#include "usl/usl_points.h"
#include "usl/usl_report.h"
#include "util/exit_code.h"
#include "util/json_writer.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne usl RUN_DIR [--warmup DUR] [--json]\n"
    "       incarne usl --points FILE.csv [--json]\n"
    "\n"
    "Fits X(N) = λN / (1 + σ(N−1) + κN(N−1)) (the Universal Scalability Law) by bounded\n"
    "least squares and prints λ, σ, κ with their standard errors, the residual standard error\n"
    "and the peak N* = √((1−σ)/κ), X(N*).\n"
    "\n"
    "  RUN_DIR          a closed-model run (load.model = \"instances\", or a usl model run):\n"
    "                   X(N) = successful replies per second at each level of instances\n"
    "  --warmup DUR     seconds after each change of instances not judged (default: the\n"
    "                   plan's load.usl.warmup)\n"
    "  --points FILE    lines N,X (concurrency, throughput); a header line, blank lines and\n"
    "                   # comments are allowed\n"
    "  --json           the `usl` object of summary.json instead of text\n"
    "\n"
    "Exit status: 0 fitted, 1 a run directory that cannot be read, 2 bad input (usage, a bad\n"
    "CSV line, points the law cannot be fitted to).\n";

}  // namespace

int RunUsl(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("points");
  args.Value("warmup");
  args.Flag("json");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("usl", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const bool from_csv = args.Has("points");
  if (from_csv == (args.positional().size() == 1) || args.positional().size() > 1 ||
      (from_csv && args.Has("warmup"))) {
    return Fail("usl", absl::InvalidArgumentError(
                           "expected: incarne usl RUN_DIR | --points FILE.csv (see --help)"));
  }
  std::vector<UslPoint> points;
  std::vector<UslStepPoint> measured;
  if (from_csv) {
    absl::StatusOr<std::vector<UslPoint>> read = ReadUslCsvFile(args.Get("points"));
    if (!read.ok()) {
      return Fail("usl", read.status());
    }
    points = *std::move(read);
  } else {
    const std::string& dir = args.positional()[0];
    int64_t warmup_ns = -1;
    if (args.Has("warmup")) {
      absl::StatusOr<int64_t> w = ParseDuration(args.Get("warmup"));
      if (!w.ok()) {
        return Fail("usl",
                    absl::InvalidArgumentError("--warmup: " + std::string(w.status().message())));
      }
      warmup_ns = *w;
    }
    absl::StatusOr<std::vector<UslStepPoint>> read = StepPointsFromRun(dir, warmup_ns);
    if (!read.ok()) {
      return Fail("usl", read.status());
    }
    measured = *std::move(read);
    points = PointsOf(measured);
  }
  absl::StatusOr<UslFit> fit = FitUsl(points);
  if (!fit.ok()) {
    return Fail("usl", fit.status());
  }
  if (args.Has("json")) {
    JsonWriter j;
    WriteUslJson(&j, *fit, measured);
    std::printf("%s\n", j.str().c_str());
  } else {
    std::fputs(UslText(*fit, measured).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace incarne::cli
