#include "scenario/rules.h"

#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "scenario/http_reply.h"
#include "scenario/jsonpath.h"
#include "util/errno_name.h"
#include "util/strings.h"

namespace incarne::scenario {
namespace {

RE2::Options RegexOptions() {
  RE2::Options o;
  o.set_log_errors(false);  // errors are reported to the user, not to stderr
  o.set_max_mem(kRegexMaxMem);
  return o;
}

std::unique_ptr<RE2> NewRegex(std::string_view pattern) {
  return std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), RegexOptions());
}

constexpr char kWhyStatus[] = "assert status failed";
constexpr char kWhyBody[] = "assert body failed";
constexpr char kWhyLatency[] = "assert max_latency failed";

}  // namespace

std::string RegexError(std::string_view pattern) {
  std::unique_ptr<RE2> re = NewRegex(pattern);
  if (!re->ok()) {
    return re->error();
  }
  if (re->ProgramSize() > kRegexMaxProgram) {
    return Cat("too costly: its program has ", re->ProgramSize(),
               " instructions, more than the limit of ", kRegexMaxProgram,
               " (simplify it, e.g. fewer counted repetitions)");
  }
  return "";
}

std::string ParseStatusItem(std::string_view item, std::bitset<1000>* codes) {
  constexpr char kExpected[] =
      "expected an HTTP status (100..999) or a class such as \"2xx\" or \"40x\"";
  if (item.size() != 3 || item[0] < '1' || item[0] > '9') {
    return Cat(kExpected, ", got \"", item, "\"");
  }
  int lo = 0;
  int hi = 0;
  bool wild = false;
  for (char c : item) {
    if (c == 'x' || c == 'X') {
      wild = true;
      lo = lo * 10;
      hi = hi * 10 + 9;
    } else if (c >= '0' && c <= '9' && !wild) {
      lo = lo * 10 + (c - '0');
      hi = hi * 10 + (c - '0');
    } else {
      return Cat(kExpected, ", got \"", item, "\"");
    }
  }
  for (int c = lo; c <= hi; ++c) {
    codes->set(static_cast<size_t>(c));
  }
  return "";
}

RuleSet::~RuleSet() = default;

absl::StatusOr<std::unique_ptr<RuleSet>> RuleSet::Compile(
    const std::vector<RulePlan>& rules, const ScenarioPlan& scenario,
    const std::vector<std::string>& tags, const std::vector<std::string>& data_columns) {
  if (rules.size() > UINT16_MAX) {
    return absl::InvalidArgumentError(
        Cat("rules: ", rules.size(), " [[rules]] tables, at most ", UINT16_MAX));
  }
  std::unique_ptr<RuleSet> set(new RuleSet());
  set->plans_ = rules;
  set->scenario_ = scenario;
  set->data_columns_ = data_columns;
  if (absl::Status st = set->Build(tags); !st.ok()) {
    return st;
  }
  return set;
}

std::unique_ptr<RuleSet> RuleSet::Clone() const {
  std::unique_ptr<RuleSet> set(new RuleSet());
  set->plans_ = plans_;
  set->scenario_ = scenario_;
  set->templates_ = templates_;
  set->data_columns_ = data_columns_;
  set->sessions_ = sessions_;
  set->data_ = data_;
  set->data_vars_ = data_vars_;
  set->max_request_ = max_request_;
  // Build cannot fail here: the same patterns compiled once already.
  (void)set->Build(tags_);
  return set;
}

absl::Status RuleSet::Build(const std::vector<std::string>& tags) {
  tags_ = tags;
  rules_.clear();
  // Variables: every capture name, sorted; their count must fit the store.
  var_names_.clear();
  for (const RulePlan& p : plans_) {
    for (const CapturePlan& c : p.captures) {
      var_names_.push_back(c.name);
    }
  }
  var_names_.insert(var_names_.end(), data_columns_.begin(), data_columns_.end());
  std::sort(var_names_.begin(), var_names_.end());
  var_names_.erase(std::unique(var_names_.begin(), var_names_.end()), var_names_.end());
  if (var_names_.size() > scenario_.max_vars) {
    return absl::InvalidArgumentError(Cat("rules: the captures and data columns name ",
                                          var_names_.size(),
                                          " variables, more than "
                                          "scenario.max_vars = ",
                                          scenario_.max_vars));
  }
  uint32_t json_capacity = 0;
  rules_.resize(plans_.size());
  std::vector<std::unique_ptr<RE2>> tag_res;
  for (size_t i = 0; i < plans_.size(); ++i) {
    const RulePlan& p = plans_[i];
    Rule& r = rules_[i];
    const std::string where = p.where.empty() ? Cat("rule ", i + 1) : p.where;
    auto compile = [&](std::string_view key, std::string_view pattern,
                       std::unique_ptr<RE2>* out) -> absl::Status {
      if (std::string err = RegexError(pattern); !err.empty()) {
        return absl::InvalidArgumentError(Cat(where, ": rules.", key, ": bad regex: ", err));
      }
      *out = NewRegex(pattern);
      return absl::OkStatus();
    };
    std::unique_ptr<RE2> tag_re;
    if (absl::Status st = compile("tag", p.tag, &tag_re); !st.ok()) {
      return st;
    }
    tag_res.push_back(std::move(tag_re));
    for (const std::string& s : p.status) {
      if (std::string err = ParseStatusItem(s, &r.status); !err.empty()) {
        return absl::InvalidArgumentError(Cat(where, ": rules.status: ", err));
      }
      r.check_status = true;
    }
    if (!p.body.empty()) {
      if (absl::Status st = compile("body", p.body, &r.body); !st.ok()) {
        return st;
      }
      r.body_scan = p.body_scan;
    }
    for (const auto& [name, pattern] : p.headers) {
      Header h;
      h.name = name;
      h.why = Cat("assert header ", name, " failed");
      if (absl::Status st = compile(Cat("headers.", name), pattern, &h.re); !st.ok()) {
        return st;
      }
      r.headers.push_back(std::move(h));
    }
    r.max_latency_ns = p.max_latency_ns;
    for (const CapturePlan& cp : p.captures) {
      Capture c;
      c.var = static_cast<uint32_t>(
          std::lower_bound(var_names_.begin(), var_names_.end(), cp.name) - var_names_.begin());
      c.from = cp.from;
      c.header = cp.header;
      c.why_missing = Cat("assert capture ", cp.name, " failed");
      c.why_long = Cat("capture ", cp.name, ": longer than scenario.max_value");
      if (cp.from == CapturePlan::From::kJson) {
        absl::StatusOr<std::string> ptr = JsonPathToPointer(cp.json);
        if (!ptr.ok()) {
          return absl::InvalidArgumentError(Cat(where, ": rules.capture.", cp.name,
                                                ".json: ", std::string(ptr.status().message())));
        }
        c.pointer = std::move(*ptr);
        json_capacity = std::max(json_capacity, p.body_scan);
      } else if (!cp.regex.empty()) {
        if (absl::Status st = compile(Cat("capture.", cp.name, ".regex"), cp.regex, &c.re);
            !st.ok()) {
          return st;
        }
      }
      r.captures.push_back(std::move(c));
    }
    // Captures read the body too: the body window is the rule's body_scan.
    if (!r.captures.empty()) {
      r.body_scan = p.body_scan;
    }
  }
  json_.reset();
  if (json_capacity != 0) {
    json_ = std::make_unique<JsonReader>();
    if (absl::Status st = json_->Init(json_capacity); !st.ok()) {
      return st;
    }
  }

  // The per-tag table: every rule whose tag regex matches the tag in full, in plan order.
  const size_t n = std::max<size_t>(tags.size(), 1);
  tag_begin_.assign(n + 1, 0);
  tag_rules_.clear();
  needs_reply_.assign(n, 0);
  scan_bytes_ = 0;
  tags_touched_ = 0;
  for (size_t t = 0; t < n; ++t) {
    tag_begin_[t] = static_cast<uint32_t>(tag_rules_.size());
    const std::string& tag = t < tags.size() ? tags[t] : std::string();
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!RE2::FullMatch(tag, *tag_res[i])) {
        continue;
      }
      tag_rules_.push_back(static_cast<uint16_t>(i));
      const Rule& r = rules_[i];
      if (r.body != nullptr || !r.headers.empty() || !r.captures.empty()) {
        needs_reply_[t] = 1;
        scan_bytes_ = std::max(scan_bytes_, kScanHeadMax + r.body_scan);
      }
    }
    if (tag_rules_.size() != tag_begin_[t]) {
      ++tags_touched_;
    }
    if (scenario_.cookies) {  // every reply's Set-Cookie lines go to the jar
      needs_reply_[t] = 1;
      scan_bytes_ = std::max(scan_bytes_, kScanHeadMax);
    }
  }
  tag_begin_[n] = static_cast<uint32_t>(tag_rules_.size());
  return absl::OkStatus();
}

absl::Status RuleSet::CompileTemplates(uint64_t count,
                                       const std::function<std::string_view(uint64_t)>& record) {
  std::vector<std::pair<uint64_t, Template>> records;
  for (uint64_t r = 0; r < count; ++r) {
    const std::string_view req = record(r);
    if (req.find("${") == std::string_view::npos) {
      continue;
    }
    absl::StatusOr<Template> compiled = CompileTemplate(req, var_names_);
    if (!compiled.ok()) {
      return absl::InvalidArgumentError(
          Cat("record ", r, ": ", std::string(compiled.status().message())));
    }
    records.emplace_back(r, std::move(*compiled));
  }
  SetTemplates(count, std::move(records),
               [&record](uint64_t r) { return static_cast<uint32_t>(record(r).size()); });
  return absl::OkStatus();
}

void RuleSet::SetTemplates(uint64_t count, std::vector<std::pair<uint64_t, Template>> records,
                           const std::function<uint32_t(uint64_t)>& length) {
  auto t = std::make_shared<Templates>();
  t->count = count;
  t->bits.assign((count + 63) / 64, 0);
  for (auto& [r, compiled] : records) {
    if (!compiled.templated()) {
      continue;
    }
    // The largest a request can grow: each reference at its largest value.
    uint64_t cap = uint64_t{length(r)} + 20;  // + a longer Content-Length
    for (const TemplatePiece& p : compiled.pieces) {
      cap += p.kind == TemplatePiece::Kind::kVar ? scenario_.max_value : 40;
    }
    t->cap = static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(t->cap, cap), 1 << 24));
    t->bits[r >> 6] |= uint64_t{1} << (r & 63);
    t->records.emplace_back(r, std::move(compiled));
  }
  templates_ = t->records.empty() ? nullptr : std::move(t);
}

void RuleSet::SetData(std::shared_ptr<const DataTable> d) {
  data_ = std::move(d);
  data_vars_.clear();
  if (data_ != nullptr) {
    for (const std::string& c : data_->columns) {
      data_vars_.push_back(static_cast<uint32_t>(
          std::lower_bound(var_names_.begin(), var_names_.end(), c) - var_names_.begin()));
    }
  }
}

const Template* RuleSet::FindTemplate(uint64_t r) const {
  auto it = std::lower_bound(templates_->records.begin(), templates_->records.end(), r,
                             [](const auto& e, uint64_t v) { return e.first < v; });
  return it != templates_->records.end() && it->first == r ? &it->second : nullptr;
}

std::vector<size_t> RuleSet::UnusedRules() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (std::find(tag_rules_.begin(), tag_rules_.end(), i) == tag_rules_.end()) {
      out.push_back(i);
    }
  }
  return out;
}

Verdict RuleSet::TakeCapture(const Capture& c, const ReplyView& view, VarStore* vars) {
  const uint32_t cap = scenario_.max_value;
  char* dst = vars->values + size_t{c.var} * cap;
  std::string_view found;
  bool ok = false;
  if (c.from == CapturePlan::From::kJson) {
    if (!json_parsed_) {
      json_parsed_ = true;
      if (!json_->Parse(view.body.data(), static_cast<uint32_t>(view.body.size()))) {
        return Verdict{kNetAssertion, c.why_missing.c_str()};
      }
    }
    const int64_t n = json_->Get(c.pointer, dst, cap);
    if (n == -2) {
      return Verdict{EOVERFLOW, c.why_long.c_str()};
    }
    if (n < 0) {
      return Verdict{kNetAssertion, c.why_missing.c_str()};
    }
    vars->lens[c.var] = static_cast<uint16_t>(n);
    return Verdict{};
  }
  auto take = [&](std::string_view text) {
    if (c.re == nullptr) {
      found = text;
      return true;
    }
    re2::StringPiece sub[2];
    const int n = c.re->NumberOfCapturingGroups() > 0 ? 2 : 1;
    if (!c.re->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                     sub, n)) {
      return false;
    }
    found = std::string_view(sub[n - 1].data(), sub[n - 1].size());
    return true;
  };
  if (c.from == CapturePlan::From::kHeader) {
    ok = ForEachHeader(view.headers, c.header, take);
  } else {
    ok = take(view.body);
  }
  if (!ok) {
    return Verdict{kNetAssertion, c.why_missing.c_str()};
  }
  if (found.size() > cap) {
    return Verdict{EOVERFLOW, c.why_long.c_str()};
  }
  memcpy(dst, found.data(), found.size());
  vars->lens[c.var] = static_cast<uint16_t>(found.size());
  return Verdict{};
}

Verdict RuleSet::Check(uint16_t tag, uint16_t status, int64_t latency_ns, char* reply, uint32_t len,
                       VarStore* vars) {
  ReplyView view;
  bool split = false;
  json_parsed_ = false;
  for (uint32_t k = tag_begin_[tag]; k < tag_begin_[tag + 1]; ++k) {
    const Rule& r = rules_[tag_rules_[k]];
    if (r.check_status && (status >= 1000 || !r.status.test(status))) {
      return Verdict{kNetAssertion, kWhyStatus};
    }
    if (r.max_latency_ns != 0 && latency_ns > r.max_latency_ns) {
      return Verdict{kNetAssertion, kWhyLatency};
    }
    if (r.headers.empty() && r.body == nullptr && r.captures.empty()) {
      continue;
    }
    if (!split) {
      view = reply != nullptr ? SplitReply(reply, len) : ReplyView{};
      split = true;
    }
    for (const Header& h : r.headers) {
      const bool ok = ForEachHeader(view.headers, h.name, [&](std::string_view value) {
        return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *h.re);
      });
      if (!ok) {
        return Verdict{kNetAssertion, h.why.c_str()};
      }
    }
    if (r.body != nullptr) {
      const std::string_view body = view.body.substr(0, r.body_scan);
      if (!RE2::PartialMatch(re2::StringPiece(body.data(), body.size()), *r.body)) {
        return Verdict{kNetAssertion, kWhyBody};
      }
    }
    if (vars != nullptr) {
      const ReplyView window{view.headers, view.body.substr(0, r.body_scan)};
      for (const Capture& c : r.captures) {
        if (Verdict v = TakeCapture(c, window, vars); v.net_code != 0) {
          return v;
        }
      }
    }
  }
  return Verdict{};
}

}  // namespace incarne::scenario
