// The udp nib's data path: two functions, no state. See udp.h.
#include "udp.h"

#include <cerrno>

namespace incarne {
namespace {

// The record goes out as it is, zero-copy from the ammo mapping. An empty record would send
// nothing the engine could wait on (a zero-length send is no datagram to the engine): -EINVAL.
// A record larger than a datagram can carry fails in the kernel with EMSGSIZE (net_code 90).
int OnStart(void* /*worker_ctx*/, void* /*state*/, const incarne_nib_request* request,
            incarne_nib_out* out) {
  if (request->len == 0) {
    return -EINVAL;
  }
  out->send = request->data;
  out->send_len = request->len;
  return INCARNE_NIB_WANT_RECV;
}

// Any datagram completes the hit; the engine counts its bytes (size_in). len == 0 is an empty
// datagram, not an end of stream (UDP has none): it completes the hit as well (the engine then
// takes a fresh socket). Between hits (a duplicated or stray datagram) the verdict is ignored.
int OnRecv(void* /*worker_ctx*/, void* /*state*/, const void* /*data*/, uint32_t /*len*/,
           incarne_nib_out* out) {
  out->proto_code = 0;
  return INCARNE_NIB_DONE;
}

const incarne_nib kUdpNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "udp",
    .description = "one datagram per hit; the next datagram on the socket is the reply",
    .transport = INCARNE_NIB_TRANSPORT_UDP,
    .capabilities = 0,
    .state_size = 0,
    .reserved0 = 0,
    .create = nullptr,
    .destroy = nullptr,
    .worker_init = nullptr,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = OnStart,
    .on_sent = nullptr,
    .on_recv = OnRecv,
    .on_close = nullptr,
};

}  // namespace

const incarne_nib* UdpNib() { return &kUdpNib; }

}  // namespace incarne
