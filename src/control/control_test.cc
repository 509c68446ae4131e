// Unit tests of the daemon's pieces that need no running daemon: the allowlist, the
// configuration reader's errors, control file names and the status renderings.
#include <arpa/inet.h>

#include <cstdio>
#include <string>

#include "control/allowlist.h"
#include "control/daemon_config.h"
#include "control/job_check.h"
#include "control/spool.h"
#include "control/status.h"
#include "control/status_view.h"
#include "gtest/gtest.h"
#include "plan/toml_config.h"

namespace incarne::control {
namespace {

sockaddr_storage Addr(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  if (std::string(ip).find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    a->sin6_port = htons(port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a->sin_addr);
    a->sin_port = htons(port);
  }
  return ss;
}

TEST(Allowlist, DefaultIsLoopbackOnly) {
  auto a = Allowlist::Parse({"127.0.0.0/8", "::1"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->Allows(Addr("127.0.0.1", 80)));
  EXPECT_TRUE(a->Allows(Addr("127.255.1.2", 65535)));
  EXPECT_TRUE(a->Allows(Addr("::1", 8080)));
  EXPECT_TRUE(a->Allows(Addr("::ffff:127.0.0.1", 80)));  // v4-mapped is matched as v4
  EXPECT_FALSE(a->Allows(Addr("10.0.0.1", 80)));
  EXPECT_FALSE(a->Allows(Addr("128.0.0.1", 80)));
  EXPECT_FALSE(a->Allows(Addr("::2", 80)));
}

// The address the allowlist passed is the one the run gets (LaunchOptions::target): a name is
// never resolved again between the check and the connect.
TEST(CheckJob, KeepsTheAddressItChecked) {
  DaemonConfig c;
  auto a = Allowlist::Parse(c.targets);
  ASSERT_TRUE(a.ok()) << a.status();
  c.allow = *a;
  const std::string plan =
      "[target]\nnib = \"http\"\naddress = \"127.0.0.1:8080\"\n[ammo]\nuris = [\"/\"]\n"
      "[load]\nschedule = \"const(10, 1s)\"\n";
  absl::StatusOr<CheckedJob> job = CheckJob(plan, "job.toml", false, c);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(job->target.has_value());
  EXPECT_EQ(job->target->text, "127.0.0.1:8080");
  EXPECT_EQ(job->target->addr.ss_family, AF_INET);
  // Outside the allowlist: refused, nothing kept.
  absl::StatusOr<CheckedJob> far = CheckJob(
      "[target]\nnib = \"http\"\naddress = \"10.0.0.1:80\"\n[ammo]\nuris = [\"/\"]\n"
      "[load]\nschedule = \"const(10, 1s)\"\n",
      "far.toml", false, c);
  EXPECT_FALSE(far.ok());
}

TEST(Allowlist, PortsAndPrefixes) {
  auto a = Allowlist::Parse({"10.0.0.0/8:80-443", "192.168.1.7:8080", "[fd00::]/8:443"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->Allows(Addr("10.1.2.3", 80)));
  EXPECT_TRUE(a->Allows(Addr("10.1.2.3", 443)));
  EXPECT_FALSE(a->Allows(Addr("10.1.2.3", 444)));
  EXPECT_FALSE(a->Allows(Addr("10.1.2.3", 79)));
  EXPECT_TRUE(a->Allows(Addr("192.168.1.7", 8080)));
  EXPECT_FALSE(a->Allows(Addr("192.168.1.8", 8080)));
  EXPECT_TRUE(a->Allows(Addr("fd12::1", 443)));
  EXPECT_FALSE(a->Allows(Addr("fd12::1", 80)));
  EXPECT_FALSE(a->Allows(Addr("fe80::1", 443)));
  EXPECT_EQ(a->Text(), R"(["10.0.0.0/8:80-443", "192.168.1.7:8080", "[fd00::]/8:443"])");
}

TEST(Allowlist, BadRules) {
  for (const char* bad : {"", "localhost", "10.0.0.0/33", "10.0.0.0/8:", "10.0.0.1:0-x",
                          "10.0.0.1:443-80", "::1/129", "[::1", "1.2.3.4:70000"}) {
    EXPECT_FALSE(Allowlist::CheckRule(bad).empty()) << bad;
  }
}

TEST(DaemonConfig, UnknownKeyNamesFileLineColumn) {
  int64_t d = 0;
  std::string spool;
  uint64_t n = 0;
  const ConfigKey keys[] = {{"", "spool", &spool},
                            {"allow", "max_rps", &n},
                            {"allow", "max_duration", ConfigDuration{&d}}};
  absl::Status st = ReadConfigText("spool = \"/x\"\n[allow]\nmax_rsp = 5\n", "c.toml", keys);
  EXPECT_EQ(st.message(),
            "c.toml:3:1: unknown key 'max_rsp' in [allow] (valid keys: max_rps, max_duration; "
            "did you mean 'max_rps'?)");
  st = ReadConfigText("spol = \"/x\"\n", "c.toml", keys);
  EXPECT_TRUE(std::string(st.message()).starts_with("c.toml:1:1: unknown key 'spol'"))
      << st.message();
  st = ReadConfigText("[allow]\nmax_duration = \"ten\"\n", "c.toml", keys);
  EXPECT_TRUE(std::string(st.message()).starts_with("c.toml:2:")) << st.message();
  st = ReadConfigText("[allow]\nmax_rps = -1\n", "c.toml", keys);
  EXPECT_TRUE(std::string(st.message()).starts_with("c.toml:2:11: allow.max_rps: expected"))
      << st.message();
  st = ReadConfigText("spool = [\n", "c.toml", keys);
  EXPECT_TRUE(std::string(st.message()).starts_with("c.toml:")) << st.message();
  ASSERT_TRUE(ReadConfigText("[allow]\nmax_duration = \"90s\"\nmax_rps = 7\n", "c", keys).ok());
  EXPECT_EQ(d, 90'000'000'000);
  EXPECT_EQ(n, 7u);
}

TEST(DaemonConfig, ShippedFileIsTheDefaults) {
  auto c = LoadDaemonConfig(INCARNE_SOURCE_ROOT "/config/incarned.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  const DaemonConfig d;
  EXPECT_EQ(c->spool, d.spool);
  EXPECT_EQ(c->runs, d.runs);
  EXPECT_EQ(c->status, d.status);
  EXPECT_EQ(c->metrics, d.metrics);
  EXPECT_EQ(c->targets, d.targets);
  EXPECT_EQ(c->nibs, d.nibs);
  EXPECT_EQ(c->max_rps, d.max_rps);
  EXPECT_EQ(c->max_instances, d.max_instances);
  EXPECT_EQ(c->max_duration_ns, d.max_duration_ns);
  EXPECT_EQ(c->keep_runs, d.keep_runs);
  EXPECT_EQ(c->keep_gib, d.keep_gib);
}

TEST(DaemonConfig, MissingFileIsNotFound) {
  auto c = LoadDaemonConfig(INCARNE_SOURCE_ROOT "/tests/data/does-not-exist.toml");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
}

TEST(DaemonConfig, BadItemsArePlaced) {
  std::vector<std::string> targets;
  const ConfigKey keys[] = {
      {"allow", "targets", &targets, [](std::string* s) { return Allowlist::CheckRule(*s); }}};
  absl::Status st =
      ReadConfigText("[allow]\ntargets = [\"::1\",\n  \"10.0.0.0/99\"]\n", "c.toml", keys);
  EXPECT_TRUE(std::string(st.message())
                  .starts_with("c.toml:3:3: allow.targets[1]: expected a prefix length"))
      << st.message();
}

TEST(Spool, JobNames) {
  EXPECT_TRUE(IsJobName("a.toml"));
  EXPECT_TRUE(IsJobName("load.yaml"));
  EXPECT_FALSE(IsJobName(".a.toml"));
  EXPECT_FALSE(IsJobName("a.toml.tmp"));
  EXPECT_FALSE(IsJobName(".toml"));
  EXPECT_FALSE(IsJobName("STOP"));
  EXPECT_FALSE(IsJobName("a.yml"));
  EXPECT_EQ(JobStem("a.b.toml"), "a.b");
}

TEST(Status, MetricsLabelsEscaped) {
  StatusSnapshot s;
  s.counters.hits["a\"b\\c\nd"] = 3;
  const std::string m = StatusMetrics(s);
  EXPECT_NE(m.find("incarne_hits_total{tag=\"a\\\"b\\\\c\\nd\"} 3\n"), std::string::npos) << m;
  EXPECT_NE(m.find("incarne_up 1\n"), std::string::npos);
  EXPECT_NE(m.find("incarne_running 0\n"), std::string::npos);
}

// The last job's autostop verdict reaches the status file and `incarne status`.
TEST(Status, LastRunsAutostopVerdictIsShown) {
  StatusSnapshot s;
  s.version = "test";
  StatusResult r;
  r.name = "a.toml";
  r.outcome = "done";
  r.run_dir = "/runs/a";
  r.exit = 3;
  r.autostop = "http(5xx,10%,3s) at second 7: 5xx codes count higher than 10% for 3s";
  s.last = r;
  const std::string json = StatusJson(s);
  EXPECT_NE(json.find("\"autostop\":\"http(5xx,10%,3s) at second 7: "), std::string::npos) << json;
  const std::string path = ::testing::TempDir() + "/incarne-status-autostop.json";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(json.c_str(), f);
  std::fclose(f);
  absl::StatusOr<std::string> text = ShowStatusFile(path, false);
  std::remove(path.c_str());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("exit 3"), std::string::npos) << *text;
  EXPECT_NE(text->find("\n  autostop http(5xx,10%,3s) at second 7: 5xx codes"), std::string::npos)
      << *text;
  EXPECT_EQ(ResultJson(r).find("\"autostop\":") != std::string::npos, true);
}

}  // namespace
}  // namespace incarne::control
