// Ammo compile throughput (docs/ammo.md "Performance"): request-style (phantom) input in
// MB/s of input, uri input in lines/s, plus the AmmoFile::Request lookup the workers do.
//   meson test -C build --benchmark --suite micro --test-args='--benchmark_filter=Ammo'
//   build/bench/ammo_bench --benchmark_filter=BM_Compile
// Inputs are generated once into $TMPDIR (page cache), outputs written there and removed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ammo/ammo_compiler.h"
#include "ammo/ammo_file.h"
#include "benchmark/benchmark.h"

namespace incarne {
namespace {

std::string g_phantom_path;  // generated inputs, removed by main()
std::string g_uri_path;

std::string TmpDir() {
  const char* t = std::getenv("TMPDIR");
  return t != nullptr && *t != '\0' ? t : "/tmp";
}

// ~256 MiB of request-style ammo: GET and POST requests of 150..2000 bytes, five tags.
const std::string& PhantomInput() {
  static const std::string path = [] {
    std::string p = TmpDir() + "/incarne_ammo_bench_" + std::to_string(::getpid()) + ".txt";
    std::ofstream out(p, std::ios::binary);
    std::string body(2000, 'b');
    uint64_t written = 0;
    for (uint64_t i = 0; written < (256u << 20); ++i) {
      std::string req = "GET /api/v1/items/" + std::to_string(i) +
                        "?page=3&sort=desc HTTP/1.1\r\nHost: bench.example.com\r\n"
                        "User-Agent: incarne-bench\r\nAccept: */*\r\n";
      if (i % 3 == 0) {
        size_t n = 100 + (i * 7919) % 1800;
        req += "Content-Length: " + std::to_string(n) + "\r\n\r\n" + body.substr(0, n);
        req.replace(0, 3, "PUT");
      } else {
        req += "\r\n";
      }
      std::string header = std::to_string(req.size()) + " tag" + std::to_string(i % 5) + "\n";
      out << header << req << "\n";
      written += header.size() + req.size() + 1;
    }
    g_phantom_path = p;
    return p;
  }();
  return path;
}

// 1M lines of uri-style ammo with a few header lines.
constexpr uint64_t kUriLines = 1'000'000;
const std::string& UriInput() {
  static const std::string path = [] {
    std::string p = TmpDir() + "/incarne_ammo_bench_" + std::to_string(::getpid()) + ".uri";
    std::ofstream out(p, std::ios::binary);
    out << "[Host: bench.example.com]\n[Connection: keep-alive]\n[User-Agent: incarne]\n";
    for (uint64_t i = 3; i < kUriLines; ++i) {
      out << "/catalog/item/" << i << "?ref=" << (i * 31) % 1000 << " tag" << i % 7 << "\n";
    }
    g_uri_path = p;
    return p;
  }();
  return path;
}

void Compile(benchmark::State& state, const std::string& input, AmmoFormat format) {
  AmmoCompileOptions o;
  o.input = input;
  o.format = format;
  std::string out = input + ".ammo";
  off_t in_size = 0;
  if (FILE* f = std::fopen(input.c_str(), "rb")) {
    std::fseek(f, 0, SEEK_END);
    in_size = std::ftell(f);
    std::fclose(f);
  }
  uint64_t records = 0;
  for (auto _ : state) {
    absl::StatusOr<AmmoCompileStats> s = CompileAmmo(o, out);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.status().message()).c_str());
      break;
    }
    records = s->records;
  }
  ::unlink(out.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * in_size);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records));
  state.counters["records"] = static_cast<double>(records);
}

void BM_CompilePhantom(benchmark::State& state) {
  Compile(state, PhantomInput(), AmmoFormat::kPhantom);
}
BENCHMARK(BM_CompilePhantom)->Unit(benchmark::kMillisecond)->UseRealTime();

// items/s = lines/s (every line but the 3 header lines is a record).
void BM_CompileUri(benchmark::State& state) { Compile(state, UriInput(), AmmoFormat::kUri); }
BENCHMARK(BM_CompileUri)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a worker does per hit: record i mod M → span into the mapping.
void BM_RequestLookup(benchmark::State& state) {
  static const std::string out = UriInput() + ".lookup.ammo";
  AmmoCompileOptions o;
  o.input = UriInput();
  o.limit = 100000;
  if (!CompileAmmo(o, out).ok()) {
    state.SkipWithError("compile failed");
    return;
  }
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(out);
  ::unlink(out.c_str());
  uint64_t i = 0;
  for (auto _ : state) {
    std::span<const uint8_t> r = f->Request(i % f->count());
    benchmark::DoNotOptimize(r.data());
    benchmark::DoNotOptimize(f->Tag(i % f->count()));
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RequestLookup);

}  // namespace
}  // namespace incarne

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (const std::string* p : {&incarne::g_phantom_path, &incarne::g_uri_path}) {
    if (!p->empty()) {
      ::unlink(p->c_str());
    }
  }
  return 0;
}
