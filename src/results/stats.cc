#include "results/stats.h"

#include <algorithm>

namespace incarne {

uint64_t CodeCounts::Get(uint16_t code) const {
  for (const auto& e : entries_) {
    if (e.first == code) {
      return e.second;
    }
  }
  return 0;
}

void CodeCounts::Merge(const CodeCounts& o) {
  for (const auto& e : o.entries_) {
    Add(e.first, e.second);
  }
}

std::vector<std::pair<uint16_t, uint64_t>> CodeCounts::Sorted() const {
  std::vector<std::pair<uint16_t, uint64_t>> v = entries_;
  std::sort(v.begin(), v.end());
  return v;
}

const Stats& LazyStats::Empty() {
  static const Stats* const kEmpty = new Stats();
  return *kEmpty;
}

void Stats::Merge(const Stats& o) {
  hits += o.hits;
  errors += o.errors;
  net_errors += o.net_errors;
  bytes_out += o.bytes_out;
  bytes_in += o.bytes_in;
  connect_ns += o.connect_ns;
  send_ns += o.send_ns;
  latency_ns += o.latency_ns;
  receive_ns += o.receive_ns;
  min_start = std::min(min_start, o.min_start);
  max_done = std::max(max_done, o.max_done);
  proto_codes.Merge(o.proto_codes);
  net_codes.Merge(o.net_codes);
  latency.Merge(o.latency);
  service.Merge(o.service);
  lag.Merge(o.lag);
}

void Stats::Clear() {
  hits = errors = net_errors = bytes_out = bytes_in = 0;
  connect_ns = send_ns = latency_ns = receive_ns = 0;
  min_start = std::numeric_limits<uint64_t>::max();
  max_done = 0;
  proto_codes.Clear();
  net_codes.Clear();
  latency.Clear();
  service.Clear();
  lag.Clear();
}

void Stats::Shift(int64_t delta_ns) {
  if (hits == 0) {
    return;
  }
  min_start = static_cast<uint64_t>(static_cast<int64_t>(min_start) + delta_ns);
  max_done = static_cast<uint64_t>(static_cast<int64_t>(max_done) + delta_ns);
}

}  // namespace incarne
