// `incarne schedule` — print the planned times of a schedule (docs/design.md §5, docs/schedule.md).
//   incarne schedule 'line(1, 5, 2s)'                 → 0 618 1000 1302 1561 1791 (one a line)
//   incarne schedule 'line(1,9,4s)' --model instances → instance start times
//   incarne schedule 'line(1, 1000, 10m)' --summary   → one JSON object
#include "plan/schedule.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/cli_common.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne schedule EXPR [--model rps|instances] [--unit ms|us|ns] [--limit N]\n"
    "                             [--summary]\n"
    "\n"
    "Prints one planned time per line, from the start of the test, truncated to --unit\n"
    "(default ms; in ms the numbers equal Yandex.Tank's stepper): shot times in the rps\n"
    "model, instance start times in the instances model.\n"
    "\n"
    "  EXPR                 steps, e.g. 'line(1, 100, 1m) const(100, 5m)'\n"
    "                       rps: const(R, D) line(A, B, D) step(A, B, S, D) once(N) pause(D)\n"
    "                       instances: the same (whole numbers) and Tank's start(N) wait(D)\n"
    "                       ramp(N, D); durations 1h30m, 90s, 1.5m, 500ms, a bare number = s\n"
    "  --model rps|instances  (default rps)\n"
    "  --unit ms|us|ns      unit of the printed times (default ms)\n"
    "  --limit N            print at most N times\n"
    "  --summary            print one JSON object instead: {\"model\",\"shots\",\"duration_ns\",\n"
    "                       \"steps\":[{\"kind\",\"text\",\"args\",\"shots\",\"start_ns\",\n"
    "                       \"duration_ns\"},...]}\n"
    "\n"
    "Exit status: 0 printed, 2 bad input (the message names the column).\n";

// stdout through one big buffer: printing 10^7 lines must take well under a second of
// formatting, so no printf per line.
class Out {
 public:
  ~Out() { Flush(); }
  void Line(int64_t v) {
    if (len_ + 24 > sizeof buf_) {
      Flush();
    }
    auto r = std::to_chars(buf_ + len_, buf_ + sizeof buf_, v);
    *r.ptr = '\n';
    len_ = static_cast<size_t>(r.ptr - buf_) + 1;
  }
  bool Flush() {
    if (len_ > 0 && std::fwrite(buf_, 1, len_, stdout) != len_) {
      ok_ = false;
    }
    len_ = 0;
    return ok_;
  }

 private:
  char buf_[1 << 16];
  size_t len_ = 0;
  bool ok_ = true;
};

}  // namespace

int RunSchedule(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("model");
  args.Value("unit");
  args.Value("limit");
  args.Flag("summary");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("schedule", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    std::fputs(kUsage, stderr);
    return Fail("schedule", absl::InvalidArgumentError(
                                args.positional().empty()
                                    ? "expected a schedule, e.g. 'line(1, 100, 1m)'"
                                    : "expected one schedule argument (quote it: 'line(1, 5, "
                                      "2s) const(5, 1m)')"));
  }
  LoadModel model = LoadModel::kRps;
  const std::string model_name = args.Get("model", "rps");
  if (model_name == "instances") {
    model = LoadModel::kInstances;
  } else if (model_name != "rps") {
    return Fail("schedule", absl::InvalidArgumentError(absl::StrCat(
                                "--model: expected rps or instances, got '", model_name, "'")));
  }
  int64_t divisor = 1000000;
  const std::string unit = args.Get("unit", "ms");
  if (unit == "us") {
    divisor = 1000;
  } else if (unit == "ns") {
    divisor = 1;
  } else if (unit != "ms") {
    return Fail("schedule", absl::InvalidArgumentError(
                                absl::StrCat("--unit: expected ms, us or ns, got '", unit, "'")));
  }
  uint64_t limit = UINT64_MAX;
  if (args.Has("limit")) {
    const std::string text = args.Get("limit");
    auto r = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      return Fail("schedule", absl::InvalidArgumentError(absl::StrCat(
                                  "--limit: expected a whole number ≥ 0, got '", text, "'")));
    }
  }

  absl::StatusOr<Schedule> schedule = Schedule::Parse(args.positional()[0], model);
  if (!schedule.ok()) {
    return Fail("schedule", schedule.status());
  }
  if (args.Has("summary")) {
    std::string json = schedule->SummaryJson();
    json.push_back('\n');
    std::fwrite(json.data(), 1, json.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
  }
  const uint64_t n = std::min(limit, schedule->shots());
  {
    Out out;
    if (divisor == 1000000) {
      for (uint64_t i = 0; i < n; ++i) {
        out.Line(schedule->ShotMs(i));
      }
    } else {
      for (uint64_t i = 0; i < n; ++i) {
        out.Line(schedule->ShotNs(i) / divisor);
      }
    }
    if (!out.Flush()) {
      return Fail("schedule", absl::UnavailableError("writing to stdout failed"));
    }
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

}  // namespace incarne::cli
