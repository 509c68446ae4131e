// Text renderings of aggregates: the report (human and --json), stats.jsonl lines and the
// live line. Formats are specified in docs/results.md. Control plane (collector thread or
// tools), never per hit.
#pragma once

#include <string>

#include "results/stats.h"
#include "util/json_writer.h"

namespace incarne {

// Percentiles every report shows (plus max).
inline constexpr double kReportPercentiles[] = {50, 75, 90, 95, 99, 99.9};

// STATS object of docs/design.md §5 (hits, errors, latency_us, service_us, lag_us, proto_codes,
// net_codes, and more fields). With `histograms`, also "latency_hist_us" and
// "service_hist_us": [[value µs, count], ...] over the non-empty buckets (stats.jsonl).
void WriteStatsJson(JsonWriter* j, const Stats& s, bool histograms = false);

// The autostop verdict object of summary.json and stats.jsonl: {"criterion", "second", "since",
// "explain", "tank_rc", "figures": {...}} (docs/autostop.md).
void WriteAutostopJson(JsonWriter* j, const AutostopVerdict& v);

// One stats.jsonl line (with the trailing newline); the second autostop fired on also has
// "autostop" (the verdict object) as its last member.
std::string SecondJsonLine(const SecondStats& s, const RunMeta& meta);

// The live console line for a finished second (no newline / carriage return).
std::string LiveLine(const SecondStats& s);

// Whether tag `i` gets its own entry in reports: it has hits, and the untagged tag 0 only
// when the run has named tags too.
bool ShowTag(const RunMeta& meta, size_t i, const Stats& s);

}  // namespace incarne
