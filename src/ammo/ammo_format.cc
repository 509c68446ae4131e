#include "ammo/ammo_format.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ammo/ammo_layout.h"
#include "ammo/input_stream.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
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

namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Whether a uri-ammo line's first token reads as a URI.
bool LooksLikeUri(std::string_view token) {
  return (!token.empty() && token[0] == '/') || EqualsNoCase(token.substr(0, 7), "http://") ||
         EqualsNoCase(token.substr(0, 8), "https://");
}

}  // namespace

absl::StatusOr<AmmoFormat> DetectAmmoFormat(std::string_view path, std::string_view head) {
  if (head.size() >= sizeof(kAmmoMagic) &&
      head.substr(0, sizeof(kAmmoMagic)) == std::string_view(kAmmoMagic, sizeof(kAmmoMagic))) {
    return AmmoFormat::kAmmo;
  }
  if (path.ends_with(".stpd") || path.ends_with(".stpd.gz")) {
    return AmmoFormat::kStpd;
  }
  size_t first = 0;
  while (true) {
    while (first < head.size() && IsBlank(head[first])) {
      ++first;
    }
    // A session marker line (docs/ammo.md) says nothing of the format: look past it.
    if (first == head.size() || head[first] != '[' ||
        !IsSessionMarker(head.substr(first, head.find('\n', first) - first))) {
      break;
    }
    const size_t nl = head.find('\n', first);
    first = nl == std::string_view::npos ? head.size() : nl + 1;
  }
  if (first == head.size()) {
    return AmmoFormat::kUri;  // empty: the reader says "no ammo"
  }
  const char c = head[first];
  if (c >= '0' && c <= '9') {
    return AmmoFormat::kPhantom;
  }
  if (c == '{') {
    return AmmoFormat::kJsonLine;
  }
  if (c == '[') {
    size_t next = first + 1;
    while (next < head.size() && IsBlank(head[next])) {
      ++next;
    }
    if (next < head.size() && (head[next] == '{' || head[next] == ']')) {
      return AmmoFormat::kJsonLine;  // a JSON array of objects (docs/ammo.md "jsonline")
    }
  }
  // uri, if every whole line in head reads like uri ammo.
  uint64_t line_no = 0;
  uint64_t comments = 0;
  uint64_t meaningful = 0;
  uint64_t first_bad = 0;
  std::string_view bad;
  std::string_view rest = head;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos && head.size() >= kDetectBytes) {
      break;  // a partial last line: not judged
    }
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    size_t b = 0;
    while (b < line.size() && IsBlank(line[b])) {
      ++b;
    }
    if (b == line.size()) {
      continue;
    }
    ++meaningful;
    if (line[b] == '#') {
      ++comments;
    }
    if (line[0] == '[') {
      continue;  // a header line
    }
    std::string_view token = line.substr(b);
    token = token.substr(0, std::min(token.size(), token.find_first_of(" \t\r")));
    if (!LooksLikeUri(token) && first_bad == 0) {
      first_bad = line_no;
      bad = line;
    }
  }
  if (meaningful > 0 && comments == meaningful) {
    return absl::InvalidArgumentError(
        Cat(path, ": line ", first_bad,
            ": every line is a '#' comment: expected requests "
            "(ammo formats have no comments: Tank would send 'GET #')"));
  }
  if (first_bad != 0) {
    return absl::InvalidArgumentError(
        Cat(path, ": line ", first_bad, ": cannot tell the ammo format from '", Excerpt(bad),
            "': expected a phantom record header '<size> [tag]' with a decimal size, a JSON object "
            "or array (jsonline), or uri lines ('/path [tag]', 'http://…', '[Name: value]'); "
            "set the format (--format / ammo.format) if it is right"));
  }
  return AmmoFormat::kUri;
}

absl::StatusOr<AmmoFormat> DetectAmmoFileFormat(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, InputStream::Open(path));
  ASSIGN_OR_RETURN(std::string_view head, in->Peek(kDetectBytes));
  const absl::StatusOr<AmmoFormat> format = DetectAmmoFormat(path, head);
  if (in->gzip() && format.ok() && *format == AmmoFormat::kAmmo) {
    return absl::InvalidArgumentError(
        Cat(path,
            ": a gzip-compressed compiled ammo file: expected it uncompressed "
            "(it is mapped into memory)"));
  }
  return format;
}

}  // namespace incarne
