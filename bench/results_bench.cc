// Results micro-benchmarks: ring push+pop, the collector draining 2 producers into a run
// directory, convert --to phout, histogram recording.
//   meson test -C build --benchmark --suite micro   (or build/bench/results_bench directly)
// The collector and convert benchmarks write to $TMPDIR (default /tmp).
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "results/collector.h"
#include "results/convert.h"
#include "results/histogram.h"
#include "results/hits_file.h"
#include "results/result_ring.h"

namespace incarne {
namespace {

int64_t CpuNow(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t MonoNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string TempDir() {
  const char* base = getenv("TMPDIR");
  std::string t = std::string(base != nullptr ? base : "/tmp") + "/incarne-bench-XXXXXX";
  if (mkdtemp(t.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return t;
}

void RemoveDir(const std::string& d) {
  for (const char* f : {"hits", "aggregates", "stats.jsonl", "summary.json", "phout.log"}) {
    unlink((d + "/" + f).c_str());
  }
  rmdir(d.c_str());
}

// A realistic record: ~1 ms latency, 10 k rps per worker, 3 tags, 1 % errors.
HitRecord Record(uint8_t w, uint64_t i) {
  HitRecord r{};
  r.worker = w;
  r.tag = static_cast<uint16_t>(i % 3);
  r.planned = i * 100000;
  r.start = r.planned + (i % 17) * 1000;
  r.connected = r.start;
  r.sent = r.start + 2000;
  r.first_byte = r.sent + 800000 + (i * 7919) % 400000;
  r.done = r.first_byte + 10000;
  r.size_out = 120;
  r.size_in = 1200;
  r.proto_code = i % 100 == 0 ? 503 : 200;
  r.flags = kHitReused;
  return r;
}

// Push + Peek/Release on one thread, batches of 32: the ring's own cost per record.
void BM_RingPushPop(benchmark::State& state) {
  auto ring = ResultRing::Create(65536, 0);
  const HitRecord r = Record(0, 1);
  for (auto _ : state) {
    for (int i = 0; i < 32; ++i) {
      ring->Push(r);
    }
    const ResultRing::Batch b = ring->Peek(32);
    benchmark::DoNotOptimize(b.first.data());
    ring->Release(b.size());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_RingPushPop);

// Producer on this thread, consumer (Peek/Release, touching each record) on another.
void BM_RingSpscTwoThreads(benchmark::State& state) {
  auto ring = ResultRing::Create(65536, 0);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> consumed{0};
  std::thread consumer([&] {
    uint64_t sum = 0, n = 0;
    while (true) {
      const bool stopping = stop.load(std::memory_order_acquire);
      const ResultRing::Batch b = ring->Peek(4096);
      if (b.size() == 0 && stopping) {
        break;
      }
      for (const HitRecord& x : b.first) {
        sum += x.done;
      }
      for (const HitRecord& x : b.second) {
        sum += x.done;
      }
      ring->Release(b.size());
      n += b.size();
    }
    benchmark::DoNotOptimize(sum);
    consumed.store(n);
  });
  uint64_t pushed = 0;
  uint64_t cached_tail = 0;  // like the ring's own Push: read the consumer's line only when full
  HitRecord r = Record(0, 1);
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) {
      while (pushed - cached_tail >= ring->capacity()) {
        ring->Publish();
        cached_tail = ring->header()->tail.load(std::memory_order_acquire);
      }
      r.done = pushed;
      ring->Push(r);
      ++pushed;
    }
  }
  ring->Publish();
  stop.store(true);
  consumer.join();
  state.SetItemsProcessed(static_cast<int64_t>(pushed));
  state.counters["consumed"] = static_cast<double>(consumed.load());
}
BENCHMARK(BM_RingSpscTwoThreads)->UseRealTime();

// The collector: 2 producer threads → rings → hits (writev) + per-second aggregates.
// Producers never drop: they wait for room, so the figure is the collector's throughput.
void BM_CollectorTwoProducers(benchmark::State& state) {
  const uint64_t per_worker = static_cast<uint64_t>(state.range(0));
  const HitsKeep::Mode mode = static_cast<HitsKeep::Mode>(state.range(1));
  std::vector<std::vector<HitRecord>> recs(2);
  for (uint8_t w = 0; w < 2; ++w) {
    for (uint64_t i = 0; i < per_worker; ++i) {
      recs[w].push_back(Record(w, i));
    }
  }
  uint64_t total = 0;
  int64_t collector_cpu_ns = 0;
  for (auto _ : state) {
    const std::string dir = TempDir();
    std::atomic<int64_t> producers_cpu{0};
    const int64_t cpu0 = CpuNow(CLOCK_PROCESS_CPUTIME_ID);
    std::vector<ResultRing> rings;
    for (uint32_t w = 0; w < 2; ++w) {
      rings.push_back(std::move(*ResultRing::Create(65536, w)));
    }
    CollectorOptions o;
    o.run_dir = dir;
    o.keep.mode = mode;
    o.keep.every = 100;
    o.tags = {"", "a", "b"};
    o.workers = 2;
    o.origin_mono_ns = MonoNow() + int64_t{3600} * 1000000000;
    auto c = Collector::Start(std::move(o), {&rings[0], &rings[1]});
    std::vector<std::thread> producers;
    for (int w = 0; w < 2; ++w) {
      producers.emplace_back([&, w] {
        const int64_t t0 = CpuNow(CLOCK_THREAD_CPUTIME_ID);
        ResultRing& ring = rings[w];
        uint64_t pushed = 0, cached_tail = 0;
        for (const HitRecord& r : recs[w]) {
          while (pushed - cached_tail >= ring.capacity()) {
            ring.Publish();
            std::this_thread::yield();
            cached_tail = ring.header()->tail.load(std::memory_order_acquire);
          }
          ring.Push(r);
          ++pushed;
        }
        ring.MarkFinished();
        producers_cpu.fetch_add(CpuNow(CLOCK_THREAD_CPUTIME_ID) - t0);
      });
    }
    for (auto& t : producers) {
      t.join();
    }
    if (!(*c)->Finish().ok()) {
      state.SkipWithError("collector failed");
    }
    // Everything but the producers is the collector (the main thread only waits).
    collector_cpu_ns += CpuNow(CLOCK_PROCESS_CPUTIME_ID) - cpu0 - producers_cpu.load();
    total += 2 * per_worker;
    state.PauseTiming();
    c->reset();
    RemoveDir(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(total));
  // CPU the collector spends per record, and what one core of it can therefore absorb.
  state.counters["collector_cpu_ns_per_record"] =
      static_cast<double>(collector_cpu_ns) / static_cast<double>(total);
  state.counters["collector_records_per_cpu_s"] =
      static_cast<double>(total) * 1e9 / static_cast<double>(collector_cpu_ns);
}
BENCHMARK(BM_CollectorTwoProducers)
    ->Args({2000000, static_cast<int>(HitsKeep::Mode::kAll)})
    ->Args({2000000, static_cast<int>(HitsKeep::Mode::kSample)})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// convert --to phout of a 2M-record hits file to /dev/null.
void BM_ConvertPhout(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::string dir = TempDir();
  {
    RunMeta meta;
    meta.origin_realtime_ns = 1700000000123456789;
    meta.tags = {"", "main", "search"};
    std::string bytes = EncodeRunHeader(kHitsMagic, meta);
    FILE* f = std::fopen((dir + "/hits").c_str(), "w");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    for (uint64_t i = 0; i < n; ++i) {
      const HitRecord r = Record(static_cast<uint8_t>(i & 1), i);
      std::fwrite(&r, sizeof(r), 1, f);
    }
    std::fclose(f);
  }
  FILE* null = std::fopen("/dev/null", "w");
  std::vector<std::string> notes;
  ConvertOptions options;
  options.format = ConvertFormat::kPhout;
  for (auto _ : state) {
    if (!ConvertRun(dir, options, null, &notes).ok()) {
      state.SkipWithError("convert failed");
    }
  }
  std::fclose(null);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  RemoveDir(dir);
}
BENCHMARK(BM_ConvertPhout)->Arg(2000000)->Unit(benchmark::kMillisecond);

void BM_HistogramRecord(benchmark::State& state) {
  Histogram h;
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(13.0, 1.0);
  std::vector<uint64_t> values(4096);
  for (uint64_t& v : values) {
    v = static_cast<uint64_t>(d(rng));
  }
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

}  // namespace
}  // namespace incarne

BENCHMARK_MAIN();
