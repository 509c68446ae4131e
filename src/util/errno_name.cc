#include "util/errno_name.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace incarne {
namespace {

struct Entry {
  int code;
  const char* name;
};

// The codes a load test actually meets (phantom's stat list; net codes: docs/design.md §8).
constexpr Entry kNames[] = {
    {0, "ok"},
    {EPERM, "EPERM"},
    {ENOENT, "ENOENT"},
    {EINTR, "EINTR"},
    {EIO, "EIO"},
    {ENXIO, "ENXIO"},
    {EBADF, "EBADF"},
    {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},
    {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},
    {EMFILE, "EMFILE"},
    {ENOSPC, "ENOSPC"},
    {EPIPE, "EPIPE"},
    {ENOSYS, "ENOSYS"},
    {ENODATA, "ENODATA"},
    {ENONET, "ENONET"},
    {EPROTO, "EPROTO"},
    {EMSGSIZE, "EMSGSIZE"},
    {EPROTOTYPE, "EPROTOTYPE"},
    {ENOPROTOOPT, "ENOPROTOOPT"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
    {EPFNOSUPPORT, "EPFNOSUPPORT"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {ENETDOWN, "ENETDOWN"},
    {ENETUNREACH, "ENETUNREACH"},
    {ENETRESET, "ENETRESET"},
    {ECONNABORTED, "ECONNABORTED"},
    {ECONNRESET, "ECONNRESET"},
    {ENOBUFS, "ENOBUFS"},
    {ENOTCONN, "ENOTCONN"},
    {ETIMEDOUT, "ETIMEDOUT"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {EHOSTDOWN, "EHOSTDOWN"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {EREMOTEIO, "EREMOTEIO"},
    {ECANCELED, "ECANCELED"},
    {kNetAssertion, "ASSERTION"},
    {kNetDropped, "DROPPED"},
};

// "E123" strings for codes without a name: 0..1023 covers errno and our own codes.
struct Unnamed {
  char text[1024][8];
  Unnamed() {
    for (int i = 0; i < 1024; ++i) {
      std::snprintf(text[i], sizeof(text[i]), "E%d", i);
    }
  }
};

}  // namespace

std::string_view ErrnoName(int code) {
  for (const Entry& e : kNames) {
    if (e.code == code) {
      return e.name;
    }
  }
  static const Unnamed unnamed;
  if (code >= 0 && code < 1024) {
    return unnamed.text[code];
  }
  return "E?";
}

std::string_view NetCodeText(int code) {
  if (code == 0) {
    return "Success";
  }
  if (code == kNetAssertion) {
    return "Assertion failed";
  }
  if (code == kNetDropped) {
    return "Shot dropped (overload)";
  }
  return strerrordesc_np(code) != nullptr ? strerrordesc_np(code) : "Unknown error";
}

}  // namespace incarne
