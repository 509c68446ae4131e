// libFuzzer target: the one-line run's URL parser and plan builder (src/cli/oneline.h) must
// accept or refuse any URL and flag text without crashing, hanging or leaking, and every plan
// it builds must load (FormatPlanToml → LoadPlanText): a one-liner that passed its own checks
// never fails later with a message about a plan the user did not write.
//   tests/fuzz/run-fuzz build/tests/fuzz/oneline_fuzz tests/fuzz/corpus/oneline
//
// Input: one item per line, "KEY VALUE": url, r, c, d, schedule, m, H, body, t, timeout,
// autocases, ca, and "insecure" alone; other lines are ignored.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/oneline.h"
#include "plan/plan_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  incarne::cli::OnelineFlags f;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const size_t sp = line.find(' ');
    const std::string_view key = line.substr(0, sp);
    const std::string value(sp == std::string_view::npos ? "" : line.substr(sp + 1));
    if (key == "url") {
      f.urls.push_back(value);
      (void)incarne::cli::ParseUrl(value);
    } else if (key == "r") {
      f.rate = value;
    } else if (key == "c") {
      f.connections = value;
    } else if (key == "d") {
      f.duration = value;
    } else if (key == "schedule") {
      f.schedule = value;
    } else if (key == "m") {
      f.method = value;
    } else if (key == "H") {
      f.headers.push_back(value);
    } else if (key == "body") {
      f.body = value;
    } else if (key == "t") {
      f.threads = value;
    } else if (key == "timeout") {
      f.timeout = value;
    } else if (key == "autocases") {
      f.autocases = value;
    } else if (key == "ca") {
      f.ca_file = value;
    } else if (key == "insecure") {
      f.https_insecure = true;
    }
  }
  absl::StatusOr<incarne::cli::OnelinePlan> built = incarne::cli::BuildOnelinePlan(f, "ammo.txt");
  if (!built.ok()) {
    return 0;
  }
  const std::string toml = incarne::FormatPlanToml(built->plan);
  absl::StatusOr<incarne::Plan> loaded = incarne::LoadPlanText(toml, "command-line", {});
  if (!loaded.ok()) {
    std::fprintf(stderr, "a built plan does not load: %s\n%s\n",
                 std::string(loaded.status().message()).c_str(), toml.c_str());
    std::abort();
  }
  return 0;
}
