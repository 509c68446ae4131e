#include "plan/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plan/duration.h"
#include "util/check.h"
#include "util/json_writer.h"
#include "util/status.h"

// Tank's numbers come from Python floats: every operation below is one IEEE-754 double
// operation in the same order as load_plan.py / instance_plan.py. A fused multiply-add would
// round differently, so contraction is off for this file.
#ifdef __clang__
#pragma clang fp contract(off)
#endif  // GCC does not contract in ISO C++ mode (-std=c++20)

namespace incarne {
namespace {

constexpr int64_t kNsPerMsL = 1000000;
constexpr int64_t kMaxNs = std::numeric_limits<int64_t>::max() / 2;  // beyond any schedule

// Python's int(float): truncation toward zero. Saturating (NaN → 0) so that inputs Tank would
// crash on cannot cause undefined behaviour here.
inline int64_t Trunc(double x) {
  if (!(x > -9.2e18)) {  // also NaN
    return x == x ? std::numeric_limits<int64_t>::min() : 0;
  }
  if (x >= 9.2e18) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(x);
}

// Python's float(i) for a shot index (< 2^53: exact). Deliberately the unsigned conversion:
// the one-instruction signed cvtsi2sd merges into its destination register, which chains
// consecutive calls through the previous call's sqrt/div (measured: line 12 → 25 ns/shot).
inline double ToDouble(uint64_t i) { return static_cast<double>(i); }

// Hot-path int() for times: NaN and negatives → 0, at most `hi` (branch-free min/max).
inline int64_t TruncTo(double x, int64_t hi) {
  x = x > 0 ? x : 0;
  const double h = static_cast<double>(hi);  // hi ≤ kMaxDurationMs·1e6 < 2^63
  x = x < h ? x : h;
  return std::min(static_cast<int64_t>(x), hi);
}

// The exact time in ns (local to its segment), clamped into Tank's millisecond so that
// truncation gives Tank's value, and not past the segment's end unless Tank's ms is already
// there (keeps the sequence non-decreasing across segments).
inline int64_t ClampNs(int64_t precise_ns, int64_t ms, int64_t span_ns) {
  const int64_t lo = ms * kNsPerMsL;
  const int64_t hi = std::min(lo + (kNsPerMsL - 1), std::max(lo, span_ns));
  return std::clamp(precise_ns, lo, hi);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

enum class Arg { kRate, kCount, kDuration };

struct StepSpec {
  std::string_view name;
  ScheduleStep::Kind kind;
  bool rps;        // allowed in the rps model
  bool instances;  // allowed in the instances model
  struct ArgSpec {
    Arg type;
    std::string_view name;  // for messages
  };
  ArgSpec args[4];
  size_t nargs;
};

// `start`, `wait` and `ramp` are Tank's instances-only builder steps.
// clang-format off
const StepSpec kSpecs[] = {
    {"const", ScheduleStep::Kind::kConst, true, true,
     {{Arg::kRate, "rate"}, {Arg::kDuration, "duration"}}, 2},
    {"line", ScheduleStep::Kind::kLine, true, true,
     {{Arg::kRate, "from"}, {Arg::kRate, "to"}, {Arg::kDuration, "duration"}}, 3},
    {"step", ScheduleStep::Kind::kStep, true, true,
     {{Arg::kRate, "from"}, {Arg::kRate, "to"}, {Arg::kRate, "step"},
      {Arg::kDuration, "duration"}}, 4},
    {"once", ScheduleStep::Kind::kOnce, true, true, {{Arg::kCount, "count"}}, 1},
    {"pause", ScheduleStep::Kind::kPause, true, true, {{Arg::kDuration, "duration"}}, 1},
    {"start", ScheduleStep::Kind::kOnce, false, true, {{Arg::kCount, "count"}}, 1},
    {"wait", ScheduleStep::Kind::kPause, false, true, {{Arg::kDuration, "duration"}}, 1},
    {"ramp", ScheduleStep::Kind::kLine, false, true,
     {{Arg::kCount, "count"}, {Arg::kDuration, "duration"}}, 2},
};
// clang-format on

// One parsed argument.
struct Value {
  double number = 0;   // kRate
  uint64_t count = 0;  // kCount, also kRate when instances (integers there)
  int64_t ms = 0;      // kDuration: Tank's milliseconds (Parser::Duration)
  size_t column = 0;   // 0-based
};

absl::Status ErrorAt(size_t pos, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("column ", pos + 1, ": ", std::string(what)));
}

}  // namespace

// ---- the builder: Tank's generators as segments ------------------------------------------

class Schedule::Builder {
 public:
  explicit Builder(Schedule* s) : s_(s) {}

  // rps model --------------------------------------------------------------------------------

  // Tank's Const(rps, duration): n = int(rps·D/1000), t_i = int(i·(1000/rps)).
  absl::Status Const(double rps, int64_t d_ms, size_t col) {
    if (rps != 0) {
      const double n = rps * static_cast<double>(d_ms) / 1000;
      RETURN_IF_ERROR(CheckCount(n, col));
      Segment seg;
      seg.type = Segment::Type::kConst;
      seg.count = static_cast<uint64_t>(n);
      seg.x = 1000.0 / rps;
      seg.y = 1e9 / rps;
      RETURN_IF_ERROR(Add(seg, d_ms, col));
    }
    return Advance(d_ms, col);
  }

  // Tank's Line(minrps, maxrps, duration): duration in float seconds, n = int((B+A)/2·D),
  // t_i = int(1000·root2) of the quadratic, span int(D·1000).
  absl::Status Line(double a, double b, int64_t d_ms, size_t col) {
    const double d_s = static_cast<double>(d_ms) / 1000.0;
    if (d_s == 0) {
      return absl::OkStatus();  // Tank divides by zero; here: nothing, no time
    }
    const double slope = (b - a) / d_s;
    const double n = (b + a) / 2.0 * d_s;
    RETURN_IF_ERROR(CheckCount(n, col));
    const int64_t span_ms = Trunc(d_s * 1000);
    Segment seg;
    seg.type = Segment::Type::kLine;
    seg.count = static_cast<uint64_t>(n);
    seg.x = slope / 2.0;
    seg.y = a;
    seg.z = 2 * seg.x;
    RETURN_IF_ERROR(Add(seg, span_ms, col));
    return Advance(span_ms, col);
  }

  // Tank's Stairway: levels A + i·inc for i = 0..int((B−A)/inc), inc negated when B < A, and
  // an extra level B if the last one falls short of it.
  absl::Status Stairway(double a, double b, double inc, int64_t d_ms, size_t col) {
    if (inc == 0) {
      return ErrorAt(col, "step(from, to, step, duration): expected a step size above 0");
    }
    if (b < a) {
      inc = -inc;
    }
    const double steps = (b - a) / inc;
    if (!(steps < static_cast<double>(kMaxSegments))) {
      return ErrorAt(col, absl::StrCat("this step makes more than ", kMaxSegments,
                                       " levels; use a bigger step size"));
    }
    const int64_t n_steps = Trunc(steps);
    // Levels without shots store nothing but still cost parse time: bound them all.
    total_levels_ += static_cast<size_t>(n_steps) + 2;
    if (total_levels_ > kMaxSegments) {
      return ErrorAt(col, absl::StrCat("expected at most ", kMaxSegments,
                                       " levels in all step(...) together; use bigger steps"));
    }
    uint64_t levels = 0;
    for (int64_t i = 0; i <= n_steps; ++i) {
      RETURN_IF_ERROR(Const(a + static_cast<double>(i) * inc, d_ms, col));
      ++levels;
    }
    const double last = a + static_cast<double>(n_steps) * inc;
    if ((inc > 0 && last < b) || (inc < 0 && last > b)) {
      RETURN_IF_ERROR(Const(b, d_ms, col));
      ++levels;
    }
    levels_ = levels;
    return absl::OkStatus();
  }

  absl::Status Once(uint64_t n, size_t col) {
    if (n == 0) {
      return absl::OkStatus();
    }
    Segment seg;
    seg.type = Segment::Type::kAt;
    seg.count = n;
    return Add(seg, 0, col);
  }

  absl::Status Advance(int64_t d_ms, size_t col) {
    if (d_ms > kMaxDurationMs - offset_ms_) {
      return ErrorAt(col, "expected a shorter schedule (at most 100 years in total)");
    }
    offset_ms_ += d_ms;
    return absl::OkStatus();
  }

  // instances model ---------------------------------------------------------------------------

  // Tank's start(n): n instance starts now. A negative n is Tank's "can not stop instances".
  absl::Status Start(uint64_t target, std::string_view what, size_t col) {
    if (target < instances_) {
      return ErrorAt(col, absl::StrCat("can not stop instances: ", std::string(what), " wants ",
                                       target, " instances but ", instances_,
                                       " are already started (instances only grow)"));
    }
    RETURN_IF_ERROR(Once(target - instances_, col));
    instances_ = target;
    return absl::OkStatus();
  }

  // Tank's ramp(n, d): points at int(t0 + i·d/(n−1)), i = skip..n−1; then time += d.
  // n = 1 (Tank: ZeroDivisionError) → the one point at t0.
  absl::Status Ramp(uint64_t n, uint64_t skip, int64_t d_ms, size_t col) {
    if (n > skip) {
      if (n > kMaxShots) {
        return ErrorAt(col, absl::StrCat("expected at most ", kMaxShots, " instances"));
      }
      Segment seg;
      seg.type = Segment::Type::kRamp;
      seg.count = n - skip;
      seg.n = n;
      seg.skip = skip;
      seg.x = n > 1 ? static_cast<double>(d_ms) / static_cast<double>(n - 1) : 0;
      seg.d_ns = d_ms * kNsPerMsL;
      RETURN_IF_ERROR(Add(seg, d_ms, col));
      instances_ += n - skip;
    }
    return Advance(d_ms, col);
  }

  absl::Status InstancesConst(uint64_t n, int64_t d_ms, size_t col) {
    RETURN_IF_ERROR(Start(n, absl::StrCat("const(", n, ", …)"), col));
    return Advance(d_ms, col);
  }

  // Tank: start(a − cur − 1) + ramp(b − a + 1, d). Tank fails when cur = a (start(−1)); here
  // the line still runs through (t0, a) and (t0 + d, b): the ramp's first point is skipped.
  absl::Status InstancesLine(uint64_t a, uint64_t b, int64_t d_ms, size_t col) {
    if (b < a) {
      return ErrorAt(col, absl::StrCat("can not stop instances: line(", a, ", ", b,
                                       ", …) goes down (instances only grow)"));
    }
    if (instances_ > a) {
      return ErrorAt(col, absl::StrCat("can not stop instances: line(", a, ", …) starts below the ",
                                       instances_, " instances already started"));
    }
    if (b - a >= kMaxShots) {
      return ErrorAt(col, absl::StrCat("expected at most ", kMaxShots, " instances"));
    }
    uint64_t skip = 0;
    if (instances_ < a) {
      RETURN_IF_ERROR(Start(a - 1, "line", col));
    } else {
      skip = 1;
    }
    return Ramp(b - a + 1, skip, d_ms, col);
  }

  // Tank's stairway: start(a − cur); k = (b − a) // s times wait(d) + start(s); if not at b
  // wait(d) + start(b − cur); a final wait(d). The k equal levels are one closed-form segment.
  absl::Status InstancesStep(uint64_t a, uint64_t b, uint64_t s, int64_t d_ms, size_t col) {
    if (s == 0) {
      return ErrorAt(col, "step(from, to, step, duration): expected a step size above 0");
    }
    if (b < a) {
      return ErrorAt(col, absl::StrCat("can not stop instances: step(", a, ", ", b,
                                       ", …) goes down (instances only grow)"));
    }
    RETURN_IF_ERROR(Start(a, absl::StrCat("step(", a, ", …)"), col));
    const uint64_t k = (b - a) / s;
    if (k > 0) {
      if (d_ms != 0 && k > static_cast<uint64_t>(kMaxDurationMs / d_ms)) {
        return ErrorAt(col, "expected a shorter schedule (at most 100 years in total)");
      }
      Segment seg;
      seg.type = Segment::Type::kStair;
      seg.count = k * s;  // ≤ b − a
      seg.n = s;
      seg.span_ms = d_ms;
      RETURN_IF_ERROR(Add(seg, d_ms, col));
      instances_ += k * s;
      RETURN_IF_ERROR(Advance(static_cast<int64_t>(k) * d_ms, col));
    }
    if (instances_ != b) {
      RETURN_IF_ERROR(Advance(d_ms, col));
      RETURN_IF_ERROR(Start(b, "step", col));
    }
    return Advance(d_ms, col);
  }

  // bookkeeping -------------------------------------------------------------------------------

  uint64_t shots() const { return s_->shots_; }
  int64_t offset_ms() const { return offset_ms_; }
  uint64_t instances() const { return instances_; }
  uint64_t TakeLevels() { return std::exchange(levels_, 0); }

 private:
  absl::Status CheckCount(double n, size_t col) {
    if (!(n < static_cast<double>(kMaxShots)) ||
        static_cast<uint64_t>(n) > kMaxShots - s_->shots_) {
      return ErrorAt(col, absl::StrCat("expected a schedule of at most 2^40 shots (this step "
                                       "alone makes ",
                                       n, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status Add(Segment seg, int64_t span_ms, size_t col) {
    if (seg.count == 0) {
      return absl::OkStatus();
    }
    if (seg.count > kMaxShots - s_->shots_) {
      return ErrorAt(col, "expected a schedule of at most 2^40 shots");
    }
    if (s_->segments_.size() >= kMaxSegments) {
      return ErrorAt(col, absl::StrCat("expected at most ", kMaxSegments,
                                       " runs of shots (steps and stair levels) in total"));
    }
    seg.base_ms = offset_ms_;
    if (seg.type != Segment::Type::kStair) {
      seg.span_ms = span_ms;
    }
    const int64_t last = LocalMs(seg, seg.count - 1);
    // Tank's times are non-decreasing within a segment (each formula is monotone in i under
    // IEEE rounding), so the last one bounds them all; it must fit the timeline.
    if (last < 0 || last > kMaxDurationMs - seg.base_ms) {
      return ErrorAt(col, "expected a shorter schedule (at most 100 years in total)");
    }
    seg.max_local_ms = last;
    s_->firsts_.push_back(s_->shots_);
    s_->segments_.push_back(seg);
    s_->shots_ += seg.count;
    return absl::OkStatus();
  }

  Schedule* s_;
  int64_t offset_ms_ = 0;
  uint64_t instances_ = 0;
  uint64_t levels_ = 0;
  size_t total_levels_ = 0;
};

// ---- the hot path --------------------------------------------------------------------------

// Tank's time of local shot j relative to the segment's base, before saturation.
int64_t Schedule::LocalMs(const Segment& seg, uint64_t j) {
  const double jd = ToDouble(j);
  switch (seg.type) {
    case Segment::Type::kConst:
      return Trunc(jd * seg.x);
    case Segment::Type::kLine: {
      // solve_quadratic(a, b, c = −j): sqrt((b·b) − 4·a·c), root2 = (−b + disc) / (2·a).
      double q = seg.y * seg.y - 4.0 * seg.x * -jd;
      q = q > 0 ? q : 0;  // Tank: ValueError on a negative discriminant (rounding at the end)
      const double root2 = seg.z != 0 ? (-seg.y + std::sqrt(q)) / seg.z : jd / seg.y;
      return Trunc(root2 * 1000);
    }
    case Segment::Type::kAt:
      return 0;
    case Segment::Type::kRamp:
      if (seg.n == 1) {
        return 0;
      }
      // int(start_time + i·interval) with an int start: the sum is a float operation.
      return Trunc(static_cast<double>(seg.base_ms) + static_cast<double>(j + seg.skip) * seg.x) -
             seg.base_ms;
    case Segment::Type::kStair:
      return static_cast<int64_t>(j / seg.n + 1) * seg.span_ms;
  }
  return 0;
}

int64_t Schedule::SegmentMs(const Segment& seg, uint64_t j) {
  if (seg.type == Segment::Type::kConst) {  // the common case without the switch
    return seg.base_ms + TruncTo(ToDouble(j) * seg.x, seg.max_local_ms);
  }
  return seg.base_ms + std::clamp(LocalMs(seg, j), int64_t{0}, seg.max_local_ms);
}

// Shot j's ns; the same float operations as LocalMs for its ms. const and line inline, the
// instances-model segments out of line (keeps this function free of calls and spills).
inline int64_t Schedule::SegmentNs(const Segment& seg, uint64_t j) {
  const double jd = ToDouble(j);
  const int64_t base_ns = seg.base_ms * kNsPerMsL;
  if (seg.type == Segment::Type::kConst) {
    const int64_t local = TruncTo(jd * seg.x, seg.max_local_ms);
    return base_ns + ClampNs(TruncTo(jd * seg.y, kMaxNs), local, seg.span_ms * kNsPerMsL);
  }
  if (seg.type == Segment::Type::kLine) {
    double q = seg.y * seg.y - 4.0 * seg.x * -jd;
    q = q > 0 ? q : 0;
    const double disc = std::sqrt(q);
    const double root2 = seg.z != 0 ? (-seg.y + disc) / seg.z : jd / seg.y;
    const int64_t local = TruncTo(root2 * 1000, seg.max_local_ms);
    // The exact root without Tank's cancellation: τ = 2j / (A + √(A² + 2kj)); A + disc is
    // 0 only for j = 0 with A = 0 (then 0/0 → NaN → 0).
    const double tau_ns = (2e9 * jd) / (seg.y + disc);
    return base_ns + ClampNs(TruncTo(tau_ns, kMaxNs), local, seg.span_ms * kNsPerMsL);
  }
  return SegmentNsCold(seg, j);
}

int64_t Schedule::SegmentNsCold(const Segment& seg, uint64_t j) {
  const int64_t base_ns = seg.base_ms * kNsPerMsL;
  switch (seg.type) {
    case Segment::Type::kRamp: {
      const int64_t local = std::clamp(LocalMs(seg, j), int64_t{0}, seg.max_local_ms);
      int64_t precise = 0;
      if (seg.n > 1) {
        using i128 = __int128;
        precise = static_cast<int64_t>(static_cast<i128>(j + seg.skip) * seg.d_ns /
                                       static_cast<i128>(seg.n - 1));
      }
      return base_ns + ClampNs(precise, local, seg.d_ns);
    }
    case Segment::Type::kStair:
      return SegmentMs(seg, j) * kNsPerMsL;
    case Segment::Type::kAt:
    case Segment::Type::kConst:
    case Segment::Type::kLine:
      break;
  }
  return base_ns;
}

size_t Schedule::SegmentOf(uint64_t i) const {
  // The last segment whose first shot is ≤ i (segments are never empty; firsts_[0] = 0).
  // Branch-free halving: the compiler turns the select into a cmov.
  const uint64_t* base = firsts_.data();
  size_t n = firsts_.size();
  while (n > 1) {
    const size_t half = n / 2;
    base = base[half] <= i ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - firsts_.data());
}

int64_t Schedule::ShotNs(uint64_t i) const {
  DCHECK_HOT(i < shots_);
  const size_t k = SegmentOf(i);
  return SegmentNs(segments_[k], i - firsts_[k]);
}

void Schedule::ShotsNs(uint64_t first, uint64_t stride, size_t n, int64_t* out) const {
  DCHECK_HOT(stride != 0);
  uint64_t i = first;
  while (n != 0) {
    DCHECK_HOT(i < shots_);
    const size_t k = SegmentOf(i);
    const Segment& seg = segments_[k];
    const uint64_t j0 = i - firsts_[k];
    // This call's shots in this segment: j0, j0 + stride, ... < seg.count.
    const uint64_t left = (seg.count - 1 - j0) / stride + 1;
    const size_t m = left < n ? static_cast<size_t>(left) : n;
    if (seg.type == Segment::Type::kConst) {
      // SegmentNs's const branch with the segment's constants hoisted, and j converted
      // through int64_t: the same double for any j < kMaxShots, in one instruction.
      const double x = seg.x;
      const double y = seg.y;
      const int64_t max_local_ms = seg.max_local_ms;
      const int64_t base_ns = seg.base_ms * kNsPerMsL;
      const int64_t span_ns = seg.span_ms * kNsPerMsL;
      for (size_t q = 0; q < m; ++q) {
        const double jd = static_cast<double>(static_cast<int64_t>(j0 + stride * q));
        const int64_t local = TruncTo(jd * x, max_local_ms);
        out[q] = base_ns + ClampNs(TruncTo(jd * y, kMaxNs), local, span_ns);
      }
    } else {
      for (size_t q = 0; q < m; ++q) {
        out[q] = SegmentNs(seg, j0 + stride * q);
      }
    }
    out += m;
    n -= m;
    i += stride * m;
  }
}

int64_t Schedule::ShotMs(uint64_t i) const {
  DCHECK_HOT(i < shots_);
  const size_t k = SegmentOf(i);
  return SegmentMs(segments_[k], i - firsts_[k]);
}

uint64_t Schedule::InstancesAt(int64_t t_ns) const {
  if (shots_ == 0 || ShotNs(0) > t_ns) {
    return 0;
  }
  // The last segment whose first shot is due, then the last due shot inside it.
  size_t lo = 0;
  size_t hi = segments_.size();  // invariant: segment lo's first shot is due; hi is not
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (ShotNs(firsts_[mid]) <= t_ns) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  uint64_t a = firsts_[lo];                        // due
  uint64_t b = firsts_[lo] + segments_[lo].count;  // first index past the segment
  while (b - a > 1) {
    const uint64_t mid = a + (b - a) / 2;
    if (ShotNs(mid) <= t_ns) {
      a = mid;
    } else {
      b = mid;
    }
  }
  return a + 1;
}

// ---- the parser ----------------------------------------------------------------------------

namespace {

class Parser {
 public:
  Parser(std::string_view text, bool instances) : text_(text), instances_(instances) {}

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) {
      ++pos_;
    }
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }

  std::string StepList() const {
    return instances_ ? "const, line, step, once, pause, start, wait or ramp"
                      : "const, line, step, once or pause";
  }

  // name ws* '(' ws* arg (ws* ',' ws* arg)* ws* ')'
  absl::StatusOr<const StepSpec*> Name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsLetter(text_[pos_])) {
      ++pos_;
    }
    const std::string_view name = text_.substr(start, pos_ - start);
    for (const StepSpec& spec : kSpecs) {
      if (spec.name == name && (instances_ ? spec.instances : spec.rps)) {
        return &spec;
      }
    }
    if (name.empty()) {
      return ErrorAt(start, absl::StrCat("expected a step (", StepList(), ")"));
    }
    for (const StepSpec& spec : kSpecs) {
      if (spec.name == name) {
        return ErrorAt(start,
                       absl::StrCat("expected a step (", StepList(), "); '", std::string(name),
                                    "' exists only in the instances model"));
      }
    }
    return ErrorAt(
        start, absl::StrCat("expected a step (", StepList(), "), got '", std::string(name), "'"));
  }

  absl::Status Expect(char c, std::string_view what) {
    SkipSpace();
    if (AtEnd()) {
      return ErrorAt(pos_, absl::StrCat("expected ", std::string(what), " but the schedule ended"));
    }
    if (text_[pos_] != c) {
      return ErrorAt(pos_, absl::StrCat("expected ", std::string(what), ", got '",
                                        std::string(1, text_[pos_]), "'"));
    }
    ++pos_;
    return absl::OkStatus();
  }

  // A number: digits ['.' digits*] | '.' digits. Integer-only when `integer`.
  absl::StatusOr<Value> Number(std::string_view name, bool integer) {
    SkipSpace();
    Value v;
    v.column = pos_;
    const std::string what = integer
                                 ? absl::StrCat(std::string(name), " (a whole number such as 10)")
                                 : absl::StrCat(std::string(name), " (a number such as 10 or 2.5)");
    if (AtEnd()) {
      return ErrorAt(pos_, absl::StrCat("expected ", what, " but the schedule ended"));
    }
    if (text_[pos_] == '-') {
      return ErrorAt(pos_, absl::StrCat("expected ", what, "; negative numbers are not allowed"));
    }
    const size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) {
      ++pos_;
    }
    const size_t int_end = pos_;
    bool fraction = false;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      fraction = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) {
        ++pos_;
      }
    }
    if (pos_ == start || (int_end == start && pos_ == start + 1)) {
      return ErrorAt(start, absl::StrCat("expected ", what));
    }
    if (integer) {
      if (fraction) {
        return ErrorAt(start, absl::StrCat("expected ", what, "; fractions are not allowed"));
      }
      uint64_t n = 0;
      auto r = std::from_chars(text_.data() + start, text_.data() + pos_, n);
      if (r.ec != std::errc() || n > Schedule::kMaxShots) {
        return ErrorAt(start, absl::StrCat("expected ", what, " of at most 2^40"));
      }
      v.count = n;
      v.number = static_cast<double>(n);
      return v;
    }
    // Python's float(text): correctly rounded, like from_chars.
    double x = 0;
    auto r = std::from_chars(text_.data() + start, text_.data() + pos_, x);
    if (r.ec != std::errc() || !std::isfinite(x)) {
      return ErrorAt(start, absl::StrCat("expected ", what, " (this one is too large)"));
    }
    v.number = x;
    return v;
  }

  absl::StatusOr<Value> Duration() {
    SkipSpace();
    Value v;
    v.column = pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && !IsSpace(text_[pos_]) && text_[pos_] != ',' &&
           text_[pos_] != ')') {
      ++pos_;
    }
    const std::string_view token = text_.substr(start, pos_ - start);
    DurationDetail d = ParseDurationDetail(token);
    if (!d.error.empty()) {
      return ErrorAt(start + d.error_offset, d.error);
    }
    if (d.tank_syntax) {
      v.ms = d.tank_ms;
    } else if (d.ns % kNsPerMsL != 0) {
      return ErrorAt(start,
                     "expected a duration of whole milliseconds (the schedule's "
                     "timeline is Tank's, in ms; shot times inside steps are in ns)");
    } else {
      v.ms = d.ns / kNsPerMsL;
    }
    return v;
  }

 private:
  std::string_view text_;
  bool instances_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<Schedule> Schedule::Parse(std::string_view expr, LoadModel model) {
  if (model != LoadModel::kRps && model != LoadModel::kInstances) {
    return absl::InvalidArgumentError("a schedule is for the rps or the instances model");
  }
  const bool inst = model == LoadModel::kInstances;
  Schedule s;
  s.model_ = model;
  Builder b(&s);
  Parser p(expr, inst);
  p.SkipSpace();
  if (p.AtEnd()) {
    return ErrorAt(p.pos(), absl::StrCat("expected a step (", p.StepList(),
                                         "), e.g. line(1, 100, 1m) const(100, 5m)"));
  }
  while (!p.AtEnd()) {
    const size_t col = p.pos();
    ASSIGN_OR_RETURN(const StepSpec* spec, p.Name());
    RETURN_IF_ERROR(p.Expect('(', absl::StrCat("'(' after ", std::string(spec->name))));
    Value v[4];
    size_t nargs = 0;
    for (size_t k = 0; k < spec->nargs; ++k) {
      const Arg type = spec->args[k].type;
      const std::string_view name = spec->args[k].name;
      if (nargs > 0) {
        RETURN_IF_ERROR(p.Expect(
            ',', absl::StrCat("',' and the ", std::string(name), " of ", std::string(spec->name))));
      }
      if (type == Arg::kDuration) {
        ASSIGN_OR_RETURN(v[nargs], p.Duration());
      } else {
        // In the instances model every count is a whole number (Tank: \d+).
        ASSIGN_OR_RETURN(v[nargs], p.Number(name, type == Arg::kCount || inst));
      }
      ++nargs;
    }
    RETURN_IF_ERROR(
        p.Expect(')', absl::StrCat("')' closing ", std::string(spec->name), " (it takes ",
                                   spec->nargs, spec->nargs == 1 ? " argument)" : " arguments)")));
    ScheduleStep step;
    step.kind = spec->kind;
    step.text = std::string(expr.substr(col, p.pos() - col));
    StepInfo info;
    info.name = std::string(spec->name);
    info.first = b.shots();
    info.start_ns = b.offset_ms() * kNsPerMsL;

    const std::string_view name = spec->name;
    if (name == "const") {
      step.a = v[0].number;
      step.d_ns = v[1].ms * kNsPerMsL;
      RETURN_IF_ERROR(inst ? b.InstancesConst(v[0].count, v[1].ms, col)
                           : b.Const(v[0].number, v[1].ms, col));
    } else if (name == "line") {
      step.a = v[0].number;
      step.b = v[1].number;
      step.d_ns = v[2].ms * kNsPerMsL;
      RETURN_IF_ERROR(inst ? b.InstancesLine(v[0].count, v[1].count, v[2].ms, col)
                           : b.Line(v[0].number, v[1].number, v[2].ms, col));
    } else if (name == "step") {
      step.a = v[0].number;
      step.b = v[1].number;
      step.s = v[2].number;
      step.d_ns = v[3].ms * kNsPerMsL;
      RETURN_IF_ERROR(inst ? b.InstancesStep(v[0].count, v[1].count, v[2].count, v[3].ms, col)
                           : b.Stairway(v[0].number, v[1].number, v[2].number, v[3].ms, col));
      if (!inst) {
        info.levels = b.TakeLevels();
      }
    } else if (name == "once" || name == "start") {
      step.a = v[0].number;
      RETURN_IF_ERROR(inst ? b.Start(b.instances() + v[0].count, "start", col)
                           : b.Once(v[0].count, col));
    } else if (name == "pause" || name == "wait") {
      step.d_ns = v[0].ms * kNsPerMsL;
      RETURN_IF_ERROR(b.Advance(v[0].ms, col));
    } else if (name == "ramp") {
      // ramp(n, d) = line(cur + 1, cur + n, d); ramp(0, d) only waits, as in Tank.
      step.a = static_cast<double>(b.instances() + 1);
      step.b = static_cast<double>(b.instances() + v[0].count);
      step.d_ns = v[1].ms * kNsPerMsL;
      if (v[0].count > kMaxShots - b.instances()) {
        return ErrorAt(col, "expected at most 2^40 instances");
      }
      RETURN_IF_ERROR(b.Ramp(v[0].count, 0, v[1].ms, col));
    }
    if (inst) {
      info.levels = b.instances();
    }
    info.shots = b.shots() - info.first;
    info.span_ns = b.offset_ms() * kNsPerMsL - info.start_ns;
    s.steps_.push_back(std::move(step));
    s.info_.push_back(std::move(info));
    p.SkipSpace();
  }
  s.duration_ns_ = b.offset_ms() * kNsPerMsL;
  return s;
}

// ---- --summary -----------------------------------------------------------------------------

namespace {

// Shortest round-trip spelling; whole numbers as integers (1000000, not 1e+06).
void AppendNumber(std::string* out, double x) {
  char buf[32];
  std::to_chars_result r;
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(x));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, x);
  }
  out->append(buf, r.ptr);
}

}  // namespace

std::string Schedule::SummaryJson() const {
  const bool inst = model_ == LoadModel::kInstances;
  std::string out;
  absl::StrAppend(&out, "{\"model\":\"", inst ? "instances" : "rps", "\",\"shots\":", shots_,
                  ",\"duration_ns\":", duration_ns_, ",\"steps\":[");
  for (size_t k = 0; k < steps_.size(); ++k) {
    const ScheduleStep& st = steps_[k];
    const StepInfo& in = info_[k];
    if (k > 0) {
      out.push_back(',');
    }
    absl::StrAppend(&out, "{\"kind\":\"", in.name, "\",\"text\":");
    JsonWriter::AppendEscaped(&out, st.text);
    out.append(",\"args\":{");
    const std::string_view rate = inst ? "instances" : "rate";
    auto num = [&](std::string_view key, double x, bool comma) {
      absl::StrAppend(&out, comma ? "," : "", "\"", std::string(key), "\":");
      AppendNumber(&out, x);
    };
    switch (st.kind) {
      case ScheduleStep::Kind::kConst:
        num(rate, st.a, false);
        absl::StrAppend(&out, ",\"duration_ns\":", st.d_ns);
        break;
      case ScheduleStep::Kind::kLine:
      case ScheduleStep::Kind::kStep:
        num("from", st.a, false);
        num("to", st.b, true);
        if (st.kind == ScheduleStep::Kind::kStep) {
          num("step", st.s, true);
        }
        absl::StrAppend(&out, ",\"duration_ns\":", st.d_ns);
        break;
      case ScheduleStep::Kind::kOnce:
        num("count", st.a, false);
        break;
      case ScheduleStep::Kind::kPause:
        absl::StrAppend(&out, "\"duration_ns\":", st.d_ns);
        break;
    }
    absl::StrAppend(&out, "},\"shots\":", in.shots, ",\"start_ns\":", in.start_ns,
                    ",\"duration_ns\":", in.span_ns);
    if (inst) {
      absl::StrAppend(&out, ",\"instances\":", in.levels);
    } else if (st.kind == ScheduleStep::Kind::kStep) {
      absl::StrAppend(&out, ",\"levels\":", in.levels);
    }
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace incarne
