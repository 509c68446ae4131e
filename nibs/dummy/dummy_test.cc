// The dummy nib: its descriptor, its configuration (typed plan and string pairs), and that a
// hit completes with the configured simulated latency.
#include "dummy.h"

#include <cerrno>
#include <cstring>

#include "dummy_config.h"
#include "engine/nib_registry.h"
#include "gtest/gtest.h"
#include "plan/plan.h"

namespace incarne {
namespace {

TEST(DummyNib, DescriptorIsValidAndBuiltIn) {
  const incarne_nib* nib = DummyNib();
  EXPECT_TRUE(ValidateNib(nib, "dummy").ok());
  EXPECT_STREQ(nib->name, "dummy");
  EXPECT_EQ(nib->transport, INCARNE_NIB_TRANSPORT_NONE);
  EXPECT_NE(nib->capabilities & INCARNE_NIB_CAP_AMMO_OPTIONAL, 0u);
  auto found = FindNib("dummy");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, nib);
}

TEST(DummyNib, CompletesWithTheConfiguredLatency) {
  Plan plan;
  plan.target.dummy.latency_ns = 1'500'000;
  auto inst = NibInstance::Create(DummyNib(), plan, "", 1);
  ASSERT_TRUE(inst.ok()) << inst.status();
  void* wctx = nullptr;
  char err[64];
  ASSERT_EQ(DummyNib()->worker_init((*inst)->context(), 0, 1, &wctx, err, sizeof(err)), 0);
  incarne_nib_request req{};
  incarne_nib_out out{};
  EXPECT_EQ(DummyNib()->on_start(wctx, nullptr, &req, &out), INCARNE_NIB_DONE);
  EXPECT_EQ(out.delay_ns, 1'500'000u);
  EXPECT_EQ(out.send, nullptr);
}

TEST(DummyConfig, FromStringPairs) {
  incarne_nib_kv kv[] = {{"latency", "250us"}};
  incarne_nib_config c{};
  c.struct_size = sizeof(c);
  c.params = kv;
  c.param_count = 1;
  auto cfg = dummy::DummyConfigFrom(c);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->latency_ns, 250'000);
}

TEST(DummyConfig, Errors) {
  incarne_nib_config c{};
  c.struct_size = sizeof(c);
  incarne_nib_kv unknown[] = {{"latencyy", "1ms"}};
  c.params = unknown;
  c.param_count = 1;
  auto a = dummy::DummyConfigFrom(c);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(std::string(a.status().message()).find("latencyy"), std::string::npos);
  incarne_nib_kv bad[] = {{"latency", "fast"}};
  c.params = bad;
  EXPECT_FALSE(dummy::DummyConfigFrom(c).ok());
  incarne_nib_kv huge[] = {{"latency", "2h"}};
  c.params = huge;
  EXPECT_FALSE(dummy::DummyConfigFrom(c).ok());
  // The C entry point reports the message and -EINVAL.
  void* nib = nullptr;
  char err[256] = {0};
  EXPECT_EQ(DummyNib()->create(&c, &nib, err, sizeof(err)), -EINVAL);
  EXPECT_NE(std::strstr(err, "latency"), nullptr) << err;
}

TEST(NibRegistry, UnknownAndExternal) {
  EXPECT_EQ(FindNib("nosuch").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindNib("./libnib_x.so").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenNib("./libnib_x.so").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(OpenNib("./libnib_x.so", false).status().code(), absl::StatusCode::kFailedPrecondition);
  incarne_nib bad = *DummyNib();
  bad.abi_version = 99;
  EXPECT_FALSE(ValidateNib(&bad, "bad").ok());
  bad = *DummyNib();
  bad.struct_size = 16;
  EXPECT_FALSE(ValidateNib(&bad, "bad").ok());
  bad = *DummyNib();
  bad.on_start = nullptr;
  EXPECT_FALSE(ValidateNib(&bad, "bad").ok());
}

}  // namespace
}  // namespace incarne
