// Small text helpers shared by the control plane: absl::StrCat that also takes
// std::string_view, trimming, and how a user's value is quoted in an error message. Pure
// functions, any thread; Cat/Append/Quote/Shown allocate (never call them per hit).
//
// Debian's abseil 20220623 is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so
// absl::string_view and std::string_view are distinct types and absl::StrCat, SimpleAtoi and
// Status::message() speak only absl::string_view: the bridges are AbslView/StdView
// (util/absl_view.h) and Cat/Append below.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/absl_view.h"

namespace incarne {

namespace strings_internal {
template <typename T>
const T& CatArg(const T& v) {
  return v;
}
inline absl::string_view CatArg(std::string_view s) { return AbslView(s); }
}  // namespace strings_internal

// absl::StrCat / absl::StrAppend that also take std::string_view. Like them, a char or a bool
// is printed as a number and a double as "%g" would.
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(strings_internal::CatArg(args)...);
}
template <typename... Args>
void Append(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::CatArg(args)...);
}

// ASCII case-insensitive equality (absl::EqualsIgnoreCase on std::string_view).
inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AbslView(a), AbslView(b));
}

// `s` without leading/trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view TrimLeft(std::string_view s);
std::string_view Trim(std::string_view s);
// `s` without leading/trailing bytes that are in `chars` (HTTP's OWS is " \t").
std::string_view Trim(std::string_view s, std::string_view chars);

// Well-formed UTF-8: shortest forms, no surrogates, at most U+10FFFF — what a TOML string,
// RE2 and JSON need of every text incarne writes or checks.
bool IsUtf8(std::string_view s);

// `s` in double quotes with ", \ and control bytes escaped as in a TOML basic string (\" \\ \b
// \t \n \f \r, else \uXXXX); bytes ≥ 0x80 are copied as they are.
std::string Quote(std::string_view s);

// For messages: a value as the user wrote it, quoted (Quote), cut to 60 bytes and "...".
std::string Shown(std::string_view s);

}  // namespace incarne
