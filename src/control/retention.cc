#include "control/retention.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "util/clock.h"

namespace incarne::control {
namespace {

constexpr int64_t kYoungNs = int64_t{600} * 1'000'000'000;

uint64_t g_bytes = 0;  // nftw has no context argument; retention runs on one thread

int AddSize(const char*, const struct stat* st, int, FTW*) {
  g_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  return 0;
}

int RemoveOne(const char* path, const struct stat*, int flag, FTW*) {
  if (flag == FTW_DP) {
    rmdir(path);
  } else {
    unlink(path);
  }
  return 0;
}

struct RunDir {
  std::string path;
  int64_t mtime_ns = 0;
  uint64_t bytes = 0;
  bool busy = false;
};

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// A run holds its lock, or it is young and unfinished (being opened by a daemon).
bool Busy(const std::string& path, int64_t mtime_ns) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return true;
  }
  const bool locked = flock(fd, LOCK_EX | LOCK_NB) != 0;
  close(fd);
  return locked || (!Exists(path + "/summary.json") && RealNs() - mtime_ns < kYoungNs);
}

}  // namespace

std::vector<std::string> ApplyRetention(const std::string& runs, uint64_t keep_runs,
                                        double keep_gib) {
  std::vector<std::string> removed;
  if (keep_runs == 0 && keep_gib <= 0) {
    return removed;
  }
  std::vector<RunDir> dirs;
  DIR* d = opendir(runs.c_str());
  if (d == nullptr) {
    return removed;
  }
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    RunDir r;
    r.path = runs + "/" + name;
    struct stat st;
    if (lstat(r.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !Exists(r.path + "/plan.toml")) {
      continue;
    }
    r.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    dirs.push_back(std::move(r));
  }
  closedir(d);
  std::sort(dirs.begin(), dirs.end(), [](const RunDir& a, const RunDir& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns > b.mtime_ns : a.path > b.path;
  });
  const double cap = keep_gib * 1024.0 * 1024.0 * 1024.0;
  double total = 0;
  uint64_t kept = 0;
  for (RunDir& r : dirs) {
    r.busy = Busy(r.path, r.mtime_ns);
    g_bytes = 0;
    nftw(r.path.c_str(), AddSize, 16, FTW_PHYS);
    r.bytes = g_bytes;
    const bool over_count = keep_runs > 0 && kept >= keep_runs;
    // The newest run is kept even when it alone is over the size cap.
    const bool over_size = keep_gib > 0 && kept > 0 && total + static_cast<double>(r.bytes) > cap;
    if (!r.busy && (over_count || over_size)) {
      nftw(r.path.c_str(), RemoveOne, 16, FTW_DEPTH | FTW_PHYS);
      removed.push_back(r.path);
      continue;
    }
    ++kept;
    total += static_cast<double>(r.bytes);
  }
  return removed;
}

RunDirLock::RunDirLock(const std::string& dir) {
  fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ >= 0) {
    flock(fd_, LOCK_EX);
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

}  // namespace incarne::control
