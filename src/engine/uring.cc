#include "engine/uring.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/uring_compat.h"
#include "util/errno_name.h"

namespace incarne {
namespace {

// Group id used only by the multishot-receive probe, never by a worker's real buffer ring.
constexpr uint16_t kProbeGroup = 0xfffe;

// Is multishot receive over a provided buffer ring supported? Runs one real receive on a
// socketpair: the only reliable test (the opcode probe cannot see the multishot flag).
bool ProbeRecvMultishot(io_uring* ring, bool* buf_ring_ok) {
  int err = 0;
  io_uring_buf_ring* br = uring_compat::SetupBufRing(ring, 1, kProbeGroup, &err);
  *buf_ring_ok = br != nullptr;
  if (br == nullptr) {
    return false;
  }
  alignas(16) static thread_local char buf[64];
  io_uring_buf_ring_add(br, buf, sizeof(buf), 0, io_uring_buf_ring_mask(1), 0);
  io_uring_buf_ring_advance(br, 1);
  int sv[2];
  bool ok = false;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kProbeGroup;
    sqe->user_data = 1;
    io_uring_submit(ring);
    if (write(sv[1], "x", 1) == 1) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(ring, &cqe) == 0) {
        ok = cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE) != 0;
        const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
        io_uring_cqe_seen(ring, cqe);
        if (more) {
          // Terminate the multishot request and reap its last CQE so the ring is clean.
          shutdown(sv[0], SHUT_RDWR);
          shutdown(sv[1], SHUT_RDWR);
          while (io_uring_wait_cqe(ring, &cqe) == 0) {
            const bool last = (cqe->flags & IORING_CQE_F_MORE) == 0;
            io_uring_cqe_seen(ring, cqe);
            if (last) {
              break;
            }
          }
        }
      }
    }
    close(sv[0]);
    close(sv[1]);
  }
  uring_compat::FreeBufRing(ring, br, 1, kProbeGroup);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Uring>> Uring::Create(const UringOptions& options) {
  std::unique_ptr<Uring> u(new Uring());
  struct Attempt {
    unsigned flags;
  };
  const unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  const unsigned single = options.allow_single_issuer ? IORING_SETUP_SINGLE_ISSUER : 0;
  Attempt attempts[] = {
      {options.allow_defer_taskrun && single != 0 ? base | single | IORING_SETUP_DEFER_TASKRUN
                                                  : base | single | IORING_SETUP_COOP_TASKRUN},
      {base | single | IORING_SETUP_COOP_TASKRUN},
      {base | single},
      {base},
      {IORING_SETUP_CQSIZE},
      {0},
  };
  int ret = -EINVAL;
  unsigned chosen = 0;
  for (const Attempt& a : attempts) {
    io_uring_params params{};
    params.flags = a.flags;
    params.cq_entries = options.cq_entries;
    ret = io_uring_queue_init_params(options.sq_entries, &u->ring_, &params);
    if (ret == 0) {
      chosen = a.flags;
      u->sq_entries_ = params.sq_entries;
      u->cq_entries_ = params.cq_entries;
      break;
    }
    if (ret != -EINVAL) {
      break;
    }
  }
  if (ret != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("io_uring_setup failed: ", std::string(ErrnoName(-ret)), " (",
                     std::string(NetCodeText(-ret)),
                     "); incarne needs io_uring (Linux 5.11+, kernel.io_uring_disabled = 0)"));
  }
  u->initialized_ = true;
  UringFeatures& f = u->features_;
  f.single_issuer = (chosen & IORING_SETUP_SINGLE_ISSUER) != 0;
  f.defer_taskrun = (chosen & IORING_SETUP_DEFER_TASKRUN) != 0;
  f.coop_taskrun = (chosen & IORING_SETUP_COOP_TASKRUN) != 0;
  f.submit_all = (chosen & IORING_SETUP_SUBMIT_ALL) != 0;
  f.ext_arg = (u->ring_.features & IORING_FEAT_EXT_ARG) != 0;
  f.min_wait = options.allow_min_wait && (u->ring_.features & uring_compat::kFeatMinTimeout) != 0;
  if (!f.ext_arg) {
    return absl::FailedPreconditionError(
        "io_uring lacks IORING_FEAT_EXT_ARG (Linux 5.11+): the worker's wait point needs it");
  }
  f.registered_fd = io_uring_register_ring_fd(&u->ring_) == 1;

  if (io_uring_probe* probe = io_uring_get_probe_ring(&u->ring_); probe != nullptr) {
    f.op_send = io_uring_opcode_supported(probe, IORING_OP_SEND) != 0;
    f.op_connect = io_uring_opcode_supported(probe, IORING_OP_CONNECT) != 0;
    f.accept_multishot = io_uring_opcode_supported(probe, IORING_OP_SOCKET) != 0;  // both 5.19
    io_uring_free_probe(probe);
  }
  if (options.allow_abs_timer) {
    // An absolute deadline in the past: -ETIME when the flag is understood, -EINVAL if not.
    int r = uring_compat::SubmitAndWait(&u->ring_, f.registered_fd, 1, 0, /*abs_timer=*/true, 0);
    f.abs_timer = r == -ETIME;
  }
  f.recv_multishot = ProbeRecvMultishot(&u->ring_, &f.buf_ring);
  return u;
}

Uring::~Uring() {
  if (initialized_) {
    io_uring_queue_exit(&ring_);
  }
}

std::string Uring::Describe() const {
  const UringFeatures& f = features_;
  std::string s = "io_uring:";
  auto add = [&s](bool on, const char* name) {
    if (on) {
      absl::StrAppend(&s, " ", name);
    }
  };
  add(f.single_issuer, "single_issuer");
  add(f.defer_taskrun, "defer_taskrun");
  add(f.coop_taskrun, "coop_taskrun");
  add(f.submit_all, "submit_all");
  add(f.registered_fd, "registered_fd");
  add(f.ext_arg, "ext_arg");
  add(f.min_wait, "min_wait");
  add(f.abs_timer, "abs_timer");
  add(f.buf_ring, "buf_ring");
  add(f.recv_multishot, "recv_multishot");
  absl::StrAppend(&s, " (sq ", sq_entries_, ", cq ", cq_entries_, ")");
  return s;
}

io_uring_sqe* Uring::SqeSlow() {
  for (;;) {
    uring_compat::SubmitOnly(&ring_, features_.registered_fd);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe != nullptr) {
      return sqe;
    }
  }
}

int Uring::Submit() { return uring_compat::SubmitOnly(&ring_, features_.registered_fd); }

int Uring::SubmitAndWait(unsigned wait_nr, int64_t deadline_ns, int64_t now_ns,
                         int64_t min_wait_ns) {
  int ret;
  if (features_.abs_timer) {
    ret = uring_compat::SubmitAndWait(&ring_, features_.registered_fd, wait_nr, deadline_ns,
                                      /*abs_timer=*/true, features_.min_wait ? min_wait_ns : 0);
  } else {
    ret =
        uring_compat::SubmitAndWait(&ring_, features_.registered_fd, wait_nr, deadline_ns - now_ns,
                                    /*abs_timer=*/false, features_.min_wait ? min_wait_ns : 0);
  }
  if (ret == -ETIME || ret == -EINTR || ret == -EAGAIN || ret == -EBUSY) {
    return 0;
  }
  return ret;
}

}  // namespace incarne
