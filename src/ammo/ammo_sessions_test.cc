// Session marks stored at `incarne ammo compile` time (docs/formats.md "Sessions section"):
// the compiler keeps every record's scenario/step/sleep, a run reads the same marks from the
// compiled file that it reads from the source, a file without the section (an older
// incarne's) still opens without marks, and a damaged section is refused with its offset.
#include "ammo/ammo_sessions.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ammo/ammo_compiler.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "ammo/ammo_layout.h"
#include "ammo/ammo_testing.h"
#include "ammo/ammo_writer.h"
#include "ammo/scenario_ammo.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

// Two sessions of "buy" (login, cart with a think time, checkout) with an unmarked record
// between them, in jsonline.
const char kJsonl[] = R"({"tag":"login","uri":"/login","scenario":"buy","step":1})"
                      "\n"
                      R"({"tag":"cart","uri":"/cart","scenario":"buy","step":2,"sleep":"10ms"})"
                      "\n"
                      R"({"tag":"checkout","uri":"/checkout","scenario":"buy","step":3})"
                      "\n"
                      R"({"tag":"other","uri":"/other"})"
                      "\n"
                      R"({"tag":"login","uri":"/login","scenario":"buy","step":1})"
                      "\n"
                      R"({"tag":"cart","uri":"/cart","scenario":"browse","step":1})"
                      "\n";

class SessionsTest : public AmmoDirTest {
 protected:
  absl::StatusOr<AmmoCompileStats> Compile(const std::string& text, uint64_t limit = 0,
                                           const std::string& in = "a.jsonl",
                                           const std::string& out = "a.ammo") {
    if (in == "a.jsonl") {
      WriteAll(Path(in), text);
    }
    AmmoCompileOptions o;
    o.input = Path(in);
    o.limit = limit;
    return CompileAmmo(o, Path(out));
  }
  // scenario/step/sleep_ms of each mark, one string.
  static std::string Show(const std::vector<scenario::StepMark>& marks) {
    std::string out;
    for (const scenario::StepMark& m : marks) {
      out += m.scenario + "/" + std::to_string(m.step) + "/" +
             std::to_string(m.sleep_ns / 1000000) + "; ";
    }
    return out;
  }
};

TEST_F(SessionsTest, StoredMarksAreTheSourcesMarks) {
  absl::StatusOr<AmmoCompileStats> s = Compile(kJsonl);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->session_marks, 5u);
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->has_sessions());
  EXPECT_EQ(f->session_marks().size(), 5u);  // the unmarked record has none
  EXPECT_EQ(f->scenario_names(), (std::vector<std::string>{"buy", "browse"}));
  std::vector<scenario::StepMark> stored = StoredSessionMarks(*f, 0);
  absl::StatusOr<std::vector<scenario::StepMark>> source =
      ReadScenarioMarksFile(Path("a.jsonl"), AmmoFormat::kJsonLine, 0);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(Show(stored), Show(*source));
  EXPECT_EQ(Show(stored), "buy/1/0; buy/2/10; buy/3/0; /0/0; buy/1/0; browse/1/0; ");
  EXPECT_EQ(stored[4].where, Path("a.ammo") + ": record 4");
  // The limit cuts the marks as it cuts the records.
  EXPECT_EQ(Show(StoredSessionMarks(*f, 2)), "buy/1/0; buy/2/10; ");
  absl::StatusOr<StoredSessionCounts> c = CountStoredSessions(*f);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sessions, 3u);
  EXPECT_EQ(c->steps, 5u);
  EXPECT_EQ(c->longest, 3u);
}

TEST_F(SessionsTest, RecompilingKeepsMarksAndLimitCutsThem) {
  ASSERT_TRUE(Compile(kJsonl).ok());
  absl::StatusOr<AmmoCompileStats> s = Compile("", 4, "a.ammo", "b.ammo");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->session_marks, 3u);
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("b.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(Show(StoredSessionMarks(*f, 0)), "buy/1/0; buy/2/10; buy/3/0; /0/0; ");
}

TEST_F(SessionsTest, AmmoWithoutMarksHasAnEmptySection) {
  ASSERT_TRUE(Compile(R"({"tag":"a","uri":"/a"})"
                      "\n")
                  .ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->has_sessions());
  EXPECT_TRUE(f->session_marks().empty());
  EXPECT_TRUE(StoredSessionMarks(*f, 0).empty());
}

TEST_F(SessionsTest, OutOfOrderStepNamesTheRecord) {
  ASSERT_TRUE(Compile(R"({"uri":"/a","scenario":"s","step":1})"
                      "\n"
                      R"({"uri":"/b","scenario":"s","step":3})"
                      "\n")
                  .ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<StoredSessionCounts> c = CountStoredSessions(*f);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(Msg(c.status()), HasSubstr(Path("a.ammo") + ": record 1"));
}

TEST_F(SessionsTest, FileWithoutSectionOpensWithoutMarks) {
  // An older incarne's file: header_size 144 (templates section, no sessions section).
  auto w = AmmoWriter::Create(Path("old.ammo"), false);
  ASSERT_TRUE(w.ok());
  (*w)->BeginRecord();
  ASSERT_TRUE((*w)->Append("GET / HTTP/1.0\r\n\r\n").ok());
  ASSERT_TRUE((*w)->EndRecord(0, 0, 0).ok());
  ASSERT_TRUE((*w)->AddSessionMark(0, 1, 0).ok());  // not written without scenario names
  const std::vector<std::string> none;
  ASSERT_TRUE((*w)->Commit({""}, "jsonline", &none).ok());
  const std::string bytes = ReadAll(Path("old.ammo"));
  AmmoHeader h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  EXPECT_EQ(h.header_size, kAmmoHeaderBytesTemplates);
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("old.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->has_sessions());
  EXPECT_TRUE(f->session_marks().empty());
  EXPECT_TRUE(f->has_template_split());
}

TEST_F(SessionsTest, DamagedSectionIsRefusedWithItsOffset) {
  ASSERT_TRUE(Compile(kJsonl).ok());
  const std::string good = ReadAll(Path("a.ammo"));
  AmmoHeader h;
  std::memcpy(&h, good.data(), sizeof(h));
  ASSERT_EQ(h.header_size, kAmmoHeaderBytes);
  ASSERT_EQ(h.sessions_offset + h.sessions_size, good.size());
  const size_t marks_at = h.sessions_offset + sizeof(AmmoSessionsHead);
  auto damaged = [&](size_t at, const void* v, size_t n) {
    std::string b = good;
    std::memcpy(b.data() + at, v, n);
    WriteAll(Path("bad.ammo"), b);
    absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("bad.ammo"));
    return f.ok() ? std::string("accepted") : Msg(f.status());
  };
  const std::string p = Path("bad.ammo") + ": offset ";
  const uint64_t odd = h.sessions_offset + 1;
  EXPECT_THAT(damaged(offsetof(AmmoHeader, sessions_offset), &odd, 8),
              HasSubstr(p + "144: expected an 8-aligned sessions section"));
  const uint64_t many = 1000;
  EXPECT_THAT(damaged(h.sessions_offset, &many, 8),
              HasSubstr(p + std::to_string(h.sessions_offset) +
                        ": expected at most one session mark per record"));
  const uint64_t back = 0;  // mark 1 (record 1) names record 0: not after mark 0's
  EXPECT_THAT(damaged(marks_at + sizeof(AmmoSessionMark), &back, 8),
              HasSubstr(p + std::to_string(marks_at + sizeof(AmmoSessionMark)) +
                        ": expected a record below 6 after the previous mark's, found record 0"));
  const uint32_t scenario = 3;  // two names
  EXPECT_THAT(damaged(marks_at + offsetof(AmmoSessionMark, scenario), &scenario, 4),
              HasSubstr(p + std::to_string(marks_at + 8) + ": expected a scenario 0..2"));
  const int64_t negative = -1;
  EXPECT_THAT(damaged(marks_at + offsetof(AmmoSessionMark, sleep_ns), &negative, 8),
              HasSubstr(p + std::to_string(marks_at + 16) + ": expected a think time"));
  const uint16_t long_name = 200;  // the first name ("buy") runs past the section
  const size_t names_at = marks_at + 5 * sizeof(AmmoSessionMark);
  EXPECT_THAT(damaged(names_at, &long_name, 2),
              HasSubstr(p + std::to_string(names_at) + ": expected 1.."));
  const uint32_t reserved = 1;
  EXPECT_THAT(
      damaged(h.sessions_offset + offsetof(AmmoSessionsHead, reserved), &reserved, 4),
      HasSubstr(p + std::to_string(h.sessions_offset + 12) + ": expected 0 in the reserved"));
}

}  // namespace
}  // namespace incarne
