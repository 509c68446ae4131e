#include "cli/launch_cli.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plan/duration.h"
#include "results/collector.h"
#include "util/status.h"

namespace incarne::cli {
namespace {

// Blocks SIGINT/SIGTERM (from construction, so every thread started later inherits the
// mask) and ignores SIGPIPE; Relay() starts the thread that turns the signals and $GRACEFUL
// into stop requests. The destructor stops that thread and restores the old state.
class StopRelay {
 public:
  StopRelay(FILE* err, std::string graceful_path)
      : err_(err), graceful_path_(std::move(graceful_path)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe_);
  }
  ~StopRelay() {
    done_.store(true, std::memory_order_release);
    if (thread_.joinable()) {
      thread_.join();
    }
    // Pending signals received after the run are dropped, not delivered at unblock.
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
  }
  StopRelay(const StopRelay&) = delete;
  StopRelay& operator=(const StopRelay&) = delete;

  // Signals already pending (e.g. sent while the ammo compiled) are relayed at once.
  // The caller's stop flag (CliLaunchOptions::stop_flag), before Relay.
  void WatchFlag(const std::atomic<bool>* flag, std::string reason) {
    stop_flag_ = flag;
    stop_reason_ = std::move(reason);
  }

  void Relay(Launcher* launcher) {
    thread_ = std::thread([this, launcher] { Loop(launcher); });
  }

 private:
  void Loop(Launcher* launcher) {
    int signals = 0;
    bool graceful_seen = false;
    while (!done_.load(std::memory_order_acquire)) {
      timespec ts{0, 50'000'000};
      int sig = sigtimedwait(&set_, nullptr, &ts);
      bool from_file = false;
      if (sig <= 0 && !graceful_seen && !graceful_path_.empty()) {
        struct stat gst;
        if (stat(graceful_path_.c_str(), &gst) == 0) {
          graceful_seen = true;  // once: the file stays; stopping at once needs a signal
          from_file = signals == 0;
          sig = from_file ? SIGTERM : 0;  // handled exactly as the first SIGTERM
        }
      }
      if (sig <= 0 && signals == 0 && stop_flag_ != nullptr && stop_flag_->load()) {
        ++signals;  // the caller's stop counts as the first signal
        fprintf(err_, "\nincarne: stopping: %s\n", stop_reason_.c_str());
        fflush(err_);
        launcher->RequestStop(1, stop_reason_);
        continue;
      }
      if (sig <= 0) {
        continue;
      }
      ++signals;
      const char* name = from_file ? "$GRACEFUL" : sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (signals == 1) {
        fprintf(err_, "\nincarne: %s: stopping; in-flight hits finish (again to stop now)\n", name);
        launcher->RequestStop(
            1, from_file ? absl::StrCat("$GRACEFUL file ", graceful_path_, " exists") : name);
      } else {
        fprintf(err_, "\nincarne: %s: stopping now\n", name);
        launcher->RequestStop(2, name);
      }
      fflush(err_);
    }
  }

  FILE* err_;
  std::string graceful_path_;
  const std::atomic<bool>* stop_flag_ = nullptr;
  std::string stop_reason_;
  sigset_t set_;
  sigset_t old_;
  struct sigaction old_pipe_ {};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// "1m05s"-style durations rounded to whole seconds, for the live line.
std::string Secs(int64_t ns) {
  return FormatDuration(std::max<int64_t>(0, ns) / 1'000'000'000 * 1'000'000'000);
}

std::string Ms(uint64_t ns) { return absl::StrFormat("%.3f", static_cast<double>(ns) / 1e6); }

// The live line: one per finished second (collector thread), a countdown while waiting for
// the origin (Run's thread); never both at once (the countdown stops at the origin, seconds
// are written 250 ms after they end). docs/results.md "live line" has the fields.
class LiveLine {
 public:
  LiveLine(FILE* err, bool tty) : err_(err), tty_(tty) {}

  // The planned length of firing (after Open; 0 unknown): elapsed / planned, percent, ETA.
  void SetPlanned(int64_t ns) { planned_ns_.store(ns, std::memory_order_relaxed); }

  void Second(const SecondStats& ss) {
    planned_total_ += ss.planned;
    sent_total_ += ss.sent;
    const int64_t elapsed = (ss.second + 1) * 1'000'000'000;
    const int64_t planned = planned_ns_.load(std::memory_order_relaxed);
    std::string line;
    if (planned > 0) {
      const int64_t pct = std::min<int64_t>(100, elapsed * 100 / planned);
      line = absl::StrFormat("[%s / %s %3d%% ETA %s]", Secs(elapsed), Secs(planned), pct,
                             Secs(planned - elapsed));
    } else {
      line = absl::StrFormat("[%5ds]", ss.second + 1);
    }
    const Stats& o = ss.overall;
    absl::StrAppendFormat(
        &line,
        " rps planned %d sent %d done %d | in flight %d | p50 %sms p99 %sms | errors %.2f%% | lag "
        "p99 %sms",
        ss.planned, ss.sent, o.hits, ss.inflight_max, Ms(o.latency.ValueAtPercentile(50)),
        Ms(o.latency.ValueAtPercentile(99)),
        o.hits == 0 ? 0.0 : 100.0 * static_cast<double>(o.errors) / static_cast<double>(o.hits),
        Ms(o.lag.ValueAtPercentile(99)));
    if (planned_total_ > sent_total_) {
      // Due but not fired yet (late) — or, at the end, never fired.
      absl::StrAppend(&line, " | unsent ", planned_total_ - sent_total_);
    }
    if (ss.ring_dropped > 0) {
      absl::StrAppend(&line, " | LOST ", ss.ring_dropped, " records (ring full)");
    }
    if (ss.autostop != nullptr) {
      absl::StrAppend(&line, " | AUTOSTOP ", ss.autostop->criterion, ": stopping");
    }
    Print(line);
  }

  void Progress(const LaunchProgress& p) {
    // Only a real wait counts down (without --start-at the origin is a few ms ahead).
    if (p.elapsed_ns >= 0 || p.stop_level != 0 || (!counting_ && p.elapsed_ns > -1'000'000'000)) {
      return;
    }
    counting_ = true;
    const int64_t left_s = (-p.elapsed_ns + 999'999'999) / 1'000'000'000;
    // Not a terminal (a log file): every 10 s, and each of the last 5.
    if (!tty_ && left_s % 10 != 0 && left_s > 5 && printed_) {
      return;
    }
    Print(absl::StrCat("waiting for the origin: starts in ", Secs(left_s * 1'000'000'000),
                       p.planned_ns > 0 ? absl::StrCat(", then ", Secs(p.planned_ns), " of load")
                                        : std::string()));
  }

  void End() {
    if (tty_ && printed_) {
      std::fputc('\n', err_);
      std::fflush(err_);
    }
  }

 private:
  void Print(std::string line) {
    if (tty_) {
      // Rewritten in place: it must fit, or the terminal wraps it and \r rewrites only the
      // last row.
      winsize ws{};
      if (ioctl(fileno(err_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && line.size() >= ws.ws_col) {
        line.resize(ws.ws_col - 1);
      }
      std::fprintf(err_, "\r%s\033[K", line.c_str());
    } else {
      std::fprintf(err_, "%s\n", line.c_str());
    }
    std::fflush(err_);
    printed_ = true;
  }

  FILE* err_;
  bool tty_;
  std::atomic<int64_t> planned_ns_{0};
  uint64_t planned_total_ = 0;  // collector thread only
  uint64_t sent_total_ = 0;
  bool printed_ = false;
  bool counting_ = false;
};

}  // namespace

absl::StatusOr<LaunchResult> LaunchFromCli(LaunchOptions options, const CliLaunchOptions& cli) {
  std::unique_ptr<Launcher> launcher;
  // Declared after `launcher`, so its thread is joined before the launcher goes.
  StopRelay relay(cli.err, cli.graceful_path);
  auto live = std::make_shared<LiveLine>(cli.err, cli.live_tty);
  if (cli.live) {
    std::function<void(const SecondStats&)> inner = std::move(options.on_second);
    options.on_second = [live, inner](const SecondStats& ss) {
      live->Second(ss);
      if (inner) {
        inner(ss);
      }
    };
    std::function<void(const LaunchProgress&)> inner_progress = std::move(options.on_progress);
    options.on_progress = [live, inner_progress](const LaunchProgress& p) {
      live->Progress(p);
      if (inner_progress) {
        inner_progress(p);
      }
    };
  }
  ASSIGN_OR_RETURN(launcher, Launcher::Prepare(options));
  relay.WatchFlag(cli.stop_flag, cli.stop_reason);
  relay.Relay(launcher.get());
  RETURN_IF_ERROR(launcher->Open());
  live->SetPlanned(launcher->planned_ns());
  fprintf(cli.err, "incarne: run directory %s\n", launcher->run_dir().c_str());
  fflush(cli.err);
  launcher->Run();
  LaunchResult result = launcher->Finish();
  if (cli.live) {
    live->End();
  }
  if (result.summary.planned > result.summary.sent) {
    fprintf(cli.err, "incarne: %llu planned shots were not fired (%s)\n",
            static_cast<unsigned long long>(result.summary.planned - result.summary.sent),
            result.stop_level != 0 ? "stopped" : "the run ended before they were sent");
  }
  if (result.summary.autostop.has_value()) {
    const AutostopVerdict& v = *result.summary.autostop;
    fprintf(cli.err, "incarne: autostop: %s fired at second %lld: %s\n", v.criterion.c_str(),
            static_cast<long long>(v.second), v.explain.c_str());
  }
  if (result.answ_dropped != 0) {
    fprintf(cli.err, "incarne: answ log: %llu entries lost (the answ rings were full)\n",
            static_cast<unsigned long long>(result.answ_dropped));
  }
  if (!result.error.ok()) {
    fprintf(cli.err, "incarne run: %s\n", std::string(result.error.message()).c_str());
  }
  if (cli.out != nullptr) {
    const std::string report = RenderReport(result.summary, false);
    fwrite(report.data(), 1, report.size(), cli.out);
    fflush(cli.out);
  }
  return result;
}

}  // namespace incarne::cli
