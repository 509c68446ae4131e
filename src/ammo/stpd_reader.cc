// stpd, Tank's stepped ammo: docs/ammo.md "stpd" (format.Stpd, phantom's source_log.C).
//
//   <size>[ <ts_ms>[ <tag>]]\n
//   <size bytes>\n
//
// Header rules are phantom's (the program that executes stpd), with Tank's Python reader's
// tolerance for blank lines and CRLF: decimal size; then the planned time in integer
// milliseconds (absent: 0, "send at once"); then the tag, which is the rest of the line
// (it may be empty: Tank writes `<size> <ts> \n`; it may not contain a TAB). Size 0 ends the
// input. Blank lines (the '\n' after each request) are skipped. Config headers are ignored.
#include <string>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "util/status.h"

namespace incarne {
namespace {

// Planned times are kept in ns in an i64: ms × 1e6 must fit.
constexpr uint64_t kMaxTimeMs = 9'000'000'000'000ull;

bool IsSep(char c) { return c == ' ' || c == '\t'; }

}  // namespace

absl::Status ReadStpd(InputStream& in, const ReaderOptions& options, RecordSink& sink) {
  std::string_view raw;
  while (!sink.done()) {
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(bool got, in.ReadLine(&raw));
    if (!got) {
      break;
    }
    std::string_view header = StripChars(raw, "\r\n");
    if (header.empty()) {
      continue;
    }
    auto bad = [&](std::string_view expected) {
      return InputError(in, line, offset,
                        Cat("expected ", expected,
                            " in the stpd header '<size> "
                            "<time_ms> <tag>', found '",
                            Excerpt(header), "'"));
    };
    size_t i = 0;
    while (i < header.size() && header[i] >= '0' && header[i] <= '9') {
      ++i;
    }
    uint64_t size = 0;
    if (i == 0 || !ParseDecimal(header.substr(0, i), UINT64_MAX, &size)) {
      return bad("a decimal request size");
    }
    if (size > kMaxRequestBytes) {
      return bad("a request size below 4 GiB");
    }
    if (i < header.size() && !IsSep(header[i])) {
      return bad("a space after the size");
    }
    while (i < header.size() && IsSep(header[i])) {
      ++i;
    }
    size_t t0 = i;
    while (i < header.size() && header[i] >= '0' && header[i] <= '9') {
      ++i;
    }
    uint64_t ts = 0;
    if (i > t0 && !ParseDecimal(header.substr(t0, i - t0), kMaxTimeMs, &ts)) {
      return bad("a planned time in milliseconds below 9e12");
    }
    if (i == t0 && i < header.size()) {
      return bad("a decimal planned time in milliseconds after the size");
    }
    if (i < header.size() && !IsSep(header[i])) {
      return bad("a space after the planned time");
    }
    while (i < header.size() && IsSep(header[i])) {
      ++i;
    }
    std::string_view rest = header.substr(i);
    while (!rest.empty() && rest.back() == ' ') {
      rest.remove_suffix(1);
    }
    std::string tag(rest);
    if (tag.find('\t') != std::string::npos) {
      return bad("a tag without TAB characters");
    }
    if (size == 0) {
      break;  // phantom: a zero size ends the stream
    }
    RETURN_IF_ERROR(sink.Begin(line, offset));
    ASSIGN_OR_RETURN(uint64_t read, in.ReadBytes(size, [&](std::string_view piece) {
      return sink.Append(piece);
    }));
    if (read < size) {
      return InputError(in, line, offset,
                        Cat("expected ", size, " request bytes after the stpd header, found only ",
                            read, " before the end of the file (truncated request)"));
    }
    RETURN_IF_ERROR(sink.End(tag, !tag.empty(), static_cast<int64_t>(ts)));
  }
  return absl::OkStatus();
}

}  // namespace incarne
