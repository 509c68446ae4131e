// The io_uring probe: what the engine's wait point needs, and that the fallbacks it chooses
// when a fast path is refused still give a working ring.
#include "engine/uring.h"

#include "gtest/gtest.h"
#include "util/clock.h"

namespace incarne {
namespace {

TEST(Uring, ProbeAndWait) {
  auto u = Uring::Create(UringOptions{});
  if (!u.ok()) {
    GTEST_SKIP() << u.status();
  }
  const UringFeatures& f = (*u)->features();
  EXPECT_TRUE(f.ext_arg);
  std::string d = (*u)->Describe();
  EXPECT_NE(d.find("io_uring:"), std::string::npos);
  // The wait point returns at its deadline when nothing completes.
  const int64_t t0 = MonoNs();
  EXPECT_EQ((*u)->SubmitAndWait(1, t0 + 2'000'000, t0, 0), 0);
  const int64_t waited = MonoNs() - t0;
  EXPECT_GE(waited, 1'900'000);
  EXPECT_LT(waited, 2'000'000'000);
  // A NOP completes through the same path.
  io_uring_sqe* sqe = (*u)->Sqe();
  io_uring_prep_nop(sqe);
  sqe->user_data = 42;
  const int64_t t1 = MonoNs();
  EXPECT_GE((*u)->SubmitAndWait(1, t1 + 1'000'000'000, t1, 0), 0);
  io_uring_cqe* cqe = nullptr;
  ASSERT_EQ(io_uring_peek_cqe((*u)->ring(), &cqe), 0);
  EXPECT_EQ(cqe->user_data, 42u);
  io_uring_cqe_seen((*u)->ring(), cqe);
}

TEST(Uring, FallbackWithoutDeferTaskrunOrSingleIssuer) {
  UringOptions o;
  o.allow_defer_taskrun = false;
  o.allow_single_issuer = false;
  o.allow_min_wait = false;
  o.allow_abs_timer = false;
  auto u = Uring::Create(o);
  if (!u.ok()) {
    GTEST_SKIP() << u.status();
  }
  EXPECT_FALSE((*u)->features().defer_taskrun);
  EXPECT_FALSE((*u)->features().single_issuer);
  EXPECT_FALSE((*u)->features().abs_timer);
  const int64_t t0 = MonoNs();
  EXPECT_EQ((*u)->SubmitAndWait(1, t0 + 1'000'000, t0, 0), 0);
  EXPECT_GE(MonoNs() - t0, 900'000);
}

TEST(Uring, SqeNeverRunsOut) {
  UringOptions o;
  o.sq_entries = 8;
  auto u = Uring::Create(o);
  if (!u.ok()) {
    GTEST_SKIP() << u.status();
  }
  for (int i = 0; i < 100; ++i) {  // more than the SQ holds: queued ones are submitted
    io_uring_sqe* sqe = (*u)->Sqe();
    ASSERT_NE(sqe, nullptr);
    io_uring_prep_nop(sqe);
    sqe->user_data = 0;
  }
  (*u)->Submit();
}

}  // namespace
}  // namespace incarne
