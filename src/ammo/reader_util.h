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
#include "util/absl_view.h"
#include "util/strings.h"

namespace incarne {

// A `[Name: value]` line of a uri/uripost file into `dict` (Tank's _parse_header). Errors name
// the line: no ':' or an empty name.
absl::Status ParseBracketHeader(const InputStream& in, uint64_t line, uint64_t offset,
                                std::string_view text, HeaderDict* dict);
// Config headers ("Name: value") into `dict`, as Tank's UriReader seeds its header dict.
absl::Status ConfigHeaderDict(const std::vector<std::string>& headers, HeaderDict* dict);
// `line` without trailing '\r' / '\n' bytes.
std::string_view StripLineEnd(std::string_view line);

// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Largest request a record may hold (the index stores a u32 length).
inline constexpr uint64_t kMaxRequestBytes = 0xffffffffull;

}  // namespace incarne
