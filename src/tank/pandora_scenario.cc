// Pandora's HTTP scenario YAML → incarne plan rules + jsonline steps (docs/scenario.md
// "Pandora" has the table this implements; pandora's own description is its
// docs/eng/scenario-http-generator.md).
//
// Shape: yaml-cpp parses the text inside exactly one try block (LoadYaml, tank/yaml_load.h); the
// Converter below uses only yaml-cpp calls that do not throw (Type, Scalar, Mark, iteration)
// and returns Statuses. Pandora's names are scoped per request (`.request.auth.postprocessor.
// token`); incarne's variables are flat per instance, so each pandora name becomes one incarne
// variable (the bare name when only one request defines it, else `<request>_<name>`). A step's
// tag is pandora's sample tag, `<scenario>.<request>`, so reports by tag read the same.
#include "tank/pandora_scenario.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "incarne_config.h"
#include "scenario/jsonpath.h"
#include "scenario/template.h"
#include "tank/yaml_load.h"
#include "util/absl_view.h"
#include "util/status.h"
#include "util/strings.h"

#if INCARNE_HAVE_YAML
#include <re2/re2.h>
#endif

namespace incarne {
namespace {

// Bounds that keep a small file from asking for a huge ammo (and the fuzzer fast).
[[maybe_unused]] constexpr uint64_t kMaxRecords = 1000000;
[[maybe_unused]] constexpr uint64_t kMaxSessions = 10000;
[[maybe_unused]] constexpr uint64_t kMaxAmmoBytes = uint64_t{256} << 20;

#if INCARNE_HAVE_YAML

constexpr std::string_view kSee = " (docs/scenario.md \"Pandora\")";

// An HTTP field name (RFC 9110 token).
bool IsHeaderName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// A request or scenario name: part of a tag, which is one token of at most kMaxName bytes.
constexpr size_t kMaxName = 200;
bool IsName(std::string_view s) {
  return !s.empty() && s.size() <= kMaxName && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
}

// Longest assert text: RE2 compiles a quoted text to about one instruction a byte, and the
// plan loader refuses programs over 20000 (docs/scenario.md).
constexpr size_t kMaxAssertText = 2048;
// Longest tag regex (all the steps' tags of one request, alternated).
constexpr size_t kMaxTagRegex = 4096;

bool IsBuiltin(std::string_view s) {
  return s == "instance" || s == "iteration" || s == "now_ms" || s == "uuid" || s == "random";
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) {
    return false;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(sep, start);
    out.push_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) {
      return out;
    }
    start = p + 1;
  }
}

// "f(a, b)" → name "f", args {"a", "b"}; "f" → name "f", no args. False on a malformed call.
bool ParseCall(std::string_view s, std::string_view* name, std::vector<std::string_view>* args) {
  s = Trim(s);
  args->clear();
  const size_t open = s.find('(');
  if (open == std::string_view::npos) {
    *name = s;
    return !s.empty() && s.find(')') == std::string_view::npos;
  }
  if (s.back() != ')') {
    return false;
  }
  *name = Trim(s.substr(0, open));
  const std::string_view inner = Trim(s.substr(open + 1, s.size() - open - 2));
  if (!inner.empty()) {
    for (std::string_view a : Split(inner, ',')) {
      args->push_back(Trim(a));
    }
  }
  return !name->empty();
}

// pandora's randInt(f, t): an integer in [f, t) (its arguments swapped when t < f; none:
// [0, 10); one: [0, f)). The incarne built-in's bounds are inclusive.
absl::StatusOr<std::string> RandIntBuiltin(const std::vector<std::string_view>& args) {
  int64_t f = 0;
  int64_t t = 0;
  if (args.size() > 2) {
    return absl::InvalidArgumentError("randInt takes at most 2 arguments");
  }
  if ((!args.empty() && !ParseInt(args[0], &f)) || (args.size() == 2 && !ParseInt(args[1], &t))) {
    return absl::InvalidArgumentError(
        "randInt: expected integer literals as arguments (a variable as an argument is not "
        "converted)");
  }
  if (t < f) {
    std::swap(f, t);
  }
  if (f == 0 && t == 0) {
    t = 10;
  }
  if (t == f) {
    return absl::InvalidArgumentError("randInt with two equal arguments (pandora fails on it)");
  }
  return Cat("${random(", f, ",", t - 1, ")}");
}

// `${` in text that incarne will read as a template is written `$${` (docs/scenario.md
// "Templates in ammo").
void AppendLiteral(std::string* out, std::string_view s, bool escape) {
  if (!escape) {
    out->append(s);
    return;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      out->push_back('$');
    }
    out->push_back(s[i]);
  }
}

struct CsvSource {
  std::string name;
  std::string file;
  std::vector<std::string> fields;  // empty: named by the file's first line
};

struct CaptureSpec {
  std::string pandora_name;
  std::string var;   // the incarne variable
  std::string kind;  // "json" or "header"
  std::string arg;   // the JSON path or header name
};

struct AssertSpec {
  int64_t status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> bodies;
};

struct Request {
  std::string name;
  YAML::Node node;
  std::string method = "GET";
  std::string uri;
  std::vector<std::pair<std::string, std::string>> headers;  // converted
  std::optional<std::string> body;                           // converted
  std::vector<CaptureSpec> captures;
  std::vector<AssertSpec> asserts;
  // preprocessor variable → {is a reference, its text}: "${user_id}", or a literal (escaped
  // when it is written out)
  std::map<std::string, std::pair<bool, std::string>, std::less<>> pre;
  std::map<std::string, YAML::Node, std::less<>> pre_nodes;
  bool takes_row = false;         // a preprocessor takes source.<csv>[next]
  std::vector<std::string> tags;  // "<scenario>.<request>" of its steps
  bool used = false;
};

struct Step {
  Request* request;
  int64_t sleep_before_ms = 0;
};

struct Scenario {
  std::string name;
  int64_t weight = 1;
  std::vector<Step> steps;
};

class Converter {
 public:
  Converter(std::string_view name, const PandoraOptions& options)
      : name_(name), options_(options) {}

  absl::StatusOr<PandoraConversion> Convert(const YAML::Node& root);

 private:
  std::string Pos(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null() || m.line < 0) {
      return Cat(name_, ":1:1");
    }
    return Cat(name_, ":", m.line + 1, ":", m.column + 1);
  }
  absl::Status Error(const YAML::Node& n, std::string_view where, std::string_view what) const {
    return absl::InvalidArgumentError(Cat(Pos(n), ": ", where, ": ", what));
  }
  absl::Status Refuse(const YAML::Node& n, std::string_view where, std::string_view what) const {
    return absl::InvalidArgumentError(
        Cat(Pos(n), ": ", where, ": ", what, ": not converted", kSee));
  }

  // A map's entries with YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) expanded: yaml-cpp
  // 0.7 leaves `<<` as an ordinary key. Keys written in the map win over merged ones.
  absl::StatusOr<std::vector<std::pair<YAML::Node, YAML::Node>>> Entries(
      const YAML::Node& map, std::string_view where) const;
  absl::StatusOr<std::string> Scalar(const YAML::Node& n, std::string_view where) const;
  absl::StatusOr<int64_t> Int(const YAML::Node& n, std::string_view where) const;

  absl::Status ReadSources(const YAML::Node& list);
  absl::Status ReadRequest(const YAML::Node& n, size_t index);
  absl::Status ReadPostprocessor(Request* r, const YAML::Node& n, std::string_view where);
  absl::Status ReadScenario(const YAML::Node& n, size_t index);
  absl::Status NameVariables();
  absl::Status ResolvePreprocessor(Request* r);
  absl::Status ConvertTemplates(Request* r);
  absl::StatusOr<std::string> ConvertTemplate(const Request& r, std::string_view text,
                                              const YAML::Node& node, std::string_view where);
  absl::StatusOr<std::string> ConvertAction(const Request& r, std::string_view action);
  absl::Status WriteAmmo(PandoraConversion* out);
  void WriteRules(PandoraConversion* out);

  std::string name_;
  PandoraOptions options_;
  std::map<std::string, std::string, std::less<>> constants_;  // "<source>.<name>" → value
  std::optional<CsvSource> csv_;
  std::vector<Request> requests_;
  std::map<std::string, size_t, std::less<>> request_index_;
  std::vector<Scenario> scenarios_;
  std::set<std::string, std::less<>> scenario_names_;
  // The plan has captures or data columns: incarne reads `${` in the ammo as templates.
  bool templated_ = false;
  bool references_ = false;  // some request refers to a variable or built-in
  std::vector<std::string> notes_;
};

absl::StatusOr<std::vector<std::pair<YAML::Node, YAML::Node>>> Converter::Entries(
    const YAML::Node& map, std::string_view where) const {
  if (!map.IsMap()) {
    return Error(map, where, "expected a map");
  }
  std::vector<std::pair<YAML::Node, YAML::Node>> own;
  std::vector<YAML::Node> merged;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "<<") {
      if (it->second.IsSequence()) {
        for (const YAML::Node& m : it->second) {
          merged.push_back(m);
        }
      } else {
        merged.push_back(it->second);
      }
      continue;
    }
    if (!it->first.IsScalar() || !IsUtf8(it->first.Scalar())) {
      return Error(it->first, where, "expected a UTF-8 text key");
    }
    own.emplace_back(it->first, it->second);
  }
  std::set<std::string> seen;
  for (const auto& [k, v] : own) {
    seen.insert(k.Scalar());
  }
  for (const YAML::Node& m : merged) {
    if (!m.IsMap()) {
      return Error(m, where, "expected a map to merge with <<");
    }
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() == "<<" || !IsUtf8(it->first.Scalar())) {
        return Error(it->first, where, "expected a text key (nested << is not converted)");
      }
      if (seen.insert(it->first.Scalar()).second) {
        own.emplace_back(it->first, it->second);
      }
    }
  }
  return own;
}

absl::StatusOr<std::string> Converter::Scalar(const YAML::Node& n, std::string_view where) const {
  if (!n.IsScalar()) {
    return Error(n, where, "expected a text value");
  }
  if (!IsUtf8(n.Scalar())) {
    return Error(n, where, "expected UTF-8 text");
  }
  return n.Scalar();
}

absl::StatusOr<int64_t> Converter::Int(const YAML::Node& n, std::string_view where) const {
  int64_t v = 0;
  if (!n.IsScalar() || !ParseInt(n.Scalar(), &v)) {
    return Error(n, where, "expected an integer");
  }
  return v;
}

absl::Status Converter::ReadSources(const YAML::Node& list) {
  if (list.IsNull()) {
    return absl::OkStatus();
  }
  if (!list.IsSequence()) {
    return Error(list, "variable_sources", "expected a list");
  }
  size_t i = 0;
  for (const YAML::Node& src : list) {
    const std::string where = Cat("variable_sources[", i++, "]");
    ASSIGN_OR_RETURN(auto entries, Entries(src, where));
    std::string name;
    std::string type;
    YAML::Node type_node = src;
    CsvSource csv;
    bool ignore_first_line = false;
    YAML::Node fields_node;
    YAML::Node variables;
    for (const auto& [k, v] : entries) {
      const std::string& key = k.Scalar();
      const std::string kw = Cat(where, ".", key);
      if (key == "name") {
        ASSIGN_OR_RETURN(name, Scalar(v, kw));
      } else if (key == "type") {
        ASSIGN_OR_RETURN(type, Scalar(v, kw));
        type_node = v;
      } else if (key == "file") {
        ASSIGN_OR_RETURN(csv.file, Scalar(v, kw));
      } else if (key == "fields") {
        if (!v.IsSequence()) {
          return Error(v, kw, "expected a list of names");
        }
        fields_node = v;
        for (const YAML::Node& f : v) {
          ASSIGN_OR_RETURN(std::string field, Scalar(f, kw));
          csv.fields.push_back(std::move(field));
        }
      } else if (key == "ignore_first_line") {
        ASSIGN_OR_RETURN(std::string b, Scalar(v, kw));
        if (b != "true" && b != "false") {
          return Error(v, kw, "expected true or false");
        }
        ignore_first_line = b == "true";
      } else if (key == "delimiter") {
        ASSIGN_OR_RETURN(std::string d, Scalar(v, kw));
        if (d != ",") {
          return Refuse(v, kw, "a delimiter other than ','; incarne's data files are CSV");
        }
      } else if (key == "variables") {
        variables = v;
      } else {
        return Error(k, where, Cat("unknown key ", Shown(key)));
      }
    }
    if (name.empty()) {
      return Error(src, where, "expected a `name`");
    }
    if (type == "variables") {
      if (!variables.IsDefined() || !variables.IsMap()) {
        return Error(src, Cat(where, ".variables"), "expected a map of name → value");
      }
      for (auto it = variables.begin(); it != variables.end(); ++it) {
        const std::string kw = Cat(where, ".variables");
        ASSIGN_OR_RETURN(std::string key, Scalar(it->first, kw));
        ASSIGN_OR_RETURN(std::string value, Scalar(it->second, Cat(kw, ".", key)));
        std::string_view fn;
        std::vector<std::string_view> args;
        if (ParseCall(value, &fn, &args) && value.find('(') != std::string::npos &&
            (fn == "uuid" || fn == "randInt" || fn == "randString")) {
          return Refuse(it->second, Cat(kw, ".", key),
                        Cat(fn,
                            "() in a variables source (pandora computes it once per test; "
                            "use the function in the request instead)"));
        }
        constants_[Cat(name, ".", key)] = value;
      }
    } else if (type == "file/csv") {
      if (csv_) {
        return Refuse(src, where,
                      "a second file/csv source (incarne reads one data file per plan)");
      }
      if (csv.file.empty()) {
        return Error(src, where, "expected a `file`");
      }
      if (!csv.fields.empty() && !ignore_first_line) {
        return Refuse(fields_node, Cat(where, ".fields"),
                      "fields for a file without a header row (incarne names a data file's "
                      "columns by its first line: add it and set ignore_first_line: true)");
      }
      if (csv.fields.empty() && ignore_first_line) {
        return Refuse(src, where,
                      "ignore_first_line without fields (columns named by number; incarne "
                      "names them by the first line)");
      }
      for (const std::string& f : csv.fields) {
        if (!scenario::IsVarName(f) || IsBuiltin(f)) {
          return Refuse(fields_node, Cat(where, ".fields"),
                        Cat("column ", Shown(f),
                            " (an incarne variable name is letters, digits and _, not a "
                            "built-in)"));
        }
      }
      csv.name = name;
      csv_ = std::move(csv);
    } else if (type == "file/json") {
      return Refuse(type_node, Cat(where, ".type"), "file/json sources");
    } else {
      return Error(type_node, Cat(where, ".type"),
                   Cat("expected file/csv, file/json or variables, got ", Shown(type)));
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadPostprocessor(Request* r, const YAML::Node& n, std::string_view where) {
  ASSIGN_OR_RETURN(auto entries, Entries(n, where));
  std::string type;
  YAML::Node type_node = n;
  for (const auto& [k, v] : entries) {
    if (k.Scalar() == "type") {
      ASSIGN_OR_RETURN(type, Scalar(v, Cat(where, ".type")));
      type_node = v;
    }
  }
  if (type == "var/xpath") {
    return Refuse(type_node, Cat(where, ".type"),
                  "var/xpath (incarne captures by JSON path, header or regex)");
  }
  if (type == "var/jsonpath" || type == "var/header") {
    for (const auto& [k, v] : entries) {
      const std::string& key = k.Scalar();
      if (key == "type") {
        continue;
      }
      if (key != "mapping") {
        return Error(k, where, Cat("unknown key ", Shown(key), " (", type, " has `mapping`)"));
      }
      ASSIGN_OR_RETURN(auto mapping, Entries(v, Cat(where, ".mapping")));
      for (const auto& [mk, mv] : mapping) {
        const std::string kw = Cat(where, ".mapping.", mk.Scalar());
        ASSIGN_OR_RETURN(std::string arg, Scalar(mv, kw));
        CaptureSpec c{mk.Scalar(), "", type == "var/jsonpath" ? "json" : "header", arg};
        if (c.kind == "json") {
          if (absl::StatusOr<std::string> p = scenario::JsonPathToPointer(arg); !p.ok()) {
            return Refuse(mv, kw,
                          Cat("JSON path ", Shown(arg), ": ", p.status().message(),
                              " (incarne's paths are $, .name, ['name'] and [N])"));
          }
        } else {
          if (arg.find('|') != std::string::npos) {
            return Refuse(mv, kw,
                          Cat("header modifiers (", Shown(arg),
                              "; capture the whole value, or a part with a regex capture in "
                              "the plan)"));
          }
          if (!IsHeaderName(arg)) {
            return Error(mv, kw, Cat("expected a header name, got ", Shown(arg)));
          }
        }
        for (const CaptureSpec& other : r->captures) {
          if (other.pandora_name == c.pandora_name) {
            return Refuse(mk, kw,
                          "a name set by two postprocessors of one request (pandora keeps the "
                          "last one run)");
          }
        }
        r->captures.push_back(std::move(c));
      }
    }
    return absl::OkStatus();
  }
  if (type == "assert/response") {
    AssertSpec a;
    for (const auto& [k, v] : entries) {
      const std::string& key = k.Scalar();
      const std::string kw = Cat(where, ".", key);
      if (key == "type") {
        continue;
      }
      if (key == "status_code") {
        ASSIGN_OR_RETURN(a.status, Int(v, kw));
        if (a.status != 0 && (a.status < 100 || a.status > 999)) {
          return Error(v, kw, "expected an HTTP status 100..999");
        }
      } else if (key == "headers") {
        ASSIGN_OR_RETURN(auto hs, Entries(v, kw));
        for (const auto& [hk, hv] : hs) {
          ASSIGN_OR_RETURN(std::string value, Scalar(hv, Cat(kw, ".", hk.Scalar())));
          if (!IsHeaderName(hk.Scalar())) {
            return Error(hk, kw, Cat("expected a header name, got ", Shown(hk.Scalar())));
          }
          if (value.size() > kMaxAssertText) {
            return Refuse(hv, kw, Cat("a text longer than ", kMaxAssertText, " bytes"));
          }
          // Go's strings.Contains(x, "") is true: an empty pattern checks nothing.
          if (!value.empty()) {
            a.headers.emplace_back(hk.Scalar(), std::move(value));
          }
        }
      } else if (key == "body") {
        if (!v.IsSequence()) {
          return Error(v, kw, "expected a list of texts the body must contain");
        }
        for (const YAML::Node& b : v) {
          ASSIGN_OR_RETURN(std::string s, Scalar(b, kw));
          if (s.size() > kMaxAssertText) {
            return Refuse(b, kw, Cat("a text longer than ", kMaxAssertText, " bytes"));
          }
          if (!s.empty()) {
            a.bodies.push_back(std::move(s));
          }
        }
      } else if (key == "size") {
        return Refuse(v, kw, "a body size assert (incarne's rules have no size check)");
      } else {
        return Error(k, where, Cat("unknown key ", Shown(key)));
      }
    }
    r->asserts.push_back(std::move(a));
    return absl::OkStatus();
  }
  return Error(
      type_node, Cat(where, ".type"),
      Cat("expected var/jsonpath, var/header, var/xpath or assert/response, got ", Shown(type)));
}

absl::Status Converter::ReadRequest(const YAML::Node& n, size_t index) {
  const std::string where = Cat("requests[", index, "]");
  ASSIGN_OR_RETURN(auto entries, Entries(n, where));
  Request r;
  r.node = n;
  bool has_uri = false;
  for (const auto& [k, v] : entries) {
    const std::string& key = k.Scalar();
    const std::string kw = Cat(where, ".", key);
    if (key == "name") {
      ASSIGN_OR_RETURN(r.name, Scalar(v, kw));
    } else if (key == "method") {
      ASSIGN_OR_RETURN(r.method, Scalar(v, kw));
      if (r.method.empty() || r.method.find_first_of(" \t\r\n") != std::string::npos) {
        return Error(v, kw, "expected an HTTP method");
      }
    } else if (key == "uri") {
      has_uri = true;
    } else if (key == "headers" || key == "body") {
      // Converted once every request's variables are known (ConvertTemplates).
    } else if (key == "tag") {
      // pandora's scenario gun tags a sample `<scenario>.<request>` and ignores this key.
    } else if (key == "templater") {
      ASSIGN_OR_RETURN(auto t, Entries(v, kw));
      for (const auto& [tk, tv] : t) {
        if (tk.Scalar() != "type") {
          return Error(tk, kw, Cat("unknown key ", Shown(tk.Scalar())));
        }
        ASSIGN_OR_RETURN(std::string type, Scalar(tv, Cat(kw, ".type")));
        if (type == "html") {
          return Refuse(tv, Cat(kw, ".type"),
                        "the html templater (it HTML-escapes values; incarne inserts them as "
                        "they are: use text)");
        }
        if (type != "text") {
          return Error(tv, Cat(kw, ".type"), Cat("expected text or html, got ", Shown(type)));
        }
      }
    } else if (key == "preprocessor") {
      ASSIGN_OR_RETURN(auto p, Entries(v, kw));
      for (const auto& [pk, pv] : p) {
        if (pk.Scalar() != "mapping") {
          return Error(pk, kw, Cat("unknown key ", Shown(pk.Scalar()), " (expected mapping)"));
        }
        ASSIGN_OR_RETURN(auto mapping, Entries(pv, Cat(kw, ".mapping")));
        for (const auto& [mk, mv] : mapping) {
          r.pre_nodes[mk.Scalar()] = mv;
        }
      }
    } else if (key == "postprocessors") {
      if (!v.IsSequence()) {
        return Error(v, kw, "expected a list");
      }
      size_t j = 0;
      for (const YAML::Node& p : v) {
        RETURN_IF_ERROR(ReadPostprocessor(&r, p, Cat(kw, "[", j++, "]")));
      }
    } else {
      return Error(k, where, Cat("unknown key ", Shown(key)));
    }
  }
  if (!IsName(r.name)) {
    return Error(n, where,
                 Cat("expected a `name` of 1..", kMaxName,
                     " bytes without spaces or control characters (it is part of a tag)"));
  }
  if (!has_uri) {
    return Error(n, where, "expected a `uri`");
  }
  if (request_index_.count(r.name) != 0) {
    return Error(n, Cat(where, ".name"), Cat("a second request named ", Shown(r.name)));
  }
  request_index_[r.name] = requests_.size();
  requests_.push_back(std::move(r));
  return absl::OkStatus();
}

absl::Status Converter::ReadScenario(const YAML::Node& n, size_t index) {
  const std::string where = Cat("scenarios[", index, "]");
  ASSIGN_OR_RETURN(auto entries, Entries(n, where));
  Scenario s;
  YAML::Node list;
  for (const auto& [k, v] : entries) {
    const std::string& key = k.Scalar();
    const std::string kw = Cat(where, ".", key);
    if (key == "name") {
      ASSIGN_OR_RETURN(s.name, Scalar(v, kw));
    } else if (key == "weight") {
      ASSIGN_OR_RETURN(s.weight, Int(v, kw));
      if (s.weight < 0 || static_cast<uint64_t>(s.weight) > kMaxSessions) {
        return Error(v, kw, Cat("expected a weight 0..", kMaxSessions));
      }
      s.weight = std::max<int64_t>(s.weight, 1);  // pandora: 0 counts as 1
    } else if (key == "min_waiting_time") {
      ASSIGN_OR_RETURN(int64_t ms, Int(v, kw));
      if (ms > 0) {
        return Refuse(v, kw,
                      "min_waiting_time (a session padded to a minimum time; incarne's "
                      "sessions end with their last reply)");
      }
    } else if (key == "requests") {
      list = v;
    } else {
      return Error(k, where, Cat("unknown key ", Shown(key)));
    }
  }
  if (!IsName(s.name)) {
    return Error(n, where,
                 Cat("expected a `name` of 1..", kMaxName,
                     " bytes without spaces or control characters (it is part of a tag)"));
  }
  if (!scenario_names_.insert(s.name).second) {
    return Error(n, Cat(where, ".name"), Cat("a second scenario named ", Shown(s.name)));
  }
  if (!list.IsDefined() || !list.IsSequence() || list.size() == 0) {
    return Error(n, Cat(where, ".requests"), "expected a list of request names");
  }
  int64_t pending_sleep = 0;
  uint64_t rows = 0;
  for (const YAML::Node& item : list) {
    const std::string kw = Cat(where, ".requests");
    ASSIGN_OR_RETURN(std::string text, Scalar(item, kw));
    std::string_view fn;
    std::vector<std::string_view> args;
    int64_t count = 1;
    int64_t sleep = 0;
    if (!ParseCall(text, &fn, &args) || args.size() > 2 ||
        (!args.empty() && !args[0].empty() && !ParseInt(args[0], &count)) ||
        (args.size() == 2 && !args[1].empty() && !ParseInt(args[1], &sleep)) || count < 0 ||
        sleep < 0 || sleep > 86400000) {
      return Error(
          item, kw,
          Cat("expected name, name(count), name(count, sleep_ms) or sleep(ms), got ", Shown(text)));
    }
    if (fn == "sleep") {
      pending_sleep += count;
      if (s.steps.empty()) {
        notes_.push_back(Cat(Pos(item), ": ", kw,
                             ": a sleep before a session's first step "
                             "is not kept (pandora adds it to no request)"));
        pending_sleep = 0;
      }
      continue;
    }
    auto it = request_index_.find(fn);
    if (it == request_index_.end()) {
      return Error(item, kw, Cat("no request named ", Shown(fn)));
    }
    Request* r = &requests_[it->second];
    r->used = true;
    const std::string tag = Cat(s.name, ".", r->name);
    if (std::find(r->tags.begin(), r->tags.end(), tag) == r->tags.end()) {
      r->tags.push_back(tag);
    }
    for (int64_t c = 0; c < count; ++c) {
      if (s.steps.size() >= kMaxRecords) {
        return Error(item, kw, Cat("more than ", kMaxRecords, " steps"));
      }
      // pandora sleeps after a request; incarne's `sleep` is the pause before a step.
      s.steps.push_back({r, pending_sleep});
      pending_sleep = sleep;
      rows += r->takes_row ? 1 : 0;
    }
  }
  if (pending_sleep > 0) {
    notes_.push_back(Cat(Pos(list), ": ", where, ".requests: the ", pending_sleep,
                         " ms sleep after the last step is not kept (an incarne session ends "
                         "with its last reply)"));
  }
  if (rows > 1) {
    return Refuse(list, Cat(where, ".requests"),
                  "source[next] taken by more than one step of a session (pandora takes a new "
                  "row at each; incarne's data row is one per session)");
  }
  scenarios_.push_back(std::move(s));
  return absl::OkStatus();
}

absl::Status Converter::NameVariables() {
  std::map<std::string, int, std::less<>> defined;
  for (const Request& r : requests_) {
    for (const CaptureSpec& c : r.captures) {
      ++defined[c.pandora_name];
    }
  }
  std::set<std::string, std::less<>> columns;
  if (csv_) {
    columns.insert(csv_->fields.begin(), csv_->fields.end());
  }
  std::set<std::string, std::less<>> taken;
  for (Request& r : requests_) {
    for (CaptureSpec& c : r.captures) {
      std::string var = c.pandora_name;
      if (defined[var] > 1 || columns.count(var) != 0 || IsBuiltin(var)) {
        var = Cat(r.name, "_", c.pandora_name);
        for (char& ch : var) {
          if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) {
            ch = '_';
          }
        }
      }
      if (!scenario::IsVarName(var) || !taken.insert(var).second) {
        return Refuse(r.node, Cat("requests.", r.name, ".postprocessors"),
                      Cat("the variable ", Shown(c.pandora_name), " (as incarne's ", Shown(var),
                          ": letters, digits, _, not first a digit, at most 64 bytes, unique)"));
      }
      c.var = std::move(var);
      templated_ = true;
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::ResolvePreprocessor(Request* r) {
  for (const auto& [name, node] : r->pre_nodes) {
    const std::string where = Cat("requests.", r->name, ".preprocessor.mapping.", name);
    ASSIGN_OR_RETURN(std::string value, Scalar(node, where));
    std::string_view fn;
    std::vector<std::string_view> args;
    if (value.find('(') != std::string::npos && ParseCall(value, &fn, &args)) {
      if (fn == "uuid" && args.empty()) {
        r->pre[name] = {true, "${uuid}"};
      } else if (fn == "randInt") {
        absl::StatusOr<std::string> b = RandIntBuiltin(args);
        if (!b.ok()) {
          return Refuse(node, where, StdView(b.status().message()));
        }
        r->pre[name] = {true, *b};
      } else {
        return Refuse(node, where,
                      Cat("the function ", Shown(fn),
                          " (incarne has uuid and "
                          "randInt as ${uuid}, ${random})"));
      }
      continue;
    }
    const std::vector<std::string_view> parts = Split(value, '.');
    if (parts.size() == 3 && parts[0] == "source" && csv_ &&
        parts[1] == Cat(csv_->name, "[next]")) {
      const std::string column(parts[2]);
      if (!csv_->fields.empty() &&
          std::find(csv_->fields.begin(), csv_->fields.end(), column) == csv_->fields.end()) {
        return Error(node, where,
                     Cat("the source ", Shown(csv_->name), " has no field ", Shown(column)));
      }
      if (!scenario::IsVarName(column) || IsBuiltin(column)) {
        return Refuse(node, where,
                      Cat("the column ", Shown(column), " (not an incarne variable name)"));
      }
      r->pre[name] = {true, Cat("${", column, "}")};
      r->takes_row = true;
      continue;
    }
    if (parts.size() == 3 && parts[0] == "source") {
      auto c = constants_.find(Cat(parts[1], ".", parts[2]));
      if (c != constants_.end()) {
        r->pre[name] = {false, c->second};
        continue;
      }
    }
    if (parts.size() == 4 && parts[0] == "request" && parts[2] == "postprocessor") {
      auto it = request_index_.find(parts[1]);
      if (it != request_index_.end()) {
        for (const CaptureSpec& c : requests_[it->second].captures) {
          if (c.pandora_name == parts[3]) {
            r->pre[name] = {true, Cat("${", c.var, "}")};
            break;
          }
        }
        if (r->pre.count(name) != 0) {
          continue;
        }
      }
    }
    return Refuse(node, where,
                  Cat(Shown(value),
                      ": incarne converts source.<csv>[next].<field>, source.<variables>.<name>, "
                      "request.<name>.postprocessor.<var>, uuid() and randInt(); other "
                      "sources, [rand], [last], indexes and arrays from a capture are not"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Converter::ConvertAction(const Request& r, std::string_view action) {
  std::string_view a = Trim(action);
  if (!a.empty() && (a.front() == '-' || a.back() == '-')) {
    return absl::InvalidArgumentError("trim markers {{- -}}");
  }
  std::vector<std::string_view> words;
  for (std::string_view w : Split(a, ' ')) {
    if (!w.empty()) {
      words.push_back(w);
    }
  }
  if (words.empty()) {
    return absl::InvalidArgumentError("an empty action");
  }
  if (words[0] == "uuid" && words.size() == 1) {
    return std::string("${uuid}");
  }
  if (words[0] == "randInt") {
    return RandIntBuiltin({words.begin() + 1, words.end()});
  }
  if (words.size() == 1 && words[0].front() == '.') {
    const std::vector<std::string_view> p = Split(words[0].substr(1), '.');
    if (p.size() == 4 && p[0] == "request") {
      auto it = request_index_.find(p[1]);
      if (it == request_index_.end()) {
        return absl::InvalidArgumentError(Cat("no request named ", Shown(p[1])));
      }
      const Request& other = requests_[it->second];
      if (p[2] == "postprocessor") {
        for (const CaptureSpec& c : other.captures) {
          if (c.pandora_name == p[3]) {
            return Cat("${", c.var, "}");
          }
        }
        return absl::InvalidArgumentError(
            Cat("the request ", Shown(p[1]), " has no postprocessor variable ", Shown(p[3])));
      }
      if (p[2] == "preprocessor") {
        if (&other != &r) {
          return absl::InvalidArgumentError(
              "another request's preprocessor variable (map it in this request's preprocessor)");
        }
        auto v = other.pre.find(p[3]);
        if (v == other.pre.end()) {
          return absl::InvalidArgumentError(
              Cat("the request ", Shown(p[1]), " has no preprocessor variable ", Shown(p[3])));
        }
        if (v->second.first) {
          return v->second.second;
        }
        std::string out;
        AppendLiteral(&out, v->second.second, templated_);
        return out;
      }
    }
    if (p.size() == 3 && p[0] == "source") {
      auto c = constants_.find(Cat(p[1], ".", p[2]));
      if (c != constants_.end()) {
        std::string out;
        AppendLiteral(&out, c->second, templated_);
        return out;
      }
    }
    return absl::InvalidArgumentError(
        "a variable other than .request.<name>.postprocessor.<var>, .request.<this>."
        "preprocessor.<var> or .source.<variables>.<name>");
  }
  return absl::InvalidArgumentError(
      "Go template functions, pipelines and control structures other than uuid and randInt");
}

absl::StatusOr<std::string> Converter::ConvertTemplate(const Request& r, std::string_view text,
                                                       const YAML::Node& node,
                                                       std::string_view where) {
  std::string out;
  size_t i = 0;
  for (;;) {
    const size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      AppendLiteral(&out, text.substr(i), templated_);
      return out;
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Error(node, where, Cat("offset ", open, ": {{ without }}"));
    }
    AppendLiteral(&out, text.substr(i, open - i), templated_);
    const std::string_view action = text.substr(open + 2, close - open - 2);
    absl::StatusOr<std::string> v = ConvertAction(r, action);
    if (!v.ok()) {
      return Refuse(node, where,
                    Cat("offset ", open, ": {{", action, "}}: ", v.status().message()));
    }
    if (v->find("${") != std::string::npos) {
      references_ = true;
    }
    out += *v;
    i = close + 2;
  }
}

absl::Status Converter::ConvertTemplates(Request* r) {
  const std::string where = Cat("requests.", r->name);
  ASSIGN_OR_RETURN(auto entries, Entries(r->node, where));
  for (const auto& [k, v] : entries) {
    const std::string& key = k.Scalar();
    const std::string kw = Cat(where, ".", key);
    if (key == "uri") {
      ASSIGN_OR_RETURN(std::string uri, Scalar(v, kw));
      ASSIGN_OR_RETURN(r->uri, ConvertTemplate(*r, uri, v, kw));
    } else if (key == "body") {
      if (!v.IsNull()) {
        ASSIGN_OR_RETURN(std::string body, Scalar(v, kw));
        ASSIGN_OR_RETURN(r->body, ConvertTemplate(*r, body, v, kw));
      }
    } else if (key == "headers") {
      if (v.IsNull()) {
        continue;
      }
      ASSIGN_OR_RETURN(auto hs, Entries(v, kw));
      for (const auto& [hk, hv] : hs) {
        const std::string hw = Cat(kw, ".", hk.Scalar());
        ASSIGN_OR_RETURN(std::string value, Scalar(hv, hw));
        ASSIGN_OR_RETURN(std::string converted, ConvertTemplate(*r, value, hv, hw));
        r->headers.emplace_back(hk.Scalar(), std::move(converted));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::WriteAmmo(PandoraConversion* out) {
  // pandora spreads scenarios by weight / gcd(weights) copies; they are interleaved here
  // (smooth weighted round robin) so that any prefix of the ammo keeps the proportions.
  int64_t g = 0;
  for (const Scenario& s : scenarios_) {
    g = std::gcd(g, s.weight);
  }
  std::vector<int64_t> copies;
  uint64_t total = 0;
  for (const Scenario& s : scenarios_) {
    copies.push_back(s.weight / g);
    total += static_cast<uint64_t>(s.weight / g);
  }
  if (total > kMaxSessions) {
    return absl::InvalidArgumentError(Cat(name_, ": scenarios: the weights spread to ", total,
                                          " sessions (more than ", kMaxSessions, "): divide them"));
  }
  std::vector<int64_t> current(scenarios_.size(), 0);
  for (uint64_t n = 0; n < total; ++n) {
    size_t best = 0;
    for (size_t i = 0; i < scenarios_.size(); ++i) {
      current[i] += copies[i];
      if (current[i] > current[best]) {
        best = i;
      }
    }
    current[best] -= static_cast<int64_t>(total);
    const Scenario& s = scenarios_[best];
    uint32_t step = 0;
    for (const Step& st : s.steps) {
      const Request& r = *st.request;
      std::string line = Cat("{\"tag\":", Quote(Cat(s.name, ".", r.name)),
                             ",\"method\":", Quote(r.method), ",\"uri\":", Quote(r.uri));
      if (!options_.target.empty()) {
        Append(&line, ",\"host\":", Quote(options_.target));
      }
      line += ",\"headers\":{";
      for (size_t h = 0; h < r.headers.size(); ++h) {
        Append(&line, h == 0 ? "" : ",", Quote(r.headers[h].first), ":",
               Quote(r.headers[h].second));
      }
      line += "}";
      if (r.body) {
        Append(&line, ",\"body\":", Quote(*r.body));
      }
      Append(&line, ",\"scenario\":", Quote(s.name), ",\"step\":", ++step);
      if (st.sleep_before_ms > 0) {
        Append(&line, ",\"sleep\":\"", st.sleep_before_ms, "ms\"");
      }
      line += "}\n";
      out->ammo_jsonl += line;
      ++out->records;
      if (out->records > kMaxRecords || out->ammo_jsonl.size() > kMaxAmmoBytes) {
        return absl::InvalidArgumentError(Cat(name_, ": the ammo would be over ", kMaxRecords,
                                              " records or ", kMaxAmmoBytes >> 20, " MiB"));
      }
    }
    ++out->sessions;
  }
  return absl::OkStatus();
}

void Converter::WriteRules(PandoraConversion* out) {
  std::string& t = out->rules_toml;
  for (const Request& r : requests_) {
    if (!r.used || (r.captures.empty() && r.asserts.empty())) {
      continue;
    }
    std::string tag;
    for (const std::string& full : r.tags) {
      Append(&tag, tag.empty() ? "" : "|", RE2::QuoteMeta(full));
    }
    const std::string head = Cat("\n# pandora request ", Shown(r.name), " (", Pos(r.node),
                                 ")\n[[rules]]\ntag = ", Quote(tag), "\n");
    // Captures first: pandora runs postprocessors in order and any failure ends the session;
    // incarne's order within a rule is checks, then captures — a failure fails the hit either
    // way.
    if (!r.captures.empty()) {
      t += head;
      t += "capture = { ";
      for (size_t i = 0; i < r.captures.size(); ++i) {
        const CaptureSpec& c = r.captures[i];
        Append(&t, i == 0 ? "" : ", ", c.var, " = { ", c.kind, " = ", Quote(c.arg), " }");
      }
      t += " }\n";
      ++out->rules;
    }
    for (const AssertSpec& a : r.asserts) {
      // One rule per body text: a rule has one body regex, and pandora needs every text.
      const size_t n = std::max<size_t>(1, a.bodies.size());
      for (size_t i = 0; i < n; ++i) {
        std::string checks;
        if (i == 0 && a.status != 0) {
          Append(&checks, "status = [", a.status, "]\n");
        }
        if (i == 0 && !a.headers.empty()) {
          checks += "headers = { ";
          for (size_t h = 0; h < a.headers.size(); ++h) {
            Append(&checks, h == 0 ? "" : ", ", Quote(a.headers[h].first), " = ",
                   Quote(RE2::QuoteMeta(a.headers[h].second)));
          }
          checks += " }\n";
        }
        if (i < a.bodies.size()) {
          Append(&checks, "body = ", Quote(RE2::QuoteMeta(a.bodies[i])), "\n");
        }
        if (!checks.empty()) {
          t += head;
          t += checks;
          ++out->rules;
        }
      }
    }
  }
}

absl::StatusOr<PandoraConversion> Converter::Convert(const YAML::Node& root) {
  if (!root.IsMap()) {
    return Error(root, "pandora scenario", "expected a map with requests and scenarios");
  }
  ASSIGN_OR_RETURN(auto entries, Entries(root, "pandora scenario"));
  YAML::Node requests;
  YAML::Node scenarios;
  for (const auto& [k, v] : entries) {
    const std::string& key = k.Scalar();
    if (key == "locals") {
      // Only a place for YAML anchors: their uses are already expanded.
    } else if (key == "variable_sources") {
      RETURN_IF_ERROR(ReadSources(v));
    } else if (key == "requests") {
      requests = v;
    } else if (key == "scenarios") {
      scenarios = v;
    } else if (key == "calls") {
      if (!v.IsNull() && !(v.IsSequence() && v.size() == 0)) {
        return Refuse(v, "calls", "gRPC calls (this reads pandora's HTTP scenarios)");
      }
    } else {
      return Error(k, "pandora scenario", Cat("unknown key ", Shown(key)));
    }
  }
  if (!requests.IsDefined() || !requests.IsSequence() || requests.size() == 0) {
    return Error(root, "requests", "expected a list of requests");
  }
  if (!scenarios.IsDefined() || !scenarios.IsSequence() || scenarios.size() == 0) {
    return Error(root, "scenarios", "expected a list of scenarios");
  }
  size_t i = 0;
  for (const YAML::Node& r : requests) {
    RETURN_IF_ERROR(ReadRequest(r, i++));
  }
  RETURN_IF_ERROR(NameVariables());
  for (Request& r : requests_) {
    RETURN_IF_ERROR(ResolvePreprocessor(&r));
    templated_ = templated_ || r.takes_row;
  }
  i = 0;
  for (const YAML::Node& s : scenarios) {
    RETURN_IF_ERROR(ReadScenario(s, i++));
  }
  for (Request& r : requests_) {
    size_t tag_bytes = 0;
    for (const std::string& t : r.tags) {
      tag_bytes += RE2::QuoteMeta(t).size() + 1;
    }
    if (tag_bytes > kMaxTagRegex && (!r.captures.empty() || !r.asserts.empty())) {
      return Refuse(
          r.node, Cat("requests.", r.name),
          Cat("postprocessors of a request in ", r.tags.size(),
              " scenarios (its rule's tag regex would be over ", kMaxTagRegex, " bytes)"));
    }
    if (!r.used) {
      notes_.push_back(
          Cat(Pos(r.node), ": the request ", Shown(r.name), " is in no scenario: not written"));
      continue;
    }
    RETURN_IF_ERROR(ConvertTemplates(&r));
  }

  PandoraConversion out;
  RETURN_IF_ERROR(WriteAmmo(&out));
  size_t vars = 0;
  bool data_used = false;
  for (const Request& r : requests_) {
    vars += r.captures.size();
    data_used = data_used || (r.used && r.takes_row);
  }
  if (vars > 16) {
    Append(&out.rules_toml, "[scenario]\nmax_vars = ", vars, "\n");
  }
  WriteRules(&out);
  std::string& p = out.plan_toml;
  Append(&p, "# Converted from ", name_, " by `incarne ammo convert --from pandora-scenario`\n",
         "# (docs/scenario.md \"Pandora\"). Add the load: pandora's rps schedule as [load].\n");
  if (!options_.target.empty()) {
    Append(&p, "\n[target]\naddress = ", Quote(options_.target), "\n");
  }
  Append(&p, "\n[ammo]\nfile = ", Quote(options_.ammo_path), "\n");
  // A failed assert or capture ends pandora's session.
  Append(&p, "\n[scenario]\non_fail = \"stop\"\n");
  if (vars > 16) {
    Append(&p, "max_vars = ", vars, "\n");
  }
  if (data_used) {
    // pandora's [next]: every session takes the next row.
    Append(&p, "\n[scenario.data]\nfile = ", Quote(csv_->file), "\n");
    out.data_file = csv_->file;
    out.data_columns = csv_->fields;
  }
  // The rules part without its own [scenario] table (the plan has one above).
  const size_t rules_at = vars > 16 ? out.rules_toml.find("\n#") : 0;
  p += out.rules_toml.substr(rules_at == std::string::npos ? out.rules_toml.size() : rules_at);
  if (!templated_ && references_) {
    notes_.push_back(
        "the requests use ${...} built-ins but the plan captures nothing and reads no data "
        "file: incarne reads templates only in a plan that has variables (docs/scenario.md "
        "\"Templates in ammo\")");
  }
  out.notes = std::move(notes_);
  return out;
}

#endif  // INCARNE_HAVE_YAML

}  // namespace

absl::StatusOr<PandoraConversion> ConvertPandoraScenario(std::string_view text,
                                                         std::string_view name,
                                                         const PandoraOptions& options) {
#if INCARNE_HAVE_YAML
  return LoadYaml(text, name, "a pandora scenario", [name, &options](const YAML::Node& root) {
    Converter converter(name, options);
    return converter.Convert(root);
  });
#else
  (void)text;
  (void)options;
  return absl::FailedPreconditionError(
      Cat(name, ": this incarne was built without YAML support (yaml-cpp; meson option yaml)"));
#endif
}

}  // namespace incarne
