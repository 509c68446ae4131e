#include "scenario/cookies.h"

#include <cerrno>
#include <cstring>

#include "scenario/http_reply.h"
#include "util/strings.h"

namespace incarne::scenario {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// HTTP's optional whitespace around a header's name and value, and a line's CR.
std::string_view Trim(std::string_view s) { return incarne::Trim(s, " \t\r"); }

bool Digit(char c) { return c >= '0' && c <= '9'; }

// RFC 6265 §5.1.1 delimiter.
bool DateDelimiter(unsigned char c) {
  return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) ||
         (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// 1*max DIGIT at the start of `t`, then anything but a digit: the number, or -1.
int LeadingNumber(std::string_view t, size_t min, size_t max, size_t* used) {
  size_t n = 0;
  int v = 0;
  while (n < t.size() && Digit(t[n])) {
    if (n == max) {
      return -1;
    }
    v = v * 10 + (t[n] - '0');
    ++n;
  }
  if (n < min) {
    return -1;
  }
  *used = n;
  return v;
}

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// host domain-matches domain (§5.1.3); both compared case-insensitively.
bool DomainMatch(std::string_view host, std::string_view domain) {
  if (EqualsNoCase(host, domain)) {
    return true;
  }
  if (domain.empty() || host.size() <= domain.size() ||
      !EqualsNoCase(host.substr(host.size() - domain.size()), domain) ||
      host[host.size() - domain.size() - 1] != '.') {
    return false;
  }
  for (char c : host) {  // an IP address matches only itself
    if (!Digit(c) && c != '.') {
      return true;
    }
  }
  return false;
}

// request path path-matches cookie path (§5.1.4).
bool PathMatch(std::string_view request, std::string_view cookie) {
  if (request == cookie) {
    return true;
  }
  return request.size() > cookie.size() && request.substr(0, cookie.size()) == cookie &&
         (cookie.back() == '/' || request[cookie.size()] == '/');
}

// The default path of a request path (§5.1.4).
std::string_view DefaultPath(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    return "/";
  }
  const size_t last = path.rfind('/');
  return last == 0 ? std::string_view("/") : path.substr(0, last);
}

}  // namespace

bool ParseCookieDate(std::string_view text, int64_t* unix_s) {
  static constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  int hour = -1;
  int minute = -1;
  int second = -1;
  int day = -1;
  int month = -1;
  int year = -1;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && DateDelimiter(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    size_t j = i;
    while (j < text.size() && !DateDelimiter(static_cast<unsigned char>(text[j]))) {
      ++j;
    }
    const std::string_view tok = text.substr(i, j - i);
    i = j;
    if (tok.empty()) {
      continue;
    }
    size_t used = 0;
    if (hour < 0) {  // time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT
      size_t a = 0;
      size_t b = 0;
      size_t c = 0;
      const int h = LeadingNumber(tok, 1, 2, &a);
      if (h >= 0 && a < tok.size() && tok[a] == ':') {
        const int m = LeadingNumber(tok.substr(a + 1), 1, 2, &b);
        if (m >= 0 && a + 1 + b < tok.size() && tok[a + 1 + b] == ':') {
          const int s = LeadingNumber(tok.substr(a + 2 + b), 1, 2, &c);
          if (s >= 0) {
            hour = h;
            minute = m;
            second = s;
            continue;
          }
        }
      }
    }
    if (day < 0) {
      const int d = LeadingNumber(tok, 1, 2, &used);
      if (d >= 0) {
        day = d;
        continue;
      }
    }
    if (month < 0 && tok.size() >= 3) {
      for (int m = 0; m < 12; ++m) {
        if (EqualsNoCase(tok.substr(0, 3), kMonths[m])) {
          month = m + 1;
          break;
        }
      }
      if (month > 0) {
        continue;
      }
    }
    if (year < 0) {
      const int y = LeadingNumber(tok, 2, 4, &used);
      if (y >= 0) {
        year = y;
        continue;
      }
    }
  }
  if (year >= 70 && year <= 99) {
    year += 1900;
  } else if (year >= 0 && year <= 69) {
    year += 2000;
  }
  if (hour < 0 || day < 1 || day > 31 || month < 1 || year < 1601 || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  *unix_s = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

bool ParseSetCookie(std::string_view header, SetCookie* out) {
  *out = SetCookie{};
  size_t semi = header.find(';');
  const std::string_view pair = header.substr(0, semi);
  const size_t eq = pair.find('=');
  if (eq == std::string_view::npos) {
    return false;
  }
  out->name = Trim(pair.substr(0, eq));
  out->value = Trim(pair.substr(eq + 1));
  if (out->name.empty()) {
    return false;
  }
  while (semi != std::string_view::npos) {
    const size_t start = semi + 1;
    semi = header.find(';', start);
    const std::string_view av = header.substr(
        start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    const size_t aeq = av.find('=');
    const std::string_view key = Trim(av.substr(0, aeq));
    const std::string_view val =
        aeq == std::string_view::npos ? std::string_view() : Trim(av.substr(aeq + 1));
    if (EqualsNoCase(key, "max-age")) {
      size_t k = val.size() > 0 && val[0] == '-' ? 1 : 0;
      if (k == val.size()) {
        continue;
      }
      int64_t v = 0;
      bool ok = true;
      for (; k < val.size(); ++k) {
        if (!Digit(val[k])) {
          ok = false;
          break;
        }
        v = v > 100'000'000'000'000LL ? v : v * 10 + (val[k] - '0');  // saturates
      }
      if (ok) {
        out->has_max_age = true;
        out->max_age = val[0] == '-' ? -v : v;
      }
    } else if (EqualsNoCase(key, "expires")) {
      int64_t t = 0;
      if (ParseCookieDate(val, &t)) {
        out->has_expires = true;
        out->expires_s = t;
      }
    } else if (EqualsNoCase(key, "domain")) {
      std::string_view d = val;
      if (!d.empty() && d[0] == '.') {
        d.remove_prefix(1);
      }
      out->domain = d;
    } else if (EqualsNoCase(key, "path")) {
      out->path = !val.empty() && val[0] == '/' ? val : std::string_view();
    }
  }
  return true;
}

bool RequestHostPath(std::string_view request, std::string_view* host, std::string_view* path) {
  *host = {};
  *path = {};
  const size_t eol = request.find('\n');
  const std::string_view line = request.substr(0, eol);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    return false;
  }
  std::string_view target = line.substr(sp1 + 1);
  target = target.substr(0, target.find(' '));
  std::string_view authority;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && EqualsNoCase(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const size_t slash = target.find('/');
      authority = target.substr(0, slash);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  *path = target.substr(0, target.find_first_of("?#"));
  if (authority.empty() && eol != std::string_view::npos) {
    std::string_view head = request.substr(eol + 1);
    const size_t end =
        head.find("\n\r\n") != std::string_view::npos ? head.find("\n\r\n") : head.find("\n\n");
    if (end != std::string_view::npos) {
      head = head.substr(0, end + 1);
    }
    ForEachHeader(head, "Host", [&](std::string_view v) {
      authority = v;
      return true;
    });
  }
  authority = authority.substr(
      authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1);
  if (!authority.empty() && authority[0] == '[') {
    *host = authority.substr(0, authority.find(']') + 1);
  } else {
    *host = authority.substr(0, authority.find(':'));
  }
  return !host->empty();
}

int StoreCookie(CookieJar* jar, const SetCookie& c, std::string_view host, std::string_view path,
                int64_t now_s) {
  std::string_view domain = c.domain;
  bool host_only = domain.empty();
  if (host_only) {
    domain = host;
  } else if (!DomainMatch(host, domain)) {
    return 0;  // a Domain the host may not set: ignored (§5.3 step 6)
  }
  const std::string_view cpath = c.path.empty() ? DefaultPath(path) : c.path;
  int64_t expires = INT64_MAX;
  if (c.has_max_age) {
    expires = c.max_age <= 0 ? INT64_MIN : now_s + c.max_age;
  } else if (c.has_expires) {
    expires = c.expires_s;
  }
  const bool expired = expires <= now_s;
  Cookie* free_slot = nullptr;
  for (Cookie& k : jar->cookies) {
    if (!k.used || k.expires_s <= now_s) {
      if (free_slot == nullptr) {
        free_slot = &k;
      }
      if (!k.used) {
        continue;
      }
    }
    if (std::string_view(k.name, k.name_len) == c.name &&
        EqualsNoCase(std::string_view(k.domain, k.domain_len), domain) &&
        std::string_view(k.path, k.path_len) == cpath) {
      if (expired) {
        k.used = false;
        return 0;
      }
      free_slot = &k;
      break;
    }
  }
  if (expired) {
    return 0;
  }
  if (c.name.size() > kCookieNameMax || c.value.size() > kCookieValueMax ||
      cpath.size() > kCookieAttrMax || domain.size() > kCookieAttrMax || free_slot == nullptr) {
    return -EOVERFLOW;
  }
  Cookie& k = *free_slot;
  k.used = true;
  k.host_only = host_only;
  k.expires_s = expires;
  k.name_len = static_cast<uint16_t>(c.name.size());
  memcpy(k.name, c.name.data(), c.name.size());
  k.value_len = static_cast<uint16_t>(c.value.size());
  memcpy(k.value, c.value.data(), c.value.size());
  k.path_len = static_cast<uint8_t>(cpath.size());
  memcpy(k.path, cpath.data(), cpath.size());
  k.domain_len = static_cast<uint8_t>(domain.size());
  for (size_t i = 0; i < domain.size(); ++i) {
    k.domain[i] = Lower(domain[i]);
  }
  return 0;
}

int TakeSetCookies(CookieJar* jar, std::string_view headers, std::string_view request,
                   int64_t now_s) {
  std::string_view host;
  std::string_view path;
  RequestHostPath(request, &host, &path);
  int result = 0;
  ForEachHeader(headers, "Set-Cookie", [&](std::string_view value) {
    SetCookie c;
    if (ParseSetCookie(value, &c) && StoreCookie(jar, c, host, path, now_s) != 0) {
      result = -EOVERFLOW;
    }
    return false;  // every line
  });
  return result;
}

int64_t InsertCookies(const CookieJar& jar, std::string_view request, int64_t now_s, char* out,
                      uint32_t cap) {
  std::string_view host;
  std::string_view path;
  RequestHostPath(request, &host, &path);
  const size_t eol = request.find('\n');
  if (eol == std::string_view::npos) {
    return 0;
  }
  const size_t line = eol + 1;
  // The request line, then the header, then the rest: check the room first.
  uint64_t header = 0;
  for (const Cookie& k : jar.cookies) {
    if (k.used && k.expires_s > now_s &&
        (k.host_only ? EqualsNoCase(host, std::string_view(k.domain, k.domain_len))
                     : DomainMatch(host, std::string_view(k.domain, k.domain_len))) &&
        PathMatch(path, std::string_view(k.path, k.path_len))) {
      header += (header == 0 ? 8 : 2) + k.name_len + 1 + k.value_len;
    }
  }
  if (header == 0) {
    return 0;
  }
  header += 2;
  if (request.size() + header > cap) {
    return -EMSGSIZE;
  }
  char* w = out;
  memcpy(w, request.data(), line);
  w += line;
  memcpy(w, "Cookie: ", 8);
  w += 8;
  bool first = true;
  for (const Cookie& k : jar.cookies) {
    if (k.used && k.expires_s > now_s &&
        (k.host_only ? EqualsNoCase(host, std::string_view(k.domain, k.domain_len))
                     : DomainMatch(host, std::string_view(k.domain, k.domain_len))) &&
        PathMatch(path, std::string_view(k.path, k.path_len))) {
      if (!first) {
        memcpy(w, "; ", 2);
        w += 2;
      }
      first = false;
      memcpy(w, k.name, k.name_len);
      w += k.name_len;
      *w++ = '=';
      memcpy(w, k.value, k.value_len);
      w += k.value_len;
    }
  }
  memcpy(w, "\r\n", 2);
  w += 2;
  memcpy(w, request.data() + line, request.size() - line);
  w += request.size() - line;
  return w - out;
}

}  // namespace incarne::scenario
