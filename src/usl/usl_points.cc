// The (N, X) readers of usl_points.h.
#include "usl/usl_points.h"

#include <cmath>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plan/plan_loader.h"
#include "plan/schedule.h"
#include "results/aggregates_file.h"
#include "util/absl_view.h"
#include "util/small_file.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr size_t kMaxCsvBytes = 64 << 20;

bool Number(std::string_view field, double* out) {
  return absl::SimpleAtod(AbslView(Trim(field)), out) && std::isfinite(*out);
}

}  // namespace

absl::StatusOr<std::vector<UslPoint>> ParseUslCsv(std::string_view text, std::string_view name) {
  std::vector<UslPoint> points;
  size_t line_no = 0;
  bool seen_line = false;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const std::string_view bare = Trim(line);
    if (bare.empty() || bare[0] == '#') {
      continue;
    }
    const size_t comma = bare.find(',');
    double n = 0, x = 0;
    const bool first = !seen_line;
    seen_line = true;
    if (comma == std::string_view::npos || bare.find(',', comma + 1) != std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          AbslView(name), ":", line_no, ": expected two fields N,X (concurrency, throughput)"));
    }
    if (!Number(bare.substr(0, comma), &n)) {
      if (first) {
        continue;  // a header such as "N,X"
      }
      return absl::InvalidArgumentError(absl::StrCat(
          AbslView(name), ":", line_no, ": N: expected a number (the concurrency), got \"",
          AbslView(Trim(bare.substr(0, comma))), "\""));
    }
    if (!Number(bare.substr(comma + 1), &x)) {
      return absl::InvalidArgumentError(absl::StrCat(
          AbslView(name), ":", line_no, ": X: expected a number (the throughput), got \"",
          AbslView(Trim(bare.substr(comma + 1))), "\""));
    }
    if (!(n > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(AbslView(name), ":", line_no, ": N: expected a concurrency > 0"));
    }
    if (x < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(AbslView(name), ":", line_no, ": X: expected a throughput >= 0"));
    }
    if (points.size() == kMaxUslPoints) {
      return absl::InvalidArgumentError(
          absl::StrCat(AbslView(name), ":", line_no, ": more than ", kMaxUslPoints, " points"));
    }
    points.push_back({n, x});
  }
  if (points.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(AbslView(name), ": no points: expected lines N,X"));
  }
  return points;
}

absl::StatusOr<std::vector<UslPoint>> ReadUslCsvFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxCsvBytes, "points file");
  if (!text.ok()) {
    return text.status();
  }
  return ParseUslCsv(*text, path);
}

absl::StatusOr<std::vector<UslStepPoint>> StepPointsFromRun(const std::string& run_dir,
                                                            int64_t warmup_ns) {
  const std::string plan_path = run_dir + "/plan.toml";
  absl::StatusOr<Plan> plan = LoadPlanFile(plan_path, {});
  if (!plan.ok()) {
    return plan.status();
  }
  if (plan->load.model != LoadModel::kInstances) {
    return absl::InvalidArgumentError(absl::StrCat(
        plan_path, ": load.model is not \"instances\": X(N) needs a closed-model run"));
  }
  if (warmup_ns < 0) {
    warmup_ns = plan->load.usl.warmup_ns;
  }
  absl::StatusOr<Schedule> schedule = Schedule::Parse(plan->load.schedule, LoadModel::kInstances);
  if (!schedule.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(plan_path, ": load.schedule: ", schedule.status().message()));
  }
  absl::StatusOr<AggregatesReader> reader = AggregatesReader::Open(run_dir + "/aggregates");
  if (!reader.ok()) {
    return reader.status();
  }
  std::vector<SecondStats> seconds;
  SecondStats s;
  for (;;) {
    absl::StatusOr<bool> more = reader->Next(&s);
    if (!more.ok()) {
      return more.status();
    }
    if (!*more) {
      break;
    }
    SecondStats copy;
    copy.second = s.second;
    copy.overall.hits = s.overall.hits;
    copy.overall.errors = s.overall.errors;
    seconds.push_back(std::move(copy));
  }
  if (!seconds.empty()) {
    seconds.pop_back();  // the last second is cut short by the end of the run
  }
  std::vector<UslStepPoint> out;
  int64_t level_since_ns = 0;
  uint64_t level = schedule->InstancesAt(0);
  for (const SecondStats& sec : seconds) {
    const int64_t start_ns = sec.second * kNsPerSec;
    const uint64_t at_start = schedule->InstancesAt(start_ns);
    const uint64_t at_end = schedule->InstancesAt(start_ns + kNsPerSec - 1);
    if (at_start != level) {
      level = at_start;
      level_since_ns = start_ns;
    }
    if (at_end != at_start) {
      level = at_end;
      level_since_ns = start_ns + kNsPerSec;
      continue;
    }
    if (at_start == 0 || start_ns < level_since_ns + warmup_ns) {
      continue;
    }
    if (out.empty() || out.back().n != at_start) {
      out.push_back({at_start, sec.second, 0, 0, 0, 0});
    }
    UslStepPoint& p = out.back();
    ++p.seconds;
    p.successes += sec.overall.hits - sec.overall.errors;
    p.errors += sec.overall.errors;
    p.x = static_cast<double>(p.successes) / static_cast<double>(p.seconds);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        run_dir, ": no second to judge: every level of instances is shorter than the warmup (",
        warmup_ns / kNsPerMs, " ms) plus one second"));
  }
  return out;
}

}  // namespace incarne
