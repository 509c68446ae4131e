// libFuzzer target: the stpd ammo reader (src/ammo/stpd_reader.cc) on any bytes.
// The first input byte picks the stream buffer size (ammo_fuzz_sink.h).
//   tests/fuzz/run-fuzz build/tests/fuzz/ammo_stpd_fuzz tests/fuzz/corpus/ammo_stpd
#include "ammo_fuzz_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return incarne::fuzz::RunReader(incarne::ReadStpd, data, size);
}
