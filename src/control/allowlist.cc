#include "control/allowlist.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "util/strings.h"

namespace incarne::control {
namespace {

bool ParseUint(std::string_view s, unsigned max, unsigned* out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && s[0] >= '0' && s[0] <= '9' && r.ec == std::errc() &&
         r.ptr == s.data() + s.size() && *out <= max;
}

// "" when `text` is a rule (filled into `out`), else what was expected.
std::string ParseRule(const std::string& text, AllowRule* out) {
  constexpr char kExpected[] =
      "expected an address or CIDR with an optional port or port range, e.g. \"127.0.0.0/8\", "
      "\"::1\", \"10.0.0.0/8:80-443\" or \"[fd00::]/8:443\"";
  std::string_view s = text;
  std::string_view addr;
  std::string_view prefix;
  std::string_view ports;
  if (s.starts_with('[')) {  // [v6]/N:ports or [v6]:ports
    const size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return kExpected;
    }
    addr = s.substr(1, close - 1);
    s.remove_prefix(close + 1);
    if (s.starts_with('/')) {
      const size_t colon = s.find(':');
      prefix = s.substr(1, colon == std::string_view::npos ? std::string_view::npos : colon - 1);
      s = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
    }
    if (!s.empty()) {
      if (!s.starts_with(':')) {
        return kExpected;
      }
      ports = s.substr(1);
      if (ports.empty()) {
        return kExpected;
      }
    }
  } else if (std::count(s.begin(), s.end(), ':') >= 2) {  // bare v6, no port
    const size_t slash = s.find('/');
    addr = s.substr(0, slash);
    if (slash != std::string_view::npos) {
      prefix = s.substr(slash + 1);
    }
  } else {  // v4[/N][:ports]
    const size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      ports = s.substr(colon + 1);
      s = s.substr(0, colon);
      if (ports.empty()) {
        return kExpected;
      }
    }
    const size_t slash = s.find('/');
    addr = s.substr(0, slash);
    if (slash != std::string_view::npos) {
      prefix = s.substr(slash + 1);
    }
  }
  const std::string a(addr);
  AllowRule r;
  r.text = text;
  if (inet_pton(AF_INET, a.c_str(), r.addr.data()) == 1) {
    r.family = AF_INET;
    r.prefix = 32;
  } else if (inet_pton(AF_INET6, a.c_str(), r.addr.data()) == 1) {
    r.family = AF_INET6;
    r.prefix = 128;
  } else {
    return kExpected;
  }
  if (!prefix.empty() || text.find('/') != std::string::npos) {
    unsigned p = 0;
    if (!ParseUint(prefix, r.family == AF_INET ? 32 : 128, &p)) {
      return Cat("expected a prefix length 0..", r.family == AF_INET ? 32 : 128, " after '/'");
    }
    r.prefix = static_cast<int>(p);
  }
  if (!ports.empty()) {
    const size_t dash = ports.find('-');
    unsigned lo = 0;
    unsigned hi = 0;
    if (!ParseUint(ports.substr(0, dash), 65535, &lo) ||
        !ParseUint(dash == std::string_view::npos ? ports.substr(0, dash) : ports.substr(dash + 1),
                   65535, &hi) ||
        lo > hi) {
      return "expected a port (1..65535) or a range LO-HI after the address";
    }
    r.port_lo = static_cast<uint16_t>(lo);
    r.port_hi = static_cast<uint16_t>(hi);
  }
  *out = r;
  return "";
}

bool PrefixMatch(const uint8_t* a, const uint8_t* b, int bits) {
  const int bytes = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(bytes)) != 0) {
    return false;
  }
  const int rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

}  // namespace

std::string Allowlist::CheckRule(const std::string& rule) {
  AllowRule r;
  return ParseRule(rule, &r);
}

absl::StatusOr<Allowlist> Allowlist::Parse(const std::vector<std::string>& rules) {
  Allowlist out;
  for (const std::string& text : rules) {
    AllowRule r;
    if (std::string err = ParseRule(text, &r); !err.empty()) {
      return absl::InvalidArgumentError(Cat(Quote(text), ": ", err));
    }
    out.rules_.push_back(std::move(r));
  }
  return out;
}

bool Allowlist::Allows(const sockaddr_storage& ss) const {
  int family = ss.ss_family;
  const uint8_t* bytes = nullptr;
  uint16_t port = 0;
  if (family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    bytes = reinterpret_cast<const uint8_t*>(&in->sin_addr);
    port = ntohs(in->sin_port);
  } else if (family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    bytes = in6->sin6_addr.s6_addr;
    port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      family = AF_INET;
      bytes += 12;
    }
  } else {
    return false;
  }
  for (const AllowRule& r : rules_) {
    if (r.family == family && PrefixMatch(bytes, r.addr.data(), r.prefix) && port >= r.port_lo &&
        port <= r.port_hi) {
      return true;
    }
  }
  return false;
}

std::string Allowlist::Text() const {
  std::string out = "[";
  for (const AllowRule& r : rules_) {
    Append(&out, out.size() > 1 ? ", " : "", Quote(r.text));
  }
  return out + "]";
}

}  // namespace incarne::control
