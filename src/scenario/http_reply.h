// The parts of a captured HTTP/1.x reply a rule reads (docs/scenario.md "What a rule sees"):
// the header block of the final reply (interim 1xx replies skipped) and its body, de-chunked
// in place. The bytes are the first ones the connection received for the hit, cut at the
// worker's scan buffer: a cut header block has the headers up to the cut and an empty body,
// a cut body is the bytes up to the cut. Never allocates; works on any bytes (fuzzed through
// the rules' tests) — a reply the nib accepted is the expected input.
#pragma once

#include <cstdint>
#include <string_view>

namespace incarne::scenario {

struct ReplyView {
  std::string_view headers;  // the header lines after the status line, without the blank line
  std::string_view body;     // the body (de-chunked when Transfer-Encoding: chunked)
};

// Splits `data` (len bytes, modified in place when the body is chunked).
ReplyView SplitReply(char* data, uint32_t len);

// Calls `fn(value)` for each header line of `headers` named `name` (case-insensitive), with
// the value trimmed of surrounding blanks; stops early and returns true when fn returns true.
template <typename Fn>
bool ForEachHeader(std::string_view headers, std::string_view name, Fn&& fn);

// ---- implementation ----

bool HeaderNameIs(std::string_view line, std::string_view name, std::string_view* value);

template <typename Fn>
bool ForEachHeader(std::string_view headers, std::string_view name, Fn&& fn) {
  while (!headers.empty()) {
    const size_t nl = headers.find('\n');
    std::string_view line = headers.substr(0, nl);
    headers = nl == std::string_view::npos ? std::string_view() : headers.substr(nl + 1);
    std::string_view value;
    if (HeaderNameIs(line, name, &value) && fn(value)) {
      return true;
    }
  }
  return false;
}

}  // namespace incarne::scenario
