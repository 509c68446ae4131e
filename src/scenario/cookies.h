// The per-instance cookie jar of `[scenario] cookies = true` (docs/scenario.md "Cookies"):
// what a reply's Set-Cookie lines store (name, value, Path, Domain, Max-Age / Expires, RFC
// 6265 §5.2–5.3) and the Cookie header a request then carries (§5.4: domain-match and
// path-match, unexpired). A jar is a fixed array preallocated by the worker: storing and
// writing never allocate, never throw; a cookie over the jar's limits is refused (-EOVERFLOW),
// never cut. Data plane (the worker's thread); the parser is fuzzed (tests/fuzz).
#pragma once

#include <cstdint>
#include <string_view>

namespace incarne::scenario {

inline constexpr uint32_t kJarCookies = 16;
inline constexpr uint32_t kCookieNameMax = 64;
inline constexpr uint32_t kCookieValueMax = 1024;
inline constexpr uint32_t kCookieAttrMax = 128;  // Path, Domain
// The largest Cookie header a jar writes: "Cookie: " + every cookie "; n=v" + CRLF.
inline constexpr uint32_t kCookieHeaderMax =
    8 + kJarCookies * (kCookieNameMax + kCookieValueMax + 3) + 2;

struct Cookie {
  int64_t expires_s = 0;  // Unix seconds; INT64_MAX: a session cookie (no Max-Age/Expires)
  uint16_t name_len = 0;
  uint16_t value_len = 0;
  uint8_t path_len = 0;
  uint8_t domain_len = 0;
  bool used = false;
  bool host_only = true;  // no Domain attribute: sent to this exact host only
  char name[kCookieNameMax];
  char value[kCookieValueMax];
  char path[kCookieAttrMax];
  char domain[kCookieAttrMax];  // lower case, no leading dot
};

struct CookieJar {
  Cookie cookies[kJarCookies];
  void Clear() {
    for (Cookie& c : cookies) {
      c.used = false;
    }
  }
};

// One Set-Cookie header value, split (views into it). `max_age`/`expires_s` are meaningful
// when their has_ flag is set (Max-Age wins over Expires, §5.3 step 3).
struct SetCookie {
  std::string_view name;
  std::string_view value;
  std::string_view path;    // empty: none (the default path applies)
  std::string_view domain;  // leading dot removed; empty: none
  bool has_max_age = false;
  int64_t max_age = 0;
  bool has_expires = false;
  int64_t expires_s = 0;
};

// Parses a Set-Cookie value (§5.2): false when the line stores nothing (no '=' in the
// name-value pair, or an empty name) — such a line is ignored, as browsers do. Unknown
// attributes and ones whose values do not parse are ignored (§5.2).
bool ParseSetCookie(std::string_view header, SetCookie* out);

// An HTTP date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", also with '-' between day,
// month and year, and a two-digit year as §5.1.1 allows) → Unix seconds.
bool ParseCookieDate(std::string_view text, int64_t* unix_s);

// The host (without port, as written) and the path (without query) of an HTTP/1.x request:
// the Host header and the request line's target (an absolute-form target gives both).
bool RequestHostPath(std::string_view request, std::string_view* host, std::string_view* path);

// Stores `c` as received in reply to a request to `host` `path` at `now_s`: replaces the
// cookie of the same name, domain and path, deletes it when already expired, refuses a
// Domain the host does not domain-match (ignored, §5.3 step 6). -EOVERFLOW (nothing stored)
// when a part is over its limit or the jar is full of unexpired cookies; else 0.
int StoreCookie(CookieJar* jar, const SetCookie& c, std::string_view host, std::string_view path,
                int64_t now_s);

// Every Set-Cookie header line of `headers` (a reply's header block) into the jar: 0, or
// -EOVERFLOW when one did not fit (the others are stored).
int TakeSetCookies(CookieJar* jar, std::string_view headers, std::string_view request,
                   int64_t now_s);

// `request` with "Cookie: n=v; n2=v2\r\n" (the jar's cookies for its host and path) inserted
// after the request line into out[0, cap): the length, or -EMSGSIZE when it does not fit.
// Without a matching cookie the request is copied as it is.
int64_t InsertCookies(const CookieJar& jar, std::string_view request, int64_t now_s, char* out,
                      uint32_t cap);

}  // namespace incarne::scenario
