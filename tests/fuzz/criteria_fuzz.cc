// libFuzzer target: ParseCriterion (Tank's autostop syntax) must accept or reject any input
// without crashing, with and without a window; a rejection names a position inside the text
// (or just past it); an accepted criterion has sane parameters and can be judged on a few
// seconds (src/results/criteria.h) without crashing.
//   tests/fuzz/run-fuzz build/tests/fuzz/criteria_fuzz tests/fuzz/corpus/criteria
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "plan/criterion.h"
#include "results/criteria.h"

namespace {

[[noreturn]] void Die(const char* what, std::string_view text) {
  std::fprintf(stderr, "criteria_fuzz: %s: \"%.*s\"\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

void Check(std::string_view text, bool window) {
  const absl::StatusOr<incarne::Criterion> c = incarne::ParseCriterion(text, window);
  if (!c.ok()) {
    // "\"TEXT\" at N: ..." with 1 ≤ N ≤ size + 1.
    const std::string msg(c.status().message());
    const size_t at = text.size() + 2;
    if (msg.compare(at, 4, " at ") != 0) {
      Die("error without a position", text);
    }
    const long pos = std::strtol(msg.c_str() + at + 4, nullptr, 10);
    if (pos < 1 || static_cast<size_t>(pos) > text.size() + 1) {
      Die("error position out of the text", text);
    }
    return;
  }
  if (c->relative && !(c->level >= 0 && c->level <= 1)) {
    Die("share out of [0, 1]", text);
  }
  if (!window && c->window_s != 0) {
    Die("a window without windows", text);
  }
  if (c->rt_ns < 0 || c->limit_ns < 0 || c->window_s < 0) {
    Die("negative time", text);
  }
  incarne::Autostop as({*c}, {"", "a"}, 10);
  incarne::Stats tag;
  for (int s = 0; s < 4; ++s) {
    incarne::SecondStats ss;
    ss.second = s;
    ss.inflight_max = static_cast<uint64_t>(s * 4);
    incarne::HitRecord r{};
    r.start = r.planned = 1;
    r.done = r.first_byte = 1 + static_cast<uint64_t>(s) * 100'000'000;
    r.proto_code = s % 2 == 0 ? 503 : 200;
    r.net_code = s == 3 ? 104 : 0;
    r.tag = 1;
    tag.Add(r);
    ss.overall.Add(r);
    ss.tags = {nullptr, &tag};
    as.Observe(ss);
    incarne::MeasureCriterion(*c, ss.overall, ss.inflight_max, 10);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(text, true);
  Check(text, false);
  return 0;
}
