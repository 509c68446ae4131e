// Converters from a run directory to other tools' formats (docs/results.md "convert"):
// phout (Tank/pandora), JTL CSV (JMeter/Taurus), JSON lines, vegeta CSV, HdrHistogram
// interval log. Per-hit formats read `hits`; hlog reads `aggregates` (complete even when raw
// records were sampled).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "results/hit_record.h"
#include "results/stats.h"

namespace incarne {

enum class ConvertFormat { kPhout, kJtl, kJsonl, kVegeta, kHlog };
absl::StatusOr<ConvertFormat> ParseConvertFormat(std::string_view name);

struct ConvertOptions {
  ConvertFormat format = ConvertFormat::kPhout;
  // jtl / vegeta / jsonl: time hits from the planned time (coordinated-omission-correct)
  // instead of the start. phout always follows phantom (start).
  bool corrected = false;
  // hlog: which histogram: "latency" (done − planned), "service" (done − start), "lag".
  std::string hlog_histogram = "latency";
};

// Writes the conversion of run_dir to `out`. Notes (sampling, truncated input) go to
// `notes` (one line each) for the caller to print on stderr.
absl::Status ConvertRun(const std::string& run_dir, const ConvertOptions& options, FILE* out,
                        std::vector<std::string>* notes);

// ---- phout line formatting, shared with the collector's live phout.log ----

// A tag as phout can carry it: TAB, CR and LF become '_'.
std::string PhoutTag(std::string_view tag);

// Longest phout line for a tag of `tag_len` bytes.
inline constexpr size_t PhoutLineMax(size_t tag_len) { return tag_len + 12 * 21 + 16; }

// Formats one phout line (12 TAB-separated fields, LF) for `r` at `out`, which must have
// PhoutLineMax(tag.size()) bytes free; returns the end. Time = origin + start as
// "<unix s>.<ms>" (truncated); µs fields come from truncated offsets from start so that
// connect + send + latency + receive == interval_real exactly; interval_event =
// interval_real.
char* FormatPhoutLine(const HitRecord& r, int64_t origin_realtime_ns, std::string_view tag,
                      char* out);

// Decimal digits of v at p; returns the end.
char* AppendU64(uint64_t v, char* p);

}  // namespace incarne
