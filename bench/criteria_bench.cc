// Autostop's cost (docs/autostop.md "Cost"): what ten criteria add to the collector's work
// per hit. One iteration is one second of a run as the collector sees it — every hit of the
// second added to its per-second Stats (the per-hit work, the same with or without
// criteria), then the second judged by an Autostop holding 0 or 10 criteria.
//
//   build/bench/criteria_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Compare BM_SecondOfHits/<rate>/10 with /0: the ratio is the collector's CPU per hit with ten
// criteria over none (issue target: ≤ 1.01×); BM_Observe is the per-second cost alone.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "plan/criterion.h"
#include "results/criteria.h"

namespace incarne {
namespace {

// Ten criteria of every shape (per-second, cumulative, trend, percentiles, a tag), none of
// which fires on the traffic below, so every second runs all of them.
const char* const kTen[] = {
    "http(5xx,10%,3s)",          "net(xx,10%,3s)",
    "quantile(99,500ms,5s)",     "time(200ms,5s)",
    "total_time(300ms,70%,5s)",  "total_http(5xx,10%,10s)",
    "negative_http(2xx,50%,5s)", "http_trend(2xx,10s)",
    "instances(95%,10s)",        "limit(1h)",
};

std::unique_ptr<Autostop> MakeAutostop(int n) {
  std::vector<Criterion> cs;
  for (int i = 0; i < n; ++i) {
    cs.push_back(*ParseCriterion(kTen[i], true));
  }
  return std::make_unique<Autostop>(cs, std::vector<std::string>{""}, 1000);
}

// A mix of latencies (0.2–20 ms) and codes, deterministic.
std::vector<HitRecord> Hits(size_t n) {
  std::vector<HitRecord> v(n);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    HitRecord& r = v[i];
    r.planned = i * 1000;
    r.start = r.planned + x % 50'000;
    r.connected = r.sent = r.start + 10'000;
    r.first_byte = r.sent + 200'000 + x % 20'000'000;
    r.done = r.first_byte + 5'000;
    r.size_out = 100;
    r.size_in = 200;
    r.proto_code = i % 100 == 0 ? 503 : 200;
    r.net_code = i % 500 == 0 ? 110 : 0;
  }
  return v;
}

void BM_SecondOfHits(benchmark::State& state) {
  const auto rate = static_cast<size_t>(state.range(0));
  const std::unique_ptr<Autostop> as = MakeAutostop(static_cast<int>(state.range(1)));
  const std::vector<HitRecord> hits = Hits(rate);
  SecondStats s;
  s.inflight_max = 100;
  int64_t second = 0;
  for (auto _ : state) {
    s.overall.Clear();
    for (const HitRecord& r : hits) {
      s.overall.Add(r);
    }
    s.second = second++ % 3000;  // under limit(1h): never fires
    benchmark::DoNotOptimize(as->Observe(s));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rate));
}
BENCHMARK(BM_SecondOfHits)
    ->ArgsProduct({{1000, 10000, 100000}, {0, 10}})
    ->ArgNames({"rate", "criteria"});

void BM_Observe(benchmark::State& state) {
  const std::unique_ptr<Autostop> as = MakeAutostop(static_cast<int>(state.range(0)));
  const std::vector<HitRecord> hits = Hits(10000);
  SecondStats s;
  s.inflight_max = 100;
  for (const HitRecord& r : hits) {
    s.overall.Add(r);
  }
  int64_t second = 0;
  for (auto _ : state) {
    s.second = second++ % 3000;
    benchmark::DoNotOptimize(as->Observe(s));
  }
}
BENCHMARK(BM_Observe)->Arg(1)->Arg(10)->ArgName("criteria");

}  // namespace
}  // namespace incarne

BENCHMARK_MAIN();
