// The binary ammo file (docs/design.md §8, docs/formats.md): read side.
//
// Open() mmaps the file read-only (MAP_SHARED) so every worker shares one copy in the page
// cache; Request(i) points straight into that mapping and is what the nib sends. All
// accessors are const, allocation-free and safe from any thread once opened. Open() checks
// every index entry once, so Request(i) for i < count() never leaves the mapping.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ammo/ammo_layout.h"
#include "util/check.h"

namespace incarne {

class AmmoFile {
 public:
  // Errors (InvalidArgument): "<path>: offset N: expected ..." for a wrong magic, version,
  // truncated header/index, or an index pointing outside the file; NotFound for a missing
  // file. A file with zero records is rejected (the compiler never writes one).
  static absl::StatusOr<AmmoFile> Open(const std::string& path);

  AmmoFile(AmmoFile&&) noexcept;
  AmmoFile& operator=(AmmoFile&&) noexcept;
  AmmoFile(const AmmoFile&) = delete;
  AmmoFile& operator=(const AmmoFile&) = delete;
  ~AmmoFile();

  uint64_t count() const;                              // records
  std::span<const uint8_t> Request(uint64_t i) const;  // wire bytes of record i
  uint16_t Tag(uint64_t i) const;                      // index into tags()
  uint16_t Flags(uint64_t i) const;                    // kAmmoFlag* (ammo_layout.h)
  const std::vector<std::string>& tags() const;        // tags()[0] is "" (untagged)
  bool has_times() const;                              // compiled from stpd
  int64_t PlannedNs(uint64_t i) const;     // stpd planned time (ms × 1e6); needs has_times()
  std::string_view source_format() const;  // "phantom", "uri", ...
  int fd() const;                          // for sendfile(2) of large bodies
  uint64_t FileOffset(uint64_t i) const;   // byte offset of Request(i) in the file

  // The templates section (docs/formats.md): present in files written since it exists (then
  // every record flagged kAmmoFlagTemplate has an entry); false in older files, whose
  // templates the run splits from the records' bytes.
  bool has_template_split() const { return has_template_split_; }
  std::span<const AmmoTemplateRecord> template_records() const { return template_records_; }
  std::span<const AmmoTemplatePiece> template_pieces() const { return template_pieces_; }
  const std::vector<std::string>& template_names() const { return template_names_; }

  // The sessions section (docs/formats.md "Sessions section"): present in files written since
  // it exists, even when no record has a session mark; false in older files, whose marks a
  // run reads from the source. Marks by increasing record; a record without one has none.
  bool has_sessions() const { return has_sessions_; }
  std::span<const AmmoSessionMark> session_marks() const { return session_marks_; }
  // scenario k (≥ 1) of a mark is scenario_names()[k - 1].
  const std::vector<std::string>& scenario_names() const { return scenario_names_; }

  // Header fields for `incarne ammo inspect`.
  uint64_t data_size() const;  // sum of request lengths
  uint32_t min_length() const;
  uint32_t max_length() const;
  uint64_t file_size() const;
  const std::string& path() const { return path_; }

 private:
  AmmoFile() = default;
  void Reset();
  absl::Status OpenTemplates(const AmmoHeader& h, uint64_t flagged);
  absl::Status OpenSessions(const AmmoHeader& h);

  std::string path_;
  int fd_ = -1;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  const AmmoIndexEntry* index_ = nullptr;
  const int64_t* times_ = nullptr;  // null without times
  uint64_t count_ = 0;
  uint64_t data_size_ = 0;
  uint32_t min_length_ = 0;
  uint32_t max_length_ = 0;
  std::vector<std::string> tags_;
  std::string source_format_;
  bool has_template_split_ = false;
  std::span<const AmmoTemplateRecord> template_records_;
  std::span<const AmmoTemplatePiece> template_pieces_;
  std::vector<std::string> template_names_;
  bool has_sessions_ = false;
  std::span<const AmmoSessionMark> session_marks_;
  std::vector<std::string> scenario_names_;
};

inline uint64_t AmmoFile::count() const { return count_; }
inline std::span<const uint8_t> AmmoFile::Request(uint64_t i) const {
  DCHECK_HOT(i < count_);
  return {map_ + index_[i].offset, index_[i].length};
}
inline uint16_t AmmoFile::Tag(uint64_t i) const {
  DCHECK_HOT(i < count_);
  return index_[i].tag;
}
inline uint16_t AmmoFile::Flags(uint64_t i) const {
  DCHECK_HOT(i < count_);
  return index_[i].flags;
}
inline const std::vector<std::string>& AmmoFile::tags() const { return tags_; }
inline bool AmmoFile::has_times() const { return times_ != nullptr; }
inline int64_t AmmoFile::PlannedNs(uint64_t i) const {
  DCHECK_HOT(times_ != nullptr && i < count_);
  return times_[i];
}
inline std::string_view AmmoFile::source_format() const { return source_format_; }
inline int AmmoFile::fd() const { return fd_; }
inline uint64_t AmmoFile::FileOffset(uint64_t i) const {
  DCHECK_HOT(i < count_);
  return index_[i].offset;
}

}  // namespace incarne
