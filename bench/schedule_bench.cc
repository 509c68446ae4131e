// Cost of one planned time on the hot path: Schedule::ShotNs / ShotMs over big schedules.
//   meson test -C build --benchmark --suite micro schedule
//   build/bench/schedule_bench --benchmark_filter=Line --benchmark_repetitions=5
// Goal (set with the stepper, commit ce92a59): ≤ 20 ns per shot. Sequential = how a worker
// walks its slice; random = a cold lookup anywhere (binary search over segments + the formula).
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "plan/schedule.h"

namespace incarne {
namespace {

Schedule Make(const char* expr) {
  absl::StatusOr<Schedule> s = Schedule::Parse(expr, LoadModel::kRps);
  if (!s.ok()) {
    std::abort();
  }
  return *std::move(s);
}

// A 10-hour ramp to 10^6 rps: 1.8·10^10 shots, one segment.
const char kLine[] = "line(1, 1000000, 10h)";
// 10^5 rps for 10 h: 3.6·10^9 shots, one segment.
const char kConst[] = "const(100000, 10h)";
// A realistic composite: ramp, hold, stairs down (23 segments).
const char kComposite[] =
    "line(1, 50000, 10m) const(50000, 1h) step(50000, 1000, 2500, 1m) const(1000, 1h)";

void Sequential(benchmark::State& state, const char* expr, bool ms) {
  const Schedule s = Make(expr);
  const uint64_t n = s.shots();
  uint64_t i = 0;
  // Stride over the whole schedule so both ends are visited.
  const uint64_t step = n / (uint64_t{1} << 24) + 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ms ? s.ShotMs(i) : s.ShotNs(i));
    i += step;
    if (i >= n) {
      i -= n;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void Random(benchmark::State& state, const char* expr) {
  const Schedule s = Make(expr);
  std::mt19937_64 rng(42);
  std::vector<uint64_t> idx(1 << 16);
  for (uint64_t& x : idx) {
    x = rng() % s.shots();
  }
  size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.ShotNs(idx[k]));
    k = (k + 1) & (idx.size() - 1);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// Consecutive shots, as one worker of one walks its slice (stride 1).
void Walk(benchmark::State& state, const char* expr) {
  const Schedule s = Make(expr);
  const uint64_t n = s.shots();
  uint64_t i = n / 3;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.ShotNs(i));
    if (++i == n) {
      i = 0;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_LineShotNsSequential(benchmark::State& state) { Sequential(state, kLine, false); }
void BM_LineShotNsWalk(benchmark::State& state) { Walk(state, kLine); }
void BM_LineShotNsRandom(benchmark::State& state) { Random(state, kLine); }
void BM_LineShotMsSequential(benchmark::State& state) { Sequential(state, kLine, true); }
void BM_ConstShotNsSequential(benchmark::State& state) { Sequential(state, kConst, false); }
void BM_ConstShotNsWalk(benchmark::State& state) { Walk(state, kConst); }
void BM_ConstShotNsRandom(benchmark::State& state) { Random(state, kConst); }
void BM_CompositeShotNsWalk(benchmark::State& state) { Walk(state, kComposite); }
void BM_CompositeShotNsRandom(benchmark::State& state) { Random(state, kComposite); }

void BM_ParseComposite(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Schedule::Parse(kComposite, LoadModel::kRps));
  }
}

BENCHMARK(BM_LineShotNsSequential);
BENCHMARK(BM_LineShotNsWalk);
BENCHMARK(BM_LineShotNsRandom);
BENCHMARK(BM_LineShotMsSequential);
BENCHMARK(BM_ConstShotNsSequential);
BENCHMARK(BM_ConstShotNsWalk);
BENCHMARK(BM_ConstShotNsRandom);
BENCHMARK(BM_CompositeShotNsWalk);
BENCHMARK(BM_CompositeShotNsRandom);
BENCHMARK(BM_ParseComposite);

}  // namespace
}  // namespace incarne

BENCHMARK_MAIN();
