// A whole file mapped read-only (MAP_PRIVATE) for readers that walk it once: the hits file and
// the per-second aggregates (src/results). Control plane; move-only. A file truncated while
// mapped makes a later read fault (SIGBUS): map only files nothing else is writing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace incarne {

class MappedFile {
 public:
  enum class Access {
    kSequential,  // MADV_SEQUENTIAL: pages read ahead as the reader goes
    kPopulate,    // MAP_POPULATE: every page read in at once (a reader that jumps around)
  };

  // NotFound "PATH: no such file"; InvalidArgument "PATH: <strerror>" when it cannot be opened;
  // Internal for fstat/mmap failures. An empty file maps to empty bytes().
  static absl::StatusOr<MappedFile> Open(const std::string& path, Access access);

  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const {
    return {static_cast<const char*>(map_), map_ == nullptr ? 0 : size_};
  }
  bool mapped() const { return map_ != nullptr; }

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
};

}  // namespace incarne
