#include "ammo/ammo_format.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ammo/ammo_layout.h"
#include "ammo/input_stream.h"
#include "ammo/reader_util.h"
#include "util/status.h"

namespace incarne {

std::string_view AmmoFormatName(AmmoFormat format) {
  switch (format) {
    case AmmoFormat::kAuto:
      return "auto";
    case AmmoFormat::kPhantom:
      return "phantom";
    case AmmoFormat::kUri:
      return "uri";
    case AmmoFormat::kUriPost:
      return "uripost";
    case AmmoFormat::kAccess:
      return "access";
    case AmmoFormat::kJsonLine:
      return "jsonline";
    case AmmoFormat::kStpd:
      return "stpd";
    case AmmoFormat::kAmmo:
      return "ammo";
  }
  return "auto";
}

absl::StatusOr<AmmoFormat> ParseAmmoFormat(std::string_view name) {
  for (AmmoFormat f :
       {AmmoFormat::kAuto, AmmoFormat::kPhantom, AmmoFormat::kUri, AmmoFormat::kUriPost,
        AmmoFormat::kAccess, AmmoFormat::kJsonLine, AmmoFormat::kStpd, AmmoFormat::kAmmo}) {
    if (name == AmmoFormatName(f)) {
      return f;
    }
  }
  if (name == "raw") {
    return AmmoFormat::kPhantom;  // Pandora's name for request-style ammo
  }
  if (name == "http/json") {
    return AmmoFormat::kJsonLine;  // Pandora's provider name
  }
  return absl::InvalidArgumentError(
      Cat("ammo format '", name,
          "': expected one of auto, phantom, uri, uripost, access, jsonline, stpd, ammo"));
}

AmmoFormat DetectAmmoFormat(std::string_view path, std::string_view head) {
  if (head.size() >= sizeof(kAmmoMagic) &&
      head.substr(0, sizeof(kAmmoMagic)) == std::string_view(kAmmoMagic, sizeof(kAmmoMagic))) {
    return AmmoFormat::kAmmo;
  }
  if (path.ends_with(".stpd") || path.ends_with(".stpd.gz")) {
    return AmmoFormat::kStpd;
  }
  if (!head.empty() && head[0] >= '0' && head[0] <= '9') {
    return AmmoFormat::kPhantom;
  }
  if (!head.empty() && head[0] == '{') {
    return AmmoFormat::kJsonLine;
  }
  return AmmoFormat::kUri;
}

absl::StatusOr<AmmoFormat> DetectAmmoFileFormat(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, InputStream::Open(path));
  ASSIGN_OR_RETURN(std::string_view head, in->Peek(sizeof(kAmmoMagic)));
  if (in->gzip() && DetectAmmoFormat(path, head) == AmmoFormat::kAmmo) {
    return absl::InvalidArgumentError(
        Cat(path,
            ": a gzip-compressed compiled ammo file: expected it uncompressed "
            "(it is mapped into memory)"));
  }
  return DetectAmmoFormat(path, head);
}

}  // namespace incarne
