#include "engine/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace incarne {
namespace {

TEST(ExpandRunDir, Placeholders) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(ExpandRunDir("runs/{time}", 1700000000, 0, "x.toml"), "runs/2023-11-14_22-13-20");
  EXPECT_EQ(ExpandRunDir("runs/{name}-{shard}", 0, 3, "/a/b/load.toml"), "runs/load-3");
  EXPECT_EQ(ExpandRunDir("plain/{unknown}", 0, 0, "p.toml"), "plain/{unknown}");
}

Schedule Rps(const char* expr) {
  absl::StatusOr<Schedule> s = Schedule::Parse(expr, LoadModel::kRps);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : Schedule();
}

TEST(AutoRingCapacity, FromThePeakRate) {
  // 4 s of the peak rate per worker + instances, a power of two in [2^14, 2^18].
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(1200, 60s)"), 1000, 2), 1u << 14);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(50000, 5s)"), 100, 2), 1u << 17);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("line(1, 50000, 10s)"), 100, 2), 1u << 17);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("step(100, 30000, 1000, 5s)"), 100, 1), 1u << 17);
  // The peak counts wherever it is, not the first step.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(10, 5s) const(20000, 5s)"), 10, 1),
            1u << 17);
  // A `once` burst all at one instant must fit with the rest.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("once(100000)"), 10, 1), 1u << 17);
  // Capped, and with more workers each needs less.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(1000000, 5s)"), 100, 2), 1u << 18);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kRps, Rps("const(50000, 5s)"), 100, 8), 1u << 15);
  // No rate bound: the maximum.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kStpd, Schedule(), 100, 2), 1u << 18);
  // The instances model waits for room instead of losing a raw record: one collector pass.
  EXPECT_EQ(AutoRingCapacity(LoadModel::kInstances, Schedule(), 100, 2), 1u << 14);
  EXPECT_EQ(AutoRingCapacity(LoadModel::kInstances, Schedule(), 50000, 1), 1u << 14);
}

// ---------------------------------------------------------------- the staged launcher

namespace fs = std::filesystem;

// A scratch folder; the plans' run directories go inside it, so "no run directory left" is
// "the folder holds only what the test put there".
class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/incarne_launcher_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A dummy-nib plan firing `schedule`, its run directories under dir_/runs; `extra` is
  // TOML appended (later tables, or keys of [load] when it starts with a key).
  LaunchOptions Options(const std::string& schedule, const std::string& extra = "") {
    LaunchOptions o;
    o.plan_path = dir_ + "/plan.toml";
    o.plan_text = absl::StrCat("[target]\nnib = \"dummy\"\n[target.dummy]\nlatency = \"1ms\"\n",
                               "[results]\ndir = \"", dir_, "/runs/{time}\"\n",
                               "[load]\nschedule = \"", schedule, "\"\n", extra);
    return o;
  }

  // Prepare must refuse with `code`, and nothing may appear in dir_.
  void ExpectRefused(const LaunchOptions& o, absl::StatusCode code, const std::string& says) {
    absl::StatusOr<std::unique_ptr<Launcher>> l = Launcher::Prepare(o);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), code) << l.status();
    EXPECT_NE(l.status().message().find(says), std::string::npos) << l.status();
    EXPECT_TRUE(fs::is_empty(dir_)) << "Prepare wrote into " << dir_;
  }

  std::string dir_;
};

TEST_F(LauncherTest, RefusesAPlanFileThatIsMissing) {
  LaunchOptions o = Options("const(10, 1s)");
  o.plan_text.reset();
  ExpectRefused(o, absl::StatusCode::kNotFound, "plan.toml");
}

TEST_F(LauncherTest, RefusesABadOverride) {
  LaunchOptions o = Options("const(10, 1s)");
  o.overrides = {"load.nosuchkey=1"};
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "nosuchkey");
}

TEST_F(LauncherTest, RefusesABadSchedule) {
  ExpectRefused(Options("const(10)"), absl::StatusCode::kInvalidArgument, "schedule");
}

TEST_F(LauncherTest, RefusesABadShard) {
  LaunchOptions o = Options("const(10, 1s)");
  o.shard = 4;
  o.shards = 4;
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "--shard 4/4");
}

TEST_F(LauncherTest, RefusesAStartFarInThePast) {
  LaunchOptions o = Options("const(10, 1s)");
  o.has_start_at = true;
  o.start_at_unix_ns = 1'000'000'000;  // 1970: a unit mistake, not a late shard
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "in the past");
  o.start_at_unix_ns = RealNs() - kStartAtSlackNs - 5'000'000'000;
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "in the past");
}

TEST_F(LauncherTest, RefusesAStartMoreThanADayAhead) {
  LaunchOptions o = Options("const(10, 1s)");
  o.has_start_at = true;
  o.start_at_unix_ns = RealNs() + kStartAtAheadNs + 60'000'000'000;
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "ahead");
}

TEST_F(LauncherTest, RefusesAnUnknownNib) {
  LaunchOptions o = Options("const(10, 1s)");
  o.plan_text =
      absl::StrCat("[target]\nnib = \"", dir_, "/nosuch.so\"\n[load]\n",
                   "schedule = \"const(10, 1s)\"\n[results]\ndir = \"", dir_, "/runs\"\n");
  absl::StatusOr<std::unique_ptr<Launcher>> l = Launcher::Prepare(o);
  ASSERT_FALSE(l.ok());
  EXPECT_TRUE(fs::is_empty(dir_));
  o.allow_external_nibs = false;
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "nosuch.so");
}

TEST_F(LauncherTest, RefusesANibWithoutItsAmmo) {
  LaunchOptions o = Options("const(10, 1s)");
  o.plan_text =
      absl::StrCat("[target]\nnib = \"http\"\naddress = \"127.0.0.1:9\"\n[load]\n",
                   "schedule = \"const(10, 1s)\"\n[results]\ndir = \"", dir_, "/runs\"\n");
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "needs ammo");
}

TEST_F(LauncherTest, RefusesAnAmmoFileThatIsMissingOrNotAFile) {
  LaunchOptions o =
      Options("const(10, 1s)", absl::StrCat("[ammo]\nfile = \"", dir_, "/none.txt\"\n"));
  ExpectRefused(o, absl::StatusCode::kNotFound, "none.txt");
  o = Options("const(10, 1s)", "[ammo]\nfile = \"/tmp\"\n");
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "expected a regular file");
}

TEST_F(LauncherTest, RefusesABadOrUnresolvableTarget) {
  LaunchOptions o = Options("const(10, 1s)");
  o.plan_text = absl::StrCat("[target]\nnib = \"http\"\naddress = \"127.0.0.1\"\n[ammo]\n",
                             "uris = [\"/\"]\n[load]\nschedule = \"const(10, 1s)\"\n",
                             "[results]\ndir = \"", dir_, "/runs\"\n");
  ExpectRefused(o, absl::StatusCode::kInvalidArgument, "target.address");
  // .invalid never resolves (RFC 6761); exit 1, not bad input, and still nothing written.
  o.plan_text = absl::StrCat("[target]\nnib = \"http\"\naddress = \"no.such.host.invalid:80\"\n",
                             "[ammo]\nuris = [\"/\"]\n[load]\nschedule = \"const(10, 1s)\"\n",
                             "[results]\ndir = \"", dir_, "/runs\"\n");
  absl::StatusOr<std::unique_ptr<Launcher>> l = Launcher::Prepare(o);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("target.address"), std::string::npos) << l.status();
  EXPECT_TRUE(fs::is_empty(dir_));
  // An address the caller resolved and checked (the daemon's allowlist) is used as it is: the
  // name is not resolved a second time.
  ResolvedAddress pinned;
  auto* in = reinterpret_cast<sockaddr_in*>(&pinned.addr);
  in->sin_family = AF_INET;
  in->sin_port = htons(80);
  in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  pinned.len = sizeof(sockaddr_in);
  pinned.text = "127.0.0.1:80";
  o.target = pinned;
  l = Launcher::Prepare(o);
  EXPECT_TRUE(l.ok()) << l.status();
}

// A failure of Open (here: ammo with no records, found when it is compiled) removes the run
// directory again.
TEST_F(LauncherTest, OpenFailureLeavesNoRunDirectory) {
  const std::string ammo = dir_ + "/empty.uri";
  std::ofstream(ammo) << "";
  LaunchOptions o =
      Options("const(10, 1s)", absl::StrCat("[ammo]\nfile = \"", ammo, "\"\nformat = \"uri\"\n"));
  absl::StatusOr<std::unique_ptr<Launcher>> l = Launcher::Prepare(o);
  ASSERT_TRUE(l.ok()) << l.status();
  absl::Status st = (*l)->Open();
  EXPECT_FALSE(st.ok()) << (*l)->run_dir();
  EXPECT_FALSE(fs::exists(dir_ + "/runs")) << st;
}

// The stages in order; a stop asked from another thread ends the run early, and progress
// comes about once a second.
TEST_F(LauncherTest, StagesWithAStopFromAnotherThread) {
  LaunchOptions o = Options("const(100, 60s)");
  std::atomic<int> progress_calls{0};
  o.on_progress = [&](const LaunchProgress& p) {
    EXPECT_EQ(p.planned_ns, 60'000'000'000);
    progress_calls.fetch_add(1);
  };
  absl::StatusOr<std::unique_ptr<Launcher>> l = Launcher::Prepare(o);
  ASSERT_TRUE(l.ok()) << l.status();
  Launcher& launcher = **l;
  ASSERT_TRUE(launcher.Open().ok());
  EXPECT_TRUE(fs::exists(launcher.run_dir() + "/plan.toml"));
  EXPECT_EQ(launcher.planned_ns(), 60'000'000'000);
  std::thread stopper([&] {
    while (progress_calls.load() < 3) {  // at Run, at the origin, at 1 s
      usleep(10'000);
    }
    launcher.RequestStop(1, "test");
  });
  const int64_t t0 = MonoNs();
  launcher.Run();
  stopper.join();
  EXPECT_LT(MonoNs() - t0, 10'000'000'000);
  LaunchResult r = launcher.Finish();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stop_level, 1);
  EXPECT_GT(r.summary.overall.hits, 50u);
  EXPECT_LT(r.summary.overall.hits, 1000u);
  EXPECT_EQ(r.summary.overall.hits, r.totals.shots_fired);
  EXPECT_TRUE(fs::exists(r.run_dir + "/summary.json"));
  std::ifstream log(r.run_dir + "/incarne.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("test: stop firing"), std::string::npos) << text;
}

// A stop asked for before Run: nothing is fired, the run directory is still complete.
TEST_F(LauncherTest, StopBeforeRunFiresNothing) {
  absl::StatusOr<std::unique_ptr<Launcher>> l = Launcher::Prepare(Options("const(1000, 60s)"));
  ASSERT_TRUE(l.ok()) << l.status();
  (*l)->RequestStop(2, "test");
  ASSERT_TRUE((*l)->Open().ok());
  const int64_t t0 = MonoNs();
  (*l)->Run();
  EXPECT_LT(MonoNs() - t0, 5'000'000'000);
  LaunchResult r = (*l)->Finish();
  EXPECT_EQ(r.totals.shots_fired, 0u);
  EXPECT_EQ(r.stop_level, 2);
  EXPECT_TRUE(fs::exists(r.run_dir + "/summary.json"));
}

}  // namespace
}  // namespace incarne
