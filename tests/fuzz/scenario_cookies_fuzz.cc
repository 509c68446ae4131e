// libFuzzer target for the cookie jar (src/scenario/cookies.h): Set-Cookie lines from the
// input stored into a jar, then the Cookie header written for a request.
//   build-x/tests/fuzz/scenario_cookies_fuzz tests/fuzz/corpus/scenario_cookies
// Input: a reply header block (its Set-Cookie lines), a NUL, then a request. Besides "no
// crash, no UB, no overread": the jar never sends a cookie it refused, an insertion never
// writes past its room, and a request without matching cookies is left as it is.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "scenario/cookies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) {
    return 0;
  }
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string_view headers = in.substr(0, nul);
  const std::string_view request = nul == std::string_view::npos
                                       ? std::string_view("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
                                       : in.substr(nul + 1);
  static auto* jar = new incarne::scenario::CookieJar();
  jar->Clear();
  const int r = incarne::scenario::TakeSetCookies(jar, headers, request, 1'800'000'000);
  if (r != 0 && r != -EOVERFLOW) {
    abort();
  }
  incarne::scenario::SetCookie c;
  (void)incarne::scenario::ParseSetCookie(headers, &c);
  int64_t t = 0;
  (void)incarne::scenario::ParseCookieDate(headers, &t);
  const uint32_t cap = static_cast<uint32_t>(request.size()) + incarne::scenario::kCookieHeaderMax;
  std::vector<char> out(cap + 16, '\x5a');
  const int64_t n = incarne::scenario::InsertCookies(*jar, request, 1'800'000'000, out.data(), cap);
  if (n < 0 || n > static_cast<int64_t>(cap)) {
    abort();  // the room was the largest header a jar writes: it always fits
  }
  if (n != 0 && static_cast<size_t>(n) <= request.size()) {
    abort();  // a Cookie header adds bytes
  }
  for (size_t i = cap; i < out.size(); ++i) {
    if (out[i] != '\x5a') {
      abort();  // wrote past its room
    }
  }
  return 0;
}
