// Access-log ammo (Tank `access`): docs/ammo.md "access", Tank missile.AccessLogReader.
//
// From each line the text between the first '"' and the next '"' (or the end of the line)
// must be exactly `METHOD URI PROTOCOL`; the HTTP version is what follows the first '/' of
// PROTOCOL. GET lines become `GET <uri> HTTP/<version>` with the config headers (used as
// given, sorted, deduplicated); other lines are skipped and reported. No tags.
#include <string>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "util/status.h"

namespace incarne {
namespace {

// Python str.split() whitespace, ASCII part: also the separators \x1c-\x1f.
bool IsStrSpace(char c) { return IsPySpace(c) || (c >= 0x1c && c <= 0x1f); }

size_t SplitStr(std::string_view s, std::string_view* fields, size_t max) {
  size_t n = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsStrSpace(s[i])) {
      ++i;
    }
    if (i == s.size()) {
      break;
    }
    size_t start = i;
    while (i < s.size() && !IsStrSpace(s[i])) {
      ++i;
    }
    if (n < max) {
      fields[n] = s.substr(start, i - start);
    }
    ++n;
  }
  return n;
}

}  // namespace

absl::Status ReadAccess(InputStream& in, const ReaderOptions& options, RecordSink& sink) {
  HeaderSet headers;
  for (const std::string& h : options.headers) {
    headers.Add(h);
  }
  std::string request;
  std::string_view raw;
  while (!sink.done()) {
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(bool got, in.ReadLine(&raw));
    if (!got) {
      break;
    }
    if (StripSpace(raw).empty()) {
      continue;
    }
    if (!IsValidUtf8(raw)) {
      sink.Skipped(line, offset, "not UTF-8");
      continue;
    }
    size_t q = raw.find('"');
    if (q == std::string_view::npos) {
      sink.Skipped(line, offset, "no quoted request");
      continue;
    }
    std::string_view quoted = raw.substr(q + 1);
    quoted = quoted.substr(0, quoted.find('"'));
    std::string_view f[3];
    if (SplitStr(quoted, f, 3) != 3) {
      sink.Skipped(line, offset, "the quoted request is not 'METHOD URI PROTOCOL'");
      continue;
    }
    size_t slash = f[2].find('/');
    if (slash == std::string_view::npos) {
      sink.Skipped(line, offset, "no '/' in the protocol");
      continue;
    }
    std::string_view version = f[2].substr(slash + 1);
    version = version.substr(0, version.find('/'));
    if (f[0] != "GET") {
      sink.Skipped(line, offset, "not a GET request");
      continue;
    }
    request.clear();
    AppendRequestHead(&request, "GET", f[1], version, headers);
    RETURN_IF_ERROR(sink.Record(line, offset, request, {}, false));
  }
  return absl::OkStatus();
}

}  // namespace incarne
