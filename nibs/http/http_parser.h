// Incremental HTTP/1.0 and HTTP/1.1 reply parser for the http nib (data plane).
//
// A ReplyParser is fed the reply bytes in whatever chunks the socket delivers them (one byte at
// a time works as well as one large buffer) and reports, without allocating or copying:
//   - the status code of the final reply (1xx interim replies other than 101 are skipped),
//   - whether the connection may be kept alive (phantom's rule: HTTP/1.1 without
//     `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`; a reply read to EOF or a
//     101 never keeps the connection),
//   - the body framing (none, Content-Length, chunked, read-to-close),
//   - completion, or a protocol error (the caller records net_code 71, EPROTO).
//
// Limits (phantom's reply_limits, plan [target.http]):
//   max_line      bytes of the status line and of a chunk-size line (line end excluded);
//   max_field     bytes of one header or trailer field: name, colon, value and any obs-fold
//                 continuation lines (line ends excluded);
//   max_field_num header fields of one reply (interim replies and trailers count separately);
//   max_entity    body bytes (after de-chunking). A Content-Length above it fails at once.
//
// The parser is a plain value (trivially copyable, no pointers into the data) so it can live
// in caller-allocated per-connection nib state. It keeps a pointer to the limits, which must
// outlive it (they belong to the nib's run-wide config). Thread: the owning worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace incarne::http {

struct ReplyLimits {
  uint32_t max_line = 1024;
  uint32_t max_field_num = 128;
  uint32_t max_field = 8192;
  uint64_t max_entity = 8ull << 20;
};

enum class ReplyState : uint8_t {
  kNeedMore,  // feed more bytes (or FeedEof)
  kDone,      // the final reply is complete; status(), keep_alive() are valid
  kError,     // protocol error or limit exceeded; error() says which → net_code 71
};

enum class ReplyError : uint8_t {
  kNone,
  kBadStatusLine,     // not "HTTP/1.x DDD ..."
  kLineTooLong,       // status line or chunk-size line above max_line
  kTooManyFields,     // above max_field_num
  kFieldTooLong,      // one field above max_field
  kBadField,          // illegal byte in a field name, empty name, bare CR
  kBadContentLength,  // not a decimal number, or two different values
  kBadChunk,          // bad chunk-size line or missing CRLF after chunk data
  kEntityTooBig,      // body above max_entity
  kTruncated,         // EOF in the middle of a reply
  kNoReply,           // EOF before any reply byte
};

enum class BodyFraming : uint8_t { kNone, kLength, kChunked, kToClose };

// True when the request starts with "HEAD " (case-insensitive, as phantom): its reply has no
// body whatever the headers say.
bool IsHeadRequest(std::span<const uint8_t> request);

// The header a client that will close after this request sends (HTTP/1.1 asks it of such a
// client, RFC 9112 §9.6), so that the server closes first and holds the TIME_WAIT.
inline constexpr char kConnectionClose[] = "Connection: close\r\n";

// Where kConnectionClose goes into an HTTP/1.1 request: the offset of the blank line that
// ends its head. -1 when it needs none or must not get one: an HTTP/1.0 request (closing is
// its default), a request that has a Connection header already (the ammo decides), or no
// complete head (not HTTP: sent unchanged). Reads the head once; copies nothing. Used by the
// http nib (spliced in by the engine) and the https nib (encrypted in place).
int64_t CloseHeaderAt(std::span<const uint8_t> request);

// Human-readable name of an error, for logs and tests ("bad status line", ...).
const char* ReplyErrorName(ReplyError error);

class ReplyParser {
 public:
  // Starts a new reply. `limits` must outlive the parser's use. Cheap: a handful of stores.
  void Reset(const ReplyLimits* limits, bool head_request);

  // Consumes bytes of `data` up to the end of the reply. *consumed (may be null) is set to the
  // bytes used; when kDone is returned with *consumed < len, the rest does not belong to this
  // reply (the server sent more than one reply: the caller should not reuse the connection).
  // After kDone or kError further calls consume nothing and return the same state.
  ReplyState Feed(const uint8_t* data, size_t len, size_t* consumed);

  // The peer closed the connection (EOF). Completes a read-to-close body; otherwise an error
  // (kNoReply when no byte at all arrived, kTruncated when part of a reply did).
  ReplyState FeedEof();

  ReplyState state() const;
  ReplyError error() const { return error_; }
  uint16_t status() const { return status_; }  // final (or, mid-parse, current) status; 0 = none
  bool keep_alive() const { return keep_alive_ != 0; }  // valid once kDone
  BodyFraming framing() const { return framing_; }
  uint64_t bytes() const { return total_; }        // reply bytes consumed (size_in)
  uint64_t body_bytes() const { return entity_; }  // de-chunked body bytes of the final reply
  uint8_t http_minor() const { return minor_; }    // 0 or 1 (HTTP/1.x of the last status line)

 private:
  // The whole status line and header block of an ordinary reply in one chunk, parsed line by
  // line; returns the bytes consumed (through the empty line, HeadersEnd() applied) or 0 when
  // anything is unusual (then nothing was changed and the byte machine takes over).
  size_t HeadFast(const uint8_t* p, const uint8_t* end);
  // Per-byte helpers; return false after setting an error.
  bool FieldNameByte(uint8_t c);
  void ValueByte(uint8_t c);
  bool FinishField();
  bool HeadersEnd();
  void EndToken();
  void StartResponse();
  void Fail(ReplyError e);

  const ReplyLimits* limits_;
  uint64_t total_;           // bytes consumed over the whole exchange (interim replies included)
  uint64_t entity_;          // body bytes of the final reply
  uint64_t remaining_;       // bytes left in the Content-Length body or the current chunk
  uint64_t content_length_;  // value of Content-Length (valid with cl_seen_)
  uint64_t number_;          // the number being parsed (Content-Length value, chunk size)
  uint32_t line_len_;        // bytes in the current status line / field / chunk-size line
  uint32_t fields_;          // header fields so far in this reply (or its trailers)
  uint16_t status_;
  uint8_t state_;  // internal State (http_parser.cc)
  uint8_t sub_;    // position inside "HTTP/", digits of the status code
  uint8_t minor_;
  uint8_t field_kind_;  // which header the current field is
  uint8_t name_len_;    // saturating
  uint8_t name_mask_;   // header names still matching
  uint8_t tok_len_;     // saturating length of the current list token
  uint8_t tok_mask_;    // tokens still matching
  uint8_t tok_ws_;      // whitespace seen after the token's first char
  uint8_t num_state_;   // Content-Length value: 0 nothing, 1 digits, 2 digits + trailing ws
  uint8_t head_;
  uint8_t field_pending_;  // a field's line ended; it is applied when the next line starts
  uint8_t in_trailers_;
  uint8_t cl_seen_;
  uint8_t te_seen_;
  uint8_t te_chunked_;  // the last transfer-coding is "chunked"
  uint8_t conn_close_;
  uint8_t conn_keep_alive_;
  uint8_t keep_alive_;
  BodyFraming framing_;
  ReplyError error_;
};

static_assert(std::is_trivially_copyable_v<ReplyParser>);
static_assert(std::is_trivially_default_constructible_v<ReplyParser>);

}  // namespace incarne::http
