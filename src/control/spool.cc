#include "control/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/output_file.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne::control {
namespace {

constexpr size_t kMaxJobBytes = size_t{16} << 20;

absl::Status Errno(int err, std::string_view what) {
  return absl::InternalError(Cat(what, ": ", std::strerror(err)));
}

// The file under a dot-name in active/ that names a job's run directory.
std::string RunNoteName(const std::string& job) { return Cat(".", job, ".run"); }

std::string ReadSmall(const std::string& path) {
  std::string out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return out;
  }
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof(buf));
  if (n > 0) {
    out.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace

bool IsJobName(const std::string& name) {
  if (name.empty() || name[0] == '.') {
    return false;
  }
  return (name.ends_with(".toml") && name.size() > 5) ||
         (name.ends_with(".yaml") && name.size() > 5);
}

std::string JobStem(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

ClaimedJob::~ClaimedJob() {
  if (fd_ >= 0) {
    close(fd_);  // releases the flock
  }
}

ClaimedJob::ClaimedJob(ClaimedJob&& o) noexcept
    : name_(std::move(o.name_)), fd_(std::exchange(o.fd_, -1)), open_errno_(o.open_errno_) {}

ClaimedJob& ClaimedJob::operator=(ClaimedJob&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) {
      close(fd_);
    }
    name_ = std::move(o.name_);
    fd_ = std::exchange(o.fd_, -1);
    open_errno_ = o.open_errno_;
  }
  return *this;
}

absl::StatusOr<std::string> ClaimedJob::Read() const {
  auto refuse = [&](std::string_view why) {
    return absl::InvalidArgumentError(Cat(name_, ": refused: ", why));
  };
  if (fd_ < 0) {
    if (open_errno_ == ELOOP) {
      return refuse("is a symbolic link; a control file must be a regular file");
    }
    return refuse(Cat("cannot be opened: ", std::strerror(open_errno_)));
  }
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    return refuse(Cat("fstat: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return refuse("is not a regular file");
  }
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return refuse(Cat("is owned by uid ", st.st_uid, "; a control file must belong to root or to ",
                      "the daemon's user (uid ", geteuid(), ")"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return refuse(Cat("is writable by ", (st.st_mode & S_IWOTH) != 0 ? "others" : "its group",
                      " (mode ", absl::StrFormat("%04o", st.st_mode & 07777),
                      "); a control file must be writable by its owner only"));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxJobBytes) {
    return refuse("is larger than 16 MiB");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = pread(fd_, text.data() + got, text.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return refuse(n == 0 ? "changed while being read" : Cat("read: ", std::strerror(errno)));
    }
    got += static_cast<size_t>(n);
  }
  return text;
}

absl::StatusOr<Spool> Spool::Open(const std::string& dir) {
  Spool s;
  s.dir_ = dir;
  for (const char* sub : {"", "/active", "/done", "/rejected"}) {
    const std::string p = dir + sub;
    if (mkdir(p.c_str(), 0750) != 0 && errno != EEXIST) {
      return Errno(errno, Cat("spool folder ", p));
    }
    struct stat st;
    if (stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(Cat("spool folder ", p, ": not a directory"));
    }
  }
  return s;
}

std::vector<QueuedJob> Spool::Scan() const {
  std::vector<QueuedJob> jobs;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) {
    return jobs;
  }
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (!IsJobName(name)) {
      continue;
    }
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    jobs.push_back(
        {std::move(name), int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec});
  }
  closedir(d);
  std::sort(jobs.begin(), jobs.end(), [](const QueuedJob& a, const QueuedJob& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.name < b.name;
  });
  return jobs;
}

absl::StatusOr<bool> Spool::Claim(const std::string& name, ClaimedJob* job) const {
  const std::string from = Path(name);
  const std::string to = Path("active/" + name);
  // Locked before the rename, so that no job is ever in active/ unlocked while its daemon
  // lives. O_NOFOLLOW: a symlink is moved (rename does not follow it) and then refused.
  ClaimedJob j;
  j.name_ = name;
  j.fd_ = open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (j.fd_ < 0) {
    if (errno == ENOENT) {
      return false;  // another daemon took it
    }
    j.open_errno_ = errno;
  } else if (flock(j.fd_, LOCK_EX | LOCK_NB) != 0) {
    return false;  // another daemon is claiming it this very moment
  }
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == ENOENT || errno == EEXIST) {
      return false;  // taken meanwhile, or active/ holds a job of that name: later
    }
    return Errno(errno, Cat("claiming ", from));
  }
  *job = std::move(j);
  return true;
}

void Spool::NoteRunDir(const ClaimedJob& job, const std::string& run_dir) const {
  (void)ReplaceFile(Path("active/" + RunNoteName(job.name())), run_dir);
}

absl::Status Spool::MoveOut(ClaimedJob job, const char* folder, const std::string& side_name,
                            const std::string& side_text) const {
  RETURN_IF_ERROR(ReplaceFile(Path(Cat(folder, "/", side_name)), side_text));
  const std::string from = Path("active/" + job.name());
  const std::string to = Path(Cat(folder, "/", job.name()));
  if (rename(from.c_str(), to.c_str()) != 0) {
    return Errno(errno, Cat("moving ", from, " to ", to));
  }
  unlink(Path("active/" + RunNoteName(job.name())).c_str());
  return absl::OkStatus();
}

absl::Status Spool::Done(ClaimedJob job, const std::string& result_json) const {
  const std::string side = JobStem(job.name()) + ".result.json";
  return MoveOut(std::move(job), "done", side, result_json);
}

absl::Status Spool::Reject(ClaimedJob job, const std::string& why) const {
  const std::string side = JobStem(job.name()) + ".why";
  return MoveOut(std::move(job), "rejected", side, why + "\n");
}

std::vector<std::string> Spool::RecoverInterrupted() const {
  std::vector<std::string> names;
  const std::string active = Path("active");
  DIR* d = opendir(active.c_str());
  if (d == nullptr) {
    return names;
  }
  std::vector<std::string> entries;
  while (dirent* e = readdir(d)) {
    if (IsJobName(e->d_name)) {
      entries.emplace_back(e->d_name);
    }
  }
  closedir(d);
  for (const std::string& name : entries) {
    ClaimedJob j;
    j.name_ = name;
    j.fd_ = open((active + "/" + name).c_str(),
                 O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (j.fd_ >= 0 && flock(j.fd_, LOCK_EX | LOCK_NB) != 0) {
      continue;  // a live daemon runs it
    }
    std::string run_dir = ReadSmall(active + "/" + RunNoteName(name));
    std::string why = Cat(name, ": interrupted: the daemon running it ended without finishing ",
                          "it (killed, crashed or the machine stopped); it is not run again");
    if (!run_dir.empty()) {
      Append(&why, "; its partial run directory: ", run_dir);
    } else {
      Append(&why, "; no run directory was created");
    }
    if (Reject(std::move(j), why).ok()) {
      names.push_back(name);
    }
  }
  return names;
}

bool Spool::TakeStop() const { return unlink(Path(kStopFile).c_str()) == 0; }

absl::Status ReplaceFile(const std::string& path, const std::string& text, bool durable) {
  if (!durable) {
    const size_t slash = path.rfind('/');
    const std::string tmp =
        slash == std::string::npos
            ? Cat(".", path, ".", getpid(), ".tmp")
            : Cat(path.substr(0, slash + 1), ".", path.substr(slash + 1), ".", getpid(), ".tmp");
    const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      return Errno(errno, tmp);
    }
    const ssize_t n = write(fd, text.data(), text.size());
    const int err = errno;
    close(fd);
    if (n != static_cast<ssize_t>(text.size()) || rename(tmp.c_str(), path.c_str()) != 0) {
      const int e = n != static_cast<ssize_t>(text.size()) ? (n < 0 ? err : ENOSPC) : errno;
      unlink(tmp.c_str());
      return Errno(e, path);
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto out, OutputFile::Open(path));
  RETURN_IF_ERROR(out->Write(text));
  return out->Commit();
}

}  // namespace incarne::control
