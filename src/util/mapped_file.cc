// util/mapped_file.h: open, fstat, mmap, and the unmap.
#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/strings.h"

namespace incarne {

absl::StatusOr<MappedFile> MappedFile::Open(const std::string& path, Access access) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) {
      return absl::NotFoundError(Cat(path, ": no such file"));
    }
    return absl::InvalidArgumentError(Cat(path, ": ", std::strerror(e)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    return absl::InternalError(Cat(path, ": fstat: ", std::strerror(e)));
  }
  MappedFile f;
  if (st.st_size > 0) {  // mmap refuses a zero length: an empty file stays unmapped
    const auto size = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, size, PROT_READ,
                     MAP_PRIVATE | (access == Access::kPopulate ? MAP_POPULATE : 0), fd, 0);
    if (map == MAP_FAILED) {
      const int e = errno;
      close(fd);
      return absl::InternalError(Cat(path, ": mmap: ", std::strerror(e)));
    }
    if (access == Access::kSequential) {
      madvise(map, size, MADV_SEQUENTIAL);
    }
    f.map_ = map;
    f.size_ = size;
  }
  close(fd);
  return f;
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : map_(std::exchange(o.map_, nullptr)), size_(std::exchange(o.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  std::swap(map_, o.map_);
  std::swap(size_, o.size_);
  return *this;
}

MappedFile::~MappedFile() {
  if (map_ != nullptr) {
    munmap(map_, size_);
  }
}

}  // namespace incarne
