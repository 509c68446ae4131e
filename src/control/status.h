// The daemon's health stats (docs/daemon.md "Status file" and "Metrics"): a snapshot built
// once a second and written as the status file (JSON), the Prometheus textfile and the
// systemd STATUS= line. Control plane; a snapshot is a plain value, built under the daemon's
// lock and rendered without it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace incarne::control {

// One finished second of the current run, as its stats.jsonl line has it.
struct StatusSecond {
  int64_t second = -1;  // -1: none finished yet
  uint64_t planned = 0;
  uint64_t sent = 0;
  uint64_t hits = 0;
  uint64_t errors = 0;
  uint64_t inflight = 0;  // inflight_max of that second
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double lag_p99_us = 0;
};

struct StatusJob {
  std::string name;
  std::string run_dir;
  int64_t started_unix_ns = 0;
  int64_t elapsed_ns = 0;
  int64_t planned_ns = 0;  // 0 = unknown
  uint64_t planned = 0;    // shots planned so far (sum over finished seconds)
  uint64_t sent = 0;
  uint64_t hits = 0;
  uint64_t errors = 0;
  StatusSecond last;
};

struct StatusResult {
  std::string name;
  std::string outcome;  // "done" | "rejected"
  std::string run_dir;  // "" when rejected
  int exit = 0;
  uint64_t hits = 0;
  uint64_t errors = 0;
  int64_t started_unix_ns = 0;
  int64_t ended_unix_ns = 0;
  std::string why;  // rejected: the why's first line
  // done and stopped by autostop (exit 3): "CRITERION at second N: EXPLAIN" (docs/autostop.md)
  std::string autostop;
};

// Counters over the daemon's life (Prometheus counters): per tag, and errors per tag and code
// ("404" for a protocol code, "net_110" for a network one).
struct StatusCounters {
  std::map<std::string, uint64_t> hits;                            // tag → hits
  std::map<std::pair<std::string, std::string>, uint64_t> errors;  // (tag, code) → n
};

struct StatusSnapshot {
  std::string state = "idle";  // idle | running | stopping
  int pid = 0;
  std::string version;
  int64_t started_unix_ns = 0;
  int64_t now_unix_ns = 0;
  std::vector<std::string> queue;
  std::optional<StatusJob> current;
  std::optional<StatusResult> last;
  StatusCounters counters;
};

// The status file (one JSON object, docs/daemon.md "Status file").
std::string StatusJson(const StatusSnapshot& s);
// The Prometheus text exposition format (version 0.0.4): HELP and TYPE for each family;
// incarne_up is 0 in the state "stopped" (the daemon's last write).
std::string StatusMetrics(const StatusSnapshot& s);
// One line for systemd's STATUS= (and `incarne status` headline).
std::string StatusLine(const StatusSnapshot& s);
// The result file done/NAME.result.json: {run_dir, exit, hits, errors, started, ended}.
std::string ResultJson(const StatusResult& r);

}  // namespace incarne::control
