// Golden bytes: every case of tests/data/ammo/cases.tsv is compiled and dumped as stpd for
// its schedule, and must equal what Yandex.Tank's own stepper wrote for the same input and
// options (tests/data/ammo/README.md says how those files were made).
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ammo/ammo_compiler.h"
#include "ammo/ammo_dump.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "ammo/ammo_layout.h"
#include "gtest/gtest.h"
#include "plan/schedule.h"

namespace incarne {
namespace {

const std::string kData = std::string(INCARNE_SOURCE_ROOT) + "/tests/data/ammo/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) {
      return out;
    }
    start = p + 1;
  }
}

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/golden_" + std::to_string(::getpid()) + "_" + name + ".ammo";
}

std::string DumpStpdFor(const std::string& ammo_path, const std::string& schedule_text) {
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(ammo_path);
  EXPECT_TRUE(f.ok()) << f.status();
  if (!f.ok()) {
    return "";
  }
  absl::StatusOr<Schedule> schedule = Schedule::Parse(schedule_text, LoadModel::kRps);
  EXPECT_TRUE(schedule.ok()) << schedule.status();
  if (!schedule.ok()) {
    return "";
  }
  std::string out;
  absl::Status st = DumpStpd(
      *f, schedule->shots(), [&](uint64_t i) { return schedule->ShotMs(i); },
      [&](std::string_view b) {
        out.append(b);
        return absl::OkStatus();
      });
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

TEST(AmmoGolden, MatchesTankStepper) {
  std::ifstream in(kData + "cases.tsv");
  ASSERT_TRUE(in.good()) << kData << "cases.tsv not found";
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string> c = Split(line, '\t');
    ASSERT_EQ(c.size(), 9u) << line;
    SCOPED_TRACE(c[0]);
    AmmoCompileOptions o;
    if (c[1] != "-") {
      o.input = kData + c[1];
    }
    absl::StatusOr<AmmoFormat> format = ParseAmmoFormat(c[2]);
    ASSERT_TRUE(format.ok()) << format.status();
    o.format = *format;
    if (c[4] != "-") {
      o.http_version = c[4];
    }
    if (c[5] != "-") {
      o.autocases = c[5];
    }
    if (c[6] != "-") {
      o.chosen_cases = {c[6]};
    }
    if (c[7] != "-") {
      o.headers = Split(c[7], '|');
    }
    if (c[8] != "-") {
      o.uris = Split(c[8], '|');
    }
    std::string out = TempPath(c[0]);
    absl::StatusOr<AmmoCompileStats> stats = CompileAmmo(o, out);
    ASSERT_TRUE(stats.ok()) << stats.status();
    std::string got = DumpStpdFor(out, c[3]);
    std::string want = ReadAll(kData + c[0]);
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(got, want);
    ::unlink(out.c_str());
    ++cases;
  }
  EXPECT_GE(cases, 14);
}

// An stpd written by Tank compiles with its planned times and dumps back unchanged.
TEST(AmmoGolden, StpdRoundTrip) {
  for (const char* name : {"phantom_crlf.expected.stpd", "uripost.expected.stpd",
                           "phantom_binary.expected.stpd", "access.expected.stpd"}) {
    SCOPED_TRACE(name);
    AmmoCompileOptions o;
    o.input = kData + name;  // format auto: *.stpd
    std::string out = TempPath(std::string("rt_") + name);
    absl::StatusOr<AmmoCompileStats> stats = CompileAmmo(o, out);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->format, "stpd");
    EXPECT_TRUE(stats->has_times);
    absl::StatusOr<AmmoFile> f = AmmoFile::Open(out);
    ASSERT_TRUE(f.ok()) << f.status();
    std::string got;
    ASSERT_TRUE(DumpStpd(
                    *f, f->count(), [&](uint64_t i) { return f->PlannedNs(i) / 1'000'000; },
                    [&](std::string_view b) {
                      got.append(b);
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_EQ(got, ReadAll(kData + name));
    ::unlink(out.c_str());
  }
}

// Pandora jsonline has no Tank counterpart: its requests were checked by hand once
// (tests/data/ammo/pandora.expected.txt, a request-style dump) and are pinned here.
TEST(AmmoGolden, PandoraJsonLine) {
  AmmoCompileOptions o;
  o.input = kData + "pandora.jsonl";
  o.headers = {"User-Agent: incarne"};
  std::string out = TempPath("pandora");
  absl::StatusOr<AmmoCompileStats> stats = CompileAmmo(o, out);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->format, "jsonline");
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(out);
  ASSERT_TRUE(f.ok()) << f.status();
  std::string got;
  ASSERT_TRUE(DumpPhantom(*f, 0, [&](std::string_view b) {
                got.append(b);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(got, ReadAll(kData + "pandora.expected.txt"));
  EXPECT_EQ(f->Flags(4), kAmmoFlagHead);
  ::unlink(out.c_str());
}

// The binary layout itself (docs/formats.md) is pinned: a change must be deliberate (and bump
// the version when old readers would misread it).
TEST(AmmoGolden, BinaryLayout) {
  AmmoCompileOptions o;
  o.input = kData + "phantom_lf.txt";
  std::string out = TempPath("layout");
  ASSERT_TRUE(CompileAmmo(o, out).ok());
  std::string got = ReadAll(out);
  std::string want = ReadAll(kData + "phantom_lf.expected.ammo");
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the .ammo bytes changed";
  ::unlink(out.c_str());
}

}  // namespace
}  // namespace incarne
