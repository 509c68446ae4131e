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
//   "INCAMMO1"                 → ammo (already compiled)
//   path ends in .stpd         → stpd (also .stpd.gz)
//   first non-blank byte:
//     a digit                  → phantom (Tank's rule)
//     '{', or '[' then '{'/']' → jsonline (one object per line, or a JSON array)
//   otherwise uri, but only when every line in `head` looks like uri ammo: blank, a
//   '[Name: value]' header, or a URI ('/…', 'http://…', 'https://…') first.
// Anything else is InvalidArgument naming the line ("cannot tell the ammo format", with
// what each format expects; a file of only '#' lines says ammo has no comments): Tank would
// send `GET abc` or `GET #`. `head` is the start of the (decompressed) input, kDetectBytes
// long unless the input is shorter; an empty head is uri (the reader reports "no ammo").
inline constexpr size_t kDetectBytes = 64 * 1024;
absl::StatusOr<AmmoFormat> DetectAmmoFormat(std::string_view path, std::string_view head);

// Opens `path` (gzip or not), reads its first bytes and applies DetectAmmoFormat. For the
// engine: kAmmo means "open it with AmmoFile::Open, no compiling needed".
absl::StatusOr<AmmoFormat> DetectAmmoFileFormat(const std::string& path);

}  // namespace incarne
