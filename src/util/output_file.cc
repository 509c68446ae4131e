#include "util/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/absl_view.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr int kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

absl::Status ErrnoStatus(int err, std::string msg) {
  absl::StrAppend(&msg, ": ", std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) {
    return absl::NotFoundError(msg);
  }
  if (err == EACCES || err == EPERM || err == EROFS) {
    return absl::PermissionDeniedError(msg);
  }
  if (err == EISDIR || err == ELOOP || err == ENAMETOOLONG) {
    return absl::InvalidArgumentError(msg);
  }
  return absl::InternalError(msg);
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

std::string BaseOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The descriptor a /dev/stdout-like path names, or -1. Those paths are magic links to
// whatever the descriptor is (a pipe has no path at all): write to the descriptor itself.
int SpecialFd(const std::string& path) {
  if (path == "/dev/stdout") {
    return 1;
  }
  if (path == "/dev/stderr") {
    return 2;
  }
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    int fd = 0;
    if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
        absl::SimpleAtoi(AbslView(std::string_view(path).substr(prefix.size())), &fd) && fd >= 0) {
      return fd;
    }
  }
  return -1;
}

// Follows symlinks of `path` itself (not of its folders) to the final name, which may not
// exist (a dangling link creates its target). InvalidArgument on a loop.
absl::StatusOr<std::string> FollowLinks(const std::string& path) {
  std::string p = path;
  for (int i = 0; i < kMaxLinks; ++i) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      return p;
    }
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(p.c_str(), buf, sizeof(buf) - 1);
    if (n < 0) {
      return ErrnoStatus(errno, absl::StrCat(path, ": readlink ", p));
    }
    std::string link(buf, static_cast<size_t>(n));
    p = link[0] == '/' ? link : absl::StrCat(DirOf(p), "/", link);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": more than ", kMaxLinks, " symlinks: a loop?"));
}

std::string TempName(const std::string& dir, const std::string& target) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(dir, "/.", BaseOf(target), ".", ::getpid(), ".", counter.fetch_add(1),
                      ".tmp");
}

absl::Status WriteFd(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return absl::ErrnoToStatus(errno, "write");
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return absl::OkStatus();
}

// An anonymous file in `dir` (O_TMPFILE), or -1 with errno when the filesystem has none.
int AnonymousIn(const std::string& dir, mode_t mode) {
  return ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
}

bool NoTmpfile(int err) { return err == EOPNOTSUPP || err == EISDIR || err == EINVAL; }

}  // namespace

absl::Status OutputFile::Fail(int err, std::string_view what) const {
  return ErrnoStatus(err, absl::StrCat(path_, ": ", AbslView(what)));
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path,
                                                             OutputOptions options) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  out->path_ = path;
  if (path.empty()) {
    return absl::InvalidArgumentError("an empty output path");
  }
  const int special = SpecialFd(path);
  struct stat st;
  bool exists = false;
  if (special >= 0) {
    out->fd_ = ::fcntl(special, F_DUPFD_CLOEXEC, 3);
    if (out->fd_ < 0) {
      return out->Fail(errno, "not an open descriptor");
    }
    if (::fstat(out->fd_, &st) != 0) {
      return out->Fail(errno, "fstat");
    }
    exists = true;
  } else if (::stat(path.c_str(), &st) == 0) {
    exists = true;
  } else if (errno != ENOENT) {
    return out->Fail(errno, "cannot use as an output");
  }
  if (exists && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, expected a file to write"));
  }
  if (exists && !S_ISREG(st.st_mode)) {
    // A stream (FIFO, character device, socket, pipe): written into, never replaced.
    if (out->fd_ < 0) {
      out->fd_ = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
      if (out->fd_ < 0) {
        return out->Fail(errno, "cannot open for writing");
      }
    }
    const char* tmp = std::getenv("TMPDIR");
    out->scratch_dir_ = tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp";
    if (options.seekable) {
      out->stream_fd_ = out->fd_;
      out->fd_ = AnonymousIn(out->scratch_dir_, 0600);
      if (out->fd_ < 0) {
        FILE* f = std::tmpfile();  // unlinked at once: nothing is left behind
        if (f == nullptr) {
          return out->Fail(errno,
                           absl::StrCat("cannot create a scratch file in ", out->scratch_dir_));
        }
        out->fd_ = ::fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
        std::fclose(f);
        if (out->fd_ < 0) {
          return out->Fail(errno, "dup");
        }
      }
    }
    return out;
  }
  if (out->fd_ >= 0) {
    // /dev/stdout redirected to a regular file: the shell already opened (and maybe
    // truncated, or opened for append) it; write where the descriptor points.
    return out;
  }
  ASSIGN_OR_RETURN(out->target_, FollowLinks(path));
  out->replaces_ = true;
  out->scratch_dir_ = DirOf(out->target_);
  if (exists) {
    out->has_old_mode_ = true;
    out->old_mode_ = st.st_mode & 07777;
  }
  out->fd_ = AnonymousIn(out->scratch_dir_, options.mode);
  if (out->fd_ < 0) {
    if (!NoTmpfile(errno)) {
      return out->Fail(errno, absl::StrCat("cannot create the output in ", out->scratch_dir_));
    }
    const std::string name = TempName(out->scratch_dir_, out->target_);
    out->fd_ = ::open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, options.mode);
    if (out->fd_ < 0) {
      return out->Fail(errno, absl::StrCat("cannot create ", name));
    }
    out->temp_name_ = name;
  }
  return out;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  if (stream_fd_ >= 0) {
    ::close(stream_fd_);
  }
  if (!done_ && !temp_name_.empty()) {
    ::unlink(temp_name_.c_str());  // our own temporary file, never anything else
  }
}

absl::Status OutputFile::Write(std::string_view data) {
  absl::Status st = WriteFd(fd_, data);
  if (!st.ok()) {
    return absl::Status(st.code(), absl::StrCat(path_, ": ", st.message()));
  }
  return st;
}

absl::Status OutputFile::Commit() {
  if (done_) {
    return absl::FailedPreconditionError(absl::StrCat(path_, ": committed twice"));
  }
  done_ = !replaces_;  // a stream has nothing to undo; a file is done once renamed
  if (!replaces_) {
    if (stream_fd_ < 0) {
      return absl::OkStatus();
    }
    // Seekable mode: copy the finished scratch file into the stream, in order.
    std::string buf(1 << 20, '\0');
    off_t at = 0;
    while (true) {
      const ssize_t r = ::pread(fd_, buf.data(), buf.size(), at);
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r < 0) {
        return Fail(errno, "read scratch file");
      }
      if (r == 0) {
        return absl::OkStatus();
      }
      absl::Status st = WriteFd(stream_fd_, std::string_view(buf.data(), static_cast<size_t>(r)));
      if (!st.ok()) {
        return absl::Status(st.code(), absl::StrCat(path_, ": ", st.message()));
      }
      at += r;
    }
  }
  if (has_old_mode_ && ::fchmod(fd_, old_mode_) != 0) {
    return Fail(errno, "chmod");
  }
  if (::fsync(fd_) != 0) {
    return Fail(errno, "fsync");
  }
  if (temp_name_.empty()) {
    // Give the anonymous file a hidden name, then rename it over the target: linkat cannot
    // replace an existing name.
    const std::string name = TempName(scratch_dir_, target_);
    const std::string proc = absl::StrCat("/proc/self/fd/", fd_);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0 &&
        ::linkat(fd_, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) != 0) {
      return Fail(errno, absl::StrCat("cannot link the output as ", name));
    }
    temp_name_ = name;
  }
  if (::rename(temp_name_.c_str(), target_.c_str()) != 0) {
    return Fail(errno, absl::StrCat("cannot rename the output into place as ", target_));
  }
  done_ = true;
  // Make the rename itself durable; a folder that cannot be fsynced is not an error.
  const int dir = ::open(scratch_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::Status CheckOutputNotInput(const std::string& path,
                                 const std::vector<std::string>& input_files,
                                 const std::vector<std::string>& input_dirs) {
  auto same = [](const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  };
  struct stat out;
  bool exists = false;
  const int special = SpecialFd(path);
  if (special >= 0) {
    exists = ::fstat(special, &out) == 0;
  } else {
    exists = ::stat(path.c_str(), &out) == 0;
  }
  if (exists) {
    for (const std::string& f : input_files) {
      struct stat in;
      if (::stat(f.c_str(), &in) == 0 && same(in, out)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": is the input ", f, "; expected a different output"));
      }
    }
  }
  if (special >= 0 || input_dirs.empty()) {
    return absl::OkStatus();
  }
  auto target = FollowLinks(path);
  if (!target.ok()) {
    return target.status();
  }
  // The nearest existing folder (`merge -o RUN/new/deeper` creates the missing ones).
  char real[PATH_MAX];
  std::string folder = DirOf(*target);
  while (::realpath(folder.c_str(), real) == nullptr) {
    if (folder == "/" || folder == ".") {
      return absl::OkStatus();
    }
    folder = DirOf(folder);
  }
  std::vector<std::pair<struct stat, const std::string*>> dirs;
  for (const std::string& d : input_dirs) {
    struct stat in;
    if (::stat(d.c_str(), &in) == 0) {
      dirs.emplace_back(in, &d);
    }
  }
  for (std::string p = real;; p = DirOf(p)) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0) {
      for (const auto& [in, name] : dirs) {
        if (same(st, in)) {
          return absl::InvalidArgumentError(absl::StrCat(
              path, ": is inside the input directory ", *name,
              "; expected an output outside it (it would overwrite or mix with the run's "
              "files)"));
        }
      }
    }
    if (p == "/") {
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace incarne
