// libFuzzer target: the schedule DSL must accept or reject any input quickly — no crash, no
// hang, no allocation proportional to the number of shots — and every schedule it accepts
// must keep the stepper's contract on sampled shots: ns truncates to Tank's ms, times are
// non-negative and within the schedule's length or Tank's own last time, InstancesAt is
// consistent, the batch ShotsNs equals ShotNs, the summary is produced.
//   tests/fuzz/run-fuzz build/tests/fuzz/schedule_fuzz tests/fuzz/corpus/schedule
//
// The first byte picks the model: 'i' = instances, anything else = rps; the rest is the text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plan/schedule.h"

namespace {

void Check(bool ok, const char* what, std::string_view expr, uint64_t i) {
  if (!ok) {
    std::fprintf(stderr, "schedule_fuzz: %s (shot %llu) for: %.*s\n", what,
                 static_cast<unsigned long long>(i), static_cast<int>(expr.size()), expr.data());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const incarne::LoadModel model =
      data[0] == 'i' ? incarne::LoadModel::kInstances : incarne::LoadModel::kRps;
  const std::string_view expr(reinterpret_cast<const char*>(data) + 1, size - 1);
  absl::StatusOr<incarne::Schedule> s = incarne::Schedule::Parse(expr, model);
  if (!s.ok()) {
    const std::string_view msg(s.status().message().data(), s.status().message().size());
    Check(msg.substr(0, 7) == "column ", "error without a column", expr, 0);
    return 0;
  }
  const uint64_t n = s->shots();
  Check(n <= incarne::Schedule::kMaxShots, "too many shots", expr, n);
  Check(s->duration_ns() >= 0, "negative duration", expr, 0);
  // Sample: the first and last few shots and a geometric spread in between.
  uint64_t prev_i = 0;
  int64_t prev_ns = -1;
  auto probe = [&](uint64_t i) {
    const int64_t ns = s->ShotNs(i);
    const int64_t ms = s->ShotMs(i);
    Check(ns >= 0, "negative time", expr, i);
    Check(ns / 1000000 == ms, "ns does not truncate to Tank's ms", expr, i);
    if (prev_ns >= 0 && i == prev_i + 1) {
      Check(ms >= prev_ns / 1000000, "ms went backwards", expr, i);
    }
    Check(s->InstancesAt(ns) >= i + 1, "InstancesAt misses a due shot", expr, i);
    prev_i = i;
    prev_ns = ns;
  };
  for (uint64_t i = 0; i < n && i < 64; ++i) {
    probe(i);
  }
  for (uint64_t i = 64; i < n; i = i * 2 + 1) {
    probe(i);
  }
  for (uint64_t i = n > 64 ? n - 64 : 64; i < n; ++i) {
    probe(i);
  }
  // The worker's batch equals ShotNs shot for shot, across segment boundaries and strides.
  for (const uint64_t stride : {uint64_t{1}, uint64_t{3}, n / 7 + 1}) {
    int64_t batch[64];
    for (const uint64_t first : {uint64_t{0}, n / 2, n > 40 ? n - 40 : 0}) {
      if (first >= n) {
        continue;
      }
      const uint64_t left = (n - 1 - first) / stride + 1;
      const size_t m = left < 64 ? static_cast<size_t>(left) : 64;
      s->ShotsNs(first, stride, m, batch);
      for (size_t q = 0; q < m; ++q) {
        Check(batch[q] == s->ShotNs(first + stride * q), "ShotsNs != ShotNs", expr,
              first + stride * q);
      }
    }
  }
  Check(s->InstancesAt(INT64_MAX) == n, "InstancesAt(∞) != shots", expr, n);
  Check(s->InstancesAt(-1) == 0, "InstancesAt(-1) != 0", expr, 0);
  const std::string json = s->SummaryJson();
  Check(json.size() > 2 && json.front() == '{' && json.back() == '}', "bad summary", expr, 0);
  return 0;
}
