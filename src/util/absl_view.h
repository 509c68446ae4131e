// Bridges between std::string_view and absl::string_view. Debian's abseil 20220623 is built
// with ABSL_OPTION_USE_STD_STRING_VIEW 0, so the two are distinct types and absl::StrCat,
// SimpleAtoi, Status::message() speak only absl::string_view.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace incarne {

inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view StdView(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace incarne
