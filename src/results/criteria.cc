#include "results/criteria.h"

#include <cmath>
#include <numeric>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "util/small_file.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr double kNsPerMsD = 1e6;
// Shares are compared with this slack: 30 % of the seconds' mean is 10 % whatever the
// rounding of 0.3 / 3 (Tank compares percents, which happen to be exact more often).
constexpr double kShareSlack = 1e-9;

// value ≥ level, with slack for shares.
bool AtLeast(double value, double level, bool relative) {
  return relative ? value >= level - kShareSlack : value >= level;
}

bool IsNetKind(CriterionKind k) {
  return k == CriterionKind::kNet || k == CriterionKind::kTotalNet ||
         k == CriterionKind::kNegativeNet;
}

// Hits whose code matches. Tank drops net code 0 before matching for net and total_net (a
// success is never a network error) but not for negative_net, where "0" is the usual mask.
uint64_t Matched(const Criterion& c, const Stats& s) {
  const bool net = IsNetKind(c.kind);
  const CodeCounts& codes = net ? s.net_codes : s.proto_codes;
  const bool skip_zero = c.kind == CriterionKind::kNet || c.kind == CriterionKind::kTotalNet;
  uint64_t n = 0;
  for (const auto& [code, count] : codes.entries()) {
    if (skip_zero && code == 0) {
      continue;
    }
    n += c.mask.Matches(code) ? count : 0;
  }
  return n;
}

const Histogram& Times(const Criterion& c, const Stats& s) {
  return c.corrected ? s.latency : s.service;
}

// Responses slower than rt, at the histogram's bucket precision (as Tank's total_time counts
// whole aggregator bins): the buckets that lie entirely above rt.
uint64_t SlowerThan(const Histogram& h, int64_t rt_ns) {
  uint64_t n = 0;
  for (int i = std::max(Histogram::IndexOf(static_cast<uint64_t>(rt_ns)), h.lo_index());
       i <= h.hi_index(); ++i) {
    if (Histogram::LowestAt(i) > static_cast<uint64_t>(rt_ns)) {
      n += h.count_at(i);
    }
  }
  return n;
}

std::string LevelText(const Criterion& c) {
  return c.relative ? Cat(c.level * 100, "%") : Cat(c.level);
}

std::string MsText(int64_t ns) { return Cat(static_cast<double>(ns) / kNsPerMsD); }

int TankRc(CriterionKind k) {
  switch (k) {
    case CriterionKind::kTime:
    case CriterionKind::kQuantile:
    case CriterionKind::kLimit:
      return 21;
    case CriterionKind::kHttp:
      return 22;
    case CriterionKind::kNet:
      return 23;
    case CriterionKind::kInstances:
      return 24;
    case CriterionKind::kTotalTime:
      return 25;
    case CriterionKind::kTotalHttp:
      return 26;
    case CriterionKind::kTotalNet:
      return 27;
    case CriterionKind::kNegativeHttp:
      return 28;
    case CriterionKind::kNegativeNet:
      return 29;
    case CriterionKind::kHttpTrend:
      return 30;
  }
  return 21;
}

}  // namespace

CriterionMeasure MeasureCriterion(const Criterion& c, const Stats& s, uint64_t inflight,
                                  uint64_t instances) {
  CriterionMeasure m;
  switch (c.kind) {
    case CriterionKind::kTime: {
      const Histogram& h = Times(c, s);
      m.total = h.count();
      m.value = h.mean() / kNsPerMsD;
      m.breach = m.total > 0 && h.mean() > static_cast<double>(c.rt_ns);
      break;
    }
    case CriterionKind::kQuantile: {
      const Histogram& h = Times(c, s);
      m.total = h.count();
      const uint64_t v = h.ValueAtPercentile(c.quantile);
      m.value = static_cast<double>(v) / kNsPerMsD;
      m.breach = m.total > 0 && v > static_cast<uint64_t>(c.rt_ns);
      break;
    }
    case CriterionKind::kInstances: {
      m.total = instances;
      m.value = c.relative ? (instances == 0
                                  ? 0.0
                                  : static_cast<double>(inflight) / static_cast<double>(instances))
                           : static_cast<double>(inflight);
      m.breach = m.value > c.level;
      break;
    }
    case CriterionKind::kTotalTime: {
      const Histogram& h = Times(c, s);
      m.total = h.count();
      m.matched = SlowerThan(h, c.rt_ns);
      m.value = m.total == 0 ? 0.0 : static_cast<double>(m.matched) / static_cast<double>(m.total);
      m.breach = m.total > 0 && AtLeast(m.value, c.level, true);
      break;
    }
    case CriterionKind::kHttp:
    case CriterionKind::kNet:
    case CriterionKind::kTotalHttp:
    case CriterionKind::kTotalNet:
    case CriterionKind::kNegativeHttp:
    case CriterionKind::kNegativeNet: {
      const bool negative =
          c.kind == CriterionKind::kNegativeHttp || c.kind == CriterionKind::kNegativeNet;
      m.total = s.hits;
      const uint64_t matched = Matched(c, s);
      m.matched = negative ? s.hits - std::min(matched, s.hits) : matched;
      if (c.relative) {
        m.value =
            m.total == 0 ? 0.0 : static_cast<double>(m.matched) / static_cast<double>(m.total);
      } else {
        m.value = static_cast<double>(m.matched);
      }
      m.breach = AtLeast(m.value, c.level, c.relative);
      break;
    }
    case CriterionKind::kLimit:
    case CriterionKind::kHttpTrend:
      m.matched = Matched(c, s);
      break;
  }
  return m;
}

Autostop::Autostop(std::vector<Criterion> criteria, const std::vector<std::string>& tags,
                   uint64_t instances)
    : criteria_(criteria), instances_(instances) {
  for (Criterion& c : criteria) {
    State st;
    if (!c.tag.empty()) {
      st.tag = -2;
      for (size_t i = 0; i < tags.size(); ++i) {
        if (tags[i] == c.tag) {
          st.tag = static_cast<int>(i);
        }
      }
    }
    if (c.kind == CriterionKind::kHttpTrend) {
      st.values.push_back(0);  // Tank starts its tangents with a 0
      st.seconds.push_back(0);
    }
    st.c = std::move(c);
    states_.push_back(std::move(st));
  }
}

const AutostopVerdict* Autostop::Observe(const SecondStats& s) {
  if (verdict_.has_value()) {
    return nullptr;
  }
  for (State& st : states_) {
    AutostopVerdict v;
    // Every criterion sees every second (its window moves), even after one has fired in it.
    if (Step(&st, s, &v) && !verdict_.has_value()) {
      v.criterion = st.c.text;
      v.second = s.second;
      v.tank_rc = TankRc(st.c.kind);
      verdict_ = std::move(v);
    }
  }
  return verdict_.has_value() ? &*verdict_ : nullptr;
}

// One second of one criterion; true (and *v filled) when it fires. The window semantics are
// Tank's (plugins/Autostop): per-second kinds count consecutive breaching seconds and fire on
// the window-th; cumulative kinds keep the last `window` seconds and fire once the window is
// full and its total (counts) or mean (shares) reaches the level; http_trend fires when the
// mean second-to-second change of the matching count, plus its standard error, is negative.
bool Autostop::Step(State* st, const SecondStats& s, AutostopVerdict* v) {
  static const Stats kEmpty;
  const Criterion& c = st->c;
  const Stats& stats = st->tag == -1
                           ? s.overall
                           : (st->tag >= 0 && static_cast<size_t>(st->tag) < s.tags.size() &&
                                      s.tags[st->tag] != nullptr
                                  ? *s.tags[st->tag]
                                  : kEmpty);
  const CriterionMeasure m = MeasureCriterion(c, stats, s.inflight_max, instances_);
  const auto seconds = static_cast<double>(c.window_s);
  switch (c.kind) {
    case CriterionKind::kTime:
    case CriterionKind::kHttp:
    case CriterionKind::kNet:
    case CriterionKind::kQuantile:
    case CriterionKind::kInstances: {
      if (!m.breach) {
        st->count = 0;
        return false;
      }
      if (st->count++ == 0) {
        st->streak_at = s.second;
      }
      if (st->count < c.window_s) {
        return false;
      }
      v->since = st->streak_at;
      const std::string since = Cat(", since second ", v->since);
      if (c.kind == CriterionKind::kTime) {
        v->explain = Cat("Average response time higher than ", MsText(c.rt_ns), "ms for ",
                         st->count, "s", since);
        v->figures = {{"value_ms", m.value}, {"limit_ms", c.rt_ns / kNsPerMsD}};
      } else if (c.kind == CriterionKind::kQuantile) {
        v->explain = Cat("Percentile ", c.quantile, " higher than ", MsText(c.rt_ns), "ms for ",
                         st->count, "s", since);
        v->figures = {
            {"quantile", c.quantile}, {"value_ms", m.value}, {"limit_ms", c.rt_ns / kNsPerMsD}};
      } else if (c.kind == CriterionKind::kInstances) {
        v->explain = Cat("Testing threads (instances) utilization higher than ", LevelText(c),
                         " for ", st->count, "s", since);
        v->figures = {{"value", m.value}, {"level", c.level}, {"relative", c.relative ? 1 : 0}};
      } else {
        v->explain = Cat(std::string_view(c.mask.digits, c.mask.len),
                         c.kind == CriterionKind::kNet ? " net" : "", " codes count higher than ",
                         LevelText(c), " for ", st->count, "s", since);
        v->figures = {{"value", m.value},
                      {"level", c.level},
                      {"relative", c.relative ? 1 : 0},
                      {"matched", static_cast<double>(m.matched)},
                      {"total", static_cast<double>(m.total)}};
      }
      v->figures.emplace_back("seconds", static_cast<double>(st->count));
      v->figures.emplace_back("since", static_cast<double>(v->since));
      return true;
    }
    case CriterionKind::kLimit: {
      const int64_t elapsed_ns = (s.second + 1) * kNsPerSec;
      if (elapsed_ns < c.limit_ns) {
        return false;
      }
      v->since = 0;
      v->explain = Cat("Test time elapsed. Limit: ", c.limit_ns / kNsPerSec,
                       "s, actual time: ", elapsed_ns / kNsPerSec, "s");
      v->figures = {{"limit_s", static_cast<double>(c.limit_ns) / kNsPerSec},
                    {"elapsed_s", static_cast<double>(elapsed_ns / kNsPerSec)}};
      return true;
    }
    case CriterionKind::kTotalTime:
    case CriterionKind::kTotalHttp:
    case CriterionKind::kTotalNet:
    case CriterionKind::kNegativeHttp:
    case CriterionKind::kNegativeNet: {
      double value = m.value;
      if (c.kind != CriterionKind::kTotalTime && c.relative && m.total == 0) {
        value = 0.01;  // Tank counts a second without responses as 1 %
      }
      st->values.push_back(c.kind == CriterionKind::kTotalTime ? static_cast<double>(m.matched)
                                                               : value);
      st->totals.push_back(static_cast<double>(m.total));
      st->seconds.push_back(s.second);
      if (static_cast<int64_t>(st->values.size()) > c.window_s) {
        st->values.pop_front();
        st->totals.pop_front();
        st->seconds.pop_front();
      }
      if (static_cast<int64_t>(st->values.size()) < c.window_s) {
        return false;
      }
      const double sum = std::accumulate(st->values.begin(), st->values.end(), 0.0);
      v->since = st->seconds.front();
      const std::string tail = Cat(" for ", c.window_s, "s, since second ", v->since);
      if (c.kind == CriterionKind::kTotalTime) {
        const double total = std::accumulate(st->totals.begin(), st->totals.end(), 0.0);
        const double share = total == 0 ? 0.0 : sum / total;
        if (total == 0 || !AtLeast(share, c.level, true)) {
          return false;
        }
        v->explain = absl::StrFormat("%.2f%% responses times higher than %sms%s", share * 100,
                                     MsText(c.rt_ns), tail);
        v->figures = {{"value", share},
                      {"level", c.level},
                      {"limit_ms", c.rt_ns / kNsPerMsD},
                      {"slow", sum},
                      {"total", total}};
      } else {
        const double figure = c.relative ? sum / static_cast<double>(st->values.size()) : sum;
        if (!AtLeast(figure, c.level, c.relative)) {
          return false;
        }
        const bool negative =
            c.kind == CriterionKind::kNegativeHttp || c.kind == CriterionKind::kNegativeNet;
        v->explain = Cat(negative ? "Not " : "", std::string_view(c.mask.digits, c.mask.len),
                         c.kind == CriterionKind::kTotalNet ? " net" : "",
                         " codes count higher than ", LevelText(c), tail);
        v->figures = {{"value", figure}, {"level", c.level}, {"relative", c.relative ? 1 : 0}};
      }
      v->figures.emplace_back("seconds", seconds);
      v->figures.emplace_back("since", static_cast<double>(v->since));
      return true;
    }
    case CriterionKind::kHttpTrend: {
      const auto matched = static_cast<double>(m.matched);
      st->values.push_back(matched - st->last);
      st->seconds.push_back(s.second);
      st->last = matched;
      if (static_cast<int64_t>(st->values.size()) > c.window_s) {
        st->values.pop_front();
        st->seconds.pop_front();
      }
      const auto n = static_cast<double>(st->values.size());
      const double mean = std::accumulate(st->values.begin(), st->values.end(), 0.0) / n;
      double error = 0;
      if (st->values.size() >= 2) {
        double sq = 0;
        for (double k : st->values) {
          sq += (k - mean) * (k - mean);
        }
        error = std::sqrt(sq / n / (n - 1));
      }
      if (mean + error >= 0) {
        return false;
      }
      v->since = st->seconds.front();
      v->explain = absl::StrFormat(
          "Last trend for %s http codes is %.2f +/- %.2f for %ds, since "
          "second %d",
          std::string(c.mask.digits, c.mask.len), mean, error, c.window_s, v->since);
      v->figures = {{"trend", mean},
                    {"error", error},
                    {"seconds", seconds},
                    {"since", static_cast<double>(v->since)}};
      return true;
    }
  }
  return false;
}

std::string FormatAutostopReport(const AutostopVerdict& v) {
  std::string out = Cat(v.criterion, "\nsecond ", v.second, "\nsince ", v.since, "\ntank_rc ",
                        v.tank_rc, "\nexplain ", v.explain, "\n");
  for (const auto& [name, value] : v.figures) {
    absl::StrAppendFormat(&out, "figure %s %.17g\n", name, value);
  }
  return out;
}

absl::StatusOr<std::optional<AutostopVerdict>> ReadAutostopReport(const std::string& run_dir) {
  const std::string path = Cat(run_dir, "/", kAutostopReportFile);
  absl::StatusOr<std::string> text = ReadSmallFile(path, 1 << 20, "autostop report");
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return std::optional<AutostopVerdict>();
    }
    return text.status();
  }
  AutostopVerdict v;
  std::vector<std::string_view> lines;
  for (absl::string_view l : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    lines.push_back(StdView(l));
  }
  auto bad = [&](size_t line, std::string_view what) {
    return absl::InvalidArgumentError(
        Cat(path, ":", line + 1, ": expected ", what, " (autostop_report.txt)"));
  };
  if (lines.empty()) {
    return bad(0, "the criterion");
  }
  v.criterion = std::string(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view l = lines[i];
    const size_t sp = l.find(' ');
    const std::string_view key = l.substr(0, sp);
    const std::string_view rest = sp == l.npos ? std::string_view() : l.substr(sp + 1);
    if (key == "second" || key == "since" || key == "tank_rc") {
      int64_t n = 0;
      if (!absl::SimpleAtoi(AbslView(rest), &n)) {
        return bad(i, Cat(key, " and a whole number"));
      }
      if (key == "second") {
        v.second = n;
      } else if (key == "since") {
        v.since = n;
      } else {
        v.tank_rc = static_cast<int>(n);
      }
    } else if (key == "explain") {
      v.explain = std::string(rest);
    } else if (key == "figure") {
      const size_t sp2 = rest.find(' ');
      double d = 0;
      if (sp2 == rest.npos || !absl::SimpleAtod(AbslView(rest.substr(sp2 + 1)), &d)) {
        return bad(i, "figure NAME NUMBER");
      }
      v.figures.emplace_back(std::string(rest.substr(0, sp2)), d);
    } else {
      return bad(i, "second, since, tank_rc, explain or figure");
    }
  }
  return std::optional<AutostopVerdict>(std::move(v));
}

}  // namespace incarne
