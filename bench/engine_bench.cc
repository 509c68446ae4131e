// The engine's own cost, measured with the dummy nib (no network): how many hits one worker
// fires, records and publishes per second of its CPU, and how late it fires them.
//
//   build/bench/engine_bench                                  (or: scripts/bench-engine)
//   build/bench/engine_bench --benchmark_filter=DummyHits --benchmark_repetitions=5
//
// BM_DummyHits/<consumer>: one worker on the benchmark thread fires 4M shots that are all
// due (the schedule is far ahead of what a core can do), each completing at once; another
// thread consumes the result ring: 0 = a drain that only releases records, 1 = the real
// collector writing hits/aggregates into a temporary run directory. items_per_second is per
// second of the worker thread's CPU (Google Benchmark's default CPU time), i.e. per core.
//
// BM_ScheduleLag/<rate>: the worker fires `rate` shots per second for 1 s on its own clock;
// counters lag_p50_us / lag_p99_us are start − planned over every shot, cpu_pct the worker's
// CPU share (what batching wake-ups buys).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/nib_registry.h"
#include "engine/worker.h"
#include "plan/plan.h"
#include "results/collector.h"
#include "results/result_ring.h"
#include "util/clock.h"

namespace incarne {
namespace {

struct Periodic {
  int64_t period_ns;
};

int64_t PeriodicTime(const void* ctx, uint64_t i) {
  return static_cast<int64_t>(i) * static_cast<const Periodic*>(ctx)->period_ns;
}

int64_t AllDue(const void*, uint64_t) { return 0; }

struct DummySetup {
  Plan plan;
  std::unique_ptr<NibInstance> nib;
  EngineShared shared;

  DummySetup() {
    plan.target.nib = "dummy";
    auto found = FindNib("dummy");
    auto inst = NibInstance::Create(*found, plan, "", 1);
    nib = std::move(*inst);
    shared.nib = nib->nib();
    shared.nib_ctx = nib->context();
    shared.workers = 1;
    shared.instances = 1000;
  }
};

void BM_DummyHits(benchmark::State& state) {
  const bool collector = state.range(0) == 1;
  constexpr uint64_t kShots = 4'000'000;
  uint64_t dropped = 0;
  int64_t wall_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    DummySetup s;
    s.shared.shots = ShotSource{ShotSource::Model::kRps, &AllDue, nullptr, kShots};
    auto ring = ResultRing::Create(1 << 18, 0);
    std::string dir;
    std::unique_ptr<Collector> coll;
    std::atomic<bool> stop{false};
    std::thread drain;
    if (collector) {
      char tmpl[] = "/tmp/incarne-bench-XXXXXX";
      dir = mkdtemp(tmpl);
      CollectorOptions co;
      co.run_dir = dir;
      co.origin_realtime_ns = RealNs();
      co.origin_mono_ns = MonoNs();
      s.shared.origin_mono_ns = co.origin_mono_ns;
      auto c = Collector::Start(co, {&*ring});
      coll = std::move(*c);
    } else {
      s.shared.origin_mono_ns = MonoNs();
      drain = std::thread([&ring, &stop] {
        while (!stop.load(std::memory_order_acquire) || !ring->finished()) {
          ResultRing::Batch b = ring->Peek(1 << 16);
          if (b.size() == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            continue;
          }
          benchmark::DoNotOptimize(b.first.data());
          ring->Release(b.size());
        }
      });
    }
    WorkerOptions wo;
    wo.ring = &*ring;
    Worker w(&s.shared, wo);
    if (!w.Init().ok()) {
      state.SkipWithError("worker Init failed (io_uring?)");
      break;
    }
    state.ResumeTiming();
    const int64_t t0 = MonoNs();
    w.Run();
    state.PauseTiming();
    dropped += ring->header()->dropped.load();
    stop.store(true, std::memory_order_release);
    if (drain.joinable()) {
      drain.join();
    }
    if (coll != nullptr) {
      (void)coll->Finish();
    }
    wall_ns += MonoNs() - t0;  // until every record was consumed
    if (coll != nullptr) {
      coll.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kShots));
  // End to end: records that reached the consumer per wall second (the collector's pace when
  // it is the bottleneck; the rest is counted as ring_full, never silently lost).
  state.counters["recorded_per_s"] = static_cast<double>(state.iterations() * kShots - dropped) *
                                     1e9 / static_cast<double>(std::max<int64_t>(wall_ns, 1));
  state.counters["ring_full_pct"] =
      100.0 * static_cast<double>(dropped) / static_cast<double>(state.iterations() * kShots);
}
BENCHMARK(BM_DummyHits)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ScheduleLag(benchmark::State& state) {
  const int64_t rate = state.range(0);
  Periodic p{1'000'000'000 / rate};
  std::vector<int64_t> lags;
  double cpu_pct = 0;
  for (auto _ : state) {
    DummySetup s;
    s.shared.shots =
        ShotSource{ShotSource::Model::kRps, &PeriodicTime, &p, static_cast<uint64_t>(rate)};  // 1 s
    auto ring = ResultRing::Create(uint64_t{1} << 21, 0);
    s.shared.origin_mono_ns = MonoNs() + 1'000'000;
    WorkerOptions wo;
    wo.ring = &*ring;
    Worker w(&s.shared, wo);
    if (!w.Init().ok()) {
      state.SkipWithError("worker Init failed (io_uring?)");
      break;
    }
    w.Run();
    lags.clear();
    for (;;) {
      ResultRing::Batch b = ring->Peek(1 << 20);
      if (b.size() == 0) {
        break;
      }
      for (auto span : {b.first, b.second}) {
        for (const HitRecord& r : span) {
          lags.push_back(static_cast<int64_t>(r.start - r.planned));
        }
      }
      ring->Release(b.size());
    }
    cpu_pct = 100.0 * static_cast<double>(w.stats().cpu_ns) /
              static_cast<double>(std::max<int64_t>(w.stats().run_ns, 1));
  }
  if (!lags.empty()) {
    std::sort(lags.begin(), lags.end());
    state.counters["lag_p50_us"] = static_cast<double>(lags[lags.size() / 2]) / 1000.0;
    state.counters["lag_p99_us"] = static_cast<double>(lags[lags.size() * 99 / 100]) / 1000.0;
    state.counters["lag_max_us"] = static_cast<double>(lags.back()) / 1000.0;
    state.counters["shots"] = static_cast<double>(lags.size());
  }
  state.counters["cpu_pct"] = cpu_pct;
}
BENCHMARK(BM_ScheduleLag)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace incarne

BENCHMARK_MAIN();
