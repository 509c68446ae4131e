// The ammo readers: one function per human format (one .cc each), all pushing records into a
// RecordSink. A reader parses and builds the wire bytes exactly as Yandex.Tank does
// (docs/ammo.md lists every rule and every deliberate difference);
// what happens to a record next (tags, autocases, chosen_cases, limit, the binary file) is
// the sink's business.
//
// Errors are InvalidArgument "<file>: line L, offset O: expected ..." where L and O locate
// the offending header or line in the (decompressed) input. Control plane; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ammo/input_stream.h"

namespace incarne {

// Receives records one at a time: Begin(), one or more Append() with the request's wire
// bytes, then End(). A reader never holds a whole record in memory.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // `line` and `offset` locate the record's header (or line) in the input, for messages.
  virtual absl::Status Begin(uint64_t line, uint64_t offset) = 0;
  virtual absl::Status Append(std::string_view bytes) = 0;
  // `tag` is the record's own tag; `tagged` is false when the format gave none (then the
  // sink may derive one: autocases). `planned_ms` is the stpd time, or -1.
  virtual absl::Status End(std::string_view tag, bool tagged, int64_t planned_ms) = 0;
  // True once no more records are wanted (a limit was reached): the reader returns early.
  virtual bool done() const { return false; }
  // A line the reader skipped on purpose (access log lines that are not GET requests).
  virtual void Skipped(uint64_t line, uint64_t offset, std::string_view why) {}
  // The dump trailer of a request-style file named the format it was compiled from.
  virtual void SourceFormat(std::string_view format) {}
  // jsonline: the next record's session fields (docs/scenario.md "Multi-step sessions"),
  // called before its Begin() for every object: scenario "" and step 0 when absent,
  // sleep_ns 0 without "sleep". The compiler stores them in the ammo file's sessions section;
  // the scenario reader (src/ammo/scenario_ammo.h) collects them from a source.
  virtual absl::Status Mark(std::string_view scenario, uint32_t step, int64_t sleep_ns) {
    return absl::OkStatus();
  }

  // A whole record in one call.
  absl::Status Record(uint64_t line, uint64_t offset, std::string_view request,
                      std::string_view tag, bool tagged, int64_t planned_ms = -1);
};

struct ReaderOptions {
  // Config headers, each "Name: value" (brackets already stripped, ':' guaranteed).
  std::vector<std::string> headers;
  std::string http_version = "1.1";  // request line of built requests: HTTP/<version>
};

// Request-style ("phantom", Pandora "raw"): `<size>[ <tag>]\n` + size bytes. Config headers
// are ignored (Tank). A record of size 0 ends the input; `0 source_format=<f>` (written by
// `incarne ammo dump`) also names the format the records were compiled from.
absl::Status ReadPhantom(InputStream& in, const ReaderOptions& options, RecordSink& sink);
// URI-style: `[Name: value]` header lines and `<uri>[ <tag>]` lines → GET requests.
absl::Status ReadUri(InputStream& in, const ReaderOptions& options, RecordSink& sink);
// URI+POST: `[Name: value]` lines and `<body size> <uri>[ <tag>]\n` + body → POST requests.
absl::Status ReadUriPost(InputStream& in, const ReaderOptions& options, RecordSink& sink);
// Access log: the quoted `"GET <uri> HTTP/<v>"` of each line → GET requests; other lines
// are skipped (reported through RecordSink::Skipped).
absl::Status ReadAccess(InputStream& in, const ReaderOptions& options, RecordSink& sink);
// Pandora jsonline: one JSON object per line, or one JSON array of such objects.
absl::Status ReadJsonLine(InputStream& in, const ReaderOptions& options, RecordSink& sink);
// stpd: `<size>[ <ts_ms>[ <tag>]]\n` + size bytes (+ '\n'); keeps the planned times.
// Config headers are ignored.
absl::Status ReadStpd(InputStream& in, const ReaderOptions& options, RecordSink& sink);
// The plan's inline `uris`: each item verbatim as the URI (no tag), config headers as given.
absl::Status ReadUriList(const std::vector<std::string>& uris, const ReaderOptions& options,
                         RecordSink& sink);

// "<file>: line L, offset O: <what>" as InvalidArgument.
absl::Status InputError(const InputStream& in, uint64_t line, uint64_t offset,
                        std::string_view what);

// Up to 64 bytes of `bytes` for a message, with non-printable bytes escaped.
std::string Excerpt(std::string_view bytes);

}  // namespace incarne
