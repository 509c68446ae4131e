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

namespace incarne {

// absl::StrCat / StrAppend that also take std::string_view (Debian's abseil has a distinct
// absl::string_view; util/absl_view.h).
namespace internal {
template <typename T>
const T& CatArg(const T& v) {
  return v;
}
inline absl::string_view CatArg(std::string_view s) { return AbslView(s); }
}  // namespace internal

template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(internal::CatArg(args)...);
}
template <typename... Args>
void CatAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, internal::CatArg(args)...);
}

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

// ASCII case-insensitive equality.
inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

// Largest request a record may hold (the index stores a u32 length).
inline constexpr uint64_t kMaxRequestBytes = 0xffffffffull;

}  // namespace incarne
