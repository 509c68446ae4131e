// What liburing 2.3 (Debian 12) lacks and the engine uses: a few constants of newer kernels,
// a provided-buffer-ring setup helper (2.4's io_uring_setup_buf_ring) and a raw
// submit-and-wait through io_uring_enter2 with EXT_ARG, so one wait point can carry
// min_wait_usec (6.12+) and an absolute deadline (IORING_ENTER_ABS_TIMER, 6.12+).
// Every use is gated at runtime on the probe in uring.cc (docs/iouring.md §2).
#pragma once

#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace incarne::uring_compat {

// Feature bits and flags newer than liburing 2.3's headers.
inline constexpr unsigned kFeatRegRegRing = 1u << 13;  // IORING_FEAT_REG_REG_RING
inline constexpr unsigned kFeatRecvSendBundle = 1u << 14;
inline constexpr unsigned kFeatMinTimeout = 1u << 15;   // IORING_FEAT_MIN_TIMEOUT
inline constexpr unsigned kEnterAbsTimer = 1u << 5;     // IORING_ENTER_ABS_TIMER
inline constexpr unsigned kRecvSendBundle = 1u << 4;    // IORING_RECVSEND_BUNDLE
inline constexpr unsigned kTimeoutMultishot = 1u << 6;  // IORING_TIMEOUT_MULTISHOT

// Makes the SQEs prepared since the last flush visible to the kernel and returns how many
// are pending. Same as liburing 2.3's internal __io_uring_flush_sq (not exported there);
// valid for rings without SQPOLL (the engine never uses SQPOLL).
inline unsigned FlushSq(io_uring* ring) {
  io_uring_sq* sq = &ring->sq;
  const unsigned tail = sq->sqe_tail;
  if (sq->sqe_head != tail) {
    sq->sqe_head = tail;
    io_uring_smp_store_release(sq->ktail, tail);
  }
  return tail - *sq->khead;
}

// One io_uring_enter: submits every flushed SQE and waits until `wait_nr` CQEs are ready or
// `timeout_ns` passes (relative, or an absolute CLOCK_MONOTONIC time when `abs_timer`).
// `min_wait_ns` > 0 (kernel with IORING_FEAT_MIN_TIMEOUT only) returns as soon as one CQE is
// ready once that much time has passed. `registered` says ring->enter_ring_fd is a registered
// ring index. Returns the number submitted or -errno; -ETIME is a normal timeout and -EINTR a
// signal, both harmless.
inline int SubmitAndWait(io_uring* ring, bool registered, unsigned wait_nr, int64_t timeout_ns,
                         bool abs_timer, int64_t min_wait_ns) {
  const unsigned submit = FlushSq(ring);
  __kernel_timespec ts{};
  if (timeout_ns < 0) {
    timeout_ns = 0;
  }
  ts.tv_sec = timeout_ns / 1000000000;
  ts.tv_nsec = timeout_ns % 1000000000;
  io_uring_getevents_arg arg{};
  arg.sigmask = 0;
  arg.sigmask_sz = _NSIG / 8;
  arg.pad = static_cast<uint32_t>(min_wait_ns > 0 ? (min_wait_ns + 999) / 1000 : 0);
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
  if (abs_timer) {
    flags |= kEnterAbsTimer;
  }
  if (registered) {
    flags |= IORING_ENTER_REGISTERED_RING;
  }
  int ret = io_uring_enter2(static_cast<unsigned>(ring->enter_ring_fd), submit, wait_nr, flags,
                            reinterpret_cast<sigset_t*>(&arg), sizeof(arg));
  // With SUBMIT_ALL the kernel consumes every SQE even when it returns an error for the
  // wait part, so nothing is resubmitted.
  return ret;
}

// Submits without waiting (used when the SQ is full in the middle of a pass).
inline int SubmitOnly(io_uring* ring, bool registered) {
  const unsigned submit = FlushSq(ring);
  if (submit == 0) {
    return 0;
  }
  unsigned flags = registered ? IORING_ENTER_REGISTERED_RING : 0;
  return io_uring_enter2(static_cast<unsigned>(ring->enter_ring_fd), submit, 0, flags, nullptr,
                         _NSIG / 8);
}

// A provided-buffer ring (liburing 2.4's io_uring_setup_buf_ring): maps `entries` ring slots
// (a power of two ≤ 32768) and registers them as buffer group `bgid`. Returns the ring or
// nullptr with *err = -errno. Free with FreeBufRing.
inline io_uring_buf_ring* SetupBufRing(io_uring* ring, unsigned entries, uint16_t bgid, int* err) {
  const size_t size = entries * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    *err = -errno;
    return nullptr;
  }
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = entries;
  reg.bgid = bgid;
  int ret = io_uring_register_buf_ring(ring, &reg, 0);
  if (ret != 0) {
    munmap(mem, size);
    *err = ret;
    return nullptr;
  }
  *err = 0;
  return br;
}

inline void FreeBufRing(io_uring* ring, io_uring_buf_ring* br, unsigned entries, uint16_t bgid) {
  if (br == nullptr) {
    return;
  }
  io_uring_unregister_buf_ring(ring, bgid);
  munmap(br, entries * sizeof(io_uring_buf));
}

}  // namespace incarne::uring_compat
