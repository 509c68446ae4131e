// What the daemon lets a queued plan aim at: [allow] targets of docs/daemon.md, CIDRs with an
// optional port or port range ("127.0.0.0/8", "::1", "10.0.0.0/8:80-443", "[fd00::]/8:443").
// A plan's target must fall inside one of them, for every address its name resolves to.
// Control plane only; an Allowlist is immutable after Parse and safe to share.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne::control {

struct AllowRule {
  int family = AF_INET;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  int prefix = 32;
  uint16_t port_lo = 0;  // 0..65535 when no port was given
  uint16_t port_hi = 65535;
  std::string text;  // as written
};

class Allowlist {
 public:
  // `rules` as in the config; an error is "item: expected ..." (the caller adds file:line).
  static absl::StatusOr<Allowlist> Parse(const std::vector<std::string>& rules);
  // One rule, for the config reader's per-item messages; "" when valid.
  static std::string CheckRule(const std::string& rule);

  // An IPv4-mapped IPv6 address is matched as the IPv4 address.
  bool Allows(const sockaddr_storage& addr) const;
  // The rules as written, for messages: ["127.0.0.0/8", "::1"].
  std::string Text() const;
  bool empty() const { return rules_.empty(); }

 private:
  std::vector<AllowRule> rules_;
};

}  // namespace incarne::control
