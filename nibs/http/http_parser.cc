// Incremental HTTP/1.x reply parser: see http_parser.h for the contract.
//
// One byte-driven state machine; the only multi-byte fast paths are the ones that matter for
// throughput: body bytes (Content-Length and chunk data are skipped in bulk) and the values of
// header fields nobody looks at (scanned to the line end in a tight loop). The three headers
// that decide framing and keep-alive — Content-Length, Transfer-Encoding, Connection — are
// recognised incrementally by name, so a reply split at any byte parses the same.
#include "http_parser.h"

#include <algorithm>
#include <cstring>

namespace incarne::http {
namespace {

enum State : uint8_t {
  kStatusStart,      // matching "HTTP/"
  kStatusMajor,      // "1"
  kStatusDot,        // "."
  kStatusMinor,      // one digit
  kStatusSpace,      // one SP, then more SP or the code
  kStatusCode,       // three digits
  kStatusAfterCode,  // SP, CR or LF
  kStatusReason,     // anything up to the line end
  kStatusLf,         // LF after CR
  kFieldStart,       // first byte of a header (or trailer) line
  kFieldName,
  kFieldValue,
  kFieldLf,    // LF after CR ending a field line
  kHeadersLf,  // LF after the CR of the empty line
  kBodyLength,
  kChunkSize,
  kChunkExt,  // extension or whitespace after the size, up to the line end
  kChunkSizeLf,
  kChunkData,
  kChunkDataCr,  // CRLF after chunk data
  kChunkDataLf,
  kBodyToClose,
  kDone,
  kError,
};

enum FieldKind : uint8_t { kOther, kContentLength, kTransferEncoding, kConnection };

// Header names recognised, lower case, by bit position in name_mask_ (kind = bit + 1).
constexpr const char* kNames[] = {"content-length", "transfer-encoding", "connection"};
constexpr uint8_t kNameLens[] = {14, 17, 10};
constexpr uint8_t kAllNames = 0b111;

// List tokens recognised per field kind (by bit position in tok_mask_).
constexpr const char* kTeTokens[] = {"chunked"};
constexpr uint8_t kTeTokenLens[] = {7};
constexpr const char* kConnTokens[] = {"close", "keep-alive"};
constexpr uint8_t kConnTokenLens[] = {5, 10};

// Larger chunk sizes or Content-Lengths are rejected before they could overflow anything.
constexpr uint64_t kMaxNumber = 1ull << 60;

inline uint8_t Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// RFC 9110 tchar, as a table (field names are scanned byte by byte).
constexpr bool TokenCharSlow(uint8_t c) {
  if (c <= 32 || c >= 127) {
    return false;
  }
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
    case '{':
    case '}':
      return false;
    default:
      return true;
  }
}
struct TokenTable {
  bool t[256];
  constexpr TokenTable() : t() {
    for (int c = 0; c < 256; ++c) {
      t[c] = TokenCharSlow(static_cast<uint8_t>(c));
    }
  }
};
constexpr TokenTable kTokenTable;
inline bool TokenChar(uint8_t c) { return kTokenTable.t[c]; }

inline bool EqualsLower(const uint8_t* p, const char* lower, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (Lower(p[i]) != static_cast<uint8_t>(lower[i])) {
      return false;
    }
  }
  return true;
}

inline bool Digit(uint8_t c) { return c >= '0' && c <= '9'; }

// "HTTP/1.x DDD" at p (12 bytes, which the caller has), code 100–999: the status and the
// minor version. Both fast paths start with it; anything else goes byte by byte.
inline bool StatusPrefix(const uint8_t* p, uint16_t* status, uint8_t* minor) {
  if (std::memcmp(p, "HTTP/1.", 7) != 0 || !Digit(p[7]) || p[8] != ' ' || !Digit(p[9]) ||
      !Digit(p[10]) || !Digit(p[11]) || p[9] == '0') {
    return false;
  }
  *status = static_cast<uint16_t>((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
  *minor = p[7] == '0' ? 0 : 1;
  return true;
}

// The first CR or LF in [p, end), or end.
inline const uint8_t* LineEnd(const uint8_t* p, const uint8_t* end) {
  while (p < end && *p != '\r' && *p != '\n') {
    ++p;
  }
  return p;
}

inline int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = Lower(c);
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

}  // namespace

bool IsHeadRequest(std::span<const uint8_t> request) {
  static constexpr char kHead[] = "head ";
  if (request.size() < 5) {
    return false;
  }
  for (size_t i = 0; i < 5; ++i) {
    if (Lower(request[i]) != static_cast<uint8_t>(kHead[i])) {
      return false;
    }
  }
  return true;
}

int64_t CloseHeaderAt(std::span<const uint8_t> request) {
  static constexpr char kName[] = "connection:";
  constexpr size_t kNameLen = sizeof(kName) - 1;
  const uint8_t* p = request.data();
  size_t line = 0;
  bool first = true;
  for (size_t i = 0; i < request.size(); ++i) {
    if (p[i] != '\n') {
      continue;
    }
    const size_t end = i > line && p[i - 1] == '\r' ? i - 1 : i;  // line is [line, end)
    if (first) {
      first = false;
      if (end - line >= 8 && std::memcmp(p + end - 8, "HTTP/1.0", 8) == 0) {
        return -1;
      }
    } else if (end == line) {
      return static_cast<int64_t>(line);  // the blank line: the header goes before it
    } else if (end - line >= kNameLen) {
      bool same = true;
      for (size_t k = 0; k < kNameLen && same; ++k) {
        same = (p[line + k] | 0x20) == static_cast<uint8_t>(kName[k]);
      }
      if (same) {
        return -1;
      }
    }
    line = i + 1;
  }
  return -1;
}

const char* ReplyErrorName(ReplyError error) {
  switch (error) {
    case ReplyError::kNone:
      return "none";
    case ReplyError::kBadStatusLine:
      return "bad status line";
    case ReplyError::kLineTooLong:
      return "line too long";
    case ReplyError::kTooManyFields:
      return "too many header fields";
    case ReplyError::kFieldTooLong:
      return "header field too long";
    case ReplyError::kBadField:
      return "bad header field";
    case ReplyError::kBadContentLength:
      return "bad Content-Length";
    case ReplyError::kBadChunk:
      return "bad chunk";
    case ReplyError::kEntityTooBig:
      return "entity too big";
    case ReplyError::kTruncated:
      return "reply truncated by EOF";
    case ReplyError::kNoReply:
      return "EOF before any reply byte";
  }
  return "?";
}

void ReplyParser::Reset(const ReplyLimits* limits, bool head_request) {
  limits_ = limits;
  total_ = 0;
  head_ = head_request ? 1 : 0;
  error_ = ReplyError::kNone;
  StartResponse();
}

// Per-reply state (a 1xx interim reply is followed by a fresh status line).
void ReplyParser::StartResponse() {
  entity_ = 0;
  remaining_ = 0;
  content_length_ = 0;
  number_ = 0;
  line_len_ = 0;
  fields_ = 0;
  status_ = 0;
  state_ = kStatusStart;
  sub_ = 0;
  minor_ = 0;
  field_kind_ = kOther;
  field_pending_ = 0;
  in_trailers_ = 0;
  cl_seen_ = 0;
  te_seen_ = 0;
  te_chunked_ = 0;
  conn_close_ = 0;
  conn_keep_alive_ = 0;
  keep_alive_ = 0;
  framing_ = BodyFraming::kNone;
}

ReplyState ReplyParser::state() const {
  if (state_ == kDone) {
    return ReplyState::kDone;
  }
  if (state_ == kError) {
    return ReplyState::kError;
  }
  return ReplyState::kNeedMore;
}

void ReplyParser::Fail(ReplyError e) {
  error_ = e;
  state_ = kError;
  keep_alive_ = 0;
}

// A new field name starts (the previous field, if any, has been applied).
bool ReplyParser::FieldNameByte(uint8_t c) {
  if (!TokenChar(c)) {
    Fail(ReplyError::kBadField);
    return false;
  }
  c = Lower(c);
  uint8_t mask = name_mask_;
  for (int i = 0; i < 3; ++i) {
    if ((mask & (1u << i)) &&
        (name_len_ >= kNameLens[i] || static_cast<uint8_t>(kNames[i][name_len_]) != c)) {
      mask &= ~(1u << i);
    }
  }
  name_mask_ = mask;
  if (name_len_ < 255) {
    ++name_len_;
  }
  return true;
}

// Finishes the current token of a Transfer-Encoding or Connection list.
void ReplyParser::EndToken() {
  if (tok_len_ == 0) {
    return;  // empty list element: ", ,"
  }
  if (field_kind_ == kTransferEncoding) {
    te_chunked_ = ((tok_mask_ & 1) && tok_len_ == kTeTokenLens[0]) ? 1 : 0;
  } else {
    if ((tok_mask_ & 1) && tok_len_ == kConnTokenLens[0]) {
      conn_close_ = 1;
    }
    if ((tok_mask_ & 2) && tok_len_ == kConnTokenLens[1]) {
      conn_keep_alive_ = 1;
    }
  }
  tok_len_ = 0;
  tok_mask_ = 0xff;
  tok_ws_ = 0;
}

// One byte of the value of a recognised field (not CR or LF).
void ReplyParser::ValueByte(uint8_t c) {
  const bool ws = (c == ' ' || c == '\t');
  if (field_kind_ == kContentLength) {
    if (ws) {
      if (num_state_ == 1) {
        num_state_ = 2;
      }
    } else if (c >= '0' && c <= '9' && num_state_ != 2) {
      number_ = number_ * 10 + (c - '0');
      num_state_ = 1;
      if (number_ > kMaxNumber) {
        Fail(ReplyError::kBadContentLength);
      }
    } else {
      Fail(ReplyError::kBadContentLength);
    }
    return;
  }
  // Transfer-Encoding / Connection: comma-separated tokens.
  if (c == ',') {
    EndToken();
    return;
  }
  if (ws) {
    if (tok_len_ > 0) {
      tok_ws_ = 1;
    }
    return;
  }
  if (tok_ws_) {
    tok_mask_ = 0;  // "chun ked": whitespace inside a token matches nothing
  }
  const uint8_t lc = Lower(c);
  const char* const* names = field_kind_ == kTransferEncoding ? kTeTokens : kConnTokens;
  const uint8_t* lens = field_kind_ == kTransferEncoding ? kTeTokenLens : kConnTokenLens;
  const int count = field_kind_ == kTransferEncoding ? 1 : 2;
  for (int i = 0; i < count; ++i) {
    if ((tok_mask_ & (1u << i)) &&
        (tok_len_ >= lens[i] || static_cast<uint8_t>(names[i][tok_len_]) != lc)) {
      tok_mask_ &= ~(1u << i);
    }
  }
  if (tok_len_ < 255) {
    ++tok_len_;
  }
}

// Applies a completed field (its line, and any continuation lines, have ended).
bool ReplyParser::FinishField() {
  field_pending_ = 0;
  switch (field_kind_) {
    case kContentLength:
      if (num_state_ == 0) {
        Fail(ReplyError::kBadContentLength);
        return false;
      }
      if (cl_seen_ && content_length_ != number_) {
        Fail(ReplyError::kBadContentLength);
        return false;
      }
      cl_seen_ = 1;
      content_length_ = number_;
      break;
    case kTransferEncoding:
      EndToken();
      te_seen_ = 1;
      break;
    case kConnection:
      EndToken();
      break;
    default:
      break;
  }
  return true;
}

// The empty line after the header fields (or the trailers) has been consumed.
bool ReplyParser::HeadersEnd() {
  if (in_trailers_) {
    state_ = kDone;
    return true;
  }
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    StartResponse();  // interim reply: the final one follows
    return true;
  }
  keep_alive_ = minor_ >= 1 ? !conn_close_ : conn_keep_alive_;
  if (head_ || status_ == 204 || status_ == 304 || status_ < 200) {
    if (status_ == 101) {
      keep_alive_ = 0;  // the connection now speaks another protocol
    }
    framing_ = BodyFraming::kNone;
    state_ = kDone;
    return true;
  }
  if (te_seen_) {
    if (cl_seen_) {
      keep_alive_ = 0;  // both framings: trust chunked, but never reuse (RFC 9112 §6.3)
    }
    if (te_chunked_) {
      framing_ = BodyFraming::kChunked;
      number_ = 0;
      sub_ = 0;
      line_len_ = 0;
      state_ = kChunkSize;
      return true;
    }
    framing_ = BodyFraming::kToClose;
    keep_alive_ = 0;
    state_ = kBodyToClose;
    return true;
  }
  if (cl_seen_) {
    framing_ = BodyFraming::kLength;
    if (content_length_ > limits_->max_entity) {
      Fail(ReplyError::kEntityTooBig);
      return false;
    }
    if (content_length_ == 0) {
      state_ = kDone;
      return true;
    }
    remaining_ = content_length_;
    state_ = kBodyLength;
    return true;
  }
  framing_ = BodyFraming::kToClose;
  keep_alive_ = 0;
  state_ = kBodyToClose;
  return true;
}

namespace {

inline bool Ows(uint8_t c) { return c == ' ' || c == '\t'; }

// [b, e) without optional white space on both ends.
inline void TrimOws(const uint8_t** b, const uint8_t** e) {
  while (*b < *e && Ows(**b)) {
    ++*b;
  }
  while (*e > *b && Ows((*e)[-1])) {
    --*e;
  }
}

}  // namespace

// The common case in one pass: every line ends in CRLF, no obs-fold, names are tokens, the
// three framing headers have plain values ("2", "chunked", "keep-alive"/"close"), everything is
// within the limits and the reply is final (not 1xx). Whatever else — a split block, an
// interim reply, a list value, an error to report — returns 0 before touching any member, so
// the byte machine sees exactly the bytes it would have seen and reaches the same outcome.
size_t ReplyParser::HeadFast(const uint8_t* p, const uint8_t* end) {
  const uint8_t* const start = p;
  const size_t avail = static_cast<size_t>(end - p);
  uint16_t status = 0;
  uint8_t minor = 0;
  if (avail < 14 || !StatusPrefix(p, &status, &minor) || status < 200) {
    return 0;  // too short, unusual, or an interim reply
  }
  // Status line: "HTTP/1.x DDD" [SP reason] CRLF; the reason holds no CR or LF.
  const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p + 12, '\n', avail - 12));
  if (nl == nullptr || nl[-1] != '\r' || static_cast<size_t>(nl - 1 - p) > limits_->max_line ||
      (nl - 1 > p + 12 && p[12] != ' ') ||
      std::memchr(p + 12, '\r', static_cast<size_t>(nl - 1 - (p + 12))) != nullptr) {
    return 0;
  }
  p = nl + 1;
  uint32_t fields = 0;
  bool cl_seen = false;
  uint64_t content_length = 0;
  bool te_seen = false;
  bool te_chunked = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  for (;;) {
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
      p += 2;
      break;  // the empty line
    }
    if (p >= end || !TokenChar(*p)) {
      return 0;  // split block, obs-fold, bare line end, bad name: the byte machine decides
    }
    nl = static_cast<const uint8_t*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr || nl[-1] != '\r') {
      return 0;
    }
    const uint8_t* const line_end = nl - 1;
    if (static_cast<size_t>(line_end - p) > limits_->max_field ||
        ++fields > limits_->max_field_num) {
      return 0;
    }
    const uint8_t* colon = p;
    while (colon < line_end && TokenChar(*colon)) {
      ++colon;
    }
    if (colon == line_end || *colon != ':') {
      return 0;
    }
    const uint8_t* vb = colon + 1;
    const uint8_t* ve = line_end;
    if (std::memchr(vb, '\r', static_cast<size_t>(ve - vb)) != nullptr) {
      return 0;  // bare CR inside the value
    }
    const size_t name_len = static_cast<size_t>(colon - p);
    if (name_len == 14 && EqualsLower(p, kNames[0], 14)) {
      TrimOws(&vb, &ve);
      if (vb == ve || ve - vb > 18) {
        return 0;
      }
      uint64_t v = 0;
      for (const uint8_t* q = vb; q < ve; ++q) {
        if (!Digit(*q)) {
          return 0;
        }
        v = v * 10 + (*q - '0');
      }
      if (v > kMaxNumber || (cl_seen && v != content_length)) {
        return 0;
      }
      cl_seen = true;
      content_length = v;
    } else if (name_len == 17 && EqualsLower(p, kNames[1], 17)) {
      TrimOws(&vb, &ve);
      if (ve - vb != kTeTokenLens[0] || !EqualsLower(vb, kTeTokens[0], kTeTokenLens[0])) {
        return 0;
      }
      te_seen = true;
      te_chunked = true;
    } else if (name_len == 10 && EqualsLower(p, kNames[2], 10)) {
      TrimOws(&vb, &ve);
      if (ve - vb == kConnTokenLens[1] && EqualsLower(vb, kConnTokens[1], kConnTokenLens[1])) {
        conn_keep_alive = true;
      } else if (ve - vb == kConnTokenLens[0] &&
                 EqualsLower(vb, kConnTokens[0], kConnTokenLens[0])) {
        conn_close = true;
      } else {
        return 0;
      }
    }
    p = nl + 1;
  }
  // Commit: the same state the byte machine has after the empty line.
  status_ = status;
  minor_ = minor;
  fields_ = fields;
  cl_seen_ = cl_seen ? 1 : 0;
  content_length_ = content_length;
  te_seen_ = te_seen ? 1 : 0;
  te_chunked_ = te_chunked ? 1 : 0;
  conn_close_ = conn_close ? 1 : 0;
  conn_keep_alive_ = conn_keep_alive ? 1 : 0;
  field_pending_ = 0;
  field_kind_ = kOther;
  HeadersEnd();
  return static_cast<size_t>(p - start);
}

ReplyState ReplyParser::Feed(const uint8_t* data, size_t len, size_t* consumed) {
  const uint8_t* p = data;
  const uint8_t* const end = data + len;
  while (p < end) {
    switch (state_) {
      case kDone:
      case kError:
        goto out;

      // ---- bulk paths ----
      case kBodyLength: {
        const uint64_t n = std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p));
        p += n;
        remaining_ -= n;
        entity_ += n;
        if (remaining_ == 0) {
          state_ = kDone;
        }
        continue;
      }
      case kChunkData: {
        const uint64_t n = std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p));
        p += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = kChunkDataCr;
        }
        continue;
      }
      case kBodyToClose: {
        const uint64_t n = static_cast<uint64_t>(end - p);
        p = end;
        entity_ += n;
        if (entity_ > limits_->max_entity) {
          Fail(ReplyError::kEntityTooBig);
        }
        continue;
      }
      case kStatusStart: {
        // Fastest path: the whole head of an ordinary reply is in this chunk.
        if (sub_ == 0) {
          if (const size_t n = HeadFast(p, end); n != 0) {
            p += n;
            continue;
          }
        }
        // Fast path: "HTTP/1.x DDD" whole in this chunk (anything unusual goes byte by byte).
        if (sub_ == 0 && end - p >= 12 && StatusPrefix(p, &status_, &minor_)) {
          line_len_ = 12;
          sub_ = 3;
          state_ = kStatusAfterCode;
          p += 12;
          continue;
        }
        break;
      }
      case kStatusReason: {
        const uint8_t* q = LineEnd(p, end);
        line_len_ += static_cast<uint32_t>(q - p);
        p = q;
        if (line_len_ > limits_->max_line) {
          Fail(ReplyError::kLineTooLong);
          continue;
        }
        if (p == end) {
          continue;
        }
        state_ = (*p++ == '\r') ? kStatusLf : kFieldStart;
        continue;
      }
      case kFieldValue: {
        // Scan no further than the field limit allows, so that the limit is hit at the same
        // byte however the reply is split (a byte is checked against the limit first).
        const uint32_t room = limits_->max_field - line_len_;  // line_len_ <= max_field here
        const uint8_t* const lim = (static_cast<size_t>(end - p) > room) ? p + room : end;
        const uint8_t* q = p;
        if (field_kind_ == kOther) {
          q = LineEnd(p, lim);
        } else {
          while (q < lim && *q != '\r' && *q != '\n' && state_ == kFieldValue) {
            ValueByte(*q++);
          }
        }
        line_len_ += static_cast<uint32_t>(q - p);
        p = q;
        if (state_ == kError || p == end) {
          continue;
        }
        if (*p != '\r' && *p != '\n') {
          Fail(ReplyError::kFieldTooLong);  // q == lim < end: the next byte would not fit
          continue;
        }
        field_pending_ = 1;
        state_ = (*p++ == '\r') ? kFieldLf : kFieldStart;
        continue;
      }
      case kFieldName: {
        if (name_mask_ != 0) {
          break;  // still matching a name that matters: byte by byte below
        }
        // A name nobody looks at: skip its token bytes in bulk, within the field limit; the
        // byte that ends the run (':' or an illegal one) goes through the per-byte path.
        const uint32_t room = limits_->max_field - line_len_;
        const uint8_t* const lim = (static_cast<size_t>(end - p) > room) ? p + room : end;
        const uint8_t* q = p;
        while (q < lim && TokenChar(*q)) {
          ++q;
        }
        line_len_ += static_cast<uint32_t>(q - p);
        name_len_ = static_cast<uint8_t>(std::min<size_t>(255, name_len_ + (q - p)));
        p = q;
        if (p == end) {
          continue;
        }
        break;
      }
      case kChunkExt: {
        const uint8_t* q = LineEnd(p, end);
        line_len_ += static_cast<uint32_t>(q - p);
        p = q;
        if (line_len_ > limits_->max_line) {
          Fail(ReplyError::kLineTooLong);
          continue;
        }
        if (p == end) {
          continue;
        }
        state_ = kChunkSizeLf;
        if (*p++ == '\n') {
          goto chunk_line_done;
        }
        continue;
      }
      default:
        break;
    }

    // ---- byte-at-a-time states ----
    {
      const uint8_t c = *p++;
      switch (state_) {
        case kStatusStart:
          if (c != static_cast<uint8_t>("HTTP/"[sub_])) {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          ++line_len_;
          if (++sub_ == 5) {
            state_ = kStatusMajor;
          }
          break;
        case kStatusMajor:
          ++line_len_;
          if (c != '1') {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          state_ = kStatusDot;
          break;
        case kStatusDot:
          ++line_len_;
          if (c != '.') {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          state_ = kStatusMinor;
          break;
        case kStatusMinor:
          ++line_len_;
          if (c < '0' || c > '9') {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          minor_ = c == '0' ? 0 : 1;
          state_ = kStatusSpace;
          break;
        case kStatusSpace:
          ++line_len_;
          if (c == ' ') {
            sub_ = 0;
            status_ = 0;
            break;  // stay: more SP allowed before the code
          }
          if (c < '0' || c > '9' || sub_ == 5) {
            // sub_ is still 5 (from "HTTP/") when no SP came after the version.
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          status_ = static_cast<uint16_t>(c - '0');
          sub_ = 1;
          state_ = kStatusCode;
          break;
        case kStatusCode:
          ++line_len_;
          if (c < '0' || c > '9') {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          status_ = static_cast<uint16_t>(status_ * 10 + (c - '0'));
          if (++sub_ == 3) {
            if (status_ < 100) {
              Fail(ReplyError::kBadStatusLine);
              break;
            }
            state_ = kStatusAfterCode;
          }
          break;
        case kStatusAfterCode:
          if (c == ' ') {
            ++line_len_;
            state_ = kStatusReason;
          } else if (c == '\r') {
            state_ = kStatusLf;
          } else if (c == '\n') {
            state_ = kFieldStart;
          } else {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          if (line_len_ > limits_->max_line) {
            Fail(ReplyError::kLineTooLong);
          }
          break;
        case kStatusLf:
          if (c != '\n') {
            Fail(ReplyError::kBadStatusLine);
            break;
          }
          state_ = kFieldStart;
          break;
        case kFieldStart:
          if ((c == ' ' || c == '\t') && field_pending_) {
            // obs-fold: the previous field continues on this line.
            field_pending_ = 0;
            if (++line_len_ > limits_->max_field) {
              Fail(ReplyError::kFieldTooLong);
              break;
            }
            state_ = kFieldValue;
            if (field_kind_ != kOther) {
              ValueByte(c);  // may fail
            }
            break;
          }
          if (field_pending_ && !FinishField()) {
            break;
          }
          if (c == '\r') {
            state_ = kHeadersLf;
            break;
          }
          if (c == '\n') {
            HeadersEnd();
            break;
          }
          if (++fields_ > limits_->max_field_num) {
            Fail(ReplyError::kTooManyFields);
            break;
          }
          {
            // Fast path: the whole name and its colon are in this chunk and within the limit.
            const uint8_t* const n0 = p - 1;
            const uint8_t* q = p;
            while (q < end && TokenChar(*q)) {
              ++q;
            }
            const size_t n = static_cast<size_t>(q - n0);
            if (TokenChar(c) && q < end && *q == ':' && n < limits_->max_field) {
              field_kind_ = kOther;
              if (!in_trailers_) {
                if (n == 14 && EqualsLower(n0, kNames[0], 14)) {
                  field_kind_ = kContentLength;
                } else if (n == 17 && EqualsLower(n0, kNames[1], 17)) {
                  field_kind_ = kTransferEncoding;
                } else if (n == 10 && EqualsLower(n0, kNames[2], 10)) {
                  field_kind_ = kConnection;
                }
              }
              line_len_ = static_cast<uint32_t>(n + 1);
              number_ = 0;
              num_state_ = 0;
              tok_len_ = 0;
              tok_mask_ = 0xff;
              tok_ws_ = 0;
              state_ = kFieldValue;
              p = q + 1;
              break;
            }
          }
          line_len_ = 1;
          if (line_len_ > limits_->max_field) {
            Fail(ReplyError::kFieldTooLong);
            break;
          }
          name_len_ = 0;
          name_mask_ = in_trailers_ ? 0 : kAllNames;
          if (!FieldNameByte(c)) {
            break;
          }
          state_ = kFieldName;
          break;
        case kFieldName:
          if (++line_len_ > limits_->max_field) {
            Fail(ReplyError::kFieldTooLong);
            break;
          }
          if (c == ':') {
            field_kind_ = kOther;
            for (int i = 0; i < 3; ++i) {
              if ((name_mask_ & (1u << i)) && name_len_ == kNameLens[i]) {
                field_kind_ = static_cast<uint8_t>(i + 1);
              }
            }
            number_ = 0;
            num_state_ = 0;
            tok_len_ = 0;
            tok_mask_ = 0xff;
            tok_ws_ = 0;
            state_ = kFieldValue;
          } else {
            FieldNameByte(c);  // may fail
          }
          break;
        case kFieldLf:
          if (c != '\n') {
            Fail(ReplyError::kBadField);
            break;
          }
          state_ = kFieldStart;
          break;
        case kHeadersLf:
          if (c != '\n') {
            Fail(ReplyError::kBadField);
            break;
          }
          HeadersEnd();
          break;
        case kChunkSize: {
          const int v = HexValue(c);
          if (v >= 0) {
            ++line_len_;
            number_ = number_ * 16 + static_cast<uint64_t>(v);
            sub_ = 1;
            if (number_ > kMaxNumber) {
              Fail(ReplyError::kBadChunk);
            } else if (line_len_ > limits_->max_line) {
              Fail(ReplyError::kLineTooLong);
            }
            break;
          }
          if (sub_ == 0) {
            Fail(ReplyError::kBadChunk);  // no hex digit before the end of the size
            break;
          }
          if (c == ';' || c == ' ' || c == '\t') {
            ++line_len_;
            state_ = kChunkExt;
            break;
          }
          if (c == '\r') {
            state_ = kChunkSizeLf;
            break;
          }
          if (c == '\n') {
            goto chunk_line_done;
          }
          Fail(ReplyError::kBadChunk);
          break;
        }
        case kChunkSizeLf:
          if (c != '\n') {
            Fail(ReplyError::kBadChunk);
            break;
          }
          goto chunk_line_done;
        case kChunkDataCr:
          if (c == '\r') {
            state_ = kChunkDataLf;
          } else if (c == '\n') {
            number_ = 0;
            sub_ = 0;
            line_len_ = 0;
            state_ = kChunkSize;
          } else {
            Fail(ReplyError::kBadChunk);
          }
          break;
        case kChunkDataLf:
          if (c != '\n') {
            Fail(ReplyError::kBadChunk);
            break;
          }
          number_ = 0;
          sub_ = 0;
          line_len_ = 0;
          state_ = kChunkSize;
          break;
        default:
          break;
      }
      continue;
    }

  chunk_line_done:
    // The chunk-size line has ended; number_ is the chunk size.
    if (number_ == 0) {
      in_trailers_ = 1;
      fields_ = 0;
      field_pending_ = 0;
      field_kind_ = kOther;
      state_ = kFieldStart;
      continue;
    }
    entity_ += number_;
    if (entity_ > limits_->max_entity) {
      Fail(ReplyError::kEntityTooBig);
      continue;
    }
    remaining_ = number_;
    state_ = kChunkData;
  }
out:
  total_ += static_cast<uint64_t>(p - data);
  if (consumed != nullptr) {
    *consumed = static_cast<size_t>(p - data);
  }
  return state();
}

ReplyState ReplyParser::FeedEof() {
  switch (state_) {
    case kDone:
    case kError:
      break;
    case kBodyToClose:
      state_ = kDone;
      break;
    default:
      Fail(total_ == 0 ? ReplyError::kNoReply : ReplyError::kTruncated);
      break;
  }
  return state();
}

}  // namespace incarne::http
