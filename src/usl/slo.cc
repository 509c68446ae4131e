#include "usl/slo.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plan/criterion.h"
#include "plan/duration.h"
#include "util/absl_view.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr double kMinSentShare = 0.99;
constexpr uint64_t kMaxLagP99Ns = 10 * kNsPerMs;

// What each kind is for the step's user: the guidance kept in front of the parser's own
// message (which names the 1-based position of the fault).
constexpr char kQuantileExpected[] =
    "quantile: expected quantile(P, DURATION) with 0 < P <= 100, e.g. quantile(99, 50ms)";
constexpr char kHttpExpected[] =
    "http: expected http(CODES, LIMIT): CODES like 5xx or 503, LIMIT \"1%\" or a count";
constexpr char kNetExpected[] =
    "net: expected net(CODES, LIMIT): CODES xx or a net code, LIMIT \"1%\" or a count";

// The name before '(' as written, lower-cased, for messages about a predicate that did not
// parse.
std::string NameOf(std::string_view text) {
  const std::string_view t = Trim(text);
  const size_t open = t.find('(');
  return absl::AsciiStrToLower(AbslView(Trim(t.substr(0, open))));
}

// One predicate through the autostop criteria parser without a window (src/plan/criterion.h),
// then narrowed to the three kinds a step's SLO judges.
absl::StatusOr<Slo::Predicate> ParseOne(std::string_view text) {
  const std::string name = NameOf(text);
  absl::StatusOr<Criterion> c = ParseCriterion(text, false);
  if (!c.ok()) {
    if (name == "quantile" || name == "http" || name == "net") {
      const char* expected = name == "quantile" ? kQuantileExpected
                             : name == "http"   ? kHttpExpected
                                                : kNetExpected;
      return absl::InvalidArgumentError(absl::StrCat(expected, " (", c.status().message(), ")"));
    }
    if (text.find('(') != std::string_view::npos && !name.empty() &&
        absl::StrContains(c.status().message(), "Unsupported autostop criterion type")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown predicate \"", name, "\": expected quantile, http or net"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("expected quantile(P,DURATION), http(CODES,LIMIT) or net(CODES,LIMIT) (",
                     c.status().message(), ")"));
  }
  Slo::Predicate p;
  p.text = std::string(text);
  p.criterion = *std::move(c);
  switch (p.criterion.kind) {
    case CriterionKind::kQuantile:
      p.kind = Slo::Predicate::Kind::kQuantile;
      break;
    case CriterionKind::kHttp:
      p.kind = Slo::Predicate::Kind::kHttp;
      break;
    case CriterionKind::kNet:
      p.kind = Slo::Predicate::Kind::kNet;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown predicate \"", name, "\": expected quantile, http or net"));
  }
  if (!p.criterion.tag.empty()) {
    // The parser takes a third parameter as a tag; a step is judged on all its hits, and a
    // window ("5s") here is the likelier mistake.
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected two arguments (the windowless form), got a third: \"",
                     p.criterion.tag, "\""));
  }
  p.percentile = p.criterion.quantile;
  p.limit_ns = static_cast<uint64_t>(p.criterion.rt_ns);
  p.limit = p.criterion.level;
  p.limit_is_share = p.criterion.relative;
  return p;
}

}  // namespace

absl::StatusOr<Slo> Slo::Parse(const std::vector<std::string>& predicates) {
  Slo slo;
  for (size_t k = 0; k < predicates.size(); ++k) {
    absl::StatusOr<Predicate> p = ParseOne(predicates[k]);
    if (!p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("slo[", k, "] \"", predicates[k], "\": ", p.status().message()));
    }
    slo.predicates_.push_back(*std::move(p));
  }
  return slo;
}

SloVerdict Slo::Judge(const StepMeasure& m, bool open_model) const {
  const Stats& s = m.stats;
  // Nothing judged is no evidence: a step whose window after the warmup holds no whole second
  // (step_duration 1s, warmup 500ms) or whose judged seconds saw no hit never meets the SLO.
  if (m.seconds == 0) {
    return {false, "no whole second after the warmup to judge: lengthen step_duration"};
  }
  if (s.hits == 0) {
    return {false, "no hit in the judged seconds"};
  }
  if (open_model) {
    const double share =
        m.planned == 0 ? 1.0 : static_cast<double>(m.sent) / static_cast<double>(m.planned);
    if (share < kMinSentShare) {
      return {false, absl::StrFormat("sent %.1f%% of the planned shots (< 99%%): the target or "
                                     "the generator could not keep up",
                                     share * 100)};
    }
    const uint64_t lag = s.lag.ValueAtPercentile(99);
    if (lag > kMaxLagP99Ns) {
      return {false, absl::StrFormat("lag p99 %.1f ms > 10 ms: shots left late", lag / 1e6)};
    }
  }
  for (const Predicate& p : predicates_) {
    if (p.kind == Predicate::Kind::kQuantile) {
      const uint64_t v = s.latency.ValueAtPercentile(p.percentile);
      if (v > p.limit_ns) {
        return {false, absl::StrFormat("%s: p%g latency %.3f ms", p.text, p.percentile, v / 1e6)};
      }
      continue;
    }
    const bool net = p.kind == Predicate::Kind::kNet;
    uint64_t n = 0;
    for (const auto& [code, count] : (net ? s.net_codes : s.proto_codes).entries()) {
      // net(…) never counts code 0 (success); an all-x mask matches every non-zero code.
      n += (!net || code != 0) && p.criterion.mask.Matches(code) ? count : 0;
    }
    const double value =
        p.limit_is_share
            ? (s.hits == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(s.hits))
            : static_cast<double>(n);
    if (value > p.limit) {
      return {false, p.limit_is_share
                         ? absl::StrFormat("%s: %.2f%% of %d hits", p.text, value * 100, s.hits)
                         : absl::StrFormat("%s: %d hits", p.text, n)};
    }
  }
  return {};
}

}  // namespace incarne
