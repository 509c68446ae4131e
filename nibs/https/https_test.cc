// The https nib through its C ABI descriptor, as the engine drives it (sans I/O), against an
// in-memory wolfSSL server: handshakes (TLS 1.2 and 1.3), keep-alive hits, large requests
// over several sends, resumption on/off, SNI, verification with the right and the wrong CA,
// the end-of-run report, and the answ log's hooks (tap_replies: the plaintext reply;
// last_error: the reason of a TLS failure).
#include "https.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "plan/plan.h"

namespace incarne {
namespace {

// A CA, a server certificate it signed (SAN DNS:test.incarne, IP:127.0.0.1; valid 2000–2100)
// and an unrelated CA. Made once with the openssl CLI (openssl ca -startdate 20000101000000Z);
// the integration tests make fresh ones at test time.
const char kCaPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBZjCCAQugAwIBAgICEAAwCgYIKoZIzj0EAwIwGjEYMBYGA1UEAwwPaW5jYXJu
ZSB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAaMRgw
FgYDVQQDDA9pbmNhcm5lIHRlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AATZdWH4CMoi3QpPe4ctuX0pYCmlidVxY9YKSGRmNO+XNljqcpPJQWfdeTQ+TQPW
+aycDCP3kARVKdEwFHLdHTuyoz8wPTAPBgNVHRMBAf8EBTADAQH/MAsGA1UdDwQE
AwIBBjAdBgNVHQ4EFgQUtOc0IL+cRtYsnMYkRQFV26cijxQwCgYIKoZIzj0EAwID
SQAwRgIhANR54THys/nUssz0f8V65mvkskZPIWRDRtK4F9KXWEvQAiEApq4W9rPy
FIgiaqTHtpGWXrdomGvesxyaDeuNWxztkds=
-----END CERTIFICATE-----
)";
const char kWrongCaPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBaDCCAQ2gAwIBAgICEAEwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQaW5jYXJu
ZSB3cm9uZyBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowGzEZ
MBcGA1UEAwwQaW5jYXJuZSB3cm9uZyBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABDzS5eV3MQjnOoj4LFxiMtUJAyb3NNIUxGYToIA0msOVwNd2ueodzCMKxzOD
faCu6P0V4EO9MuWhvJAA0pQtynajPzA9MA8GA1UdEwEB/wQFMAMBAf8wCwYDVR0P
BAQDAgEGMB0GA1UdDgQWBBQ3C4sqZjpFFZ/CtdAqKZPhFsZjrTAKBggqhkjOPQQD
AgNJADBGAiEAxAtMcejYgfvV3e8MLMjiUet5ojSn/bEi6rr6yegd0UwCIQDJ3uHX
TzkV98dN3Y/voQgeUFkyJ40Y10MIgyqVao9dVw==
-----END CERTIFICATE-----
)";
const char kServerCertPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBsjCCAVmgAwIBAgICEAIwCgYIKoZIzj0EAwIwGjEYMBYGA1UEAwwPaW5jYXJu
ZSB0ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAXMRUw
EwYDVQQDDAx0ZXN0LmluY2FybmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARF
DVNLrNiW2LcVNPCBSOg9wieK+5jbfjOj8EBvtmWbNDpVDoyMgddUO9zPpShHPHVV
tZOzBgVnrlvIzm1lbcF+o4GPMIGMMB0GA1UdEQQWMBSCDHRlc3QuaW5jYXJuZYcE
fwAAATAJBgNVHRMEAjAAMAsGA1UdDwQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcD
ATAdBgNVHQ4EFgQU3zCi+nC4bvhWRt0QMz+iRa3qD14wHwYDVR0jBBgwFoAUtOc0
IL+cRtYsnMYkRQFV26cijxQwCgYIKoZIzj0EAwIDRwAwRAIgEwRV7UOPTyNMePqO
rHCV0TmoeFwEFTkR+p6FAkbkC0ICIDchEHQXzfvnTV8KLUu+6pmxlrseszz1kCbo
xdnNuFTT
-----END CERTIFICATE-----
)";
const char kServerKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkLQWE4Ne2DxPCYNR
iqrV1GLpnqTenJOGqNzpE2WbO3ahRANCAARFDVNLrNiW2LcVNPCBSOg9wieK+5jb
fjOj8EBvtmWbNDpVDoyMgddUO9zPpShHPHVVtZOzBgVnrlvIzm1lbcF+
-----END PRIVATE KEY-----
)";

constexpr uint32_t kChunk = 4096;  // the engine's receive buffer size

// The peer: a wolfSSL server over two byte queues. Answers every complete request (headers,
// then Content-Length bytes) with `reply`.
class Server {
 public:
  Server(bool tls13, bool resume_ok) {
    ctx_ = wolfSSL_CTX_new(tls13 ? wolfTLSv1_3_server_method() : wolfTLSv1_2_server_method());
    EXPECT_NE(ctx_, nullptr);
    EXPECT_EQ(wolfSSL_CTX_use_certificate_buffer(
                  ctx_, reinterpret_cast<const unsigned char*>(kServerCertPem),
                  sizeof(kServerCertPem) - 1, WOLFSSL_FILETYPE_PEM),
              WOLFSSL_SUCCESS);
    EXPECT_EQ(wolfSSL_CTX_use_PrivateKey_buffer(
                  ctx_, reinterpret_cast<const unsigned char*>(kServerKeyPem),
                  sizeof(kServerKeyPem) - 1, WOLFSSL_FILETYPE_PEM),
              WOLFSSL_SUCCESS);
    wolfSSL_CTX_SetIORecv(ctx_, &Server::Recv);
    wolfSSL_CTX_SetIOSend(ctx_, &Server::Send);
    // Remember what SNI the client sent, whatever it is.
    wolfSSL_CTX_UseSNI(ctx_, WOLFSSL_SNI_HOST_NAME, "test.incarne", 12);
    wolfSSL_CTX_SNI_SetOptions(ctx_, WOLFSSL_SNI_HOST_NAME, WOLFSSL_SNI_ANSWER_ON_MISMATCH);
    wolfSSL_CTX_set_servername_callback(ctx_, &Server::OnSni);
    wolfSSL_CTX_set_servername_arg(ctx_, this);
    if (!resume_ok) {
      wolfSSL_CTX_set_session_cache_mode(ctx_, WOLFSSL_SESS_CACHE_OFF);
      wolfSSL_CTX_NoTicketTLSv12(ctx_);
      wolfSSL_CTX_no_ticket_TLSv13(ctx_);
    }
  }
  ~Server() {
    Close();
    wolfSSL_CTX_free(ctx_);
  }

  // A new connection (the previous one, if any, is dropped).
  void Accept() {
    Close();
    ssl_ = wolfSSL_new(ctx_);
    ASSERT_NE(ssl_, nullptr);
    wolfSSL_SetIOReadCtx(ssl_, this);
    wolfSSL_SetIOWriteCtx(ssl_, this);
    in_.clear();
    out_.clear();
    request_.clear();
    sni_.clear();
    established_ = false;
  }
  void Close() {
    if (ssl_ != nullptr) {
      wolfSSL_free(ssl_);
      ssl_ = nullptr;
    }
  }

  // Runs as far as the bytes received allow.
  void Pump() {
    if (!established_) {
      if (wolfSSL_accept(ssl_) != WOLFSSL_SUCCESS) {
        return;
      }
      established_ = true;
      resumed_ = wolfSSL_session_reused(ssl_) != 0;
    }
    char buf[16384];
    for (;;) {
      int n = wolfSSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      request_.append(buf, n);
      received_ += n;
    }
    for (;;) {
      const size_t head = request_.find("\r\n\r\n");
      if (head == std::string::npos) {
        return;
      }
      size_t body = 0;
      const size_t cl = request_.find("Content-Length: ");
      if (cl != std::string::npos && cl < head) {
        body = std::strtoul(request_.c_str() + cl + 16, nullptr, 10);
      }
      if (request_.size() < head + 4 + body) {
        return;
      }
      last_request = request_.substr(0, head + 4 + body);
      request_.erase(0, head + 4 + body);
      ++requests_;
      ASSERT_EQ(wolfSSL_write(ssl_, reply.data(), static_cast<int>(reply.size())),
                static_cast<int>(reply.size()));
    }
  }

  std::string in_;   // client → server
  std::string out_;  // server → client
  std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::string sni_;
  std::string last_request;  // the plaintext of the last complete request
  bool resumed_ = false;
  bool established_ = false;
  int requests_ = 0;
  size_t received_ = 0;  // request plaintext bytes

 private:
  // While the ClientHello is processed (TLS 1.3 does not keep the name after the handshake).
  static int OnSni(WOLFSSL* ssl, int* /*ret*/, void* arg) {
    const char* name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
    static_cast<Server*>(arg)->sni_ = name != nullptr ? name : "";
    return 0;
  }
  static int Recv(WOLFSSL*, char* buf, int sz, void* ctx) {
    auto* s = static_cast<Server*>(ctx);
    if (s->in_.empty()) {
      return WOLFSSL_CBIO_ERR_WANT_READ;
    }
    const int n = std::min<int>(sz, static_cast<int>(s->in_.size()));
    memcpy(buf, s->in_.data(), n);
    s->in_.erase(0, n);
    return n;
  }
  static int Send(WOLFSSL*, char* buf, int sz, void* ctx) {
    static_cast<Server*>(ctx)->out_.append(buf, sz);
    return sz;
  }

  WOLFSSL_CTX* ctx_ = nullptr;
  WOLFSSL* ssl_ = nullptr;
  std::string request_;
};

// What the engine's tap (incarne_nib_tap) saw: the pieces of decrypted reply, per state.
struct TapLog {
  void* state = nullptr;  // the state of the last tap
  std::string bytes;
  int calls = 0;
};

void TapInto(void* tap_ctx, void* state, const void* data, uint32_t len) {
  auto* log = static_cast<TapLog*>(tap_ctx);
  log->state = state;
  log->bytes.append(static_cast<const char*>(data), len);
  ++log->calls;
}

class HttpsNibTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/incarne-https-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ca_ = dir_ + "/ca.pem";
    wrong_ca_ = dir_ + "/wrong.pem";
    std::ofstream(ca_) << kCaPem;
    std::ofstream(wrong_ca_) << kWrongCaPem;
    plan_.target.tls.sni = "test.incarne";
    plan_.target.tls.verify = true;
    plan_.target.tls.ca_file = ca_;
  }
  void TearDown() override {
    CloseConn();
    if (nib_ctx_ != nullptr) {
      if (worker_ctx_ != nullptr) {
        nib_->worker_fini(nib_ctx_, worker_ctx_);
      }
      nib_->destroy(nib_ctx_);
    }
    free(state_);
    unlink(ca_.c_str());
    unlink(wrong_ca_.c_str());
    rmdir(dir_.c_str());
  }

  // create + worker_init; `error` gets create()'s message.
  int Create(std::string* error = nullptr) {
    incarne_nib_config config{};
    config.struct_size = sizeof(config);
    config.workers = 1;
    config.address = "127.0.0.1:443";
    config.host = "127.0.0.1";
    config.plan = &plan_;
    char buf[512] = "";
    int r = nib_->create(&config, &nib_ctx_, buf, sizeof(buf));
    if (error != nullptr) {
      *error = buf;
    }
    if (r != 0) {
      nib_ctx_ = nullptr;
      return r;
    }
    EXPECT_EQ(nib_->worker_init(nib_ctx_, 0, 1, &worker_ctx_, buf, sizeof(buf)), 0) << buf;
    state_ = static_cast<uint8_t*>(aligned_alloc(64, (nib_->state_size + 63) / 64 * 64));
    return 0;
  }

  // A new connection: zero-filled state, on_open, then the engine's loop until READY or error.
  int Connect(Server* server) {
    CloseConn();
    server->Accept();
    memset(state_, 0, nib_->state_size);
    open_ = true;
    out_ = incarne_nib_out{};
    int r = nib_->on_open(worker_ctx_, state_, &out_);
    r = Loop(server, r, false);
    ready_flags_ = out_.flags;
    return r;
  }
  void CloseConn() {
    if (open_) {
      nib_->on_close(worker_ctx_, state_);
      open_ = false;
    }
  }

  // One hit on the connection: on_start, sends (and on_sent), the server's reply in chunks.
  int Hit(Server* server, const std::string& request) {
    request_ = request;
    incarne_nib_request req{};
    req.data = request_.data();
    req.len = static_cast<uint32_t>(request_.size());
    out_ = incarne_nib_out{};
    int r = nib_->on_start(worker_ctx_, state_, &req, &out_);
    start_size_out_ = out_.size_out;
    start_flags_ = out_.flags;
    return Loop(server, r, true);
  }

  // The engine's part: hands out.send to the server (then on_sent during a hit), lets the
  // server run and delivers its bytes in kChunk pieces, until a final verdict or no progress.
  int Loop(Server* server, int r, bool hit) {
    for (int guard = 0; guard < 10000; ++guard) {
      if (r < 0 || r == INCARNE_NIB_DONE) {
        return r;
      }
      if (out_.send != nullptr && out_.send_len > 0) {
        server->in_.append(static_cast<const char*>(out_.send), out_.send_len);
        ++sends_;
        if (hit) {
          out_ = incarne_nib_out{};
          r = nib_->on_sent(worker_ctx_, state_, &out_);
          continue;
        }
      }
      if (r == INCARNE_NIB_READY) {
        return r;
      }
      server->Pump();
      if (server->out_.empty()) {
        return r;  // stuck: nothing left to deliver
      }
      const std::string chunk = server->out_.substr(0, kChunk);
      server->out_.erase(0, chunk.size());
      const uint16_t flags = out_.flags;
      out_ = incarne_nib_out{};
      r = nib_->on_recv(worker_ctx_, state_, chunk.data(), static_cast<uint32_t>(chunk.size()),
                        &out_);
      out_.flags |= flags & INCARNE_NIB_OUT_RESUMED;
    }
    ADD_FAILURE() << "no verdict";
    return -1;
  }

  // As the engine does with the answ log on: after worker_init, before any data-path call.
  void TapReplies() { nib_->tap_replies(worker_ctx_, &TapInto, &tap_); }
  std::string LastError() {
    const char* why = nib_->last_error(worker_ctx_);
    return why != nullptr ? why : "(null)";
  }

  std::string Report() {
    char text[4096] = "";
    nib_->report(nib_ctx_, text, sizeof(text));
    return text;
  }

  const incarne_nib* nib_ = HttpsNib();
  Plan plan_;
  std::string dir_, ca_, wrong_ca_;
  void* nib_ctx_ = nullptr;
  void* worker_ctx_ = nullptr;
  uint8_t* state_ = nullptr;
  bool open_ = false;
  std::string request_;
  incarne_nib_out out_{};
  uint16_t ready_flags_ = 0;
  uint32_t start_size_out_ = 0;  // on_start's out->size_out of the last Hit
  uint16_t start_flags_ = 0;     // and its out->flags
  int sends_ = 0;
  TapLog tap_;
};

const char kGet[] = "GET / HTTP/1.1\r\nHost: test.incarne\r\n\r\n";

TEST_F(HttpsNibTest, Descriptor) {
  EXPECT_EQ(nib_->abi_version, INCARNE_NIB_ABI_VERSION);
  EXPECT_EQ(nib_->struct_size, sizeof(incarne_nib));
  EXPECT_STREQ(nib_->name, "https");
  EXPECT_EQ(nib_->transport, INCARNE_NIB_TRANSPORT_TCP);
  EXPECT_NE(nib_->capabilities & INCARNE_NIB_CAP_TLS, 0u);
  EXPECT_TRUE(INCARNE_NIB_HAS(nib_, report));
  EXPECT_TRUE(INCARNE_NIB_HAS(nib_, last_error));
  EXPECT_NE(nib_->tap_replies, nullptr);
  EXPECT_NE(nib_->last_error, nullptr);
  EXPECT_NE(nib_->on_open, nullptr);
  EXPECT_NE(nib_->on_sent, nullptr);
  EXPECT_NE(nib_->on_close, nullptr);
}

class HttpsVersionTest : public HttpsNibTest, public ::testing::WithParamInterface<bool> {};

TEST_P(HttpsVersionTest, HandshakeThenKeepAliveHits) {
  ASSERT_EQ(Create(), 0);
  Server server(/*tls13=*/GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  EXPECT_EQ(server.sni_, "test.incarne");
  EXPECT_EQ(ready_flags_ & INCARNE_NIB_OUT_RESUMED, 0) << "the first connection is a full one";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE) << i;
    EXPECT_EQ(out_.proto_code, 200);
    EXPECT_EQ(out_.size_in, server.reply.size()) << "size_in is the decrypted size";
    EXPECT_EQ(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
  }
  EXPECT_EQ(server.requests_, 3);
  // The server says goodbye: the reply decides close.
  server.reply = "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 503);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
  EXPECT_NE(Report().find("TLS: 1 handshakes, 0 resumed"), std::string::npos) << Report();
}

TEST_P(HttpsVersionTest, ResumptionIsPerWorkerAndOptional) {
  for (bool resume : {true, false}) {
    SCOPED_TRACE(resume ? "resume = true" : "resume = false");
    plan_.target.tls.resume = resume;
    if (nib_ctx_ != nullptr) {
      CloseConn();
      nib_->worker_fini(nib_ctx_, worker_ctx_);
      nib_->destroy(nib_ctx_);
      nib_ctx_ = nullptr;
      worker_ctx_ = nullptr;
      free(state_);
      state_ = nullptr;
    }
    ASSERT_EQ(Create(), 0);
    Server server(GetParam(), true);
    int resumed = 0;
    for (int c = 0; c < 4; ++c) {
      ASSERT_EQ(Connect(&server), INCARNE_NIB_READY) << c;
      ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE) << c;
      EXPECT_EQ(out_.proto_code, 200);
      const bool flagged = (ready_flags_ & INCARNE_NIB_OUT_RESUMED) != 0;
      EXPECT_EQ(flagged, server.resumed_) << "the flag agrees with the server, connection " << c;
      resumed += flagged;
    }
    EXPECT_EQ(resumed, resume ? 3 : 0);
  }
}

TEST_P(HttpsVersionTest, LargeRequestGoesOutInSeveralSends) {
  ASSERT_EQ(Create(), 0);
  Server server(GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  const std::string body(100000, 'b');
  const std::string post =
      "POST /up HTTP/1.1\r\nHost: test.incarne\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  sends_ = 0;
  ASSERT_EQ(Hit(&server, post), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 200);
  EXPECT_EQ(server.received_, post.size());
  EXPECT_GE(sends_, 7) << "one record (<= 16 KiB of plaintext) per send";
  // The connection is still in step.
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(server.requests_, 2);
}

// size_out and size_in are application bytes, as phantom counts them (docs/https.md "Byte
// counts"); the wire bytes, handshake included, are in the report.
TEST_P(HttpsVersionTest, SizesAreTheHttpBytesAndTheReportHasTheWireBytes) {
  ASSERT_EQ(Create(), 0);
  Server server(GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(start_size_out_, sizeof(kGet) - 1) << "size_out is the plaintext request";
  EXPECT_EQ(out_.size_in, server.reply.size());
  const std::string post =
      "POST /up HTTP/1.1\r\nHost: test.incarne\r\nContent-Length: 40000\r\n\r\n" +
      std::string(40000, 'p');
  ASSERT_EQ(Hit(&server, post), INCARNE_NIB_DONE);
  EXPECT_EQ(start_size_out_, post.size());
  const std::string report = Report();
  const size_t at = report.find("TLS wire bytes: ");
  ASSERT_NE(at, std::string::npos) << report;
  const uint64_t wire_out = std::strtoull(report.c_str() + at + 16, nullptr, 10);
  const size_t in_at = report.find(" out, ", at);
  ASSERT_NE(in_at, std::string::npos) << report;
  const uint64_t wire_in = std::strtoull(report.c_str() + in_at + 6, nullptr, 10);
  // The handshake (a ClientHello alone is > 100 bytes) and the records' overhead on top.
  EXPECT_GT(wire_out, sizeof(kGet) - 1 + post.size() + 100) << report;
  EXPECT_GT(wire_in, 2 * server.reply.size() + 100) << report;
}

// The last request on a connection says "Connection: close" (target.http.announce_close, on
// by default), as the http nib's does: the server closes first. Encrypted in place, in records
// around the header; size_out counts it.
TEST_P(HttpsVersionTest, LastRequestAnnouncesClose) {
  plan_.target.http.max_requests_per_connection = 2;
  ASSERT_EQ(Create(), 0);
  Server server(GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(server.last_request, kGet) << "not the last request: as written";
  EXPECT_EQ(start_flags_ & INCARNE_NIB_OUT_LAST_REQUEST, 0);
  EXPECT_EQ(start_size_out_, sizeof(kGet) - 1);
  EXPECT_EQ(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
  const std::string head = "POST /up HTTP/1.1\r\nHost: test.incarne\r\nContent-Length: 20000\r\n";
  const std::string body(20000, 'q');
  ASSERT_EQ(Hit(&server, head + "\r\n" + body), INCARNE_NIB_DONE);
  EXPECT_EQ(server.last_request, head + "Connection: close\r\n\r\n" + body);
  EXPECT_EQ(start_size_out_, head.size() + 19 + 2 + body.size());
  EXPECT_NE(start_flags_ & INCARNE_NIB_OUT_LAST_REQUEST, 0) << "the engine lets nginx close";
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0) << "the connection's last request";
  // HTTP/1.0 closes anyway, and a request with its own Connection header decides itself.
  for (const std::string& req : {std::string("GET / HTTP/1.0\r\nHost: t\r\n\r\n"),
                                 std::string("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")}) {
    ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
    ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
    ASSERT_EQ(Hit(&server, req), INCARNE_NIB_DONE);
    EXPECT_EQ(server.last_request, req);
    EXPECT_EQ(start_size_out_, req.size());
    EXPECT_EQ(start_flags_ & INCARNE_NIB_OUT_LAST_REQUEST, 0);
  }
}

TEST_P(HttpsVersionTest, AnnounceCloseOffSendsTheRequestAsWritten) {
  plan_.target.http.max_requests_per_connection = 1;
  plan_.target.http.announce_close = false;
  ASSERT_EQ(Create(), 0);
  Server server(GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(server.last_request, kGet);
  EXPECT_EQ(start_flags_ & INCARNE_NIB_OUT_LAST_REQUEST, 0);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0) << "the client still closes";
}

TEST_P(HttpsVersionTest, BigReplyInManyChunks) {
  ASSERT_EQ(Create(), 0);
  Server server(GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  server.reply = "HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n" + std::string(50000, 'x');
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 200);
  EXPECT_EQ(out_.size_in, server.reply.size());
}

TEST_P(HttpsVersionTest, TapGetsExactlyThePlaintextReply) {
  ASSERT_EQ(Create(), 0);
  TapReplies();
  Server server(GetParam(), true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  EXPECT_EQ(tap_.calls, 0) << "handshake and session tickets are not reply payload";
  // Several records (16 KiB of plaintext each) over many 4 KiB chunks; no two bytes alike
  // in a row, so a lost, repeated or reordered piece shows.
  std::string body(50000, ' ');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('!' + i % 89);
  }
  server.reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 50000\r\n\r\n" + body;
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 404);
  EXPECT_EQ(tap_.state, state_) << "the tap names the connection's state";
  EXPECT_GE(tap_.calls, 4) << "one piece per decrypted record";
  EXPECT_EQ(tap_.bytes.size(), server.reply.size());
  EXPECT_TRUE(tap_.bytes == server.reply) << "the tapped bytes are not the plaintext reply";
  EXPECT_EQ(out_.size_in, tap_.bytes.size()) << "size_in counts exactly the tapped bytes";
  // The next hit on the kept-alive connection: only its own reply.
  tap_ = TapLog{};
  server.reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
  EXPECT_EQ(tap_.bytes, server.reply);
}

INSTANTIATE_TEST_SUITE_P(Tls, HttpsVersionTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls13" : "Tls12"; });

TEST_F(HttpsNibTest, WrongCaFailsTheHandshakeWithAReason) {
  plan_.target.tls.ca_file = wrong_ca_;
  ASSERT_EQ(Create(), 0);
  Server server(true, true);
  EXPECT_EQ(Connect(&server), -EPROTO);
  const std::string report = Report();
  EXPECT_NE(report.find("1 TLS failures"), std::string::npos) << report;
  EXPECT_NE(report.find("TLS failure x1: handshake: "), std::string::npos) << report;
  EXPECT_NE(report.find("certificate verify failed"), std::string::npos) << report;
}

TEST_F(HttpsNibTest, LastErrorNamesTheTlsFailure) {
  plan_.target.tls.ca_file = wrong_ca_;
  ASSERT_EQ(Create(), 0);
  Server server(true, true);
  ASSERT_EQ(Connect(&server), -EPROTO);
  const std::string why = LastError();
  EXPECT_EQ(why.rfind("handshake: ", 0), 0u) << why;
  EXPECT_NE(why.find("certificate verify failed"), std::string::npos) << why;
  EXPECT_NE(why.find("(wolfSSL error -"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  // The same text as the report's (one reason, one place it is formatted).
  EXPECT_NE(Report().find("TLS failure x1: " + why + "\n"), std::string::npos) << Report();
}

TEST_F(HttpsNibTest, LastErrorIsOnlyForTlsFailuresAndNeverStale) {
  ASSERT_EQ(Create(), 0);
  TapReplies();
  Server server(true, true);
  // Garbage instead of a ServerHello: a TLS failure, with a reason.
  memset(state_, 0, nib_->state_size);
  open_ = true;
  out_ = incarne_nib_out{};
  ASSERT_EQ(nib_->on_open(worker_ctx_, state_, &out_), INCARNE_NIB_WANT_RECV);
  const std::string junk = "HTTP/1.1 400 Bad Request\r\n\r\n";
  out_ = incarne_nib_out{};
  ASSERT_EQ(nib_->on_recv(worker_ctx_, state_, junk.data(), junk.size(), &out_), -EPROTO);
  EXPECT_EQ(LastError().rfind("handshake: ", 0), 0u) << LastError();
  // A good connection, then a reply that is not HTTP: EPROTO without a reason (the answ log
  // shows the reply bytes instead), not the earlier handshake failure.
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  server.reply = "XTTP/1.1 200 OK\r\n\r\n";
  ASSERT_EQ(Hit(&server, kGet), -EPROTO);
  EXPECT_EQ(nib_->last_error(worker_ctx_), nullptr) << LastError();
  EXPECT_EQ(tap_.bytes, server.reply) << "the malformed reply reaches the tap";
}

TEST_F(HttpsNibTest, WrongNameFailsVerification) {
  plan_.target.tls.sni = "other.example";
  ASSERT_EQ(Create(), 0);
  Server server(true, true);
  EXPECT_EQ(Connect(&server), -EPROTO);
  EXPECT_NE(Report().find("handshake: "), std::string::npos) << Report();
}

TEST_F(HttpsNibTest, NoVerifyAcceptsAnyCertificate) {
  plan_.target.tls.verify = false;
  plan_.target.tls.ca_file = "";
  plan_.target.tls.sni = "";  // the address is an IP literal: no SNI at all
  ASSERT_EQ(Create(), 0);
  Server server(true, true);
  ASSERT_EQ(Connect(&server), INCARNE_NIB_READY);
  EXPECT_EQ(server.sni_, "");
  ASSERT_EQ(Hit(&server, kGet), INCARNE_NIB_DONE);
}

TEST_F(HttpsNibTest, GarbageFromTheServerIsEproto) {
  ASSERT_EQ(Create(), 0);
  memset(state_, 0, nib_->state_size);
  open_ = true;
  out_ = incarne_nib_out{};
  ASSERT_EQ(nib_->on_open(worker_ctx_, state_, &out_), INCARNE_NIB_WANT_RECV);
  ASSERT_NE(out_.send, nullptr) << "the ClientHello";
  const std::string junk = "HTTP/1.1 400 Bad Request\r\n\r\n";
  out_ = incarne_nib_out{};
  EXPECT_EQ(nib_->on_recv(worker_ctx_, state_, junk.data(), junk.size(), &out_), -EPROTO);
}

TEST_F(HttpsNibTest, CreateChecksTheKeys) {
  std::string error;
  plan_.target.tls.ca_file = dir_ + "/missing.pem";
  EXPECT_EQ(Create(&error), -EINVAL);
  EXPECT_NE(error.find("target.tls.ca_file"), std::string::npos) << error;
  plan_.target.tls.ca_file = ca_;
  plan_.target.tls.alpn = "http/1.1,,h2";
  EXPECT_EQ(Create(&error), -EINVAL);
  EXPECT_NE(error.find("target.tls.alpn"), std::string::npos) << error;
  plan_.target.tls.alpn = "http/1.1";
  plan_.target.tls.ciphers = "NO-SUCH-CIPHER";
  EXPECT_EQ(Create(&error), -EINVAL);
  EXPECT_NE(error.find("target.tls.ciphers"), std::string::npos) << error;
  plan_.target.tls.ciphers = "";
  plan_.target.tls.ca_file = ca_;
  plan_.target.tls.cert_file = ca_;
  plan_.target.tls.key_file = ca_;  // a certificate is not a key
  EXPECT_EQ(Create(&error), -EINVAL);
  EXPECT_NE(error.find("target.tls.key_file"), std::string::npos) << error;
}

}  // namespace
}  // namespace incarne
