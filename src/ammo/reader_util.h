// Internal helpers of the readers (not used outside src/ammo/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ammo/http_request.h"
#include "ammo/input_stream.h"
#include "ammo/readers.h"
#include "util/absl_view.h"
#include "util/strings.h"

namespace incarne {

// A `[Name: value]` line of a uri/uripost file into `dict` (Tank's _parse_header). Errors name
// the line: no ':' or an empty name.
absl::Status ParseBracketHeader(const InputStream& in, uint64_t line, uint64_t offset,
                                std::string_view text, HeaderDict* dict);
// Config headers ("Name: value") into `dict`, as Tank's UriReader seeds its header dict.
absl::Status ConfigHeaderDict(const std::vector<std::string>& headers, HeaderDict* dict);
// A session marker of phantom, uri and uripost ammo (docs/ammo.md "Session markers"): a line
// `[scenario=NAME step=N sleep=DURATION]` before the record it marks. Such a line was bad
// input before markers existed (Tank and incarne refuse a `[` line without ':' in uri ammo
// and any non-size line at a phantom record header), so no ammo file that ran has one.
struct SessionMarker {
  bool pending = false;  // read, its record not yet begun
  std::string scenario;
  uint32_t step = 0;
  int64_t sleep_ns = 0;
  uint64_t line = 0;
  uint64_t offset = 0;
};
// Whether the line `text` is a session marker: `[`, then optional blanks and "scenario=".
bool IsSessionMarker(std::string_view text);
// Parses the marker line `text` into *m (pending). Errors name the line: a second marker
// before a record, an unknown or repeated key, a bad step or sleep, a ':' (a header).
absl::Status ParseSessionMarker(const InputStream& in, uint64_t line, uint64_t offset,
                                std::string_view text, SessionMarker* m);
// Before a record's Begin(): hands a pending marker to the sink and clears it.
absl::Status FlushSessionMarker(SessionMarker* m, RecordSink& sink);
// At the end of the records: a pending marker has no record (an error naming its line).
absl::Status CheckNoSessionMarker(const InputStream& in, const SessionMarker& m);

// `line` without trailing '\r' / '\n' bytes.
std::string_view StripLineEnd(std::string_view line);

// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Largest request a record may hold (the index stores a u32 length).
inline constexpr uint64_t kMaxRequestBytes = 0xffffffffull;

}  // namespace incarne
