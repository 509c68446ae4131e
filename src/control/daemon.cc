#include "control/daemon.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "control/daemon_config.h"
#include "control/job_check.h"
#include "control/retention.h"
#include "control/sd_notify.h"
#include "control/spool.h"
#include "control/status.h"
#include "engine/launcher.h"
#include "incarne_config.h"
#include "util/clock.h"
#include "util/exit_code.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne::control {
namespace {

// The job being run: its claimed control file, its launcher and the thread that opens, runs
// and finishes it.
struct Running {
  ClaimedJob job;
  std::string label;  // the job as messages name it (its path in the spool)
  std::unique_ptr<Launcher> launcher;
  std::thread thread;
  int64_t started_ns = 0;
  absl::Status open_error;  // Open failed: nothing ran, the run directory is gone again
  LaunchResult result;
};

class Daemon {
 public:
  explicit Daemon(const DaemonOptions& o) : opt_(o) {}
  ~Daemon();
  int Main();

 private:
  template <typename... Args>
  void Log(const Args&... args) {
    const std::string line = Cat("incarne daemon: ", args..., "\n");
    std::fputs(line.c_str(), opt_.log);
    std::fflush(opt_.log);
  }

  absl::Status SetUp();
  absl::Status OpenSpool();
  absl::Status Watch();
  void StartNext();
  bool Start(ClaimedJob job);
  void Reject(ClaimedJob job, const std::string& label, const absl::Status& why);
  void JobEnded();
  void OnSignals();
  void OnInotify();
  void OnTick();
  void Reload();
  void Stop(int level, std::string_view reason);
  StatusSnapshot Snapshot();
  // Writes the status and metrics files and sends STATUS= (after `first_note`, e.g.
  // "READY=1\n") and WATCHDOG=1; the final state "stopped" is written but not sent.
  void Publish(bool final_state = false, std::string_view first_note = "");
  void OnSecond(const SecondStats& ss);

  DaemonOptions opt_;
  DaemonConfig config_;
  std::optional<Spool> spool_;
  int sig_fd_ = -1;
  int inotify_fd_ = -1;
  int timer_fd_ = -1;
  int done_fd_ = -1;
  int stop_signals_ = 0;
  bool stopping_ = false;
  bool run_stopping_ = false;  // a stop was asked for the running job
  bool reload_pending_ = false;
  bool status_failed_ = false;
  bool metrics_failed_ = false;
  uint64_t watchdog_usec_ = 0;
  int64_t started_ns_ = 0;
  std::vector<std::string> queue_;
  std::optional<StatusResult> last_;
  std::unique_ptr<Running> running_;

  // Written by the launcher's threads (on_second: collector; on_progress: Run's thread; the
  // job thread after Open), read by the control thread once a second.
  std::mutex mu_;
  StatusJob live_;
  StatusCounters counters_;
  std::vector<std::string> tags_;
};

Daemon::~Daemon() {
  if (running_ && running_->thread.joinable()) {
    running_->launcher->RequestStop(2, "daemon exit");
    running_->thread.join();
  }
  for (int fd : {sig_fd_, inotify_fd_, timer_fd_, done_fd_}) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

absl::Status Daemon::SetUp() {
  // Signals are taken on a signalfd; blocked before any thread starts, so every thread
  // (the launcher's workers, the collector) inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // the launcher's contract: sendfile to a closed peer
  sig_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  done_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (sig_fd_ < 0 || done_fd_ < 0 || timer_fd_ < 0) {
    return absl::InternalError(Cat("signalfd/eventfd/timerfd: ", std::strerror(errno)));
  }
  itimerspec its{};
  its.it_interval.tv_sec = 1;
  its.it_value.tv_sec = 1;
  timerfd_settime(timer_fd_, 0, &its, nullptr);
  watchdog_usec_ = SdWatchdogUsec();
  return OpenSpool();
}

// The spool (its folders made), the runs folder, the working directory and the watch.
absl::Status Daemon::OpenSpool() {
  absl::StatusOr<Spool> spool = Spool::Open(config_.spool);
  if (!spool.ok()) {
    return spool.status();
  }
  spool_ = std::move(*spool);
  if (mkdir(config_.runs.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(Cat("runs folder ", config_.runs, ": ", std::strerror(errno)));
  }
  // Relative paths in a queued plan (ammo.file, TLS files) are relative to the spool.
  if (chdir(config_.spool.c_str()) != 0) {
    return absl::InternalError(Cat("chdir ", config_.spool, ": ", std::strerror(errno)));
  }
  if (!opt_.once) {
    RETURN_IF_ERROR(Watch());
  }
  return absl::OkStatus();
}

// Events are hints: the spool is rescanned after any of them (and on IN_Q_OVERFLOW).
absl::Status Daemon::Watch() {
  if (inotify_fd_ >= 0) {
    close(inotify_fd_);
  }
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0 || inotify_add_watch(inotify_fd_, config_.spool.c_str(),
                                           IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR) < 0) {
    return absl::InternalError(Cat("inotify on ", config_.spool, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void Daemon::Reject(ClaimedJob job, const std::string& label, const absl::Status& why) {
  const std::string name = job.name();
  const std::string text(why.message());
  Log(label, ": rejected: ", text);
  if (absl::Status st = spool_->Reject(std::move(job), text); !st.ok()) {
    Log("cannot move ", name, " to rejected/: ", st.message());
  }
  StatusResult r;
  r.name = name;
  r.outcome = "rejected";
  r.exit = ExitCodeFor(why);
  r.started_unix_ns = r.ended_unix_ns = RealNs();
  r.why = text.substr(0, text.find('\n'));
  last_ = std::move(r);
}

// Claims the oldest queued job that validates and starts it; rejects the ones that do not.
void Daemon::StartNext() {
  if (spool_->TakeStop()) {
    Log("spool/STOP removed (no run to stop)");
  }
  for (const QueuedJob& q : spool_->Scan()) {
    ClaimedJob job;
    absl::StatusOr<bool> claimed = spool_->Claim(q.name, &job);
    if (!claimed.ok()) {
      Log(claimed.status().message());
      continue;
    }
    if (*claimed && Start(std::move(job))) {
      return;
    }
  }
}

bool Daemon::Start(ClaimedJob job) {
  const std::string label = spool_->Path(job.name());
  absl::StatusOr<std::string> text = job.Read();
  if (!text.ok()) {
    Reject(std::move(job), label, text.status());
    return false;
  }
  absl::StatusOr<CheckedJob> checked = CheckJob(*text, label, job.tank(), config_);
  if (!checked.ok()) {
    Reject(std::move(job), label, checked.status());
    return false;
  }
  const int64_t now = RealNs();
  const std::string base = ExpandRunDir(Cat(config_.runs, "/", JobStem(job.name()), "-{time}"),
                                        now / 1'000'000'000, 0, label);
  std::string out_dir = base;
  struct stat st;
  for (int k = 2; lstat(out_dir.c_str(), &st) == 0; ++k) {
    out_dir = Cat(base, "-", k);
  }
  LaunchOptions o;
  o.plan_path = label;
  o.plan_text = std::move(checked->plan_text);
  o.out_dir = out_dir;
  o.allow_external_nibs = checked->external_nib;
  o.target = checked->target;
  o.on_second = [this](const SecondStats& ss) { OnSecond(ss); };
  o.on_progress = [this](const LaunchProgress& p) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.elapsed_ns = p.elapsed_ns;
    if (p.planned_ns > 0) {
      live_.planned_ns = p.planned_ns;
    }
  };
  absl::StatusOr<std::unique_ptr<Launcher>> launcher = Launcher::Prepare(o);
  if (!launcher.ok()) {
    Reject(std::move(job), label, launcher.status());
    return false;
  }
  auto r = std::make_unique<Running>();
  r->job = std::move(job);
  r->label = label;
  r->launcher = std::move(*launcher);
  r->started_ns = now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_ = StatusJob{};
    live_.name = r->job.name();
    live_.started_unix_ns = now;
    live_.planned_ns = PlannedDurationNs(checked->plan);
    tags_.clear();
  }
  run_stopping_ = false;
  Log(label, ": starting into ", out_dir);
  Running* rp = r.get();
  running_ = std::move(r);
  rp->thread = std::thread([this, rp] {
    rp->open_error = rp->launcher->Open();
    if (rp->open_error.ok()) {
      const std::string run_dir = rp->launcher->run_dir();
      RunDirLock lock(run_dir);  // retention of another daemon leaves it alone
      spool_->NoteRunDir(rp->job, run_dir);
      {
        std::lock_guard<std::mutex> guard(mu_);
        live_.run_dir = run_dir;
        if (rp->launcher->planned_ns() > 0) {
          live_.planned_ns = rp->launcher->planned_ns();
        }
        tags_ = rp->launcher->tags();
      }
      rp->launcher->Run();
      rp->result = rp->launcher->Finish();
    }
    const uint64_t one = 1;
    (void)!write(done_fd_, &one, sizeof(one));
  });
  return true;
}

// Collector thread (and Finish's): one finished second of the running job.
void Daemon::OnSecond(const SecondStats& ss) {
  std::lock_guard<std::mutex> lock(mu_);
  const Stats& o = ss.overall;
  live_.planned += ss.planned;
  live_.sent += ss.sent;
  live_.hits += o.hits;
  live_.errors += o.errors;
  StatusSecond& l = live_.last;
  l.second = ss.second;
  l.planned = ss.planned;
  l.sent = ss.sent;
  l.hits = o.hits;
  l.errors = o.errors;
  l.inflight = ss.inflight_max;
  l.p50_us = static_cast<double>(o.latency.ValueAtPercentile(50)) / 1e3;
  l.p90_us = static_cast<double>(o.latency.ValueAtPercentile(90)) / 1e3;
  l.p99_us = static_cast<double>(o.latency.ValueAtPercentile(99)) / 1e3;
  l.lag_p99_us = static_cast<double>(o.lag.ValueAtPercentile(99)) / 1e3;
  auto count = [&](const std::string& tag, const Stats& s) {
    if (s.hits == 0) {
      return;
    }
    counters_.hits[tag] += s.hits;
    for (const auto& [code, n] : s.proto_codes.entries()) {
      if (code >= 400) {
        counters_.errors[{tag, Cat(code)}] += n;
      }
    }
    for (const auto& [code, n] : s.net_codes.entries()) {
      if (code != 0) {
        counters_.errors[{tag, Cat("net_", code)}] += n;
      }
    }
  };
  if (ss.tags.size() <= 1 || tags_.size() <= 1) {
    count("", o);
    return;
  }
  for (size_t t = 0; t < ss.tags.size() && t < tags_.size(); ++t) {
    if (ss.tags[t] != nullptr) {
      count(tags_[t], *ss.tags[t]);
    }
  }
}

void Daemon::JobEnded() {
  uint64_t n = 0;
  (void)!read(done_fd_, &n, sizeof(n));
  std::unique_ptr<Running> r = std::move(running_);
  r->thread.join();
  const std::string name = r->job.name();
  if (!r->open_error.ok()) {
    Reject(std::move(r->job), r->label, r->open_error);
  } else {
    const LaunchResult& res = r->result;
    StatusResult s;
    s.name = name;
    s.outcome = "done";
    s.run_dir = res.run_dir;
    s.exit = res.exit_code;
    s.hits = res.summary.overall.hits;
    s.errors = res.summary.overall.errors;
    if (res.summary.autostop.has_value()) {
      const AutostopVerdict& v = *res.summary.autostop;
      s.autostop = Cat(v.criterion, " at second ", v.second, ": ", v.explain);
    }
    s.started_unix_ns = r->started_ns;
    s.ended_unix_ns = RealNs();
    Log(r->label, ": done: exit ", s.exit, ", ", s.hits, " hits, ", s.errors, " errors, run ",
        s.run_dir, res.error.ok() ? "" : Cat(" (", res.error.message(), ")"));
    if (absl::Status st = spool_->Done(std::move(r->job), ResultJson(s)); !st.ok()) {
      Log("cannot move ", name, " to done/: ", st.message());
    }
    last_ = std::move(s);
  }
  r->launcher.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_ = StatusJob{};
  }
  for (const std::string& gone :
       ApplyRetention(config_.runs, config_.keep_runs, config_.keep_gib)) {
    Log("retention: removed ", gone);
  }
}

void Daemon::Stop(int level, std::string_view reason) {
  if (running_) {
    run_stopping_ = true;
    Log("stopping the run of ", running_->label, " (", reason, level == 2 ? ", at once)" : ")");
    running_->launcher->RequestStop(level, reason);
  }
}

void Daemon::OnSignals() {
  signalfd_siginfo si;
  while (read(sig_fd_, &si, sizeof(si)) == sizeof(si)) {
    if (si.ssi_signo == SIGHUP) {
      Log("SIGHUP: the configuration is read again ", running_ ? "after this run" : "now");
      reload_pending_ = true;
      continue;
    }
    const char* name = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
    ++stop_signals_;
    if (stop_signals_ == 1) {
      Log(name, ": stopping", running_ ? " after a graceful stop of the run" : "");
      stopping_ = true;
      SdNotify("STOPPING=1");
    }
    Stop(stop_signals_ == 1 ? 1 : 2, name);
  }
}

void Daemon::OnInotify() {
  alignas(inotify_event) char buf[8192];
  bool stop = false;
  for (;;) {
    const ssize_t n = read(inotify_fd_, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    for (char* p = buf; p < buf + n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(p);
      if (e->len > 0 && std::strcmp(e->name, kStopFile) == 0) {
        stop = true;
      }
      p += sizeof(inotify_event) + e->len;
    }
  }
  if (stop && running_ && spool_->TakeStop()) {
    Stop(1, "spool/STOP");
  }
}

void Daemon::OnTick() {
  uint64_t n = 0;
  (void)!read(timer_fd_, &n, sizeof(n));
  if (running_) {
    // --once has no inotify watch; and a STOP made before the watch saw it.
    if (spool_->TakeStop()) {
      Stop(1, "spool/STOP");
    }
    int64_t elapsed = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      elapsed = live_.elapsed_ns;
    }
    if (config_.max_duration_ns > 0 && elapsed > config_.max_duration_ns) {
      Stop(1, "[allow] max_duration reached");
    }
  }
  Publish();
}

void Daemon::Reload() {
  reload_pending_ = false;
  absl::StatusOr<DaemonConfig> c = LoadDaemonConfig(opt_.config_path);
  if (!c.ok()) {
    Log("SIGHUP: the new configuration is refused, the old one stays: ", c.status().message());
    return;
  }
  const bool spool_moved = c->spool != config_.spool || c->runs != config_.runs;
  DaemonConfig old = std::move(config_);
  config_ = std::move(*c);
  if (spool_moved) {
    absl::Status st = OpenSpool();
    if (!st.ok()) {
      Log("SIGHUP: the new spool cannot be used, the old configuration stays: ", st.message());
      config_ = std::move(old);
      (void)OpenSpool();
      return;
    }
  }
  Log("SIGHUP: configuration ", config_.path.empty() ? "(defaults)" : config_.path, " loaded");
}

StatusSnapshot Daemon::Snapshot() {
  StatusSnapshot s;
  s.state = running_ ? (run_stopping_ ? "stopping" : "running") : "idle";
  s.pid = getpid();
  s.version = INCARNE_VERSION;
  s.started_unix_ns = started_ns_;
  s.now_unix_ns = RealNs();
  for (const QueuedJob& q : spool_->Scan()) {
    s.queue.push_back(q.name);
  }
  s.last = last_;
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) {
    s.current = live_;
  }
  s.counters = counters_;
  return s;
}

void Daemon::Publish(bool final_state, std::string_view first_note) {
  StatusSnapshot s = Snapshot();
  if (final_state) {
    s.state = "stopped";
  }
  if (!config_.status.empty()) {
    absl::Status st = ReplaceFile(config_.status, StatusJson(s), false);
    if (!st.ok() && !status_failed_) {
      Log("status file: ", st.message());
    }
    status_failed_ = !st.ok();
  }
  if (!config_.metrics.empty()) {
    absl::Status st = ReplaceFile(config_.metrics, StatusMetrics(s), false);
    if (!st.ok() && !metrics_failed_) {
      Log("metrics file: ", st.message());
    }
    metrics_failed_ = !st.ok();
  }
  if (final_state) {
    return;  // after STOPPING=1 nothing more is said to systemd
  }
  std::string note = Cat(first_note, "STATUS=", StatusLine(s));
  if (watchdog_usec_ > 0) {
    note += "\nWATCHDOG=1";
  }
  SdNotify(note);
}

int Daemon::Main() {
  started_ns_ = RealNs();
  if (!opt_.config_path.empty() && opt_.config_path[0] != '/') {
    char buf[PATH_MAX];
    if (realpath(opt_.config_path.c_str(), buf) != nullptr) {
      opt_.config_path = buf;  // SIGHUP reads it again after the chdir into the spool
    }
  }
  absl::StatusOr<DaemonConfig> c = LoadDaemonConfig(opt_.config_path);
  if (!c.ok()) {
    Log(c.status().message());
    return ExitCodeFor(c.status()) == kExitOk ? kExitFailed : ExitCodeFor(c.status());
  }
  config_ = std::move(*c);
  if (absl::Status st = SetUp(); !st.ok()) {
    Log(st.message());
    return ExitCodeFor(st);
  }
  for (const std::string& name : spool_->RecoverInterrupted()) {
    Log(name, ": found in active/ with nobody running it: moved to rejected/ (interrupted)");
  }
  Log("ready: spool ", config_.spool, ", runs ", config_.runs,
      opt_.once ? " (--once)" : " (watching the spool)");
  Publish(false, "READY=1\n");
  for (;;) {
    if (!running_) {
      // Signals first: a SIGHUP or SIGTERM sent before a job was queued is acted on before
      // the spool is scanned for that job.
      OnSignals();
      if (reload_pending_) {
        Reload();
      }
      if (!stopping_) {
        StartNext();
        if (!running_) {
          Publish();  // the rejections and the queue show at once
        }
      }
      if (!running_ && (stopping_ || opt_.once)) {
        break;
      }
    }
    pollfd fds[4] = {{sig_fd_, POLLIN, 0},
                     {done_fd_, POLLIN, 0},
                     {timer_fd_, POLLIN, 0},
                     {inotify_fd_, POLLIN, 0}};
    const int nfds = inotify_fd_ >= 0 ? 4 : 3;
    if (poll(fds, static_cast<nfds_t>(nfds), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      Log("poll: ", std::strerror(errno));
      return kExitFailed;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      OnSignals();
    }
    if ((fds[1].revents & POLLIN) != 0) {
      JobEnded();
      Publish();
    }
    if ((fds[2].revents & POLLIN) != 0) {
      OnTick();
    }
    if (nfds == 4 && (fds[3].revents & POLLIN) != 0) {
      OnInotify();
    }
  }
  if (!stopping_) {
    SdNotify("STOPPING=1");
  }
  Publish(true);
  Log("exiting");
  return kExitOk;
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  Daemon d(options);
  return d.Main();
}

}  // namespace incarne::control
