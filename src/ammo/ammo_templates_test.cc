// Templates split at `incarne ammo compile` time (docs/formats.md "Templates section"): the
// compiler stores the same split the run-start split makes, the run resolves its names to the
// plan's variables with the run-start split's messages, a file without the section (an older
// incarne's) still opens, and a damaged section is refused with its offset.
#include "ammo/ammo_templates.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ammo/ammo_compiler.h"
#include "ammo/ammo_dump.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_layout.h"
#include "ammo/ammo_testing.h"
#include "ammo/ammo_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

class TemplatesTest : public AmmoDirTest {
 protected:
  // Phantom ammo of `requests`, each tagged "t".
  static std::string Phantom(const std::vector<std::string>& requests) {
    std::string out;
    for (const std::string& r : requests) {
      out += std::to_string(r.size()) + " t\n" + r + "\n";
    }
    return out;
  }
  absl::StatusOr<AmmoCompileStats> Compile(const std::vector<std::string>& requests,
                                           const std::string& out = "a.ammo") {
    WriteAll(Path("a.txt"), Phantom(requests));
    AmmoCompileOptions o;
    o.input = Path("a.txt");
    return CompileAmmo(o, Path(out));
  }
  static std::string Bytes(const AmmoFile& f, uint64_t r) {
    std::span<const uint8_t> b = f.Request(r);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
};

const std::vector<std::string> kRequests = {
    "GET /plain HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /p?u=${user}&i=${instance} HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n\r\n",
    "POST /login HTTP/1.1\r\nContent-Length: 25\r\n\r\n{\"u\":\"${user}\",\"n\":${iteration}}",
    "GET /r/${random(-5,5)}/${uuid}/${now_ms} HTTP/1.1\r\nX: $${literal}\r\n\r\n",
    "GET /plain2 HTTP/1.1\r\n\r\n",
};

void ExpectSame(const scenario::Template& a, const scenario::Template& b) {
  EXPECT_EQ(a.fix_length, b.fix_length);
  ASSERT_EQ(a.pieces.size(), b.pieces.size());
  for (size_t i = 0; i < a.pieces.size(); ++i) {
    const scenario::TemplatePiece& p = a.pieces[i];
    const scenario::TemplatePiece& q = b.pieces[i];
    EXPECT_EQ(p.kind, q.kind) << i;
    EXPECT_EQ(p.body, q.body) << i;
    EXPECT_EQ(p.offset, q.offset) << i;
    EXPECT_EQ(p.len, q.len) << i;
    EXPECT_EQ(p.var, q.var) << i;
    EXPECT_EQ(p.lo, q.lo) << i;
    EXPECT_EQ(p.hi, q.hi) << i;
  }
}

TEST_F(TemplatesTest, CompilerStoresTheSplitTheRunStartSplitMakes) {
  absl::StatusOr<AmmoCompileStats> s = Compile(kRequests);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->templated, 3u);
  EXPECT_EQ(s->templates_unsplit, 0u);
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->has_template_split());
  EXPECT_EQ(f->Flags(0), 0);
  EXPECT_EQ(f->Flags(1), kAmmoFlagTemplate);
  EXPECT_EQ(f->Flags(4), 0);
  EXPECT_EQ(f->template_names(), (std::vector<std::string>{"user", "token"}));
  // The plan's variables in another order than the file's names: indices are the plan's.
  const std::vector<std::string> vars = {"a", "token", "user"};
  absl::StatusOr<std::vector<std::pair<uint64_t, scenario::Template>>> stored =
      StoredTemplates(*f, vars);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 3u);
  const uint64_t want[] = {1, 2, 3};
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ((*stored)[k].first, want[k]);
    absl::StatusOr<scenario::Template> at_start =
        scenario::CompileTemplate(Bytes(*f, want[k]), vars);
    ASSERT_TRUE(at_start.ok()) << at_start.status();
    ExpectSame((*stored)[k].second, *at_start);
  }
  EXPECT_TRUE((*stored)[1].second.fix_length);  // Content-Length is fixed up
}

TEST_F(TemplatesTest, UnknownVariableIsTheRunStartMessage) {
  ASSERT_TRUE(Compile(kRequests).ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok());
  const std::vector<std::string> vars = {"token"};
  absl::StatusOr<std::vector<std::pair<uint64_t, scenario::Template>>> stored =
      StoredTemplates(*f, vars);
  ASSERT_FALSE(stored.ok());
  absl::StatusOr<scenario::Template> at_start = scenario::CompileTemplate(Bytes(*f, 1), vars);
  ASSERT_FALSE(at_start.ok());
  EXPECT_EQ(Msg(stored.status()), "record 1: " + Msg(at_start.status()));
  EXPECT_EQ(Msg(stored.status()),
            "record 1: offset 9: unknown variable 'user' (the plan defines: token; built-ins: "
            "instance, iteration, now_ms, uuid, random(a,b))");
}

TEST_F(TemplatesTest, MalformedReferenceIsStoredUnsplitAndReportedByTheRun) {
  // Without variables such records are sent as written: compiling must not refuse them.
  absl::StatusOr<AmmoCompileStats> s =
      Compile({"GET /${oops HTTP/1.1\r\n\r\n", "POST / HTTP/1.1\r\n\r\n${x}"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->templated, 2u);
  EXPECT_EQ(s->templates_unsplit, 2u);
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->template_records().size(), 2u);
  EXPECT_EQ(f->template_records()[0].pieces, 0u);
  absl::StatusOr<std::vector<std::pair<uint64_t, scenario::Template>>> stored =
      StoredTemplates(*f, {"x"});
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(Msg(stored.status()), "record 0: offset 5: a ${ without its closing }");
}

TEST_F(TemplatesTest, DumpGivesTheOriginalTextAndCompilesBackByteForByte) {
  ASSERT_TRUE(Compile(kRequests).ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
  ASSERT_TRUE(f.ok());
  std::string text;
  ASSERT_TRUE(DumpPhantom(*f, 0, [&](std::string_view b) {
                text.append(b);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(text, Phantom(kRequests));  // the records as written, "${" and all
  WriteAll(Path("a.txt"), text);
  AmmoCompileOptions o;
  o.input = Path("a.txt");
  ASSERT_TRUE(CompileAmmo(o, Path("b.ammo")).ok());
  EXPECT_EQ(ReadAll(Path("a.ammo")), ReadAll(Path("b.ammo")));
}

TEST_F(TemplatesTest, FileWithoutTheSectionOpensAndIsSplitAtRunStart) {
  // The layout of an older incarne: header_size 128, no section, no template flags.
  auto w = AmmoWriter::Create(Path("old.ammo"), false);
  ASSERT_TRUE(w.ok());
  (*w)->BeginRecord();
  ASSERT_TRUE((*w)->Append(kRequests[1]).ok());
  ASSERT_TRUE((*w)->EndRecord(0, 0, 0).ok());
  ASSERT_TRUE((*w)->Commit({""}, "phantom").ok());
  const std::string bytes = ReadAll(Path("old.ammo"));
  uint32_t header_size;
  std::memcpy(&header_size, bytes.data() + offsetof(AmmoHeader, header_size), 4);
  EXPECT_EQ(header_size, kAmmoHeaderBytesV1);
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("old.ammo"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->has_template_split());
  EXPECT_EQ(Bytes(*f, 0), kRequests[1]);
}

TEST_F(TemplatesTest, DamagedSectionIsRefusedWithItsOffset) {
  ASSERT_TRUE(Compile(kRequests).ok());
  const std::string good = ReadAll(Path("a.ammo"));
  AmmoHeader h;
  std::memcpy(&h, good.data(), sizeof(h));
  ASSERT_EQ(h.header_size, kAmmoHeaderBytes);
  const size_t records_at = h.templates_offset + sizeof(AmmoTemplatesHead);
  const size_t pieces_at = records_at + 3 * sizeof(AmmoTemplateRecord);
  auto damaged = [&](size_t at, const void* v, size_t n) {
    std::string b = good;
    std::memcpy(b.data() + at, v, n);
    WriteAll(Path("bad.ammo"), b);
    absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("bad.ammo"));
    return f.ok() ? std::string("accepted") : Msg(f.status());
  };
  const std::string p = Path("bad.ammo") + ": offset ";
  const uint8_t kind = 9;
  EXPECT_THAT(damaged(pieces_at, &kind, 1),
              HasSubstr(p + std::to_string(pieces_at) + ": expected a piece kind 0..7"));
  const uint32_t far = 100000;
  EXPECT_THAT(damaged(pieces_at + offsetof(AmmoTemplatePiece, len), &far, 4),
              HasSubstr(p + std::to_string(pieces_at + 4) + ": expected a piece inside record 1"));
  const uint64_t record = 0;  // not flagged
  EXPECT_THAT(damaged(records_at, &record, 8),
              HasSubstr(p + std::to_string(records_at) + ": expected a record flagged"));
  const uint64_t pieces = 1u << 30;
  EXPECT_THAT(damaged(h.templates_offset + 8, &pieces, 8),
              HasSubstr(p + std::to_string(h.templates_offset + 8) + ": expected 3 record"));
  const uint16_t flags = 0;  // a templated record unflagged: 2 flagged, 3 entries
  EXPECT_THAT(damaged(h.index_offset + 16 + offsetof(AmmoIndexEntry, flags), &flags, 2),
              HasSubstr(p + std::to_string(h.templates_offset) +
                        ": expected 2 templated records (as flagged in the index), found 3"));
  const char digit = '9';  // a name that is no variable name
  // "user" then "token" (u16 + 4, u16 + 5) end the templates section.
  const size_t names_at = h.templates_offset + h.templates_size - 6 - 7;
  EXPECT_THAT(damaged(names_at + 2, &digit, 1),
              HasSubstr(p + std::to_string(names_at + 2) + ": expected a variable name"));
  const uint64_t none[2] = {0, 0};  // no section, but flagged records
  EXPECT_THAT(
      damaged(offsetof(AmmoHeader, templates_offset), none, 16),
      HasSubstr(p + std::to_string(h.index_offset) + ": expected no record flagged as templated"));
  const uint64_t odd = h.templates_offset + 1;
  EXPECT_THAT(damaged(offsetof(AmmoHeader, templates_offset), &odd, 8),
              HasSubstr(p + "128: expected an 8-aligned templates section"));
}

TEST_F(TemplatesTest, ReferenceAcrossInputBuffersIsFound) {
  // The reader hands a large request over in 1 MiB pieces: a "${" around the boundary, at
  // every shift, is found and split.
  for (int shift = -3; shift <= 3; ++shift) {
    const std::string head = "POST / HTTP/1.1\r\nContent-Length: 0000000\r\n\r\n";
    const std::string header = "2000000 t\n";
    std::string body(2000000 - head.size(), 'a');
    const size_t at = (1u << 20) + shift - header.size() - head.size();
    body.replace(at, 8, "${token}");
    ASSERT_TRUE(Compile({head + body}).ok());
    absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("a.ammo"));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->Flags(0), kAmmoFlagTemplate) << shift;
    ASSERT_EQ(f->template_records().size(), 1u) << shift;
    EXPECT_EQ(f->template_records()[0].pieces, 6u) << shift;  // head, length, head, a…, ${}, a…
  }
}

}  // namespace
}  // namespace incarne
