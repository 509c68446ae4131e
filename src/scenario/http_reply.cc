#include "scenario/http_reply.h"

#include <cstring>

#include "util/strings.h"

namespace incarne::scenario {
namespace {

bool IContains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) {
    return false;
  }
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (EqualsNoCase(hay.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

// HTTP's optional whitespace around a header's name and value, and a line's CR.
std::string_view Trim(std::string_view s) { return incarne::Trim(s, " \t\r"); }

// The end of the head starting at `p` (the offset just after its blank line) and where the
// blank line starts, or npos when the head is not complete within [p, len).
size_t HeadEnd(std::string_view all, size_t from, size_t* blank) {
  for (size_t i = all.find('\n', from); i != std::string_view::npos; i = all.find('\n', i + 1)) {
    // A blank line: "\n\n" or "\n\r\n".
    if (i + 1 < all.size() && all[i + 1] == '\n') {
      *blank = i + 1;
      return i + 2;
    }
    if (i + 2 < all.size() && all[i + 1] == '\r' && all[i + 2] == '\n') {
      *blank = i + 1;
      return i + 3;
    }
  }
  return std::string_view::npos;
}

int StatusOf(std::string_view all, size_t from) {
  // "HTTP/1.1 200 ..."
  const size_t sp = all.find(' ', from);
  if (sp == std::string_view::npos || sp + 4 > all.size()) {
    return 0;
  }
  int code = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (all[i] < '0' || all[i] > '9') {
      return 0;
    }
    code = code * 10 + (all[i] - '0');
  }
  return code;
}

// De-chunks body[0, len) in place; returns the payload bytes kept. Stops at the last chunk,
// at the cut or at anything that is not a chunk (what was decoded so far stays).
uint32_t Dechunk(char* body, uint32_t len) {
  uint32_t in = 0;
  uint32_t out = 0;
  while (in < len) {
    uint64_t size = 0;
    uint32_t digits = 0;
    while (in < len) {
      const char c = body[in];
      const int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (v < 0) {
        break;
      }
      size = size * 16 + static_cast<uint64_t>(v);
      ++in;
      if (++digits > 8) {
        return out;  // not a chunk size we would ever see
      }
    }
    if (digits == 0) {
      return out;
    }
    const char* nl = static_cast<const char*>(memchr(body + in, '\n', len - in));
    if (nl == nullptr || size == 0) {
      return out;
    }
    in = static_cast<uint32_t>(nl - body) + 1;
    const uint32_t take = static_cast<uint32_t>(size < len - in ? size : len - in);
    memmove(body + out, body + in, take);
    out += take;
    in += take;
    if (take < size) {
      return out;  // cut
    }
    // The chunk's CRLF.
    if (in < len && body[in] == '\r') {
      ++in;
    }
    if (in < len && body[in] == '\n') {
      ++in;
    }
  }
  return out;
}

}  // namespace

bool HeaderNameIs(std::string_view line, std::string_view name, std::string_view* value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !EqualsNoCase(Trim(line.substr(0, colon)), name)) {
    return false;
  }
  *value = Trim(line.substr(colon + 1));
  return true;
}

ReplyView SplitReply(char* data, uint32_t len) {
  const std::string_view all(data, len);
  size_t start = 0;
  size_t blank = 0;
  size_t end = HeadEnd(all, start, &blank);
  // Interim replies (100 Continue, 103 Early Hints) come before the final one; 101 is final.
  while (end != std::string_view::npos) {
    const int code = StatusOf(all, start);
    if (code < 100 || code >= 200 || code == 101) {
      break;
    }
    start = end;
    end = HeadEnd(all, start, &blank);
  }
  ReplyView v;
  const size_t line_end = all.find('\n', start);
  if (line_end == std::string_view::npos) {
    return v;
  }
  if (end == std::string_view::npos) {
    v.headers = all.substr(line_end + 1);  // cut inside the head
    return v;
  }
  v.headers =
      line_end + 1 < blank ? all.substr(line_end + 1, blank - line_end - 1) : std::string_view();
  char* body = data + end;
  uint32_t body_len = len - static_cast<uint32_t>(end);
  const bool chunked = ForEachHeader(v.headers, "transfer-encoding",
                                     [](std::string_view te) { return IContains(te, "chunked"); });
  if (chunked) {
    body_len = Dechunk(body, body_len);
  }
  v.body = std::string_view(body, body_len);
  return v;
}

}  // namespace incarne::scenario
