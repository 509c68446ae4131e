#include "util/small_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace incarne {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                          std::string_view what) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return absl::NotFoundError(Cat(path, ": no such ", what));
    }
    return absl::InvalidArgumentError(Cat(path, ": cannot open: ", std::strerror(err)));
  }
  std::string text;
  absl::Status status;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    status = absl::InvalidArgumentError(Cat(path, ": is a directory, not a ", what));
  } else {
    char buf[65536];
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        status = absl::InvalidArgumentError(Cat(path, ": cannot read: ", std::strerror(errno)));
        break;
      }
      if (n == 0) {
        break;
      }
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > max_bytes) {
        status = absl::InvalidArgumentError(
            Cat(path, ": larger than ", max_bytes >> 20, " MiB; is this a ", what, "?"));
        break;
      }
    }
  }
  close(fd);
  if (!status.ok()) {
    return status;
  }
  return text;
}

}  // namespace incarne
