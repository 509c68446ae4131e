// Yandex.Tank YAML `phantom:` section → Plan (docs/tank.md has the table this implements).
//
// Shape: the YAML text is parsed by yaml-cpp into a node tree inside exactly one try block
// (LoadYaml, tank/yaml_load.h); every other function here uses only yaml-cpp calls that do not
// throw (Type, Scalar, Mark, Tag, iteration) and returns Statuses. Each `phantom:` key has one
// entry in kKeys: its reader, or the reason it is ignored or refused. The converted Plan is checked
// once more by the TOML plan loader; an error found there is mapped back to the YAML key it
// came from, so the user always sees a position in the YAML file.
#include "tank/tank_yaml.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "incarne_config.h"
#include "plan/criterion.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "plan/schedule.h"
#include "tank/phantom_conf.h"
#include "tank/yaml_load.h"
#include "util/absl_view.h"
#include "util/small_file.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne {
namespace {

#if INCARNE_HAVE_YAML

// The name the converted plan carries through the TOML loader, so that its errors can be
// recognised and mapped back (MapLoaderError).
constexpr std::string_view kLoaderName = "<tank import>";

// A value for a message: quoted, cut to a readable length, control bytes as \xNN so that
// the message stays one line (util's Shown escapes as TOML does; Tank users read YAML).
std::string ShownHex(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  for (const char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      Append(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  if (s.size() > kMax) {
    out += "...";
  }
  out += '"';
  return out;
}

// What Tank's YAML values are trimmed of (util's one-argument Trim also trims \v and \f, which a
// header value must not lose silently: it is refused instead).
constexpr std::string_view kYamlSpace = " \t\r\n";

std::vector<std::string> SplitSpaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
      ++i;
    }
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r') {
      ++j;
    }
    if (j > i) {
      out.emplace_back(s.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

// Optional sign and decimal digits, within int64.
bool ParseInt(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string_view TypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string Got(const YAML::Node& n) {
  if (n.IsScalar()) {
    return Cat("got ", ShownHex(n.Scalar()));
  }
  return Cat("got ", TypeName(n));
}

// One `phantom:` key: its value node and where it was written.
struct Key {
  std::string name;  // "timeout"
  YAML::Node value;
  YAML::Mark key_mark;  // of the key (for "unknown key")
};

class Converter {
 public:
  explicit Converter(std::string_view name) : name_(name) {}

  absl::StatusOr<TankImport> Convert(const YAML::Node& root);

 private:
  // "name:line:col" of a node (1-based), or of `fallback` when the node has no mark.
  std::string Pos(const YAML::Mark& m) const {
    if (m.is_null() || m.line < 0 || m.column < 0) {
      return Cat(name_, ":1:1");
    }
    return Cat(name_, ":", m.line + 1, ":", m.column + 1);
  }

  absl::Status ErrorAt(const YAML::Mark& m, std::string_view key, std::string_view what) const {
    return absl::InvalidArgumentError(Cat(Pos(m), ": ", key, ": ", what));
  }
  absl::Status Error(const Key& k, std::string_view what) const {
    return ErrorAt(k.value.Mark(), Cat("phantom.", k.name), what);
  }
  absl::Status Expected(const Key& k, std::string_view expected) const {
    return Error(k, Cat("expected ", expected, ", ", Got(k.value)));
  }

  absl::Status GetString(const Key& k, std::string* out) const {
    if (!k.value.IsScalar()) {
      return Expected(k, "a string");
    }
    *out = k.value.Scalar();
    return absl::OkStatus();
  }
  absl::Status GetInt(const Key& k, int64_t lo, int64_t hi, int64_t* out) const {
    if (!k.value.IsScalar() || !ParseInt(Trim(k.value.Scalar(), kYamlSpace), out) || *out < lo ||
        *out > hi) {
      return Expected(k, Cat("an integer from ", lo, " to ", hi));
    }
    return absl::OkStatus();
  }
  // YAML 1.1 booleans (PyYAML, which Tank uses): true/false, yes/no, on/off, any case.
  absl::Status GetBool(const Key& k, bool* out) const {
    if (k.value.IsScalar()) {
      std::string s = k.value.Scalar();
      std::transform(s.begin(), s.end(), s.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (s == "true" || s == "yes" || s == "on" || s == "y") {
        *out = true;
        return absl::OkStatus();
      }
      if (s == "false" || s == "no" || s == "off" || s == "n") {
        *out = false;
        return absl::OkStatus();
      }
    }
    return Expected(k, "true or false");
  }
  absl::Status GetStringList(const Key& k, std::vector<std::string>* out) const {
    if (!k.value.IsSequence()) {
      return Expected(k, "a list of strings");
    }
    for (const YAML::Node& item : k.value) {
      if (!item.IsScalar()) {
        return ErrorAt(item.Mark(), Cat("phantom.", k.name),
                       Cat("expected a string in the list, ", Got(item)));
      }
      out->push_back(item.Scalar());
    }
    return absl::OkStatus();
  }

  // An error "column N: what" from a parser of the string value of `k`, placed inside the
  // value when it is written on one line.
  absl::Status FromColumnError(const YAML::Node& value, std::string_view key,
                               const absl::Status& st) const {
    std::string_view msg = StdView(st.message());
    size_t column = 0;
    if (msg.starts_with("column ")) {
      const size_t colon = msg.find(':');
      if (colon != std::string_view::npos) {
        int64_t n = 0;
        if (ParseInt(msg.substr(7, colon - 7), &n) && n > 0) {
          column = static_cast<size_t>(n);
          msg = Trim(msg.substr(colon + 1), kYamlSpace);
        }
      }
    }
    YAML::Mark m = value.Mark();
    const std::string& text = value.Scalar();
    const bool one_line = text.find('\n') == std::string::npos;
    const bool plain = value.Tag() == "?";
    const bool quoted = value.Tag() == "!" && one_line;  // '...' or "..." on one line
    if (column > 0 && one_line && (plain || quoted) && !m.is_null()) {
      m.column += static_cast<int>(column - 1) + (quoted ? 1 : 0);
      return ErrorAt(m, key, msg);
    }
    if (column > 0) {
      return ErrorAt(m, key, Cat("column ", column, " of the value: ", msg));
    }
    return ErrorAt(m, key, msg);
  }

  // One `phantom:` key of Tank's schema (plugins/Phantom/config/schema.py, plus the `enabled`
  // and `package` keys Tank allows in every plugin section) and how it is read: the table
  // kKeys below is docs/tank.md "The keys" in code.
  using Reader = absl::Status (Converter::*)(const Key&);
  struct KeySpec {
    std::string_view name;
    // The plan key it becomes ("": none, or several set by the reader itself): a plan loader
    // error in that plan key is reported at this YAML key (MapLoaderError).
    std::string_view plan_key;
    Reader read;  // converts the value, or type-checks it (ignored keys) or refuses it
    // Non-empty: the key is accepted and ignored, for this reason (listed in a note).
    std::string_view ignored;
  };
  static const KeySpec kKeys[];
  static const KeySpec* FindSpec(std::string_view name);
  static std::string KnownKeyList();

  absl::Status ReadKey(const Key& k);
  // Tank's `autostop:` section (plugins/Autostop: autostop, report_file, enabled, package)
  // → plan autostop.criteria, each checked with Tank's syntax (docs/autostop.md).
  absl::Status ReadAutostop(const YAML::Node& section);
  absl::Status ReadLoadProfile(const Key& k);
  // Readers of kKeys, in its order.
  absl::Status ReadLater(const Key&) { return absl::OkStatus(); }
  absl::Status ReadInstances(const Key& k);
  absl::Status ReadAmmofile(const Key& k);
  absl::Status ReadAmmoType(const Key& k);
  absl::Status ReadUris(const Key& k);
  absl::Status ReadHeaders(const Key& k);
  absl::Status ReadHeaderHttp(const Key& k);
  absl::Status ReadLoop(const Key& k) { return GetInt(k, -1, int64_t{1} << 40, &loop_); }
  absl::Status ReadAmmoLimit(const Key& k) { return GetInt(k, -1, INT64_MAX, &ammo_limit_); }
  absl::Status ReadAutocases(const Key& k);
  absl::Status ReadChosenCases(const Key& k);
  absl::Status ReadEnumAmmo(const Key& k);
  absl::Status ReadTimeout(const Key& k);
  absl::Status ReadSsl(const Key& k) { return GetBool(k, &ssl_); }
  absl::Status ReadClientCertificate(const Key& k) {
    return GetTlsString(k, &plan_.target.tls.cert_file);
  }
  absl::Status ReadClientKey(const Key& k) { return GetTlsString(k, &plan_.target.tls.key_file); }
  absl::Status ReadClientCipherSuites(const Key& k) {
    return GetTlsString(k, &plan_.target.tls.ciphers);
  }
  absl::Status ReadWritelog(const Key& k);
  absl::Status ReadTankType(const Key& k);
  absl::Status ReadGatlingIp(const Key& k);
  absl::Status ReadThreads(const Key& k);
  absl::Status ReadHttpLine(const Key& k) {
    return GetHttpLimit(k, UINT32_MAX, [this](uint64_t v) {
      plan_.target.http.max_line = static_cast<uint32_t>(v);
    });
  }
  absl::Status ReadHttpFieldNum(const Key& k);
  absl::Status ReadHttpField(const Key& k) {
    return GetHttpLimit(k, UINT32_MAX, [this](uint64_t v) {
      plan_.target.http.max_field = static_cast<uint32_t>(v);
    });
  }
  absl::Status ReadHttpEntity(const Key& k) {
    return GetHttpLimit(k, UINT64_MAX / 2,
                        [this](uint64_t v) { plan_.target.http.max_entity = v; });
  }
  absl::Status RefuseMulti(const Key& k);
  absl::Status ReadEnabled(const Key& k);
  absl::Status ReadPackage(const Key& k);
  absl::Status RefuseConfig(const Key& k);
  absl::Status RefusePhoutFile(const Key& k);
  absl::Status RefuseAdditionalLibs(const Key& k);
  absl::Status ReadMethodPrefix(const Key& k) { return RequireDefault(k, "method_stream"); }
  absl::Status ReadEmptyHook(const Key& k) { return RequireDefault(k, ""); }
  // Type checks of ignored keys (a typo in a value is still an error).
  absl::Status CheckBool(const Key& k) {
    bool on = false;
    return GetBool(k, &on);
  }
  absl::Status CheckInt(const Key& k) {
    int64_t v = 0;
    return GetInt(k, INT64_MIN, INT64_MAX, &v);
  }
  absl::Status CheckOptionalString(const Key& k) {
    std::string s;
    return k.value.IsNull() ? absl::OkStatus() : GetString(k, &s);
  }

  // Helpers of the readers.
  absl::Status GetTlsString(const Key& k, std::string* out);
  template <typename Set>
  absl::Status GetHttpLimit(const Key& k, uint64_t hi, Set set);
  absl::Status RequireDefault(const Key& k, std::string_view def);
  absl::Status ReadAddress();
  absl::Status Finish();
  absl::Status MapLoaderError(const absl::Status& st) const;

  void Ignore(const Key& k, std::string_view why) {
    ignored_.push_back(Cat(k.name, " (", why, ")"));
  }
  // For errors the TOML loader finds in a plan key: which YAML key it came from.
  void Source(std::string_view plan_key, const Key& k) {
    sources_[std::string(plan_key)] = {k.name, k.value.Mark()};
  }
  const Key* Find(std::string_view name) const {
    for (const Key& k : keys_) {
      if (k.name == name) {
        return &k;
      }
    }
    return nullptr;
  }

  std::string name_;
  YAML::Mark phantom_mark_ = YAML::Mark::null_mark();  // of the `phantom:` key
  Plan plan_;
  std::vector<Key> keys_;
  std::vector<std::string> ignored_;
  std::vector<std::string> notes_;
  std::map<std::string, std::pair<std::string, YAML::Mark>, std::less<>> sources_;
  // Read from several keys, resolved in Finish().
  std::optional<std::string> ammofile_;
  std::optional<std::vector<std::string>> uris_;
  std::string ammo_type_ = "phantom";
  int64_t loop_ = -1;
  int64_t ammo_limit_ = -1;
  std::string load_type_;
  bool ssl_ = false;
  bool has_tls_keys_ = false;
};

// docs/tank.md "The keys", row by row. Keys read together or resolved between keys are read
// in ReadAddress (address, port) and Finish (ammofile/uris/ammo_type, loop/ammo_limit, ssl
// and the client keys).
const Converter::KeySpec Converter::kKeys[] = {
    // key                    plan key                     reader
    {"address", "", &Converter::ReadLater, ""},  // with port, in ReadAddress
    {"port", "", &Converter::ReadLater, ""},
    {"load_profile", "", &Converter::ReadLoadProfile, ""},  // load.model, load.schedule
    {"instances", "load.instances", &Converter::ReadInstances, ""},
    {"ammofile", "ammo.file", &Converter::ReadAmmofile, ""},
    {"ammo_type", "ammo.format", &Converter::ReadAmmoType, ""},
    {"uris", "ammo.uris", &Converter::ReadUris, ""},
    {"headers", "ammo.headers", &Converter::ReadHeaders, ""},
    {"header_http", "", &Converter::ReadHeaderHttp, ""},  // ammo.http_version
    {"loop", "", &Converter::ReadLoop, ""},               // ammo.loop, in Finish
    {"ammo_limit", "", &Converter::ReadAmmoLimit, ""},    // ammo.limit, in Finish
    {"autocases", "ammo.autocases", &Converter::ReadAutocases, ""},
    {"chosen_cases", "ammo.chosen_cases", &Converter::ReadChosenCases, ""},
    {"enum_ammo", "", &Converter::ReadEnumAmmo, ""},  // true: ignored, noted
    {"timeout", "target.timeout", &Converter::ReadTimeout, ""},
    {"ssl", "target.nib", &Converter::ReadSsl, ""},
    {"client_certificate", "target.tls.cert_file", &Converter::ReadClientCertificate, ""},
    {"client_key", "target.tls.key_file", &Converter::ReadClientKey, ""},
    {"client_cipher_suites", "target.tls.ciphers", &Converter::ReadClientCipherSuites, ""},
    {"writelog", "", &Converter::ReadWritelog, ""},   // results.answ
    {"tank_type", "", &Converter::ReadTankType, ""},  // http; none refused
    {"gatling_ip", "target.source_ips", &Converter::ReadGatlingIp, ""},
    {"threads", "", &Converter::ReadThreads, ""},  // workers.threads (null: the default)
    {"phantom_http_line", "target.http.max_line", &Converter::ReadHttpLine, ""},
    {"phantom_http_field_num", "target.http.max_field_num", &Converter::ReadHttpFieldNum, ""},
    {"phantom_http_field", "target.http.max_field", &Converter::ReadHttpField, ""},
    {"phantom_http_entity", "target.http.max_entity", &Converter::ReadHttpEntity, ""},
    // Refused unless empty or the default.
    {"multi", "", &Converter::RefuseMulti, ""},
    {"enabled", "", &Converter::ReadEnabled, ""},
    {"package", "", &Converter::ReadPackage, ""},
    {"config", "", &Converter::RefuseConfig, ""},
    {"phout_file", "", &Converter::RefusePhoutFile, ""},
    {"additional_libs", "", &Converter::RefuseAdditionalLibs, ""},
    {"method_prefix", "", &Converter::ReadMethodPrefix, ""},
    {"method_options", "", &Converter::ReadEmptyHook, ""},
    {"source_log_prefix", "", &Converter::ReadEmptyHook, ""},
    // Accepted, type-checked and ignored.
    {"connection_test", "", &Converter::CheckBool,
     "the target is resolved and connected at start anyway"},
    {"use_caching", "", &Converter::CheckBool,
     "the compiled .ammo in the run directory is the cache"},
    {"cache_dir", "", &Converter::CheckOptionalString, "no phantom binary or stpd cache is used"},
    {"force_stepping", "", &Converter::CheckInt, "stpd cache setting"},
    {"file_cache", "", &Converter::CheckInt, "stpd cache setting"},
    {"phantom_path", "", &Converter::CheckOptionalString,
     "no phantom binary or stpd cache is used"},
    {"phantom_modules_path", "", &Converter::CheckOptionalString,
     "no phantom binary or stpd cache is used"},
    {"buffered_seconds", "", &Converter::CheckInt, "Tank's aggregator delay"},
    {"affinity", "", &Converter::CheckOptionalString,
     "workers are pinned one per core (workers.pin)"},
};

const Converter::KeySpec* Converter::FindSpec(std::string_view name) {
  for (const KeySpec& spec : kKeys) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

// "additional_libs, address, ..." (sorted, for the unknown-key message).
std::string Converter::KnownKeyList() {
  std::vector<std::string_view> names;
  for (const KeySpec& spec : kKeys) {
    names.push_back(spec.name);
  }
  std::sort(names.begin(), names.end());
  std::string list;
  for (std::string_view k : names) {
    Append(&list, list.empty() ? "" : ", ", k);
  }
  return list;
}

absl::Status Converter::ReadLoadProfile(const Key& k) {
  if (!k.value.IsMap()) {
    return Expected(k, "a mapping {load_type: rps | instances | stpd_file, schedule: \"...\"}");
  }
  std::optional<YAML::Node> type_opt;
  std::optional<YAML::Node> schedule_opt;
  for (auto it = k.value.begin(); it != k.value.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (key == "load_type" && !type_opt.has_value()) {
      type_opt.emplace(it->second);
    } else if (key == "schedule" && !schedule_opt.has_value()) {
      schedule_opt.emplace(it->second);
    } else {
      const bool dup = key == "load_type" || key == "schedule";
      return ErrorAt(
          it->first.Mark(), "phantom.load_profile",
          dup ? Cat("'", key, "' is given twice")
              : Cat("unknown key ", ShownHex(key), " (expected load_type and schedule)"));
    }
  }
  if (!type_opt.has_value()) {
    return Error(k, "load_type is missing (expected rps, instances or stpd_file)");
  }
  if (!schedule_opt.has_value()) {
    return Error(k, "schedule is missing (e.g. schedule: \"line(1, 100, 1m) const(100, 5m)\")");
  }
  const YAML::Node& type_node = *type_opt;
  const YAML::Node& schedule_node = *schedule_opt;
  load_type_ = type_node.IsScalar() ? type_node.Scalar() : std::string();
  if (load_type_ != "rps" && load_type_ != "instances" && load_type_ != "stpd_file") {
    return ErrorAt(type_node.Mark(), "phantom.load_profile.load_type",
                   Cat("expected rps, instances or stpd_file, ", Got(type_node)));
  }
  if (!schedule_node.IsScalar() || Trim(schedule_node.Scalar(), kYamlSpace).empty()) {
    return ErrorAt(
        schedule_node.Mark(), "phantom.load_profile.schedule",
        Cat(load_type_ == "stpd_file" ? "expected the path of an stpd file, "
                                      : "expected a schedule such as \"line(1, 100, 1m)\", ",
            Got(schedule_node)));
  }
  const std::string schedule = schedule_node.Scalar();
  const Key sk{"load_profile.schedule", schedule_node, schedule_node.Mark()};
  if (load_type_ == "stpd_file") {
    plan_.load.model = LoadModel::kStpd;
    plan_.load.schedule.clear();
    plan_.ammo.file = std::string(Trim(schedule, kYamlSpace));
    plan_.ammo.format = AmmoFormat::kStpd;
    Source("ammo.file", sk);
    Source("load.model", sk);
    return absl::OkStatus();
  }
  plan_.load.model = load_type_ == "rps" ? LoadModel::kRps : LoadModel::kInstances;
  absl::StatusOr<Schedule> parsed = Schedule::Parse(schedule, plan_.load.model);
  if (!parsed.ok()) {
    return FromColumnError(schedule_node, "phantom.load_profile.schedule", parsed.status());
  }
  plan_.load.schedule = schedule;
  Source("load.schedule", sk);
  return absl::OkStatus();
}

absl::Status Converter::ReadKey(const Key& k) {
  const KeySpec* spec = FindSpec(k.name);
  if (spec == nullptr) {
    return Error(k, "internal: key without a reader");  // Convert checked the name
  }
  RETURN_IF_ERROR((this->*spec->read)(k));
  if (!spec->plan_key.empty()) {
    Source(spec->plan_key, k);
  }
  if (!spec->ignored.empty()) {
    Ignore(k, spec->ignored);
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadInstances(const Key& k) {
  int64_t v = 0;
  RETURN_IF_ERROR(GetInt(k, 1, 1000000, &v));
  plan_.load.instances = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status Converter::ReadAmmofile(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (!s.empty()) {
    ammofile_ = s;
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadAmmoType(const Key& k) {
  RETURN_IF_ERROR(GetString(k, &ammo_type_));
  if (ammo_type_ != "phantom" && ammo_type_ != "uri" && ammo_type_ != "uripost" &&
      ammo_type_ != "access") {
    return Expected(k, "phantom, uri, uripost or access");
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadUris(const Key& k) {
  std::vector<std::string> list;
  RETURN_IF_ERROR(GetStringList(k, &list));
  if (!list.empty()) {
    uris_ = std::move(list);
  }
  return absl::OkStatus();
}

// A control byte (CR, LF, VT, NUL, DEL, ...; a tab is white space) in a header would end the
// header line on the wire or be read differently by the target: refused.
bool HasHeaderControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

absl::Status Converter::ReadHeaders(const Key& k) {
  std::vector<std::string> list;
  RETURN_IF_ERROR(GetStringList(k, &list));
  for (size_t i = 0; i < list.size(); ++i) {
    // Tank's form "[Name: value]": strip "\r\n[]\t " at both ends (missile.py).
    const std::string_view h = Trim(list[i], "\r\n[]\t ");
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || Trim(h.substr(0, colon), kYamlSpace).empty()) {
      return ErrorAt(k.value[i].Mark(), "phantom.headers",
                     Cat("expected \"[Name: value]\" or \"Name: value\", got ", ShownHex(list[i])));
    }
    if (HasHeaderControl(h)) {
      return ErrorAt(k.value[i].Mark(), "phantom.headers",
                     Cat("expected a header without control characters (CR, LF, vertical tab, "
                         "...: they would split or bend the request on the wire), got ",
                         ShownHex(list[i])));
    }
    plan_.ammo.headers.emplace_back(h);
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadHeaderHttp(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (s != "1.0" && s != "1.1") {
    return Expected(k, "\"1.0\" or \"1.1\"");
  }
  plan_.ammo.http_version = s;
  return absl::OkStatus();
}

absl::Status Converter::ReadAutocases(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  int64_t v = 0;
  if (s != "uri" && s != "uniq" && !(ParseInt(s, &v) && v >= 0 && v <= 1000)) {
    return Expected(k, "0, a number of path segments N, \"uri\" or \"uniq\"");
  }
  plan_.ammo.autocases = s == "uri" || s == "uniq" ? s : std::to_string(v);
  return absl::OkStatus();
}

absl::Status Converter::ReadChosenCases(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  plan_.ammo.chosen_cases = SplitSpaces(s);
  return absl::OkStatus();
}

absl::Status Converter::ReadEnumAmmo(const Key& k) {
  bool on = false;
  RETURN_IF_ERROR(GetBool(k, &on));
  if (on) {
    Ignore(k, "tags get no #N suffix; Tank's phout reader strips it anyway");
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadTimeout(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  absl::StatusOr<int64_t> ns = ParseDuration(Trim(s, kYamlSpace));
  if (!ns.ok()) {
    return FromColumnError(k.value, "phantom.timeout", ns.status());
  }
  plan_.target.timeout_ns = *ns;
  if (*ns > 120 * kNsPerSec) {
    notes_.push_back(Cat("phantom.timeout ", s, " is over 120s (Tank warns too)"));
  }
  return absl::OkStatus();
}

// client_certificate / client_key / client_cipher_suites: used only with ssl (Finish).
absl::Status Converter::GetTlsString(const Key& k, std::string* out) {
  RETURN_IF_ERROR(GetString(k, out));
  if (!out->empty()) {
    has_tls_keys_ = true;
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadWritelog(const Key& k) {
  std::string s;
  if (k.value.IsScalar()) {
    s = k.value.Scalar();
  } else if (!k.value.IsNull()) {
    return Expected(k, "0, all, proto_warning or proto_error");
  }
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "0" || s == "none" || s == "false" || s == "no" || s == "off" || s.empty()) {
    plan_.results.answ = AnswLevel::kNone;
  } else if (s == "1" || s == "all" || s == "true" || s == "yes" || s == "on") {
    plan_.results.answ = AnswLevel::kAll;
  } else if (s == "proto_warning") {
    plan_.results.answ = AnswLevel::kWarnings;
  } else if (s == "proto_error") {
    plan_.results.answ = AnswLevel::kErrors;
  } else {
    return Expected(k, "0, all, proto_warning or proto_error");
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadTankType(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (s == "none") {
    return Error(k,
                 "tank_type: none (raw TCP, the reply read until the server closes) is "
                 "not supported: incarne's nibs are http, https, udp and dummy");
  }
  if (s != "http") {
    return Expected(k, "http (none is not supported)");
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadGatlingIp(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  plan_.target.source_ips = SplitSpaces(s);
  return absl::OkStatus();
}

absl::Status Converter::ReadThreads(const Key& k) {
  if (k.value.IsNull()) {
    return absl::OkStatus();  // Tank: cpus/2+1; incarne: one worker per online core
  }
  int64_t v = 0;
  RETURN_IF_ERROR(GetInt(k, 0, 256, &v));
  plan_.workers.threads = static_cast<uint32_t>(v);
  Source("workers.threads", k);
  return absl::OkStatus();
}

absl::Status Converter::ReadHttpFieldNum(const Key& k) {
  int64_t v = 0;
  RETURN_IF_ERROR(GetInt(k, 1, UINT32_MAX, &v));
  plan_.target.http.max_field_num = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

// phantom_http_line / _field / _entity: a phantom size from 1 to `hi`.
template <typename Set>
absl::Status Converter::GetHttpLimit(const Key& k, uint64_t hi, Set set) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  absl::StatusOr<uint64_t> size = ParsePhantomSize(Trim(s, kYamlSpace));
  if (!size.ok() || *size < 1 || *size > hi) {
    return Expected(k, "a size such as 1K, 8K or 8M (K/M/G = 1024-based)");
  }
  set(*size);
  return absl::OkStatus();
}

absl::Status Converter::RefuseMulti(const Key& k) {
  if (k.value.IsNull() || (k.value.IsSequence() && k.value.size() == 0)) {
    return absl::OkStatus();
  }
  return Error(k,
               "several streams in one run are not supported: run one `incarne run "
               "--tank` per stream (each with --set for what differs) or convert "
               "Tank's generated phantom config with `incarne phantom run`");
}

absl::Status Converter::ReadEnabled(const Key& k) {
  bool on = true;
  RETURN_IF_ERROR(GetBool(k, &on));
  if (!on) {
    return Error(k,
                 "the phantom section is disabled (enabled: false); --tank runs the "
                 "phantom section only (Pandora and BFG configs are not imported)");
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadPackage(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (s != "yandextank.plugins.Phantom") {
    return Expected(k, "yandextank.plugins.Phantom");
  }
  return absl::OkStatus();
}

absl::Status Converter::RefuseConfig(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (!s.empty()) {
    return Error(k,
                 "a ready phantom config is not imported here: run it with `incarne "
                 "phantom run " +
                     s + "`");
  }
  return absl::OkStatus();
}

absl::Status Converter::RefusePhoutFile(const Key& k) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (!s.empty()) {
    return Error(k,
                 "phout_file (re-read an existing phout instead of shooting) is not "
                 "supported; `incarne report`/`convert` read run directories");
  }
  return absl::OkStatus();
}

absl::Status Converter::RefuseAdditionalLibs(const Key& k) {
  std::vector<std::string> list;
  RETURN_IF_ERROR(GetStringList(k, &list));
  if (!list.empty()) {
    return Error(k,
                 "phantom modules cannot be loaded; incarne's extension point is an "
                 "external nib (target.nib = \"./libnib_x.so\", docs/nibs.md)");
  }
  return absl::OkStatus();
}

// method_prefix / method_options / source_log_prefix: phantom extension hooks.
absl::Status Converter::RequireDefault(const Key& k, std::string_view def) {
  std::string s;
  RETURN_IF_ERROR(GetString(k, &s));
  if (s != def) {
    return Error(k, Cat("phantom extension hooks are not supported (only the default ",
                        def.empty() ? "\"\"" : def, " is accepted)"));
  }
  return absl::OkStatus();
}

// address: host[:port] | ipv4[:port] | [ipv6][:port] | bare ipv6; port defaults to 80 (also
// with ssl, as in Tank); the deprecated `port` key overrides the address's port.
absl::Status Converter::ReadAddress() {
  const Key* a = Find("address");
  if (a == nullptr) {
    return ErrorAt(phantom_mark_, "phantom.address",
                   "missing: the target, e.g. address: \"127.0.0.1:8080\"");
  }
  std::string text;
  RETURN_IF_ERROR(GetString(*a, &text));
  std::string_view s = Trim(text, kYamlSpace);
  std::string host;
  std::string port;
  bool v6 = false;
  if (s.starts_with("[")) {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return Expected(*a, "host[:port], ipv4[:port] or [ipv6]:port (no closing ']')");
    }
    host = std::string(s.substr(1, close - 1));
    v6 = true;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Expected(*a, "host[:port], ipv4[:port] or [ipv6]:port");
      }
      port = std::string(rest.substr(1));
    }
  } else if (std::count(s.begin(), s.end(), ':') >= 2) {
    host = std::string(s);  // a bare IPv6 address: no port (Tank's rule)
    v6 = true;
  } else if (const size_t colon = s.find(':'); colon != std::string_view::npos) {
    host = std::string(s.substr(0, colon));
    port = std::string(s.substr(colon + 1));
  } else {
    host = std::string(s);
  }
  if (host.empty()) {
    return Expected(*a, "host[:port], ipv4[:port] or [ipv6]:port (no host)");
  }
  const Key* p = Find("port");
  bool port_from_key = false;
  if (p != nullptr) {
    std::string explicit_port;
    if (!p->value.IsNull()) {
      RETURN_IF_ERROR(GetString(*p, &explicit_port));
    }
    if (!explicit_port.empty()) {
      port = explicit_port;
      port_from_key = true;
      Source("target.address", *p);
    }
  }
  if (port.empty()) {
    port = "80";
  }
  int64_t number = 0;
  if (!ParseInt(port, &number) || number < 1 || number > 65535 || port.front() == '+') {
    return Expected(port_from_key ? *p : *a, "a port from 1 to 65535");
  }
  plan_.target.address = v6 ? Cat("[", host, "]:", number) : Cat(host, ":", number);
  if (sources_.count("target.address") == 0) {
    Source("target.address", *a);
  }
  return absl::OkStatus();
}

// Rules between keys (Tank's ComponentFactory), then the TOML loader's own check.
absl::Status Converter::Finish() {
  RETURN_IF_ERROR(ReadAddress());
  if (Find("load_profile") == nullptr) {
    return ErrorAt(phantom_mark_, "phantom.load_profile",
                   "missing: e.g. load_profile: {load_type: rps, schedule: \"const(10, 1m)\"}");
  }
  if (ssl_) {
    plan_.target.nib = "https";
    plan_.target.tls.verify = false;  // Tank/phantom verify nothing
  } else if (has_tls_keys_) {
    notes_.push_back(
        "client_certificate/client_key/client_cipher_suites are used only with "
        "ssl: true; ignored");
    plan_.target.tls.cert_file.clear();
    plan_.target.tls.key_file.clear();
    plan_.target.tls.ciphers.clear();
  }

  // Ammo: exactly one of ammofile / uris (stpd_file brings its own).
  if (plan_.load.model == LoadModel::kStpd) {
    if (ammofile_.has_value() || uris_.has_value()) {
      notes_.push_back(
          "load_type stpd_file: the requests come from the stpd file; "
          "ammofile/uris are ignored (as in Tank)");
    }
  } else if (ammofile_.has_value() && uris_.has_value()) {
    return Error(*Find("uris"), "ammofile and uris are both set; use one of them (as Tank)");
  } else if (ammofile_.has_value()) {
    plan_.ammo.file = *ammofile_;
    plan_.ammo.format = ammo_type_ == "uri"       ? AmmoFormat::kUri
                        : ammo_type_ == "uripost" ? AmmoFormat::kUriPost
                        : ammo_type_ == "access"  ? AmmoFormat::kAccess
                                                  : AmmoFormat::kAuto;  // phantom→uri guess
  } else if (uris_.has_value()) {
    plan_.ammo.uris = *uris_;
    if (ammo_type_ != "phantom" && ammo_type_ != "uri") {
      return Error(*Find("ammo_type"), Cat(ammo_type_,
                                           " contradicts uris, which are "
                                           "always uri ammo"));
    }
  } else {
    return ErrorAt(phantom_mark_, "phantom.ammofile",
                   "missing: set ammofile (with ammo_type) or uris (Tank: \"Ammo not found. "
                   "Specify uris or ammo file\")");
  }

  // loop / ammo_limit: −1 (and Tank's falsy 0) = no cap. Tank writes N+1 hits for
  // ammo_limit N; incarne sends exactly N (docs/ammo.md).
  if (loop_ > 0) {
    plan_.ammo.loop = static_cast<uint64_t>(loop_);
  }
  if (ammo_limit_ > 0) {
    plan_.ammo.limit = static_cast<uint64_t>(ammo_limit_);
    notes_.push_back(Cat("ammo_limit: ", ammo_limit_, " sends exactly ", ammo_limit_,
                         " hits (Tank's stepper writes ", ammo_limit_, " + 1 = one more)"));
  }
  if (plan_.load.model == LoadModel::kInstances && loop_ <= 0 && ammo_limit_ <= 0) {
    plan_.ammo.loop = 1;  // Tank: an instances schedule without loop/ammo_limit = one pass
    notes_.push_back(
        "instances schedule without loop or ammo_limit: one pass over the ammo "
        "(as Tank)");
  }
  plan_.results.phout = true;  // Tank's tooling reads phout
  if (!ignored_.empty()) {
    std::string line = "ignored phantom keys:";
    for (size_t i = 0; i < ignored_.size(); ++i) {
      Append(&line, i == 0 ? " " : "; ", ignored_[i]);
    }
    notes_.push_back(line);
  }

  // The TOML loader's checks (address syntax, header rules, ranges, …), mapped back.
  absl::StatusOr<Plan> loaded = LoadPlanText(FormatPlanToml(plan_), kLoaderName, {});
  if (!loaded.ok()) {
    return MapLoaderError(loaded.status());
  }
  const std::string source_path = plan_.source_path;
  plan_ = *std::move(loaded);  // resolved defaults (e.g. instances from the schedule)
  plan_.source_path = source_path;
  return absl::OkStatus();
}

// "<tank import>:L:C: section.key: what" → "name:line:col: phantom.x (→ section.key): what".
absl::Status Converter::MapLoaderError(const absl::Status& st) const {
  std::string_view msg = StdView(st.message());
  std::string_view rest = msg;
  if (rest.starts_with(kLoaderName)) {
    rest.remove_prefix(kLoaderName.size());
    for (int i = 0; i < 2 && rest.starts_with(":"); ++i) {  // ":L:C"
      rest.remove_prefix(1);
      while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
        rest.remove_prefix(1);
      }
    }
    if (rest.starts_with(": ")) {
      rest.remove_prefix(2);
    }
  }
  const size_t colon = rest.find(": ");
  if (colon != std::string_view::npos) {
    const std::string_view plan_key = rest.substr(0, colon);
    if (auto it = sources_.find(plan_key); it != sources_.end()) {
      return ErrorAt(it->second.second, Cat("phantom.", it->second.first),
                     Cat(rest.substr(colon + 2), " (as ", plan_key, ")"));
    }
  }
  return absl::InvalidArgumentError(
      Cat(Pos(phantom_mark_), ": phantom: the converted plan is invalid: ", rest));
}

absl::Status Converter::ReadAutostop(const YAML::Node& section) {
  if (section.IsNull()) {
    return absl::OkStatus();
  }
  if (!section.IsMap()) {
    return ErrorAt(section.Mark(), "autostop",
                   Cat("expected a mapping (autostop: [criteria], report_file), ", Got(section)));
  }
  bool enabled = true;
  YAML::Node list;
  for (auto it = section.begin(); it != section.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    const YAML::Node v = it->second;  // a copy: `it->second` belongs to a temporary
    if (key == "enabled") {
      if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false" && v.Scalar() != "True" &&
                            v.Scalar() != "False")) {
        return ErrorAt(v.Mark(), "autostop.enabled", Cat("expected true or false, ", Got(v)));
      }
      enabled = v.Scalar() == "true" || v.Scalar() == "True";
    } else if (key == "package") {
      // Any package: Tank picks the plugin by it; incarne has one autostop.
    } else if (key == "report_file") {
      notes_.push_back(
          Cat("autostop.report_file is ignored: incarne writes ", "RUN_DIR/autostop_report.txt"));
    } else if (key == "autostop") {
      list.reset(v);  // rebinds (operator= would write through to the node it refers to)
    } else {
      return ErrorAt(it->first.Mark(), "autostop",
                     Cat("unknown key ", ShownHex(key),
                         " (Tank's autostop keys: autostop, report_file, enabled, package)"));
    }
  }
  if (!enabled) {
    notes_.push_back("the autostop section is disabled (enabled: false): no autostop");
    return absl::OkStatus();
  }
  if (!list.IsDefined() || list.IsNull()) {
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, YAML::Mark>> items;
  if (list.IsScalar()) {
    if (!list.Scalar().empty()) {  // Tank's old schema: one string
      items.emplace_back(list.Scalar(), list.Mark());
    }
  } else if (list.IsSequence()) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].IsScalar()) {
        return ErrorAt(list[i].Mark(), Cat("autostop.autostop[", i, "]"),
                       Cat("expected a criterion such as http(5xx,10%,5s), ", Got(list[i])));
      }
      if (!list[i].Scalar().empty()) {  // Tank skips empty criteria
        items.emplace_back(list[i].Scalar(), list[i].Mark());
      }
    }
  } else {
    return ErrorAt(list.Mark(), "autostop.autostop",
                   Cat("expected a list of criteria, ", Got(list)));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StatusOr<Criterion> c = ParseCriterion(items[i].first, true);
    if (!c.ok()) {
      return ErrorAt(items[i].second, Cat("autostop.autostop[", i, "]"),
                     StdView(c.status().message()));
    }
    plan_.autostop.criteria.push_back(items[i].first);
  }
  return absl::OkStatus();
}

absl::StatusOr<TankImport> Converter::Convert(const YAML::Node& root) {
  plan_.source_path = name_;
  plan_.ammo.http_version = "1.0";  // Tank's header_http default
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        Cat(Pos(root.Mark()), ": expected a Tank config: a mapping with a phantom: section, ",
            Got(root)));
  }
  std::optional<YAML::Node> phantom_opt;
  std::optional<YAML::Node> autostop_opt;
  std::vector<std::string> others;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
    if (key == "phantom") {
      if (phantom_opt.has_value()) {
        return ErrorAt(it->first.Mark(), "phantom", "the section is given twice");
      }
      phantom_opt.emplace(it->second);
      phantom_mark_ = it->first.Mark();
    } else if (key == "autostop") {
      if (autostop_opt.has_value()) {
        return ErrorAt(it->first.Mark(), "autostop", "the section is given twice");
      }
      autostop_opt.emplace(it->second);
    } else {
      others.push_back(key);
    }
  }
  if (!phantom_opt.has_value()) {
    return absl::InvalidArgumentError(
        Cat(name_,
            ":1:1: no phantom: section (incarne imports the phantom section of "
            "a Tank config)"));
  }
  const YAML::Node& phantom = *phantom_opt;
  if (!phantom.IsMap()) {
    return ErrorAt(phantom.IsNull() ? phantom_mark_ : phantom.Mark(), "phantom",
                   Cat("expected a mapping of phantom keys, ", Got(phantom)));
  }
  for (auto it = phantom.begin(); it != phantom.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (FindSpec(key) == nullptr) {
      return ErrorAt(
          it->first.Mark(), "phantom",
          Cat("unknown key ", ShownHex(key), " (Tank's phantom keys: ", KnownKeyList(), ")"));
    }
    if (Find(key) != nullptr) {
      return ErrorAt(it->first.Mark(), Cat("phantom.", key), "given twice");
    }
    keys_.push_back(Key{key, it->second, it->first.Mark()});
  }
  for (const Key& k : keys_) {
    RETURN_IF_ERROR(ReadKey(k));
  }
  if (autostop_opt.has_value()) {
    RETURN_IF_ERROR(ReadAutostop(*autostop_opt));
  }
  RETURN_IF_ERROR(Finish());
  if (!others.empty()) {
    std::string line = "ignored sections (only phantom: and autostop: are imported):";
    for (size_t i = 0; i < others.size(); ++i) {
      Append(&line, i == 0 ? " " : ", ", others[i]);
    }
    notes_.insert(notes_.begin(), line);
  }
  TankImport out;
  out.plan = std::move(plan_);
  out.notes = std::move(notes_);
  return out;
}

#endif  // INCARNE_HAVE_YAML

}  // namespace

bool TankYamlSupported() { return INCARNE_HAVE_YAML != 0; }

absl::StatusOr<TankImport> TankYamlToPlan(std::string_view text, std::string_view name) {
#if INCARNE_HAVE_YAML
  return LoadYaml(text, name, "a Tank config", [name](const YAML::Node& root) {
    Converter converter(name);
    return converter.Convert(root);
  });
#else
  (void)text;
  return absl::FailedPreconditionError(
      Cat(name,
          ": this incarne was built without YAML support (yaml-cpp; meson option yaml), so "
          "--tank is not available"));
#endif
}

absl::StatusOr<TankImport> LoadTankYamlFile(const std::string& path) {
#if INCARNE_HAVE_YAML
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxYamlBytes, "Tank config"));
  return TankYamlToPlan(text, path);
#else
  return TankYamlToPlan("", path);
#endif
}

}  // namespace incarne
