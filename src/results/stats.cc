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

void StatsCounters::Merge(const StatsCounters& o) {
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
}

void Stats::Merge(const Stats& o) {
  StatsCounters::Merge(o);
  latency.Merge(o.latency);
  service.Merge(o.service);
  lag.Merge(o.lag);
}

void Stats::Merge(const StatsTally& t) {
  uint64_t n = 0;
  uint64_t timed = 0;  // values in each histogram: every hit but dropped shots
  for (const StatsTally::CodePair& e : t.codes_) {
    const uint16_t proto = static_cast<uint16_t>(e.code & 0xffff);
    const uint16_t net = static_cast<uint16_t>(e.code >> 16);
    n += e.n;
    errors += net != 0 || proto >= 400 ? e.n : 0;
    net_errors += net != 0 ? e.n : 0;
    timed += net != kDroppedNetCode ? e.n : 0;
    proto_codes.Add(proto, e.n);
    net_codes.Add(net, e.n);
  }
  if (n == 0) {
    return;
  }
  hits += n;
  bytes_out += t.bytes_out_;
  bytes_in += t.bytes_in_;
  connect_ns += t.connect_ns_;
  send_ns += t.send_ns_;
  latency_ns += t.latency_ns_;
  const __uint128_t service_sum = t.service_.sum();
  receive_ns += static_cast<uint64_t>(service_sum) - t.connect_ns_ - t.send_ns_ - t.latency_ns_;
  min_start = std::min(min_start, t.min_start_);
  max_done = std::max(max_done, t.max_done_);
  latency.Merge(t.latency_, timed, t.lag_.sum() + service_sum + t.latency_fix_);
  service.Merge(t.service_, timed, service_sum);
  lag.Merge(t.lag_, timed, t.lag_.sum());
}

uint64_t StatsTally::hits() const {
  uint64_t n = 0;
  for (const CodePair& e : codes_) {
    n += e.n;
  }
  return n;
}

void StatsTally::SelectCode(uint32_t code) {
  for (size_t i = 0; i < codes_.size(); ++i) {
    if (codes_[i].code == code) {
      last_ = i;
      last_code_ = code;
      return;
    }
  }
  codes_.push_back(CodePair{code, 0});
  last_ = codes_.size() - 1;
  last_code_ = code;
}

void StatsTally::AddOdd(const HitRecord& r) {
  if (r.net_code == Stats::kDroppedNetCode) {
    return;
  }
  const Monotone m = MonotoneOf(r);
  connect_ns_ += m.connected - m.start;
  send_ns_ += m.sent - m.connected;
  latency_ns_ += m.first_byte - m.sent;
  const uint64_t service = m.done - m.start;
  const uint64_t lag = r.start > r.planned ? r.start - r.planned : 0;
  const uint64_t latency = r.done > r.planned ? r.done - r.planned : 0;
  service_.Record(service);
  lag_.Record(lag);
  latency_.RecordNoSum(latency);
  latency_fix_ += static_cast<__uint128_t>(latency) - lag - service;  // mod 2^128
}

void StatsTally::Clear() {
  codes_.clear();
  last_code_ = kNoCode;
  last_ = 0;
  bytes_out_ = bytes_in_ = 0;
  connect_ns_ = send_ns_ = latency_ns_ = 0;
  min_start_ = std::numeric_limits<uint64_t>::max();
  max_done_ = 0;
  latency_fix_ = 0;
  latency_.Clear();
  service_.Clear();
  lag_.Clear();
}

void StatsCounters::Clear() {
  hits = errors = net_errors = bytes_out = bytes_in = 0;
  connect_ns = send_ns = latency_ns = receive_ns = 0;
  min_start = std::numeric_limits<uint64_t>::max();
  max_done = 0;
  proto_codes.Clear();
  net_codes.Clear();
}

void Stats::Clear() {
  StatsCounters::Clear();
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
