// Converters from a run directory to other tools' formats (docs/results.md "convert"):
// phout (Tank/pandora), JTL CSV (JMeter/Taurus), JSON lines, vegeta CSV, HdrHistogram
// interval log. Per-hit formats read `hits`; hlog reads `aggregates` (complete even when raw
// records were sampled).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "results/hit_record.h"
#include "results/hits_file.h"
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
  // Records that fail RecordLimits (hits_file.h) are left out and counted in a note, instead
  // of stopping the conversion with an error naming the first one's byte offset.
  bool skip_bad = false;
};

// Writes the conversion of run_dir. Everything is read and checked (every record, every
// aggregates block) before `open_output` is called, so a bad run creates no output at all.
// Notes (sampling, truncated input, skipped records) go to `notes` (one line each) for the
// caller to print on stderr.
absl::Status ConvertRun(const std::string& run_dir, const ConvertOptions& options,
                        const std::function<absl::StatusOr<FILE*>()>& open_output,
                        std::vector<std::string>* notes);
// The same into an open stream.
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
