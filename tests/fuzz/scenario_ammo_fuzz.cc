// libFuzzer target for the scenario ammo reader (src/ammo/scenario_ammo.h) and the session
// table built from its marks (src/scenario/session.h): jsonline with "scenario", "step" and
// "sleep", and phantom/uri/uripost ammo with `[scenario=NAME step=N sleep=D]` markers
// (docs/ammo.md "Session markers"), on any bytes. The first input byte picks the stream buffer
// size (its low 7 bits) and the format: uripost with the high bit, else what `auto` detects.
//   tests/fuzz/run-fuzz build/tests/fuzz/scenario_ammo_fuzz tests/fuzz/corpus/scenario_ammo
// Besides "no crash, no UB": an error names the input, and a table built covers every record
// exactly once, in order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ammo/ammo_format.h"
#include "ammo/input_stream.h"
#include "ammo/scenario_ammo.h"
#include "scenario/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1 << 20)) {
    return 0;
  }
  const size_t buffer = static_cast<size_t>(data[0] & 127) + 1;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<incarne::AmmoFormat> format =
      (data[0] & 128) != 0 ? incarne::AmmoFormat::kUriPost
                           : incarne::DetectAmmoFormat("fuzz", text.substr(0, 65536));
  if (!format.ok()) {
    return 0;
  }
  std::unique_ptr<incarne::InputStream> in = incarne::InputStream::FromMemory(text, "fuzz", buffer);
  absl::StatusOr<std::vector<incarne::scenario::StepMark>> marks =
      incarne::ReadScenarioMarks(*in, *format, 10000);
  if (!marks.ok()) {
    const std::string_view msg(marks.status().message().data(), marks.status().message().size());
    if (msg.substr(0, 6) != "fuzz: ") {
      std::fprintf(stderr, "unexpected error: %.*s\n", static_cast<int>(msg.size()), msg.data());
      abort();
    }
    return 0;
  }
  std::vector<std::string> tags = {""};
  absl::StatusOr<incarne::scenario::SessionTable> t =
      incarne::scenario::SessionsFromMarks(*marks, &tags);
  if (!t.ok()) {
    return 0;
  }
  uint64_t next = 0;
  for (size_t i = 0; i < t->count(); ++i) {
    for (uint32_t k = 0; k < t->Steps(i); ++k) {
      if (t->Step(i, k).record != next++) {
        abort();
      }
    }
  }
  if (next != marks->size()) {
    abort();
  }
  return 0;
}
