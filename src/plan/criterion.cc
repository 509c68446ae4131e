#include "plan/criterion.h"

#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne {
namespace {

constexpr int64_t kNsPerMsC = 1000 * 1000;
constexpr int64_t kNsPerSC = 1000 * kNsPerMsC;
// Longest time a criterion may name: a week of weeks is plenty and keeps ns in int64.
constexpr int64_t kMaxCriterionNs = int64_t{49} * 7 * 24 * 3600 * kNsPerSC;

struct Param {
  std::string_view text;  // trimmed
  size_t pos = 0;         // 0-based offset of text (or of where it would be) in the criterion
};

// What each kind takes, in order; "window" is dropped when parsing without a window.
struct Layout {
  CriterionKind kind;
  std::string_view name;
  std::string_view params;  // comma-separated parameter roles, for messages and the parser
  bool has_tag;
};

constexpr Layout kLayouts[] = {
    {CriterionKind::kTime, "time", "rt,window", true},
    {CriterionKind::kHttp, "http", "mask,level,window", true},
    {CriterionKind::kNet, "net", "mask,level,window", true},
    {CriterionKind::kQuantile, "quantile", "q,rt,window", true},
    {CriterionKind::kInstances, "instances", "level,window", false},
    {CriterionKind::kLimit, "limit", "limit", false},
    {CriterionKind::kTotalTime, "total_time", "rt,ratio,window", true},
    {CriterionKind::kTotalHttp, "total_http", "mask,level,window", true},
    {CriterionKind::kTotalNet, "total_net", "mask,level,window", true},
    {CriterionKind::kNegativeHttp, "negative_http", "mask,level,window", true},
    {CriterionKind::kNegativeNet, "negative_net", "mask,level,window", true},
    {CriterionKind::kHttpTrend, "http_trend", "mask,window", true},
};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

Param TrimParam(std::string_view all, size_t begin, size_t end) {
  while (begin < end && IsSpace(all[begin])) {
    ++begin;
  }
  while (end > begin && IsSpace(all[end - 1])) {
    --end;
  }
  return Param{all.substr(begin, end - begin), begin};
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (true) {
    const size_t comma = s.find(',', at);
    out.push_back(s.substr(at, comma == std::string_view::npos ? s.npos : comma - at));
    if (comma == std::string_view::npos) {
      return out;
    }
    at = comma + 1;
  }
}

class Parser {
 public:
  Parser(std::string_view text, bool allow_window) : text_(text), allow_window_(allow_window) {}

  absl::StatusOr<Criterion> Parse();

 private:
  absl::Status Error(size_t pos, std::string_view what) const {
    return absl::InvalidArgumentError(Cat("\"", text_, "\" at ", pos + 1, ": ", what));
  }
  // Tank's autostop time: (\d+)(unit) repeated; units ms s m h d w; bare = default_unit.
  absl::Status Time(const Param& p, int64_t default_unit_ns, std::string_view role, int64_t* ns);
  absl::Status Mask(const Param& p, CodeMask* mask);
  absl::Status Level(const Param& p, Criterion* c);
  absl::Status Window(const Param& p, Criterion* c);

  std::string_view text_;
  bool allow_window_;
};

absl::Status Parser::Time(const Param& p, int64_t default_unit_ns, std::string_view role,
                          int64_t* ns) {
  const std::string_view s = p.text;
  const std::string_view expected =
      default_unit_ns == kNsPerMsC
          ? "expected a time like 500ms, 2s or 1s500ms (a bare number is milliseconds)"
          : "expected a time like 10s, 5m or 1m30s (a bare number is seconds)";
  if (s.empty()) {
    return Error(p.pos, Cat(role, ": ", expected));
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t num_at = i;
    int64_t v = 0;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
      if (v > kMaxCriterionNs) {
        return Error(p.pos + num_at, Cat(role, ": too long"));
      }
      v = v * 10 + (s[i] - '0');
      ++i;
    }
    if (i == num_at) {
      return Error(p.pos + i, Cat(role, ": ", expected));
    }
    const size_t unit_at = i;
    while (i < s.size() && absl::ascii_isalpha(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    const std::string unit = absl::AsciiStrToLower(AbslView(s.substr(unit_at, i - unit_at)));
    int64_t mul = 0;
    if (unit.empty()) {
      mul = default_unit_ns;
    } else if (unit == "ms") {
      mul = kNsPerMsC;
    } else if (unit == "s") {
      mul = kNsPerSC;
    } else if (unit == "m") {
      mul = 60 * kNsPerSC;
    } else if (unit == "h") {
      mul = 3600 * kNsPerSC;
    } else if (unit == "d") {
      mul = 86400 * kNsPerSC;
    } else if (unit == "w") {
      mul = 7 * 86400 * kNsPerSC;
    } else {
      // Tank's words (common/util.py expand_time).
      return Error(p.pos + unit_at, Cat("String contains unsupported unit ", unit, ": ", s));
    }
    if (v > kMaxCriterionNs / mul || total + v * mul > kMaxCriterionNs) {
      return Error(p.pos + num_at, Cat(role, ": too long (at most 49w)"));
    }
    total += v * mul;
  }
  *ns = total;
  return absl::OkStatus();
}

absl::Status Parser::Mask(const Param& p, CodeMask* mask) {
  const std::string_view s = p.text;
  constexpr std::string_view kExpected =
      "expected a code mask of up to 5 digits and x's (5xx, 404, 11x, xx)";
  if (s.empty() || s.size() > 5) {
    return Error(p.pos, kExpected);
  }
  bool all_x = true;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = absl::ascii_tolower(static_cast<unsigned char>(s[i]));
    if (c != 'x' && !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return Error(p.pos + i, kExpected);
    }
    all_x = all_x && c == 'x';
    mask->digits[i] = c;
  }
  mask->len = static_cast<uint8_t>(s.size());
  mask->any_nonzero = all_x;
  return absl::OkStatus();
}

// Tank: "N%" a share of the responses, "N" an absolute count per second (per window for the
// cumulative kinds).
absl::Status Parser::Level(const Param& p, Criterion* c) {
  std::string_view s = p.text;
  if (!s.empty() && s.back() == '%') {
    s.remove_suffix(1);
    double v = 0;
    if (s.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(s[0])) ||
        !absl::SimpleAtod(AbslView(s), &v) || !(v >= 0 && v <= 100)) {
      return Error(p.pos, "level: expected a share from 0% to 100% (10%, 0.5%)");
    }
    c->level = v / 100;
    c->relative = true;
    return absl::OkStatus();
  }
  uint64_t n = 0;
  if (s.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(s[0])) ||
      !absl::SimpleAtoi(AbslView(s), &n) || n > (uint64_t{1} << 53)) {
    return Error(p.pos, "level: expected a count (10) or a share (10%)");
  }
  c->level = static_cast<double>(n);
  c->relative = false;
  return absl::OkStatus();
}

absl::Status Parser::Window(const Param& p, Criterion* c) {
  int64_t ns = 0;
  RETURN_IF_ERROR(Time(p, kNsPerSC, "window", &ns));
  // Tank counts whole seconds (expand_to_seconds truncates); a window under a second would
  // fire on the first second that breaches, or never fill: refused.
  if (ns < kNsPerSC) {
    return Error(p.pos, "window: expected at least 1s");
  }
  c->window_s = ns / kNsPerSC;
  return absl::OkStatus();
}

absl::StatusOr<Criterion> Parser::Parse() {
  const Param whole = TrimParam(text_, 0, text_.size());
  const size_t open = text_.find('(');
  if (whole.text.empty()) {
    return Error(0, "expected a criterion such as http(5xx,10%,5s)");
  }
  if (open == std::string_view::npos) {
    return Error(whole.pos, Cat("Unsupported autostop criterion type: ", whole.text,
                                " (expected NAME(PARAMETERS), e.g. http(5xx,10%,5s))"));
  }
  const Param name_p = TrimParam(text_, 0, open);
  const std::string name = absl::AsciiStrToLower(AbslView(name_p.text));
  const Layout* layout = nullptr;
  for (const Layout& l : kLayouts) {
    if (l.name == name) {
      layout = &l;
    }
  }
  if (layout == nullptr) {
    // Tank's words (Autostop/plugin.py), then what incarne knows.
    std::string known;
    for (const Layout& l : kLayouts) {
      Append(&known, known.empty() ? "" : ", ", l.name);
    }
    return Error(name_p.pos,
                 Cat("Unsupported autostop criterion type: ",
                     name_p.text.empty() ? "(none)" : name_p.text, " (known: ", known, ")"));
  }
  const size_t close = text_.find(')', open);
  if (close == std::string_view::npos) {
    return Error(text_.size(), "expected ')'");
  }
  const Param rest = TrimParam(text_, close + 1, text_.size());
  if (!rest.text.empty()) {
    return Error(rest.pos, "expected nothing after ')'");
  }
  std::vector<std::string_view> roles = Split(layout->params);
  if (!allow_window_) {
    if (layout->kind == CriterionKind::kInstances || layout->kind == CriterionKind::kLimit ||
        layout->kind == CriterionKind::kHttpTrend) {
      return Error(name_p.pos, Cat(layout->name,
                                   " has no meaning without a window (here the "
                                   "criterion judges one aggregate, e.g. a step)"));
    }
    std::erase(roles, std::string_view("window"));
  }
  std::vector<Param> params;
  for (size_t at = open + 1;;) {
    const size_t comma = text_.find(',', at);
    const size_t end = comma == std::string_view::npos || comma > close ? close : comma;
    params.push_back(TrimParam(text_, at, end));
    if (end == close) {
      break;
    }
    at = end + 1;
  }
  const size_t max_params = roles.size() + (layout->has_tag ? 1 : 0);
  if (params.size() < roles.size() || params.size() > max_params) {
    std::string want;
    for (std::string_view r : roles) {
      Append(&want, want.empty() ? "" : ", ", r);
    }
    if (layout->has_tag) {
      Append(&want, "[, tag]");
    }
    const size_t pos = params.size() > max_params ? params[max_params].pos : close;
    return Error(pos, Cat(layout->name, " takes (", want, "); got ", params.size(),
                          params.size() == 1 ? " parameter" : " parameters"));
  }
  Criterion c;
  c.kind = layout->kind;
  c.text = std::string(whole.text);
  for (size_t i = 0; i < roles.size(); ++i) {
    const std::string_view role = roles[i];
    const Param& p = params[i];
    if (role == "mask") {
      RETURN_IF_ERROR(Mask(p, &c.mask));
    } else if (role == "level") {
      RETURN_IF_ERROR(Level(p, &c));
    } else if (role == "window") {
      RETURN_IF_ERROR(Window(p, &c));
    } else if (role == "rt") {
      RETURN_IF_ERROR(Time(p, kNsPerMsC, "response time", &c.rt_ns));
    } else if (role == "limit") {
      RETURN_IF_ERROR(Time(p, kNsPerSC, "limit", &c.limit_ns));
      if (c.limit_ns < kNsPerSC) {
        return Error(p.pos, "limit: expected at least 1s");
      }
    } else if (role == "q") {
      double q = 0;
      if (p.text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(p.text[0])) ||
          !absl::SimpleAtod(AbslView(p.text), &q) || !(q > 0 && q <= 100)) {
        return Error(p.pos, "quantile: expected a percentile above 0, at most 100 (95, 99.9)");
      }
      c.quantile = q;
    } else if (role == "ratio") {
      if (p.text.empty() || p.text.back() != '%') {
        return Error(p.pos, "ratio: expected a share such as 70%");
      }
      RETURN_IF_ERROR(Level(p, &c));
    }
  }
  if (params.size() > roles.size()) {
    const Param& tag = params.back();
    if (tag.text.empty()) {
      return Error(tag.pos, "tag: expected an ammo tag");
    }
    c.tag = std::string(tag.text);
  }
  return c;
}

}  // namespace

std::string_view CriterionName(CriterionKind kind) {
  for (const Layout& l : kLayouts) {
    if (l.kind == kind) {
      return l.name;
    }
  }
  return "?";
}

absl::StatusOr<Criterion> ParseCriterion(std::string_view text, bool allow_window) {
  return Parser(text, allow_window).Parse();
}

}  // namespace incarne
