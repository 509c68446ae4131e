#include "usl/find_max.h"

#include <algorithm>
#include <cmath>

namespace incarne {

std::optional<double> FindMaxSearch::Next() const {
  if (doomed_ || capped()) {
    return std::nullopt;
  }
  if (bad_ == 0) {  // growing
    const double next =
        good_ == 0 ? plan_.start_rps : std::min(good_ * plan_.factor, plan_.max_rps);
    return std::max(1.0, std::round(next));
  }
  if (bad_ - good_ <= plan_.precision * good_) {
    return std::nullopt;
  }
  const double mid = std::round((good_ + bad_) / 2);
  if (mid <= good_ || mid >= bad_) {
    return std::nullopt;  // whole rates cannot split them further
  }
  return mid;
}

void FindMaxSearch::Record(const FindMaxStep& step) {
  steps_.push_back(step);
  if (step.good) {
    good_ = std::max(good_, step.rps);
  } else {
    bad_ = bad_ == 0 ? step.rps : std::min(bad_, step.rps);
    if (good_ == 0) {
      doomed_ = true;  // start_rps already fails: nothing below it is searched
    }
  }
}

int FindMaxSearch::MaxSteps() const {
  const double ratio = std::max(1.0, plan_.max_rps / plan_.start_rps);
  const int grow = static_cast<int>(std::ceil(std::log(ratio) / std::log(plan_.factor))) + 1;
  // Bisection from a gap of (factor − 1)·good down to precision·good.
  const int bisect =
      static_cast<int>(std::ceil(std::log2(std::max(1.0, (plan_.factor - 1) / plan_.precision)))) +
      1;
  return grow + bisect;
}

}  // namespace incarne
