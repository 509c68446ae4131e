#include "results/report.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "results/aggregates_file.h"
#include "results/collector.h"
#include "results/hits_file.h"
#include "util/errno_name.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr const char* kPercentileKeys[] = {"p50", "p75", "p90", "p95", "p99", "p99.9"};

void WritePercentilesUs(JsonWriter* j, const Histogram& h) {
  j->BeginObject();
  for (size_t i = 0; i < std::size(kReportPercentiles); ++i) {
    j->Key(kPercentileKeys[i]);
    j->Double(h.ValueAtPercentile(kReportPercentiles[i]) / 1e3);
  }
  j->Key("max");
  j->Double(h.max() / 1e3);
  j->Key("min");
  j->Double(h.min() / 1e3);
  j->Key("mean");
  j->Double(h.mean() / 1e3);
  j->Key("count");
  j->Uint(h.count());
  j->EndObject();
}

void WriteCodes(JsonWriter* j, const CodeCounts& c) {
  j->BeginObject();
  for (const auto& [code, n] : c.Sorted()) {
    j->Key(absl::StrCat(code));
    j->Uint(n);
  }
  j->EndObject();
}

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

double Rps(const Stats& s) {
  const uint64_t d = s.duration_ns();
  return d == 0 ? 0.0 : static_cast<double>(s.hits) / Seconds(d);
}

double MeanUs(uint64_t sum_ns, uint64_t n) {
  return n == 0 ? 0.0 : static_cast<double>(sum_ns) / static_cast<double>(n) / 1e3;
}

std::string Ms(uint64_t ns) { return absl::StrFormat("%.3f", static_cast<double>(ns) / 1e6); }

std::string UtcTime(int64_t unix_ns) {
  const time_t t = static_cast<time_t>(unix_ns / 1000000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return absl::StrFormat("%s.%03d UTC", buf, static_cast<int>((unix_ns / 1000000) % 1000));
}

std::string Percent(uint64_t a, uint64_t b) {
  return b == 0 ? "0.00%" : absl::StrFormat("%.2f%%", 100.0 * static_cast<double>(a) / b);
}

void HumanStats(std::string* out, std::string_view title, const Stats& s) {
  absl::StrAppendFormat(out, "%-16s hits %d  errors %d (%s)  net errors %d  %.3f s  %.1f rps\n",
                        std::string(title), s.hits, s.errors, Percent(s.errors, s.hits),
                        s.net_errors, Seconds(s.duration_ns()), Rps(s));
  if (s.hits == 0) {
    return;
  }
  absl::StrAppendFormat(out, "  %-26s", "ms");
  for (const char* k : kPercentileKeys) {
    absl::StrAppendFormat(out, " %9s", k);
  }
  absl::StrAppendFormat(out, " %9s %9s\n", "max", "mean");
  auto row = [&](std::string_view name, const Histogram& h) {
    absl::StrAppendFormat(out, "  %-26s", std::string(name));
    for (double p : kReportPercentiles) {
      absl::StrAppendFormat(out, " %9s", Ms(h.ValueAtPercentile(p)));
    }
    absl::StrAppendFormat(out, " %9s %9.3f\n", Ms(h.max()), h.mean() / 1e6);
  };
  row("latency (done - planned)", s.latency);
  row("uncorrected (done - start)", s.service);
  row("lag (start - planned)", s.lag);
  const uint64_t n = s.latency.count();
  absl::StrAppendFormat(out,
                        "  mean phases ms: connect %.3f  send %.3f  latency %.3f  receive %.3f\n",
                        MeanUs(s.connect_ns, n) / 1e3, MeanUs(s.send_ns, n) / 1e3,
                        MeanUs(s.latency_ns, n) / 1e3, MeanUs(s.receive_ns, n) / 1e3);
  absl::StrAppendFormat(out, "  bytes: out %d (%.1f/hit)  in %d (%.1f/hit)\n", s.bytes_out,
                        static_cast<double>(s.bytes_out) / s.hits, s.bytes_in,
                        static_cast<double>(s.bytes_in) / s.hits);
  std::string codes;
  for (const auto& [code, c] : s.proto_codes.Sorted()) {
    absl::StrAppendFormat(&codes, "%s%d: %d (%s)", codes.empty() ? "" : ", ", code, c,
                          Percent(c, s.hits));
  }
  absl::StrAppend(out, "  proto codes: ", codes, "\n");
  codes.clear();
  for (const auto& [code, c] : s.net_codes.Sorted()) {
    const std::string_view name = ErrnoName(code);
    absl::StrAppendFormat(&codes, "%s%d %s: %d (%s)", codes.empty() ? "" : ", ", code,
                          std::string(name), c, Percent(c, s.hits));
  }
  absl::StrAppend(out, "  net codes: ", codes, "\n");
}

}  // namespace

bool ShowTag(const RunMeta& meta, size_t i, const Stats& s) {
  return s.hits > 0 && (i != 0 || meta.tags.size() > 1);
}

static void WriteHistogramUs(JsonWriter* j, const Histogram& h) {
  j->BeginArray();
  if (h.count() > 0) {
    for (int i = h.lo_index(), hi = h.hi_index(); i <= hi; ++i) {
      if (h.count_at(i) != 0) {
        j->BeginArray();
        j->Double(std::min(Histogram::HighestAt(i), h.max()) / 1e3);
        j->Uint(h.count_at(i));
        j->EndArray();
      }
    }
  }
  j->EndArray();
}

void WriteStatsJson(JsonWriter* j, const Stats& s, bool histograms) {
  j->BeginObject();
  j->Key("hits");
  j->Uint(s.hits);
  j->Key("errors");
  j->Uint(s.errors);
  j->Key("net_errors");
  j->Uint(s.net_errors);
  j->Key("duration_s");
  j->Double(Seconds(s.duration_ns()), 6);
  j->Key("rps");
  j->Double(Rps(s), 3);
  j->Key("bytes_out");
  j->Uint(s.bytes_out);
  j->Key("bytes_in");
  j->Uint(s.bytes_in);
  j->Key("latency_us");
  WritePercentilesUs(j, s.latency);
  j->Key("service_us");
  WritePercentilesUs(j, s.service);
  j->Key("lag_us");
  WritePercentilesUs(j, s.lag);
  if (histograms) {
    j->Key("latency_hist_us");
    WriteHistogramUs(j, s.latency);
    j->Key("service_hist_us");
    WriteHistogramUs(j, s.service);
  }
  const uint64_t n = s.latency.count();
  j->Key("phases_mean_us");
  j->BeginObject();
  j->Key("connect");
  j->Double(MeanUs(s.connect_ns, n));
  j->Key("send");
  j->Double(MeanUs(s.send_ns, n));
  j->Key("latency");
  j->Double(MeanUs(s.latency_ns, n));
  j->Key("receive");
  j->Double(MeanUs(s.receive_ns, n));
  j->EndObject();
  j->Key("proto_codes");
  WriteCodes(j, s.proto_codes);
  j->Key("net_codes");
  WriteCodes(j, s.net_codes);
  j->Key("net_code_names");
  j->BeginObject();
  for (const auto& [code, c] : s.net_codes.Sorted()) {
    j->Key(absl::StrCat(code));
    j->String(ErrnoName(code));
  }
  j->EndObject();
  j->EndObject();
}

void WriteAutostopJson(JsonWriter* j, const AutostopVerdict& v) {
  j->BeginObject();
  j->Key("criterion");
  j->String(v.criterion);
  j->Key("second");
  j->Int(v.second);
  j->Key("since");
  j->Int(v.since);
  j->Key("explain");
  j->String(v.explain);
  j->Key("tank_rc");
  j->Int(v.tank_rc);
  j->Key("figures");
  j->BeginObject();
  for (const auto& [name, value] : v.figures) {
    j->Key(name);
    j->Double(value, 6);
  }
  j->EndObject();
  j->EndObject();
}

std::string SecondJsonLine(const SecondStats& s, const RunMeta& meta) {
  JsonWriter j;
  j.BeginObject();
  j.Key("second");
  j.Int(s.second);
  j.Key("ts");
  j.Double(static_cast<double>(s.unix_ns) / 1e9, 3);
  j.Key("planned");
  j.Uint(s.planned);
  j.Key("sent");
  j.Uint(s.sent);
  j.Key("inflight_max");
  j.Uint(s.inflight_max);
  j.Key("ring_dropped");
  j.Uint(s.ring_dropped);
  j.Key("late");
  j.Uint(s.late);
  j.Key("ring_wait_ms");
  j.Double(static_cast<double>(s.ring_wait_ns) / 1e6, 3);
  j.Key("overall");
  WriteStatsJson(&j, s.overall, true);
  j.Key("tags");
  j.BeginObject();
  for (size_t i = 0; i < s.tags.size() && i < meta.tags.size(); ++i) {
    if (s.tags[i] != nullptr && ShowTag(meta, i, *s.tags[i])) {
      j.Key(meta.tags[i]);
      WriteStatsJson(&j, *s.tags[i], true);
    }
  }
  j.EndObject();
  if (s.autostop != nullptr) {
    // Only on the second whose evaluation fired (docs/autostop.md).
    j.Key("autostop");
    WriteAutostopJson(&j, *s.autostop);
  }
  j.EndObject();
  std::string line = j.Take();
  line.push_back('\n');
  return line;
}

std::string LiveLine(const SecondStats& s) {
  const Stats& o = s.overall;
  std::string line = absl::StrFormat(
      "[%5ds] rps planned %d sent %d done %d | in flight %d | p50 %sms p99 %sms | errors %s | "
      "lag p99 %sms",
      s.second + 1, s.planned, s.sent, o.hits, s.inflight_max, Ms(o.latency.ValueAtPercentile(50)),
      Ms(o.latency.ValueAtPercentile(99)), Percent(o.errors, o.hits),
      Ms(o.lag.ValueAtPercentile(99)));
  if (s.ring_dropped > 0) {
    absl::StrAppend(&line, " | LOST ", s.ring_dropped, " raw records (ring full)");
  }
  if (s.ring_wait_ns >= 1'000'000) {
    absl::StrAppend(&line, " | STALL ", s.ring_wait_ns / 1'000'000, "ms (ring full)");
  }
  return line;
}

std::string RenderReport(const RunSummary& sum, bool json) {
  const Stats& o = sum.overall;
  const int64_t start_unix_ns =
      sum.meta.origin_realtime_ns + (o.hits > 0 ? static_cast<int64_t>(o.min_start) : 0);
  if (json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("hits");
    j.Uint(o.hits);
    j.Key("duration_s");
    j.Double(Seconds(o.duration_ns()), 6);
    j.Key("rps");
    j.Double(Rps(o), 3);
    j.Key("errors");
    j.Uint(o.errors);
    j.Key("start_unix");
    j.Double(static_cast<double>(start_unix_ns) / 1e9, 6);
    j.Key("origin_unix");
    j.Double(static_cast<double>(sum.meta.origin_realtime_ns) / 1e9, 6);
    j.Key("shard");
    j.Uint(sum.meta.shard);
    j.Key("shards");
    j.Uint(sum.meta.shards);
    j.Key("workers");
    j.Uint(sum.meta.workers);
    j.Key("planned");
    j.Uint(sum.planned);
    j.Key("sent");
    j.Uint(sum.sent);
    // Shots planned before the end (or the stop) that were never fired (docs/results.md §5).
    j.Key("unsent");
    j.Uint(sum.planned > sum.sent ? sum.planned - sum.sent : 0);
    j.Key("inflight_max");
    j.Uint(sum.inflight_max);
    j.Key("ring_dropped");
    j.Uint(sum.ring_dropped);
    j.Key("late");
    j.Uint(sum.late);
    j.Key("ring_wait_ms");
    j.Double(static_cast<double>(sum.ring_wait_ns) / 1e6, 3);
    j.Key("seconds");
    j.Uint(sum.seconds);
    j.Key("hits_kept");
    j.BeginObject();
    j.Key("mode");
    j.String(sum.meta.keep_mixed ? "mixed" : KeepName(sum.meta.keep));
    j.Key("written");
    j.Uint(sum.hits_written);
    j.EndObject();
    j.Key("overall");
    WriteStatsJson(&j, o);
    j.Key("tags");
    j.BeginObject();
    for (size_t i = 0; i < sum.tags.size() && i < sum.meta.tags.size(); ++i) {
      if (ShowTag(sum.meta, i, sum.tags[i].get())) {
        j.Key(sum.meta.tags[i]);
        WriteStatsJson(&j, sum.tags[i].get());
      }
    }
    j.EndObject();
    if (sum.autostop.has_value()) {
      // Only when autostop stopped the run (docs/autostop.md).
      j.Key("autostop");
      WriteAutostopJson(&j, *sum.autostop);
    }
    j.Key("run_id");  // "" for runs written before run ids (version-1 run files)
    j.String(sum.meta.run_id == 0 ? std::string() : RunIdText(sum.meta.run_id));
    j.EndObject();
    std::string s = j.Take();
    s.push_back('\n');
    return s;
  }
  std::string out;
  absl::StrAppendFormat(&out, "start            %s  (shard %d/%d, %d workers)\n",
                        UtcTime(start_unix_ns), sum.meta.shard, sum.meta.shards, sum.meta.workers);
  absl::StrAppendFormat(&out, "shots            planned %d  sent %d  max in flight %d\n",
                        sum.planned, sum.sent, sum.inflight_max);
  absl::StrAppendFormat(
      &out, "raw records      %s, %d written to hits\n",
      sum.meta.keep_mixed ? std::string("mixed (merged runs)") : KeepName(sum.meta.keep),
      sum.hits_written);
  if (sum.autostop.has_value()) {
    absl::StrAppendFormat(&out, "AUTOSTOP         %s fired at second %d: %s\n",
                          sum.autostop->criterion, sum.autostop->second, sum.autostop->explain);
  }
  if (sum.planned > sum.sent) {
    absl::StrAppendFormat(&out, "WARNING          %d planned shots were never fired (unsent)\n",
                          sum.planned - sum.sent);
  }
  if (sum.ring_dropped > 0) {
    absl::StrAppendFormat(&out,
                          "WARNING          %d records lost to full result rings (raw records: "
                          "their hits are in every figure below, not in hits or phout)\n",
                          sum.ring_dropped);
  }
  if (sum.ring_wait_ns > 0) {
    absl::StrAppendFormat(&out,
                          "WARNING          workers waited %.3f s for result-ring space "
                          "(generator stall: the collector could not keep up)\n",
                          static_cast<double>(sum.ring_wait_ns) / 1e9);
  }
  if (sum.late > 0) {
    absl::StrAppendFormat(&out,
                          "note             %d records arrived after their second was "
                          "written (counted in a later second)\n",
                          sum.late);
  }
  out.push_back('\n');
  HumanStats(&out, "overall", o);
  for (size_t i = 0; i < sum.tags.size() && i < sum.meta.tags.size(); ++i) {
    if (ShowTag(sum.meta, i, sum.tags[i].get())) {
      out.push_back('\n');
      HumanStats(&out, absl::StrCat("tag \"", sum.meta.tags[i], "\""), sum.tags[i].get());
    }
  }
  return out;
}

absl::StatusOr<std::string> RenderReport(const std::string& run_dir, bool json) {
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(RunSummary sum, LoadRunSummary(run_dir, &warnings));
  // summary.json is written (atomically) only when a run finishes: without it the run was
  // killed or is still going, and its figures stop where its data stops.
  struct stat st;
  const bool complete = stat((run_dir + "/summary.json").c_str(), &st) == 0;
  std::string incomplete;
  if (!complete) {
    const Stats& o = sum.overall;
    const int64_t until_ns = sum.meta.origin_realtime_ns + static_cast<int64_t>(o.max_done);
    incomplete = absl::StrCat(
        "incomplete run: ", run_dir, " has no summary.json (killed, crashed or still running); ",
        o.hits > 0 ? absl::StrCat("it has data until ", UtcTime(until_ns), " (",
                                  absl::StrFormat("%.3f", static_cast<double>(o.max_done) / 1e9),
                                  " s after the origin)")
                   : std::string("it has no hits yet"));
    warnings.push_back(incomplete);
  }
  for (const std::string& w : warnings) {
    std::fprintf(stderr, "incarne: warning: %s\n", w.c_str());
  }
  std::string out = RenderReport(sum, json);
  if (!complete && !json) {
    out.insert(0, absl::StrCat("INCOMPLETE RUN   ", incomplete.substr(16), "\n"));
  }
  return out;
}

}  // namespace incarne
