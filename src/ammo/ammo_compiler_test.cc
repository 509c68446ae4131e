// CompileAmmo end to end: dump → compile round trips byte for byte, gzip input, limits,
// autocases, chosen_cases, the "no ammo" errors, and failures that leave nothing behind.
#include "ammo/ammo_compiler.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ammo/ammo_dump.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_layout.h"
#include "ammo/ammo_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

const std::string kData = std::string(INCARNE_SOURCE_ROOT) + "/tests/data/ammo/";

class CompileTest : public AmmoDirTest {
 protected:
  std::string Input(const std::string& name, const std::string& data) {
    WriteAll(Path(name), data);
    return Path(name);
  }
  static std::string Msg(const absl::Status& s) { return std::string(StdView(s.message())); }

  absl::StatusOr<AmmoCompileStats> Compile(AmmoCompileOptions o, const std::string& out) {
    return CompileAmmo(o, out);
  }
  absl::StatusOr<AmmoCompileStats> Compile(const std::string& input, const std::string& out) {
    AmmoCompileOptions o;
    o.input = input;
    return CompileAmmo(o, out);
  }
  static std::string DumpPhantomText(const std::string& ammo) {
    absl::StatusOr<AmmoFile> f = AmmoFile::Open(ammo);
    EXPECT_TRUE(f.ok()) << f.status();
    std::string out;
    absl::Status s = DumpPhantom(*f, 0, [&](std::string_view b) {
      out.append(b);
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
};

// compile(X) → dump --as phantom → compile must give the same file, whatever X's format.
TEST_F(CompileTest, DumpAsPhantomCompilesBackByteForByte) {
  struct Case {
    const char* input;
    AmmoFormat format;
    std::vector<std::string> headers;
    const char* autocases;
  };
  const Case cases[] = {
      {"phantom_crlf.txt", AmmoFormat::kAuto, {}, "0"},
      {"phantom_lf.txt", AmmoFormat::kAuto, {}, "2"},
      {"phantom_binary.bin", AmmoFormat::kAuto, {}, "uniq"},
      {"uri_lf.txt", AmmoFormat::kAuto, {"Host: h"}, "1"},
      {"uri_crlf.txt", AmmoFormat::kUri, {}, "uri"},
      {"uripost.txt", AmmoFormat::kUriPost, {"X: y"}, "0"},
      {"access.log", AmmoFormat::kAccess, {"Host: a"}, "0"},
      {"pandora.jsonl", AmmoFormat::kAuto, {"User-Agent: incarne"}, "0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    AmmoCompileOptions o;
    o.input = kData + c.input;
    o.format = c.format;
    o.headers = c.headers;
    o.autocases = c.autocases;
    absl::StatusOr<AmmoCompileStats> first = Compile(o, Path("first.ammo"));
    ASSERT_TRUE(first.ok()) << first.status();
    std::string text = DumpPhantomText(Path("first.ammo"));
    WriteAll(Path("dump.txt"), text);
    absl::StatusOr<AmmoCompileStats> second = Compile(Path("dump.txt"), Path("second.ammo"));
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->format, first->format);
    EXPECT_EQ(second->records, first->records);
    std::string a = ReadAll(Path("first.ammo"));
    std::string b = ReadAll(Path("second.ammo"));
    ASSERT_GT(a.size(), kAmmoPage);
    EXPECT_TRUE(a == b) << "the round trip changed the file";
  }
}

TEST_F(CompileTest, GzipInputGivesTheSameFile) {
  std::string plain = ReadAll(kData + "uripost.txt");
  // Two gzip members (cat a.gz b.gz) of the two halves.
  std::string gz_path = Path("in.txt.gz");
  for (int part = 0; part < 2; ++part) {
    gzFile g = gzopen(gz_path.c_str(), part == 0 ? "wb" : "ab");
    ASSERT_NE(g, nullptr);
    std::string half = part == 0 ? plain.substr(0, 40) : plain.substr(40);
    ASSERT_EQ(gzwrite(g, half.data(), static_cast<unsigned>(half.size())),
              static_cast<int>(half.size()));
    gzclose(g);
  }
  AmmoCompileOptions o;
  o.format = AmmoFormat::kUriPost;
  o.input = kData + "uripost.txt";
  ASSERT_TRUE(Compile(o, Path("plain.ammo")).ok());
  o.input = gz_path;
  absl::StatusOr<AmmoCompileStats> s = Compile(o, Path("gz.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->gzip);
  EXPECT_TRUE(ReadAll(Path("plain.ammo")) == ReadAll(Path("gz.ammo")));

  // Auto-detection looks at the decompressed bytes; a truncated stream is an error.
  std::string gz = ReadAll(gz_path);
  WriteAll(Path("cut.gz"), gz.substr(0, gz.size() / 2 - 10));
  o.input = Path("cut.gz");
  absl::StatusOr<AmmoCompileStats> cut = Compile(o, Path("cut.ammo"));
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(Msg(cut.status()), HasSubstr("cut.gz: compressed offset"));
  EXPECT_THAT(Msg(cut.status()), HasSubstr("truncated"));
}

TEST_F(CompileTest, FormatDetection) {
  auto format_of = [&](const std::string& name, const std::string& data) {
    absl::StatusOr<AmmoCompileStats> s = Compile(Input(name, data), Path(name + ".ammo"));
    EXPECT_TRUE(s.ok()) << name << ": " << s.status();
    return s.ok() ? s->format : "";
  };
  EXPECT_EQ(format_of("a", "3\nabc"), "phantom");
  EXPECT_EQ(format_of("b", "/index.html\n"), "uri");
  EXPECT_EQ(format_of("c", "[Host: x]\n/\n"), "uri");
  EXPECT_EQ(format_of("d", "{\"uri\": \"/\"}\n"), "jsonline");
  EXPECT_EQ(format_of("e.stpd", "3 10 t\nabc\n"), "stpd");
  // A compiled file as input is copied (chosen_cases / limit apply again).
  EXPECT_EQ(format_of("f", ReadAll(Path("a.ammo"))), "phantom");
  EXPECT_TRUE(ReadAll(Path("f.ammo")) == ReadAll(Path("a.ammo")));
}

// auto never guesses uri for lines that are not URIs: Tank would send `GET abc`, `GET #`.
TEST_F(CompileTest, DetectionFailsLoudly) {
  auto error_of = [&](const std::string& name, const std::string& data) {
    absl::StatusOr<AmmoCompileStats> s = Compile(Input(name, data), Path(name + ".ammo"));
    EXPECT_FALSE(s.ok()) << name;
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << s.status();
    return s.ok() ? std::string() : Msg(s.status());
  };
  EXPECT_THAT(error_of("abc", "abc\nGET / HTTP/1.1\nHost: x\n\n"),
              HasSubstr("abc: line 1: cannot tell the ammo format from 'abc'"));
  EXPECT_THAT(error_of("late", "/a\n\n/b tag\nGET / HTTP/1.1\n"),
              HasSubstr("late: line 4: cannot tell the ammo format from 'GET / HTTP/1.1'"));
  EXPECT_THAT(error_of("comments", "# ammo for the search page\n\n  # more\n"),
              HasSubstr("comments: line 1: every line is a '#' comment"));
  EXPECT_THAT(error_of("hash", "# my uris\n/index.html\n"),
              HasSubstr("hash: line 1: cannot tell the ammo format from '# my uris'"));
  for (const std::string& f : Files()) {
    EXPECT_EQ(f.find(".ammo"), std::string::npos) << f << ": nothing written on a failure";
  }
  // What auto still takes: uri with headers and full URLs, jsonline as an array.
  absl::StatusOr<AmmoCompileStats> s =
      Compile(Input("u", "[Host: x]\n/a\n  \nhttp://h/b t\nHTTPS://h/c\n"), Path("u.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->format, "uri");
  EXPECT_EQ(s->records, 3u);
  for (const char* array : {"[{\"uri\": \"/a\"}, {\"uri\": \"/b\"}]\n",
                            "\n[\n  {\"uri\": \"/a\"},\n  {\"uri\": \"/b\"}\n]\n"}) {
    s = Compile(Input("j", array), Path("j.ammo"));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->format, "jsonline");
    EXPECT_EQ(s->records, 2u);
  }
}

TEST_F(CompileTest, WarnsAboutStpdTimesBackwardsAndMissingHost) {
  absl::StatusOr<AmmoCompileStats> s = Compile(
      Input("t.stpd", "3 100 a\nabc\n3 50 a\nabc\n3 200 a\nabc\n3 150 a\nabc\n3 300 a\nabc\n"),
      Path("t.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->times_backwards, 2u);
  EXPECT_EQ(s->first_backwards, "line 3: 50 ms after 100");
  s = Compile(Input("ok.stpd", "3 100 a\nabc\n3 100 a\nabc\n3 101 a\nabc\n"), Path("ok.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->times_backwards, 0u);

  const std::string no_host = "GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n";
  const std::string host = "GET / HTTP/1.1\r\nhost: a\r\n\r\n";
  const std::string v10 = "GET / HTTP/1.0\r\n\r\n";
  std::string phantom;
  for (const std::string& r : {host, no_host, v10, no_host, host}) {
    phantom += std::to_string(r.size()) + "\n" + r;
  }
  s = Compile(Input("p", phantom), Path("p.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->no_host, 2u);
  EXPECT_EQ(s->first_no_host, "line 5");  // record 2: after record 1's header and 3 lines
  // uri ammo builds HTTP/1.1 requests: without a Host header from the file or --header each
  // one is counted.
  s = Compile(Input("u", "/a\n/b\n"), Path("u.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->no_host, 2u);
  s = Compile(Input("uh", "[Host: x]\n/a\n/b\n"), Path("uh.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->no_host, 0u);
}

TEST_F(CompileTest, LimitKeepsExactlyNRecords) {
  AmmoCompileOptions o;
  o.input = kData + "phantom_crlf.txt";
  o.limit = 2;
  absl::StatusOr<AmmoCompileStats> s = Compile(o, Path("l.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->records, 2u);  // not Tank's N+1 (docs/ammo.md)
  EXPECT_EQ(AmmoFile::Open(Path("l.ammo"))->count(), 2u);
}

TEST_F(CompileTest, AutocasesAndChosenCases) {
  std::string in = Input("u.txt", "/a/b/c?x=1\n/a/b\n/d tagged\n/\n/e/f\n");
  AmmoCompileOptions o;
  o.input = in;
  o.autocases = "1";
  ASSERT_TRUE(Compile(o, Path("1.ammo")).ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("1.ammo"));
  ASSERT_TRUE(f.ok());
  std::vector<std::string> tags;
  for (uint64_t i = 0; i < f->count(); ++i) {
    tags.push_back(f->tags()[f->Tag(i)]);
  }
  EXPECT_EQ(tags, (std::vector<std::string>{"_a", "_a", "tagged", "_", "_e"}));

  o.autocases = "uri";
  ASSERT_TRUE(Compile(o, Path("u.ammo")).ok());
  f = AmmoFile::Open(Path("u.ammo"));
  EXPECT_EQ(f->tags(), (std::vector<std::string>{"", "_a_b_c", "_a_b", "tagged", "_", "_e_f"}));

  o.autocases = "1";
  o.chosen_cases = {"_a tagged", "_e"};
  absl::StatusOr<AmmoCompileStats> s = Compile(o, Path("c.ammo"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->records, 4u);
  EXPECT_EQ(s->filtered, 1u);
  f = AmmoFile::Open(Path("c.ammo"));
  EXPECT_EQ(f->tags(), (std::vector<std::string>{"", "_a", "tagged", "_e"}));

  o.autocases = "uniq";
  o.chosen_cases = {};
  ASSERT_TRUE(Compile(o, Path("q.ammo")).ok());
  f = AmmoFile::Open(Path("q.ammo"));
  std::set<std::string> uniq;
  for (uint64_t i = 0; i < f->count(); ++i) {
    const std::string& t = f->tags()[f->Tag(i)];
    if (t == "tagged") {
      continue;
    }
    ASSERT_EQ(t.size(), 32u);
    EXPECT_EQ(t[12], '4');  // UUID version 4
    EXPECT_NE(std::string("89ab").find(t[16]), std::string::npos);
    uniq.insert(t);
  }
  EXPECT_EQ(uniq.size(), 4u);
}

TEST_F(CompileTest, HeadRequestsAreFlagged) {
  ASSERT_TRUE(Compile(Input("h.txt", "5\nHEAD \n5\nhead \n4\nHEAD"), Path("h.ammo")).ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("h.ammo"));
  EXPECT_EQ(f->Flags(0), kAmmoFlagHead);
  EXPECT_EQ(f->Flags(1), kAmmoFlagHead);
  EXPECT_EQ(f->Flags(2), 0);
}

TEST_F(CompileTest, NoAmmoErrors) {
  absl::StatusOr<AmmoCompileStats> s =
      Compile(Input("h.txt", "[Host: a]\n[Connection: close]\n"), Path("h.ammo"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s.status()), HasSubstr(Path("h.txt") + ": line 3, offset 30 (end of input): "
                                                         "no ammo: expected at least a URI line"));
  s = Compile(Input("e.txt", ""), Path("e.ammo"));
  EXPECT_THAT(Msg(s.status()), HasSubstr("no ammo"));
  AmmoCompileOptions o;
  o.input = Input("p.txt", "1 a\nx\n1 b\ny\n");
  o.chosen_cases = {"c"};
  s = Compile(o, Path("p.ammo"));
  EXPECT_THAT(Msg(s.status()),
              HasSubstr("no ammo left: none of the 2 records has a tag in chosen_cases [c]"));
  o.input = Input("a.log", "x \"POST / HTTP/1.1\"\n");
  o.format = AmmoFormat::kAccess;
  o.chosen_cases = {};
  s = Compile(o, Path("a.ammo"));
  EXPECT_THAT(Msg(s.status()), HasSubstr("1 lines skipped, the first at line 1: not a GET"));
  EXPECT_EQ(Files(), (std::vector<std::string>{"a.log", "e.txt", "h.txt", "p.txt"}));
}

TEST_F(CompileTest, TooManyTags) {
  std::string text;
  for (int i = 0; i < 65535; ++i) {
    text += "1 t" + std::to_string(i) + "\nx\n";
  }
  std::string in = Input("t.txt", text);
  absl::StatusOr<AmmoCompileStats> s = Compile(in, Path("t.ammo"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tags, 65536u);  // 65535 tags and "" (tag 0)
  const size_t offset = text.size();
  text += "1 one-more\nx\n";
  WriteAll(in, text);
  s = Compile(in, Path("t2.ammo"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Msg(s.status()),
              HasSubstr(": line 131071, offset " + std::to_string(offset) +
                        ": expected at most 65535 distinct tags, tag 'one-more' is one more"));
}

TEST_F(CompileTest, FailureLeavesTheOutputUntouched) {
  WriteAll(Path("out.ammo"), "previous");
  absl::StatusOr<AmmoCompileStats> s =
      Compile(Input("bad.txt", "5 ok\nhello\nbad header\n"), Path("out.ammo"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Msg(s.status()), HasSubstr("bad.txt: line 3, offset 11: expected a record header"));
  EXPECT_EQ(ReadAll(Path("out.ammo")), "previous");
  EXPECT_EQ(Files(), (std::vector<std::string>{"bad.txt", "out.ammo"}));
}

TEST_F(CompileTest, OptionErrors) {
  std::string in = Input("u.txt", "/\n");
  AmmoCompileOptions o;
  o.input = in;
  o.http_version = "2";
  EXPECT_THAT(Msg(Compile(o, Path("o.ammo")).status()), HasSubstr("http_version '2'"));
  o.http_version = "1.1";
  o.autocases = "-1";
  EXPECT_THAT(Msg(Compile(o, Path("o.ammo")).status()), HasSubstr("autocases '-1': expected"));
  o.autocases = "0";
  o.headers = {"NoColon"};
  EXPECT_THAT(Msg(Compile(o, Path("o.ammo")).status()),
              HasSubstr("header 'NoColon': expected 'Name: value'"));
  o.headers = {"[Host: bracketed]"};
  ASSERT_TRUE(Compile(o, Path("o.ammo")).ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(Path("o.ammo"));
  std::span<const uint8_t> r = f->Request(0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data()), r.size()),
            "GET / HTTP/1.1\r\nHost: bracketed\r\n\r\n");
  o.uris = {"/x"};
  EXPECT_THAT(Msg(Compile(o, Path("o.ammo")).status()), HasSubstr("not both"));
  o.input = Path("missing.txt");
  o.uris = {};
  EXPECT_EQ(Compile(o, Path("o.ammo")).status().code(), absl::StatusCode::kNotFound);
}

// Memory does not grow with the input: 128 MiB of small request-style records (~2.5 million,
// whose index alone would be 40 MiB) arrive through a FIFO and the peak RSS grows by less
// than 32 MiB: neither the requests nor the index are held in memory.
TEST_F(CompileTest, MemoryStaysBoundedWhateverTheInputSize) {
  const std::string fifo = Path("in.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  constexpr uint64_t kBytes = 128u << 20;
  uint64_t records = 0;
  std::thread writer([&] {
    // Allocation-free, so that under ASan freed blocks in quarantine do not count.
    FILE* out = std::fopen(fifo.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    static char body[1500];
    std::memset(body, 'b', sizeof(body));
    char head[128];
    uint64_t written = 0;
    for (uint64_t i = 0; written < kBytes; ++i) {
      const int n = static_cast<int>(i % 8);
      char req_head[96];
      int rh = std::snprintf(req_head, sizeof(req_head),
                             "POST /item/%llu HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
                             static_cast<unsigned long long>(i), n);
      int h = std::snprintf(head, sizeof(head), "%d t%d\n", rh + n, static_cast<int>(i % 3));
      std::fwrite(head, 1, static_cast<size_t>(h), out);
      std::fwrite(req_head, 1, static_cast<size_t>(rh), out);
      std::fwrite(body, 1, static_cast<size_t>(n), out);
      std::fputc('\n', out);
      written += static_cast<uint64_t>(h + rh + n + 1);
      ++records;
    }
    std::fclose(out);
  });
  struct rusage before;
  ::getrusage(RUSAGE_SELF, &before);
  absl::StatusOr<AmmoCompileStats> s = Compile(fifo, Path("big.ammo"));
  writer.join();
  struct rusage after;
  ::getrusage(RUSAGE_SELF, &after);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->records, records);
  EXPECT_GT(records, 2'000'000u);
  const long grown_kib = after.ru_maxrss - before.ru_maxrss;
  EXPECT_LT(grown_kib, 32 * 1024) << "peak RSS grew by " << grown_kib << " KiB";
  ::unlink(Path("big.ammo").c_str());
}

TEST(DefaultAmmoOutputPath, ReplacesTheExtension) {
  EXPECT_EQ(DefaultAmmoOutputPath("ammo.txt"), "ammo.ammo");
  EXPECT_EQ(DefaultAmmoOutputPath("dir.v1/ammo"), "dir.v1/ammo.ammo");
  EXPECT_EQ(DefaultAmmoOutputPath("a/b.stpd.gz"), "a/b.ammo");
  EXPECT_EQ(DefaultAmmoOutputPath(".hidden"), ".hidden.ammo");
}

}  // namespace
}  // namespace incarne
