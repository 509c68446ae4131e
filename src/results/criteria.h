// Criteria over per-second aggregates: Yandex.Tank's autostop, and the same predicates for
// any aggregate (a capacity finder's step SLO). docs/autostop.md is the user's page.
//
// Two ways to use a Criterion (src/plan/criterion.h parses it):
//
//  1. Autostop — windows of seconds, Tank's semantics. The collector feeds every finished
//     second, in order, to an Autostop; the first criterion (in list order) that fires gives
//     a verdict, once:
//
//       ASSIGN_OR_RETURN(Criterion c, ParseCriterion("http(5xx,10%,3s)", true));
//       Autostop as({c}, tags, instances);
//       if (const AutostopVerdict* v = as.Observe(second)) { ... stop, exit 3 ... }
//
//  2. A predicate over one aggregate (no window): parse with allow_window = false
//     ("quantile(99,50ms)", "http(5xx,1%)", "net(xx,1%)") and ask
//
//       CriterionMeasure m = MeasureCriterion(c, step_stats);  // m.breach, m.value
//
//     over the Stats of a whole step (Stats merge exactly, so a step's merged seconds give
//     the step's percentiles). Per-second kinds measure the aggregate as Tank measures one
//     second; total_*/negative_* measure it as one window.
//
// Control plane (collector thread, tools): never per hit. An Autostop is not thread-safe;
// MeasureCriterion is a pure function.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/criterion.h"
#include "results/stats.h"

namespace incarne {

// What a criterion measured on one aggregate.
struct CriterionMeasure {
  // The figure compared with the level: ms for time and quantile; a count, or a share in
  // [0, 1] when the criterion's level is relative, for the code kinds; in-flight hits (or
  // their share of load.instances) for instances; the share of slow responses for
  // total_time.
  double value = 0;
  bool breach = false;   // value is past the criterion's level (> or ≥ as Tank compares)
  uint64_t matched = 0;  // code kinds: hits with a matching code; total_time: slow hits
  uint64_t total = 0;    // hits the share is of
};

// The measure of `c` on `s` (the criterion's tag already chosen: pass that tag's Stats).
// `inflight` and `instances` serve instances(): the second's maximum hits in flight and the
// plan's load.instances. limit and http_trend measure nothing here (breach = false).
CriterionMeasure MeasureCriterion(const Criterion& c, const Stats& s, uint64_t inflight = 0,
                                  uint64_t instances = 0);

class Autostop {
 public:
  // `criteria` parsed with allow_window; `tags` the run's tag table (a criterion naming a tag
  // the ammo lacks never sees a hit, as in Tank); `instances` the plan's load.instances.
  Autostop(std::vector<Criterion> criteria, const std::vector<std::string>& tags,
           uint64_t instances);

  // Feeds the next finished second (seconds in order, each once, empty ones included).
  // Returns the verdict the first time a criterion fires (the first in list order when
  // several fire in the same second), then nullptr for every later second.
  const AutostopVerdict* Observe(const SecondStats& s);

  const std::optional<AutostopVerdict>& verdict() const { return verdict_; }
  bool empty() const { return states_.empty(); }
  const std::vector<Criterion>& criteria() const { return criteria_; }

 private:
  struct State {
    Criterion c;
    int tag = -1;           // -1: overall; -2: a tag the ammo lacks; else the tag id
    int64_t count = 0;      // per-second kinds: seconds in a row that breached
    int64_t streak_at = 0;  // ... the first of them
    // Cumulative kinds: the window's per-second figures, oldest first, and their seconds.
    std::deque<double> values;
    std::deque<double> totals;  // total_time: responses per second
    std::deque<int64_t> seconds;
    double last = 0;  // http_trend: the previous second's matched count
  };
  bool Step(State* st, const SecondStats& s, AutostopVerdict* v);

  std::vector<Criterion> criteria_;
  std::vector<State> states_;
  uint64_t instances_;
  std::optional<AutostopVerdict> verdict_;
};

// RUN_DIR/autostop_report.txt, written when autostop fires: the first line is the criterion
// as written (what Tank's autostop_report.txt holds), then "second N", "since N",
// "tank_rc N", "explain TEXT" and one "figure NAME VALUE" per figure.
std::string FormatAutostopReport(const AutostopVerdict& v);
// Reads it back; nullopt when the file is absent (autostop did not fire). InvalidArgument
// naming the file and line when it is not what FormatAutostopReport writes.
absl::StatusOr<std::optional<AutostopVerdict>> ReadAutostopReport(const std::string& run_dir);
inline constexpr char kAutostopReportFile[] = "autostop_report.txt";

}  // namespace incarne
