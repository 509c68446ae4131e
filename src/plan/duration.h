// Durations as users write them: "1h30m", "90s", "1.5m", "500ms", "2d", "250us", "10ns",
// a bare number = seconds. Components must be in decreasing unit order, each at most once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace incarne {

// Returns nanoseconds. On error: InvalidArgument "column N: expected ..." (1-based column
// within `text`), so callers can prefix their own file:line.
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// Shortest exact spelling: 90000000000 → "1m30s", 1500000 → "1500us", 0 → "0s".
std::string FormatDuration(int64_t ns);

// What ParseDuration computes, in detail, for callers that need more than the nanoseconds
// (the schedule parser: it re-bases error columns and needs Tank's millisecond value).
struct DurationDetail {
  int64_t ns = 0;  // exact value, sub-nanosecond fractions truncated
  // Yandex.Tank's value for the same text: each component converted on its own as
  // int(float(number) * unit_seconds * 1000) — float arithmetic, truncated to whole ms — and
  // summed (Tank's stepper/util.py parse_duration). `1.005s` is 1004 ms there. Meaningful
  // only when tank_syntax is true.
  int64_t tank_ms = 0;
  bool tank_syntax = false;  // only d, h, m, s and bare-number components: Tank can read it
  // Empty on success; otherwise what was expected, found at 0-based byte error_offset.
  std::string error;
  size_t error_offset = 0;
};

// Never fails loudly: the error, if any, is in the result. Accepts exactly the language of
// ParseDuration (no surrounding whitespace, no sign).
DurationDetail ParseDurationDetail(std::string_view text);

}  // namespace incarne
