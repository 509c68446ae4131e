// The binary ammo file (DESIGN.md §8, docs/formats.md): read side.
//
// Open() mmaps the file read-only (MAP_SHARED) so every worker shares one copy in the page
// cache; Request(i) points straight into that mapping and is what the nib sends. All
// accessors are const, allocation-free and safe from any thread once opened.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne {

class AmmoFile {
 public:
  // Errors (InvalidArgument): "<path>: offset N: expected ..." for a wrong magic, version,
  // truncated header/index, or an index pointing outside the file.
  static absl::StatusOr<AmmoFile> Open(const std::string& path);

  AmmoFile(AmmoFile&&) noexcept;
  AmmoFile& operator=(AmmoFile&&) noexcept;
  AmmoFile(const AmmoFile&) = delete;
  AmmoFile& operator=(const AmmoFile&) = delete;
  ~AmmoFile();

  uint64_t count() const;                          // records
  std::span<const uint8_t> Request(uint64_t i) const;  // wire bytes of record i
  uint16_t Tag(uint64_t i) const;                  // index into tags()
  uint16_t Flags(uint64_t i) const;
  const std::vector<std::string>& tags() const;    // tags()[0] is "" (untagged)
  bool has_times() const;                          // compiled from stpd
  int64_t PlannedNs(uint64_t i) const;             // stpd planned time (ms × 1e6); needs has_times()
  std::string_view source_format() const;          // "phantom", "uri", ...
  int fd() const;                                  // for sendfile(2) of large bodies
  uint64_t FileOffset(uint64_t i) const;           // byte offset of Request(i) in the file

  // (private: mapping, header pointers)
};

}  // namespace incarne
