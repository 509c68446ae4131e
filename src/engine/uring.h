// One io_uring per worker, set up the way docs/iouring.md §2, §6 found best, with a probe and
// fallbacks: SINGLE_ISSUER | DEFER_TASKRUN | SUBMIT_ALL | CQSIZE where the kernel has them,
// else COOP_TASKRUN, else plain; a registered ring fd; and knowledge of what the single wait
// point may use (EXT_ARG, min_wait_usec, ABS_TIMER).
//
// Thread contract: with SINGLE_ISSUER the ring must be created, used and destroyed on the one
// thread that owns it (the worker). Nothing here allocates after Create().
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace incarne {

struct UringOptions {
  unsigned sq_entries = 4096;
  unsigned cq_entries = 16384;      // ≥ 4 × connections (iouring.md recommendation 1)
  bool allow_defer_taskrun = true;  // tests may turn the fast paths off to check fallbacks
  bool allow_single_issuer = true;
  bool allow_min_wait = true;
  bool allow_abs_timer = true;
};

struct UringFeatures {
  bool single_issuer = false;
  bool defer_taskrun = false;
  bool coop_taskrun = false;
  bool submit_all = false;
  bool registered_fd = false;
  bool ext_arg = false;         // required: the engine's wait point needs it (5.11+)
  bool min_wait = false;        // IORING_FEAT_MIN_TIMEOUT (6.12+)
  bool abs_timer = false;       // IORING_ENTER_ABS_TIMER accepted (6.12+)
  bool buf_ring = false;        // provided buffer rings (5.19+)
  bool recv_multishot = false;  // IORING_OP_RECV with IORING_RECV_MULTISHOT (6.0+)
  bool op_send = false;
  bool op_connect = false;
  bool accept_multishot = false;
};

class Uring {
 public:
  // Sets the ring up on the calling thread. Fails (FailedPrecondition, with what is missing)
  // only when the kernel lacks what the engine cannot do without (io_uring itself, EXT_ARG).
  static absl::StatusOr<std::unique_ptr<Uring>> Create(const UringOptions& options);
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  io_uring* ring() { return &ring_; }
  const UringFeatures& features() const { return features_; }
  // One line for the log: "io_uring: single_issuer defer_taskrun submit_all reg_fd ext_arg
  // min_wait abs_timer buf_ring recv_multishot (sq 4096, cq 16384)".
  std::string Describe() const;

  // A free SQE; when the SQ is full the queued ones are submitted first (one extra syscall,
  // only when a pass prepares more than sq_entries operations). Never returns nullptr.
  io_uring_sqe* Sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (__builtin_expect(sqe == nullptr, 0)) {
      return SqeSlow();
    }
    return sqe;
  }

  // The pass's single wait point: submits everything and waits for `wait_nr` CQEs or until
  // `deadline_ns` (CLOCK_MONOTONIC absolute; `now_ns` is the caller's sample of it).
  // `min_wait_ns` bounds how long a partial batch may be held (used only when supported).
  // Returns ≥ 0, or -errno other than the harmless -ETIME/-EINTR/-EAGAIN/-EBUSY.
  int SubmitAndWait(unsigned wait_nr, int64_t deadline_ns, int64_t now_ns, int64_t min_wait_ns);
  // Submits without waiting and without reaping (SQ full, or before a synchronous step).
  int Submit();

 private:
  Uring() = default;
  io_uring_sqe* SqeSlow();

  io_uring ring_{};
  bool initialized_ = false;
  UringFeatures features_;
  unsigned sq_entries_ = 0;
  unsigned cq_entries_ = 0;
};

}  // namespace incarne
