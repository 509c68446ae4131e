// URI+POST ammo (Tank `uripost`): docs/ammo.md "uripost", Tank missile.UriPostReader.
//
//   [Name: value]                     header lines, anywhere, persistent (as in uri)
//   <body size> <uri>[ <tag>]\n       then exactly <body size> bytes of body
//
// The request is `POST <uri> HTTP/<v>` with the sorted header set, `Content-Length: <n>`
// joining the set only when n > 0. Blank lines between records are skipped.
#include <string>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "util/status.h"

namespace incarne {

absl::Status ReadUriPost(InputStream& in, const ReaderOptions& options, RecordSink& sink) {
  HeaderDict headers;
  RETURN_IF_ERROR(ConfigHeaderDict(options.headers, &headers));
  std::string head;
  std::string_view raw;
  char cl_buf[40];
  SessionMarker marker;
  while (!sink.done()) {
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(bool got, in.ReadLine(&raw));
    if (!got) {
      return CheckNoSessionMarker(in, marker);
    }
    if (!raw.empty() && raw[0] == '[') {
      if (IsSessionMarker(raw)) {  // a session marker for the next record (reader_util.h)
        RETURN_IF_ERROR(ParseSessionMarker(in, line, offset, raw, &marker));
        continue;
      }
      RETURN_IF_ERROR(ParseBracketHeader(in, line, offset, raw, &headers));
      continue;
    }
    std::string_view header = StripChars(raw, "\r\n");
    if (header.empty()) {
      continue;
    }
    std::string_view fields[3];
    size_t n = SplitFields(header, fields, 3);
    uint64_t size = 0;
    if (n == 0 || !ParseDecimal(fields[0], UINT64_MAX, &size)) {
      return InputError(in, line, offset,
                        Cat("expected a record header '<body size> <uri> [tag]' "
                            "with a decimal size, found '",
                            Excerpt(header), "'"));
    }
    if (n < 2) {
      return InputError(in, line, offset,
                        Cat("expected a URI after the body size in '", Excerpt(header), "'"));
    }
    std::string tag = n >= 3 ? std::string(fields[2]) : std::string();
    head.clear();
    std::string_view content_length =
        size > 0 ? ContentLengthHeader(size, cl_buf) : std::string_view();
    AppendRequestHead(&head, "POST", fields[1], options.http_version, headers.set(),
                      content_length);
    if (size > kMaxRequestBytes - head.size()) {
      return InputError(in, line, offset, Cat("expected a body size below 4 GiB, found ", size));
    }
    RETURN_IF_ERROR(FlushSessionMarker(&marker, sink));
    RETURN_IF_ERROR(sink.Begin(line, offset));
    RETURN_IF_ERROR(sink.Append(head));
    ASSIGN_OR_RETURN(uint64_t read, in.ReadBytes(size, [&](std::string_view piece) {
      return sink.Append(piece);
    }));
    if (read < size) {
      return InputError(in, line, offset,
                        Cat("expected ", size,
                            " body bytes after the header, found "
                            "only ",
                            read,
                            " before the end of the file (truncated "
                            "body, or the size is too large)"));
    }
    RETURN_IF_ERROR(sink.End(tag, n >= 3, -1));
  }
  return absl::OkStatus();
}

}  // namespace incarne
