// libFuzzer target for what a [[rules]] check reads of a reply (src/scenario/http_reply.h,
// src/scenario/rules.h): the split into headers and body, in-place de-chunking, header
// lookup and the checks themselves, over any bytes.
//   build-x/tests/fuzz/scenario_reply_fuzz tests/fuzz/corpus/scenario_reply
// Besides "no crash, no UB, no overread", the views must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "scenario/http_reply.h"
#include "scenario/jsonpath.h"
#include "scenario/rules.h"

namespace {

incarne::scenario::RuleSet& Rules() {
  static const std::unique_ptr<incarne::scenario::RuleSet> set = [] {
    incarne::RulePlan r;
    r.status = {"2xx"};
    r.headers = {{"Content-Type", "json"}, {"X-Id", "^[0-9]+$"}};
    r.body = "needle|\"token\":\"[^\"]*\"";
    r.body_scan = 64;
    incarne::RulePlan c;
    c.body_scan = 64;
    c.captures = {{.name = "a", .from = incarne::CapturePlan::From::kJson, .json = "$.a[1].b"},
                  {.name = "b", .from = incarne::CapturePlan::From::kHeader, .header = "X-Id"},
                  {.name = "c", .regex = "n=(\\d+)"}};
    incarne::ScenarioPlan sc;
    sc.max_vars = 4;
    sc.max_value = 16;
    // The captures' rule first: the asserts of the second would end most checks early.
    auto s = incarne::scenario::RuleSet::Compile({c, r}, sc, {""});
    if (!s.ok()) {
      abort();
    }
    return std::move(*s);
  }();
  return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) {
    return 0;
  }
  std::vector<char> buf(data, data + size);
  char* base = buf.data();
  const incarne::scenario::ReplyView v =
      incarne::scenario::SplitReply(base, static_cast<uint32_t>(size));
  auto inside = [&](std::string_view s) {
    if (!s.empty() && (s.data() < base || s.data() + s.size() > base + size)) {
      abort();
    }
  };
  inside(v.headers);
  inside(v.body);
  incarne::scenario::ForEachHeader(v.headers, "content-type", [&](std::string_view value) {
    inside(value);
    return false;
  });
  std::vector<char> again(data, data + size);
  again.resize(size + incarne::scenario::kJsonPadding);
  char values[4 * 16];
  uint16_t lens[4] = {0, 0, 0, 0};
  incarne::scenario::VarStore vars{values, lens};
  (void)Rules().Check(0, 200, 0, again.data(), static_cast<uint32_t>(size), &vars);
  return 0;
}
