// URI-style ammo (Tank `uri`): docs/ammo.md "uri", Tank missile.UriReader.
//
//   [Name: value]        a header for every following URI (same exact name: replaced)
//   <uri>[ <tag>]        one GET request
//
// A line starting with '[' is a header line; any other line with a non-blank character is a
// URI line split on whitespace (token 1 the URI, token 2 the tag, the rest ignored). Config
// headers seed the header dict; file headers override the same exact name. A `[scenario=...]`
// line (no ':') is a session marker for the next URI (reader_util.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "util/status.h"

namespace incarne {

absl::Status ReadUri(InputStream& in, const ReaderOptions& options, RecordSink& sink) {
  HeaderDict headers;
  RETURN_IF_ERROR(ConfigHeaderDict(options.headers, &headers));
  std::string request;
  std::string_view raw;
  SessionMarker marker;
  while (!sink.done()) {
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(bool got, in.ReadLine(&raw));
    if (!got) {
      return CheckNoSessionMarker(in, marker);
    }
    if (!raw.empty() && raw[0] == '[') {
      if (IsSessionMarker(raw)) {
        RETURN_IF_ERROR(ParseSessionMarker(in, line, offset, raw, &marker));
        continue;
      }
      RETURN_IF_ERROR(ParseBracketHeader(in, line, offset, raw, &headers));
      continue;
    }
    std::string_view fields[2];
    size_t n = SplitFields(raw, fields, 2);
    if (n == 0) {
      continue;  // blank (Tank crashes on a whitespace-only line; docs/ammo.md)
    }
    request.clear();
    AppendRequestHead(&request, "GET", fields[0], options.http_version, headers.set());
    RETURN_IF_ERROR(FlushSessionMarker(&marker, sink));
    RETURN_IF_ERROR(
        sink.Record(line, offset, request, n >= 2 ? fields[1] : std::string_view(), n >= 2));
  }
  return absl::OkStatus();
}

absl::Status ReadUriList(const std::vector<std::string>& uris, const ReaderOptions& options,
                         RecordSink& sink) {
  // Tank's UriStyleGenerator: headers are used as given (a set of strings, not a dict).
  HeaderSet headers;
  for (const std::string& h : options.headers) {
    headers.Add(h);
  }
  std::string request;
  uint64_t item = 0;
  for (const std::string& uri : uris) {
    ++item;
    if (sink.done()) {
      break;
    }
    if (uri.empty()) {
      continue;  // Tank drops empty items
    }
    if (uri.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          Cat("uris: '", Excerpt(uri), "': expected a URI without line breaks"));
    }
    request.clear();
    AppendRequestHead(&request, "GET", uri, options.http_version, headers);
    RETURN_IF_ERROR(sink.Record(item, 0, request, {}, false));
  }
  return absl::OkStatus();
}

}  // namespace incarne
