// libFuzzer target: ParseDuration must accept or reject any input without crashing, and
// every accepted duration must round-trip: ParseDuration(FormatDuration(ns)) == ns; the
// detailed parse must agree with the plain one.
//   tests/fuzz/run-fuzz build/tests/fuzz/duration_fuzz tests/fuzz/corpus/duration
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plan/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<int64_t> ns = incarne::ParseDuration(text);
  const incarne::DurationDetail d = incarne::ParseDurationDetail(text);
  if (ns.ok() != d.error.empty()) {
    std::fprintf(stderr, "duration_fuzz: ParseDuration and ParseDurationDetail disagree\n");
    std::abort();
  }
  if (!ns.ok()) {
    if (d.error_offset > text.size()) {
      std::fprintf(stderr, "duration_fuzz: error offset %zu past the end\n", d.error_offset);
      std::abort();
    }
    return 0;
  }
  if (*ns < 0 || *ns != d.ns || (d.tank_syntax && d.tank_ms < 0)) {
    std::fprintf(stderr, "duration_fuzz: bad value %lld\n", static_cast<long long>(*ns));
    std::abort();
  }
  const std::string again = incarne::FormatDuration(*ns);
  const absl::StatusOr<int64_t> back = incarne::ParseDuration(again);
  if (!back.ok() || *back != *ns) {
    std::fprintf(stderr, "duration_fuzz: %lld → %s does not round-trip\n",
                 static_cast<long long>(*ns), again.c_str());
    std::abort();
  }
  return 0;
}
