// The http nib's data path: see http.h. Every function here runs on a worker thread, touches
// only the connection's caller-allocated state and the read-only config, and never allocates.
#include "http.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <span>

#include "http_config.h"
#include "http_parser.h"
#include "plan/plan.h"

namespace incarne {
namespace {

using http::HttpConfig;
using http::ReplyParser;
using http::ReplyState;

// Per-connection state (incarne_nib.state_size bytes, zero-filled before on_open).
struct ConnState {
  ReplyParser parser;
  uint32_t replies;  // complete replies on this connection
  uint8_t in_hit;    // a request was started and its reply is not complete yet
};
static_assert(std::is_trivially_copyable_v<ConnState>);

int Create(const incarne_nib_config* config, void** nib, char* error, size_t error_size) {
  if (config->plan == nullptr) {
    std::snprintf(error, error_size, "http: the built-in nib needs the resolved plan");
    return -EINVAL;
  }
  const auto* plan = static_cast<const Plan*>(config->plan);
  absl::StatusOr<HttpConfig> parsed = http::HttpConfigFromPlan(plan->target.http);
  if (!parsed.ok()) {
    std::snprintf(error, error_size, "%s", std::string(parsed.status().message()).c_str());
    return -EINVAL;
  }
  *nib = new HttpConfig(*parsed);
  return 0;
}

void Destroy(void* nib) { delete static_cast<HttpConfig*>(nib); }

int WorkerInit(void* nib, uint32_t /*worker*/, uint32_t /*slots*/, void** worker_ctx,
               char* /*error*/, size_t /*error_size*/) {
  *worker_ctx = nib;  // the config is read-only: workers share it
  return 0;
}

int OnStart(void* worker_ctx, void* state, const incarne_nib_request* request,
            incarne_nib_out* out) {
  const auto* config = static_cast<const HttpConfig*>(worker_ctx);
  auto* s = static_cast<ConnState*>(state);
  if (request->len == 0) {
    return -EINVAL;  // nothing to send: the http nib needs ammo
  }
  const auto* bytes = static_cast<const uint8_t*>(request->data);
  s->parser.Reset(&config->limits, http::IsHeadRequest(std::span(bytes, request->len)));
  s->in_hit = 1;
  out->send = request->data;  // zero-copy: straight from the ammo mapping
  out->send_len = request->len;
  if (config->announce_close && config->max_requests_per_connection != 0 &&
      s->replies + 1 >= config->max_requests_per_connection) {
    // The last request on this connection: say so (HTTP/1.1 asks it of a client that will
    // close), so that the server closes first and holds the TIME_WAIT — measured on loopback,
    // a client that closes first pays ~5× the CPU per hit hunting for a free port
    // (docs/http.md). The header is spliced in by the engine, not copied here.
    const int64_t at = http::CloseHeaderAt(std::span(bytes, request->len));
    if (at >= 0) {
      out->insert = http::kConnectionClose;
      out->insert_len = sizeof(http::kConnectionClose) - 1;
      out->insert_at = static_cast<uint32_t>(at);
    }
  }
  return INCARNE_NIB_WANT_RECV;
}

int OnRecv(void* worker_ctx, void* state, const void* data, uint32_t len, incarne_nib_out* out) {
  const auto* config = static_cast<const HttpConfig*>(worker_ctx);
  auto* s = static_cast<ConnState*>(state);
  if (!s->in_hit) {
    // Between hits: the server closed an idle connection (len 0) or sent bytes nobody asked
    // for. Either way the connection cannot carry the next request.
    return len == 0 ? -ECONNRESET : -EPROTO;
  }
  ReplyState st;
  size_t used = 0;
  if (len == 0) {
    st = s->parser.FeedEof();
  } else {
    st = s->parser.Feed(static_cast<const uint8_t*>(data), len, &used);
  }
  out->proto_code = s->parser.status();
  if (st == ReplyState::kNeedMore) {
    return INCARNE_NIB_WANT_RECV;
  }
  s->in_hit = 0;
  if (st == ReplyState::kError) {
    return -EPROTO;
  }
  ++s->replies;
  // Bytes after the reply (a server answering twice) mean the stream is out of step.
  const bool close = !s->parser.keep_alive() || len == 0 || used < len ||
                     (config->max_requests_per_connection != 0 &&
                      s->replies >= config->max_requests_per_connection);
  if (close) {
    out->flags |= INCARNE_NIB_OUT_CLOSE;
  }
  return INCARNE_NIB_DONE;
}

const incarne_nib kHttpNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "http",
    .description = "HTTP/1.0 and HTTP/1.1 over TCP (phantom proto_http semantics)",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = 0,
    .state_size = sizeof(ConnState),
    .reserved0 = 0,
    .create = Create,
    .destroy = Destroy,
    .worker_init = WorkerInit,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = OnStart,
    .on_sent = nullptr,
    .on_recv = OnRecv,
    .on_close = nullptr,
};

}  // namespace

const incarne_nib* HttpNib() { return &kHttpNib; }

}  // namespace incarne
