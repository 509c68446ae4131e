#include "control/sd_notify.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <string>

namespace incarne::control {

int SdNotify(std::string_view state) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == 0) {
    return 0;
  }
  const size_t len = strlen(path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path)) {
    return -EINVAL;
  }
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') {
    addr.sun_path[0] = 0;  // abstract namespace: the name is not NUL-terminated
  }
  const socklen_t addr_len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -errno;
  }
  const ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&addr), addr_len);
  const int err = errno;
  close(fd);
  if (n < 0) {
    return -err;
  }
  return 1;
}

uint64_t SdWatchdogUsec() {
  const char* usec = getenv("WATCHDOG_USEC");
  if (usec == nullptr) {
    return 0;
  }
  if (const char* pid = getenv("WATCHDOG_PID"); pid != nullptr && pid[0] != 0) {
    long p = 0;
    const auto r = std::from_chars(pid, pid + strlen(pid), p);
    if (r.ec != std::errc() || p != getpid()) {
      return 0;
    }
  }
  uint64_t v = 0;
  const auto r = std::from_chars(usec, usec + strlen(usec), v);
  return r.ec == std::errc() ? v : 0;
}

}  // namespace incarne::control
