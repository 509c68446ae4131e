// libFuzzer target: the jsonline ammo reader (src/ammo/jsonline_reader.cc) and its JSON
// parser (src/ammo/json_line.cc) on any bytes.
// The first input byte picks the stream buffer size (ammo_fuzz_sink.h).
//   tests/fuzz/run-fuzz build/tests/fuzz/ammo_jsonline_fuzz tests/fuzz/corpus/ammo_jsonline
#include "ammo_fuzz_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return incarne::fuzz::RunReader(incarne::ReadJsonLine, data, size);
}
