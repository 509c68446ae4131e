// libFuzzer target: the access ammo reader (src/ammo/access_reader.cc) on any bytes.
// The first input byte picks the stream buffer size (ammo_fuzz_sink.h).
//   tests/fuzz/run-fuzz build/tests/fuzz/ammo_access_fuzz tests/fuzz/corpus/ammo_access
#include "ammo_fuzz_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return incarne::fuzz::RunReader(incarne::ReadAccess, data, size);
}
