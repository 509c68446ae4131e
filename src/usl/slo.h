// The SLO of the find-max and usl models (docs/capacity.md "SLO"): predicates judged on the
// merged aggregates of one step (its seconds after the warmup), never per hit.
//
//   quantile(P, D)   the corrected latency's P-th percentile ≤ D      quantile(99, 50ms)
//   http(CODES, L)   replies with a matching HTTP code ≤ L            http(5xx, 1%), http(503, 10)
//   net(CODES, L)    hits with a matching net code ≤ L                net(xx, 1%), net(110, 0)
// CODES: a 3-character HTTP pattern (digits and x: "5xx", "50x", "503"); for net, "xx" (any
// net error) or a number. L: a share of the step's hits ("1%") or a count.
//
// The predicates are Tank's autostop criteria without their window, parsed by the shared
// criteria parser (ParseCriterion(text, false), src/plan/criterion.h) and narrowed to the
// three kinds above. Judge keeps the SLO's meaning: a predicate holds while its figure is
// ≤ the limit, and a quantile is of the corrected latency (done − planned), not Tank's
// response time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/criterion.h"
#include "results/stats.h"

namespace incarne {

struct SloVerdict {
  bool ok = true;
  std::string why;  // the first predicate that failed, with its figures ("" when ok)
};

// What one step measured.
struct StepMeasure {
  Stats stats;           // merged over the judged seconds
  uint64_t planned = 0;  // shots planned in those seconds
  uint64_t sent = 0;     // shots fired in them
  uint64_t seconds = 0;
};

class Slo {
 public:
  // Parses the predicates; InvalidArgument "slo[K] \"TEXT\": expected ..." for a bad one.
  static absl::StatusOr<Slo> Parse(const std::vector<std::string>& predicates);

  // The predicates on one step. With `open_model`, also the generator's own guards (so that a
  // generator that cannot keep up is never taken for a server that can): sent ÷ planned ≥
  // 0.99 and the lag's p99 ≤ 10 ms.
  SloVerdict Judge(const StepMeasure& m, bool open_model) const;

  struct Predicate {
    enum class Kind : uint8_t { kQuantile, kHttp, kNet };
    Kind kind = Kind::kQuantile;
    std::string text;
    double percentile = 0;  // kQuantile
    uint64_t limit_ns = 0;  // kQuantile
    double limit = 0;       // kHttp, kNet: a share (0..1) or a count
    bool limit_is_share = false;
    Criterion criterion;  // as parsed (kHttp, kNet: its mask)
  };
  const std::vector<Predicate>& predicates() const { return predicates_; }

 private:
  std::vector<Predicate> predicates_;
};

}  // namespace incarne
