// The phantom drop-in's processes: the children that run one stream each, and the parent that
// supervises them and writes the stat and phantom logs (phantom_runner.h; docs/phantom.md).
#include "tank/phantom_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/launcher.h"
#include "incarne_config.h"
#include "plan/plan_loader.h"
#include "tank/phantom_logs.h"
#include "util/absl_view.h"
#include "util/errno_name.h"
#include "util/exit_code.h"
#include "util/status.h"

namespace incarne::tank {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- the child

// Writes all of `line`; false when the pipe is closed or broken (the parent is gone or stopped
// listening).
bool WriteLine(int fd, const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = write(fd, line.data() + off, line.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

StatKeys KeysOf(const StreamNodes& n) {
  return StatKeys{n.method_name, n.proto_name, n.source_name};
}

// Pipe protocol (one line each, child → parent):
//   S <unix second> <stat body>     a finished second of completions
//   E <unix second> <net_code> <n>  n hits of that second ended with net_code (≠ 0)
//   F <message>                     Launch refused to start (nothing was fired)
//   D <hits> <errors> <answ written> <answ lost>   done
// A report that cannot be written means nobody supervises this stream any more: the child
// stops as on SIGTERM (stop firing, let hits in flight finish, write its files), once.
int RunStreamChild(const PhantomRun& l, size_t index, int fd, StreamLaunchFn launch) {
  const Stream& st = l.streams[index];
  LaunchOptions lo;
  lo.plan_path = l.path;
  lo.plan_text = FormatPlanToml(st.plan);
  lo.out_dir = st.run_dir;
  lo.phout_path = st.conf.phout;
  lo.answ_path = st.conf.answ;
  lo.answ_filter = st.answ;
  static std::atomic<bool> stop_sent{false};
  const StatKeys keys = KeysOf(st.nodes);
  lo.on_second = [fd, &keys](const SecondStats& ss) {
    const int64_t w = ss.unix_ns / kNsPerSec;
    std::string out = absl::StrCat("S ", w, " ", StatBody(ss, keys), "\n");
    for (const auto& [code, count] : ss.overall.net_codes.Sorted()) {
      if (code != 0) {
        absl::StrAppend(&out, "E ", w, " ", code, " ", count, "\n");
      }
    }
    if (!WriteLine(fd, out) && !stop_sent.exchange(true)) {
      // The launcher's front end takes SIGINT/SIGTERM (blocked in every thread) and stops
      // firing on the first.
      kill(getpid(), SIGTERM);
    }
  };
  // The report goes to stdout, the run directory line to stderr (Tank keeps both).
  absl::StatusOr<LaunchResult> r = launch(std::move(lo));
  if (!r.ok()) {
    std::string msg(StdView(r.status().message()));
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    WriteLine(fd, absl::StrCat("F ", msg, "\n"));
    return ExitCodeFor(r.status());
  }
  WriteLine(fd, absl::StrCat("D ", r->summary.overall.hits, " ", r->summary.overall.net_errors, " ",
                             r->answ_written, " ", r->answ_dropped, "\n"));
  fflush(stdout);
  return r->exit_code;
}

// ---------------------------------------------------------------- the parent

// Truncates (creates) a file the children append to.
absl::Status CreateEmpty(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", strerror(errno)));
  }
  close(fd);
  return absl::OkStatus();
}

// A stream's run directory from an earlier run of the same config is replaced (phantom
// overwrites its outputs too); anything else in the way is an error.
absl::Status PrepareRunDir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (fs::is_directory(dir, ec) &&
        (fs::exists(fs::path(dir) / "plan.toml", ec) || fs::is_empty(dir, ec))) {
      fs::remove_all(dir, ec);
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat(dir, ": cannot remove the previous run: ", ec.message()));
      }
    } else {
      return absl::FailedPreconditionError(
          absl::StrCat(dir, ": exists and is not an incarne run directory"));
    }
  }
  return absl::OkStatus();
}

// Outputs: created (emptied) once here, appended to by the children; run directories of an
// earlier run replaced.
absl::Status PrepareOutputs(const PhantomRun& l, PhantomLog& log) {
  std::set<std::string> created;
  for (const Stream& st : l.streams) {
    for (const std::string& p : {st.conf.phout, st.conf.answ}) {
      if (!p.empty() && created.insert(p).second) {
        absl::Status s = CreateEmpty(p);
        if (!s.ok()) {
          log.Line("fatal", "phantom", StdView(s.message()));
          return s;
        }
      }
    }
    absl::Status s = PrepareRunDir(st.run_dir);
    if (!s.ok()) {
      log.Line("fatal", st.conf.name, StdView(s.message()));
      return s;
    }
  }
  return absl::OkStatus();
}

struct Child {
  pid_t pid = -1;
  int fd = -1;  // read end of its pipe; -1 after EOF
  bool exited = false;
  int status = 0;
  std::string buf;  // partial line
  int64_t last_second = INT64_MIN;
};

int ChildExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The parent's side of a run: forks the children, then one poll loop over the signalfd and
// the children's pipes until every child has exited and every pipe is drained.
class Supervisor {
 public:
  Supervisor(const PhantomRun& l, PhantomLog& log, StatLog& stat, StreamLaunchFn launch)
      : l_(l), log_(log), stat_(stat), launch_(launch), children_(l.streams.size()) {
    for (const Stream& st : l.streams) {
      names_.push_back(st.conf.name);
    }
  }

  // False when a pipe or a fork failed (logged; the children already started end with their
  // stream).
  bool Start(int sfd);
  void StopAll() const { Signal(SIGTERM); }
  void Loop(int sfd);
  int Finish() const;

 private:
  size_t Live() const {
    return std::count_if(children_.begin(), children_.end(),
                         [](const Child& c) { return !c.exited; });
  }
  size_t OpenPipes() const {
    return std::count_if(children_.begin(), children_.end(),
                         [](const Child& c) { return c.fd >= 0; });
  }
  // The last second every child that still reports has reported (INT64_MAX: none reports).
  int64_t Horizon() const {
    int64_t h = INT64_MAX;
    for (const Child& c : children_) {
      if (c.fd >= 0) {
        h = std::min(h, c.last_second);
      }
    }
    return h;
  }
  void Signal(int signo) const {
    for (const Child& c : children_) {
      if (!c.exited) {
        kill(c.pid, signo);
      }
    }
  }
  void ReadSignals(int sfd);
  void ReadPipe(size_t i);
  void HandleLine(size_t i, std::string_view line);
  void Reap();

  const PhantomRun& l_;
  PhantomLog& log_;
  StatLog& stat_;
  StreamLaunchFn launch_;
  std::vector<Child> children_;
  std::vector<std::string> names_;
  int signals_ = 0;
  bool stopping_others_ = false;
};

bool Supervisor::Start(int sfd) {
  fflush(stdout);
  fflush(stderr);
  const pid_t parent = getpid();
  for (size_t i = 0; i < children_.size(); ++i) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      log_.Line("fatal", "phantom", absl::StrCat("pipe: ", strerror(errno)));
      return false;
    }
    const pid_t pid = fork();
    if (pid < 0) {
      log_.Line("fatal", "phantom", absl::StrCat("fork: ", strerror(errno)));
      close(p[0]);
      close(p[1]);
      return false;
    }
    if (pid == 0) {
      // Die with the parent. It may have died before prctl took effect: then this process
      // was already re-parented and getppid() no longer names it.
      if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) {
        _exit(kExitFailed);
      }
      close(p[0]);
      close(sfd);
      for (size_t k = 0; k < i; ++k) {
        close(children_[k].fd);
      }
      const int code = RunStreamChild(l_, i, p[1], launch_);
      close(p[1]);
      fflush(stdout);
      fflush(stderr);
      _exit(code);
    }
    close(p[1]);
    children_[i].pid = pid;
    children_[i].fd = p[0];
    const Stream& st = l_.streams[i];
    log_.Line("info", st.conf.name,
              absl::StrCat("start: ", st.plan.target.address, ", ", st.stpd_records,
                           " stpd records from ", st.conf.stpd, ", instances ", st.conf.instances,
                           ", run directory ", st.run_dir, " (pid ", pid, ")"));
  }
  return true;
}

void Supervisor::HandleLine(size_t i, std::string_view line) {
  const Stream& st = l_.streams[i];
  if (line.size() < 2) {
    return;
  }
  const char kind = line[0];
  std::string_view rest = line.substr(2);
  if (kind == 'S') {
    const size_t sp = rest.find(' ');
    int64_t w = 0;
    if (sp == std::string_view::npos || !absl::SimpleAtoi(AbslView(rest.substr(0, sp)), &w)) {
      return;
    }
    children_[i].last_second = std::max(children_[i].last_second, w);
    stat_.Add(w, i, std::string(rest.substr(sp + 1)));
  } else if (kind == 'E') {
    std::vector<std::string> f = absl::StrSplit(AbslView(rest), ' ');
    int code = 0;
    if (f.size() == 3 && absl::SimpleAtoi(f[1], &code)) {
      log_.Line("error", absl::StrCat(st.conf.name, " ", st.nodes.method_name),
                absl::StrCat(AbslView(NetCodeText(code)), " (net_code ", code, ")"));
    }
  } else if (kind == 'F') {
    log_.Line("fatal", st.conf.name, rest);
  } else if (kind == 'D') {
    std::vector<std::string> f = absl::StrSplit(AbslView(rest), ' ');
    if (f.size() == 4) {
      log_.Line(
          "info", st.conf.name,
          absl::StrCat("finished: ", f[0], " hits, ", f[1], " network errors",
                       st.answ != AnswFilter::kNone ? absl::StrCat(", answ log ", f[2], " entries")
                                                    : std::string()));
      if (f[3] != "0") {
        log_.Line("warning", st.conf.name,
                  absl::StrCat(f[3], " answ entries lost (the answ rings were full)"));
      }
    }
  }
}

void Supervisor::ReadSignals(int sfd) {
  signalfd_siginfo si;
  while (read(sfd, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
    if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
      ++signals_;
      log_.Line("info", "phantom",
                absl::StrCat(si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
                             signals_ == 1 ? ": stopping every stream (in-flight hits finish)"
                                           : " again: stopping now"));
      Signal(static_cast<int>(si.ssi_signo));
    }
    // SIGCHLD: reaped in Reap.
  }
}

void Supervisor::ReadPipe(size_t i) {
  Child& c = children_[i];
  char buf[65536];
  const ssize_t got = read(c.fd, buf, sizeof(buf));
  if (got > 0) {
    c.buf.append(buf, static_cast<size_t>(got));
    size_t start = 0;
    size_t nl;
    while ((nl = c.buf.find('\n', start)) != std::string::npos) {
      HandleLine(i, std::string_view(c.buf).substr(start, nl - start));
      start = nl + 1;
    }
    c.buf.erase(0, start);
  } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
    close(c.fd);
    c.fd = -1;
  }
}

void Supervisor::Reap() {
  for (size_t i = 0; i < children_.size(); ++i) {
    Child& c = children_[i];
    if (c.exited || c.pid < 0) {
      continue;
    }
    int status = 0;
    if (waitpid(c.pid, &status, WNOHANG) != c.pid) {
      continue;
    }
    c.exited = true;
    c.status = status;
    const int code = ChildExitCode(status);
    log_.Line(code == 0 ? "info" : "error", names_[i],
              absl::StrCat("stream ended, exit code ", code));
    if (!stopping_others_ && Live() > 0) {
      // Tank: the test ends when any stream ends.
      stopping_others_ = true;
      log_.Line("info", "phantom", absl::StrCat(names_[i], " ended: stopping the other streams"));
      Signal(SIGTERM);
    }
  }
}

void Supervisor::Loop(int sfd) {
  // A child never started (a failed fork) counts as exited.
  for (Child& c : children_) {
    c.exited = c.exited || c.pid < 0;
  }
  while (Live() > 0 || OpenPipes() > 0) {
    std::vector<pollfd> pfds;
    std::vector<size_t> which;
    pfds.push_back({sfd, POLLIN, 0});
    for (size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].fd >= 0) {
        pfds.push_back({children_[i].fd, POLLIN, 0});
        which.push_back(i);
      }
    }
    if (poll(pfds.data(), pfds.size(), 1000) < 0 && errno != EINTR) {
      break;
    }
    if ((pfds[0].revents & POLLIN) != 0) {
      ReadSignals(sfd);
    }
    for (size_t k = 1; k < pfds.size(); ++k) {
      if ((pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        ReadPipe(which[k - 1]);
      }
    }
    stat_.Flush(names_, Horizon());
    Reap();
  }
  stat_.Flush(names_, INT64_MAX);
}

int Supervisor::Finish() const {
  int exit_code = kExitOk;
  for (const Child& c : children_) {
    const int code = c.pid < 0 ? kExitFailed : ChildExitCode(c.status);
    if (code != 0 && exit_code == kExitOk) {
      exit_code = code == kExitBadInput ? kExitBadInput : kExitFailed;
    }
  }
  log_.Line(exit_code == 0 ? "info" : "error", "phantom",
            absl::StrCat("exit ", exit_code, signals_ > 0 ? " (stopped by a signal)" : ""));
  return exit_code;
}

}  // namespace

absl::StatusOr<int> RunPhantomStreams(const PhantomRun& l, const sigset_t& stop_signals,
                                      StreamLaunchFn launch) {
  PhantomLog log(l.cfg.phantom_log);
  const size_t n = l.streams.size();
  log.Line("info", "phantom",
           absl::StrCat("incarne ", INCARNE_VERSION, " phantom drop-in: ", l.path, ", ", n,
                        n == 1 ? " stream" : " streams"));
  RETURN_IF_ERROR(PrepareOutputs(l, log));
  StatLog stat(l.cfg.stat_log);
  if (!stat.ok()) {
    absl::Status s =
        absl::UnavailableError(absl::StrCat(l.cfg.stat_log, ": cannot create: ", strerror(errno)));
    log.Line("fatal", "phantom", StdView(s.message()));
    return s;
  }
  const int sfd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    return absl::InternalError(absl::StrCat("signalfd: ", strerror(errno)));
  }
  Supervisor sup(l, log, stat, launch);
  const bool started = sup.Start(sfd);
  if (!started) {
    sup.StopAll();  // the streams already started must not run on unsupervised
  }
  sup.Loop(sfd);
  close(sfd);
  const int code = sup.Finish();
  return started ? code : kExitFailed;
}

}  // namespace incarne::tank
