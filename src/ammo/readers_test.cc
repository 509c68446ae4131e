// The readers on inline samples: requests built byte for byte as Tank builds them, tags,
// blank lines, CRLF, and every error naming file, line, byte offset and what was expected.
#include "ammo/readers.h"

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ammo/input_stream.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Rec {
  std::string request;
  std::string tag;
  bool tagged = false;
  int64_t planned_ms = -1;
  uint64_t line = 0;
  uint64_t offset = 0;
  bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  return os << "{" << testing::PrintToString(r.request) << ", tag '" << r.tag << "'"
            << (r.tagged ? "" : " (untagged)") << ", t " << r.planned_ms << ", line " << r.line
            << ", offset " << r.offset << "}";
}

class VectorSink : public RecordSink {
 public:
  absl::Status Begin(uint64_t line, uint64_t offset) override {
    cur_ = Rec{};
    cur_.line = line;
    cur_.offset = offset;
    return absl::OkStatus();
  }
  absl::Status Append(std::string_view bytes) override {
    cur_.request.append(bytes);
    return absl::OkStatus();
  }
  absl::Status End(std::string_view tag, bool tagged, int64_t planned_ms) override {
    cur_.tag = std::string(tag);
    cur_.tagged = tagged;
    cur_.planned_ms = planned_ms;
    records.push_back(cur_);
    return absl::OkStatus();
  }
  bool done() const override { return limit != 0 && records.size() >= limit; }
  void Skipped(uint64_t line, uint64_t offset, std::string_view why) override {
    skipped.push_back(std::to_string(line) + ":" + std::string(why));
  }
  void SourceFormat(std::string_view f) override { source = std::string(f); }

  std::vector<Rec> records;
  std::vector<std::string> skipped;
  std::string source;
  size_t limit = 0;

 private:
  Rec cur_;
};

using ReaderFn = absl::Status (*)(InputStream&, const ReaderOptions&, RecordSink&);

// Runs the reader with the default 1 MiB buffer and again with tiny ones (every refill and
// growth path on every input) and expects the very same records and status each time.
absl::Status Read(ReaderFn fn, std::string_view text, VectorSink* sink,
                  ReaderOptions options = {}) {
  const size_t limit = sink->limit;
  *sink = VectorSink();
  sink->limit = limit;
  std::unique_ptr<InputStream> in = InputStream::FromMemory(text, "ammo.txt");
  absl::Status status = fn(*in, options, *sink);
  for (size_t buffer : {1, 2, 7}) {
    VectorSink again;
    again.limit = limit;
    std::unique_ptr<InputStream> small = InputStream::FromMemory(text, "ammo.txt", buffer);
    absl::Status s = fn(*small, options, again);
    EXPECT_EQ(s, status) << "buffer " << buffer;
    EXPECT_EQ(again.records, sink->records) << "buffer " << buffer;
    EXPECT_EQ(again.skipped, sink->skipped) << "buffer " << buffer;
  }
  return status;
}

#define ASSERT_OK(expr)                     \
  do {                                      \
    absl::Status st_ = (expr);              \
    ASSERT_TRUE(st_.ok()) << st_.message(); \
  } while (0)

std::string Msg(const absl::Status& s) { return std::string(StdView(s.message())); }

Rec R(std::string req, std::string tag, bool tagged, uint64_t line, uint64_t offset,
      int64_t planned = -1) {
  return Rec{std::move(req), std::move(tag), tagged, planned, line, offset};
}

// ---- phantom ------------------------------------------------------------------------------

TEST(PhantomReader, TankDocsExample) {
  // Tank's example (docs/ammo.md) verbatim: with CRLF the request is 74 bytes, one more than the
  // example's size. Tank sends the first 73 and skips the leftover '\n' as a blank line;
  // so do we (requests are never "fixed").
  const std::string req =
      "GET / HTTP/1.0\r\nHost: xxx.tanks.example.com\r\nUser-Agent: xxx (shell 1)\r\n\r\n";
  ASSERT_EQ(req.size(), 74u);
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, "73 good\n" + req + "74 good\n" + req, &sink));
  EXPECT_THAT(sink.records, ElementsAre(R(req.substr(0, 73), "good", true, 1, 0),
                                        R(req, "good", true, 6, 8 + 74)));
}

TEST(PhantomReader, CrlfBlankLinesTagsAndExtraTokens) {
  std::string text =
      "\r\n5 a\r\nAB\nCD\r\n\r\n"  // blank line first, header with CRLF, body with LF
      "3\nxyz"                     // untagged, no separator after the body
      "\n4 tag extra more\r\nbody";
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, text, &sink));
  EXPECT_THAT(sink.records, ElementsAre(R("AB\nCD", "a", true, 2, 2), R("xyz", "", false, 6, 16),
                                        R("body", "tag", true, 8, 22)));
}

TEST(PhantomReader, BinaryBodyWithNulBytes) {
  std::string body("\0\x01\xff\n\r\0", 6);
  std::string text = std::string("6 bin\n") + body + std::string("\n2 t\n\0\0", 7);
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, text, &sink));
  ASSERT_EQ(sink.records.size(), 2u);
  EXPECT_EQ(sink.records[0].request, body);
  EXPECT_EQ(sink.records[1].request, std::string("\0\0", 2));
  EXPECT_EQ(sink.records[1].line, 4u);  // the '\n' inside the body counts
  EXPECT_EQ(sink.records[1].offset, 13u);
}

TEST(PhantomReader, Utf8Tag) {
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, "2 тег\nab", &sink));
  EXPECT_THAT(sink.records, ElementsAre(R("ab", "тег", true, 1, 0)));
}

TEST(PhantomReader, ZeroSizeEndsTheInputAndNamesTheSourceFormat) {
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, "1\na\n0 source_format=uri\n1\nb\n", &sink));
  EXPECT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.source, "uri");
  VectorSink plain;
  ASSERT_OK(Read(ReadPhantom, "1\na\n0\ngarbage that is never read", &plain));
  EXPECT_EQ(plain.records.size(), 1u);
  EXPECT_EQ(plain.source, "");
}

TEST(PhantomReader, StopsWhenTheSinkIsDone) {
  VectorSink sink;
  sink.limit = 2;
  ASSERT_OK(Read(ReadPhantom, "1\na\n1\nb\n1\nc\nnot a header", &sink));
  EXPECT_EQ(sink.records.size(), 2u);
}

TEST(PhantomReader, NonIntegerSize) {
  VectorSink sink;
  absl::Status s = Read(ReadPhantom, "1\na\n\nabc tag\nxyz", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), HasSubstr("ammo.txt: line 4, offset 5: expected a record header "
                                "'<size> [tag]' with a decimal size, found 'abc tag'"));
  EXPECT_THAT(Msg(s), HasSubstr("check the size of the record at line 1 (1 bytes)"));
}

TEST(PhantomReader, SignsAndUnderscoresAreNotSizes) {
  for (const char* bad : {"-5\nab", "+5\nabcde", "5_0\n", "0x10\n", " \t \n"}) {
    VectorSink sink;
    absl::Status s = Read(ReadPhantom, bad, &sink);
    EXPECT_THAT(Msg(s), HasSubstr("line 1, offset 0: expected a record header")) << bad;
  }
}

TEST(PhantomReader, TruncatedRequest) {
  VectorSink sink;
  absl::Status s = Read(ReadPhantom, "1\na\n10 t\nshort", &sink);
  EXPECT_THAT(Msg(s), HasSubstr("ammo.txt: line 3, offset 4: expected 10 request bytes after "
                                "the header, found only 5 before the end of the file"));
}

TEST(PhantomReader, SizeRunningIntoTheNextRecordsHeader) {
  // The first size should be 10; 18 swallows the second record's header "5 next\n".
  for (int size : {17, 18}) {
    std::string text = std::to_string(size) + " first\nGET /a\r\n\r\n\n5 next\nGET /\n";
    VectorSink sink;
    absl::Status s = Read(ReadPhantom, text, &sink);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Msg(s), HasSubstr(absl::StrFormat("line 6, offset %d: expected a record header",
                                                  text.find("GET /\n"))));
    EXPECT_THAT(Msg(s), HasSubstr("found 'GET /'"));
    EXPECT_THAT(Msg(s), HasSubstr(absl::StrFormat(
                            "the %d-byte request of the record at line 1 ends with '5 next', "
                            "which looks like the next record's header: that size is too large",
                            size)));
  }
}

TEST(PhantomReader, SizeTooSmall) {
  std::string text = "5 first\nGET /a HTTP/1.1\r\n\r\n";
  VectorSink sink;
  absl::Status s = Read(ReadPhantom, text, &sink);
  EXPECT_THAT(Msg(s), HasSubstr("line 2, offset 13: expected a record header '<size> [tag]' "
                                "with a decimal size, found 'a HTTP/1.1'; check the size of "
                                "the record at line 1 (5 bytes): too small and its request "
                                "continues here"));
}

TEST(PhantomReader, SizeAbove4GiB) {
  VectorSink sink;
  absl::Status s = Read(ReadPhantom, "4294967296\nx", &sink);
  EXPECT_THAT(Msg(s), HasSubstr("line 1, offset 0: expected a request size below 4 GiB"));
  s = Read(ReadPhantom, "99999999999999999999999\nx", &sink);
  EXPECT_THAT(Msg(s), HasSubstr("expected a record header"));
}

TEST(PhantomReader, ConfigHeadersAreIgnored) {
  ReaderOptions o;
  o.headers = {"Host: x"};
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, "3\nabc", &sink, o));
  EXPECT_EQ(sink.records[0].request, "abc");
}

TEST(PhantomReader, EmptyInputHasNoRecords) {
  VectorSink sink;
  ASSERT_OK(Read(ReadPhantom, "", &sink));
  ASSERT_OK(Read(ReadPhantom, "\n\r\n\n", &sink));
  EXPECT_TRUE(sink.records.empty());
}

// ---- uri ----------------------------------------------------------------------------------

TEST(UriReader, HeadersSortedDeduplicatedCaseSensitive) {
  std::string text =
      "[Host: example.com]\n"
      "[Connection: close]\n"
      "/a tag1\n"
      "[host: other]\n"
      "[Connection: keep-alive]\n"
      "/b?x=1   tag2   ignored\n";
  VectorSink sink;
  ASSERT_OK(Read(ReadUri, text, &sink));
  EXPECT_THAT(sink.records,
              ElementsAre(R("GET /a HTTP/1.1\r\nConnection: close\r\nHost: example.com\r\n\r\n",
                            "tag1", true, 3, 40),
                          R("GET /b?x=1 HTTP/1.1\r\nConnection: keep-alive\r\nHost: example.com\r\n"
                            "host: other\r\n\r\n",
                            "tag2", true, 6, 87)));
}

TEST(UriReader, BracketStripAndConfigHeaders) {
  ReaderOptions o;
  o.http_version = "1.0";
  o.headers = {"Host:  config.example ", "X-A: 1"};
  std::string text = "[ [User-Agent:   spaced:value  ] ]\r\n[X-A: 2]\r\n[X-Empty:]\r\n/\r\n";
  VectorSink sink;
  ASSERT_OK(Read(ReadUri, text, &sink, o));
  EXPECT_THAT(sink.records,
              ElementsAre(R("GET / HTTP/1.0\r\nHost: config.example\r\nUser-Agent: spaced:value"
                            "\r\nX-A: 2\r\nX-Empty: \r\n\r\n",
                            "", false, 4, text.find("/\r\n"))));
}

TEST(UriReader, HeadersSortAsUnsignedBytes) {
  VectorSink sink;
  ASSERT_OK(Read(ReadUri, "[X-\xc3\x9c: 1]\n[X-a: 2]\n[X-A: 3]\n[X-\x7f: 4]\n/\n", &sink));
  EXPECT_EQ(sink.records[0].request,
            "GET / HTTP/1.1\r\nX-A: 3\r\nX-a: 2\r\nX-\x7f: 4\r\nX-\xc3\x9c: 1\r\n\r\n");
}

TEST(UriReader, NoHeadersNoImplicitHost) {
  VectorSink sink;
  ASSERT_OK(Read(ReadUri, "/x", &sink));
  EXPECT_THAT(sink.records, ElementsAre(R("GET /x HTTP/1.1\r\n\r\n", "", false, 1, 0)));
}

TEST(UriReader, BlankAndWhitespaceOnlyLinesAreSkipped) {
  VectorSink sink;
  ASSERT_OK(Read(ReadUri, "\n  \t \n\r\n/y\n", &sink));
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].line, 4u);
}

TEST(UriReader, HeaderWithoutColon) {
  VectorSink sink;
  absl::Status s = Read(ReadUri, "/a\n[Host example.com]\n/b\n", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), HasSubstr("ammo.txt: line 2, offset 3: expected a header line "
                                "'[Name: value]', found '[Host example.com]' (no ':')"));
}

TEST(UriReader, HeaderWithoutName) {
  VectorSink sink;
  absl::Status s = Read(ReadUri, "[: v]\n/b\n", &sink);
  EXPECT_THAT(Msg(s), HasSubstr("line 1, offset 0: expected a header name before ':'"));
}

TEST(UriReader, HeadersButNoUris) {
  VectorSink sink;
  ASSERT_OK(Read(ReadUri, "[Host: a]\n[Connection: close]\n", &sink));
  EXPECT_TRUE(sink.records.empty());  // the compiler turns this into "no ammo"
}

TEST(UriList, ItemsVerbatimHeadersAsGiven) {
  ReaderOptions o;
  o.headers = {"Host:  h", "Connection: close", "Host:  h"};
  VectorSink sink;
  ASSERT_TRUE(ReadUriList({"/a b", "", "/c"}, o, sink).ok());
  EXPECT_THAT(
      sink.records,
      ElementsAre(R("GET /a b HTTP/1.1\r\nConnection: close\r\nHost:  h\r\n\r\n", "", false, 1, 0),
                  R("GET /c HTTP/1.1\r\nConnection: close\r\nHost:  h\r\n\r\n", "", false, 3, 0)));
  VectorSink bad;
  EXPECT_THAT(Msg(ReadUriList({"/a\r\nX: y"}, o, bad)), HasSubstr("without line breaks"));
}

// ---- uripost ------------------------------------------------------------------------------

TEST(UriPostReader, BodiesContentLengthAndHeaders) {
  std::string text =
      "[Host: example.com]\n"
      "5 /one tag1\n"
      "hello\n"
      "0 /empty\n"
      "\n"
      "[Content-Length: 3]\r\n"
      "3 /same\r\nabc\r\n"
      "5 /differs x y\nab\ncd";
  VectorSink sink;
  ASSERT_OK(Read(ReadUriPost, text, &sink));
  EXPECT_THAT(
      sink.records,
      ElementsAre(R("POST /one HTTP/1.1\r\nContent-Length: 5\r\nHost: example.com\r\n\r\nhello",
                    "tag1", true, 2, 20),
                  R("POST /empty HTTP/1.1\r\nHost: example.com\r\n\r\n", "", false, 4, 38),
                  R("POST /same HTTP/1.1\r\nContent-Length: 3\r\nHost: example.com\r\n\r\nabc", "",
                    false, 7, text.find("3 /same")),
                  R("POST /differs HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 5\r\n"
                    "Host: example.com\r\n\r\nab\ncd",
                    "x", true, 9, text.find("5 /differs"))));
}

TEST(UriPostReader, Errors) {
  VectorSink sink;
  EXPECT_THAT(Msg(Read(ReadUriPost, "x /a\n", &sink)),
              HasSubstr("line 1, offset 0: expected a record header '<body size> <uri> [tag]'"));
  EXPECT_THAT(Msg(Read(ReadUriPost, "[A: b]\n5\nhello", &sink)),
              HasSubstr("line 2, offset 7: expected a URI after the body size in '5'"));
  EXPECT_THAT(Msg(Read(ReadUriPost, "5 /a\nhel", &sink)),
              HasSubstr("line 1, offset 0: expected 5 body bytes after the header, found only "
                        "3"));
  EXPECT_THAT(Msg(Read(ReadUriPost, "[nocolon]\n", &sink)),
              HasSubstr("expected a header line '[Name: value]'"));
}

// ---- access -------------------------------------------------------------------------------

TEST(AccessReader, GetLinesOnlyVersionFromTheLog) {
  ReaderOptions o;
  o.headers = {"Host: a", "Connection:close"};
  std::string text =
      "1.2.3.4 - - [x] \"GET /a?b=1 HTTP/1.0\" 200 1 \"-\" \"UA\"\n"
      "1.2.3.4 - - [x] \"POST /form HTTP/1.1\" 200 1\n"
      "no quotes\n"
      "\n"
      "x \"GET /two-tokens\" 400\n"
      "x \"GET /noslash HTTP\" 400\n"
      "x \"GET  /sp   HTTP/1.1/extra\n"
      "x \"GET /bad\xff HTTP/1.1\"\n";
  VectorSink sink;
  ASSERT_OK(Read(ReadAccess, text, &sink, o));
  EXPECT_THAT(
      sink.records,
      ElementsAre(R("GET /a?b=1 HTTP/1.0\r\nConnection:close\r\nHost: a\r\n\r\n", "", false, 1, 0),
                  R("GET /sp HTTP/1.1\r\nConnection:close\r\nHost: a\r\n\r\n", "", false, 7,
                    text.find("x \"GET  /sp"))));
  EXPECT_THAT(sink.skipped, ElementsAre("2:not a GET request", "3:no quoted request",
                                        "5:the quoted request is not 'METHOD URI PROTOCOL'",
                                        "6:no '/' in the protocol", "8:not UTF-8"));
}

// ---- stpd ---------------------------------------------------------------------------------

TEST(StpdReader, TimesTagsAndTankTrailingSpace) {
  std::string text =
      "5 0 case1\nhello\n"
      "3 100 \nabc\n"          // Tank's empty tag: "<size> <ts> \n"
      "2 250 a tag\r\nxy\n\n"  // rest of the line is the tag; CRLF header
      "1\nz\n"                 // no time: send at once
      "0\nignored";
  VectorSink sink;
  ASSERT_OK(Read(ReadStpd, text, &sink));
  EXPECT_THAT(sink.records,
              ElementsAre(R("hello", "case1", true, 1, 0, 0), R("abc", "", false, 3, 16, 100),
                          R("xy", "a tag", true, 5, 27, 250), R("z", "", false, 8, 44, 0)));
}

TEST(StpdReader, Errors) {
  VectorSink sink;
  EXPECT_THAT(Msg(Read(ReadStpd, "5 x tag\nhello\n", &sink)),
              HasSubstr("line 1, offset 0: expected a decimal planned time in milliseconds"));
  EXPECT_THAT(Msg(Read(ReadStpd, "a 1 t\n", &sink)),
              HasSubstr("expected a decimal request size in the stpd header"));
  EXPECT_THAT(Msg(Read(ReadStpd, "1 5 a\tb\nx\n", &sink)),
              HasSubstr("expected a tag without TAB characters"));
  EXPECT_THAT(Msg(Read(ReadStpd, "1 0 t\nx\n9 10 t\nshort\n", &sink)),
              HasSubstr("line 3, offset 8: expected 9 request bytes after the stpd header, "
                        "found only 6"));
  EXPECT_THAT(Msg(Read(ReadStpd, "1 99999999999999 t\nx\n", &sink)),
              HasSubstr("expected a planned time in milliseconds below 9e12"));
}

// ---- jsonline -----------------------------------------------------------------------------

TEST(JsonLineReader, ObjectsPerLine) {
  ReaderOptions o;
  o.headers = {"User-Agent: cfg", "host: cfg.example"};
  std::string text =
      "{\"uri\": \"/a\", \"tag\": \"t1\", \"headers\": {\"Accept\": \"*/*\"}}\n"
      "\n"
      "{\"method\": \"POST\", \"uri\": \"/p\", \"host\": \"h.example\", \"body\": \"x\\u0000y\","
      " \"headers\": {\"user-agent\": \"rec\", \"Content-Length\": \"99\"}, \"extra\": [1, "
      "{\"k\": null}]}\r\n";
  VectorSink sink;
  ASSERT_OK(Read(ReadJsonLine, text, &sink, o));
  EXPECT_THAT(
      sink.records,
      ElementsAre(R("GET /a HTTP/1.1\r\nAccept: */*\r\nUser-Agent: cfg\r\nhost: cfg.example\r\n"
                    "\r\n",
                    "t1", true, 1, 0),
                  R(std::string("POST /p HTTP/1.1\r\nContent-Length: 3\r\nHost: h.example\r\n"
                                "user-agent: rec\r\n\r\nx") +
                        '\0' + "y",
                    "", false, 3, text.find("{\"method"))));
}

TEST(JsonLineReader, Array) {
  std::string text =
      "  [\n {\"uri\": \"/1\", \"tag\": \"a\"},\n"
      "  {\"uri\": \"/2\",\n   \"body\": \"]}\\\"\"}\n]\n";
  VectorSink sink;
  ASSERT_OK(Read(ReadJsonLine, text, &sink));
  EXPECT_THAT(sink.records, ElementsAre(R("GET /1 HTTP/1.1\r\n\r\n", "a", true, 2, 5),
                                        R("GET /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\n]}\"", "",
                                          false, 3, text.find("{\"uri\": \"/2"))));
}

TEST(JsonLineReader, InvalidJsonNamesLineAndOffset) {
  VectorSink sink;
  absl::Status s = Read(ReadJsonLine, "{\"uri\": \"/a\"}\n{\"uri\": \"/b\" \"tag\": 1}\n", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), HasSubstr("ammo.txt: line 2, offset 27: expected ',' or '}' (invalid "
                                "JSON ammo)"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "{\"uri\": 5}", &sink)),
              HasSubstr("line 1, offset 8: expected a string for \"uri\""));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "{\"tag\": \"x\"}", &sink)),
              HasSubstr("line 1, offset 0: expected a non-empty \"uri\" string"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "{\"uri\": \"/a b\"}", &sink)),
              HasSubstr("expected a \"uri\" without spaces"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "{\"uri\": \"/\", \"method\": \"G T\"}", &sink)),
              HasSubstr("expected an HTTP method token"));
  EXPECT_THAT(
      Msg(Read(ReadJsonLine, "{\"uri\": \"/\", \"headers\": {\"A\": \"b\\r\\nX: y\"}}", &sink)),
      HasSubstr("without control characters or line breaks"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "{\"uri\": \"/\", \"tag\": \"a\\tb\"}", &sink)),
              HasSubstr("expected a \"tag\" without control characters"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "[{\"uri\": \"/\"} {\"uri\": \"/\"}]", &sink)),
              HasSubstr("line 1, offset 14: expected ',' or ']' after the array element"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "[{\"uri\": \"/\"", &sink)),
              HasSubstr("line 1, offset 1: expected the end of this JSON object"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "[{\"uri\": \"/\"}] x", &sink)),
              HasSubstr("expected nothing after the closing ']'"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "[1]", &sink)),
              HasSubstr("expected a JSON object '{' as the array element"));
  EXPECT_THAT(Msg(Read(ReadJsonLine, "{\"uri\": \"/\"} {}", &sink)),
              HasSubstr("line 1, offset 13: expected nothing after the JSON object"));
}

// ---- input --------------------------------------------------------------------------------

TEST(InputStream, LinesLongerThanTheBufferAndOffsets) {
  std::string long_line(3u << 20, 'x');
  std::string text = "a\n" + long_line + "\nb";
  std::unique_ptr<InputStream> in = InputStream::FromMemory(text, "m");
  std::string_view line;
  ASSERT_TRUE(*in->ReadLine(&line));
  EXPECT_EQ(line, "a");
  ASSERT_TRUE(*in->ReadLine(&line));
  EXPECT_EQ(line.size(), long_line.size());
  EXPECT_EQ(in->line(), 3u);
  EXPECT_EQ(in->offset(), 2 + long_line.size() + 1);
  ASSERT_TRUE(*in->ReadLine(&line));
  EXPECT_EQ(line, "b");
  EXPECT_FALSE(*in->ReadLine(&line));
}

}  // namespace
}  // namespace incarne
