// The find-max search (docs/capacity.md "find-max"): grow ×factor from start_rps while the
// SLO holds, then bisect between the last good and the first bad rate until they are within
// `precision` of the good one; never above max_rps. Pure bookkeeping: the caller runs each
// step and reports whether it met the SLO.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace incarne {

struct FindMaxStep {
  double rps = 0;
  bool good = false;
  std::string why;  // why it failed ("" when good)
  double achieved_rps = 0;
  uint64_t hits = 0;
  uint64_t errors = 0;
  uint64_t latency_p99_ns = 0;
};

class FindMaxSearch {
 public:
  explicit FindMaxSearch(const FindMaxPlan& plan) : plan_(plan) {}

  // The next rate to try (whole requests per second, ≥ 1), or nullopt when the search is over.
  std::optional<double> Next() const;
  void Record(const FindMaxStep& step);

  // The highest rate that met the SLO (0: not even start_rps did).
  double best() const { return good_; }
  // The search stopped at max_rps with every step good: the capacity is above the cap.
  bool capped() const { return good_ >= plan_.max_rps; }
  const std::vector<FindMaxStep>& steps() const { return steps_; }
  // Steps the search can take at most (the growing ones, then the bisection): a bound on the
  // run's length.
  int MaxSteps() const;

 private:
  FindMaxPlan plan_;
  double good_ = 0;  // highest good rate so far
  double bad_ = 0;   // lowest bad rate so far (0: none yet)
  bool doomed_ = false;
  std::vector<FindMaxStep> steps_;
};

}  // namespace incarne
