#include "scenario/rules_toml.h"

#include <algorithm>
#include <cmath>

#include "plan/duration.h"
#include "scenario/jsonpath.h"
#include "scenario/rules.h"
#include "scenario/template.h"
#include "util/strings.h"

namespace incarne::scenario {
namespace {

constexpr std::string_view kKeys =
    "tag, status, body, body_scan, headers, max_latency, capture (docs/scenario.md)";
constexpr std::string_view kCaptureForms =
    "{ json = \"$.path\" }, { header = \"Name\", regex = \"re(g)ex\" } or { regex = "
    "\"re(g)ex\" } (over the body)";

std::string Pos(std::string_view name, const toml::node& n) {
  const toml::source_position& p = n.source().begin;
  return Cat(name, ":", std::max<uint32_t>(p.line, 1), ":", std::max<uint32_t>(p.column, 1));
}

absl::Status ErrorAt(std::string_view name, const toml::node& n, std::string_view key,
                     std::string_view what) {
  return absl::InvalidArgumentError(Cat(Pos(name, n), ": rules.", key, ": ", what));
}

std::string_view Kind(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// A regex string value: compiled now, so a bad one is refused with its position.
absl::Status GetRegex(std::string_view name, const toml::node& n, std::string_view key,
                      std::string* out) {
  const auto* s = n.as_string();
  if (s == nullptr) {
    return ErrorAt(name, n, key, Cat("expected a regex (a string), got ", Kind(n)));
  }
  if (std::string err = RegexError(s->get()); !err.empty()) {
    return ErrorAt(name, n, key, Cat("bad regex ", Shown(s->get()), ": ", err));
  }
  *out = s->get();
  return absl::OkStatus();
}

absl::Status GetStatus(std::string_view name, const toml::node& n, RulePlan* r) {
  auto one = [&](const toml::node& item) -> absl::Status {
    std::string text;
    if (const auto* i = item.as_integer()) {
      text = Cat(i->get());
    } else if (const auto* s = item.as_string()) {
      text = s->get();
    } else {
      return ErrorAt(name, item, "status",
                     Cat("expected an HTTP status (200) or a class (\"2xx\"), got ", Kind(item)));
    }
    std::bitset<1000> codes;
    if (std::string err = ParseStatusItem(text, &codes); !err.empty()) {
      return ErrorAt(name, item, "status", err);
    }
    r->status.push_back(text);
    return absl::OkStatus();
  };
  if (const auto* a = n.as_array()) {
    if (a->empty()) {
      return ErrorAt(name, n, "status", "expected at least one status or class, got []");
    }
    for (const toml::node& item : *a) {
      if (absl::Status st = one(item); !st.ok()) {
        return st;
      }
    }
    return absl::OkStatus();
  }
  return one(n);
}

// capture = { NAME = { json = "$.a" } | { header = "H", regex = "r" } | { regex = "r" }, ... }
absl::Status GetCaptures(std::string_view name, const toml::node& n, RulePlan* r) {
  const auto* t = n.as_table();
  if (t == nullptr) {
    return ErrorAt(name, n, "capture",
                   Cat("expected a table of variable name → ", kCaptureForms, ", got ", Kind(n)));
  }
  for (auto&& [k, v] : *t) {
    const std::string var(k.str());
    const std::string key = Cat("capture.", var);
    if (!IsVarName(var)) {
      return ErrorAt(name, v, key,
                     "a variable name is letters, digits and _ (not first a digit), at most 64");
    }
    const auto* spec = v.as_table();
    if (spec == nullptr) {
      return ErrorAt(name, v, key, Cat("expected ", kCaptureForms, ", got ", Kind(v)));
    }
    CapturePlan c;
    c.name = var;
    for (auto&& [sk, sv] : *spec) {
      const std::string_view skey = sk.str();
      const auto* str = sv.as_string();
      if (skey != "json" && skey != "header" && skey != "regex") {
        return ErrorAt(name, sv, Cat(key, ".", skey),
                       Cat("unknown key: a capture is ", kCaptureForms));
      }
      if (str == nullptr) {
        return ErrorAt(name, sv, Cat(key, ".", skey), Cat("expected a string, got ", Kind(sv)));
      }
      if (skey == "json") {
        absl::StatusOr<std::string> ptr = JsonPathToPointer(str->get());
        if (!ptr.ok()) {
          return ErrorAt(
              name, sv, Cat(key, ".json"),
              Cat("bad JSON path ", Shown(str->get()), ": ", std::string(ptr.status().message())));
        }
        c.from = CapturePlan::From::kJson;
        c.json = str->get();
      } else if (skey == "header") {
        if (str->get().empty()) {
          return ErrorAt(name, sv, Cat(key, ".header"), "expected a header name");
        }
        c.from = CapturePlan::From::kHeader;
        c.header = str->get();
      } else {
        absl::Status st = GetRegex(name, sv, Cat(key, ".regex"), &c.regex);
        if (!st.ok()) {
          return st;
        }
      }
    }
    if (!c.json.empty() && (!c.header.empty() || !c.regex.empty())) {
      return ErrorAt(name, v, key, Cat("json goes alone: a capture is ", kCaptureForms));
    }
    if (c.json.empty() && c.header.empty() && c.regex.empty()) {
      return ErrorAt(name, v, key, Cat("empty: a capture is ", kCaptureForms));
    }
    r->captures.push_back(std::move(c));
  }
  return absl::OkStatus();
}

absl::Status ReadRule(std::string_view name, const toml::table& t, RulePlan* r) {
  r->where = Pos(name, t);
  for (auto&& [k, v] : t) {
    const std::string_view key = k.str();
    absl::Status st;
    if (key == "tag") {
      st = GetRegex(name, v, key, &r->tag);
    } else if (key == "status") {
      st = GetStatus(name, v, r);
    } else if (key == "body") {
      st = GetRegex(name, v, key, &r->body);
    } else if (key == "body_scan") {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < 1 || i->get() > kBodyScanMax) {
        st = ErrorAt(name, v, key, Cat("expected a number of bytes 1..", kBodyScanMax));
      } else {
        r->body_scan = static_cast<uint32_t>(i->get());
      }
    } else if (key == "headers") {
      const auto* h = v.as_table();
      if (h == nullptr) {
        st = ErrorAt(name, v, key,
                     Cat("expected a table of header name → regex, e.g. headers = { "
                         "\"Content-Type\" = \"json\" }, got ",
                         Kind(v)));
      } else {
        for (auto&& [hk, hv] : *h) {
          std::string re;
          st = GetRegex(name, hv, Cat("headers.", hk.str()), &re);
          if (!st.ok()) {
            break;
          }
          r->headers.emplace_back(std::string(hk.str()), std::move(re));
        }
      }
    } else if (key == "max_latency") {
      absl::StatusOr<int64_t> ns = absl::InvalidArgumentError("");
      if (const auto* s = v.as_string()) {
        ns = ParseDuration(s->get());
      } else if (const auto* i = v.as_integer(); i != nullptr && i->get() >= 0) {
        ns = i->get() * kNsPerSec;
      }
      if (!ns.ok() || *ns <= 0) {
        st = ErrorAt(name, v, key,
                     "expected a duration such as \"200ms\" or \"1.5s\" (more than 0)");
      } else {
        r->max_latency_ns = *ns;
      }
    } else if (key == "capture") {
      st = GetCaptures(name, v, r);
    } else {
      const toml::source_position& p = k.source().begin;
      return absl::InvalidArgumentError(Cat(name, ":", std::max<uint32_t>(p.line, 1), ":",
                                            std::max<uint32_t>(p.column, 1), ": unknown key '", key,
                                            "' in [[rules]] (", kKeys, ")"));
    }
    if (!st.ok()) {
      return st;
    }
  }
  if (r->status.empty() && r->body.empty() && r->headers.empty() && r->max_latency_ns == 0 &&
      r->captures.empty()) {
    return absl::InvalidArgumentError(
        Cat(r->where,
            ": rules: this rule checks nothing: give it status, body, headers, "
            "max_latency or capture"));
  }
  return absl::OkStatus();
}

absl::Status ReadRulesToml(const toml::node& rules, std::string_view name,
                           std::vector<RulePlan>* out) {
  const auto* a = rules.as_array();
  if (a == nullptr) {
    return absl::InvalidArgumentError(
        Cat(Pos(name, rules), ": rules: expected [[rules]] tables, got ", Kind(rules)));
  }
  for (const toml::node& item : *a) {
    const auto* t = item.as_table();
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          Cat(Pos(name, item), ": rules: expected a table, got ", Kind(item)));
    }
    RulePlan r;
    if (absl::Status st = ReadRule(name, *t, &r); !st.ok()) {
      return st;
    }
    out->push_back(std::move(r));
  }
  if (out->size() > UINT16_MAX) {
    return absl::InvalidArgumentError(
        Cat(Pos(name, rules), ": rules: ", out->size(), " rules, at most ", UINT16_MAX));
  }
  return absl::OkStatus();
}

std::string KeyPos(std::string_view name, const toml::key& k) {
  const toml::source_position& p = k.source().begin;
  return Cat(name, ":", std::max<uint32_t>(p.line, 1), ":", std::max<uint32_t>(p.column, 1));
}

// [scenario.data]: file = "users.csv", rows = "instance" | "round_robin".
absl::Status ReadDataToml(const toml::node& data, std::string_view name, ScenarioPlan* out) {
  const auto* t = data.as_table();
  if (t == nullptr) {
    return absl::InvalidArgumentError(Cat(Pos(name, data),
                                          ": scenario.data: expected a table [scenario.data] "
                                          "with file = \"users.csv\", got ",
                                          Kind(data)));
  }
  for (auto&& [k, v] : *t) {
    const std::string_view key = k.str();
    if (key == "file") {
      const auto* s = v.as_string();
      if (s == nullptr || s->get().empty()) {
        return absl::InvalidArgumentError(
            Cat(Pos(name, v), ": scenario.data.file: expected a CSV file name (a string)"));
      }
      out->data_file = s->get();
      out->data_where = Pos(name, v);
    } else if (key == "rows") {
      const auto* s = v.as_string();
      if (s == nullptr || (s->get() != "instance" && s->get() != "round_robin")) {
        return absl::InvalidArgumentError(
            Cat(Pos(name, v),
                ": scenario.data.rows: expected \"instance\" (one row per instance) or "
                "\"round_robin\" (the next row for each session)"));
      }
      out->data_round_robin = s->get() == "round_robin";
    } else {
      return absl::InvalidArgumentError(Cat(KeyPos(name, k), ": unknown key '", key,
                                            "' in [scenario.data] (file, rows; docs/scenario.md)"));
    }
  }
  if (out->data_file.empty()) {
    return absl::InvalidArgumentError(
        Cat(Pos(name, data), ": scenario.data: expected file = \"users.csv\""));
  }
  return absl::OkStatus();
}

// [[scenario.steps]]: tag = "login", sleep = "100ms".
absl::Status ReadStepsToml(const toml::node& steps, std::string_view name, ScenarioPlan* out) {
  const auto* a = steps.as_array();
  if (a == nullptr || a->empty()) {
    return absl::InvalidArgumentError(
        Cat(Pos(name, steps), ": scenario.steps: expected [[scenario.steps]] tables"));
  }
  for (const toml::node& item : *a) {
    const auto* t = item.as_table();
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          Cat(Pos(name, item), ": scenario.steps: expected a table, got ", Kind(item)));
    }
    StepPlan step;
    step.where = Pos(name, item);
    for (auto&& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "tag") {
        const auto* s = v.as_string();
        if (s == nullptr) {
          return absl::InvalidArgumentError(
              Cat(Pos(name, v), ": scenario.steps.tag: expected the tag of the step's records"));
        }
        step.tag = s->get();
      } else if (key == "sleep") {
        absl::StatusOr<int64_t> ns = absl::InvalidArgumentError("");
        if (const auto* s = v.as_string()) {
          ns = ParseDuration(s->get());
        }
        if (!ns.ok() || *ns < 0) {
          return absl::InvalidArgumentError(
              Cat(Pos(name, v),
                  ": scenario.steps.sleep: expected a think time such as \"100ms\" or \"1s\""));
        }
        step.sleep_ns = *ns;
      } else {
        return absl::InvalidArgumentError(
            Cat(KeyPos(name, k), ": unknown key '", key, "' in [[scenario.steps]] (tag, sleep)"));
      }
    }
    if (t->get("tag") == nullptr) {
      return absl::InvalidArgumentError(
          Cat(step.where, ": scenario.steps: expected tag = \"...\" (the step's records)"));
    }
    out->steps.push_back(std::move(step));
  }
  if (out->steps.size() > 65535) {
    return absl::InvalidArgumentError(
        Cat(Pos(name, steps), ": scenario.steps: more than 65535 steps"));
  }
  return absl::OkStatus();
}

absl::Status ReadScenarioToml(const toml::node& scenario, std::string_view name,
                              ScenarioPlan* out) {
  const auto* t = scenario.as_table();
  if (t == nullptr) {
    return absl::InvalidArgumentError(
        Cat(Pos(name, scenario), ": scenario: expected a table [scenario], got ", Kind(scenario)));
  }
  for (auto&& [k, v] : *t) {
    const std::string_view key = k.str();
    const std::string full = Cat("scenario.", key);
    const toml::node& value = v;  // (clang 14 cannot capture a structured binding)
    auto error = [&](std::string_view what) {
      return absl::InvalidArgumentError(Cat(Pos(name, value), ": ", full, ": ", what));
    };
    if (key == "max_vars" || key == "max_value") {
      const uint32_t hi = key == "max_vars" ? 4096 : 65535;
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < 1 || i->get() > hi) {
        return error(Cat("expected an integer 1..", hi));
      }
      (key == "max_vars" ? out->max_vars : out->max_value) = static_cast<uint32_t>(i->get());
    } else if (key == "cookies") {
      const auto* b = v.as_boolean();
      if (b == nullptr) {
        return error(Cat("expected true or false, got ", Kind(v)));
      }
      out->cookies = b->get();
    } else if (key == "on_fail") {
      const auto* s = v.as_string();
      if (s == nullptr || (s->get() != "stop" && s->get() != "continue")) {
        return error("expected \"stop\" (a failed step ends its session) or \"continue\"");
      }
      out->on_fail_stop = s->get() == "stop";
    } else if (key == "name") {
      const auto* s = v.as_string();
      if (s == nullptr || s->get().empty() || s->get().size() > 255 ||
          s->get().find_first_of("\t\r\n") != std::string::npos) {
        return error("expected a tag for the session records (a string, 1..255 bytes, no TAB)");
      }
      out->name = s->get();
    } else if (key == "data") {
      if (absl::Status st = ReadDataToml(v, name, out); !st.ok()) {
        return st;
      }
    } else if (key == "steps") {
      if (absl::Status st = ReadStepsToml(v, name, out); !st.ok()) {
        return st;
      }
    } else {
      const toml::source_position& p = k.source().begin;
      return absl::InvalidArgumentError(
          Cat(name, ":", std::max<uint32_t>(p.line, 1), ":", std::max<uint32_t>(p.column, 1),
              ": unknown key '", key,
              "' in [scenario] (max_vars, max_value, cookies, on_fail, name, data, steps; "
              "docs/scenario.md)"));
    }
  }
  return absl::OkStatus();
}

std::string FormatScenarioToml(const ScenarioPlan& scenario) {
  std::string out =
      Cat("\n[scenario]\nmax_vars = ", scenario.max_vars, "\nmax_value = ", scenario.max_value,
          "\ncookies = ", scenario.cookies ? "true" : "false",
          "\non_fail = ", scenario.on_fail_stop ? "\"stop\"" : "\"continue\"",
          "\nname = ", Quote(scenario.name), "\n");
  if (!scenario.data_file.empty()) {
    Append(&out, "\n[scenario.data]\nfile = ", Quote(scenario.data_file),
           "\nrows = ", scenario.data_round_robin ? "\"round_robin\"" : "\"instance\"", "\n");
  }
  for (const StepPlan& st : scenario.steps) {
    Append(&out, "\n[[scenario.steps]]\ntag = ", Quote(st.tag));
    if (st.sleep_ns != 0) {
      Append(&out, "\nsleep = ", Quote(FormatDuration(st.sleep_ns)));
    }
    Append(&out, "\n");
  }
  return out;
}

std::string FormatRulesToml(const std::vector<RulePlan>& rules) {
  std::string out;
  for (const RulePlan& r : rules) {
    Append(&out, "\n[[rules]]\ntag = ", Quote(r.tag), "\n");
    if (!r.status.empty()) {
      Append(&out, "status = [");
      for (size_t i = 0; i < r.status.size(); ++i) {
        Append(&out, i == 0 ? "" : ", ", Quote(r.status[i]));
      }
      Append(&out, "]\n");
    }
    if (!r.body.empty()) {
      Append(&out, "body = ", Quote(r.body), "\nbody_scan = ", r.body_scan, "\n");
    }
    if (!r.headers.empty()) {
      Append(&out, "headers = { ");
      for (size_t i = 0; i < r.headers.size(); ++i) {
        Append(&out, i == 0 ? "" : ", ", Quote(r.headers[i].first), " = ",
               Quote(r.headers[i].second));
      }
      Append(&out, " }\n");
    }
    if (r.max_latency_ns != 0) {
      Append(&out, "max_latency = ", Quote(FormatDuration(r.max_latency_ns)), "\n");
    }
    if (!r.captures.empty()) {
      if (r.body.empty()) {
        Append(&out, "body_scan = ", r.body_scan, "\n");
      }
      Append(&out, "capture = { ");
      for (size_t i = 0; i < r.captures.size(); ++i) {
        const CapturePlan& c = r.captures[i];
        Append(&out, i == 0 ? "" : ", ", c.name, " = { ");
        if (c.from == CapturePlan::From::kJson) {
          Append(&out, "json = ", Quote(c.json));
        } else if (c.from == CapturePlan::From::kHeader) {
          Append(&out, "header = ", Quote(c.header),
                 c.regex.empty() ? "" : Cat(", regex = ", Quote(c.regex)));
        } else {
          Append(&out, "regex = ", Quote(c.regex));
        }
        Append(&out, " }");
      }
      Append(&out, " }\n");
    }
  }
  return out;
}

}  // namespace

absl::Status ReadScenarioKeys(const toml::table& root, std::string_view name, Plan* plan) {
  if (const toml::node* rules = root.get("rules")) {
    if (absl::Status st = ReadRulesToml(*rules, name, &plan->rules); !st.ok()) {
      return st;
    }
  }
  if (const toml::node* sc = root.get("scenario")) {
    if (absl::Status st = ReadScenarioToml(*sc, name, &plan->scenario); !st.ok()) {
      return st;
    }
  }
  std::vector<std::string> vars;
  for (const RulePlan& r : plan->rules) {
    for (const CapturePlan& c : r.captures) {
      vars.push_back(c.name);
    }
  }
  std::sort(vars.begin(), vars.end());
  vars.erase(std::unique(vars.begin(), vars.end()), vars.end());
  if (vars.size() > plan->scenario.max_vars) {
    const toml::node* at =
        root.get("scenario") != nullptr ? root.get("scenario") : root.get("rules");
    return absl::InvalidArgumentError(
        Cat(Pos(name, *at), ": scenario.max_vars: the captures name ", vars.size(),
            " variables, more than max_vars = ", plan->scenario.max_vars));
  }
  return absl::OkStatus();
}

std::string FormatScenarioKeys(const Plan& plan) {
  if (plan.rules.empty() && plan.scenario == ScenarioPlan{}) {
    return "";
  }
  return FormatScenarioToml(plan.scenario) + FormatRulesToml(plan.rules);
}

}  // namespace incarne::scenario
