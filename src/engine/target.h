// target.address → a socket address, resolved once at start (docs/design.md §6). Control plane.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

// "host:port", "1.2.3.4:80", "[::1]:8080". InvalidArgument "target.address: expected ..."
// for a missing port, a port outside 1..65535, or unbalanced brackets. `allow_port_zero`
// is for listeners (the sink binds a free port).
absl::StatusOr<HostPort> ParseHostPort(const std::string& address, bool allow_port_zero = false);

struct ResolvedAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;  // "127.0.0.1:8080" / "[::1]:8080"
};

// Resolves with getaddrinfo, honouring `family`, and returns the first address. Unavailable
// ("cannot resolve ...") when the name does not resolve — a runtime failure (exit 1).
absl::StatusOr<ResolvedAddress> Resolve(const HostPort& hp, Family family, int socktype);

// Numeric IPs only (target.source_ips): InvalidArgument naming the bad entry.
absl::StatusOr<std::vector<sockaddr_storage>> ParseSourceIps(const std::vector<std::string>& ips);

std::string FormatSockaddr(const sockaddr_storage& addr);

}  // namespace incarne
