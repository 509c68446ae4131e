// Yandex.Tank's autostop criteria as text: "http(5xx,10%,3s)" → Criterion (docs/autostop.md).
//
// The syntax and the meaning of every parameter are Tank's (its autostop plugin): a name, then
// comma-separated parameters in parentheses, an optional last parameter naming a tag. Times
// are Tank's autostop durations — integers with units ms, s, m, h, d, w, repeated ("1m30s");
// a bare number is milliseconds for a response-time threshold and seconds for a window or a
// limit. Code masks are digits and `x` ("5xx", "404", "xx"; docs/autostop.md "Code masks").
//
// The parser lives with the plan (the plan loader checks `autostop.criteria` at file:line)
// and depends on nothing in results/; the evaluator — the per-second window state and the
// predicate over an aggregate — is src/results/criteria.h.
//
// Control plane; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace incarne {

enum class CriterionKind : uint8_t {
  kTime,          // time(rt, window): mean response time > rt, each second of the window
  kHttp,          // http(mask, level, window): matching HTTP codes ≥ level, each second
  kNet,           // net(mask, level, window): matching non-zero net codes ≥ level, each second
  kQuantile,      // quantile(q, rt, window): q-th percentile > rt, each second
  kInstances,     // instances(level, window): hits in flight > level, each second
  kLimit,         // limit(duration): the run has lasted `duration`
  kTotalTime,     // total_time(rt, ratio%, window): share slower than rt over the window
  kTotalHttp,     // total_http(mask, level, window): matching HTTP codes over the window
  kTotalNet,      // total_net(mask, level, window): matching net codes over the window
  kNegativeHttp,  // negative_http(mask, level, window): NOT matching HTTP codes over the window
  kNegativeNet,   // negative_net(mask, level, window): NOT matching net codes over the window
  kHttpTrend,     // http_trend(mask, window): the count of matching codes falls
};

// Tank's name of a kind ("total_http").
std::string_view CriterionName(CriterionKind kind);

// A code mask: "5xx" matches 500–599, "404" only 404, "1xx" 100–199. Every position must
// match and the code must have as many digits as the mask (Tank matches the whole code). A
// mask of x's only ("x", "xx", "xxx") matches every non-zero code, as Tank's documentation
// says of "xx" — so `net(xx,...)` counts every network error whatever its errno.
struct CodeMask {
  char digits[6] = {};  // '0'..'9' or 'x', NUL-terminated
  uint8_t len = 0;
  bool any_nonzero = false;

  bool Matches(uint16_t code) const {
    if (any_nonzero) {
      return code != 0;
    }
    char text[6];
    int n = 0;
    uint16_t v = code;
    do {
      text[n++] = static_cast<char>('0' + v % 10);
      v = static_cast<uint16_t>(v / 10);
    } while (v != 0 && n < 6);
    if (n != len) {
      return false;
    }
    for (int i = 0; i < n; ++i) {
      const char m = digits[i];
      if (m != 'x' && m != text[n - 1 - i]) {
        return false;
      }
    }
    return true;
  }
};

struct Criterion {
  CriterionKind kind = CriterionKind::kHttp;
  std::string text;  // as written (trimmed): names it in messages, summary.json, the report
  CodeMask mask;     // http, net, total_http, total_net, negative_*, http_trend
  // http, net, total_*, negative_*, instances: a count when !relative, else a share in [0, 1]
  // ("10%" → 0.1); total_time: the share of slow responses.
  double level = 0;
  bool relative = false;
  int64_t rt_ns = 0;     // time, quantile, total_time: the response-time threshold
  double quantile = 0;   // quantile: the percentile, (0, 100]
  int64_t window_s = 0;  // seconds; 0 when parsed without a window (a step's SLO)
  int64_t limit_ns = 0;  // limit
  std::string tag;       // "" = all hits; else only the hits of this ammo tag
  // Response times are Tank's interval_real (done − start) unless set: then the
  // coordinated-omission-corrected latency (done − planned). The parser never sets it; a
  // caller that judges capacity (find-max) may.
  bool corrected = false;
};

// Parses one criterion. With allow_window (autostop) the syntax is Tank's, window included;
// without (a step's SLO judged on its merged aggregates, e.g. "quantile(99,50ms)",
// "http(5xx,1%)", "net(xx,1%)") the window parameter is left out, and the kinds that mean
// nothing without one (instances, limit, http_trend) are refused. A tag may follow either.
// InvalidArgument "\"TEXT\" at N: ..." with N the 1-based character position of the fault;
// the wording of an unknown name and of a bad time unit is Tank's ("Unsupported autostop
// criterion type: ...", "String contains unsupported unit ...").
absl::StatusOr<Criterion> ParseCriterion(std::string_view text, bool allow_window);

}  // namespace incarne
