// The http nib through its C ABI descriptor, as the engine drives it (sans I/O).
#include "http.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace incarne {
namespace {

class HttpNibTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (nib_ctx_ != nullptr) {
      nib_->destroy(nib_ctx_);
    }
  }

  void Open() {
    if (nib_ctx_ != nullptr) {
      nib_->destroy(nib_ctx_);
      nib_ctx_ = nullptr;
    }
    incarne_nib_config config{};
    config.struct_size = sizeof(config);
    config.workers = 1;
    config.plan = &plan_;
    char error[256] = "";
    ASSERT_EQ(nib_->create(&config, &nib_ctx_, error, sizeof(error)), 0) << error;
    ASSERT_EQ(nib_->worker_init(nib_ctx_, 0, 1, &worker_ctx_, error, sizeof(error)), 0);
    state_.assign(nib_->state_size, 0);
  }

  int Start(const std::string& request) {
    request_ = request;
    incarne_nib_request r{};
    r.data = request_.data();
    r.len = static_cast<uint32_t>(request_.size());
    out_ = incarne_nib_out{};
    int rc = nib_->on_start(worker_ctx_, state_.data(), &r, &out_);
    if (rc == INCARNE_NIB_WANT_RECV) {
      EXPECT_EQ(out_.send, request_.data()) << "the request goes out unchanged, not copied";
      EXPECT_EQ(out_.send_len, request_.size());
    }
    return rc;
  }

  int Recv(const std::string& bytes) {
    out_ = incarne_nib_out{};
    return nib_->on_recv(worker_ctx_, state_.data(), bytes.data(),
                         static_cast<uint32_t>(bytes.size()), &out_);
  }

  const incarne_nib* nib_ = HttpNib();
  Plan plan_;
  void* nib_ctx_ = nullptr;
  void* worker_ctx_ = nullptr;
  std::vector<uint8_t> state_;
  std::string request_;
  incarne_nib_out out_{};
};

const char kGet[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST_F(HttpNibTest, Descriptor) {
  EXPECT_EQ(nib_->abi_version, INCARNE_NIB_ABI_VERSION);
  EXPECT_EQ(nib_->struct_size, sizeof(incarne_nib));
  EXPECT_STREQ(nib_->name, "http");
  EXPECT_EQ(nib_->transport, INCARNE_NIB_TRANSPORT_TCP);
  EXPECT_GT(nib_->state_size, 0u);
  EXPECT_LE(nib_->state_size, 256u);
}

TEST_F(HttpNibTest, KeepAliveReplyInPieces) {
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv("HTTP/1.1 200 OK\r\nContent-"), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv("Length: 2\r\n\r\no"), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv("k"), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 200);
  EXPECT_EQ(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
  // The same connection takes the next request.
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 503);
  EXPECT_EQ(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
}

TEST_F(HttpNibTest, ReplyDecidesClose) {
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            INCARNE_NIB_DONE);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
  ASSERT_EQ(Start("GET / HTTP/1.0\r\n\r\n"), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), INCARNE_NIB_DONE);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
}

TEST_F(HttpNibTest, ReadToCloseCompletesOnEof) {
  ASSERT_EQ(Start("GET / HTTP/1.0\r\n\r\n"), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv("HTTP/1.0 200 OK\r\n\r\nsome body"), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv(""), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.proto_code, 200);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
}

TEST_F(HttpNibTest, HeadRequestReplyHasNoBody) {
  ASSERT_EQ(Start("head / HTTP/1.1\r\nHost: x\r\n\r\n"), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
}

TEST_F(HttpNibTest, BadRepliesAreEproto) {
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv("garbage\r\n\r\n"), -EPROTO);
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv(""), -EPROTO);  // truncated
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv(""), -EPROTO);  // EOF before any byte (the engine retries reused ones)
}

TEST_F(HttpNibTest, LimitsComeFromThePlan) {
  plan_.target.http.max_entity = 1;
  Open();
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv(kOk), -EPROTO);
  plan_.target.http.max_entity = 2;
  Open();
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(Recv(kOk), INCARNE_NIB_DONE);
}

TEST_F(HttpNibTest, MaxRequestsPerConnection) {
  plan_.target.http.max_requests_per_connection = 3;
  Open();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
    ASSERT_EQ(Recv(kOk), INCARNE_NIB_DONE);
    EXPECT_EQ((out_.flags & INCARNE_NIB_OUT_CLOSE) != 0, i == 3) << i;
  }
  // A new connection (state zero-filled by the engine) starts counting again.
  std::fill(state_.begin(), state_.end(), 0);
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv(kOk), INCARNE_NIB_DONE);
  EXPECT_EQ(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
}

// The last request on a connection says "Connection: close" (spliced in by the engine at
// out_.insert_at), unless it is HTTP/1.0, has a Connection header, or announce_close = false.
TEST_F(HttpNibTest, LastRequestAnnouncesClose) {
  plan_.target.http.max_requests_per_connection = 2;
  Open();
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(out_.insert, nullptr);
  ASSERT_EQ(Recv(kOk), INCARNE_NIB_DONE);
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  ASSERT_NE(out_.insert, nullptr);
  std::string sent = request_;
  sent.insert(out_.insert_at, static_cast<const char*>(out_.insert), out_.insert_len);
  EXPECT_EQ(sent, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(Recv(kOk), INCARNE_NIB_DONE);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);

  plan_.target.http.max_requests_per_connection = 1;
  Open();
  // A body after the head: the header goes before the blank line, the body follows.
  ASSERT_EQ(Start("POST /p HTTP/1.1\nContent-Length: 4\n\nbody"), INCARNE_NIB_WANT_RECV);
  ASSERT_NE(out_.insert, nullptr);
  EXPECT_EQ(out_.insert_at, std::string("POST /p HTTP/1.1\nContent-Length: 4\n").size());
  std::fill(state_.begin(), state_.end(), 0);
  for (const char* as_is :
       {"GET / HTTP/1.0\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nCONNECTION: keep-alive\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n", "not http"}) {
    ASSERT_EQ(Start(as_is), INCARNE_NIB_WANT_RECV);
    EXPECT_EQ(out_.insert, nullptr) << as_is;
  }
  plan_.target.http.announce_close = false;
  Open();
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  EXPECT_EQ(out_.insert, nullptr);
}

TEST_F(HttpNibTest, BytesBetweenHitsCloseTheConnection) {
  EXPECT_EQ(Recv("HTTP/1.1 408 Request Timeout\r\n\r\n"), -EPROTO);
  EXPECT_EQ(Recv(""), -ECONNRESET);
  // A second reply glued to the first: the hit is fine, the connection is not reused.
  ASSERT_EQ(Start(kGet), INCARNE_NIB_WANT_RECV);
  ASSERT_EQ(Recv(std::string(kOk) + kOk), INCARNE_NIB_DONE);
  EXPECT_NE(out_.flags & INCARNE_NIB_OUT_CLOSE, 0);
}

TEST_F(HttpNibTest, CreateRejectsZeroLimits) {
  plan_.target.http.max_line = 0;
  incarne_nib_config config{};
  config.struct_size = sizeof(config);
  config.plan = &plan_;
  void* ctx = nullptr;
  char error[256] = "";
  EXPECT_EQ(nib_->create(&config, &ctx, error, sizeof(error)), -EINVAL);
  EXPECT_NE(std::strstr(error, "target.http.max_line"), nullptr) << error;
  config.plan = nullptr;
  EXPECT_EQ(nib_->create(&config, &ctx, error, sizeof(error)), -EINVAL);
}

}  // namespace
}  // namespace incarne
