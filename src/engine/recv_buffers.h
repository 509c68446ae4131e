// The receive buffers of one io_uring: up to `count` buffers of `size` bytes in one mapping,
// handed to the kernel as a provided-buffer ring (io_uring_register_buf_ring, group `group`)
// so that every RECV of the ring picks its own (IOSQE_BUFFER_SELECT). A completion names the
// buffer it filled (Data(bid)); the owner gives it back with Return(bid), and Flush() — once
// per pass — publishes everything given back since the last Flush in one store.
//
// The pool: only the first `active` buffers are handed out (and resident); Grow() hands out
// more, up to `count`. The kernel cycles through every buffer handed out (the ring is FIFO),
// so each one is resident once used: the worker starts small and grows the pool when a pass
// ran out (ENOBUFS), so the memory follows what a pass reaps rather than the connections
// (docs/engine.md "The per-hit tally, and what the memory is"). The rest of the mapping is
// never touched and costs no memory.
// Used by the worker and by the sink. Owner thread only; the io_uring must outlive it.
#pragma once

#include <liburing.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/uring_compat.h"
#include "util/errno_name.h"

namespace incarne {

class RecvBuffers {
 public:
  RecvBuffers() = default;
  RecvBuffers(const RecvBuffers&) = delete;
  RecvBuffers& operator=(const RecvBuffers&) = delete;
  ~RecvBuffers() {
    if (br_ != nullptr) {
      uring_compat::FreeBufRing(ring_, br_, count_, group_);
    }
    if (mem_ != nullptr) {
      munmap(mem_, size_t{count_} * size_);
    }
  }

  // `count` is a power of two ≤ 32768; `active` (0: all) buffers start out with the kernel.
  absl::Status Init(io_uring* ring, uint32_t count, uint32_t size, uint16_t group,
                    uint32_t active = 0) {
    void* mem = mmap(nullptr, size_t{count} * size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      return absl::ResourceExhaustedError("cannot allocate receive buffers");
    }
    mem_ = static_cast<uint8_t*>(mem);
    count_ = count;
    size_ = size;
    int err = 0;
    br_ = uring_compat::SetupBufRing(ring, count, group, &err);
    if (br_ == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("cannot register the receive buffer ring: ",
                                                        std::string(NetCodeText(-err))));
    }
    ring_ = ring;
    group_ = group;
    Grow(active == 0 || active > count ? count : active);
    Flush();
    return absl::OkStatus();
  }

  // Hands out `more` buffers beyond those already out (at most up to count()), published with
  // the next Flush(). Off the hit path: touches their pages first so that the kernel's first
  // copy into each is not a page fault (like the result ring's MAP_POPULATE).
  void Grow(uint32_t more) {
    const uint32_t end = count_ - active_ < more ? count_ : active_ + more;
    if (end == active_) {
      return;
    }
    memset(Data(static_cast<uint16_t>(active_)), 0, size_t{end - active_} * size_);
    for (uint32_t b = active_; b < end; ++b) {
      Return(static_cast<uint16_t>(b));
    }
    active_ = end;
  }

  uint8_t* Data(uint16_t bid) const { return mem_ + size_t{bid} * size_; }
  uint32_t count() const { return count_; }    // the most buffers the pool can grow to
  uint32_t active() const { return active_; }  // buffers handed out so far
  uint32_t size() const { return size_; }

  void Return(uint16_t bid) {
    io_uring_buf_ring_add(br_, Data(bid), size_, bid, io_uring_buf_ring_mask(count_), pending_++);
  }
  void Flush() {
    if (pending_ != 0) {
      io_uring_buf_ring_advance(br_, pending_);
      pending_ = 0;
    }
  }

  // `sqe` made a RECV on `fd` that takes its buffers from this ring: multishot (one SQE for
  // every chunk until an error or EOF) or one-shot where the kernel lacks it.
  void PrepRecv(io_uring_sqe* sqe, int fd, bool multishot) const {
    if (multishot) {
      io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    } else {
      io_uring_prep_recv(sqe, fd, nullptr, 0, 0);
    }
    SelectBuffer(sqe);
  }
  // For an SQE prepared otherwise (e.g. a multishot RECVMSG): take the buffer from this ring.
  void SelectBuffer(io_uring_sqe* sqe) const {
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group_;
  }

 private:
  io_uring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  uint8_t* mem_ = nullptr;
  uint32_t count_ = 0;
  uint32_t active_ = 0;
  uint32_t size_ = 0;
  uint16_t group_ = 0;
  int pending_ = 0;
};

}  // namespace incarne
