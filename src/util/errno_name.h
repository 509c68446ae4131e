// Symbolic names for errno values and incarne's own net codes (71 EPROTO, 110 ETIMEDOUT,
// 314 assertion failed, 777 dropped shot). Thread-safe; returns static strings.
#pragma once

#include <cstdint>
#include <string_view>

namespace incarne {

// Net codes that are not errno values (ecosystem conventions, docs/design.md §8).
inline constexpr uint16_t kNetAssertion = 314;
inline constexpr uint16_t kNetDropped = 777;

// "ETIMEDOUT" for 110, "ok" for 0, "DROPPED" for 777, "ASSERTION" for 314, "E<n>" otherwise.
std::string_view ErrnoName(int code);

// strerror-like text ("Connection timed out"); "Success" for 0. Static strings only.
std::string_view NetCodeText(int code);

}  // namespace incarne
