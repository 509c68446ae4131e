// incarne merge RUN_DIR... -o OUT_DIR — one run directory from several (shards of a test, or
// runs side by side), exactly: records concatenated on a common origin, histograms merged,
// never percentiles averaged (docs/results.md "merge").
//   incarne merge runs/shard-0 runs/shard-1 runs/shard-2 -o runs/all && incarne report runs/all
#include "results/merge.h"

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_common.h"

namespace incarne::cli {

namespace {
constexpr char kUsage[] =
    "usage: incarne merge RUN_DIR... -o OUT_DIR [--skip-bad] [--partial]\n"
    "\n"
    "Writes OUT_DIR/{hits,aggregates,stats.jsonl,summary.json}: raw records of every input\n"
    "with times shifted to the earliest origin, tags matched by name, per-second histograms\n"
    "and counters added. OUT_DIR is created; it must not already hold run files nor be\n"
    "(inside) an input. Every record is checked first: a damaged one stops the merge with\n"
    "its byte offset (--skip-bad leaves such records out and counts them); the same run\n"
    "twice is refused; runs with different plan.toml get a warning with both hashes.\n"
    "Shards of one test (--shard K/N, one plan.toml) must all be given, once each: a\n"
    "missing shard is refused naming it, unless --partial (then a warning).\n";
}  // namespace

int RunMerge(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("output", 'o');
  args.Flag("skip-bad");
  args.Flag("partial");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("merge", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().empty() || !args.Has("output")) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  std::vector<std::string> notes;
  absl::Status st = MergeRuns(args.positional(), args.Get("output"), &notes, args.Has("skip-bad"),
                              args.Has("partial"));
  for (const std::string& n : notes) {
    std::fprintf(stderr, "incarne merge: %s\n", n.c_str());
  }
  if (!st.ok()) {
    return Fail("merge", st);
  }
  return kExitOk;
}

}  // namespace incarne::cli
