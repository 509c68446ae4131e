// `incarne plot` of a synthetic one-hour, 100-tag run (2000 hits/s, 20 per tag per second,
// latencies spread over ~1-50 ms): the CPU time to build the page from the aggregates and
// the page's size (counter page_bytes). Goals (docs/results.md §11): < 1 s, < 2 MB.
// BM_ReportOneHour is the floor: `incarne report` reading the same aggregates. Writing the run
// (~1.7 s, once, before the first timed loop) is not in either figure: the timers cover the
// loops only.
//   meson test -C build --benchmark --suite micro plot
//   build/bench/plot_bench --benchmark_filter=BM_PlotOneHour
//   PLOT_BENCH_PAGE=page.html build/bench/plot_bench ...  # keeps the page, to diff two builds
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "results/aggregates_file.h"
#include "results/hits_file.h"
#include "results/html_report.h"

namespace incarne {
namespace {

constexpr int kSeconds = 3600;
constexpr int kTags = 100;
constexpr int kHitsPerTagSecond = 20;

// Writes the run directory once (aggregates only) and returns its path.
const std::string& OneHourRun() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/incarne-plot-bench-XXXXXX";
    std::string d = mkdtemp(tmpl);
    RunMeta meta;
    meta.origin_realtime_ns = int64_t{1733500000} * 1000000000;
    meta.tags.push_back("");
    for (int t = 1; t <= kTags; ++t) {
      meta.tags.push_back(absl::StrCat("/api/case", t));
    }
    std::ofstream f(d + "/aggregates", std::ios::binary);
    f << EncodeRunHeader(kAggrMagic, meta);
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> latency_ms(1.0, 0.8);
    std::vector<Stats> tags(kTags + 1);
    for (int sec = 0; sec < kSeconds; ++sec) {
      SecondStats s;
      s.second = sec;
      s.planned = s.sent = kTags * kHitsPerTagSecond;
      s.inflight_max = 40;
      s.tags.assign(kTags + 1, nullptr);
      for (int t = 1; t <= kTags; ++t) {
        tags[t].Clear();
        for (int i = 0; i < kHitsPerTagSecond; ++i) {
          HitRecord r{};
          r.planned = static_cast<uint64_t>(sec) * 1000000000 + i * 49000000 + t * 1000;
          r.start = r.planned + 20000;
          r.connected = r.sent = r.start + 5000;
          r.done = r.planned + static_cast<uint64_t>(latency_ms(rng) * 1e6) + 30000;
          r.first_byte = r.done - 1000;
          r.size_out = 120;
          r.size_in = 900;
          r.tag = static_cast<uint16_t>(t);
          r.proto_code = i == 7 ? 404 : 200;
          tags[t].Add(r);
          s.overall.Add(r);
        }
        s.tags[t] = &tags[t];
      }
      f << EncodeSecondBlock(s);
    }
    return d;
  }();
  // The aggregates are ~60 MB: removed when the benchmark exits.
  static const struct Cleanup {
    ~Cleanup() {
      unlink((dir + "/aggregates").c_str());
      rmdir(dir.c_str());
    }
  } cleanup;
  return dir;
}

void BM_PlotOneHour(benchmark::State& state) {
  const std::string& dir = OneHourRun();
  size_t bytes = 0;
  for (auto _ : state) {
    auto page = BuildHtmlReport({dir});
    if (!page.ok()) {
      state.SkipWithError(std::string(page.status().message()).c_str());
      return;
    }
    bytes = page->size();
    benchmark::DoNotOptimize(page->data());
  }
  // PLOT_BENCH_PAGE=FILE keeps the page: pages of two builds must be byte-identical.
  if (const char* keep = getenv("PLOT_BENCH_PAGE"); keep != nullptr) {
    std::ofstream(keep, std::ios::binary) << *BuildHtmlReport({dir});
  }
  struct stat st;
  stat((dir + "/aggregates").c_str(), &st);
  state.counters["page_bytes"] = static_cast<double>(bytes);
  state.counters["aggregates_bytes"] = static_cast<double>(st.st_size);
}
BENCHMARK(BM_PlotOneHour)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// The floor: what `incarne report` spends reading the same aggregates into run totals.
void BM_ReportOneHour(benchmark::State& state) {
  const std::string& dir = OneHourRun();
  for (auto _ : state) {
    auto sum = LoadRunSummary(dir);
    benchmark::DoNotOptimize(sum.ok());
  }
}
BENCHMARK(BM_ReportOneHour)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
}  // namespace incarne

BENCHMARK_MAIN();
