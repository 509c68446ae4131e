// Names of the ammo formats and the auto-detection rule (docs/ammo.md "Formats").
// Control plane only.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

// "auto", "phantom", "uri", "uripost", "access", "jsonline", "stpd", "ammo".
std::string_view AmmoFormatName(AmmoFormat format);

// Accepts the names above (and Tank's "raw" / Pandora's "http/json" aliases). Errors:
// InvalidArgument "expected one of ...".
absl::StatusOr<AmmoFormat> ParseAmmoFormat(std::string_view name);

// What `format = "auto"` means for a file whose (decompressed) content starts with `head`:
//   "INCAMMO1"           → ammo (already compiled)
//   path ends in .stpd   → stpd (also .stpd.gz)
//   first byte a digit   → phantom (Tank's rule)
//   first byte '{'       → jsonline
//   anything else        → uri (Tank's rule)
// `head` may be empty (an empty file): the result is then uri, and the reader reports "no ammo".
AmmoFormat DetectAmmoFormat(std::string_view path, std::string_view head);

// Opens `path` (gzip or not), reads its first bytes and applies DetectAmmoFormat. For the
// engine: kAmmo means "open it with AmmoFile::Open, no compiling needed".
absl::StatusOr<AmmoFormat> DetectAmmoFileFormat(const std::string& path);

}  // namespace incarne
