// Durations as users write them: "1h30m", "90s", "1.5m", "500ms", "2d", "250us", "10ns",
// a bare number = seconds. Components must be in decreasing unit order, each at most once.
#pragma once

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

}  // namespace incarne
