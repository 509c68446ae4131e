// libFuzzer target for the http nib's reply parser (nibs/http/http_parser.h).
//   build-x/tests/fuzz/http_reply_fuzz tests/fuzz/corpus/http_reply
// Input: byte 0 picks the flags (HEAD request, EOF at the end, small limits), byte 1 the chunk
// size; the rest is the reply. Besides "no crash, no UB, no overread", it checks that feeding
// the reply in chunks gives exactly the outcome of feeding it whole, and basic invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "nibs/http/http_parser.h"

namespace {

using incarne::http::ReplyLimits;
using incarne::http::ReplyParser;
using incarne::http::ReplyState;

struct Result {
  ReplyState state;
  incarne::http::ReplyError error;
  uint16_t status;
  bool keep_alive;
  uint64_t bytes;
  uint64_t body;
};

Result Parse(const uint8_t* data, size_t size, size_t chunk, bool eof, bool head,
             const ReplyLimits& limits) {
  ReplyParser p;
  p.Reset(&limits, head);
  ReplyState st = ReplyState::kNeedMore;
  size_t off = 0;
  uint64_t used_total = 0;
  while (off < size) {
    const size_t n = (size - off < chunk) ? size - off : chunk;
    size_t used = 0;
    st = p.Feed(data + off, n, &used);
    if (used > n) {
      abort();
    }
    used_total += used;
    if (st != ReplyState::kNeedMore) {
      break;
    }
    if (used != n) {
      abort();  // NeedMore must consume everything it was given
    }
    off += n;
  }
  if (st == ReplyState::kNeedMore && eof) {
    st = p.FeedEof();
  }
  if (used_total != p.bytes() || used_total > size || st != p.state()) {
    abort();
  }
  if (st == ReplyState::kDone && (p.status() < 100 || p.status() > 999)) {
    abort();
  }
  if (st == ReplyState::kDone && p.body_bytes() > limits.max_entity) {
    abort();
  }
  const bool done = st == ReplyState::kDone;
  // Errors may stop at different bytes depending on the split (bulk-scanned runs), so the
  // consumed count is compared only for completed replies.
  return Result{st,
                p.error(),
                done ? p.status() : uint16_t{0},
                done && p.keep_alive(),
                done ? p.bytes() : 0,
                done ? p.body_bytes() : 0};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  const uint8_t flags = data[0];
  const size_t chunk = 1 + data[1] % 64;
  data += 2;
  size -= 2;
  ReplyLimits limits;
  if (flags & 4) {
    limits.max_line = 40;
    limits.max_field_num = 4;
    limits.max_field = 24;
    limits.max_entity = 64;
  }
  const bool head = flags & 1;
  const bool eof = flags & 2;
  const Result whole = Parse(data, size, size == 0 ? 1 : size, eof, head, limits);
  const Result split = Parse(data, size, chunk, eof, head, limits);
  if (whole.state != split.state || whole.error != split.error || whole.status != split.status ||
      whole.keep_alive != split.keep_alive || whole.bytes != split.bytes ||
      whole.body != split.body) {
    abort();
  }
  return 0;
}
