// The sink (sink.h): the HTTP/1.1 server over io_uring, its fault modes, and the UDP echo.
#include "sink/sink.h"

#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/recv_buffers.h"
#include "engine/target.h"
#include "engine/uring.h"
#include "engine/uring_compat.h"
#include "engine/user_data.h"
#include "plan/duration.h"
#include "util/clock.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr uint32_t kMaxHeader = 8192;  // request line + headers; more → 431 and close
constexpr uint32_t kRuns = 64;         // queued runs of replies per connection
constexpr uint32_t kBufCount = 1024;
constexpr uint32_t kBufSize = 4096;
constexpr uint16_t kBufGroup = 1;
constexpr uint32_t kListenSlot = UINT32_MAX >> 1;
constexpr size_t kReplyBatchBytes = 256 * 1024;  // a run of identical replies goes in one send

enum Variant : uint8_t {
  kOk,
  kOkHead,
  kOkClose,
  kOkHeadClose,
  k501,
  k431,
  kCloseMid,  // fault: the first half of kOk, then close
  kGarbage,   // fault: bytes that are not HTTP, then close
  k503,       // fault: 503 Service Unavailable, keep-alive
  k503Close,  // fault: 503 Service Unavailable, then close (the client asked to close)
  kVariants
};

// Evenly spread, deterministic selection of a share of items (requests or connections).
bool ShareHit(uint64_t i, double share) {
  if (share >= 1.0) {
    return true;
  }
  return static_cast<uint64_t>(static_cast<double>(i + 1) * share) >
         static_cast<uint64_t>(static_cast<double>(i) * share);
}

// A reply held back by the `slow` fault.
struct Delayed {
  int64_t due;
  uint64_t seq;
  uint32_t slot;
  uint32_t gen;
  uint8_t variant;
  bool served;  // held by the capacity model (SinkService): its departure is counted
  bool operator>(const Delayed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

struct Reply {
  std::string bytes;  // `copies` back-to-back copies of one reply
  uint32_t one_len = 0;
  uint32_t copies = 1;
  bool close = false;
};

struct Conn {
  int fd = -1;
  uint32_t gen = 0;
  bool recv_armed = false;
  bool closing = false;  // the last reply is queued: parse nothing more
  bool in_body = false;
  bool sending = false;
  bool eof = false;      // the client half-closed: answer what was asked, then close
  bool faulty = false;   // fault_per_connection: every request here gets the fault
  uint32_t delayed = 0;  // replies held back by `slow`
  int64_t last_due = 0;  // ... the latest due time (keeps the replies in order)
  uint32_t hdr_len = 0;
  uint64_t body_left = 0;
  uint32_t send_off = 0;
  uint32_t send_len = 0;
  uint32_t batch = 0;  // replies in the send in flight
  uint32_t run_head = 0;
  uint32_t run_count = 0;
  struct Run {
    uint8_t variant;
    uint32_t count;
  } runs[kRuns];
  char hdr[kMaxHeader];
};

constexpr std::string_view kOws = " \t";  // HTTP's optional whitespace around values

// Does a comma-separated header value contain `token` (case-insensitive)?
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma), kOws);
    if (EqualsNoCase(item, token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

struct Sink::Impl {
  SinkOptions opt;
  int listen_fd = -1;
  std::unique_ptr<Uring> uring;
  Reply replies[kVariants];
  std::vector<Conn> conns;
  std::vector<uint32_t> free_conns;
  RecvBuffers recv_bufs;  // after `uring`: destroyed (unregistered) before the ring
  bool accept_multishot = true;
  bool recv_multishot = true;
  SinkStats stats;
  uint64_t fault_seq = 0;  // requests (or connections) seen, for ShareHit
  uint64_t delay_seq = 0;
  int64_t first_request_ns = 0;  // MonoNs() of the first request (fault_after_ns counts from it)
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<Delayed>> delayed;
  std::optional<SinkService> service;  // --capacity / --usl-*: src/sink/capacity.h

  ~Impl() {
    for (Conn& c : conns) {
      if (c.fd >= 0) {
        close(c.fd);
      }
    }
    if (listen_fd >= 0) {
      close(listen_fd);
    }
  }

  void BuildReplies() {
    const std::string body(opt.body_size, 'x');
    auto make = [&](Variant v, int status, const char* reason, bool head, bool close,
                    uint64_t body_len, const std::string& b) {
      std::string one = absl::StrCat("HTTP/1.1 ", status, " ", reason,
                                     "\r\nServer: incarne-sink\r\nContent-Type: text/plain\r\n"
                                     "Content-Length: ",
                                     body_len, close ? "\r\nConnection: close" : "", "\r\n\r\n");
      if (!head) {
        one += b;
      }
      Reply& r = replies[v];
      r.one_len = static_cast<uint32_t>(one.size());
      r.copies = static_cast<uint32_t>(
          std::clamp<size_t>(kReplyBatchBytes / std::max<size_t>(one.size(), 1), 1, 64));
      r.close = close;
      r.bytes.reserve(one.size() * r.copies);
      for (uint32_t i = 0; i < r.copies; ++i) {
        r.bytes += one;
      }
    };
    make(kOk, 200, "OK", false, false, opt.body_size, body);
    make(kOkHead, 200, "OK", true, false, opt.body_size, body);
    make(kOkClose, 200, "OK", false, true, opt.body_size, body);
    make(kOkHeadClose, 200, "OK", true, true, opt.body_size, body);
    const std::string nochunk = "chunked request bodies are not supported\n";
    make(k501, 501, "Not Implemented", false, true, nochunk.size(), nochunk);
    const std::string big = "request headers too large\n";
    make(k431, 431, "Request Header Fields Too Large", false, true, big.size(), big);
    const std::string busy = "service unavailable (incarne sink --fault 503)\n";
    make(k503, 503, "Service Unavailable", false, false, busy.size(), busy);
    make(k503Close, 503, "Service Unavailable", false, true, busy.size(), busy);
    // Faults: one copy each, closing the connection after.
    Reply& mid = replies[kCloseMid];
    mid.bytes = replies[kOk].bytes.substr(0, replies[kOk].one_len / 2);
    mid.one_len = static_cast<uint32_t>(mid.bytes.size());
    mid.copies = 1;
    mid.close = true;
    Reply& garbage = replies[kGarbage];
    garbage.bytes = "GARBAGE \x01\x02 this is not an HTTP reply\r\n\r\n";
    garbage.one_len = static_cast<uint32_t>(garbage.bytes.size());
    garbage.copies = 1;
    garbage.close = true;
  }

  // ---------------------------------------------------------------- connections

  void ArmAccept() {
    io_uring_sqe* sqe = uring->Sqe();
    if (accept_multishot) {
      io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    } else {
      io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    }
    sqe->user_data = PackUserData(UserOp::kAccept, 0, kListenSlot);
  }

  void OnAccept(int res, uint32_t flags) {
    if ((flags & IORING_CQE_F_MORE) == 0) {
      ArmAccept();
    }
    if (res < 0) {
      return;  // EMFILE and friends: the next connection may fare better
    }
    if (free_conns.empty() && conns.size() >= opt.max_connections) {
      close(res);
      return;
    }
    uint32_t slot;
    if (!free_conns.empty()) {
      slot = free_conns.back();
      free_conns.pop_back();
    } else {
      slot = static_cast<uint32_t>(conns.size());
      conns.emplace_back();
    }
    Conn& c = conns[slot];
    const uint32_t gen = (c.gen + 1) & kGenerationMask;
    c.fd = res;
    c.gen = gen;
    c.recv_armed = false;
    c.closing = c.in_body = c.sending = c.eof = false;
    c.hdr_len = 0;
    c.body_left = 0;
    c.run_head = c.run_count = 0;
    c.delayed = 0;
    c.last_due = 0;
    c.faulty = opt.fault != SinkFault::kNone && opt.fault_per_connection &&
               ShareHit(fault_seq++, opt.fault_share);
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ++stats.connections;
    ArmRecv(slot);
  }

  void ArmRecv(uint32_t slot) {
    Conn& c = conns[slot];
    io_uring_sqe* sqe = uring->Sqe();
    recv_bufs.PrepRecv(sqe, c.fd, recv_multishot);
    sqe->user_data = PackUserData(UserOp::kRecv, c.gen, slot);
    c.recv_armed = true;
  }

  void CloseConn(uint32_t slot) {
    Conn& c = conns[slot];
    if (c.fd < 0) {
      return;
    }
    shutdown(c.fd, SHUT_RDWR);
    close(c.fd);
    c.fd = -1;
    c.gen = (c.gen + 1) & kGenerationMask;
    free_conns.push_back(slot);
  }

  void OnRecv(uint32_t slot, uint32_t gen, int res, uint32_t flags) {
    const bool has_buf = (flags & IORING_CQE_F_BUFFER) != 0;
    const uint16_t bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    if (slot >= conns.size() || conns[slot].gen != gen || conns[slot].fd < 0) {
      if (has_buf) {
        recv_bufs.Return(bid);
      }
      return;
    }
    Conn& c = conns[slot];
    if ((flags & IORING_CQE_F_MORE) == 0) {
      c.recv_armed = false;
    }
    if (res > 0 && has_buf) {
      stats.bytes_in += static_cast<uint64_t>(res);
      Feed(slot, reinterpret_cast<const char*>(recv_bufs.Data(bid)), static_cast<uint32_t>(res));
      recv_bufs.Return(bid);
      if (conns[slot].gen == gen && conns[slot].fd >= 0 && !conns[slot].recv_armed) {
        ArmRecv(slot);
      }
      return;
    }
    if (has_buf) {
      recv_bufs.Return(bid);
    }
    if (res == -ENOBUFS) {
      if (!c.recv_armed) {
        ArmRecv(slot);
      }
      return;
    }
    if (res == 0 && (c.run_count > 0 || c.delayed > 0)) {
      c.eof = true;  // half-closed after pipelining: the replies still go out
      c.closing = true;
      return;
    }
    CloseConn(slot);  // EOF or an error: the client went away
  }

  // ---------------------------------------------------------------- requests

  void Feed(uint32_t slot, const char* data, uint32_t len) {
    Conn& c = conns[slot];
    while (len > 0 && !c.closing) {
      if (c.in_body) {
        const uint64_t n = std::min<uint64_t>(len, c.body_left);
        data += n;
        len -= static_cast<uint32_t>(n);
        c.body_left -= n;
        if (c.body_left == 0) {
          c.in_body = false;
        }
        continue;
      }
      const uint32_t old = c.hdr_len;
      const uint32_t take = std::min(len, kMaxHeader - old);
      memcpy(c.hdr + old, data, take);
      c.hdr_len += take;
      // Look for the end of the headers, starting where a split "\r\n\r\n" could begin.
      std::string_view h(c.hdr, c.hdr_len);
      const size_t end = h.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
      if (end == std::string_view::npos) {
        data += take;
        len -= take;
        if (c.hdr_len == kMaxHeader) {
          Enqueue(slot, k431);
        }
        continue;
      }
      const uint32_t used = static_cast<uint32_t>(end + 4) - old;
      data += used;
      len -= used;
      Request(slot, std::string_view(c.hdr, end + 2));
      c.hdr_len = 0;
    }
  }

  // One complete request head (request line and header lines, each ending in CRLF).
  // fault_after_ns: faults start that long after the first request (so a test's load and the
  // sink's clock agree however long the client took to start), and last until the end.
  bool FaultsOn() {
    if (opt.fault_after_ns == 0) {
      return true;
    }
    const int64_t now = MonoNs();
    if (first_request_ns == 0) {
      first_request_ns = now;
    }
    return now - first_request_ns >= opt.fault_after_ns;
  }

  void Request(uint32_t slot, std::string_view head) {
    Conn& c = conns[slot];
    ++stats.requests;
    const bool faults_on = opt.fault == SinkFault::kNone || FaultsOn();
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    const bool is_head = line.size() >= 5 && line.substr(0, 5) == "HEAD ";
    const bool http10 = line.size() >= 8 && line.substr(line.size() - 8) == "HTTP/1.0";
    bool keep_alive = !http10;
    bool chunked = false;
    uint64_t content_length = 0;
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    while (!head.empty()) {
      eol = head.find("\r\n");
      std::string_view field = head.substr(0, eol);
      head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
      const size_t colon = field.find(':');
      if (colon == std::string_view::npos) {
        continue;
      }
      const std::string_view name = Trim(field.substr(0, colon), kOws);
      const std::string_view value = Trim(field.substr(colon + 1), kOws);
      if (EqualsNoCase(name, "content-length")) {
        uint64_t v = 0;
        for (char ch : value) {
          if (ch < '0' || ch > '9') {
            break;
          }
          v = v * 10 + static_cast<uint64_t>(ch - '0');
        }
        content_length = v;
      } else if (EqualsNoCase(name, "connection")) {
        if (HasToken(value, "close")) {
          keep_alive = false;
        } else if (HasToken(value, "keep-alive")) {
          keep_alive = true;
        }
      } else if (EqualsNoCase(name, "transfer-encoding")) {
        chunked = HasToken(value, "chunked");
      }
    }
    if (chunked) {
      Enqueue(slot, k501);
      return;
    }
    if (content_length > 0) {
      c.in_body = true;
      c.body_left = content_length;
    }
    const Variant v = keep_alive ? (is_head ? kOkHead : kOk) : (is_head ? kOkHeadClose : kOkClose);
    if (opt.fault != SinkFault::kNone && faults_on &&
        (opt.fault_per_connection ? c.faulty : ShareHit(fault_seq++, opt.fault_share))) {
      ++stats.faults;
      ApplyFault(slot, v, keep_alive);
      return;
    }
    if (service.has_value()) {
      Delay(slot, v, service->ArriveNs(MonoNs()), true);
      return;
    }
    if (c.delayed != 0) {
      Delay(slot, v, 0);  // behind a held-back reply: keep the order
      return;
    }
    Enqueue(slot, v);
  }

  void ApplyFault(uint32_t slot, Variant v, bool keep_alive) {
    Conn& c = conns[slot];
    switch (opt.fault) {
      case SinkFault::kReset: {
        // SO_LINGER 0: the socket is reset (RST, no FIN) when it is released. SHUT_RD sends
        // nothing but ends the multishot receive, which holds the last file reference.
        linger lg{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        shutdown(c.fd, SHUT_RD);
        close(c.fd);
        c.fd = -1;
        c.gen = (c.gen + 1) & kGenerationMask;
        free_conns.push_back(slot);
        return;
      }
      case SinkFault::kCloseMid:
        Enqueue(slot, kCloseMid);
        return;
      case SinkFault::kStall:
        c.closing = true;  // parse nothing more, answer nothing; the client gives up
        c.in_body = false;
        return;
      case SinkFault::kGarbage:
        Enqueue(slot, kGarbage);
        return;
      case SinkFault::kSlow:
        Delay(slot, v, opt.slow_ns);
        return;
      case SinkFault::k503:
        if (c.delayed != 0) {
          Delay(slot, keep_alive ? k503 : k503Close, 0);  // keep the replies in order
        } else {
          Enqueue(slot, keep_alive ? k503 : k503Close);
        }
        return;
      case SinkFault::kNone:
        break;
    }
    Enqueue(slot, v);
  }

  void Delay(uint32_t slot, Variant v, int64_t delay_ns, bool served = false) {
    Conn& c = conns[slot];
    const int64_t due = std::max(MonoNs() + delay_ns, c.last_due);
    c.last_due = due;
    ++c.delayed;
    delayed.push(Delayed{due, delay_seq++, slot, c.gen, static_cast<uint8_t>(v), served});
  }

  // Sends the held-back replies that are due; returns the next due time (INT64_MAX: none).
  int64_t ReleaseDelayed(int64_t now) {
    while (!delayed.empty() && delayed.top().due <= now) {
      const Delayed d = delayed.top();
      delayed.pop();
      if (d.served) {
        service->Depart();
      }
      if (d.slot < conns.size() && conns[d.slot].gen == d.gen && conns[d.slot].fd >= 0) {
        --conns[d.slot].delayed;
        Enqueue(d.slot, static_cast<Variant>(d.variant));
      }
    }
    return delayed.empty() ? INT64_MAX : delayed.top().due;
  }

  void Enqueue(uint32_t slot, Variant v) {
    Conn& c = conns[slot];
    if (replies[v].close) {
      c.closing = true;
    }
    if (c.run_count > 0) {
      Conn::Run& last = c.runs[(c.run_head + c.run_count - 1) % kRuns];
      if (last.variant == v) {
        ++last.count;
        MaybeSend(slot);
        return;
      }
    }
    if (c.run_count == kRuns) {
      CloseConn(slot);  // a client pipelining this many different kinds of request
      return;
    }
    c.runs[(c.run_head + c.run_count) % kRuns] = Conn::Run{v, 1};
    ++c.run_count;
    MaybeSend(slot);
  }

  void MaybeSend(uint32_t slot) {
    Conn& c = conns[slot];
    if (c.sending || c.run_count == 0 || c.fd < 0) {
      return;
    }
    const Conn::Run& r = c.runs[c.run_head];
    const Reply& rep = replies[r.variant];
    c.batch = std::min(r.count, rep.copies);
    c.send_len = c.batch * rep.one_len;
    c.send_off = 0;
    c.sending = true;
    SubmitSend(slot);
  }

  void SubmitSend(uint32_t slot) {
    Conn& c = conns[slot];
    const Reply& rep = replies[c.runs[c.run_head].variant];
    io_uring_sqe* sqe = uring->Sqe();
    io_uring_prep_send(sqe, c.fd, rep.bytes.data() + c.send_off, c.send_len - c.send_off,
                       MSG_NOSIGNAL);
    sqe->user_data = PackUserData(UserOp::kSend, c.gen, slot);
  }

  void OnSend(uint32_t slot, uint32_t gen, int res) {
    if (slot >= conns.size() || conns[slot].gen != gen || conns[slot].fd < 0) {
      return;
    }
    Conn& c = conns[slot];
    if (res <= 0) {
      CloseConn(slot);
      return;
    }
    stats.bytes_out += static_cast<uint64_t>(res);
    c.send_off += static_cast<uint32_t>(res);
    if (c.send_off < c.send_len) {
      SubmitSend(slot);
      return;
    }
    c.sending = false;
    Conn::Run& r = c.runs[c.run_head];
    const bool close_after = replies[r.variant].close;
    r.count -= c.batch;
    if (r.count == 0) {
      c.run_head = (c.run_head + 1) % kRuns;
      --c.run_count;
    }
    if ((close_after || c.eof) && c.run_count == 0 && c.delayed == 0) {
      CloseConn(slot);
      return;
    }
    MaybeSend(slot);
  }
};

absl::Status ParseSinkFault(const std::string& text, SinkOptions* options) {
  if (text == "reset") {
    options->fault = SinkFault::kReset;
  } else if (text == "close-mid") {
    options->fault = SinkFault::kCloseMid;
  } else if (text == "stall") {
    options->fault = SinkFault::kStall;
  } else if (text == "garbage") {
    options->fault = SinkFault::kGarbage;
  } else if (text == "503") {
    options->fault = SinkFault::k503;
  } else if (text.rfind("slow=", 0) == 0) {
    absl::StatusOr<int64_t> ns = ParseDuration(text.substr(5));
    if (!ns.ok() || *ns <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--fault \"", text, "\": expected slow=DURATION with a positive duration (\"200ms\")"));
    }
    options->fault = SinkFault::kSlow;
    options->slow_ns = *ns;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--fault \"", text,
                     "\": expected one of reset, close-mid, stall, garbage, 503, slow=DURATION"));
  }
  return absl::OkStatus();
}

namespace {

// --udp: every datagram goes back to its sender; `stall` drops (a share of) them. Plain
// recvmmsg/sendmmsg in batches: a test target, where io_uring would buy nothing.
absl::Status RunUdp(int fd, const SinkOptions& opt, const std::atomic<bool>* stop,
                    SinkStats* stats) {
  constexpr int kBatch = 64;
  constexpr size_t kMaxDatagram = 65536;
  std::vector<char> buf(size_t{kBatch} * kMaxDatagram);
  std::vector<mmsghdr> in(kBatch);
  std::vector<mmsghdr> out(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<iovec> oiov(kBatch);
  std::vector<sockaddr_storage> from(kBatch);
  uint64_t seq = 0;
  while (!stop->load(std::memory_order_relaxed)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      continue;
    }
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = iovec{buf.data() + size_t(i) * kMaxDatagram, kMaxDatagram};
      in[i] = mmsghdr{};
      in[i].msg_hdr.msg_iov = &iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
      in[i].msg_hdr.msg_name = &from[i];
      in[i].msg_hdr.msg_namelen = sizeof(from[i]);
    }
    const int n = recvmmsg(fd, in.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      continue;
    }
    int m = 0;
    for (int i = 0; i < n; ++i) {
      ++stats->requests;
      stats->bytes_in += in[i].msg_len;
      if (opt.fault == SinkFault::kStall && ShareHit(seq++, opt.fault_share)) {
        ++stats->faults;
        continue;
      }
      oiov[m] = iovec{iov[i].iov_base, in[i].msg_len};
      out[m] = mmsghdr{};
      out[m].msg_hdr.msg_iov = &oiov[m];
      out[m].msg_hdr.msg_iovlen = 1;
      out[m].msg_hdr.msg_name = &from[i];
      out[m].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
      stats->bytes_out += in[i].msg_len;
      ++m;
    }
    for (int sent = 0; sent < m;) {
      const int r = sendmmsg(fd, out.data() + sent, static_cast<unsigned>(m - sent), 0);
      if (r <= 0) {
        break;  // a full socket buffer drops replies, as UDP does
      }
      sent += r;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Sink>> Sink::Create(const SinkOptions& options) {
  absl::StatusOr<HostPort> hp = ParseHostPort(options.listen, /*allow_port_zero=*/true);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--listen: ", hp.status().message()));
  }
  if (options.body_size > (64u << 20)) {
    return absl::InvalidArgumentError("--body-size: expected at most 64 MiB");
  }
  if (!(options.fault_share > 0.0 && options.fault_share <= 1.0)) {
    return absl::InvalidArgumentError("--fault-share: expected a number in (0, 1]");
  }
  if (options.udp && options.fault != SinkFault::kNone && options.fault != SinkFault::kStall) {
    return absl::InvalidArgumentError("--udp: the only fault for UDP is stall (drop datagrams)");
  }
  if (options.fault_after_ns < 0 || (options.fault_after_ns > 0 && options.udp)) {
    return absl::InvalidArgumentError(
        "--fault-after: expected a duration ≥ 0, and an HTTP sink (not --udp)");
  }
  absl::StatusOr<ResolvedAddress> addr = Resolve(*hp, Family::kAny, SOCK_STREAM);
  if (!addr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--listen: ", addr.status().message()));
  }
  std::unique_ptr<Sink> sink(new Sink());
  sink->impl_ = std::make_unique<Impl>();
  Impl& im = *sink->impl_;
  im.opt = options;
  im.listen_fd =
      socket(addr->addr.ss_family, (options.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (im.listen_fd < 0) {
    return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  }
  int one = 1;
  setsockopt(im.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(im.listen_fd, reinterpret_cast<const sockaddr*>(&addr->addr), addr->len) != 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen ", options.listen, ": cannot bind: ", strerror(errno)));
  }
  if (!options.udp && listen(im.listen_fd, 4096) != 0) {
    return absl::UnavailableError(absl::StrCat("listen: ", strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(im.listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
  sink->address_ = FormatSockaddr(bound);
  im.BuildReplies();
  return sink;
}

Sink::~Sink() = default;

SinkStats Sink::stats() const { return impl_->stats; }

absl::Status Sink::Run(const std::atomic<bool>* stop) {
  Impl& im = *impl_;
  if (im.opt.udp) {
    return RunUdp(im.listen_fd, im.opt, stop, &im.stats);
  }
  UringOptions uo;
  uo.sq_entries = 1024;
  uo.cq_entries = 8192;
  absl::StatusOr<std::unique_ptr<Uring>> u = Uring::Create(uo);
  if (!u.ok()) {
    return u.status();
  }
  im.uring = std::move(*u);
  const UringFeatures& f = im.uring->features();
  if (!f.buf_ring) {
    return absl::FailedPreconditionError(
        "the sink needs io_uring provided buffer rings (Linux 5.19+)");
  }
  im.accept_multishot = f.accept_multishot;
  im.recv_multishot = f.recv_multishot;
  if (absl::Status st = im.recv_bufs.Init(im.uring->ring(), kBufCount, kBufSize, kBufGroup);
      !st.ok()) {
    return st;
  }
  im.conns.reserve(1024);
  if (im.opt.capacity.active()) {
    im.service.emplace(im.opt.capacity);
  }
  im.ArmAccept();

  io_uring* ring = im.uring->ring();
  int64_t next_due = INT64_MAX;
  while (!stop->load(std::memory_order_relaxed)) {
    const int64_t now = MonoNs();
    im.uring->SubmitAndWait(1, std::min(now + 100'000'000, next_due), now, 0);
    unsigned head;
    unsigned n = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
      ++n;
      const uint64_t ud = cqe->user_data;
      switch (UserDataOp(ud)) {
        case UserOp::kAccept:
          im.OnAccept(cqe->res, cqe->flags);
          break;
        case UserOp::kRecv:
          im.OnRecv(UserDataSlot(ud), UserDataGeneration(ud), cqe->res, cqe->flags);
          break;
        case UserOp::kSend:
          im.OnSend(UserDataSlot(ud), UserDataGeneration(ud), cqe->res);
          break;
        default:
          break;
      }
    }
    if (n != 0) {
      io_uring_cq_advance(ring, n);
    }
    next_due = im.delayed.empty() ? INT64_MAX : im.ReleaseDelayed(MonoNs());
    im.recv_bufs.Flush();
  }
  return absl::OkStatus();
}

}  // namespace incarne
