// libFuzzer target: the phantom config reader must reject or accept any input without
// crashing, hanging or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tank/phantom_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = incarne::ReadPhantomConfig(text, "fuzz.conf");
  (void)cfg;
  return 0;
}
