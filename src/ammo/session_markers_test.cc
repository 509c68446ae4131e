// Session markers in phantom, uri and uripost ammo (docs/ammo.md "Session markers"): the
// marks a `[scenario=NAME step=N sleep=D]` line gives its record — the same StepMarks jsonline's
// fields give —, records unchanged by markers, `auto` detection looking past them, and every
// bad marker refused with its line and offset.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "ammo/ammo_compiler.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "ammo/ammo_layout.h"
#include "ammo/ammo_testing.h"
#include "ammo/input_stream.h"
#include "ammo/scenario_ammo.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

std::string Msg(const absl::Status& s) { return std::string(StdView(s.message())); }

absl::StatusOr<std::vector<scenario::StepMark>> Marks(std::string_view text, AmmoFormat format,
                                                      size_t buffer = 1 << 20) {
  std::unique_ptr<InputStream> in = InputStream::FromMemory(text, "a.txt", buffer);
  return ReadScenarioMarks(*in, format, 0);
}

// scenario/step/sleep_ms/where of each mark, one string.
std::string Show(const std::vector<scenario::StepMark>& marks) {
  std::string out;
  for (const scenario::StepMark& m : marks) {
    out += m.scenario + "/" + std::to_string(m.step) + "/" + std::to_string(m.sleep_ns / 1000000) +
           " @" + m.where + "; ";
  }
  return out;
}

const char kPhantom[] =
    "[scenario=buy step=1]\n"
    "19 login\nGET /l HTTP/1.1\r\n\r\n\n"
    "[scenario=buy step=2 sleep=100ms]\n"
    "19 cart\nGET /c HTTP/1.1\r\n\r\n\n"
    "19 other\nGET /o HTTP/1.1\r\n\r\n\n";

TEST(SessionMarkers, PhantomMarksTheNextRecord) {
  for (size_t buffer : {size_t{1} << 20, size_t{1}, size_t{7}}) {
    absl::StatusOr<std::vector<scenario::StepMark>> m =
        Marks(kPhantom, AmmoFormat::kPhantom, buffer);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(Show(*m),
              "buy/1/0 @a.txt: line 2, offset 22; buy/2/100 @a.txt: line 7, offset 85; "
              "/0/0 @a.txt: line 11, offset 113; ")
        << buffer;
  }
}

TEST(SessionMarkers, UriAndUriPost) {
  absl::StatusOr<std::vector<scenario::StepMark>> m =
      Marks("[Host: a]\n[scenario=s]\n/a t\n[ scenario=s step=2 sleep=1s ]\n[X: y]\n/b\n",
            AmmoFormat::kUri);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(Show(*m), "s/0/0 @a.txt: line 3, offset 23; s/2/1000 @a.txt: line 6, offset 66; ");
  m = Marks("[scenario=p step=1]\n2 /a\nhi\n[scenario=p step=2]\n0 /b\n", AmmoFormat::kUriPost);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(Show(*m), "p/1/0 @a.txt: line 2, offset 20; p/2/0 @a.txt: line 5, offset 48; ");
}

TEST(SessionMarkers, NoMarkerNoMarks) {
  absl::StatusOr<std::vector<scenario::StepMark>> m =
      Marks("19 a\nGET /l HTTP/1.1\r\n\r\n", AmmoFormat::kPhantom);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST(SessionMarkers, BadMarkersNameTheirLine) {
  auto err = [](std::string_view text, AmmoFormat f = AmmoFormat::kPhantom) {
    absl::StatusOr<std::vector<scenario::StepMark>> m = Marks(text, f);
    return m.ok() ? std::string("accepted") : Msg(m.status());
  };
  const std::string rec = "19 a\nGET /l HTTP/1.1\r\n\r\n";
  EXPECT_EQ(err("[scenario=s step=0]\n" + rec),
            "a.txt: line 1, offset 0: expected one step=N with N in 1..65535, found 'step=0' (a "
            "session marker, docs/ammo.md)");
  EXPECT_EQ(err("[scenario=s step=70000]\n" + rec).substr(0, 43),
            "a.txt: line 1, offset 0: expected one step=");
  EXPECT_EQ(err("[scenario=s sleep=fast]\n" + rec),
            "a.txt: line 1, offset 0: expected one think time such as sleep=100ms, found "
            "'sleep=fast' (a session marker, docs/ammo.md)");
  EXPECT_EQ(err("[scenario=s wait=1]\n" + rec),
            "a.txt: line 1, offset 0: expected scenario=, step= or sleep=, found 'wait=1' (a "
            "session marker, docs/ammo.md)");
  EXPECT_EQ(err("[scenario=s step=1 step=2]\n" + rec).substr(0, 43),
            "a.txt: line 1, offset 0: expected one step=");
  EXPECT_EQ(err("[scenario=s step=1\n" + rec).substr(0, 73),
            "a.txt: line 1, offset 0: expected '[scenario=NAME step=N sleep=DURATION]'");
  EXPECT_EQ(err("[scenario=a:b]\n/x\n", AmmoFormat::kUri).substr(0, 40),
            "a.txt: line 1, offset 0: expected no ':'");
  EXPECT_EQ(err("[scenario=s]\n[scenario=t]\n" + rec),
            "a.txt: line 2, offset 13: expected a record after the session marker at line 1, "
            "found another marker (a session marker, docs/ammo.md)");
  EXPECT_EQ(err(rec + "[scenario=s]\n"),
            "a.txt: line 4, offset 24: expected a record after this session marker, found the "
            "end of the records (a session marker, docs/ammo.md)");
  EXPECT_EQ(err(rec + "[scenario=s]\n0\n").substr(0, 60),
            "a.txt: line 4, offset 24: expected a record after this sessi");
  EXPECT_EQ(err("/a\n[scenario=s]\n", AmmoFormat::kUri).substr(0, 45),
            "a.txt: line 2, offset 3: expected a record af");
  // Not a marker: still what it was before markers.
  EXPECT_EQ(err("[Scenario=s]\n" + rec).substr(0, 60),
            "a.txt: line 1, offset 0: expected a record header '<size> [t");
  EXPECT_EQ(err("[scenarios]\n/a\n", AmmoFormat::kUri).substr(0, 50),
            "a.txt: line 1, offset 0: expected a header line '[");
}

class MarkerCompileTest : public AmmoDirTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    WriteAll(Path(name), text);
    return Path(name);
  }
};

TEST_F(MarkerCompileTest, MarkersLeaveTheRecordsAsTheyAreAndAutoLooksPastThem) {
  absl::StatusOr<AmmoFormat> f = DetectAmmoFileFormat(Write("m.txt", kPhantom));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*f, AmmoFormat::kPhantom);
  std::string plain = kPhantom;
  for (const char* m : {"[scenario=buy step=1]\n", "[scenario=buy step=2 sleep=100ms]\n"}) {
    plain.erase(plain.find(m), std::string(m).size());
  }
  Write("p.txt", plain);
  AmmoCompileOptions o;
  o.input = dir_ + "/m.txt";
  absl::StatusOr<AmmoCompileStats> s = CompileAmmo(o, dir_ + "/m.ammo");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->records, 3u);
  EXPECT_EQ(s->session_marks, 2u);
  o.input = dir_ + "/p.txt";
  s = CompileAmmo(o, dir_ + "/p.ammo");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->session_marks, 0u);
  // Only the sessions section (and the header fields saying where it ends) differs.
  auto without_sessions = [](std::string b) {
    AmmoHeader h;
    std::memcpy(&h, b.data(), sizeof(h));
    b.resize(h.sessions_offset);
    std::memset(b.data() + offsetof(AmmoHeader, file_size), 0, 8);
    std::memset(b.data() + offsetof(AmmoHeader, sessions_offset), 0, 16);
    return b;
  };
  EXPECT_EQ(without_sessions(ReadAll(dir_ + "/m.ammo")),
            without_sessions(ReadAll(dir_ + "/p.ammo")));
  absl::StatusOr<AmmoFile> m = AmmoFile::Open(dir_ + "/m.ammo");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->session_marks().size(), 2u);
  f = DetectAmmoFileFormat(Write("m.txt", "[scenario=s]\n/a\n"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*f, AmmoFormat::kUri);
}

}  // namespace
}  // namespace incarne
