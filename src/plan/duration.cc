#include "plan/duration.h"

#include <charconv>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incarne {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
  int rank;           // position in the decreasing order; a bare number ranks as seconds
  int64_t tank_mult;  // Tank's multiplier (seconds) or 0 when Tank does not know the unit
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr Unit kUnits[] = {
    {"d", 86400LL * 1000000000LL, 0, 86400},
    {"h", 3600LL * 1000000000LL, 1, 3600},
    {"ms", 1000000LL, 4, 0},
    {"m", 60LL * 1000000000LL, 2, 60},
    {"s", 1000000000LL, 3, 1},
    {"us", 1000LL, 5, 0},
    {"ns", 1LL, 6, 0},
};
constexpr int kBareRank = 3;  // a bare number means seconds and must come where seconds may

constexpr char kExpectedDuration[] =
    "expected a duration such as 90s, 1m30s, 1.5m or 500ms (units d h m s ms us ns)";
constexpr char kExpectedUnit[] =
    "expected a unit (d, h, m, s, ms, us, ns) or the end of the duration";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Tank's int(): truncation toward zero; saturating so that absurd inputs cannot trigger UB.
int64_t TruncToInt64(double x) {
  if (!(x == x)) {
    return 0;
  }
  if (x >= 9.2e18) {
    return std::numeric_limits<int64_t>::max();
  }
  if (x <= -9.2e18) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(x);
}

DurationDetail Fail(size_t offset, std::string what) {
  DurationDetail d;
  d.error = std::move(what);
  d.error_offset = offset;
  return d;
}

}  // namespace

DurationDetail ParseDurationDetail(std::string_view text) {
  if (text.empty()) {
    return Fail(0, kExpectedDuration);
  }
  using u128 = unsigned __int128;
  constexpr u128 kMax = static_cast<u128>(std::numeric_limits<int64_t>::max());
  u128 total = 0;
  int64_t tank_ms = 0;
  bool tank_syntax = true;
  int last_rank = -1;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t number_start = pos;
    if (text[pos] == '-') {
      return Fail(pos, "expected a duration; negative durations are not allowed");
    }
    // number := digits [ '.' digits* ] | '.' digits
    size_t int_begin = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      ++pos;
    }
    size_t int_end = pos;
    size_t frac_begin = pos;
    size_t frac_end = pos;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      frac_begin = pos;
      while (pos < text.size() && IsDigit(text[pos])) {
        ++pos;
      }
      frac_end = pos;
    }
    if (int_end == int_begin && frac_end == frac_begin) {
      return Fail(number_start,
                  number_start == 0
                      ? std::string(kExpectedDuration)
                      : "expected a number (the next component) or the end of the duration");
    }
    // Unit (or none: a bare number, seconds, only as the last component).
    const Unit* unit = nullptr;
    const size_t unit_start = pos;
    for (const Unit& u : kUnits) {
      if (text.substr(pos, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    int rank = kBareRank;
    int64_t unit_ns = 1000000000LL;
    int64_t tank_mult = 1;
    if (unit != nullptr) {
      rank = unit->rank;
      unit_ns = unit->ns;
      tank_mult = unit->tank_mult;
      pos += unit->name.size();
      if (tank_mult == 0) {
        tank_syntax = false;
      }
    } else if (pos < text.size()) {
      if (text[pos] == '.') {
        return Fail(pos, "expected a unit; a number has at most one '.'");
      }
      return Fail(pos, kExpectedUnit);
    }
    if (rank <= last_rank) {
      return Fail(number_start,
                  "expected units in decreasing order (d h m s ms us ns), each at most once");
    }
    last_rank = rank;

    // Exact value: integer part · unit + fraction · unit, truncated to whole ns.
    if (int_end - int_begin > 20) {
      // Skip leading zeros before judging the size.
      while (int_begin < int_end - 1 && text[int_begin] == '0') {
        ++int_begin;
      }
      if (int_end - int_begin > 20) {
        return Fail(number_start, "expected a smaller duration (at most 292 years)");
      }
    }
    u128 whole = 0;
    for (size_t i = int_begin; i < int_end; ++i) {
      whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
    }
    if (whole > kMax) {
      return Fail(number_start, "expected a smaller duration (at most 292 years)");
    }
    u128 value = whole * static_cast<u128>(unit_ns);
    // Fraction, exactly floor(0.d1d2…dn · unit) for any number of digits: Horner from the
    // last digit, r = floor((d_i · unit + r) / 10); the nested floors equal the outer one.
    uint64_t frac_ns = 0;
    for (size_t i = frac_end; i > frac_begin; --i) {
      const uint64_t digit = static_cast<uint64_t>(text[i - 1] - '0');
      frac_ns = (digit * static_cast<uint64_t>(unit_ns) + frac_ns) / 10;
    }
    value += frac_ns;
    total += value;
    if (total > kMax) {
      return Fail(number_start, "expected a smaller duration (at most 292 years)");
    }

    if (tank_syntax) {
      double x = 0;
      std::from_chars(text.data() + number_start, text.data() + unit_start, x);
      // Python: float(time) * multipliers[unit] * 1000 (left to right), or float(time) * 1000.
      double ms = unit != nullptr ? x * static_cast<double>(tank_mult) * 1000.0 : x * 1000.0;
      tank_ms += TruncToInt64(ms);  // bounded: total ≤ int64 max ns, so each term ≤ 9.3e12
    }
  }
  DurationDetail d;
  d.ns = static_cast<int64_t>(total);
  d.tank_syntax = tank_syntax;
  d.tank_ms = tank_syntax ? tank_ms : 0;
  return d;
}

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  DurationDetail d = ParseDurationDetail(text);
  if (!d.error.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("column ", d.error_offset + 1, ": ", d.error));
  }
  return d.ns;
}

std::string FormatDuration(int64_t ns) {
  std::string out;
  uint64_t v;
  if (ns < 0) {
    out = "-";
    v = static_cast<uint64_t>(-(ns + 1)) + 1;  // safe for INT64_MIN
  } else {
    v = static_cast<uint64_t>(ns);
  }
  if (v == 0) {
    return "0s";
  }
  constexpr uint64_t kSec = 1000000000ULL;
  uint64_t secs = v / kSec;
  const uint64_t sub = v % kSec;
  const uint64_t days = secs / 86400;
  secs %= 86400;
  const uint64_t hours = secs / 3600;
  secs %= 3600;
  const uint64_t minutes = secs / 60;
  secs %= 60;
  if (days != 0) {
    absl::StrAppend(&out, days, "d");
  }
  if (hours != 0) {
    absl::StrAppend(&out, hours, "h");
  }
  if (minutes != 0) {
    absl::StrAppend(&out, minutes, "m");
  }
  if (secs != 0) {
    absl::StrAppend(&out, secs, "s");
  }
  // The sub-second part in the largest unit that keeps it an integer: 1.5 ms is "1500us".
  if (sub != 0) {
    if (sub % 1000000 == 0) {
      absl::StrAppend(&out, sub / 1000000, "ms");
    } else if (sub % 1000 == 0) {
      absl::StrAppend(&out, sub / 1000, "us");
    } else {
      absl::StrAppend(&out, sub, "ns");
    }
  }
  return out;
}

}  // namespace incarne
