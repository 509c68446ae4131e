// ReplyParser: every sample reply is parsed whole, split at every byte, split at every pair of
// bytes (three pieces) and fed byte by byte; all must give the same outcome.
#include "http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace incarne::http {
namespace {

struct Outcome {
  ReplyState state = ReplyState::kNeedMore;
  ReplyError error = ReplyError::kNone;
  uint16_t status = 0;
  bool keep_alive = false;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t body = 0;
  uint64_t consumed = 0;

  bool operator==(const Outcome& o) const {
    return state == o.state && error == o.error && status == o.status &&
           keep_alive == o.keep_alive && framing == o.framing && body == o.body &&
           consumed == o.consumed;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{state=" << static_cast<int>(o.state) << " error=" << ReplyErrorName(o.error)
            << " status=" << o.status << " ka=" << o.keep_alive
            << " framing=" << static_cast<int>(o.framing) << " body=" << o.body
            << " consumed=" << o.consumed << "}";
}

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Feeds `reply` cut at `cuts` (ascending offsets), then EOF if `eof` and still incomplete.
Outcome Run(const std::string& reply, const std::vector<size_t>& cuts, bool eof,
            const ReplyLimits& limits, bool head) {
  ReplyParser parser;
  parser.Reset(&limits, head);
  Outcome o;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(reply.size());
  ReplyState st = ReplyState::kNeedMore;
  for (size_t end : ends) {
    size_t used = 0;
    st = parser.Feed(Bytes(reply) + from, end - from, &used);
    o.consumed += used;
    if (st != ReplyState::kNeedMore) {
      break;
    }
    EXPECT_EQ(used, end - from) << "NeedMore must consume everything";
    from = end;
  }
  if (st == ReplyState::kNeedMore && eof) {
    st = parser.FeedEof();
  }
  EXPECT_EQ(st, parser.state());
  o.state = st;
  o.error = parser.error();
  o.status = st == ReplyState::kDone ? parser.status() : 0;
  o.keep_alive = st == ReplyState::kDone && parser.keep_alive();
  o.framing = st == ReplyState::kDone ? parser.framing() : BodyFraming::kNone;
  o.body = st == ReplyState::kDone ? parser.body_bytes() : 0;
  EXPECT_EQ(o.consumed, parser.bytes());
  return o;
}

// Checks `want` for the whole reply, every split, every pair of splits (short replies) and
// byte-by-byte feeding.
void ExpectEverySplit(const std::string& reply, const Outcome& want, bool eof = false,
                      const ReplyLimits& limits = ReplyLimits{}, bool head = false) {
  SCOPED_TRACE(reply);
  ASSERT_EQ(Run(reply, {}, eof, limits, head), want) << "whole";
  for (size_t i = 0; i <= reply.size(); ++i) {
    ASSERT_EQ(Run(reply, {i}, eof, limits, head), want) << "split at " << i;
  }
  if (reply.size() <= 300) {
    for (size_t i = 0; i <= reply.size(); ++i) {
      for (size_t j = i; j <= reply.size(); ++j) {
        ASSERT_EQ(Run(reply, {i, j}, eof, limits, head), want) << "split at " << i << "," << j;
      }
    }
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < reply.size(); ++i) {
    every.push_back(i);
  }
  ASSERT_EQ(Run(reply, every, eof, limits, head), want) << "byte by byte";
}

Outcome Done(uint16_t status, bool ka, BodyFraming framing, uint64_t body, uint64_t consumed) {
  Outcome o;
  o.state = ReplyState::kDone;
  o.status = status;
  o.keep_alive = ka;
  o.framing = framing;
  o.body = body;
  o.consumed = consumed;
  return o;
}

Outcome Error(ReplyError e, uint64_t consumed) {
  Outcome o;
  o.state = ReplyState::kError;
  o.error = e;
  o.consumed = consumed;
  return o;
}

// Errors stop at the offending byte, except in bulk-scanned runs (values, reasons), where the
// whole run up to the split is consumed; so error tests compare everything but `consumed`.
void ExpectErrorEverySplit(const std::string& reply, ReplyError e, bool eof = false,
                           const ReplyLimits& limits = ReplyLimits{}, bool head = false) {
  SCOPED_TRACE(reply);
  auto check = [&](const std::vector<size_t>& cuts) {
    Outcome o = Run(reply, cuts, eof, limits, head);
    EXPECT_EQ(o.state, ReplyState::kError);
    EXPECT_EQ(o.error, e) << ReplyErrorName(o.error);
    return o.state == ReplyState::kError && o.error == e;
  };
  ASSERT_TRUE(check({}));
  for (size_t i = 0; i <= reply.size(); ++i) {
    ASSERT_TRUE(check({i})) << "split at " << i;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < reply.size(); ++i) {
    every.push_back(i);
  }
  ASSERT_TRUE(check(every)) << "byte by byte";
}

const std::string kNginx200 =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Thu, 26 Nov 2026 10:00:00 GMT\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Length: 2\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "ok";

TEST(ReplyParser, KeepAliveWithContentLength) {
  ExpectEverySplit(kNginx200, Done(200, true, BodyFraming::kLength, 2, kNginx200.size()));
}

TEST(ReplyParser, Http11ConnectionClose) {
  const std::string r =
      "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nnop";
  ExpectEverySplit(r, Done(404, false, BodyFraming::kLength, 3, r.size()));
}

TEST(ReplyParser, ConnectionTokensAreCaseInsensitiveLists) {
  const std::string r =
      "HTTP/1.1 200 OK\r\nconnection: Upgrade , CLOSE\r\ncontent-length: 0\r\n\r\n";
  ExpectEverySplit(r, Done(200, false, BodyFraming::kLength, 0, r.size()));
  // "closed" and "keep-alives" are other tokens.
  const std::string r2 = "HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(r2, Done(200, true, BodyFraming::kLength, 0, r2.size()));
  const std::string r3 = "HTTP/1.0 200 OK\r\nConnection: keep-alives\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(r3, Done(200, false, BodyFraming::kLength, 0, r3.size()));
  // Whitespace inside a token breaks it.
  const std::string r4 = "HTTP/1.1 200 OK\r\nConnection: clo se\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(r4, Done(200, true, BodyFraming::kLength, 0, r4.size()));
}

TEST(ReplyParser, Http10) {
  const std::string plain = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  ExpectEverySplit(plain, Done(200, false, BodyFraming::kLength, 5, plain.size()));
  const std::string ka =
      "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\n\r\nhello";
  ExpectEverySplit(ka, Done(200, true, BodyFraming::kLength, 5, ka.size()));
}

TEST(ReplyParser, ReadToClose) {
  const std::string r = "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody until the end";
  // Without EOF the reply never completes.
  ExpectEverySplit(r, Outcome{ReplyState::kNeedMore, ReplyError::kNone, 0, false,
                              BodyFraming::kNone, 0, r.size()});
  ExpectEverySplit(r, Done(200, false, BodyFraming::kToClose, 18, r.size()), /*eof=*/true);
  // HTTP/1.1 with neither length nor chunked, even with keep-alive asked for.
  const std::string r11 = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nxyz";
  ExpectEverySplit(r11, Done(200, false, BodyFraming::kToClose, 3, r11.size()), true);
  // Empty body, EOF right after the headers.
  const std::string empty = "HTTP/1.1 200 OK\r\n\r\n";
  ExpectEverySplit(empty, Done(200, false, BodyFraming::kToClose, 0, empty.size()), true);
}

TEST(ReplyParser, Chunked) {
  const std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5;name=value;x\r\n"
      "hello\r\n"
      "6\r\n"
      " world\r\n"
      "0\r\n"
      "\r\n";
  ExpectEverySplit(r, Done(200, true, BodyFraming::kChunked, 11, r.size()));
}

TEST(ReplyParser, ChunkedWithTrailersHexAndCodingList) {
  const std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Transfer-Encoding: gzip, Chunked\r\n"
      "Trailer: X-Checksum\r\n"
      "\r\n"
      "A \r\n"
      "0123456789\r\n"
      "1b\r\n"
      "abcdefghijklmnopqrstuvwxyz.\r\n"
      "000\r\n"
      "X-Checksum: abc\r\n"
      "X-Other: folded\r\n"
      " continuation\r\n"
      "\r\n";
  ExpectEverySplit(r, Done(200, true, BodyFraming::kChunked, 37, r.size()));
}

TEST(ReplyParser, ChunkedNotLastCodingReadsToClose) {
  const std::string r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw";
  ExpectEverySplit(r, Done(200, false, BodyFraming::kToClose, 3, r.size()), true);
  // Only the whole token counts.
  for (const char* te : {"chunk", "chunkedx", "x-chunked"}) {
    const std::string r2 = std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: ") + te +
                           "\r\nContent-Length: 1\r\n\r\nabc";
    ExpectEverySplit(r2, Done(200, false, BodyFraming::kToClose, 3, r2.size()), true);
  }
}

TEST(ReplyParser, ChunkedWinsOverContentLengthButNeverKeepsAlive) {
  const std::string r =
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n";
  ExpectEverySplit(r, Done(200, false, BodyFraming::kChunked, 2, r.size()));
}

TEST(ReplyParser, InterimRepliesAreSkipped) {
  const std::string r =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone";
  ExpectEverySplit(r, Done(201, true, BodyFraming::kLength, 4, r.size()));
}

TEST(ReplyParser, NoBodyStatuses) {
  const std::string r204 = "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n";
  ExpectEverySplit(r204, Done(204, true, BodyFraming::kNone, 0, r204.size()));
  const std::string r304 =
      "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nETag: \"x\"\r\n\r\n";
  ExpectEverySplit(r304, Done(304, true, BodyFraming::kNone, 0, r304.size()));
  const std::string r101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  ExpectEverySplit(r101, Done(101, false, BodyFraming::kNone, 0, r101.size()));
}

TEST(ReplyParser, HeadReplyHasNoBody) {
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n";
  ExpectEverySplit(r, Done(200, true, BodyFraming::kNone, 0, r.size()), false, ReplyLimits{},
                   /*head=*/true);
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectEverySplit(chunked, Done(200, true, BodyFraming::kNone, 0, chunked.size()), false,
                   ReplyLimits{}, true);
}

TEST(ReplyParser, IsHeadRequest) {
  auto head = [](const std::string& s) {
    return IsHeadRequest(std::span<const uint8_t>(Bytes(s), s.size()));
  };
  EXPECT_TRUE(head("HEAD / HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(head("head /x HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(head("HeAd "));
  EXPECT_FALSE(head("HEAD"));
  EXPECT_FALSE(head("HEADER / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(head("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(head(""));
}

TEST(ReplyParser, LenientLineEndsAndStatusLines) {
  const std::string lf = "HTTP/1.1 200 OK\nContent-Length: 1\n\nx";
  ExpectEverySplit(lf, Done(200, true, BodyFraming::kLength, 1, lf.size()));
  const std::string no_reason = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(no_reason, Done(200, true, BodyFraming::kLength, 0, no_reason.size()));
  const std::string empty_reason = "HTTP/1.1  503 \r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(empty_reason, Done(503, true, BodyFraming::kLength, 0, empty_reason.size()));
  const std::string minor9 = "HTTP/1.9 200 OK\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(minor9, Done(200, true, BodyFraming::kLength, 0, minor9.size()));
  const std::string ows = "HTTP/1.1 200 OK\r\nContent-Length:\t 7 \t\r\n\r\n1234567";
  ExpectEverySplit(ows, Done(200, true, BodyFraming::kLength, 7, ows.size()));
  const std::string same_cl = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx";
  ExpectEverySplit(same_cl, Done(200, true, BodyFraming::kLength, 1, same_cl.size()));
  // Names that only start like the ones that matter are ordinary fields.
  const std::string near =
      "HTTP/1.1 200 OK\r\nContent-Lengthy: 9\r\nConnectionX: close\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(near, Done(200, true, BodyFraming::kLength, 0, near.size()));
}

TEST(ReplyParser, BytesAfterTheReplyAreLeftUnconsumed) {
  const std::string two = kNginx200 + kNginx200;
  ExpectEverySplit(two, Done(200, true, BodyFraming::kLength, 2, kNginx200.size()));
}

TEST(ReplyParser, Eof) {
  ExpectEverySplit("", Error(ReplyError::kNoReply, 0), true);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", ReplyError::kTruncated,
                        true);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                        ReplyError::kTruncated, true);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nContent-", ReplyError::kTruncated, true);
  ExpectErrorEverySplit("H", ReplyError::kTruncated, true);
}

TEST(ReplyParser, BadStatusLines) {
  for (const char* bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "http/1.1 200\r\n\r\n",
        "HTTP/1.1 20x OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n", "HTTP/1.1200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n", "HTTP/1.1 200 OK\rX\r\n\r\n",
        "<html>garbage</html>", "\r\nHTTP/1.1 200 OK\r\n\r\n"}) {
    ExpectErrorEverySplit(bad, ReplyError::kBadStatusLine);
  }
}

TEST(ReplyParser, BadFields) {
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", ReplyError::kBadField);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\n: empty\r\n\r\n", ReplyError::kBadField);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nName x\r\n\r\n", ReplyError::kBadField);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", ReplyError::kBadField);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\n continuation first\r\n\r\n", ReplyError::kBadField);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nA: b\r\n\rX", ReplyError::kBadField);
}

TEST(ReplyParser, BadContentLength) {
  for (const char* v : {"12a", "1 2", "-1", "", "0x10", "99999999999999999999"}) {
    ExpectErrorEverySplit(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + v + "\r\n\r\n",
                          ReplyError::kBadContentLength);
  }
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
                        ReplyError::kBadContentLength);
}

TEST(ReplyParser, BadChunks) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectErrorEverySplit(head + "zz\r\n", ReplyError::kBadChunk);
  ExpectErrorEverySplit(head + ";ext\r\n", ReplyError::kBadChunk);
  ExpectErrorEverySplit(head + "3\r\nabcX\r\n", ReplyError::kBadChunk);
  ExpectErrorEverySplit(head + "3\r\nabc\rX", ReplyError::kBadChunk);
  ExpectErrorEverySplit(head + "3\rX", ReplyError::kBadChunk);
  ExpectErrorEverySplit(head + "fffffffffffffffff\r\n", ReplyError::kBadChunk);
}

TEST(ReplyParser, LineLimit) {
  ReplyLimits limits;
  limits.max_line = 20;
  const std::string ok = "HTTP/1.1 200 abcdefg\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(ok.find('\r'), 20u);
  ExpectEverySplit(ok, Done(200, true, BodyFraming::kLength, 0, ok.size()), false, limits);
  ExpectErrorEverySplit("HTTP/1.1 200 abcdefgh\r\nContent-Length: 0\r\n\r\n",
                        ReplyError::kLineTooLong, false, limits);
  // Chunk-size lines share the line limit.
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string ext20 = "1;" + std::string(18, 'e');
  const std::string ext_ok = head + ext20 + "\r\nx\r\n0\r\n\r\n";
  ExpectEverySplit(ext_ok, Done(200, true, BodyFraming::kChunked, 1, ext_ok.size()), false, limits);
  ExpectErrorEverySplit(head + ext20 + "e\r\nx\r\n0\r\n\r\n", ReplyError::kLineTooLong, false,
                        limits);
  ExpectErrorEverySplit(head + std::string(19, '0') + "01\r\nx\r\n0\r\n\r\n",
                        ReplyError::kLineTooLong, false, limits);
}

TEST(ReplyParser, FieldLimit) {
  ReplyLimits limits;
  const std::string ok = "HTTP/1.1 200 OK\r\nX: 123456\r\nContent-Length: 0\r\n\r\n";
  limits.max_field = 17;  // "Content-Length: 0"
  ExpectEverySplit(ok, Done(200, true, BodyFraming::kLength, 0, ok.size()), false, limits);
  limits.max_field = 16;
  ExpectErrorEverySplit(ok, ReplyError::kFieldTooLong, false, limits);
  // Continuation lines count into the same field: 13 + 6 bytes.
  const std::string folded =
      "HTTP/1.1 200 OK\r\nX: 1234567890\r\n 12345\r\nContent-Length:0\r\n\r\n";
  limits.max_field = 18;
  ExpectErrorEverySplit(folded, ReplyError::kFieldTooLong, false, limits);
  limits.max_field = 19;
  ExpectEverySplit(folded, Done(200, true, BodyFraming::kLength, 0, folded.size()), false, limits);
  // A long name alone is enough.
  limits.max_field = 8;
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nVeryLongName: 1\r\n\r\n", ReplyError::kFieldTooLong,
                        false, limits);
}

TEST(ReplyParser, FieldCountLimit) {
  ReplyLimits limits;
  limits.max_field_num = 3;
  const std::string ok = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(ok, Done(200, true, BodyFraming::kLength, 0, ok.size()), false, limits);
  ExpectErrorEverySplit("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n",
                        ReplyError::kTooManyFields, false, limits);
  // Interim replies do not add to the final reply's count; folded lines are one field.
  const std::string interim =
      "HTTP/1.1 100 Continue\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
      "HTTP/1.1 200 OK\r\nA: 1\r\n 1b\r\nB: 2\r\nContent-Length: 0\r\n\r\n";
  ExpectEverySplit(interim, Done(200, true, BodyFraming::kLength, 0, interim.size()), false,
                   limits);
}

TEST(ReplyParser, EntityLimit) {
  ReplyLimits limits;
  limits.max_entity = 4;
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
  ExpectEverySplit(ok, Done(200, true, BodyFraming::kLength, 4, ok.size()), false, limits);
  // Rejected as soon as the headers end, before any body byte.
  ExpectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde",
                   Error(ReplyError::kEntityTooBig, 38), false, limits);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunked_ok = head + "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
  ExpectEverySplit(chunked_ok, Done(200, true, BodyFraming::kChunked, 4, chunked_ok.size()), false,
                   limits);
  ExpectErrorEverySplit(head + "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", ReplyError::kEntityTooBig, false,
                        limits);
  const std::string close_ok = "HTTP/1.0 200 OK\r\n\r\nabcd";
  ExpectEverySplit(close_ok, Done(200, false, BodyFraming::kToClose, 4, close_ok.size()), true,
                   limits);
  ExpectErrorEverySplit("HTTP/1.0 200 OK\r\n\r\nabcde", ReplyError::kEntityTooBig, true, limits);
  // A HEAD reply's Content-Length is not a body.
  const std::string head_big = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";
  ExpectEverySplit(head_big, Done(200, true, BodyFraming::kNone, 0, head_big.size()), false, limits,
                   true);
}

TEST(ReplyParser, ResetReuses) {
  ReplyLimits limits;
  ReplyParser p;
  for (int round = 0; round < 3; ++round) {
    p.Reset(&limits, false);
    size_t used = 0;
    ASSERT_EQ(p.Feed(Bytes(kNginx200), kNginx200.size(), &used), ReplyState::kDone);
    EXPECT_EQ(used, kNginx200.size());
    EXPECT_EQ(p.status(), 200);
    EXPECT_TRUE(p.keep_alive());
    // Further input is not consumed once done.
    EXPECT_EQ(p.Feed(Bytes(kNginx200), kNginx200.size(), &used), ReplyState::kDone);
    EXPECT_EQ(used, 0u);
  }
}

}  // namespace
}  // namespace incarne::http
