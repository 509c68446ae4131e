// The http nib's reply parser per reply (nibs/http/http_parser.h): the user-space share of a
// keep-alive hit must stay far below the ~5 µs the kernel spends (docs/iouring.md §6).
//   build/bench/http_bench --benchmark_filter=Parse
#include <benchmark/benchmark.h>

#include <string>

#include "nibs/http/http_parser.h"

namespace {

using incarne::http::ReplyLimits;
using incarne::http::ReplyParser;
using incarne::http::ReplyState;

const std::string kNginx =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Thu, 26 Nov 2026 10:00:00 GMT\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Length: 2\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "ok";

std::string Chunked() {
  std::string r = "HTTP/1.1 200 OK\r\nServer: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 16; ++i) {
    r += "40\r\n" + std::string(64, 'a') + "\r\n";
  }
  return r + "0\r\n\r\n";
}

void Parse(benchmark::State& state, const std::string& reply, size_t piece) {
  ReplyLimits limits;
  ReplyParser p;
  const auto* data = reinterpret_cast<const uint8_t*>(reply.data());
  for (auto _ : state) {
    p.Reset(&limits, false);
    ReplyState st = ReplyState::kNeedMore;
    for (size_t off = 0; off < reply.size() && st == ReplyState::kNeedMore; off += piece) {
      size_t used = 0;
      st = p.Feed(data + off, std::min(piece, reply.size() - off), &used);
    }
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(p.status());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * reply.size()));
}

void BM_ParseNginxWhole(benchmark::State& s) { Parse(s, kNginx, kNginx.size()); }
void BM_ParseNginx16ByteChunks(benchmark::State& s) { Parse(s, kNginx, 16); }
void BM_ParseChunkedWhole(benchmark::State& s) {
  static const std::string r = Chunked();
  Parse(s, r, r.size());
}
BENCHMARK(BM_ParseNginxWhole);
BENCHMARK(BM_ParseNginx16ByteChunks);
BENCHMARK(BM_ParseChunkedWhole);

}  // namespace

BENCHMARK_MAIN();
