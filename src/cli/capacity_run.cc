// The find-max and usl models on the command line (capacity_run.h; docs/capacity.md).
//
// usl: one closed-model run whose schedule holds each level of instances for warmup +
//      step_duration (`const(1, T) const(2, T) …`); the collector's seconds are judged per level
//      as they come, and the run is stopped gracefully once throughput fell for 2 levels or a
//      level broke the SLO. The points are then read back from the run directory exactly as
//      `incarne usl RUN_DIR` reads them, fitted, and written to usl.csv and summary.json.
// find-max: one open-model run per step (RUN_DIR/steps/NN-RATErps), `const(RATE, T)`,
//      judged on its seconds after the warmup; the search (src/usl/find_max.h) picks the next
//      rate. RUN_DIR holds plan.toml, find_max.csv and summary.json {"find_max": ...}.
#include "cli/capacity_run.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/cli_common.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "usl/find_max.h"
#include "usl/slo.h"
#include "usl/usl_fit.h"
#include "usl/usl_points.h"
#include "usl/usl_report.h"
#include "util/exit_code.h"
#include "util/json_writer.h"
#include "util/output_file.h"
#include "util/small_file.h"

namespace incarne::cli {
namespace {

absl::Status WriteWhole(const std::string& path, const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<OutputFile>> out = OutputFile::Open(path);
  if (!out.ok()) {
    return out.status();
  }
  if (absl::Status st = (*out)->Write(bytes); !st.ok()) {
    return st;
  }
  return (*out)->Commit();
}

// summary.json gains `"KEY": OBJECT` as its last member (the file is replaced, not rewritten).
absl::Status AddToSummary(const std::string& run_dir, const std::string& key,
                          const std::string& object) {
  const std::string path = run_dir + "/summary.json";
  std::string text = "{}";
  if (absl::StatusOr<std::string> old = ReadSmallFile(path, 64 << 20, "summary"); old.ok()) {
    text = *std::move(old);
  }
  const size_t close = text.rfind('}');
  if (close == std::string::npos) {
    return absl::DataLossError(path + ": not a JSON object");
  }
  const bool empty = text.find_first_not_of(" \n\t{", 0) == close;
  text = absl::StrCat(text.substr(0, close), empty ? "" : ",", "\"", key, "\":", object, "}\n");
  return WriteWhole(path, text);
}

// Seconds [first, end) of a step of length `t_ns` starting at `start_ns` that are judged.
bool Judged(int64_t second, int64_t start_ns, int64_t warmup_ns, int64_t t_ns) {
  const int64_t s = second * kNsPerSec;
  return s >= start_ns + warmup_ns && s + kNsPerSec <= start_ns + t_ns;
}

// ---- usl ------------------------------------------------------------------------------------

struct UslWatch {
  std::vector<uint32_t> levels;
  int64_t t_ns = 0;
  int64_t warmup_ns = 0;
  const Slo* slo = nullptr;
  std::atomic<bool>* stop = nullptr;
  std::mutex mu;
  std::string reason;  // why it stopped early
  size_t level = 0;
  StepMeasure m;
  double best = 0;
  int falling = 0;
  // The verdict of each level judged to its end, in order: summary.json's usl.levels (the
  // step overview of `incarne plot`).
  struct Level {
    uint32_t n = 0;
    bool good = true;  // met the SLO
    std::string why;   // the SLO's words, or why the level does not count as better
  };
  std::vector<Level> judged;

  void Second(const SecondStats& ss) {
    std::lock_guard<std::mutex> lock(mu);
    const size_t k = static_cast<size_t>(ss.second * kNsPerSec / t_ns);
    if (k >= levels.size() || !Judged(ss.second, static_cast<int64_t>(k) * t_ns, warmup_ns, t_ns)) {
      return;
    }
    if (k != level) {
      level = k;
      m = StepMeasure();
    }
    m.stats.Merge(ss.overall);
    ++m.seconds;
    if (Judged(ss.second + 1, static_cast<int64_t>(k) * t_ns, warmup_ns, t_ns)) {
      return;  // the level goes on
    }
    const double x = static_cast<double>(m.stats.hits - m.stats.errors) / m.seconds;
    const SloVerdict v = slo->Judge(m, false);
    judged.push_back({levels[k], v.ok, v.why});
    if (!v.ok) {
      reason = absl::StrCat(levels[k], " instances broke the SLO: ", v.why);
    } else if (x < best) {
      judged.back().why =
          absl::StrFormat("throughput %.1f/s below the best level's %.1f/s", x, best);
      if (++falling == 2) {
        reason = absl::StrFormat("throughput fell for 2 levels (to %.1f/s at %d instances)", x,
                                 levels[k]);
      }
    } else {
      best = x;
      falling = 0;
    }
    if (!reason.empty()) {
      stop->store(true);
    }
  }
};

int RunUslModel(LaunchOptions o, CliLaunchOptions cli, const Plan& plan) {
  const UslPlan& u = plan.load.usl;
  absl::StatusOr<std::vector<uint32_t>> levels = ParseUslInstances(u.instances);
  absl::StatusOr<Slo> slo = Slo::Parse(u.slo);
  if (!levels.ok() || !slo.ok()) {
    return Fail("run", absl::InvalidArgumentError(absl::StrCat(
                           o.plan_path, ": load.usl.",
                           levels.ok() ? slo.status().message() : levels.status().message())));
  }
  const int64_t t_ns = u.warmup_ns + u.step_duration_ns;
  std::string schedule;
  for (uint32_t n : *levels) {
    absl::StrAppend(&schedule, schedule.empty() ? "" : " ", "const(", n, ", ", FormatDuration(t_ns),
                    ")");
  }
  o.overrides.push_back("load.model=instances");
  o.overrides.push_back("load.schedule=" + schedule);
  std::atomic<bool> stop{false};
  auto watch = std::make_shared<UslWatch>();
  watch->levels = *levels;
  watch->t_ns = t_ns;
  watch->warmup_ns = u.warmup_ns;
  watch->slo = &*slo;
  watch->stop = &stop;
  std::function<void(const SecondStats&)> inner = std::move(o.on_second);
  o.on_second = [watch, inner](const SecondStats& ss) {
    watch->Second(ss);
    if (inner) {
      inner(ss);
    }
  };
  cli.stop_flag = &stop;
  cli.stop_reason = "usl: the last levels are not worth measuring";
  absl::StatusOr<LaunchResult> r = LaunchFromCli(std::move(o), cli);
  if (!r.ok()) {
    return Fail("run", r.status());
  }
  if (r->exit_code != 0) {
    return r->exit_code;
  }
  {
    std::lock_guard<std::mutex> lock(watch->mu);
    if (!watch->reason.empty()) {
      std::fprintf(stderr, "incarne run: usl: stopped early: %s\n", watch->reason.c_str());
    }
  }
  absl::StatusOr<std::vector<UslStepPoint>> measured = StepPointsFromRun(r->run_dir, u.warmup_ns);
  absl::StatusOr<UslFit> fit =
      measured.ok() ? FitUsl(PointsOf(*measured)) : absl::StatusOr<UslFit>(measured.status());
  JsonWriter j;
  if (!fit.ok()) {
    j.BeginObject();
    j.Key("error");
    j.String(std::string(fit.status().message()));
    j.EndObject();
    (void)AddToSummary(r->run_dir, "usl", j.str());
    std::fprintf(stderr, "incarne run: usl: no fit: %s\n",
                 std::string(fit.status().message()).c_str());
    return kExitFailed;
  }
  WriteUslJson(&j, *fit, *measured);
  std::string usl = j.Take();
  {
    // The run's own verdicts join the fit's object: "levels" (one per level judged to its
    // end) and "stopped" (why the run ended early, "" when it ran every level).
    std::lock_guard<std::mutex> lock(watch->mu);
    JsonWriter lv;
    lv.BeginArray();
    for (const UslWatch::Level& l : watch->judged) {
      lv.BeginObject();
      lv.Key("n");
      lv.Uint(l.n);
      lv.Key("good");
      lv.Bool(l.good);
      lv.Key("why");
      lv.String(l.why);
      lv.EndObject();
    }
    lv.EndArray();
    JsonWriter stopped;
    stopped.String(watch->reason);
    usl.pop_back();  // the object's '}'
    absl::StrAppend(&usl, ",\"levels\":", lv.str(), ",\"stopped\":", stopped.str(), "}");
  }
  absl::Status st = AddToSummary(r->run_dir, "usl", usl);
  if (st.ok()) {
    st = WriteWhole(r->run_dir + "/usl.csv", UslCsv(*fit, PointsOf(*measured)));
  }
  if (!st.ok()) {
    return Fail("run", st);
  }
  std::fputs(UslText(*fit, *measured).c_str(), stdout);
  return kExitOk;
}

// ---- find-max -------------------------------------------------------------------------------

int RunFindMaxModel(const LaunchOptions& base, CliLaunchOptions cli, const Plan& plan) {
  const FindMaxPlan& f = plan.load.find_max;
  absl::StatusOr<Slo> slo = Slo::Parse(f.slo);
  if (!slo.ok()) {
    return Fail("run", absl::InvalidArgumentError(absl::StrCat(base.plan_path, ": load.find_max.",
                                                               slo.status().message())));
  }
  const std::string dir = !base.out_dir.empty() ? base.out_dir
                                                : ExpandRunDir(plan.results.dir, time(nullptr),
                                                               base.shard, base.plan_path);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Fail("run", absl::UnavailableError(absl::StrCat(dir, ": ", strerror(errno))));
  }
  if (mkdir((dir + "/steps").c_str(), 0755) != 0) {
    return Fail("run",
                absl::FailedPreconditionError(absl::StrCat(
                    dir, ": expected a new or empty run directory (", strerror(errno), ")")));
  }
  if (absl::Status st = WriteWhole(dir + "/plan.toml", FormatPlanToml(plan)); !st.ok()) {
    return Fail("run", st);
  }
  std::fprintf(stderr, "incarne: run directory %s (find-max: at most %d steps of %s)\n",
               dir.c_str(), FindMaxSearch(f).MaxSteps(),
               FormatDuration(f.warmup_ns + f.step_duration_ns).c_str());
  const int64_t t_ns = f.warmup_ns + f.step_duration_ns;
  FindMaxSearch search(f);
  cli.out = nullptr;  // no report per step
  bool interrupted = false;
  while (std::optional<double> rate = search.Next()) {
    LaunchOptions o = base;
    o.out_dir = absl::StrFormat("%s/steps/%02d-%.0frps", dir, search.steps().size() + 1, *rate);
    o.overrides.push_back("load.model=rps");
    o.overrides.push_back(
        absl::StrFormat("load.schedule=const(%.0f, %s)", *rate, FormatDuration(t_ns)));
    o.overrides.push_back("results.html=false");
    auto m = std::make_shared<StepMeasure>();
    auto mu = std::make_shared<std::mutex>();
    const int64_t warmup = f.warmup_ns;
    o.on_second = [m, mu, warmup, t_ns](const SecondStats& ss) {
      if (Judged(ss.second, 0, warmup, t_ns)) {
        std::lock_guard<std::mutex> lock(*mu);
        m->stats.Merge(ss.overall);
        m->planned += ss.planned;
        m->sent += ss.sent;
        ++m->seconds;
      }
    };
    absl::StatusOr<LaunchResult> r = LaunchFromCli(std::move(o), cli);
    if (!r.ok()) {
      return Fail("run", r.status());
    }
    if (r->exit_code != 0) {
      return r->exit_code;
    }
    std::lock_guard<std::mutex> lock(*mu);
    const SloVerdict v = slo->Judge(*m, true);
    FindMaxStep step;
    step.rps = *rate;
    step.good = v.ok;
    step.why = v.why;
    step.hits = m->stats.hits;
    step.errors = m->stats.errors;
    step.achieved_rps = m->seconds == 0 ? 0 : static_cast<double>(m->stats.hits) / m->seconds;
    step.latency_p99_ns = m->stats.latency.ValueAtPercentile(99);
    search.Record(step);
    std::fprintf(stderr, "find-max: step %zu: %.0f rps: %s%s\n", search.steps().size(), *rate,
                 v.ok ? "met the SLO" : "failed: ", v.why.c_str());
    if (r->stop_level > 0) {
      interrupted = true;
      break;
    }
  }
  std::string csv = "rps,good,achieved_rps,latency_p99_ms,hits,errors,why\n";
  JsonWriter j;
  j.BeginObject();
  j.Key("rps");
  j.Double(search.best(), 1);
  j.Key("capped");
  j.Bool(search.capped());
  j.Key("interrupted");
  j.Bool(interrupted);
  j.Key("steps");
  j.BeginArray();
  for (const FindMaxStep& s : search.steps()) {
    j.BeginObject();
    j.Key("rps");
    j.Double(s.rps, 1);
    j.Key("good");
    j.Bool(s.good);
    j.Key("achieved_rps");
    j.Double(s.achieved_rps, 1);
    j.Key("latency_p99_ms");
    j.Double(s.latency_p99_ns / 1e6, 3);
    j.Key("hits");
    j.Uint(s.hits);
    j.Key("errors");
    j.Uint(s.errors);
    j.Key("why");
    j.String(s.why);
    j.EndObject();
    absl::StrAppendFormat(&csv, "%.0f,%d,%.1f,%.3f,%d,%d,\"%s\"\n", s.rps, s.good ? 1 : 0,
                          s.achieved_rps, s.latency_p99_ns / 1e6, s.hits, s.errors, s.why);
  }
  j.EndArray();
  j.EndObject();
  absl::Status st = AddToSummary(dir, "find_max", j.str());
  if (st.ok()) {
    st = WriteWhole(dir + "/find_max.csv", csv);
  }
  if (!st.ok()) {
    return Fail("run", st);
  }
  if (search.best() == 0) {
    std::printf("find-max: even start_rps %.0f failed the SLO\n", f.start_rps);
  } else {
    std::printf("find-max: %.0f rps is the highest rate that met the SLO%s (%zu steps)\n",
                search.best(), search.capped() ? " (the max_rps cap)" : "", search.steps().size());
  }
  return kExitOk;
}

}  // namespace

std::optional<int> MaybeRunCapacity(const LaunchOptions& options, const CliLaunchOptions& cli) {
  absl::StatusOr<Plan> plan =
      options.plan_text.has_value()
          ? LoadPlanText(*options.plan_text, options.plan_path, options.overrides)
          : LoadPlanFile(options.plan_path, options.overrides);
  if (!plan.ok()) {
    return std::nullopt;
  }
  if (plan->load.model == LoadModel::kUsl) {
    return RunUslModel(options, cli, *plan);
  }
  if (plan->load.model == LoadModel::kFindMax) {
    return RunFindMaxModel(options, cli, *plan);
  }
  return std::nullopt;
}

std::optional<absl::StatusOr<std::string>> CapacityReport(const std::string& run_dir, bool json) {
  struct stat st;
  if (stat((run_dir + "/find_max.csv").c_str(), &st) != 0) {
    return std::nullopt;
  }
  absl::StatusOr<std::string> summary =
      ReadSmallFile(run_dir + "/summary.json", 64 << 20, "summary");
  absl::StatusOr<std::string> csv = ReadSmallFile(run_dir + "/find_max.csv", 64 << 20, "table");
  if (!summary.ok() || !csv.ok()) {
    return summary.ok() ? csv.status() : summary.status();
  }
  if (json) {
    return *summary;
  }
  return absl::StrCat("find-max run ", run_dir, " (steps in ", run_dir, "/steps):\n", *csv);
}

absl::Status AddUslReport(const std::string& run_dir, bool json, std::string* report) {
  struct stat st;
  if (stat((run_dir + "/usl.csv").c_str(), &st) != 0) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<UslStepPoint>> measured = StepPointsFromRun(run_dir, -1);
  if (!measured.ok()) {
    return measured.status();
  }
  absl::StatusOr<UslFit> fit = FitUsl(PointsOf(*measured));
  if (!fit.ok()) {
    return fit.status();
  }
  if (!json) {
    absl::StrAppend(report, "\n", UslText(*fit, *measured));
    return absl::OkStatus();
  }
  JsonWriter j;
  WriteUslJson(&j, *fit, *measured);
  const size_t close = report->rfind('}');
  if (close != std::string::npos) {
    *report = absl::StrCat(report->substr(0, close), ",\"usl\":", j.str(), report->substr(close));
  }
  return absl::OkStatus();
}

}  // namespace incarne::cli
