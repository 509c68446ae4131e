// Binary ammo file → text again (`incarne ammo dump`, docs/ammo.md "dump").
//
// DumpPhantom writes request-style ammo that compiles back to the same .ammo byte for byte
// (for every source format but stpd, whose planned times it cannot carry: use DumpStpd).
// DumpStpd writes Tank's stpd (format.Stpd): `<size> <ts_ms> <tag>\n<request>\n` per shot,
// shot i using record i mod count(), so it can be diffed against Tank's stepper output.
// Control plane.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "ammo/ammo_file.h"

namespace incarne {

// Receives the output in pieces (a few hundred KiB at most).
using DumpOut = std::function<absl::Status(std::string_view)>;

// Records [0, min(limit, count)) (limit 0 = all). A record whose tag contains whitespace
// cannot be written in this format: InvalidArgument naming the record.
absl::Status DumpPhantom(const AmmoFile& file, uint64_t limit, const DumpOut& out);

// `shots` shots; shot i is planned at time_ms(i) and uses record i mod count().
absl::Status DumpStpd(const AmmoFile& file, uint64_t shots,
                      const std::function<int64_t(uint64_t)>& time_ms, const DumpOut& out);

}  // namespace incarne
