// libFuzzer target: the phantom ammo reader (src/ammo/phantom_reader.cc) on any bytes.
// The first input byte picks the stream buffer size (ammo_fuzz_sink.h).
//   tests/fuzz/run-fuzz build/tests/fuzz/ammo_phantom_fuzz tests/fuzz/corpus/ammo_phantom
#include "ammo_fuzz_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return incarne::fuzz::RunReader(incarne::ReadPhantom, data, size);
}
