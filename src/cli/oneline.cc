#include "cli/oneline.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ammo/http_request.h"
#include "plan/duration.h"
#include "plan/schedule.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne::cli {
namespace {

absl::Status Bad(std::string_view url, std::string_view what) {
  return absl::InvalidArgumentError(Cat("URL ", Quote(url), ": ", what));
}

absl::Status BadFlag(std::string_view flag, std::string_view value, std::string_view what) {
  return absl::InvalidArgumentError(Cat(flag, " ", Quote(value), ": ", what));
}

// RFC 9110 token characters (methods and header names).
bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Blanks, control characters and non-ASCII bytes (a URL percent-encodes them, RFC 3986).
bool HasControlOrBlank(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return true;
    }
  }
  return false;
}

// A zone name: letters, digits, '-', '.', '_'.
bool IsZoneName(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return !s.empty();
}

// The host part of a URL as target.address takes it (docs/plan.md): an IPv4 address, or an
// RFC 1123 name (plus '_') of labels of 1..63 characters, at most 253 in all.
bool IsHost(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  if (std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c) || c == '.'; })) {
    in_addr a4;
    return inet_pton(AF_INET, std::string(s).c_str(), &a4) == 1;
  }
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
    } else if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (++label > 63) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

// "[v6]" or "[v6%zone]" (a URL writes the zone's '%' as "%25"): the address form of
// target.address, or an error text.
absl::StatusOr<std::string> Ipv6Host(std::string_view url, std::string_view inner) {
  std::string addr(inner);
  std::string zone;
  if (const size_t pct = addr.find('%'); pct != std::string::npos) {
    zone = addr.substr(pct + 1);
    addr.resize(pct);
    if (absl::StartsWith(zone, "25")) {
      zone = zone.substr(2);
    }
    if (zone.empty() || !IsZoneName(zone)) {
      return Bad(url, "expected an IPv6 zone after '%' (e.g. [fe80::1%25eth0])");
    }
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, addr.c_str(), &a6) != 1) {
    return Bad(url, Cat("'", inner, "' in brackets is not an IPv6 address"));
  }
  return Cat("[", addr, zone.empty() ? "" : "%", zone, "]");
}

// A file name the plan can hold: UTF-8 without control characters (docs/plan.md).
bool IsPlanString(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return false;
    }
  }
  return IsUtf8(s);
}

// "Name: value" with both halves stripped, or an error naming -H.
absl::StatusOr<std::string> NormalizeHeader(std::string_view h) {
  std::string_view name;
  std::string_view value;
  if (!SplitHeader(h, &name, &value)) {
    return BadFlag("-H", h, "expected 'Name: value'");
  }
  if (!IsToken(name)) {
    return BadFlag("-H", h,
                   "the header name is not an HTTP token (letters, digits, !#$%&'*+-.^_`|~)");
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return BadFlag("-H", h, "control characters (CR, LF, NUL, ...) are not allowed");
    }
  }
  if (!IsUtf8(value)) {
    return BadFlag("-H", h, "the value is not UTF-8");
  }
  return Cat(name, ": ", value);
}

absl::StatusOr<uint64_t> Count(std::string_view flag, const std::string& text, uint64_t min,
                               uint64_t max) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < min || v > max) {
    return BadFlag(flag, text, Cat("expected an integer from ", min, " to ", max));
  }
  return v;
}

absl::StatusOr<int64_t> Duration(std::string_view flag, const std::string& text, int64_t max) {
  absl::StatusOr<int64_t> d = ParseDuration(text);
  if (!d.ok()) {
    return BadFlag(flag, text, StdView(d.status().message()));
  }
  if (*d <= 0 || *d > max) {
    return BadFlag(flag, text,
                   Cat("expected a duration above 0 and at most ", FormatDuration(max)));
  }
  return *d;
}

// [load] from -r/-c/-d/--schedule.
absl::Status SetLoad(const OnelineFlags& f, LoadPlan* load) {
  if (f.rate && f.connections) {
    return absl::InvalidArgumentError(
        "-r/--rate and -c/--connections: give one of them (-r N: open model, N hits per "
        "second; -c N: closed model, N connections each firing as fast as replies come)");
  }
  if (f.schedule) {
    const char* other = f.rate          ? "-r/--rate"
                        : f.connections ? "-c/--connections"
                        : f.duration    ? "-d/--duration"
                                        : nullptr;
    if (other != nullptr) {
      return absl::InvalidArgumentError(
          Cat("--schedule and ", other, ": the schedule replaces -r, -c and -d (give one form)"));
    }
    absl::StatusOr<Schedule> s = Schedule::Parse(*f.schedule, LoadModel::kRps);
    if (!s.ok()) {
      return BadFlag("--schedule", *f.schedule, StdView(s.status().message()));
    }
    load->model = LoadModel::kRps;
    load->schedule = *f.schedule;
    return absl::OkStatus();
  }
  int64_t d = 0;
  ASSIGN_OR_RETURN(d, Duration("-d/--duration", f.duration.value_or(kDefaultDuration),
                               366 * 24 * 3600 * kNsPerSec));
  const std::string dur = FormatDuration(d);
  if (f.rate) {
    uint64_t r = 0;
    ASSIGN_OR_RETURN(r, Count("-r/--rate", *f.rate, 1, 100'000'000));
    load->model = LoadModel::kRps;
    load->schedule = Cat("const(", r, ", ", dur, ")");
    return absl::OkStatus();
  }
  uint64_t c = kDefaultConnections;
  if (f.connections) {
    ASSIGN_OR_RETURN(c, Count("-c/--connections", *f.connections, 1, 1'000'000));
  }
  load->model = LoadModel::kInstances;
  load->schedule = Cat("const(", c, ", ", dur, ")");
  load->instances = static_cast<uint32_t>(c);
  return absl::OkStatus();
}

// [target.tls] and the flags that only fit one scheme.
absl::Status SetTarget(const OnelineFlags& f, const ParsedUrl& u, TargetPlan* t) {
  t->address = Cat(u.host, ":", u.port);
  t->nib = u.scheme;
  if (f.timeout) {
    ASSIGN_OR_RETURN(t->timeout_ns, Duration("--timeout", *f.timeout, 3600 * kNsPerSec));
  }
  if (u.scheme != "https" && (f.https_insecure || f.ca_file)) {
    return absl::InvalidArgumentError(Cat(f.https_insecure ? "--https-insecure" : "--ca",
                                          ": only for https:// URLs (this one is ", u.scheme,
                                          "://)"));
  }
  if (u.scheme == "https") {
    // A one-liner verifies the server like curl does; plans keep phantom's verify = false.
    t->tls.verify = !f.https_insecure;
    if (f.ca_file) {
      if (f.https_insecure) {
        return absl::InvalidArgumentError(
            "--ca and --https-insecure: --ca verifies the server, --https-insecure does not; "
            "give one");
      }
      if (f.ca_file->empty() || !IsPlanString(*f.ca_file)) {
        return absl::InvalidArgumentError(
            "--ca: expected a CA bundle file (PEM), its name UTF-8 without control characters");
      }
      t->tls.ca_file = *f.ca_file;
    }
  }
  return absl::OkStatus();
}

// The Host value (HTTP/1.1 needs one): the host, and the port when it is not the scheme's.
// An IPv6 literal always has its port, so that the value never ends in ']' (a header item
// "[...]" loses its brackets, Tank's rule: docs/plan.md), and never its zone (RFC 6874: the
// zone means nothing to the server).
std::string HostHeader(const ParsedUrl& u) {
  if (u.host[0] == '[') {
    const size_t zone = u.host.find('%');
    return Cat(zone == std::string::npos ? u.host : Cat(u.host.substr(0, zone), "]"), ":", u.port);
  }
  return u.default_port ? u.host : Cat(u.host, ":", u.port);
}

// The requests of every URL as phantom records (what ammo.uris cannot say).
std::string PhantomAmmo(const std::vector<ParsedUrl>& urls, const std::string& method,
                        const HeaderSet& headers, const std::optional<std::string>& body,
                        bool udp) {
  std::string out;
  for (const ParsedUrl& u : urls) {
    std::string req;
    if (udp) {
      req = body.value_or("");
    } else {
      char buf[40];
      const std::string_view cl = body ? ContentLengthHeader(body->size(), buf) : "";
      AppendRequestHead(&req, method, u.target, "1.1", headers, cl);
      if (body) {
        req += *body;
      }
    }
    Append(&out, req.size(), u.tag.empty() ? "" : " ", u.tag, "\n", req, "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl u;
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return Bad(url, "expected scheme://host[:port][/path], e.g. http://127.0.0.1:8080/");
  }
  u.scheme = absl::AsciiStrToLower(AbslView(url.substr(0, colon)));
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "udp") {
    return Bad(url, Cat("unknown scheme '", url.substr(0, colon),
                        "' (expected http://, https:// or udp://)"));
  }
  std::string_view rest = url.substr(colon + 3);
  if (HasControlOrBlank(rest)) {
    return Bad(url,
               "blanks, control characters and non-ASCII bytes are not allowed "
               "(percent-encode them)");
  }
  std::string_view frag;
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    frag = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  const size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  u.target = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (u.target[0] == '?') {
    u.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return Bad(url,
               "user info (user@host) is not supported; send credentials with -H "
               "'Authorization: ...'");
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Bad(url, "expected ']' after the IPv6 address");
    }
    ASSIGN_OR_RETURN(u.host, Ipv6Host(url, authority.substr(1, close - 1)));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') {
      return Bad(url, "expected ':port' or the path after ']'");
    }
    port_text = after.empty() ? after : after.substr(1);
    if (!after.empty() && port_text.empty()) {
      return Bad(url, "expected a port after ':'");
    }
  } else {
    const size_t pc = authority.find(':');
    if (pc != std::string_view::npos && authority.find(':', pc + 1) != std::string_view::npos) {
      return Bad(url, "an IPv6 address goes in brackets: [::1]:8080");
    }
    std::string_view host = authority.substr(0, pc);
    if (host.empty()) {
      return Bad(url, "expected a host after '://'");
    }
    if (pc != std::string_view::npos) {
      port_text = authority.substr(pc + 1);
      if (port_text.empty()) {
        return Bad(url, "expected a port after ':'");
      }
    }
    if (!IsHost(host)) {
      return Bad(url, Cat("'", host,
                          "' is neither an IPv4 address nor a host name (labels of "
                          "letters, digits, '-', '_' separated by '.')"));
    }
    u.host = absl::AsciiStrToLower(AbslView(host));
  }
  const uint16_t default_port = u.scheme == "http" ? 80 : u.scheme == "https" ? 443 : 0;
  if (port_text.empty()) {
    if (default_port == 0) {
      return Bad(url, Cat(u.scheme, ":// has no default port: write host:port"));
    }
    u.port = default_port;
  } else {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(AbslView(port_text), &p) || p < 1 || p > 65535 ||
        !absl::ascii_isdigit(port_text[0])) {
      return Bad(url, Cat("port '", port_text, "': expected 1..65535"));
    }
    u.port = static_cast<uint16_t>(p);
    u.default_port = u.port == default_port;
  }
  u.tag = std::string(frag);
  return u;
}

absl::StatusOr<OnelinePlan> BuildOnelinePlan(const OnelineFlags& f, std::string_view ammo_path) {
  if (f.urls.empty()) {
    return absl::InvalidArgumentError("expected a URL: incarne run URL [URL...] (see --help)");
  }
  std::vector<ParsedUrl> urls;
  for (const std::string& text : f.urls) {
    ParsedUrl u;
    ASSIGN_OR_RETURN(u, ParseUrl(text));
    if (!urls.empty() &&
        (u.scheme != urls[0].scheme || u.host != urls[0].host || u.port != urls[0].port)) {
      return Bad(text, Cat("not the target of the first URL (", urls[0].scheme, "://", urls[0].host,
                           ":", urls[0].port, "): one run shoots at one scheme and host:port"));
    }
    urls.push_back(std::move(u));
  }
  if (!IsPlanString(ammo_path)) {
    return BadFlag("--ammo-out", ammo_path,
                   "the plan names this file: UTF-8 without control characters, please");
  }
  const ParsedUrl& first = urls[0];
  const bool udp = first.scheme == "udp";
  OnelinePlan out;
  Plan& p = out.plan;
  RETURN_IF_ERROR(SetTarget(f, first, &p.target));
  RETURN_IF_ERROR(SetLoad(f, &p.load));
  if (f.threads) {
    uint64_t t = 0;
    ASSIGN_OR_RETURN(t, Count("-t/--threads", *f.threads, 0, 256));
    p.workers.threads = static_cast<uint32_t>(t);
  }
  if (f.autocases) {
    uint64_t n = 0;
    if (*f.autocases != "uri" && *f.autocases != "uniq" && !absl::SimpleAtoi(*f.autocases, &n)) {
      return BadFlag("--autocases", *f.autocases, "expected N (path segments), uri or uniq");
    }
    p.ammo.autocases = *f.autocases == "uri" || *f.autocases == "uniq" ? *f.autocases : Cat(n);
  }
  if (udp) {
    // A datagram is the body as it is: nothing of HTTP applies.
    if (f.method || !f.headers.empty()) {
      return absl::InvalidArgumentError(
          Cat(f.method ? "-m/--method" : "-H", ": udp:// sends the --body bytes as the datagram"));
    }
    if (!f.body || f.body->empty()) {
      return absl::InvalidArgumentError(
          "--body: udp:// needs the datagram to send: --body FILE (@- = stdin), not empty");
    }
    for (const ParsedUrl& u : urls) {
      if (u.target != "/") {
        return Bad(f.urls[&u - urls.data()], "udp:// has no path or query");
      }
    }
  }
  std::string method = "GET";
  if (f.method) {
    if (!IsToken(*f.method)) {
      return BadFlag("-m/--method", *f.method, "expected an HTTP method (a token: GET, POST, ...)");
    }
    method = *f.method;
  } else if (f.body && !udp) {
    return absl::InvalidArgumentError(
        "--body: a body needs a method other than the default GET: add -m POST (or -m PUT, "
        "...; -m GET sends it with GET)");
  }
  HeaderSet headers;
  bool has_host = false;
  for (const std::string& h : f.headers) {
    std::string norm;
    ASSIGN_OR_RETURN(norm, NormalizeHeader(h));
    const std::string name = absl::AsciiStrToLower(norm.substr(0, norm.find(':')));
    if (name == "content-length" || name == "transfer-encoding") {
      return BadFlag("-H", h, "the length is set from --body");
    }
    has_host = has_host || name == "host";
    p.ammo.headers.push_back(norm);
  }
  if (!has_host && !udp) {
    p.ammo.headers.push_back(Cat("Host: ", HostHeader(first)));
  }
  bool tagged = false;
  for (const ParsedUrl& u : urls) {
    tagged = tagged || !u.tag.empty();
    if (!u.tag.empty() && HasControlOrBlank(u.tag)) {
      return Bad(f.urls[&u - urls.data()], "the tag after '#' has blanks");
    }
  }
  if (udp || f.body || method != "GET" || tagged) {
    for (const std::string& h : p.ammo.headers) {
      headers.Add(h);
    }
    out.ammo_text = PhantomAmmo(urls, method, headers, f.body, udp);
    p.ammo.headers.clear();
    p.ammo.file = std::string(ammo_path);
    p.ammo.format = AmmoFormat::kPhantom;
  } else {
    for (const ParsedUrl& u : urls) {
      p.ammo.uris.push_back(u.target);
    }
    p.ammo.format = AmmoFormat::kUri;
  }
  return out;
}

}  // namespace incarne::cli
