#include "engine/target.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace incarne {

absl::StatusOr<HostPort> ParseHostPort(const std::string& address, bool allow_port_zero) {
  HostPort hp;
  std::string port;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("target address \"", address, "\": expected ']' after an IPv6 address"));
    }
    hp.host = address.substr(1, close - 1);
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat(
          "target address \"", address, "\": expected ':port' after '[", hp.host, "]'"));
    }
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("target address \"", address, "\": expected host:port"));
    }
    hp.host = address.substr(0, colon);
    if (hp.host.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target address \"", address, "\": expected an IPv6 address in brackets, [v6]:port"));
    }
    port = address.substr(colon + 1);
  }
  uint32_t p = 0;
  if (hp.host.empty() || !absl::SimpleAtoi(port, &p) || p > 65535 || (p == 0 && !allow_port_zero) ||
      port.empty() || port[0] == '+' || port[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("target address \"", address,
                                                   "\": expected host:port with a port from ",
                                                   allow_port_zero ? "0" : "1", " to 65535"));
  }
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

std::string FormatSockaddr(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
  inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
  return absl::StrCat(buf, ":", ntohs(a->sin_port));
}

absl::StatusOr<ResolvedAddress> Resolve(const HostPort& hp, Family family, int socktype) {
  addrinfo hints{};
  hints.ai_family = family == Family::kIpv4   ? AF_INET
                    : family == Family::kIpv6 ? AF_INET6
                                              : AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = absl::StrCat(hp.port);
  int rc = getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve target \"", hp.host, "\"",
                                               family == Family::kAny ? "" : " for that family",
                                               ": ", gai_strerror(rc)));
  }
  ResolvedAddress out;
  memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.len = static_cast<socklen_t>(res->ai_addrlen);
  freeaddrinfo(res);
  out.text = FormatSockaddr(out.addr);
  return out;
}

absl::StatusOr<std::vector<sockaddr_storage>> ParseSourceIps(const std::vector<std::string>& ips) {
  std::vector<sockaddr_storage> out;
  for (const std::string& ip : ips) {
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("target.source_ips: \"", ip, "\": expected a numeric IPv4 or IPv6 address"));
    }
    out.push_back(ss);
  }
  return out;
}

}  // namespace incarne
