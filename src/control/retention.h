// [retention] of the daemon's configuration (docs/daemon.md "Retention"): keep the newest
// `keep_runs` run directories under `runs` and at most `keep_gib` GiB of them; the oldest go
// first. Only run directories are considered (folders holding plan.toml), and never one a run
// still holds: a running job keeps its run directory flock()ed, and a directory without
// summary.json younger than 10 minutes is left alone (a run being opened). Control plane.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace incarne::control {

// Returns the run directories removed.
std::vector<std::string> ApplyRetention(const std::string& runs, uint64_t keep_runs,
                                        double keep_gib);

// Holds a flock on a run directory while it lives (a daemon's running job).
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace incarne::control
