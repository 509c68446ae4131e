// The validated plan: docs/design.md §6 as a C++ value with every default resolved.
//
// Produced by LoadPlan() (plan_loader.cc) from a TOML file plus `--set KEY=VALUE` overrides;
// written back as TOML by FormatPlanToml(). Consumers (engine, ammo compiler, collector) read
// it and never see TOML. Durations are int64 nanoseconds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne {

inline constexpr int64_t kNsPerUs = 1000;
inline constexpr int64_t kNsPerMs = 1000 * 1000;
inline constexpr int64_t kNsPerSec = 1000 * 1000 * 1000;

enum class Family { kAny, kIpv4, kIpv6 };
enum class LoadModel { kRps, kInstances, kStpd, kUsl, kFindMax };
enum class Overload { kDelay, kDrop };
enum class AnswLevel { kNone, kErrors, kWarnings, kAll };
enum class AmmoFormat { kAuto, kPhantom, kUri, kUriPost, kAccess, kJsonLine, kStpd, kAmmo };

// [target.dummy]
struct DummyPlan {
  int64_t latency_ns = 0;  // simulated reply time; 0 = complete at once

  bool operator==(const DummyPlan&) const = default;
};

// [target.http] — reply limits map to net_code 71 when exceeded (phantom's reply_limits).
struct HttpPlan {
  uint32_t max_line = 1024;                  // status line / header line bytes
  uint32_t max_field_num = 128;              // header fields
  uint32_t max_field = 8192;                 // one header field bytes
  uint64_t max_entity = 8ull << 20;          // body bytes
  uint32_t max_requests_per_connection = 0;  // 0 = unlimited
  bool preconnect = true;                    // open connections ahead of the shots (rps model)
  // The last request on a connection (max_requests_per_connection) says "Connection: close"
  // so the server closes first; false: sent as written, the client closes (docs/http.md).
  bool announce_close = true;

  bool operator==(const HttpPlan&) const = default;
};

// [target.tls]
struct TlsPlan {
  std::string sni;  // "" = host part of address when it is a name
  bool verify = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string ciphers;  // "" = wolfSSL defaults
  std::string alpn = "http/1.1";
  bool resume = true;
  std::string min_version = "1.2";  // "1.2" | "1.3"
  bool aes_ni = true;               // AES-GCM through the nib's AES-NI device when the CPU has it

  bool operator==(const TlsPlan&) const = default;
};

struct TargetPlan {
  std::string address = "127.0.0.1:8080";  // host:port | [v6]:port
  Family family = Family::kAny;
  std::string nib = "http";             // dummy | http | https | udp | path to a .so
  int64_t timeout_ns = 11 * kNsPerSec;  // whole-hit budget → net 110
  std::vector<std::string> source_ips;
  DummyPlan dummy;
  HttpPlan http;
  TlsPlan tls;
  // [target.params]: an external nib's keys, in file order, values as strings (numbers and
  // booleans as written in TOML); handed to its create() (docs/nibs.md). Built-ins refuse it.
  std::vector<std::pair<std::string, std::string>> params;

  bool operator==(const TargetPlan&) const = default;
};

struct AmmoPlan {
  std::string file;  // exactly one of file / uris (dummy nib: neither ok)
  std::vector<std::string> uris;
  AmmoFormat format = AmmoFormat::kAuto;
  std::vector<std::string> headers;  // "Name: value" (brackets already stripped)
  std::string http_version = "1.1";  // "1.0" | "1.1"
  uint64_t loop = 0;                 // passes over the ammo, 0 = endless
  uint64_t limit = 0;                // total hits, 0 = no cap
  std::string autocases = "0";       // "0" | "<N>" | "uri" | "uniq"
  std::vector<std::string> chosen_cases;
  bool shared = true;

  bool operator==(const AmmoPlan&) const = default;
};

// [load.find_max] (load.model = "find-max", docs/capacity.md): open-model steps of
// warmup + step_duration at start_rps, ×factor while the SLO holds, then a binary search
// between the last good and the first bad rate down to `precision`, never above max_rps.
struct FindMaxPlan {
  double start_rps = 500;
  double max_rps = 200000;
  int64_t step_duration_ns = 5 * kNsPerSec;
  int64_t warmup_ns = 1 * kNsPerSec;
  double factor = 2;
  double precision = 0.05;  // "5%": stop when (first bad − last good) ≤ precision · last good
  // quantile(P,D) | http(CODES,R%) | net(CODES,R%) (docs/capacity.md "SLO").
  std::vector<std::string> slo = {"http(5xx,1%)", "net(xx,1%)"};

  bool operator==(const FindMaxPlan&) const = default;
};

// [load.usl] (load.model = "usl", docs/capacity.md): closed-model steps of warmup +
// step_duration at each instance count, then the USL fit.
struct UslPlan {
  // "1,2,4,8" or "geometric(A, B, F)" / "linear(A, B, S)" (ParseUslInstances).
  std::string instances = "1,2,4,8,16,32,64";
  int64_t step_duration_ns = 5 * kNsPerSec;
  int64_t warmup_ns = 1 * kNsPerSec;
  std::vector<std::string> slo = {"http(5xx,1%)", "net(xx,1%)"};

  bool operator==(const UslPlan&) const = default;
};

struct LoadPlan {
  LoadModel model = LoadModel::kRps;
  std::string schedule;  // the DSL text (validated by the loader)
  uint32_t instances = 1000;
  Overload overload = Overload::kDelay;
  int64_t duration_ns = 0;  // 0 = the schedule's length
  // rps/stpd: at most one timed wake-up per quantum fires every shot due by then (never
  // early; docs/engine.md "Pacing"). 0 = a wake-up at every shot's planned time.
  int64_t pacing_ns = 250'000;
  FindMaxPlan find_max;
  UslPlan usl;

  bool operator==(const LoadPlan&) const = default;
};

// workers.pin: true | false | "auto" (docs/plan.md).
enum class PinMode : uint8_t {
  kAuto,  // pinned unless the target is on this machine (a loopback address)
  kOn,
  kOff,
};

struct WorkersPlan {
  uint32_t threads = 0;  // 0 = one per online core (resolved by the engine)
  PinMode pin = PinMode::kAuto;

  bool operator==(const WorkersPlan&) const = default;
};

struct HitsKeep {
  enum class Mode { kAll, kErrors, kSample };
  Mode mode = Mode::kAll;
  uint32_t every = 1;  // kSample: keep every N-th success + all errors

  bool operator==(const HitsKeep&) const = default;
};

struct ResultsPlan {
  std::string dir = "runs/{time}";
  AnswLevel answ = AnswLevel::kNone;
  bool phout = false;
  bool html = true;  // write RUN_DIR/report.html (incarne plot) at the end of the run
  HitsKeep hits;

  bool operator==(const ResultsPlan&) const = default;
};

// One named capture of a rule (docs/scenario.md "Captures"): a value taken from the reply
// into the instance's variable `name` — a regex group over the body or a header's value, or
// a JSON path over a JSON body.
struct CapturePlan {
  enum class From : uint8_t { kBody, kHeader, kJson };
  std::string name;
  From from = From::kBody;
  std::string header;  // kHeader: the header's name (case-insensitive)
  std::string regex;   // kBody/kHeader: group 1 (the whole match without a group); "" = all
  std::string json;    // kJson: "$.a.b[0].c"

  bool operator==(const CapturePlan&) const = default;
};

// One [[scenario.steps]] table (docs/scenario.md "Multi-step sessions"): the step takes the
// next ammo record tagged `tag`, after `sleep_ns` of think time.
struct StepPlan {
  std::string tag;
  int64_t sleep_ns = 0;
  std::string where;  // "plan.toml:12:1" (messages only; not compared)

  bool operator==(const StepPlan& o) const { return tag == o.tag && sleep_ns == o.sleep_ns; }
};

// [scenario] (docs/scenario.md): the per-instance variable store and session behaviour.
struct ScenarioPlan {
  uint32_t max_vars = 16;         // variables per instance
  uint32_t max_value = 256;       // bytes per value (a longer capture fails the hit)
  bool cookies = false;           // a per-instance cookie jar
  bool on_fail_stop = true;       // on_fail = "stop" | "continue"
  std::string data_file;          // [scenario.data] file: a CSV of per-instance values
  bool data_round_robin = false;  // [scenario.data] rows = "round_robin" (else "instance")
  std::string data_where;         // "plan.toml:7:8" of data.file (messages only; not compared)
  std::string name = "session";   // [[scenario.steps]]: the tag of the session records
  std::vector<StepPlan> steps;    // [[scenario.steps]]

  bool operator==(const ScenarioPlan& o) const {
    return max_vars == o.max_vars && max_value == o.max_value && cookies == o.cookies &&
           on_fail_stop == o.on_fail_stop && data_file == o.data_file &&
           data_round_robin == o.data_round_robin && name == o.name && steps == o.steps;
  }
};

// One [[rules]] table (docs/scenario.md): checks a reply of every hit whose tag the `tag`
// regex matches in full; a failed check makes the hit's net_code 314 (kNetAssertion). The
// regexes are RE2 syntax, validated by the loader; the engine compiles them per worker.
struct RulePlan {
  std::string tag = ".*";           // regex over the hit's tag, full match
  std::vector<std::string> status;  // "200", "2xx" (a class); empty = not checked
  std::string body;                 // regex searched in the body; "" = not checked
  uint32_t body_scan = 64 * 1024;   // body bytes the body regex sees (the first ones)
  std::vector<std::pair<std::string, std::string>> headers;  // name → regex over its value
  int64_t max_latency_ns = 0;                                // done − start; 0 = not checked
  std::vector<CapturePlan> captures;                         // in name order
  std::string where;  // "plan.toml:12:1" (messages only; not compared)

  bool operator==(const RulePlan& o) const {
    return tag == o.tag && status == o.status && body == o.body && body_scan == o.body_scan &&
           headers == o.headers && max_latency_ns == o.max_latency_ns && captures == o.captures;
  }
};

// [autostop] (docs/autostop.md): Tank's criteria, each checked by the loader
// (src/plan/criterion.h) and evaluated by the collector every second.
struct AutostopPlan {
  std::vector<std::string> criteria;  // as written, e.g. "http(5xx,10%,3s)"

  bool operator==(const AutostopPlan&) const = default;
};

struct Plan {
  std::string source_path;  // the TOML file it came from ("" for defaults)
  TargetPlan target;
  AmmoPlan ammo;
  LoadPlan load;
  WorkersPlan workers;
  ResultsPlan results;
  std::vector<RulePlan> rules;  // [[rules]], in file order
  ScenarioPlan scenario;
  AutostopPlan autostop;

  // Equal when they would run the same: source_path (where the plan came from) is ignored.
  bool operator==(const Plan& o) const {
    return target == o.target && ammo == o.ammo && load == o.load && workers == o.workers &&
           results == o.results && rules == o.rules && scenario == o.scenario &&
           autostop == o.autostop;
  }
};

}  // namespace incarne
