#include "tank/tank_yaml.h"

#include <gtest/gtest.h>

#include <string>

#include "plan/plan_loader.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

std::string Msg(const absl::Status& st) { return std::string(StdView(st.message())); }

// The example from Tank's docs (tutorial "uri-style, URIs in load.yaml"), on a local port.
constexpr char kDocsExample[] = R"(overload:
  enabled: true
  package: yandextank.plugins.DataUploader
  token_file: "token.txt"
phantom:
  address: 127.0.0.1:8080
  load_profile:
    load_type: rps
    schedule: line(1, 10, 10m)
  headers:
    - "[Host: www.target.example.com]"
    - "[Connection: close]"
  uris:
    - "/"
    - /test
  ammo_limit: 100
console:
  enabled: true
telegraf:
  enabled: false
)";

TankImport MustConvert(std::string_view text) {
  absl::StatusOr<TankImport> r = TankYamlToPlan(text, "load.yaml");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : TankImport{};
}

std::string MustFail(std::string_view text) {
  absl::StatusOr<TankImport> r = TankYamlToPlan(text, "load.yaml");
  EXPECT_FALSE(r.ok()) << "converted: " << FormatPlanToml(r->plan);
  if (r.ok()) {
    return "";
  }
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  return Msg(r.status());
}

// A minimal valid phantom section plus `extra` keys (two-space indented lines).
std::string Phantom(std::string_view extra) {
  return std::string(
             "phantom:\n  address: localhost:8080\n"
             "  load_profile: {load_type: rps, schedule: \"const(10, 5s)\"}\n"
             "  uris: [\"/\"]\n") +
         std::string(extra);
}

TEST(TankYaml, Supported) { EXPECT_TRUE(TankYamlSupported()); }

TEST(TankYaml, DocsExample) {
  const TankImport t = MustConvert(kDocsExample);
  const Plan& p = t.plan;
  EXPECT_EQ(p.source_path, "load.yaml");
  EXPECT_EQ(p.target.address, "127.0.0.1:8080");
  EXPECT_EQ(p.target.nib, "http");
  EXPECT_EQ(p.target.timeout_ns, 11 * kNsPerSec);
  EXPECT_EQ(p.load.model, LoadModel::kRps);
  EXPECT_EQ(p.load.schedule, "line(1, 10, 10m)");
  EXPECT_EQ(p.load.instances, 1000u);
  EXPECT_EQ(p.ammo.uris, (std::vector<std::string>{"/", "/test"}));
  EXPECT_EQ(p.ammo.format, AmmoFormat::kUri);
  EXPECT_EQ(p.ammo.headers,
            (std::vector<std::string>{"Host: www.target.example.com", "Connection: close"}));
  EXPECT_EQ(p.ammo.http_version, "1.0");
  EXPECT_EQ(p.ammo.limit, 100u);
  EXPECT_EQ(p.ammo.loop, 0u);
  EXPECT_TRUE(p.results.phout);
  EXPECT_EQ(p.results.answ, AnswLevel::kNone);
  ASSERT_FALSE(t.notes.empty());
  EXPECT_EQ(
      t.notes[0],
      "ignored sections (only phantom: and autostop: are imported): overload, console, telegraf");
  bool limit_note = false;
  for (const std::string& n : t.notes) {
    limit_note = limit_note || n.find("ammo_limit: 100 sends exactly 100") != std::string::npos;
  }
  EXPECT_TRUE(limit_note);
}

TEST(TankYaml, RoundTripsThroughTheTomlLoader) {
  const TankImport t = MustConvert(kDocsExample);
  absl::StatusOr<Plan> again = LoadPlanText(FormatPlanToml(t.plan), "x.toml", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, t.plan);
}

TEST(TankYaml, Addresses) {
  auto conv = [](std::string_view a, std::string_view extra = "") {
    const std::string text =
        std::string("phantom:\n  address: \"") + std::string(a) +
        "\"\n  load_profile: {load_type: rps, schedule: \"const(1, 1s)\"}\n  uris: [\"/\"]\n" +
        std::string(extra);
    return MustConvert(text).plan;
  };
  EXPECT_EQ(conv("example.com").target.address, "example.com:80");
  EXPECT_EQ(conv("example.com:8080").target.address, "example.com:8080");
  EXPECT_EQ(conv("10.0.0.1").target.address, "10.0.0.1:80");
  EXPECT_EQ(conv("[::1]:8443").target.address, "[::1]:8443");
  EXPECT_EQ(conv("[::1]").target.address, "[::1]:80");
  EXPECT_EQ(conv("::1").target.address, "[::1]:80");
  EXPECT_EQ(conv("example.com:8080", "  port: \"9090\"\n").target.address, "example.com:9090");
  const Plan ssl = conv("example.com", "  ssl: true\n");
  EXPECT_EQ(ssl.target.address, "example.com:80");  // Tank: 80 even with ssl
  EXPECT_EQ(ssl.target.nib, "https");
  EXPECT_FALSE(ssl.target.tls.verify);
}

TEST(TankYaml, DuplicateAddressKeyIsAnError) {
  const std::string msg = MustFail(Phantom("  address: other:80\n"));
  EXPECT_EQ(msg, "load.yaml:5:3: phantom.address: given twice");
}

TEST(TankYaml, InstancesSchedule) {
  const TankImport t = MustConvert(
      "phantom:\n  address: 127.0.0.1:80\n"
      "  load_profile:\n    load_type: instances\n    schedule: line(1, 9, 4s)\n"
      "  ammofile: ammo.txt\n  ammo_type: uri\n");
  EXPECT_EQ(t.plan.load.model, LoadModel::kInstances);
  EXPECT_EQ(t.plan.load.instances, 9u);  // the schedule's final count, as Tank
  EXPECT_EQ(t.plan.ammo.loop, 1u);       // Tank: one pass without loop/ammo_limit
  EXPECT_EQ(t.plan.ammo.file, "ammo.txt");
  EXPECT_EQ(t.plan.ammo.format, AmmoFormat::kUri);
}

TEST(TankYaml, StpdFile) {
  const TankImport t = MustConvert(
      "phantom:\n  address: 127.0.0.1:80\n"
      "  load_profile: {load_type: stpd_file, schedule: cache/ammo_0123.stpd}\n");
  EXPECT_EQ(t.plan.load.model, LoadModel::kStpd);
  EXPECT_EQ(t.plan.load.schedule, "");
  EXPECT_EQ(t.plan.ammo.file, "cache/ammo_0123.stpd");
  EXPECT_EQ(t.plan.ammo.format, AmmoFormat::kStpd);
}

TEST(TankYaml, AmmoFileTypes) {
  auto format = [](std::string_view type) {
    return MustConvert(
               "phantom:\n  address: h:1\n  load_profile: {load_type: rps, schedule: "
               "\"const(1,1s)\"}\n  ammofile: a.txt\n  ammo_type: " +
               std::string(type) + "\n")
        .plan.ammo.format;
  };
  EXPECT_EQ(format("phantom"), AmmoFormat::kAuto);  // Tank guesses uri when no digit
  EXPECT_EQ(format("uri"), AmmoFormat::kUri);
  EXPECT_EQ(format("uripost"), AmmoFormat::kUriPost);
  EXPECT_EQ(format("access"), AmmoFormat::kAccess);
}

TEST(TankYaml, KeysMapped) {
  const Plan p = MustConvert(Phantom("  instances: 50\n"
                                     "  timeout: 2s\n"
                                     "  header_http: \"1.1\"\n"
                                     "  loop: 3\n"
                                     "  autocases: 2\n"
                                     "  chosen_cases: \"a  b\"\n"
                                     "  writelog: proto_warning\n"
                                     "  gatling_ip: \"127.0.0.2 127.0.0.3\"\n"
                                     "  threads: 2\n"
                                     "  phantom_http_line: 2K\n"
                                     "  phantom_http_field_num: 64\n"
                                     "  phantom_http_field: 4K\n"
                                     "  phantom_http_entity: 1M\n"
                                     "  enabled: true\n"
                                     "  package: yandextank.plugins.Phantom\n"
                                     "  multi: []\n"
                                     "  tank_type: http\n"))
                     .plan;
  EXPECT_EQ(p.load.instances, 50u);
  EXPECT_EQ(p.target.timeout_ns, 2 * kNsPerSec);
  EXPECT_EQ(p.ammo.http_version, "1.1");
  EXPECT_EQ(p.ammo.loop, 3u);
  EXPECT_EQ(p.ammo.autocases, "2");
  EXPECT_EQ(p.ammo.chosen_cases, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.results.answ, AnswLevel::kWarnings);
  EXPECT_EQ(p.target.source_ips, (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(p.workers.threads, 2u);
  EXPECT_EQ(p.target.http.max_line, 2048u);
  EXPECT_EQ(p.target.http.max_field_num, 64u);
  EXPECT_EQ(p.target.http.max_field, 4096u);
  EXPECT_EQ(p.target.http.max_entity, 1u << 20);
}

TEST(TankYaml, WritelogLevels) {
  auto level = [](std::string_view v) {
    return MustConvert(Phantom("  writelog: " + std::string(v) + "\n")).plan.results.answ;
  };
  EXPECT_EQ(level("0"), AnswLevel::kNone);
  EXPECT_EQ(level("\"none\""), AnswLevel::kNone);
  EXPECT_EQ(level("all"), AnswLevel::kAll);
  EXPECT_EQ(level("true"), AnswLevel::kAll);
  EXPECT_EQ(level("proto_error"), AnswLevel::kErrors);
  EXPECT_NE(MustFail(Phantom("  writelog: [all]\n")).find("phantom.writelog: expected 0, all"),
            std::string::npos);
  EXPECT_NE(MustFail(Phantom("  writelog: verbose\n")).find("phantom.writelog: expected 0, all"),
            std::string::npos);
}

TEST(TankYaml, LoopAndLimitMinusOneAndZeroMeanNoCap) {
  for (std::string_view v : {"-1", "0"}) {
    const Plan p = MustConvert(Phantom("  loop: " + std::string(v) +
                                       "\n  ammo_limit: " + std::string(v) + "\n"))
                       .plan;
    EXPECT_EQ(p.ammo.loop, 0u) << v;
    EXPECT_EQ(p.ammo.limit, 0u) << v;
  }
  EXPECT_NE(MustFail(Phantom("  loop: -2\n")).find("expected an integer from -1"),
            std::string::npos);
}

TEST(TankYaml, IgnoredKeysAreNoted) {
  const TankImport t =
      MustConvert(Phantom("  use_caching: false\n  cache_dir: /tmp/x\n"
                          "  connection_test: true\n  affinity: \"0-3\"\n"
                          "  threads: null\n"));
  bool found = false;
  for (const std::string& n : t.notes) {
    if (n.starts_with("ignored phantom keys: use_caching")) {
      found = n.find("cache_dir") != std::string::npos && n.find("affinity") != std::string::npos;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(t.plan.workers.threads, 0u);
}

TEST(TankYaml, UnknownKeyHasPosition) {
  const std::string msg = MustFail(Phantom("  rps_schedule: const(1, 1s)\n"));
  EXPECT_EQ(msg.rfind("load.yaml:5:3: phantom: unknown key \"rps_schedule\" (Tank's phantom "
                      "keys: additional_libs, address,",
                      0),
            0u)
      << msg;
}

// Tank's autostop: section (plugins/Autostop) → [autostop] criteria, checked with Tank's
// syntax (docs/autostop.md); enabled: false drops it; a bad criterion names its position.
TEST(TankYaml, AutostopSection) {
  TankImport t = MustConvert(Phantom("") +
                             "autostop:\n  enabled: true\n  package: yandextank.plugins.Autostop\n"
                             "  autostop:\n    - http(5xx,10%,5s)\n    - quantile(95,100ms,10s)\n"
                             "    - ''\n  report_file: stop.txt\n");
  EXPECT_EQ(t.plan.autostop.criteria,
            (std::vector<std::string>{"http(5xx,10%,5s)", "quantile(95,100ms,10s)"}));
  EXPECT_NE(
      FormatPlanToml(t.plan).find("criteria = [\"http(5xx,10%,5s)\", \"quantile(95,100ms,10s)\"]"),
      std::string::npos)
      << FormatPlanToml(t.plan);
  TankImport off =
      MustConvert(Phantom("") + "autostop:\n  enabled: false\n  autostop: [limit(1m)]\n");
  EXPECT_TRUE(off.plan.autostop.criteria.empty());
  const std::string msg =
      MustFail(Phantom("") + "autostop:\n  autostop:\n    - http(5xx,10%,5s)\n    - htp(5xx)\n");
  EXPECT_EQ(msg,
            "load.yaml:8:7: autostop.autostop[1]: \"htp(5xx)\" at 1: Unsupported autostop "
            "criterion type: htp (known: time, http, net, quantile, instances, limit, "
            "total_time, total_http, total_net, negative_http, negative_net, http_trend)");
  EXPECT_NE(MustFail(Phantom("") + "autostop:\n  autostp: []\n").find("unknown key"),
            std::string::npos);
}

TEST(TankYaml, YamlSyntaxErrorHasPosition) {
  const std::string msg = MustFail("phantom:\n  address: [oops\n  uris: x\n");
  EXPECT_EQ(msg.rfind("load.yaml:", 0), 0u) << msg;
  EXPECT_NE(msg.find(": YAML syntax error: "), std::string::npos) << msg;
  const std::string tab = MustFail("phantom:\n\taddress: x\n");
  EXPECT_NE(tab.find("YAML syntax error"), std::string::npos) << tab;
}

TEST(TankYaml, ScheduleErrorPointsIntoTheValue) {
  const std::string msg = MustFail(
      "phantom:\n  address: h:1\n  uris: [/]\n"
      "  load_profile:\n    load_type: rps\n    schedule: const(10, 5s) lime(1, 2, 3s)\n");
  // "lime" starts at column 15 of the value; the value starts at column 15 of line 6.
  EXPECT_EQ(msg.rfind("load.yaml:6:29: phantom.load_profile.schedule: ", 0), 0u) << msg;
  const std::string quoted = MustFail(
      "phantom:\n  address: h:1\n  uris: [/]\n"
      "  load_profile: {load_type: rps, schedule: \"const(10, 5s) lime(1, 2, 3s)\"}\n");
  EXPECT_EQ(quoted.rfind("load.yaml:4:59: phantom.load_profile.schedule: ", 0), 0u) << quoted;
}

TEST(TankYaml, RefusedKeys) {
  EXPECT_NE(MustFail(Phantom("  multi:\n    - address: other:80\n")).find("phantom.multi"),
            std::string::npos);
  EXPECT_NE(MustFail(Phantom("  tank_type: none\n")).find("tank_type: none"), std::string::npos);
  EXPECT_NE(MustFail(Phantom("  enabled: false\n")).find("disabled"), std::string::npos);
  EXPECT_NE(MustFail(Phantom("  config: phantom.conf\n")).find("incarne phantom run"),
            std::string::npos);
  EXPECT_NE(MustFail(Phantom("  phout_file: old.log\n")).find("phout_file"), std::string::npos);
  EXPECT_NE(MustFail(Phantom("  additional_libs: [x]\n")).find("external nib"), std::string::npos);
  EXPECT_NE(MustFail(Phantom("  method_prefix: method_x\n")).find("extension hooks"),
            std::string::npos);
}

TEST(TankYaml, MissingPieces) {
  EXPECT_NE(MustFail("core: {}\n").find("load.yaml:1:1: no phantom: section"), std::string::npos);
  EXPECT_NE(MustFail("phantom:\n  uris: [/]\n  load_profile: {load_type: rps, schedule: "
                     "\"const(1,1s)\"}\n")
                .find("phantom.address: missing"),
            std::string::npos);
  EXPECT_NE(MustFail("phantom:\n  address: h:1\n  uris: [/]\n").find("load_profile: missing"),
            std::string::npos);
  EXPECT_NE(MustFail("phantom:\n  address: h:1\n  load_profile: {load_type: rps, schedule: "
                     "\"const(1,1s)\"}\n")
                .find("phantom.ammofile: missing"),
            std::string::npos);
  EXPECT_NE(MustFail("phantom:\n  address: h:1\n  uris: [/]\n  ammofile: a\n"
                     "  load_profile: {load_type: rps, schedule: \"const(1,1s)\"}\n")
                .find("ammofile and uris are both set"),
            std::string::npos);
  EXPECT_NE(MustFail("phantom:\n  address: h:1\n  uris: [/]\n"
                     "  load_profile: {load_type: rpss, schedule: \"const(1,1s)\"}\n")
                .find("load.yaml:4:29: phantom.load_profile.load_type: expected rps, instances "
                      "or stpd_file, got \"rpss\""),
            std::string::npos);
  EXPECT_NE(MustFail("- a\n- b\n").find("expected a Tank config"), std::string::npos);
  EXPECT_NE(MustFail("").find("expected a Tank config"), std::string::npos);
}

TEST(TankYaml, HeadersAndTypes) {
  EXPECT_EQ(MustFail(Phantom("  headers:\n    - \"[no colon]\"\n")),
            "load.yaml:6:7: phantom.headers: expected \"[Name: value]\" or \"Name: value\", got "
            "\"[no colon]\"");
  EXPECT_EQ(MustFail(Phantom("  instances: many\n")),
            "load.yaml:5:14: phantom.instances: expected an integer from 1 to 1000000, got "
            "\"many\"");
  EXPECT_EQ(MustFail(Phantom("  ssl: maybe\n")),
            "load.yaml:5:8: phantom.ssl: expected true or false, got \"maybe\"");
  EXPECT_EQ(MustFail(Phantom("  uris: /\n")).find("expected a list of strings"),
            std::string::npos);  // duplicate uris is reported first
  EXPECT_NE(MustFail(Phantom("  timeout: soon\n")).find("load.yaml:5:12: phantom.timeout: "),
            std::string::npos);
}

// A header with a control byte would split or bend the request on the wire: refused at the
// item, the byte shown escaped (the fuzz finding: a vertical tab after "]" went through the
// import and did not load back to the same plan).
TEST(TankYaml, HeaderControlBytesAreRefused) {
  EXPECT_EQ(MustFail(Phantom("  headers:\n    - \"n:]\\v\"\n")),
            "load.yaml:6:7: phantom.headers: expected a header without control characters (CR, "
            "LF, vertical tab, ...: they would split or bend the request on the wire), got "
            "\"n:]\\x0b\"");
  for (const char* h : {"A: b\\r\\nC: d", "A: b\\nc", "A: \\x01b", "A\\x7f: b", "A: b\\f"}) {
    const std::string msg = MustFail(Phantom(std::string("  headers: [\"") + h + "\"]\n"));
    EXPECT_EQ(msg.rfind("load.yaml:5:13: phantom.headers: expected a header without control", 0),
              0u)
        << h << ": " << msg;
  }
  // Tank's own strip set ("\r\n[]\t ") at the ends, and tabs inside, stay accepted.
  const TankImport t = MustConvert(Phantom("  headers: [\"[A:\\tb]\\r\\n\"]\n"));
  EXPECT_EQ(t.plan.ammo.headers, std::vector<std::string>{"A: b"});
}

// Errors the TOML loader finds are reported at the YAML key they came from.
TEST(TankYaml, LoaderErrorsMapBackToYaml) {
  const std::string msg = MustFail(Phantom("  timeout: 2h\n"));
  EXPECT_EQ(msg.rfind("load.yaml:5:12: phantom.timeout: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("(as target.timeout)"), std::string::npos) << msg;
}

}  // namespace
}  // namespace incarne
