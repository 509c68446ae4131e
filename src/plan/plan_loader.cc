// TOML plan → Plan (docs/design.md §6; every key is documented in docs/plan.md).
//
// The reader is schema-driven: one table of sections, each with its keys, a parser and a
// formatter per key. The same tables drive the unknown-key check (and its list of valid
// keys), `--set` key lookup and FormatPlanToml, so a key cannot be accepted but not written
// back, or written back under another name.
//
// Control plane only. toml++ throws; its exceptions are caught in exactly one function
// (ParseToml) and become "file:line:column: ..." Statuses.
#include "plan/plan_loader.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "incarne_config.h"
#include "nibs/nib_names.h"
#include "plan/criterion.h"
#include "plan/duration.h"
#include "plan/schedule.h"
#include "plan/toml_config.h"
#include "scenario/rules_toml.h"
#include "util/small_file.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr size_t kMaxPlanBytes = size_t{16} << 20;
constexpr uint64_t kMaxInstances = 1000000;  // phantom's io_benchmark_t limit
constexpr uint64_t kMaxThreads = 256;
constexpr int64_t kMaxTimeoutNs = int64_t{3600} * kNsPerSec;
// load.pacing: a longer quantum would only add lag (docs/engine.md "Pacing").
constexpr int64_t kMaxPacingNs = 10 * int64_t{1000000};

// ---- small text helpers ---------------------------------------------------------------------

// Cat, Append, Trim, Quote and Shown are in util/strings.h.

template <typename T>
std::string Join(const std::vector<T>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += std::string_view(items[i]);
  }
  return out;
}

// The built-in nib names come from nibs/meson.build (generated nibs/nib_names.h): the engine's
// registry builds its table from the same list, so a name is accepted here exactly when the
// project declares that nib (one skipped in this build is refused by the registry at start,
// with the reason).
bool IsBuiltinNib(std::string_view nib) {
  return std::find(kBuiltinNibNames.begin(), kBuiltinNibNames.end(), nib) != kBuiltinNibNames.end();
}

// The built-in names for messages: "dummy", "http", ...
std::string BuiltinNibChoices() {
  std::string out;
  for (std::string_view name : kBuiltinNibNames) {
    Append(&out, out.empty() ? "" : ", ", Quote(name));
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }
bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

// Decimal digits only (no sign, no spaces), within T.
template <typename T>
bool Atoi(std::string_view s, T* out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && absl::ascii_isdigit(s.front()) && r.ec == std::errc() &&
         r.ptr == s.data() + s.size();
}

// ---- the toml++ seam ------------------------------------------------------------------------

// The only place toml++ exceptions are caught (docs/design.md §10). Syntax errors become
// InvalidArgument "name:line:column: TOML syntax error: ...".
absl::StatusOr<toml::table> ParseToml(std::string_view text, std::string_view name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    const toml::source_position& p = e.source().begin;
    return absl::InvalidArgumentError(Cat(name, ":", std::max<uint32_t>(p.line, 1), ":",
                                          std::max<uint32_t>(p.column, 1),
                                          ": TOML syntax error: ", e.description()));
  }
}

std::string QuoteList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const std::string& s : items) {
    quoted.push_back(Quote(s));
  }
  return Cat("[", Join(quoted, ", "), "]");
}

std::string_view TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// "got string "ten"" / "got integer 5" / "got table".
std::string Got(const toml::node& n) {
  std::string out = Cat("got ", TypeName(n));
  if (const auto* s = n.as_string()) {
    Append(&out, " ", Shown(s->get()));
  } else if (const auto* i = n.as_integer()) {
    Append(&out, " ", i->get());
  } else if (const auto* f = n.as_floating_point()) {
    Append(&out, " ", f->get());
  } else if (const auto* b = n.as_boolean()) {
    Append(&out, " ", b->get() ? "true" : "false");
  }
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Where inside a TOML string literal the byte `offset` of its decoded value was written.
// `begin` is the literal's start as toml++ reports it (1-based line, column counted in code
// points). Handles the four string kinds, escapes and line-ending backslashes, so that an
// error at "column 12" of a multi-line schedule is reported on the right line. Returns
// nullopt when `begin` does not point at a string literal in `doc`.
std::optional<toml::source_position> PositionInString(std::string_view doc,
                                                      toml::source_position begin, size_t offset) {
  auto is_cont = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  size_t i = 0;
  for (uint32_t line = 1; line < begin.line; ++line) {
    i = doc.find('\n', i);
    if (i == std::string_view::npos) {
      return std::nullopt;
    }
    ++i;
  }
  for (uint32_t col = 1; col < begin.column && i < doc.size() && doc[i] != '\n'; ++col) {
    ++i;
    while (i < doc.size() && is_cont(doc[i])) {
      ++i;
    }
  }
  toml::source_position pos = begin;
  auto advance = [&](size_t bytes) {
    for (size_t k = 0; k < bytes && i < doc.size(); ++k, ++i) {
      if (doc[i] == '\n') {
        ++pos.line;
        pos.column = 1;
      } else if (!is_cont(doc[i])) {
        ++pos.column;
      }
    }
  };
  std::string_view rest = doc.substr(i);
  std::string_view delim;
  for (std::string_view d : {"\"\"\"", "'''", "\"", "'"}) {
    if (StartsWith(rest, d)) {
      delim = d;
      break;
    }
  }
  if (delim.empty()) {
    return std::nullopt;
  }
  const bool multiline = delim.size() == 3;
  const bool basic = delim[0] == '"';
  advance(delim.size());
  if (multiline) {  // a newline right after the opening delimiter is not part of the value
    if (StartsWith(doc.substr(i), "\r\n")) {
      advance(2);
    } else if (StartsWith(doc.substr(i), "\n")) {
      advance(1);
    }
  }
  size_t decoded = 0;
  while (i < doc.size() && !StartsWith(doc.substr(i), delim)) {
    size_t raw = 1;
    size_t out = 1;
    const char c = doc[i];
    if (basic && c == '\\' && i + 1 < doc.size()) {
      const char e = doc[i + 1];
      if (multiline && (e == ' ' || e == '\t' || e == '\r' || e == '\n')) {
        raw = 1;
        while (i + raw < doc.size() && doc[i + raw] != '\0' &&
               std::strchr(" \t\r\n", doc[i + raw]) != nullptr) {
          ++raw;
        }
        out = 0;
      } else if (e == 'u' || e == 'U') {
        const size_t digits = e == 'u' ? 4 : 8;
        raw = 2 + digits;
        uint32_t cp = 0;
        for (size_t k = 0; k < digits && i + 2 + k < doc.size(); ++k) {
          const char h = doc[i + 2 + k];
          cp = cp * 16 + static_cast<uint32_t>(absl::ascii_isdigit(h)
                                                   ? h - '0'
                                                   : (absl::ascii_tolower(h) - 'a' + 10));
        }
        out = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      } else {
        raw = 2;
      }
    } else if (c == '\r' && i + 1 < doc.size() && doc[i + 1] == '\n') {
      raw = 2;
    } else {
      while (i + raw < doc.size() && is_cont(doc[i + raw])) {
        ++raw;
      }
      out = raw;
    }
    if (decoded + out > offset) {
      break;
    }
    decoded += out;
    advance(raw);
  }
  return pos;
}

// Splits "column N: rest" (the error shape of ParseDuration and Schedule::Parse) into N and
// rest; nullopt column when the message has another shape.
std::pair<std::optional<size_t>, std::string_view> SplitColumn(std::string_view msg) {
  if (StartsWith(msg, "column ")) {
    const size_t colon = msg.find(':');
    size_t n = 0;
    if (colon != std::string_view::npos && Atoi(msg.substr(7, colon - 7), &n) && n > 0) {
      return {n, TrimLeft(msg.substr(colon + 1))};
    }
  }
  return {std::nullopt, msg};
}

// ---- one key's value -----------------------------------------------------------------------

// A value being read: the node, where it came from and the key's full name.
struct Field {
  const toml::node* node = nullptr;
  std::string where;     // "plan.toml:3:13" or "--set load.instances=ten"
  std::string key;       // "load.instances"
  std::string_view doc;  // the plan text, for positions inside strings; empty for --set
  std::string name;      // the plan's name (for positions inside strings)
  uint64_t order = 0;    // line << 32 | column in the file; --set values come after the file

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(Cat(where, ": ", key, ": ", what));
  }
  absl::Status Expected(std::string_view expected) const {
    return Error(Cat("expected ", expected, ", ", Got(*node)));
  }
  // An error found at byte `offset` of this string value (e.g. by the schedule parser).
  absl::Status ErrorAt(size_t offset, std::string_view what) const {
    if (!doc.empty()) {
      if (auto p = PositionInString(doc, node->source().begin, offset)) {
        return absl::InvalidArgumentError(
            Cat(name, ":", p->line, ":", p->column, ": ", key, ": ", what));
      }
    }
    return Error(Cat("column ", offset + 1, ": ", what));
  }
  // Maps a "column N: ..." Status from a sub-parser of this string value.
  absl::Status FromColumnError(const absl::Status& st) const {
    auto [column, rest] = SplitColumn(StdView(st.message()));
    if (column.has_value()) {
      return ErrorAt(*column - 1, rest);
    }
    return Error(StdView(st.message()));
  }
};

absl::Status GetString(const Field& f, std::string* out) {
  const auto* s = f.node->as_string();
  if (s == nullptr) {
    return f.Expected("a string");
  }
  *out = s->get();
  return absl::OkStatus();
}

absl::Status GetBool(const Field& f, bool* out) {
  const auto* b = f.node->as_boolean();
  if (b == nullptr) {
    return f.Expected("true or false");
  }
  *out = b->get();
  return absl::OkStatus();
}

std::string RangeText(uint64_t lo, uint64_t hi, uint64_t type_max) {
  if (hi >= type_max) {
    return Cat("an integer ≥ ", lo);
  }
  return Cat("an integer ≥ ", lo, " and ≤ ", hi);
}

template <typename T>
absl::Status GetUint(const Field& f, uint64_t lo, uint64_t hi, T* out) {
  const uint64_t type_max = std::numeric_limits<T>::max();
  hi = std::min<uint64_t>(hi, type_max);
  const auto* i = f.node->as_integer();
  if (i == nullptr || i->get() < 0 || static_cast<uint64_t>(i->get()) < lo ||
      static_cast<uint64_t>(i->get()) > hi) {
    return f.Expected(RangeText(lo, hi, std::min<uint64_t>(type_max, INT64_MAX)));
  }
  *out = static_cast<T>(i->get());
  return absl::OkStatus();
}

// Durations: a string for ParseDuration ("11s", "1.5m", "1h30m") or a number of seconds.
// `empty_is_zero` lets "" mean 0 (load.duration: "" = the schedule's length).
absl::Status GetDuration(const Field& f, int64_t lo_ns, int64_t hi_ns, bool empty_is_zero,
                         int64_t* out) {
  const std::string range = hi_ns == INT64_MAX
                                ? Cat("≥ ", FormatDuration(lo_ns))
                                : Cat(FormatDuration(lo_ns), "..", FormatDuration(hi_ns));
  const std::string expected =
      Cat("a duration such as \"11s\", \"1.5m\", \"500ms\" or a number of seconds (", range, ")");
  int64_t ns = 0;
  if (const auto* s = f.node->as_string()) {
    if (s->get().empty() && empty_is_zero) {
      ns = 0;
    } else {
      absl::StatusOr<int64_t> parsed = ParseDuration(s->get());
      if (!parsed.ok()) {
        return f.FromColumnError(parsed.status());
      }
      ns = *parsed;
    }
  } else if (const auto* i = f.node->as_integer()) {
    if (i->get() < 0 || i->get() > INT64_MAX / kNsPerSec) {
      return f.Expected(expected);
    }
    ns = i->get() * kNsPerSec;
  } else if (const auto* d = f.node->as_floating_point()) {
    const double sec = d->get();
    if (!std::isfinite(sec) || sec < 0 || sec * 1e9 >= 9.2e18) {
      return f.Expected(expected);
    }
    ns = std::llround(sec * 1e9);
  } else {
    return f.Expected(expected);
  }
  if (ns < lo_ns || ns > hi_ns) {
    return f.Error(Cat("expected a duration ", range, ", got ", FormatDuration(ns)));
  }
  *out = ns;
  return absl::OkStatus();
}

// Arrays of strings; `check` validates (and may normalise) one item, returning an error
// description or "" — the item's own position is reported.
absl::Status GetStringList(const Field& f, std::string (*check)(std::string*),
                           std::vector<std::string>* out) {
  const auto* arr = f.node->as_array();
  if (arr == nullptr) {
    return f.Expected("an array of strings");
  }
  std::vector<std::string> items;
  for (size_t k = 0; k < arr->size(); ++k) {
    const toml::node& item = *arr->get(k);
    Field fi = f;
    fi.node = &item;
    fi.key = Cat(f.key, "[", k, "]");
    if (!f.doc.empty() && item.source().begin.line > 0) {
      fi.where = Cat(f.name, ":", item.source().begin.line, ":", item.source().begin.column);
    }
    std::string s;
    RETURN_IF_ERROR(GetString(fi, &s));
    if (check != nullptr) {
      if (std::string err = check(&s); !err.empty()) {
        return fi.Error(err);
      }
    }
    items.push_back(std::move(s));
  }
  *out = std::move(items);
  return absl::OkStatus();
}

template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

template <typename E, size_t N>
absl::Status GetEnum(const Field& f, const EnumName<E> (&names)[N], E* out) {
  std::vector<std::string> quoted;
  const auto* s = f.node->as_string();
  for (const EnumName<E>& n : names) {
    if (s != nullptr && s->get() == n.name) {
      *out = n.value;
      return absl::OkStatus();
    }
    quoted.push_back(Quote(n.name));
  }
  return f.Expected(Cat("one of ", Join(quoted, ", ")));
}

template <typename E, size_t N>
std::string EnumText(const EnumName<E> (&names)[N], E value) {
  for (const EnumName<E>& n : names) {
    if (n.value == value) {
      return Quote(n.name);
    }
  }
  return Quote("?");
}

constexpr EnumName<Family> kFamilies[] = {
    {"any", Family::kAny}, {"ipv4", Family::kIpv4}, {"ipv6", Family::kIpv6}};
// usl and find-max are recognised (to say they are not available yet), not accepted.
constexpr EnumName<LoadModel> kModels[] = {{"rps", LoadModel::kRps},
                                           {"instances", LoadModel::kInstances},
                                           {"stpd", LoadModel::kStpd},
                                           {"usl", LoadModel::kUsl},
                                           {"find-max", LoadModel::kFindMax}};
constexpr EnumName<Overload> kOverloads[] = {{"delay", Overload::kDelay},
                                             {"drop", Overload::kDrop}};
constexpr EnumName<AnswLevel> kAnswLevels[] = {{"none", AnswLevel::kNone},
                                               {"errors", AnswLevel::kErrors},
                                               {"warnings", AnswLevel::kWarnings},
                                               {"all", AnswLevel::kAll}};
constexpr EnumName<AmmoFormat> kFormats[] = {
    {"auto", AmmoFormat::kAuto},     {"phantom", AmmoFormat::kPhantom},
    {"uri", AmmoFormat::kUri},       {"uripost", AmmoFormat::kUriPost},
    {"access", AmmoFormat::kAccess}, {"jsonline", AmmoFormat::kJsonLine},
    {"stpd", AmmoFormat::kStpd},     {"ammo", AmmoFormat::kAmmo}};

// ---- value checks shared by several keys ---------------------------------------------------

bool IsIpv4(std::string_view s) {
  in_addr a;
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool IsIpv6(std::string_view s) {
  in6_addr a;
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

enum class HostKind { kName, kIpv4, kIpv6 };

// host:port | [v6]:port (syntax only; names are resolved at run start). Returns an error
// description or "", and what the host is.
std::string CheckAddress(std::string_view a, HostKind* kind) {
  constexpr std::string_view kExpected = "expected host:port or [v6]:port";
  std::string_view host;
  std::string_view port;
  if (StartsWith(a, "[")) {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) {
      return Cat(kExpected, ", got ", Shown(a), " (no closing ']')");
    }
    std::string_view v6 = a.substr(1, close - 1);
    const size_t zone = v6.find('%');
    if (!IsIpv6(v6.substr(0, zone)) || (zone != std::string_view::npos && zone + 1 == v6.size())) {
      return Cat(kExpected, ", got ", Shown(a), " (not an IPv6 address inside [])");
    }
    if (a.substr(close + 1, 1) != ":") {
      return Cat(kExpected, ", got ", Shown(a), " (a port is required: [", v6, "]:80)");
    }
    *kind = HostKind::kIpv6;
    host = v6;
    port = a.substr(close + 2);
  } else {
    const size_t colon = a.rfind(':');
    if (colon == std::string_view::npos) {
      return Cat(kExpected, ", got ", Shown(a), " (a port is required, e.g. ",
                 a.empty() ? "example.com" : a, ":80)");
    }
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Cat(kExpected, ", got ", Shown(a), " (an IPv6 address needs brackets: [::1]:80)");
    }
    if (host.empty()) {
      return Cat(kExpected, ", got ", Shown(a), " (empty host)");
    }
    const bool numeric = std::all_of(host.begin(), host.end(),
                                     [](char c) { return absl::ascii_isdigit(c) || c == '.'; });
    if (numeric) {
      if (!IsIpv4(host)) {
        return Cat(kExpected, ", got ", Shown(a), " (not an IPv4 address)");
      }
      *kind = HostKind::kIpv4;
    } else {
      // RFC 1123 names (plus '_', seen in internal DNS): labels of 1..63 characters.
      bool ok = host.size() <= 253;
      size_t label = 0;
      for (size_t k = 0; k < host.size() && ok; ++k) {
        const char c = host[k];
        if (c == '.') {
          ok = label > 0;
          label = 0;
        } else if (absl::ascii_isalnum(c) || c == '-' || c == '_') {
          ok = ++label <= 63;
        } else {
          ok = false;
        }
      }
      if (!ok) {
        return Cat(kExpected, ", got ", Shown(a), " (not a valid host name)");
      }
      *kind = HostKind::kName;
    }
  }
  uint32_t port_num = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return absl::ascii_isdigit(c); }) ||
      !Atoi(port, &port_num) || port_num < 1 || port_num > 65535) {
    return Cat(kExpected, ", got ", Shown(a), " (port must be 1..65535)");
  }
  return "";
}

std::string CheckIp(std::string* s) {
  if (IsIpv4(*s) || IsIpv6(*s)) {
    return "";
  }
  return Cat("expected an IPv4 or IPv6 address, got ", Shown(*s));
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// "Name: value" or "[Name: value]" (Tank: strip "\r\n[]\t " from both ends, split at the
// first ':', strip both halves). Normalised to "Name: value".
std::string CheckHeader(std::string* s) {
  std::string_view t = *s;
  auto strip = [](char c) { return c != '\0' && std::strchr("\r\n[]\t ", c) != nullptr; };
  while (!t.empty() && strip(t.front())) {
    t.remove_prefix(1);
  }
  while (!t.empty() && strip(t.back())) {
    t.remove_suffix(1);
  }
  // A control byte (CR, LF, VT, NUL, ...; a tab is white space) left after Tank's strip would
  // split or bend the request on the wire; trimming it instead would also make the
  // normalisation below depend on it (not idempotent), so it is refused.
  if (std::any_of(t.begin(), t.end(), [](char c) { return c != '\t' && HasControl({&c, 1}); })) {
    return Cat(
        "header value must not contain control characters (CR, LF, vertical tab, ...), "
        "got ",
        Shown(*s));
  }
  const size_t colon = t.find(':');
  if (colon == std::string_view::npos) {
    return Cat("expected \"Name: value\" or \"[Name: value]\", got ", Shown(*s), " (no ':')");
  }
  std::string_view name = Trim(t.substr(0, colon));
  std::string_view value = Trim(t.substr(colon + 1));
  // RFC 9110 token characters.
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
  });
  if (!name_ok) {
    return Cat("expected \"Name: value\" with a header name of token characters, got ", Shown(*s));
  }
  if (HasControl(value)) {
    return Cat("header value must not contain control characters (CR, LF, ...), got ", Shown(*s));
  }
  *s = Cat(name, ": ", value);
  return "";
}

std::string CheckUri(std::string* s) {
  if (s->empty() || HasControl(*s)) {
    return Cat("expected a non-empty URI without control characters, got ", Shown(*s));
  }
  return "";
}

std::string CheckTag(std::string* s) {
  if (s->empty() || std::any_of(s->begin(), s->end(), [](char c) {
        return absl::ascii_isspace(c) || absl::ascii_iscntrl(c);
      })) {
    return Cat("expected a tag (non-empty, no spaces), got ", Shown(*s));
  }
  return "";
}

// autostop.criteria: Tank's syntax (src/plan/criterion.h); the message names the position.
std::string CheckCriterion(std::string* s) {
  absl::StatusOr<Criterion> c = ParseCriterion(*s, true);
  return c.ok() ? std::string() : std::string(c.status().message());
}

absl::Status GetNonEmpty(const Field& f, std::string_view what, std::string* out) {
  std::string s;
  RETURN_IF_ERROR(GetString(f, &s));
  if (s.empty()) {
    return f.Expected(what);
  }
  *out = std::move(s);
  return absl::OkStatus();
}

std::string FormatAutocases(const std::string& a) {
  uint64_t n = 0;
  if (Atoi(a, &n)) {
    return Cat(n);
  }
  return Quote(a);
}

std::string FormatHits(const HitsKeep& h) {
  switch (h.mode) {
    case HitsKeep::Mode::kAll:
      return Quote("all");
    case HitsKeep::Mode::kErrors:
      return Quote("errors");
    case HitsKeep::Mode::kSample:
      return Quote(Cat("sample:", h.every));
  }
  return Quote("all");
}

std::string Bool(bool b) { return b ? "true" : "false"; }

// ---- the schema ----------------------------------------------------------------------------

// TOML value kinds a key takes. Used by --set: a VALUE that parses as TOML but as a kind the
// key does not take is used as a bare string when the key takes strings (--set
// ammo.http_version=1.0 is the string "1.0", not the float 1.0).
enum Accept : unsigned {
  kString = 1,
  kInteger = 2,
  kFloat = 4,
  kBoolean = 8,
  kArray = 16,
  kStringList = 32,  // an array of strings; --set also takes one string as a 1-item list
};

struct KeySpec {
  std::string_view name;
  unsigned accept;
  absl::Status (*parse)(const Field& f, Plan* p);
  std::string (*format)(const Plan& p);  // the TOML value, e.g. "\"11s\"" or "1000"
};

struct SectionSpec {
  std::string_view path;  // "target.http"
  std::span<const KeySpec> keys;
};

const KeySpec kTargetKeys[] = {
    {"address", kString,
     [](const Field& f, Plan* p) {
       std::string s;
       RETURN_IF_ERROR(GetString(f, &s));
       HostKind kind;
       if (std::string err = CheckAddress(s, &kind); !err.empty()) {
         return f.Error(err);
       }
       p->target.address = std::move(s);
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.target.address); }},
    {"family", kString,
     [](const Field& f, Plan* p) { return GetEnum(f, kFamilies, &p->target.family); },
     [](const Plan& p) { return EnumText(kFamilies, p.target.family); }},
    {"nib", kString,
     [](const Field& f, Plan* p) {
       std::string s;
       RETURN_IF_ERROR(GetString(f, &s));
       const bool plugin = s.size() > 3 && EndsWith(s, ".so") && !HasControl(s);
       if (!IsBuiltinNib(s) && !plugin) {
         return f.Expected(
             Cat(BuiltinNibChoices(), " or the path of a nib plugin ending in \".so\""));
       }
       p->target.nib = std::move(s);
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.target.nib); }},
    {"timeout", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, 1, kMaxTimeoutNs, false, &p->target.timeout_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.target.timeout_ns)); }},
    {"source_ips", kArray | kStringList,
     [](const Field& f, Plan* p) { return GetStringList(f, CheckIp, &p->target.source_ips); },
     [](const Plan& p) { return QuoteList(p.target.source_ips); }},
};

const KeySpec kDummyKeys[] = {
    {"latency", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, 0, kMaxTimeoutNs, false, &p->target.dummy.latency_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.target.dummy.latency_ns)); }},
};

const KeySpec kHttpKeys[] = {
    {"max_line", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 1, UINT32_MAX, &p->target.http.max_line); },
     [](const Plan& p) { return Cat(p.target.http.max_line); }},
    {"max_field_num", kInteger,
     [](const Field& f, Plan* p) {
       return GetUint(f, 1, UINT32_MAX, &p->target.http.max_field_num);
     },
     [](const Plan& p) { return Cat(p.target.http.max_field_num); }},
    {"max_field", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 1, UINT32_MAX, &p->target.http.max_field); },
     [](const Plan& p) { return Cat(p.target.http.max_field); }},
    {"max_entity", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 0, INT64_MAX, &p->target.http.max_entity); },
     [](const Plan& p) { return Cat(p.target.http.max_entity); }},
    {"max_requests_per_connection", kInteger,
     [](const Field& f, Plan* p) {
       return GetUint(f, 0, UINT32_MAX, &p->target.http.max_requests_per_connection);
     },
     [](const Plan& p) { return Cat(p.target.http.max_requests_per_connection); }},
    {"preconnect", kBoolean,
     [](const Field& f, Plan* p) { return GetBool(f, &p->target.http.preconnect); },
     [](const Plan& p) { return Bool(p.target.http.preconnect); }},
    {"announce_close", kBoolean,
     [](const Field& f, Plan* p) { return GetBool(f, &p->target.http.announce_close); },
     [](const Plan& p) { return Bool(p.target.http.announce_close); }},
};

// A plain string key of [target.tls] (file names, cipher list, SNI): any string without
// control characters.
absl::Status GetTlsString(const Field& f, std::string* out) {
  std::string s;
  RETURN_IF_ERROR(GetString(f, &s));
  if (HasControl(s)) {
    return f.Expected("a string without control characters");
  }
  *out = std::move(s);
  return absl::OkStatus();
}

const KeySpec kTlsKeys[] = {
    {"sni", kString, [](const Field& f, Plan* p) { return GetTlsString(f, &p->target.tls.sni); },
     [](const Plan& p) { return Quote(p.target.tls.sni); }},
    {"verify", kBoolean, [](const Field& f, Plan* p) { return GetBool(f, &p->target.tls.verify); },
     [](const Plan& p) { return Bool(p.target.tls.verify); }},
    {"ca_file", kString,
     [](const Field& f, Plan* p) { return GetTlsString(f, &p->target.tls.ca_file); },
     [](const Plan& p) { return Quote(p.target.tls.ca_file); }},
    {"cert_file", kString,
     [](const Field& f, Plan* p) { return GetTlsString(f, &p->target.tls.cert_file); },
     [](const Plan& p) { return Quote(p.target.tls.cert_file); }},
    {"key_file", kString,
     [](const Field& f, Plan* p) { return GetTlsString(f, &p->target.tls.key_file); },
     [](const Plan& p) { return Quote(p.target.tls.key_file); }},
    {"ciphers", kString,
     [](const Field& f, Plan* p) { return GetTlsString(f, &p->target.tls.ciphers); },
     [](const Plan& p) { return Quote(p.target.tls.ciphers); }},
    {"alpn", kString, [](const Field& f, Plan* p) { return GetTlsString(f, &p->target.tls.alpn); },
     [](const Plan& p) { return Quote(p.target.tls.alpn); }},
    {"resume", kBoolean, [](const Field& f, Plan* p) { return GetBool(f, &p->target.tls.resume); },
     [](const Plan& p) { return Bool(p.target.tls.resume); }},
    {"min_version", kString,
     [](const Field& f, Plan* p) {
       const auto* s = f.node->as_string();
       if (s == nullptr || (s->get() != "1.2" && s->get() != "1.3")) {
         return f.Expected("\"1.2\" or \"1.3\"");
       }
       p->target.tls.min_version = s->get();
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.target.tls.min_version); }},
    {"aes_ni", kBoolean, [](const Field& f, Plan* p) { return GetBool(f, &p->target.tls.aes_ni); },
     [](const Plan& p) { return Bool(p.target.tls.aes_ni); }},
};

const KeySpec kAmmoKeys[] = {
    {"file", kString,
     [](const Field& f, Plan* p) {
       std::string s;
       RETURN_IF_ERROR(GetString(f, &s));
       if (HasControl(s)) {
         return f.Expected("a file name without control characters");
       }
       p->ammo.file = std::move(s);
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.ammo.file); }},
    {"uris", kArray | kStringList,
     [](const Field& f, Plan* p) { return GetStringList(f, CheckUri, &p->ammo.uris); },
     [](const Plan& p) { return QuoteList(p.ammo.uris); }},
    {"format", kString,
     [](const Field& f, Plan* p) { return GetEnum(f, kFormats, &p->ammo.format); },
     [](const Plan& p) { return EnumText(kFormats, p.ammo.format); }},
    {"headers", kArray | kStringList,
     [](const Field& f, Plan* p) { return GetStringList(f, CheckHeader, &p->ammo.headers); },
     [](const Plan& p) { return QuoteList(p.ammo.headers); }},
    {"http_version", kString,
     [](const Field& f, Plan* p) {
       const auto* s = f.node->as_string();
       if (s == nullptr || (s->get() != "1.0" && s->get() != "1.1")) {
         return f.Expected("\"1.0\" or \"1.1\"");
       }
       p->ammo.http_version = s->get();
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.ammo.http_version); }},
    {"loop", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 0, INT64_MAX, &p->ammo.loop); },
     [](const Plan& p) { return Cat(p.ammo.loop); }},
    {"limit", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 0, INT64_MAX, &p->ammo.limit); },
     [](const Plan& p) { return Cat(p.ammo.limit); }},
    {"autocases", kString | kInteger,
     [](const Field& f, Plan* p) {
       constexpr std::string_view kExpected =
           "0, a number of path segments N ≥ 1, \"uri\" or \"uniq\"";
       uint32_t n = 0;
       if (const auto* i = f.node->as_integer()) {
         if (i->get() < 0 || i->get() > UINT32_MAX) {
           return f.Expected(kExpected);
         }
         p->ammo.autocases = Cat(i->get());
         return absl::OkStatus();
       }
       const auto* s = f.node->as_string();
       if (s != nullptr && (s->get() == "uri" || s->get() == "uniq")) {
         p->ammo.autocases = s->get();
         return absl::OkStatus();
       }
       if (s != nullptr && !s->get().empty() &&
           std::all_of(s->get().begin(), s->get().end(),
                       [](char c) { return absl::ascii_isdigit(c); }) &&
           Atoi(s->get(), &n)) {
         p->ammo.autocases = Cat(n);
         return absl::OkStatus();
       }
       return f.Expected(kExpected);
     },
     [](const Plan& p) { return FormatAutocases(p.ammo.autocases); }},
    {"chosen_cases", kArray | kStringList,
     [](const Field& f, Plan* p) { return GetStringList(f, CheckTag, &p->ammo.chosen_cases); },
     [](const Plan& p) { return QuoteList(p.ammo.chosen_cases); }},
    {"shared", kBoolean, [](const Field& f, Plan* p) { return GetBool(f, &p->ammo.shared); },
     [](const Plan& p) { return Bool(p.ammo.shared); }},
};

// A positive finite number (integer or float) in [lo, hi].
absl::Status GetPositive(const Field& f, double lo, double hi, double* out) {
  double v = 0;
  if (const auto* i = f.node->as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* d = f.node->as_floating_point()) {
    v = d->get();
  } else {
    return f.Expected(Cat("a number ≥ ", lo, " and ≤ ", hi));
  }
  if (!std::isfinite(v) || v < lo || v > hi) {
    return f.Expected(Cat("a number ≥ ", lo, " and ≤ ", hi));
  }
  *out = v;
  return absl::OkStatus();
}

std::string FormatNumber(double v) {
  char buf[64];
  // Whole numbers as integers ("200000", not the shortest form "2e+05").
  const bool whole = v == std::floor(v) && std::fabs(v) < 1e15;
  const std::to_chars_result r =
      whole ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed)
            : std::to_chars(buf, buf + sizeof(buf), v);
  std::string out(buf, r.ptr);
  return out;
}

// load.find_max.precision: "5%" or a fraction (0.05), in (0, 1).
absl::Status GetPrecision(const Field& f, double* out) {
  constexpr std::string_view kExpected = "a share such as \"5%\" or 0.05 (more than 0, below 1)";
  double v = 0;
  if (const auto* s = f.node->as_string()) {
    std::string_view t = s->get();
    if (!EndsWith(t, "%") || !absl::SimpleAtod(AbslView(t.substr(0, t.size() - 1)), &v)) {
      return f.Expected(kExpected);
    }
    v /= 100;
  } else if (const auto* d = f.node->as_floating_point()) {
    v = d->get();
  } else {
    return f.Expected(kExpected);
  }
  if (!std::isfinite(v) || v <= 0 || v >= 1) {
    return f.Expected(kExpected);
  }
  *out = v;
  return absl::OkStatus();
}

std::string CheckUslInstances(std::string* s) {
  absl::StatusOr<std::vector<uint32_t>> n = ParseUslInstances(*s);
  return n.ok() ? std::string() : std::string(StdView(n.status().message()));
}

const KeySpec kFindMaxKeys[] = {
    {"start_rps", kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetPositive(f, 0.001, 1e8, &p->load.find_max.start_rps);
     },
     [](const Plan& p) { return FormatNumber(p.load.find_max.start_rps); }},
    {"max_rps", kInteger | kFloat,
     [](const Field& f, Plan* p) { return GetPositive(f, 0.001, 1e8, &p->load.find_max.max_rps); },
     [](const Plan& p) { return FormatNumber(p.load.find_max.max_rps); }},
    {"step_duration", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, kNsPerSec, 24 * 3600 * kNsPerSec, false,
                          &p->load.find_max.step_duration_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.load.find_max.step_duration_ns)); }},
    {"warmup", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, 0, 24 * 3600 * kNsPerSec, false, &p->load.find_max.warmup_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.load.find_max.warmup_ns)); }},
    {"factor", kInteger | kFloat,
     [](const Field& f, Plan* p) { return GetPositive(f, 1.01, 100, &p->load.find_max.factor); },
     [](const Plan& p) { return FormatNumber(p.load.find_max.factor); }},
    {"precision", kString | kFloat,
     [](const Field& f, Plan* p) { return GetPrecision(f, &p->load.find_max.precision); },
     // As a fraction: a percentage would not round-trip exactly.
     [](const Plan& p) { return Quote(FormatNumber(p.load.find_max.precision * 100) + "%"); }},
    {"slo", kArray | kStringList,
     [](const Field& f, Plan* p) { return GetStringList(f, nullptr, &p->load.find_max.slo); },
     [](const Plan& p) { return QuoteList(p.load.find_max.slo); }},
};

const KeySpec kUslKeys[] = {
    {"instances", kString,
     [](const Field& f, Plan* p) {
       RETURN_IF_ERROR(GetString(f, &p->load.usl.instances));
       if (std::string err = CheckUslInstances(&p->load.usl.instances); !err.empty()) {
         return f.Error(err);
       }
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.load.usl.instances); }},
    {"step_duration", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, kNsPerSec, 24 * 3600 * kNsPerSec, false,
                          &p->load.usl.step_duration_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.load.usl.step_duration_ns)); }},
    {"warmup", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, 0, 24 * 3600 * kNsPerSec, false, &p->load.usl.warmup_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.load.usl.warmup_ns)); }},
    {"slo", kArray | kStringList,
     [](const Field& f, Plan* p) { return GetStringList(f, nullptr, &p->load.usl.slo); },
     [](const Plan& p) { return QuoteList(p.load.usl.slo); }},
};

const KeySpec kLoadKeys[] = {
    {"model", kString, [](const Field& f, Plan* p) { return GetEnum(f, kModels, &p->load.model); },
     [](const Plan& p) { return EnumText(kModels, p.load.model); }},
    {"schedule", kString,
     // Parsed against the model in the cross-key checks (the model may come later).
     [](const Field& f, Plan* p) { return GetString(f, &p->load.schedule); },
     [](const Plan& p) { return Quote(p.load.schedule); }},
    {"instances", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 1, kMaxInstances, &p->load.instances); },
     [](const Plan& p) { return Cat(p.load.instances); }},
    {"overload", kString,
     [](const Field& f, Plan* p) { return GetEnum(f, kOverloads, &p->load.overload); },
     [](const Plan& p) { return EnumText(kOverloads, p.load.overload); }},
    {"duration", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, 0, INT64_MAX, true, &p->load.duration_ns);
     },
     [](const Plan& p) {
       return p.load.duration_ns == 0 ? Quote("") : Quote(FormatDuration(p.load.duration_ns));
     }},
    {"pacing", kString | kInteger | kFloat,
     [](const Field& f, Plan* p) {
       return GetDuration(f, 0, kMaxPacingNs, false, &p->load.pacing_ns);
     },
     [](const Plan& p) { return Quote(FormatDuration(p.load.pacing_ns)); }},
};

const KeySpec kWorkersKeys[] = {
    {"threads", kInteger,
     [](const Field& f, Plan* p) { return GetUint(f, 0, kMaxThreads, &p->workers.threads); },
     [](const Plan& p) { return Cat(p.workers.threads); }},
    {"pin", kBoolean | kString,
     [](const Field& f, Plan* p) {
       if (const auto* b = f.node->as_boolean(); b != nullptr) {
         p->workers.pin = b->get() ? PinMode::kOn : PinMode::kOff;
         return absl::OkStatus();
       }
       if (const auto* s = f.node->as_string(); s != nullptr && s->get() == "auto") {
         p->workers.pin = PinMode::kAuto;
         return absl::OkStatus();
       }
       return f.Expected("true, false or \"auto\"");
     },
     [](const Plan& p) {
       return p.workers.pin == PinMode::kAuto ? Quote("auto") : Bool(p.workers.pin == PinMode::kOn);
     }},
};

const KeySpec kResultsKeys[] = {
    {"dir", kString,
     [](const Field& f, Plan* p) {
       std::string s;
       RETURN_IF_ERROR(GetNonEmpty(f, "a directory name", &s));
       if (HasControl(s)) {
         return f.Expected("a directory name without control characters");
       }
       p->results.dir = std::move(s);
       return absl::OkStatus();
     },
     [](const Plan& p) { return Quote(p.results.dir); }},
    {"answ", kString,
     [](const Field& f, Plan* p) { return GetEnum(f, kAnswLevels, &p->results.answ); },
     [](const Plan& p) { return EnumText(kAnswLevels, p.results.answ); }},
    {"phout", kBoolean, [](const Field& f, Plan* p) { return GetBool(f, &p->results.phout); },
     [](const Plan& p) { return Bool(p.results.phout); }},
    {"html", kBoolean, [](const Field& f, Plan* p) { return GetBool(f, &p->results.html); },
     [](const Plan& p) { return Bool(p.results.html); }},
    {"hits", kString,
     [](const Field& f, Plan* p) {
       constexpr std::string_view kExpected =
           "\"all\", \"errors\" or \"sample:N\" (N ≥ 1: keep every N-th success and all errors)";
       const auto* s = f.node->as_string();
       if (s == nullptr) {
         return f.Expected(kExpected);
       }
       const std::string& v = s->get();
       uint32_t n = 0;
       if (v == "all") {
         p->results.hits = HitsKeep{HitsKeep::Mode::kAll, 1};
       } else if (v == "errors") {
         p->results.hits = HitsKeep{HitsKeep::Mode::kErrors, 1};
       } else if (StartsWith(v, "sample:") && v.size() > 7 &&
                  std::all_of(v.begin() + 7, v.end(),
                              [](char c) { return absl::ascii_isdigit(c); }) &&
                  Atoi(std::string_view(v).substr(7), &n) && n >= 1) {
         p->results.hits = HitsKeep{HitsKeep::Mode::kSample, n};
       } else {
         return f.Expected(kExpected);
       }
       return absl::OkStatus();
     },
     [](const Plan& p) { return FormatHits(p.results.hits); }},
};

const KeySpec kAutostopKeys[] = {
    {"criteria", kArray | kStringList,
     [](const Field& f, Plan* p) {
       return GetStringList(f, CheckCriterion, &p->autostop.criteria);
     },
     [](const Plan& p) { return QuoteList(p.autostop.criteria); }},
};

// In docs/design.md §6 order; a parent comes before its sub-tables.
const SectionSpec kSections[] = {
    {"target", kTargetKeys},
    {"target.dummy", kDummyKeys},
    {"target.http", kHttpKeys},
    {"target.tls", kTlsKeys},
    {"ammo", kAmmoKeys},
    {"load", kLoadKeys},
    {"load.find_max", kFindMaxKeys},
    {"load.usl", kUslKeys},
    {"workers", kWorkersKeys},
    {"results", kResultsKeys},
    {"autostop", kAutostopKeys},
    // Any key (an external nib's own): no KeySpec, read by PlanReader::ReadParams.
    {"target.params", {}},
};
constexpr std::string_view kParamsPath = "target.params";
// [[rules]] and [scenario]: read by scenario::ReadRulesToml / ReadScenarioToml
// (docs/scenario.md).
constexpr std::string_view kRulesKey = "rules";
constexpr std::string_view kScenarioKey = "scenario";

// A [target.params] value as the string the nib gets: strings as they are, numbers and
// booleans as TOML writes them. Arrays, tables and dates are refused, and so is a NUL
// character (the nib reads NUL-terminated strings).
absl::Status ParamText(const Field& f, std::string* out) {
  const toml::node& n = *f.node;
  if (const auto* s = n.as_string()) {
    *out = s->get();
  } else if (const auto* i = n.as_integer()) {
    *out = std::to_string(i->get());
  } else if (const auto* d = n.as_floating_point()) {
    char buf[64];
    const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), d->get());
    *out = std::string(buf, r.ptr);
  } else if (const auto* b = n.as_boolean()) {
    *out = b->get() ? "true" : "false";
  } else {
    return f.Expected("a string, a number or true/false (a key for an external nib)");
  }
  if (out->find('\0') != std::string::npos) {
    return f.Error("a NUL character cannot reach the nib (its keys are C strings)");
  }
  return absl::OkStatus();
}

// A [target.params] key as TOML writes it: bare when it can be.
std::string ParamKey(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : Quote(key);
}

const SectionSpec* FindSection(std::string_view path) {
  for (const SectionSpec& s : kSections) {
    if (s.path == path) {
      return &s;
    }
  }
  return nullptr;
}

const KeySpec* FindKey(const SectionSpec& section, std::string_view name) {
  for (const KeySpec& k : section.keys) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

// Direct sub-tables of `path` ("" = the root).
std::vector<std::string_view> SubSections(std::string_view path) {
  std::vector<std::string_view> out;
  for (const SectionSpec& s : kSections) {
    std::string_view p = s.path;
    if (path.empty()) {
      if (p.find('.') == std::string_view::npos) {
        out.push_back(p);
      }
    } else if (p.size() > path.size() + 1 && StartsWith(p, path) && p[path.size()] == '.' &&
               p.substr(path.size() + 1).find('.') == std::string_view::npos) {
      out.push_back(p.substr(path.size() + 1));
    }
  }
  if (path.empty()) {
    out.push_back(kRulesKey);
    out.push_back(kScenarioKey);
  }
  return out;
}

// "(valid keys: a, b; tables: [x.y]) — did you mean 'adress'?"
std::string ValidList(std::string_view path, std::string_view wrong) {
  std::vector<std::string_view> names;
  std::vector<std::string> tables;
  if (const SectionSpec* s = FindSection(path)) {
    for (const KeySpec& k : s->keys) {
      names.push_back(k.name);
    }
  }
  for (std::string_view sub : SubSections(path)) {
    tables.push_back(path.empty() ? Cat("[", sub, "]") : Cat("[", path, ".", sub, "]"));
    names.push_back(sub);
  }
  std::string out;
  if (path.empty()) {
    out = Cat("valid tables: ", Join(tables, ", "));
  } else {
    std::vector<std::string_view> keys(names.begin(), names.end() - tables.size());
    out = Cat("valid keys: ", Join(keys, ", "));
    if (!tables.empty()) {
      Append(&out, "; tables: ", Join(tables, ", "));
    }
  }
  std::string_view best;
  size_t best_d = 3;
  for (std::string_view n : names) {
    const size_t d = EditDistance(wrong, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  if (!best.empty()) {
    Append(&out, "; did you mean '", best, "'?");
  }
  return out;
}

// ---- the reader ----------------------------------------------------------------------------

class PlanReader {
 public:
  PlanReader(std::string_view doc, std::string_view name) : doc_(doc), name_(name) {}

  absl::Status Parse() {
    ASSIGN_OR_RETURN(root_, ParseToml(doc_, name_));
    return absl::OkStatus();
  }

  // "section.key=VALUE" → an override node for that key (last one wins).
  absl::Status AddOverride(const std::string& arg) {
    const std::string where = Cat("--set ", arg);
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          Cat(where, ": expected KEY=VALUE, e.g. --set load.instances=100"));
    }
    const std::string key(Trim(std::string_view(arg).substr(0, eq)));
    const std::string_view value = std::string_view(arg).substr(eq + 1);
    if (FindSection(key) != nullptr) {
      return absl::InvalidArgumentError(Cat(where, ": [", key,
                                            "] is a table; set its keys one at a time (",
                                            ValidList(key, ""), ")"));
    }
    const size_t dot = key.rfind('.');
    const SectionSpec* section =
        dot == std::string::npos ? nullptr : FindSection(std::string_view(key).substr(0, dot));
    if (section == nullptr) {
      return absl::InvalidArgumentError(
          Cat(where, ": unknown key '", key, "': KEY is section.key, e.g. load.schedule (",
              ValidList("", key.substr(0, dot == std::string::npos ? key.size() : dot)), ")"));
    }
    const std::string_view leaf = std::string_view(key).substr(dot + 1);
    if (section->path == kParamsPath) {
      // Any key; VALUE as a TOML string, number or boolean, else as a bare string.
      absl::StatusOr<toml::table> parsed = ParseToml(Cat("v = ", value), where);
      if (!parsed.ok() || parsed->size() != 1 || parsed->get("v") == nullptr ||
          !(parsed->get("v")->is_string() || parsed->get("v")->is_number() ||
            parsed->get("v")->is_boolean())) {
        parsed = ParseToml(Cat("v = ", Quote(value)), where);
        if (!parsed.ok()) {
          return absl::InvalidArgumentError(Cat(where, ": ", key, ": VALUE is not valid UTF-8"));
        }
      }
      overrides_.insert_or_assign(key, Override{where, std::move(*parsed)});
      return absl::OkStatus();
    }
    const KeySpec* spec = FindKey(*section, leaf);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(Cat(where, ": unknown key '", leaf, "' in [", section->path,
                                            "] (", ValidList(section->path, leaf), ")"));
    }
    // VALUE as a TOML value; else (or when the key takes strings and VALUE is another kind)
    // as a bare string.
    absl::StatusOr<toml::table> parsed = ParseToml(Cat("v = ", value), where);
    bool use = false;
    if (parsed.ok() && parsed->size() == 1 && parsed->get("v") != nullptr) {
      const toml::node& v = *parsed->get("v");
      const bool fits = (v.is_string() && (spec->accept & kString)) ||
                        (v.is_integer() && (spec->accept & kInteger)) ||
                        (v.is_floating_point() && (spec->accept & kFloat)) ||
                        (v.is_boolean() && (spec->accept & kBoolean)) ||
                        (v.is_array() && (spec->accept & kArray)) ||
                        (v.is_string() && (spec->accept & kStringList));
      use = fits || (spec->accept & (kString | kStringList)) == 0;
    }
    if (!use) {
      parsed = ParseToml(Cat("v = ", Quote(value)), where);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(Cat(where, ": ", key, ": VALUE is not valid UTF-8"));
      }
    }
    if ((spec->accept & kStringList) && parsed->get("v")->is_string()) {
      toml::array one;
      one.push_back(parsed->get("v")->as_string()->get());
      parsed->insert_or_assign("v", std::move(one));
    }
    overrides_.insert_or_assign(key, Override{where, std::move(*parsed)});
    return absl::OkStatus();
  }

  absl::StatusOr<Plan> Read() {
    Plan plan;
    plan.source_path = name_;
    RETURN_IF_ERROR(CheckUnknown(root_, ""));
    for (const SectionSpec& section : kSections) {
      const toml::table* table = nullptr;
      RETURN_IF_ERROR(FindTable(section.path, &table));
      if (table != nullptr) {
        if (section.path != kParamsPath) {
          RETURN_IF_ERROR(CheckUnknown(*table, section.path));
        }
        tables_[std::string(section.path)] = table;
      }
      for (const KeySpec& key : section.keys) {
        const std::string full = Cat(section.path, ".", key.name);
        Field f;
        f.key = full;
        f.name = name_;
        if (auto it = overrides_.find(full); it != overrides_.end()) {
          f.node = it->second.holder.get("v");
          f.where = it->second.where;
          f.order = UINT64_MAX;
        } else if (table != nullptr && table->get(key.name) != nullptr) {
          f.node = table->get(key.name);
          f.where = Pos(f.node->source());
          f.doc = doc_;
          f.order = uint64_t{f.node->source().begin.line} << 32 | f.node->source().begin.column;
        } else {
          continue;
        }
        RETURN_IF_ERROR(key.parse(f, &plan));
        fields_[full] = std::move(f);
      }
    }
    RETURN_IF_ERROR(ReadParams(&plan));
    RETURN_IF_ERROR(scenario::ReadScenarioKeys(root_, name_, &plan));
    RETURN_IF_ERROR(CrossCheck(&plan));
    return plan;
  }

 private:
  struct Override {
    std::string where;
    toml::table holder;  // { v = VALUE }
  };

  std::string Pos(const toml::source_region& r) const {
    return Cat(name_, ":", std::max<uint32_t>(r.begin.line, 1), ":",
               std::max<uint32_t>(r.begin.column, 1));
  }

  // Where to point for a key that may not be set: the key itself, else its table's header,
  // else the start of the file.
  std::string Where(std::string_view full_key) const {
    if (auto it = fields_.find(full_key); it != fields_.end()) {
      return it->second.where;
    }
    const std::string_view section = full_key.substr(0, full_key.rfind('.'));
    if (auto it = tables_.find(section);
        it != tables_.end() && it->second->source().begin.line > 0) {
      return Pos(it->second->source());
    }
    return Cat(name_, ":1:1");
  }

  absl::Status ErrorAt(std::string_view full_key, std::string_view what) const {
    return absl::InvalidArgumentError(Cat(Where(full_key), ": ", full_key, ": ", what));
  }

  bool IsSet(std::string_view full_key) const { return fields_.count(full_key) > 0; }

  // The table at a dotted section path, or nullptr when absent; an error when something
  // other than a table sits there (e.g. `target = "x"`).
  absl::Status FindTable(std::string_view path, const toml::table** out) const {
    const toml::table* t = &root_;
    size_t start = 0;
    while (t != nullptr) {
      const size_t dot = path.find('.', start);
      const std::string_view part = path.substr(start, dot - start);
      const toml::node* n = t->get(part);
      if (n == nullptr) {
        t = nullptr;
        break;
      }
      if (!n->is_table()) {
        return absl::InvalidArgumentError(Cat(Pos(n->source()), ": ", path.substr(0, dot),
                                              ": expected a table [", path.substr(0, dot), "], ",
                                              Got(*n)));
      }
      t = n->as_table();
      if (dot == std::string_view::npos) {
        break;
      }
      start = dot + 1;
    }
    *out = t;
    return absl::OkStatus();
  }

  // Every key of `table` (at section `path`, "" = root) must be a key or sub-table we know.
  absl::Status CheckUnknown(const toml::table& table, std::string_view path) const {
    const SectionSpec* section = path.empty() ? nullptr : FindSection(path);
    const std::vector<std::string_view> subs = SubSections(path);
    for (auto&& [k, v] : table) {
      const std::string_view name = k.str();
      if ((section != nullptr && FindKey(*section, name) != nullptr) ||
          std::find(subs.begin(), subs.end(), name) != subs.end()) {
        continue;
      }
      const std::string where = k.source().begin.line > 0 ? Pos(k.source()) : Pos(v.source());
      const std::string full = path.empty() ? std::string(name) : Cat(path, ".", name);
      if (v.is_table()) {
        return absl::InvalidArgumentError(
            Cat(where, ": unknown table [", full, "] (", ValidList(path, name), ")"));
      }
      if (path.empty()) {
        return absl::InvalidArgumentError(Cat(where, ": unknown key '", name,
                                              "' at the top level: keys belong in a table (",
                                              ValidList(path, name), ")"));
      }
      return absl::InvalidArgumentError(
          Cat(where, ": unknown key '", name, "' in [", path, "] (", ValidList(path, name), ")"));
    }
    return absl::OkStatus();
  }

  // [target.params] (any key, in key order) and --set target.params.KEY=VALUE (added or
  // replacing the file's). Only external nibs take them (CrossCheck).
  absl::Status ReadParams(Plan* plan) {
    std::map<std::string, Field, std::less<>> params;
    if (auto it = tables_.find(kParamsPath); it != tables_.end()) {
      for (auto&& [k, v] : *it->second) {
        Field f;
        f.node = &v;
        f.key = Cat(kParamsPath, ".", k.str());
        f.where = Pos(v.source());
        f.doc = doc_;
        f.name = name_;
        params[std::string(k.str())] = std::move(f);
      }
    }
    const std::string prefix = Cat(kParamsPath, ".");
    for (auto it = overrides_.lower_bound(prefix);
         it != overrides_.end() && StartsWith(it->first, prefix); ++it) {
      Field f;
      f.node = it->second.holder.get("v");
      f.key = it->first;
      f.where = it->second.where;
      f.order = UINT64_MAX;
      params[it->first.substr(prefix.size())] = std::move(f);
    }
    for (auto& [name, f] : params) {
      std::string value;
      RETURN_IF_ERROR(ParamText(f, &value));
      plan->target.params.emplace_back(name, std::move(value));
      fields_[f.key] = std::move(f);
    }
    return absl::OkStatus();
  }

  // Rules that involve more than one key, and resolution of defaults that depend on others.
  absl::Status CrossCheck(Plan* plan) {
    if (!plan->target.params.empty() && IsBuiltinNib(plan->target.nib)) {
      return ErrorAt(Cat(kParamsPath, ".", plan->target.params.front().first),
                     Cat("[target.params] is for external nibs (target.nib = the path of a "
                         ".so); the built-in nib ",
                         Quote(plan->target.nib), " takes no keys there (docs/plan.md)"));
    }
    // The address literal must agree with an explicit family.
    HostKind kind = HostKind::kName;
    if (std::string err = CheckAddress(plan->target.address, &kind); !err.empty()) {
      return ErrorAt("target.address", err);  // only reachable for a bad built-in default
    }
    if (plan->target.family == Family::kIpv4 && kind == HostKind::kIpv6) {
      return ErrorAt("target.family", Cat("\"ipv4\" contradicts the IPv6 target.address ",
                                          Quote(plan->target.address)));
    }
    if (plan->target.family == Family::kIpv6 && kind == HostKind::kIpv4) {
      return ErrorAt("target.family", Cat("\"ipv6\" contradicts the IPv4 target.address ",
                                          Quote(plan->target.address)));
    }
    // Client certificate and key come together.
    if (plan->target.tls.cert_file.empty() != plan->target.tls.key_file.empty()) {
      const char* set =
          plan->target.tls.cert_file.empty() ? "target.tls.key_file" : "target.tls.cert_file";
      const char* missing = plan->target.tls.cert_file.empty() ? "cert_file" : "key_file";
      return ErrorAt(set, Cat("a client certificate needs both cert_file and key_file; ", missing,
                              " is not set"));
    }

    // Ammo: one source at most; every nib but dummy needs one.
    AmmoPlan& ammo = plan->ammo;
    if (!ammo.file.empty() && !ammo.uris.empty()) {
      const bool uris_later = fields_.at("ammo.uris").order >= fields_.at("ammo.file").order;
      return ErrorAt(uris_later ? "ammo.uris" : "ammo.file",
                     Cat("ammo.file (", Where("ammo.file"), ") and ammo.uris (", Where("ammo.uris"),
                         ") are both set; use one of them"));
    }
    if (!ammo.uris.empty()) {
      if (ammo.format != AmmoFormat::kAuto && ammo.format != AmmoFormat::kUri) {
        return ErrorAt("ammo.format", Cat(EnumText(kFormats, ammo.format),
                                          " contradicts ammo.uris, which are always \"uri\" ammo"));
      }
      ammo.format = AmmoFormat::kUri;  // resolved: inline uris are uri ammo
    }
    const bool has_ammo = !ammo.file.empty() || !ammo.uris.empty();
    if (!has_ammo && plan->target.nib != "dummy") {
      if (IsSet("target.nib")) {
        return ErrorAt("target.nib", Cat(Quote(plan->target.nib),
                                         " needs ammo: set ammo.file or ammo.uris (only the "
                                         "dummy nib runs without ammo)"));
      }
      return absl::InvalidArgumentError(
          Cat(Where("ammo.file"), ": ammo: missing: the default nib \"", plan->target.nib,
              "\" needs ammo.file or ammo.uris (or target.nib = \"dummy\" to run without)"));
    }

    // Load: the schedule must parse for the model; stpd takes its times from the ammo.
    LoadPlan& load = plan->load;
    if (load.model == LoadModel::kUsl || load.model == LoadModel::kFindMax) {
      if (!load.schedule.empty()) {
        return ErrorAt("load.schedule",
                       Cat("must be empty with load.model = ", EnumText(kModels, load.model),
                           " (the steps come from [load.",
                           load.model == LoadModel::kUsl ? "usl" : "find_max", "])"));
      }
      if (load.model == LoadModel::kFindMax && load.find_max.max_rps < load.find_max.start_rps) {
        return ErrorAt(
            IsSet("load.find_max.max_rps") ? "load.find_max.max_rps" : "load.find_max.start_rps",
            "max_rps must be at least start_rps");
      }
      return absl::OkStatus();
    }
    if (load.model == LoadModel::kStpd) {
      if (!load.schedule.empty()) {
        return ErrorAt("load.schedule",
                       "must be empty with load.model = \"stpd\" (the planned times come from "
                       "the stpd ammo)");
      }
      const bool stpd_ammo =
          !ammo.file.empty() &&
          (ammo.format == AmmoFormat::kStpd || ammo.format == AmmoFormat::kAmmo ||
           (ammo.format == AmmoFormat::kAuto &&
            (EndsWith(ammo.file, ".stpd") || EndsWith(ammo.file, ".ammo"))));
      if (!stpd_ammo) {
        return ErrorAt("load.model",
                       "\"stpd\" needs stpd ammo: ammo.file with ammo.format = \"stpd\" (or a "
                       "compiled \"ammo\" file made from stpd; with format \"auto\" the file "
                       "name must end in .stpd or .ammo)");
      }
      return absl::OkStatus();
    }
    if (load.schedule.empty()) {
      return ErrorAt("load.schedule",
                     "missing: a plan needs a schedule, e.g. schedule = \"line(1, 100, 1m) "
                     "const(100, 5m)\" (or load.model = \"stpd\" with stpd ammo)");
    }
    absl::StatusOr<Schedule> schedule = Schedule::Parse(load.schedule, load.model);
    if (!schedule.ok()) {
      return fields_.at("load.schedule").FromColumnError(schedule.status());
    }
    if (load.model == LoadModel::kInstances) {
      // As in Tank, the instances schedule decides the instance count (its final value).
      const uint64_t n = schedule->shots();
      if (n == 0 || n > kMaxInstances) {
        return ErrorAt("load.schedule", Cat("the instances model needs 1..", kMaxInstances,
                                            " instances, this schedule starts ", n));
      }
      load.instances = static_cast<uint32_t>(n);
    }
    return absl::OkStatus();
  }

  std::string_view doc_;
  std::string name_;
  toml::table root_;
  std::map<std::string, Override, std::less<>> overrides_;
  std::map<std::string, Field, std::less<>> fields_;  // keys that were set, by full name
  std::map<std::string, const toml::table*, std::less<>> tables_;
};

}  // namespace

absl::StatusOr<Plan> LoadPlanText(std::string_view text, std::string_view name,
                                  const std::vector<std::string>& overrides) {
  PlanReader reader(text, name);
  RETURN_IF_ERROR(reader.Parse());
  for (const std::string& o : overrides) {
    RETURN_IF_ERROR(reader.AddOverride(o));
  }
  return reader.Read();
}

absl::StatusOr<Plan> LoadPlanFile(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxPlanBytes, "plan file"));
  return LoadPlanText(text, path, overrides);
}

std::string FormatPlanToml(const Plan& plan) {
  std::string out =
      Cat("# incarne ", INCARNE_VERSION, " resolved plan", plan.source_path.empty() ? "" : " from ",
          plan.source_path.empty() ? "" : Quote(plan.source_path),
          ": every key with the value in effect (docs/plan.md)\n");
  for (const SectionSpec& section : kSections) {
    Append(&out, "\n[", section.path, "]\n");
    for (const KeySpec& key : section.keys) {
      Append(&out, key.name, " = ", key.format(plan), "\n");
    }
    if (section.path == kParamsPath) {
      for (const auto& [k, v] : plan.target.params) {
        Append(&out, ParamKey(k), " = ", Quote(v), "\n");
      }
    }
  }
  Append(&out, scenario::FormatScenarioKeys(plan));
  return out;
}

absl::StatusOr<std::vector<uint32_t>> ParseUslInstances(std::string_view text) {
  constexpr std::string_view kExpected =
      "expected instance counts \"1,2,4,8\" (increasing), \"geometric(A, B, F)\" (A, A·F, … up to "
      "B) or \"linear(A, B, S)\" (A, A+S, … up to B)";
  std::vector<uint32_t> out;
  std::string_view t = Trim(text);
  const bool geometric = StartsWith(t, "geometric(");
  const bool linear = StartsWith(t, "linear(");
  if (geometric || linear) {
    if (!EndsWith(t, ")")) {
      return absl::InvalidArgumentError(AbslView(kExpected));
    }
    t = t.substr(t.find('(') + 1);
    t.remove_suffix(1);
  }
  std::vector<double> nums;
  while (true) {
    const size_t comma = t.find(',');
    double v = 0;
    if (!absl::SimpleAtod(AbslView(Trim(t.substr(0, comma))), &v) || !std::isfinite(v)) {
      return absl::InvalidArgumentError(AbslView(kExpected));
    }
    nums.push_back(v);
    if (comma == std::string_view::npos || nums.size() > 4096) {
      break;
    }
    t.remove_prefix(comma + 1);
  }
  if (geometric || linear) {
    if (nums.size() != 3 || nums[0] < 1 || nums[1] < nums[0] || nums[1] > kMaxInstances ||
        (geometric ? nums[2] <= 1 : nums[2] < 1) || nums[0] != std::floor(nums[0])) {
      return absl::InvalidArgumentError(AbslView(kExpected));
    }
    for (double n = nums[0]; n <= nums[1] && out.size() < 4096;
         n = geometric ? n * nums[2] : n + nums[2]) {
      const uint32_t k = static_cast<uint32_t>(std::llround(std::floor(n)));
      if (out.empty() || k > out.back()) {
        out.push_back(k);
      }
    }
  } else {
    for (double v : nums) {
      if (v < 1 || v > kMaxInstances || v != std::floor(v) || (!out.empty() && v <= out.back())) {
        return absl::InvalidArgumentError(AbslView(kExpected));
      }
      out.push_back(static_cast<uint32_t>(v));
    }
  }
  if (out.size() < 3) {
    return absl::InvalidArgumentError(
        Cat("the USL needs at least 3 levels of instances, \"", text, "\" gives ", out.size()));
  }
  return out;
}

// ---- other configuration files (plan/toml_config.h) -----------------------------------------

namespace {

// "valid keys: a, b; did you mean 'x'?" for `section` of a configuration.
std::string ConfigValidList(std::span<const ConfigKey> keys, std::string_view section,
                            std::string_view wrong) {
  std::vector<std::string_view> names;
  for (const ConfigKey& k : keys) {
    if (k.section == section) {
      names.push_back(k.name);
    } else if (section.empty() && std::find(names.begin(), names.end(), k.section) == names.end()) {
      names.push_back(k.section);  // a table of the top level
    }
  }
  std::string out = Cat("valid keys: ", Join(names, ", "));
  std::string_view best;
  size_t best_d = 3;
  for (std::string_view n : names) {
    if (const size_t d = EditDistance(wrong, n); d < best_d) {
      best_d = d;
      best = n;
    }
  }
  if (!best.empty()) {
    Append(&out, "; did you mean '", best, "'?");
  }
  return out;
}

absl::Status ReadConfigValue(const Field& f, const ConfigKey& key) {
  struct Visitor {
    const Field& f;
    std::string (*check)(std::string*);
    absl::Status operator()(std::string* out) const {
      std::string s;
      RETURN_IF_ERROR(GetString(f, &s));
      if (check != nullptr) {
        if (std::string err = check(&s); !err.empty()) {
          return f.Error(err);
        }
      }
      *out = std::move(s);
      return absl::OkStatus();
    }
    absl::Status operator()(std::vector<std::string>* out) const {
      return GetStringList(f, check, out);
    }
    absl::Status operator()(uint64_t* out) const { return GetUint(f, 0, INT64_MAX, out); }
    absl::Status operator()(double* out) const {
      if (const auto* i = f.node->as_integer(); i != nullptr && i->get() >= 0) {
        *out = static_cast<double>(i->get());
        return absl::OkStatus();
      }
      if (const auto* d = f.node->as_floating_point();
          d != nullptr && std::isfinite(d->get()) && d->get() >= 0) {
        *out = d->get();
        return absl::OkStatus();
      }
      return f.Expected("a number ≥ 0");
    }
    absl::Status operator()(ConfigDuration d) const {
      return GetDuration(f, 0, INT64_MAX, true, d.ns);
    }
  };
  return std::visit(Visitor{f, key.check}, key.out);
}

}  // namespace

absl::Status ReadConfigText(std::string_view text, std::string_view name,
                            std::span<const ConfigKey> keys) {
  ASSIGN_OR_RETURN(toml::table root, ParseToml(text, name));
  auto pos = [&](const toml::source_region& r) {
    return Cat(name, ":", std::max<uint32_t>(r.begin.line, 1), ":",
               std::max<uint32_t>(r.begin.column, 1));
  };
  auto known = [&](std::string_view section, std::string_view key) -> const ConfigKey* {
    for (const ConfigKey& k : keys) {
      if (k.section == section && k.name == key) {
        return &k;
      }
    }
    return nullptr;
  };
  auto is_section = [&](std::string_view s) {
    return !s.empty() && std::any_of(keys.begin(), keys.end(),
                                     [&](const ConfigKey& k) { return k.section == s; });
  };
  for (auto&& [k, v] : root) {
    const std::string_view key = k.str();
    const std::string where = k.source().begin.line > 0 ? pos(k.source()) : pos(v.source());
    if (is_section(key)) {
      if (!v.is_table()) {
        return absl::InvalidArgumentError(
            Cat(where, ": ", key, ": expected a table [", key, "], ", Got(v)));
      }
      for (auto&& [k2, v2] : *v.as_table()) {
        if (known(key, k2.str()) == nullptr) {
          const std::string where2 =
              k2.source().begin.line > 0 ? pos(k2.source()) : pos(v2.source());
          return absl::InvalidArgumentError(Cat(where2, ": unknown key '", k2.str(), "' in [", key,
                                                "] (", ConfigValidList(keys, key, k2.str()), ")"));
        }
      }
      continue;
    }
    if (known("", key) == nullptr) {
      return absl::InvalidArgumentError(Cat(where, ": unknown ", v.is_table() ? "table" : "key",
                                            " '", key, "' (", ConfigValidList(keys, "", key), ")"));
    }
  }
  for (const ConfigKey& key : keys) {
    const toml::node* node = nullptr;
    if (key.section.empty()) {
      node = root.get(key.name);
    } else if (const toml::table* t = root[key.section].as_table()) {
      node = t->get(key.name);
    }
    if (node == nullptr) {
      continue;
    }
    Field f;
    f.node = node;
    f.key = key.section.empty() ? std::string(key.name) : Cat(key.section, ".", key.name);
    f.where = pos(node->source());
    f.doc = text;
    f.name = std::string(name);
    RETURN_IF_ERROR(ReadConfigValue(f, key));
  }
  return absl::OkStatus();
}

absl::Status ReadConfigFile(const std::string& path, std::string_view what,
                            std::span<const ConfigKey> keys) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, size_t{1} << 20, what));
  return ReadConfigText(text, path, keys);
}

}  // namespace incarne
