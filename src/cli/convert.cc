// incarne convert RUN_DIR --to phout|jtl|jsonl|vegeta|hlog [-o FILE] — a run's results in
// another tool's format (docs/results.md "convert").
//   incarne convert runs/x --to phout -o phout.log      # Yandex.Tank / pandora
//   incarne convert runs/x --to jtl -o results.jtl      # JMeter / Taurus
//   incarne convert runs/x --to vegeta | vegeta report
//   incarne convert runs/x --to hlog -o latency.hlog    # HdrHistogram log tools
#include "results/convert.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/cli_common.h"

namespace incarne::cli {

namespace {
constexpr char kUsage[] =
    "usage: incarne convert RUN_DIR --to phout|jtl|jsonl|vegeta|hlog [-o FILE]\n"
    "                       [--corrected] [--hist latency|service|lag]\n"
    "\n"
    "  --to FORMAT   phout   phantom/Tank phout (12 TAB-separated fields, µs)\n"
    "                jtl     JMeter CSV with header (Taurus JTLReader)\n"
    "                jsonl   one JSON object per hit\n"
    "                vegeta  vegeta CSV (12 columns, ns): vegeta report/plot\n"
    "                hlog    HdrHistogram interval log, one histogram per second (and tag)\n"
    "  -o FILE       write to FILE instead of stdout\n"
    "  --corrected   jtl/jsonl/vegeta: time hits from their planned time (coordinated-\n"
    "                omission-correct) instead of their start\n"
    "  --hist H      hlog: latency (done - planned, default), service (done - start), lag\n"
    "\n"
    "Per-hit formats read RUN_DIR/hits; when results.hits kept only errors or a sample, a\n"
    "note on stderr says so. hlog reads RUN_DIR/aggregates and is always complete.\n";
}  // namespace

int RunConvert(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("to");
  args.Value("output", 'o');
  args.Flag("corrected");
  args.Value("hist");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("convert", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1 || !args.Has("to")) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  auto format = ParseConvertFormat(args.Get("to"));
  if (!format.ok()) {
    return Fail("convert", format.status());
  }
  ConvertOptions options;
  options.format = *format;
  options.corrected = args.Has("corrected");
  options.hlog_histogram = args.Get("hist", "latency");
  const std::string path = args.Get("output");
  FILE* out = stdout;
  if (!path.empty()) {
    out = std::fopen(path.c_str(), "w");
    if (out == nullptr) {
      return Fail("convert", absl::InternalError(absl::StrCat(path, ": ", strerror(errno))));
    }
  }
  std::vector<std::string> notes;
  absl::Status st = ConvertRun(args.positional()[0], options, out, &notes);
  for (const std::string& n : notes) {
    std::fprintf(stderr, "incarne convert: %s\n", n.c_str());
  }
  if (out != stdout && std::fclose(out) != 0 && st.ok()) {
    st = absl::InternalError(absl::StrCat(path, ": close: ", strerror(errno)));
  }
  if (!st.ok()) {
    if (!path.empty()) {
      unlink(path.c_str());  // nothing half-written is left
    }
    if (!path.empty() && absl::IsInternal(st)) {
      st = absl::InternalError(absl::StrCat(path, ": ", std::string(st.message())));
    }
    return Fail("convert", st);
  }
  return kExitOk;
}

}  // namespace incarne::cli
