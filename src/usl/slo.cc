#include "usl/slo.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plan/duration.h"
#include "util/absl_view.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr double kMinSentShare = 0.99;
constexpr uint64_t kMaxLagP99Ns = 10 * kNsPerMs;

bool CodeMatches(const std::string& pattern, uint16_t code, bool net) {
  if (net) {
    if (pattern == "xx") {
      return code != 0;
    }
    uint32_t want = 0;
    return absl::SimpleAtoi(pattern, &want) && want == code;
  }
  if (code < 100 || code > 999) {
    return false;
  }
  const std::string digits = std::to_string(code);
  for (int i = 0; i < 3; ++i) {
    if (pattern[i] != 'x' && pattern[i] != digits[i]) {
      return false;
    }
  }
  return true;
}

// "1%" → share 0.01; "10" → count 10.
bool ParseLimit(std::string_view t, Slo::Predicate* p) {
  if (t.ends_with("%")) {
    double v = 0;
    if (!absl::SimpleAtod(AbslView(t.substr(0, t.size() - 1)), &v) || !std::isfinite(v) || v < 0 ||
        v > 100) {
      return false;
    }
    p->limit = v / 100;
    p->limit_is_share = true;
    return true;
  }
  uint64_t n = 0;
  if (!absl::SimpleAtoi(AbslView(t), &n)) {
    return false;
  }
  p->limit = static_cast<double>(n);
  p->limit_is_share = false;
  return true;
}

absl::StatusOr<Slo::Predicate> ParseOne(std::string_view text) {
  Slo::Predicate p;
  p.text = std::string(text);
  const std::string_view t = Trim(text);
  const size_t open = t.find('(');
  if (open == std::string_view::npos || !t.ends_with(")")) {
    return absl::InvalidArgumentError(
        "expected quantile(P,DURATION), http(CODES,LIMIT) or net(CODES,LIMIT)");
  }
  const std::string_view name = Trim(t.substr(0, open));
  const std::string_view args = t.substr(open + 1, t.size() - open - 2);
  const size_t comma = args.find(',');
  if (comma == std::string_view::npos || args.find(',', comma + 1) != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(AbslView(name), ": expected two arguments (the windowless form)"));
  }
  const std::string_view a = Trim(args.substr(0, comma));
  const std::string_view b = Trim(args.substr(comma + 1));
  if (name == "quantile") {
    p.kind = Slo::Predicate::Kind::kQuantile;
    absl::StatusOr<int64_t> ns = ParseDuration(b);
    if (!absl::SimpleAtod(AbslView(a), &p.percentile) || !(p.percentile > 0) ||
        !(p.percentile <= 100) || !ns.ok()) {
      return absl::InvalidArgumentError(
          "quantile: expected quantile(P, DURATION) with 0 < P <= 100, e.g. quantile(99, 50ms)");
    }
    p.limit_ns = static_cast<uint64_t>(*ns);
    return p;
  }
  const bool net = name == "net";
  if (name != "http" && !net) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown predicate \"", AbslView(name), "\": expected quantile, http or net"));
  }
  p.kind = net ? Slo::Predicate::Kind::kNet : Slo::Predicate::Kind::kHttp;
  p.pattern = std::string(a);
  bool pattern_ok = false;
  if (net) {
    uint32_t n = 0;
    pattern_ok = p.pattern == "xx" || (absl::SimpleAtoi(AbslView(a), &n) && n > 0 && n < 65536);
  } else {
    pattern_ok = p.pattern.size() == 3 && p.pattern[0] >= '1' && p.pattern[0] <= '9';
    for (char c : p.pattern) {
      pattern_ok = pattern_ok && (c == 'x' || (c >= '0' && c <= '9'));
    }
  }
  if (!pattern_ok || !ParseLimit(b, &p)) {
    return absl::InvalidArgumentError(
        net ? "net: expected net(CODES, LIMIT): CODES xx or a net code, LIMIT \"1%\" or a count"
            : "http: expected http(CODES, LIMIT): CODES like 5xx or 503, LIMIT \"1%\" or a "
              "count");
  }
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
      n += CodeMatches(p.pattern, code, net) ? count : 0;
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
