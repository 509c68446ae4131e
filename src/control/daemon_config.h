// The daemon's configuration (config/incarned.toml, installed as /etc/incarne/incarned.toml;
// every key in docs/daemon.md "Configuration"), read with the plan loader's rules: a TOML
// error, an unknown key or a wrong value is InvalidArgument "file:line:column: ...".
// Control plane only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "control/allowlist.h"

namespace incarne::control {

inline constexpr char kDefaultConfigPath[] = "/etc/incarne/incarned.toml";

struct DaemonConfig {
  std::string spool = "/var/lib/incarne/spool";
  std::string runs = "/var/lib/incarne/runs";
  std::string status = "/run/incarne/status.json";
  std::string metrics;  // "" = no Prometheus textfile
  // [allow]
  std::vector<std::string> targets = {"127.0.0.0/8", "::1"};
  std::vector<std::string> nibs = {"dummy", "http", "https", "udp"};
  uint64_t max_rps = 0;         // 0 = no cap
  uint64_t max_instances = 0;   // 0 = no cap
  int64_t max_duration_ns = 0;  // 0 = no cap
  // [retention]
  uint64_t keep_runs = 0;  // 0 = keep all
  double keep_gib = 0;     // 0 = no cap
  // Derived from `targets` by LoadDaemonConfig.
  Allowlist allow;
  std::string path;  // the file it was read from ("" = defaults)
};

// Reads `path` over the defaults above and checks it (the targets parse, the folders are
// absolute, nibs are built-in names or absolute .so paths).
absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path);

}  // namespace incarne::control
