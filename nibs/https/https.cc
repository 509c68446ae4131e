// The https nib's data path: see https.h and docs/https.md. Every data-path function runs on a
// worker thread and touches only the connection's caller-allocated state, its worker's
// context and the read-only config. The nib itself never allocates per hit; wolfSSL allocates
// inside wolfSSL_new and the handshake (connection setup), and — the Debian build has no
// LARGE_STATIC_BUFFERS — grows its record buffers per record (docs/https.md).
#include "https.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

// wolfSSL's headers need its build options first.
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "aes_gcm_ni.h"
#include "http_parser.h"
#include "https_config.h"
#include "plan/plan.h"

namespace incarne {
namespace {

using http::ReplyParser;
using http::ReplyState;
using https::HttpsConfig;

// One TLS record carries at most 16 KiB of plaintext; a request is encrypted one record at a
// time, so the cipher-out buffer holds one full record plus its overhead (header, explicit
// IV, tag/MAC, padding: well under kRecordOverhead). That is also the high-water mark: the
// send callback refuses bytes beyond it (WANT_WRITE), and the rest of a large request is
// encrypted when the engine reports the buffer sent (on_sent). A handshake flight (ClientHello,
// a client certificate chain) must fit it too.
constexpr uint32_t kMaxPlainRecord = 16384;
constexpr uint32_t kRecordOverhead = 1024;
constexpr uint32_t kCipherOutCap = kMaxPlainRecord + kRecordOverhead;
// wolfSSL_read's output, per worker (consumed by the parser at once): one record.
constexpr uint32_t kPlainScratch = kMaxPlainRecord;
// Distinct failure reasons kept per worker for the end-of-run report.
constexpr int kReasonKinds = 6;
constexpr size_t kReasonLen = 200;

enum Phase : uint8_t { kHandshake = 0, kIdle, kInHit };

struct Reason {
  char text[kReasonLen];
  uint64_t count;
};

// Written by one worker, read by report() after every worker_fini (the engine joins the
// workers in between).
struct WorkerReport {
  uint64_t handshakes = 0;
  uint64_t resumed = 0;
  uint64_t failures = 0;
  uint64_t unlisted = 0;  // failures whose reason did not fit the table
  // TLS bytes on the wire, handshakes and record overhead included: the hits' size_out and
  // size_in count application bytes (docs/https.md "Byte counts"), these say what TLS cost.
  uint64_t wire_out = 0;
  uint64_t wire_in = 0;
  Reason reasons[kReasonKinds] = {};
};

struct Shared {
  HttpsConfig config;
  std::vector<WorkerReport> reports;  // one per worker
  // The AES-GCM device every worker's WOLFSSL_CTX uses (docs/https.md "AES-GCM"), or
  // INVALID_DEVID for wolfSSL's software; its process-wide counts when the run was set up.
  int aes_dev_id = INVALID_DEVID;
  https::AesNiCounts aes_base;
};

struct WorkerCtx {
  const Shared* shared;
  WorkerReport* report;
  WOLFSSL_CTX* ctx;
  WOLFSSL_SESSION* session;  // the worker's session store: the newest one seen
  std::string alpn;          // wolfSSL_UseALPN wants a mutable list
  // tap_replies: the engine's receiver of the decrypted reply (answ log), or null.
  incarne_nib_tap tap;
  void* tap_ctx;
  // last_error: the reason of the failure the last data-path call returned, or null. Cleared
  // at the start of every data-path call, set by Fail (TLS failures only: a malformed HTTP
  // reply is better shown by its bytes).
  const char* error;
  char error_text[kReasonLen];
  alignas(64) uint8_t plain[kPlainScratch];
};

// Per-connection state (incarne_nib.state_size bytes, zero-filled before on_open; all-zero is
// the state before the handshake).
struct ConnState {
  WOLFSSL* ssl;
  WorkerCtx* worker;
  // The received chunk wolfSSL's reads are served from, valid during one on_recv.
  const uint8_t* in;
  uint32_t in_len;
  uint32_t in_off;
  // The request plaintext still to encrypt: req (the ammo mapping; valid for the run) with
  // ins_len bytes of ins (a static header: "Connection: close") spliced in at ins_at —
  // req[0, ins_at), ins, req[ins_at, req_len). req_off counts plaintext written of that whole.
  const uint8_t* req;
  const uint8_t* ins;
  uint32_t req_len;
  uint32_t ins_len;
  uint32_t ins_at;
  uint32_t req_off;
  uint32_t write_retry;  // a wolfSSL_write of this many bytes stopped at WANT_WRITE
  // Cipher bytes in out[]; the first out_busy of them were handed to the engine and stay
  // untouched until it is done with them (on_sent, or the next hit / handshake step).
  uint32_t out_len;
  uint32_t out_busy;
  uint32_t plain_in;  // decrypted reply bytes of the hit (size_in)
  uint32_t replies;
  ReplyParser parser;
  uint8_t phase;
  uint8_t reply_done;
  uint8_t extra;          // plaintext after the reply: the stream is out of step
  uint8_t session_saved;  // this connection's session went to the worker's store
  alignas(64) uint8_t out[kCipherOutCap];
};

// ---------------------------------------------------------------- wolfSSL I/O callbacks

int IoRecv(WOLFSSL* /*ssl*/, char* buf, int sz, void* ctx) {
  auto* s = static_cast<ConnState*>(ctx);
  const uint32_t avail = s->in_len - s->in_off;
  if (avail == 0 || sz <= 0) {
    return WOLFSSL_CBIO_ERR_WANT_READ;
  }
  const uint32_t n = std::min(avail, static_cast<uint32_t>(sz));
  memcpy(buf, s->in + s->in_off, n);
  s->in_off += n;
  return static_cast<int>(n);
}

int IoSend(WOLFSSL* /*ssl*/, char* buf, int sz, void* ctx) {
  auto* s = static_cast<ConnState*>(ctx);
  const uint32_t room = kCipherOutCap - s->out_len;
  if (room == 0 || sz <= 0) {
    return WOLFSSL_CBIO_ERR_WANT_WRITE;  // the high-water mark: wolfSSL keeps the rest
  }
  const uint32_t n = std::min(room, static_cast<uint32_t>(sz));
  memcpy(s->out + s->out_len, buf, n);
  s->out_len += n;
  return static_cast<int>(n);
}

// ---------------------------------------------------------------- helpers

// Counts a failure and keeps its reason (fixed storage, no allocation): in the report table
// and as the worker's last_error. Returns -EPROTO.
int Fail(ConnState* s, const char* where, int err) {
  WorkerReport* r = s->worker->report;
  ++r->failures;
  char reason[WOLFSSL_MAX_ERROR_SZ] = "";
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(err), reason, sizeof(reason));
  char text[kReasonLen];
  if (err == WOLFSSL_ERROR_WANT_WRITE) {
    snprintf(text, sizeof(text), "%s: a handshake flight above the %u-byte send buffer", where,
             kCipherOutCap);
  } else {
    // Details when there are any: wolfCrypt's own text for its codes (-188 "ASN no signer
    // error to confirm failure", where the OpenSSL-style text says "certificate verify
    // failed"), the X509 verification result, an alert's description ("protocol_version").
    const char* detail = nullptr;
    const char* crypt = wc_GetErrorString(err);
    if (strncmp(crypt, "unknown", 7) != 0 && strcmp(crypt, reason) != 0) {
      detail = crypt;
    }
    const long verify = s->ssl != nullptr ? wolfSSL_get_verify_result(s->ssl) : 0;
    if (detail == nullptr && verify > 0) {
      const char* v = wolfSSL_X509_verify_cert_error_string(verify);
      if (strncmp(v, "unknown", 7) != 0) {
        detail = v;
      }
    }
    WOLFSSL_ALERT_HISTORY alerts;
    if (detail == nullptr && s->ssl != nullptr &&
        wolfSSL_get_alert_history(s->ssl, &alerts) == WOLFSSL_SUCCESS && alerts.last_rx.code > 0) {
      detail = wolfSSL_alert_desc_string_long(alerts.last_rx.code);
    }
    snprintf(text, sizeof(text), "%s: %s%s%s (wolfSSL error %d)", where, reason,
             detail != nullptr ? ": " : "", detail != nullptr ? detail : "", err);
  }
  WorkerCtx* w = s->worker;
  memcpy(w->error_text, text, sizeof(text));
  w->error = w->error_text;
  for (Reason& k : r->reasons) {
    if (k.count == 0) {
      memcpy(k.text, text, sizeof(text));
      k.count = 1;
      return -EPROTO;
    }
    if (strcmp(k.text, text) == 0) {
      ++k.count;
      return -EPROTO;
    }
  }
  ++r->unlisted;
  return -EPROTO;
}

// The engine is done with the bytes it was handed: drop them from the front.
void ReleaseSent(ConnState* s) {
  if (s->out_busy == 0) {
    return;
  }
  memmove(s->out, s->out + s->out_busy, s->out_len - s->out_busy);
  s->out_len -= s->out_busy;
  s->out_busy = 0;
}

// Hands the buffered cipher bytes to the engine, unless it still has some (they then go out
// with the next send).
void Flush(ConnState* s, incarne_nib_out* out) {
  if (s->out_busy == 0 && s->out_len != 0) {
    out->send = s->out;
    out->send_len = s->out_len;
    s->out_busy = s->out_len;
    s->worker->report->wire_out += s->out_len;
  }
}

void SetInput(ConnState* s, const void* data, uint32_t len) {
  s->in = static_cast<const uint8_t*>(data);
  s->in_len = len;
  s->in_off = 0;
}

// The request plaintext at req_off, as far as it is contiguous: in the ammo bytes before the
// inserted header, in the header, or in the ammo bytes after it.
std::span<const uint8_t> PlainAt(const ConnState* s) {
  uint32_t off = s->req_off;
  if (off < s->ins_at) {
    return {s->req + off, s->ins_at - off};
  }
  off -= s->ins_at;
  if (off < s->ins_len) {
    return {s->ins + off, s->ins_len - off};
  }
  off -= s->ins_len;
  return {s->req + s->ins_at + off, s->req_len - s->ins_at - off};
}

// Encrypts request plaintext into out[] while it stays under the high-water mark. A record
// never spans the pieces around an inserted header (no copy to join them: the last request of
// a connection goes out in three records, a few dozen bytes more on the wire).
int WriteMore(ConnState* s) {
  while (s->req_off < s->req_len + s->ins_len) {
    const std::span<const uint8_t> plain = PlainAt(s);
    uint32_t chunk = s->write_retry;
    if (chunk == 0) {
      chunk = std::min(kMaxPlainRecord, static_cast<uint32_t>(plain.size()));
      if (s->out_len + chunk + kRecordOverhead > kCipherOutCap) {
        return 0;  // full: continue in on_sent
      }
    }
    const int n = wolfSSL_write(s->ssl, plain.data(), static_cast<int>(chunk));
    if (n > 0) {
      s->req_off += static_cast<uint32_t>(n);
      s->write_retry = 0;
      continue;
    }
    const int err = wolfSSL_get_error(s->ssl, n);
    if (err == WOLFSSL_ERROR_WANT_WRITE) {
      s->write_retry = chunk;  // wolfSSL wants the same buffer again once out[] drained
      return 0;
    }
    return Fail(s, "write", err);
  }
  return 0;
}

void SaveSession(ConnState* s) {
  WorkerCtx* w = s->worker;
  if (!w->shared->config.resume || s->session_saved) {
    return;
  }
  // A reference to the connection's session (tickets that arrive later update it in place);
  // wolfSSL_set_session copies it into the next connection.
  WOLFSSL_SESSION* session = wolfSSL_get1_session(s->ssl);
  if (session == nullptr) {
    return;
  }
  if (w->session != nullptr) {
    wolfSSL_SESSION_free(w->session);
  }
  w->session = session;
  s->session_saved = 1;
}

// True when another wolfSSL_read could only say WANT_READ: the chunk is used up and nothing
// decrypted is pending (wolfSSL reads exactly a record header, then exactly its body, so a
// used-up chunk leaves at most a partial record inside wolfSSL). Saves a call per reply.
bool InputDone(ConnState* s) { return s->in_off == s->in_len && wolfSSL_pending(s->ssl) == 0; }

// Reads what the current input holds while no hit is in flight: session tickets, key
// updates, alerts. Application data here is an out-of-step stream (EPROTO); a close_notify
// ends the connection (ECONNRESET).
int Absorb(ConnState* s) {
  for (;;) {
    if (InputDone(s)) {
      return 0;
    }
    const int n = wolfSSL_read(s->ssl, s->worker->plain, kPlainScratch);
    if (n > 0) {
      return -EPROTO;
    }
    const int err = wolfSSL_get_error(s->ssl, n);
    if (err == WOLFSSL_ERROR_WANT_READ) {
      return 0;
    }
    if (err == WOLFSSL_ERROR_ZERO_RETURN) {
      return -ECONNRESET;
    }
    return Fail(s, "read", err);
  }
}

// One step of the handshake over the current input.
int Handshake(ConnState* s, incarne_nib_out* out) {
  const int r = wolfSSL_connect(s->ssl);
  if (r == WOLFSSL_SUCCESS) {
    s->phase = kIdle;
    WorkerReport* rep = s->worker->report;
    ++rep->handshakes;
    if (wolfSSL_session_reused(s->ssl)) {
      out->flags |= INCARNE_NIB_OUT_RESUMED;
      ++rep->resumed;
    }
    // The rest of the chunk (a TLS 1.3 session ticket, say) is read now: the chunk is gone
    // after this call.
    if (int a = Absorb(s); a < 0) {
      return a;
    }
    Flush(s, out);  // TLS 1.3: the client's Finished
    return INCARNE_NIB_READY;
  }
  const int err = wolfSSL_get_error(s->ssl, r);
  if (err == WOLFSSL_ERROR_WANT_READ) {
    Flush(s, out);  // the next flight, if this step made one
    return INCARNE_NIB_WANT_RECV;
  }
  return Fail(s, "handshake", err);
}

// ---------------------------------------------------------------- the descriptor's functions

// The end-of-run line saying which AES-GCM the run used (docs/https.md "AES-GCM").
std::string AesGcmSummary(const Shared& shared) {
  if (!shared.config.aes_ni) {
    return "AES-GCM: software (aes_ni = false)\n";
  }
  if (shared.aes_dev_id == INVALID_DEVID) {
    return https::AesGcmNiSupported() ? "AES-GCM: software (wolfSSL refused the AES-NI device)\n"
                                      : "AES-GCM: software (this CPU has no AES-NI/PCLMULQDQ)\n";
  }
  const https::AesNiCounts now = https::AesNiDeviceCounts();
  std::string s =
      "AES-GCM: AES-NI (" + std::to_string(now.records - shared.aes_base.records) + " records";
  if (now.declined != shared.aes_base.declined) {
    s += ", " + std::to_string(now.declined - shared.aes_base.declined) +
         " left to software: AES-192";
  }
  return s + ")\n";
}

int Create(const incarne_nib_config* config, void** nib, char* error, size_t error_size) {
  if (config->plan == nullptr) {
    snprintf(error, error_size, "https: the built-in nib needs the resolved plan");
    return -EINVAL;
  }
  if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
    snprintf(error, error_size, "https: wolfSSL_Init failed");
    return -EIO;
  }
  const auto* plan = static_cast<const Plan*>(config->plan);
  absl::StatusOr<HttpsConfig> parsed =
      https::HttpsConfigFromPlan(*plan, config->host != nullptr ? config->host : "");
  if (!parsed.ok()) {
    snprintf(error, error_size, "%s", std::string(parsed.status().message()).c_str());
    wolfSSL_Cleanup();
    return -EINVAL;
  }
  auto* shared = new Shared{*parsed, {}};
  shared->reports.resize(config->workers == 0 ? 1 : config->workers);
  if (shared->config.aes_ni) {
    // After wolfSSL_Init: a first init after a full cleanup empties wolfCrypt's device table.
    shared->aes_dev_id = https::RegisterAesNiDevice();
    shared->aes_base = https::AesNiDeviceCounts();
  }
  *nib = shared;
  return 0;
}

void Destroy(void* nib) {
  delete static_cast<Shared*>(nib);
  wolfSSL_Cleanup();
}

int WorkerInit(void* nib, uint32_t worker, uint32_t /*slots*/, void** worker_ctx, char* error,
               size_t error_size) {
  auto* shared = static_cast<Shared*>(nib);
  if (worker >= shared->reports.size()) {
    snprintf(error, error_size, "https: worker %u of %zu", worker, shared->reports.size());
    return -EINVAL;
  }
  absl::StatusOr<WOLFSSL_CTX*> ctx = https::NewClientContext(shared->config);
  if (!ctx.ok()) {
    snprintf(error, error_size, "%s", std::string(ctx.status().message()).c_str());
    return -EINVAL;
  }
  wolfSSL_CTX_SetIORecv(*ctx, IoRecv);
  wolfSSL_CTX_SetIOSend(*ctx, IoSend);
  // Every WOLFSSL made from the context inherits the device id, and wolfSSL binds each
  // connection's record ciphers to it: AES-GCM records go to the AES-NI code.
  if (shared->aes_dev_id != INVALID_DEVID &&
      wolfSSL_CTX_SetDevId(*ctx, shared->aes_dev_id) != WOLFSSL_SUCCESS) {
    wolfSSL_CTX_free(*ctx);
    snprintf(error, error_size, "https: wolfSSL refuses the AES-NI device id");
    return -EIO;
  }
  if (shared->config.resume) {
    wolfSSL_CTX_UseSessionTicket(*ctx);  // TLS 1.2 tickets (TLS 1.3 has them anyway)
  }
  auto* w = new WorkerCtx{};
  w->shared = shared;
  w->report = &shared->reports[worker];
  *w->report = WorkerReport{};
  w->ctx = *ctx;
  w->session = nullptr;
  w->alpn = shared->config.alpn;
  *worker_ctx = w;
  return 0;
}

void WorkerFini(void* /*nib*/, void* worker_ctx) {
  auto* w = static_cast<WorkerCtx*>(worker_ctx);
  if (w->session != nullptr) {
    wolfSSL_SESSION_free(w->session);
  }
  wolfSSL_CTX_free(w->ctx);
  delete w;
#ifdef FP_ECC
  wc_ecc_fp_free();  // this thread's fixed-point ECC cache (thread-local in this build)
#endif
}

// Connection setup (not the per-hit path): a WOLFSSL per connection, the ClientHello out.
int OnOpen(void* worker_ctx, void* state, incarne_nib_out* out) {
  auto* w = static_cast<WorkerCtx*>(worker_ctx);
  auto* s = static_cast<ConnState*>(state);
  const HttpsConfig& config = w->shared->config;
  w->error = nullptr;
  s->worker = w;
  s->ssl = wolfSSL_new(w->ctx);
  if (s->ssl == nullptr) {
    return -ENOMEM;
  }
  wolfSSL_SetIOReadCtx(s->ssl, s);
  wolfSSL_SetIOWriteCtx(s->ssl, s);
  if (!config.sni.empty()) {
    if (wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, config.sni.data(),
                       static_cast<uint16_t>(config.sni.size())) != WOLFSSL_SUCCESS) {
      return -ENOMEM;
    }
    if (config.verify && wolfSSL_check_domain_name(s->ssl, config.sni.c_str()) != WOLFSSL_SUCCESS) {
      return -ENOMEM;
    }
  }
  if (!w->alpn.empty() &&
      wolfSSL_UseALPN(s->ssl, w->alpn.data(), static_cast<unsigned>(w->alpn.size()),
                      WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) != WOLFSSL_SUCCESS) {
    return -ENOMEM;
  }
  if (config.resume && w->session != nullptr) {
    wolfSSL_set_session(s->ssl, w->session);  // refused (expired): a full handshake
  }
  return Handshake(s, out);
}

int OnStart(void* worker_ctx, void* state, const incarne_nib_request* request,
            incarne_nib_out* out) {
  auto* w = static_cast<WorkerCtx*>(worker_ctx);
  auto* s = static_cast<ConnState*>(state);
  w->error = nullptr;
  if (request->len == 0) {
    return -EINVAL;  // nothing to send: the https nib needs ammo
  }
  if (s->phase != kIdle) {
    return -EPROTO;
  }
  ReleaseSent(s);
  const auto* bytes = static_cast<const uint8_t*>(request->data);
  s->parser.Reset(&w->shared->config.http.limits,
                  http::IsHeadRequest(std::span(bytes, request->len)));
  s->phase = kInHit;
  s->reply_done = 0;
  s->extra = 0;
  s->plain_in = 0;
  s->req = bytes;
  s->req_len = request->len;
  s->req_off = 0;
  s->write_retry = 0;
  s->ins = nullptr;
  s->ins_len = 0;
  s->ins_at = 0;
  const http::HttpConfig& http = w->shared->config.http;
  if (http.announce_close && http.max_requests_per_connection != 0 &&
      s->replies + 1 >= http.max_requests_per_connection) {
    // The last request on this connection says so, as the http nib's does (docs/http.md): the
    // server closes first and holds the TIME_WAIT.
    const int64_t at = http::CloseHeaderAt(std::span(bytes, request->len));
    if (at >= 0) {
      s->ins = reinterpret_cast<const uint8_t*>(http::kConnectionClose);
      s->ins_len = sizeof(http::kConnectionClose) - 1;
      s->ins_at = static_cast<uint32_t>(at);
      out->flags |= INCARNE_NIB_OUT_LAST_REQUEST;  // the engine waits for the server's FIN
    }
  }
  // The hit's size_out: the application bytes, as phantom counts them (docs/https.md).
  out->size_out = s->req_len + s->ins_len;
  if (int r = WriteMore(s); r < 0) {
    return r;
  }
  Flush(s, out);
  return INCARNE_NIB_WANT_RECV;
}

int OnSent(void* worker_ctx, void* state, incarne_nib_out* out) {
  static_cast<WorkerCtx*>(worker_ctx)->error = nullptr;
  auto* s = static_cast<ConnState*>(state);
  ReleaseSent(s);
  if (s->phase == kInHit) {
    if (int r = WriteMore(s); r < 0) {
      return r;
    }
  }
  Flush(s, out);
  return INCARNE_NIB_WANT_RECV;
}

// The reply of the hit in flight: decrypt what arrived, feed the parser.
int HitRecv(ConnState* s, uint32_t len, incarne_nib_out* out) {
  const HttpsConfig& config = s->worker->shared->config;
  bool eof = len == 0;
  ReplyState st = s->parser.state();
  while (!eof) {
    const int n = wolfSSL_read(s->ssl, s->worker->plain, kPlainScratch);
    if (n > 0) {
      s->plain_in += static_cast<uint32_t>(n);
      if (s->worker->tap != nullptr) {  // the answ log: every byte counted in size_in
        s->worker->tap(s->worker->tap_ctx, s, s->worker->plain, static_cast<uint32_t>(n));
      }
      if (s->reply_done) {
        s->extra = 1;
        if (InputDone(s)) {
          break;
        }
        continue;
      }
      size_t used = 0;
      st = s->parser.Feed(s->worker->plain, static_cast<size_t>(n), &used);
      if (st == ReplyState::kError) {
        s->phase = kIdle;
        return -EPROTO;
      }
      if (st == ReplyState::kDone) {
        s->reply_done = 1;
        s->extra = used < static_cast<size_t>(n);
      }
      if (InputDone(s)) {
        break;
      }
      continue;
    }
    const int err = wolfSSL_get_error(s->ssl, n);
    if (err == WOLFSSL_ERROR_WANT_READ) {
      break;
    }
    if (err == WOLFSSL_ERROR_ZERO_RETURN) {  // close_notify: EOF on the TLS level
      eof = true;
      break;
    }
    s->phase = kIdle;
    return Fail(s, "read", err);
  }
  if (eof && !s->reply_done) {
    st = s->parser.FeedEof();
    if (st == ReplyState::kError) {
      s->phase = kIdle;
      return -EPROTO;
    }
    s->reply_done = st == ReplyState::kDone;
  }
  out->size_in = s->plain_in;
  out->proto_code = s->parser.status();
  if (!s->reply_done) {
    Flush(s, out);  // bytes wolfSSL wrote while reading (a key update), if the engine is free
    return INCARNE_NIB_WANT_RECV;
  }
  s->phase = kIdle;
  ++s->replies;
  SaveSession(s);
  const uint32_t max_requests = config.http.max_requests_per_connection;
  if (!s->parser.keep_alive() || eof || s->extra ||
      (max_requests != 0 && s->replies >= max_requests)) {
    out->flags |= INCARNE_NIB_OUT_CLOSE;
  }
  return INCARNE_NIB_DONE;
}

int OnRecv(void* worker_ctx, void* state, const void* data, uint32_t len, incarne_nib_out* out) {
  static_cast<WorkerCtx*>(worker_ctx)->error = nullptr;
  auto* s = static_cast<ConnState*>(state);
  s->worker->report->wire_in += len;
  SetInput(s, data, len);
  int r;
  switch (s->phase) {
    case kHandshake:
      // The server answered: the engine is done with the flight it was handed.
      ReleaseSent(s);
      r = len == 0 ? -ECONNRESET : Handshake(s, out);
      break;
    case kInHit:
      r = HitRecv(s, len, out);
      break;
    default:
      // Between hits: tickets are absorbed (and refresh the stored session); anything wolfSSL
      // writes meanwhile goes out with the next request.
      r = len == 0 ? -ECONNRESET : Absorb(s);
      break;
  }
  SetInput(s, nullptr, 0);
  return r;
}

void OnClose(void* worker_ctx, void* state) {
  static_cast<WorkerCtx*>(worker_ctx)->error = nullptr;
  auto* s = static_cast<ConnState*>(state);
  if (s->ssl != nullptr) {
    wolfSSL_free(s->ssl);  // no close_notify: the socket is already gone
    s->ssl = nullptr;
  }
}

// The engine wants the decrypted reply of every hit (the answ log is on).
void TapReplies(void* worker_ctx, incarne_nib_tap tap, void* tap_ctx) {
  auto* w = static_cast<WorkerCtx*>(worker_ctx);
  w->tap = tap;
  w->tap_ctx = tap_ctx;
}

// The TLS failure behind the last negative status ("handshake: certificate verify failed
// (wolfSSL error -188)"); null for the others (a malformed reply, EOF, no ammo).
const char* LastError(void* worker_ctx) { return static_cast<WorkerCtx*>(worker_ctx)->error; }

void Report(void* nib, char* text, size_t size) {
  const auto* shared = static_cast<const Shared*>(nib);
  uint64_t handshakes = 0;
  uint64_t resumed = 0;
  uint64_t failures = 0;
  uint64_t unlisted = 0;
  uint64_t wire_out = 0;
  uint64_t wire_in = 0;
  std::map<std::string, uint64_t> reasons;
  for (const WorkerReport& r : shared->reports) {
    wire_out += r.wire_out;
    wire_in += r.wire_in;
    handshakes += r.handshakes;
    resumed += r.resumed;
    failures += r.failures;
    unlisted += r.unlisted;
    for (const Reason& k : r.reasons) {
      if (k.count != 0) {
        reasons[k.text] += k.count;
      }
    }
  }
  std::string s = "TLS: " + std::to_string(handshakes) + " handshakes, " + std::to_string(resumed) +
                  " resumed (resume = " + (shared->config.resume ? "true" : "false") + "), " +
                  std::to_string(failures) + " TLS failures (net_code 71)\n";
  for (const auto& [reason, count] : reasons) {
    s += "TLS failure x" + std::to_string(count) + ": " + reason + "\n";
  }
  if (unlisted != 0) {
    s += "TLS failure x" + std::to_string(unlisted) + ": other reasons\n";
  }
  s += "TLS wire bytes: " + std::to_string(wire_out) + " out, " + std::to_string(wire_in) +
       " in (handshakes and records; the hits' size_out/size_in count the HTTP bytes)\n";
  s += AesGcmSummary(*shared);
  snprintf(text, size, "%s", s.c_str());
}

const incarne_nib kHttpsNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "https",
    .description = "HTTP/1.0 and HTTP/1.1 over TLS 1.2/1.3 (wolfSSL), phantom proto_http semantics",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = INCARNE_NIB_CAP_TLS,
    .state_size = sizeof(ConnState),
    .reserved0 = 0,
    .create = Create,
    .destroy = Destroy,
    .worker_init = WorkerInit,
    .worker_fini = WorkerFini,
    .on_open = OnOpen,
    .on_start = OnStart,
    .on_sent = OnSent,
    .on_recv = OnRecv,
    .on_close = OnClose,
    .report = Report,
    .tap_replies = TapReplies,
    .last_error = LastError,
};

}  // namespace

const incarne_nib* HttpsNib() { return &kHttpsNib; }

}  // namespace incarne
