// The process's clocks, in int64 nanoseconds. Hit times are CLOCK_MONOTONIC nanoseconds relative
// to the run origin (docs/design.md §8); the origin is also kept as CLOCK_REALTIME for the hits
// header and wall-clock logs. Both go through the vDSO (~24 ns here, docs/iouring.md), so a
// worker samples MonoNs() once per loop pass. Any thread; never fails.
#pragma once

#include <time.h>

#include <cstdint>

namespace incarne {

inline int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

inline int64_t RealNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

}  // namespace incarne
