// Request-style ammo (Tank `phantom`, Pandora `raw`): docs/ammo.md "phantom",
// Tank missile.AmmoFileReader.
//
//   <size>[ <tag>[ ignored...]]\n
//   <size bytes sent verbatim>
//   optional blank lines
//
// Header lines lose CR/LF at both ends; blank lines between records are skipped; the tag is
// the second whitespace-separated token. Size 0 ends the input (Tank rewinds there). A
// `[scenario=...]` line where a header is expected is a session marker for the next record
// (reader_util.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr std::string_view kSourceFormatKey = "source_format=";

// Whether `line` reads like a record header: digits, then optionally whitespace and a token.
bool LooksLikeHeader(std::string_view line) {
  line = StripLineEnd(line);
  std::string_view f[3];
  size_t n = SplitFields(line, f, 3);
  uint64_t v;
  return (n == 1 || n == 2) && ParseDecimal(f[0], UINT64_MAX, &v) && !IsPySpace(line[0]);
}

struct PreviousRecord {
  bool valid = false;
  uint64_t line = 0;
  uint64_t size = 0;
  std::string tail;  // last bytes of its request
};

absl::Status BadHeader(const InputStream& in, uint64_t line, uint64_t offset,
                       std::string_view header, const PreviousRecord& prev, bool too_big) {
  std::string what = too_big
                         ? Cat("expected a request size below 4 GiB, found '", Excerpt(header), "'")
                         : Cat("expected a record header '<size> [tag]' with a decimal size, "
                               "found '",
                               Excerpt(header), "'");
  if (prev.valid && !too_big) {
    // A size that is too large swallows the next record's header: look for a line that reads
    // like one among the last bytes of the previous request.
    std::string_view tail = StripLineEnd(prev.tail);
    std::string_view found;
    while (!tail.empty()) {
      size_t nl = tail.rfind('\n');
      if (nl == std::string_view::npos) {
        break;  // the first, partial line of the tail: not known to start a line
      }
      std::string_view candidate = StripLineEnd(tail.substr(nl + 1));
      if (!candidate.empty() && LooksLikeHeader(candidate)) {
        found = candidate;
        break;
      }
      tail = tail.substr(0, nl);
    }
    if (!found.empty()) {
      Append(&what, "; the ", prev.size, "-byte request of the record at line ", prev.line,
             " ends with '", Excerpt(found),
             "', which looks like the next record's header: that size is too large");
    } else {
      Append(&what, "; check the size of the record at line ", prev.line, " (", prev.size,
             " bytes): too small and its request continues here, or too large and it ran "
             "into the next record's header");
    }
  }
  return InputError(in, line, offset, what);
}

}  // namespace

absl::Status ReadPhantom(InputStream& in, const ReaderOptions& options, RecordSink& sink) {
  PreviousRecord prev;
  std::string_view raw;
  SessionMarker marker;
  while (!sink.done()) {
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(bool got, in.ReadLine(&raw));
    if (!got) {
      return CheckNoSessionMarker(in, marker);
    }
    std::string_view header = StripChars(raw, "\r\n");
    if (header.empty()) {
      continue;
    }
    if (header[0] == '[' && IsSessionMarker(header)) {  // for the next record (reader_util.h)
      RETURN_IF_ERROR(ParseSessionMarker(in, line, offset, header, &marker));
      continue;
    }
    std::string_view fields[2];
    size_t n = SplitFields(header, fields, 2);
    uint64_t size = 0;
    if (n == 0 || !ParseDecimal(fields[0], UINT64_MAX, &size)) {
      return BadHeader(in, line, offset, header, prev, false);
    }
    if (size > kMaxRequestBytes) {
      return BadHeader(in, line, offset, header, prev, true);
    }
    if (size == 0) {
      if (n >= 2 && fields[1].substr(0, kSourceFormatKey.size()) == kSourceFormatKey) {
        sink.SourceFormat(fields[1].substr(kSourceFormatKey.size()));
      }
      // Tank: a zero-sized chunk rewinds to the start; what follows is never read.
      return CheckNoSessionMarker(in, marker);
    }
    // Copy the tag: reading the body may move the line buffer.
    std::string tag = n >= 2 ? std::string(fields[1]) : std::string();
    RETURN_IF_ERROR(FlushSessionMarker(&marker, sink));
    RETURN_IF_ERROR(sink.Begin(line, offset));
    prev.tail.clear();
    ASSIGN_OR_RETURN(uint64_t read, in.ReadBytes(size, [&](std::string_view piece) {
      if (piece.size() >= 64) {
        prev.tail.assign(piece.substr(piece.size() - 64));
      } else {
        prev.tail.append(piece);
        if (prev.tail.size() > 128) {
          prev.tail.erase(0, prev.tail.size() - 64);
        }
      }
      return sink.Append(piece);
    }));
    if (read < size) {
      return InputError(in, line, offset,
                        Cat("expected ", size, " request bytes after the header, found only ", read,
                            " before the end of the file (truncated request, or the "
                            "size is too large)"));
    }
    RETURN_IF_ERROR(sink.End(tag, n >= 2, -1));
    prev.valid = true;
    prev.line = line;
    prev.size = size;
  }
  return absl::OkStatus();
}

}  // namespace incarne
