// incarne convert RUN_DIR --to phout|jtl|jsonl|vegeta|hlog [-o FILE] — a run's results in
// another tool's format (docs/results.md "convert").
//   incarne convert runs/x --to phout -o phout.log      # Yandex.Tank / pandora
//   incarne convert runs/x --to jtl -o results.jtl      # JMeter / Taurus
//   incarne convert runs/x --to vegeta | vegeta report
//   incarne convert runs/x --to hlog -o latency.hlog    # HdrHistogram log tools
#include "results/convert.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/cli_common.h"
#include "util/output_file.h"
#include "util/status.h"

namespace incarne::cli {

namespace {
constexpr char kUsage[] =
    "usage: incarne convert RUN_DIR --to phout|jtl|jsonl|vegeta|hlog [-o FILE]\n"
    "                       [--corrected] [--hist latency|service|lag] [--skip-bad]\n"
    "\n"
    "  --to FORMAT   phout   phantom/Tank phout (12 TAB-separated fields, µs)\n"
    "                jtl     JMeter CSV with header (Taurus JTLReader)\n"
    "                jsonl   one JSON object per hit\n"
    "                vegeta  vegeta CSV (12 columns, ns): vegeta report/plot\n"
    "                hlog    HdrHistogram interval log, one histogram per second (and tag)\n"
    "  -o FILE       write to FILE instead of stdout: replaced only once the whole run is\n"
    "                read and written (a FIFO or device is written into); never inside RUN_DIR\n"
    "  --corrected   jtl/jsonl/vegeta: time hits from their planned time (coordinated-\n"
    "                omission-correct) instead of their start\n"
    "  --hist H      hlog: latency (done - planned, default), service (done - start), lag\n"
    "  --skip-bad    leave out damaged hits records (counted on stderr) instead of stopping\n"
    "                with an error at the first one's byte offset\n"
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
  args.Flag("skip-bad");
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
  options.skip_bad = args.Has("skip-bad");
  const std::string run_dir = args.positional()[0];
  const std::string path = args.Get("output");
  if (!path.empty()) {
    // Compared by st_dev/st_ino: `-o RUN/hits`, `-o RUN/../RUN/x`, a symlink or hard link.
    absl::Status st =
        CheckOutputNotInput(path, {run_dir + "/hits", run_dir + "/aggregates"}, {run_dir});
    if (!st.ok()) {
      return Fail("convert", st);
    }
  }
  // The output is opened only once the whole run has been read and checked (ConvertRun).
  std::unique_ptr<OutputFile> output;
  FILE* out = nullptr;
  auto open_output = [&]() -> absl::StatusOr<FILE*> {
    if (path.empty()) {
      out = stdout;
      return out;
    }
    ASSIGN_OR_RETURN(output, OutputFile::Open(path));
    const int fd = fcntl(output->fd(), F_DUPFD_CLOEXEC, 3);
    out = fd < 0 ? nullptr : fdopen(fd, "w");
    if (out == nullptr) {
      if (fd >= 0) {
        close(fd);
      }
      return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
    }
    return out;
  };
  std::vector<std::string> notes;
  absl::Status st = ConvertRun(run_dir, options, open_output, &notes);
  for (const std::string& n : notes) {
    std::fprintf(stderr, "incarne convert: %s\n", n.c_str());
  }
  if (out != nullptr && out != stdout && std::fclose(out) != 0 && st.ok()) {
    st = absl::InternalError(absl::StrCat("close: ", strerror(errno)));
  }
  if (st.ok() && output != nullptr) {
    st = output->Commit();  // only now is an existing file replaced
  }
  if (!st.ok()) {
    // An uncommitted output leaves the old file as it was: nothing is unlinked.
    if (!path.empty() && absl::IsInternal(st) && st.message().find(path) == std::string::npos) {
      st = absl::InternalError(absl::StrCat(path, ": ", std::string(st.message())));
    }
    return Fail("convert", st);
  }
  return kExitOk;
}

}  // namespace incarne::cli
