#include "tank/pandora_scenario.h"

#include <gtest/gtest.h>

#include <string>

#include "plan/plan_loader.h"
#include "util/absl_view.h"
#include "util/strings.h"

namespace incarne {
namespace {

std::string Msg(const absl::Status& st) { return std::string(StdView(st.message())); }

// What a plan needs besides the rules to load alone.
constexpr char kDummy[] = "[target]\nnib = \"dummy\"\n[load]\nschedule = \"const(1, 1s)\"\n";

// The shape of pandora's docs example (docs/eng/scenario-http-generator.md), on incarne's
// terms: a CSV user, a token from JSON, a header capture, asserts, sleeps and repeats.
constexpr char kExample[] = R"(locals:
  common: &common
    Content-Type: application/json
variable_sources:
  - name: users
    type: file/csv
    file: users.csv
    fields: [user_id, name]
    ignore_first_line: true
    delimiter: ','
  - name: global
    type: variables
    variables:
      agent: pandora-${x}
requests:
  - name: auth_req
    method: POST
    uri: /auth
    tag: auth
    headers:
      <<: *common
      User-Agent: '{{ .source.global.agent }}'
    body: '{"user_id": "{{.request.auth_req.preprocessor.user_id}}"}'
    preprocessor:
      mapping:
        user_id: source.users[next].user_id
    postprocessors:
      - type: var/jsonpath
        mapping:
          token: $.auth_key
      - type: var/header
        mapping:
          trace: X-Trace-Id
      - type: assert/response
        status_code: 200
        headers:
          Content-Type: json
        body: ["auth_key", "a.b"]
  - name: list_req
    uri: /list?r={{randInt 1 5}}&id={{ uuid }}
    headers:
      <<: *common
      Authorization: Bearer {{.request.auth_req.postprocessor.token}}
  - name: unused
    uri: /never
scenarios:
  - name: shop
    requests:
      - auth_req
      - sleep(100)
      - list_req(2, 50)
)";

TEST(PandoraScenario, ConvertsTheExample) {
  PandoraOptions o;
  o.ammo_path = "payload.jsonl";
  o.target = "127.0.0.1:8080";
  absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(kExample, "payload.yaml", o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->records, 3u);
  EXPECT_EQ(c->sessions, 1u);
  EXPECT_EQ(
      c->ammo_jsonl,
      "{\"tag\":\"shop.auth_req\",\"method\":\"POST\",\"uri\":\"/auth\",\"host\":\"127.0.0.1:"
      "8080\",\"headers\":{\"User-Agent\":\"pandora-$${x}\",\"Content-Type\":\"application/"
      "json\"},\"body\":\"{\\\"user_id\\\": \\\"${user_id}\\\"}\",\"scenario\":\"shop\","
      "\"step\":1}\n"
      "{\"tag\":\"shop.list_req\",\"method\":\"GET\",\"uri\":\"/list?r=${random(1,4)}&id=${uuid}"
      "\",\"host\":\"127.0.0.1:8080\",\"headers\":{\"Authorization\":\"Bearer ${token}\","
      "\"Content-Type\":\"application/json\"},\"scenario\":\"shop\",\"step\":2,\"sleep\":"
      "\"100ms\"}\n"
      "{\"tag\":\"shop.list_req\",\"method\":\"GET\",\"uri\":\"/list?r=${random(1,4)}&id=${uuid}"
      "\",\"host\":\"127.0.0.1:8080\",\"headers\":{\"Authorization\":\"Bearer ${token}\","
      "\"Content-Type\":\"application/json\"},\"scenario\":\"shop\",\"step\":3,\"sleep\":"
      "\"50ms\"}\n");
  EXPECT_EQ(c->rules, 3u);
  EXPECT_EQ(c->rules_toml,
            "\n# pandora request \"auth_req\" (payload.yaml:16:5)\n[[rules]]\n"
            "tag = \"shop\\\\.auth_req\"\n"
            "capture = { token = { json = \"$.auth_key\" }, trace = { header = \"X-Trace-Id\" } }\n"
            "\n# pandora request \"auth_req\" (payload.yaml:16:5)\n[[rules]]\n"
            "tag = \"shop\\\\.auth_req\"\nstatus = [200]\n"
            "headers = { \"Content-Type\" = \"json\" }\nbody = \"auth_key\"\n"
            "\n# pandora request \"auth_req\" (payload.yaml:16:5)\n[[rules]]\n"
            "tag = \"shop\\\\.auth_req\"\nbody = \"a\\\\.b\"\n");
  EXPECT_NE(c->plan_toml.find("[target]\naddress = \"127.0.0.1:8080\"\n"), std::string::npos);
  EXPECT_NE(c->plan_toml.find("[ammo]\nfile = \"payload.jsonl\"\n"), std::string::npos);
  EXPECT_NE(c->plan_toml.find("[scenario]\non_fail = \"stop\"\n"), std::string::npos);
  EXPECT_NE(c->plan_toml.find("[scenario.data]\nfile = \"users.csv\"\n"), std::string::npos);
  EXPECT_NE(c->plan_toml.find(c->rules_toml), std::string::npos);
  EXPECT_EQ(c->data_file, "users.csv");
  EXPECT_EQ(c->data_columns, (std::vector<std::string>{"user_id", "name"}));
  ASSERT_EQ(c->notes.size(), 2u);
  EXPECT_NE(c->notes[0].find("50 ms sleep after the last step"), std::string::npos) << c->notes[0];
  EXPECT_NE(c->notes[1].find("payload.yaml:44:5: the request \"unused\" is in no scenario"),
            std::string::npos)
      << c->notes[1];
  // The rules load as a plan of this incarne (regexes, JSON paths, names).
  absl::StatusOr<Plan> plan = LoadPlanText(Cat(kDummy, c->rules_toml), "rules.toml", {});
  EXPECT_TRUE(plan.ok()) << plan.status();
}

TEST(PandoraScenario, WeightsSpreadAndInterleave) {
  constexpr char kText[] = R"(requests:
  - {name: a, uri: /a}
  - {name: b, uri: /b}
scenarios:
  - {name: one, weight: 20, requests: [a]}
  - {name: two, weight: 10, requests: [b, a]}
)";
  absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(kText, "w.yaml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sessions, 3u);
  EXPECT_EQ(c->ammo_jsonl,
            "{\"tag\":\"one.a\",\"method\":\"GET\",\"uri\":\"/a\",\"headers\":{},\"scenario\":"
            "\"one\",\"step\":1}\n"
            "{\"tag\":\"two.b\",\"method\":\"GET\",\"uri\":\"/b\",\"headers\":{},\"scenario\":"
            "\"two\",\"step\":1}\n"
            "{\"tag\":\"two.a\",\"method\":\"GET\",\"uri\":\"/a\",\"headers\":{},\"scenario\":"
            "\"two\",\"step\":2}\n"
            "{\"tag\":\"one.a\",\"method\":\"GET\",\"uri\":\"/a\",\"headers\":{},\"scenario\":"
            "\"one\",\"step\":1}\n");
  // No captures: `${` is not a template and stays as written; no rules.
  EXPECT_EQ(c->rules, 0u);
  EXPECT_EQ(c->plan_toml.find("[[rules]]"), std::string::npos);
}

TEST(PandoraScenario, SameNameInTwoRequestsIsQualified) {
  constexpr char kText[] = R"(requests:
  - name: login
    uri: /login
    postprocessors: [{type: var/jsonpath, mapping: {id: $.id}}]
  - name: order
    uri: /order/{{.request.login.postprocessor.id}}
    postprocessors: [{type: var/jsonpath, mapping: {id: "$['order id'][0]"}}]
  - name: pay
    uri: /pay/{{.request.order.postprocessor.id}}
scenarios:
  - {name: s, requests: [login, order, pay]}
)";
  absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(kText, "q.yaml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(c->ammo_jsonl.find("\"uri\":\"/order/${login_id}\""), std::string::npos);
  EXPECT_NE(c->ammo_jsonl.find("\"uri\":\"/pay/${order_id}\""), std::string::npos);
  EXPECT_NE(c->rules_toml.find("capture = { order_id = { json = \"$['order id'][0]\" } }"),
            std::string::npos)
      << c->rules_toml;
  absl::StatusOr<Plan> plan = LoadPlanText(Cat(kDummy, c->rules_toml), "rules.toml", {});
  EXPECT_TRUE(plan.ok()) << plan.status();
}

struct Refusal {
  const char* text;
  const char* message;  // a substring of the error
};

TEST(PandoraScenario, RefusesWhatItCannotKeepByName) {
  const Refusal cases[] = {
      {"requests:\n  - name: a\n    uri: /\n    postprocessors:\n      - type: var/xpath\n"
       "        mapping: {x: //div}\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:5:15: requests[0].postprocessors[0].type: var/xpath"},
      {"requests:\n  - name: a\n    uri: /\n    postprocessors:\n      - type: assert/response\n"
       "        size: {val: 10, op: '>'}\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:6:15: requests[0].postprocessors[0].size: a body size assert"},
      {"requests: [{name: a, uri: /}]\nscenarios:\n  - {name: s, min_waiting_time: 1000, "
       "requests: [a]}\n",
       "r.yaml:3:33: scenarios[0].min_waiting_time: min_waiting_time"},
      {"requests: [{name: a, uri: /, templater: {type: html}}]\n"
       "scenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:48: requests[0].templater.type: the html templater"},
      {"requests:\n  - name: a\n    uri: /\n    postprocessors:\n      - type: var/header\n"
       "        mapping: {x: 'Authorization|lower'}\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:6:22: requests[0].postprocessors[0].mapping.x: header modifiers"},
      {"variable_sources: [{name: j, type: file/json, file: x.json}]\n"
       "requests: [{name: a, uri: /}]\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:36: variable_sources[0].type: file/json sources"},
      {"requests: [{name: a, uri: '/{{if .x}}y{{end}}'}]\n"
       "scenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:27: requests.a.uri: offset 1: {{if .x}}: Go template functions"},
      {"requests: [{name: a, uri: '/{{randString 5}}'}]\n"
       "scenarios: [{name: s, requests: [a]}]\n",
       "offset 1: {{randString 5}}: Go template functions"},
      {"requests:\n  - name: a\n    uri: /\n    postprocessors: [{type: var/jsonpath, mapping: "
       "{items: $.items}}]\n  - name: b\n    uri: /{{.request.b.preprocessor.item}}\n"
       "    preprocessor: {mapping: {item: 'request.a.postprocessor.items[next]'}}\n"
       "scenarios: [{name: s, requests: [a, b]}]\n",
       "requests.b.preprocessor.mapping.item: \"request.a.postprocessor.items[next]\""},
      {"requests:\n  - name: a\n    uri: /\n    postprocessors: [{type: var/jsonpath, mapping: "
       "{x: '$..id'}}]\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:4:56: requests[0].postprocessors[0].mapping.x: JSON path \"$..id\""},
      {"variable_sources: [{name: u, type: file/csv, file: u.csv, fields: [id]}]\n"
       "requests: [{name: a, uri: /}]\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:67: variable_sources[0].fields: fields for a file without a header row"},
      {"variable_sources: [{name: u, type: file/csv, file: u.csv}]\n"
       "requests:\n  - name: a\n    uri: /{{.request.a.preprocessor.id}}\n"
       "    preprocessor: {mapping: {id: 'source.u[next].id'}}\n"
       "scenarios: [{name: s, requests: [a(2)]}]\n",
       "scenarios[0].requests: source[next] taken by more than one step"},
      {"calls: [{name: c}]\nrequests: [{name: a, uri: /}]\nscenarios: [{name: s, requests: "
       "[a]}]\n",
       "r.yaml:1:8: calls: gRPC calls"},
  };
  for (const Refusal& r : cases) {
    absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(r.text, "r.yaml", {});
    ASSERT_FALSE(c.ok()) << r.text;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(Msg(c.status()).find(r.message), std::string::npos)
        << Msg(c.status()) << "\nexpected: " << r.message;
  }
}

TEST(PandoraScenario, LongAssertTextIsRefused) {
  const std::string text =
      "requests:\n  - name: a\n    uri: /\n    postprocessors:\n"
      "      - {type: assert/response, body: [" +
      std::string(3000, 'x') + "]}\nscenarios: [{name: s, requests: [a]}]\n";
  absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(text, "r.yaml", {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(Msg(c.status()).find("a text longer than 2048 bytes"), std::string::npos)
      << Msg(c.status());
}

TEST(PandoraScenario, BadInputNamesThePosition) {
  const Refusal cases[] = {
      {"requests: [\n", "r.yaml:2:1: YAML syntax error"},
      {"requests: [{name: a, uri: /, metod: GET}]\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:30: requests[0]: unknown key \"metod\""},
      {"requests: [{name: a, uri: /}]\nscenarios: [{name: s, requests: [b]}]\n",
       "r.yaml:2:34: scenarios[0].requests: no request named \"b\""},
      {"requests: [{name: a, uri: /}]\nscenarios: [{name: s, requests: ['a(x)']}]\n",
       "expected name, name(count), name(count, sleep_ms) or sleep(ms), got \"a(x)\""},
      {"requests: [{name: a, uri: /}, {name: a, uri: /b}]\nscenarios: [{name: s, requests: "
       "[a]}]\n",
       "r.yaml:1:31: requests[1].name: a second request named \"a\""},
      {"requests: [{name: a, uri: '/{{.request.a.postprocessor.t}}'}]\n"
       "scenarios: [{name: s, requests: [a]}]\n",
       "the request \"a\" has no postprocessor variable \"t\""},
      {"scenarios: [{name: s, requests: [a]}]\n", "r.yaml:1:1: requests: expected a list"},
      // Found by the fuzzer: a header name the plan loader refuses.
      {"requests:\n  - name: a\n    uri: /\n    postprocessors:\n      - type: assert/response\n"
       "        headers: {\"C\\x0cT\": json}\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:6:19: requests[0].postprocessors[0].headers: expected a header name"},
      {"requests: [{name: a, uri: '/\xff'}]\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:27: requests.a.uri: expected UTF-8 text"},
      {"requests: [{name: 'a b', uri: /}]\nscenarios: [{name: s, requests: [a]}]\n",
       "r.yaml:1:12: requests[0]: expected a `name` of 1..200 bytes without spaces"},
  };
  for (const Refusal& r : cases) {
    absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(r.text, "r.yaml", {});
    ASSERT_FALSE(c.ok()) << r.text;
    EXPECT_NE(Msg(c.status()).find(r.message), std::string::npos)
        << Msg(c.status()) << "\nexpected: " << r.message;
  }
}

}  // namespace
}  // namespace incarne
