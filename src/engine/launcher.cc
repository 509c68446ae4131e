#include "engine/launcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ammo/ammo_compiler.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "ammo/ammo_sessions.h"
#include "ammo/ammo_templates.h"
#include "ammo/scenario_ammo.h"
#include "engine/engine.h"
#include "engine/nib_registry.h"
#include "engine/target.h"
#include "incarne_config.h"
#include "plan/criterion.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "plan/schedule.h"
#include "results/collector.h"
#include "results/html_report.h"
#include "scenario/cookies.h"
#include "scenario/data_file.h"
#include "scenario/rules.h"
#include "scenario/session.h"
#include "util/clock.h"
#include "util/exit_code.h"
#include "util/output_file.h"
#include "util/status.h"

namespace incarne {
namespace {

namespace fs = std::filesystem;

std::string Prefix(const Plan& plan) {
  return plan.source_path.empty() ? std::string() : plan.source_path + ": ";
}

// The wall clock, local time, for log lines.
std::string Stamp(int64_t unix_ns) {
  time_t s = static_cast<time_t>(unix_ns / 1'000'000'000);
  tm t{};
  localtime_r(&s, &t);
  char buf[64];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%03d", t.tm_year + 1900, t.tm_mon + 1,
           t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(unix_ns / 1'000'000 % 1000));
  return buf;
}

// For messages: whole seconds read better than "2d7h33m19s104774529ns".
int64_t WholeSeconds(int64_t ns) { return ns / 1'000'000'000 * 1'000'000'000; }

// incarne.log: one timestamped line per event of the control plane.
class RunLog {
 public:
  ~RunLog() { Close(); }
  void Close() {
    if (f_ != nullptr) {
      fclose(f_);
      f_ = nullptr;
    }
  }
  absl::Status Open(const std::string& path) {
    f_ = fopen(path.c_str(), "we");
    if (f_ == nullptr) {
      return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", strerror(errno)));
    }
    return absl::OkStatus();
  }
  void Line(const std::string& text) {
    if (f_ != nullptr) {
      fprintf(f_, "%s %s\n", Stamp(RealNs()).c_str(), text.c_str());
      fflush(f_);
    }
  }

 private:
  FILE* f_ = nullptr;
};

// The run directory, removed again unless Keep() was called (nothing half-written is left
// when a run fails before its first shot).
class RunDir {
 public:
  ~RunDir() { Discard(); }
  RunDir() = default;
  RunDir(const RunDir&) = delete;
  RunDir& operator=(RunDir&& o) noexcept {
    Discard();
    path_ = std::move(o.path_);
    created_ = std::exchange(o.created_, false);
    keep_ = o.keep_;
    made_parents_ = std::move(o.made_parents_);
    return *this;
  }
  absl::Status Create(const std::string& path) {
    path_ = path;
    std::error_code ec;
    if (fs::exists(path, ec)) {
      if (!fs::is_directory(path, ec)) {
        return absl::FailedPreconditionError(
            absl::StrCat("run directory ", path, ": exists and is not a directory"));
      }
      if (!fs::is_empty(path, ec)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "run directory ", path, ": exists and is not empty (choose another --out)"));
      }
      return absl::OkStatus();  // an empty directory the user prepared: not ours to remove
    }
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      // The parents this creates go again with the run directory (rmdir: only when empty).
      for (fs::path p = parent; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        made_parents_.push_back(p);
        if (p == p.parent_path()) {
          break;
        }
      }
      fs::create_directories(parent, ec);
      if (ec) {
        return absl::UnavailableError(absl::StrCat("run directory ", path, ": cannot create ",
                                                   parent.string(), ": ", ec.message()));
      }
    }
    if (mkdir(path.c_str(), 0755) != 0) {
      return absl::UnavailableError(
          absl::StrCat("run directory ", path, ": cannot create: ", strerror(errno)));
    }
    created_ = true;
    return absl::OkStatus();
  }
  void Keep() { keep_ = true; }
  // Removes the directory now if this object created it and Keep() was not called.
  void Discard() {
    if (created_ && !keep_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
      created_ = false;
      for (const fs::path& p : made_parents_) {
        rmdir(p.c_str());
      }
      made_parents_.clear();
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool created_ = false;
  bool keep_ = false;
  std::vector<fs::path> made_parents_;  // deepest first
};

// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8: the target runs on this machine.
bool IsLoopback(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
      return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

// Result-ring records per worker when LaunchOptions::ring_capacity is 0. The ring only has
// to hold the raw records a worker completes while the collector is not draining (it drains
// every few ms; a slow disk under the hits file can hold it for seconds) — the stats do not
// go through it (workers aggregate their seconds). The instances model waits for room rather
// than lose a record, so one collector pass is enough: kMinRing. The rps model knows its peak
// rate: kRingHeadroomS seconds of it per worker, plus the instances (a stalled server can
// answer all of them at once) and a `once` burst, rounded up to a power of two between
// kMinRing and kMaxRing. stpd has no rate bound: kMaxRing. Pages are allocated up front
// (result_ring.cc), so this is also the rings' share of the RSS.
constexpr double kRingHeadroomS = 4.0;
constexpr uint64_t kMinRing = uint64_t{1} << 14;  // 1 MiB of records
constexpr uint64_t kMaxRing = uint64_t{1} << 18;  // 16 MiB of records

// CPUs this process may run on, in order (respects taskset and cgroup cpusets).
std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) {
        cpus.push_back(c);
      }
    }
  }
  if (cpus.empty()) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < std::max(1L, n); ++c) {
      cpus.push_back(static_cast<int>(c));
    }
  }
  return cpus;
}

struct AmmoCtx {
  const AmmoFile* file;
};

void AmmoGet(const void* ctx, uint64_t r, incarne_nib_request* out) {
  const AmmoFile* f = static_cast<const AmmoCtx*>(ctx)->file;
  std::span<const uint8_t> bytes = f->Request(r);
  out->data = bytes.data();
  out->len = static_cast<uint32_t>(bytes.size());
  out->tag = f->Tag(r);
  out->flags = f->Flags(r);
}

uint64_t AmmoOffset(const void* ctx, uint64_t r) {
  return static_cast<const AmmoCtx*>(ctx)->file->FileOffset(r);
}

int64_t ScheduleTime(const void* ctx, uint64_t i) {
  return static_cast<const Schedule*>(ctx)->ShotNs(i);
}

void ScheduleTimes(const void* ctx, uint64_t first, uint64_t stride, size_t n, int64_t* out) {
  static_cast<const Schedule*>(ctx)->ShotsNs(first, stride, n, out);
}

int64_t StpdTime(const void* ctx, uint64_t i) {
  return static_cast<const AmmoCtx*>(ctx)->file->PlannedNs(i);
}

// Of the global shots [0, c), how many belong to shard K of N.
uint64_t ShardShare(uint64_t c, uint32_t shard, uint32_t shards) {
  return c > shard ? (c - shard - 1) / shards + 1 : 0;
}

}  // namespace

// One socket per connection, plus closes still waiting for the server's FIN and the run's own
// files: raises RLIMIT_NOFILE (the soft limit, and the hard one when allowed, as root) to
// cover `conns`, so that a run of 10k connections does not fail on a 1024 default (docs/
// engine.md "Many connections"). Returns a line for incarne.log saying what it did, a
// warning when the limit stays short, or "" when nothing was needed. Control thread.
static std::string RaiseFdLimit(uint64_t conns) {
  const rlim_t need = static_cast<rlim_t>(conns) + 1024;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) {
    return "";
  }
  rlimit want{need, std::max(rl.rlim_max, need)};
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
    want = rlimit{std::min(need, rl.rlim_max), rl.rlim_max};
    setrlimit(RLIMIT_NOFILE, &want);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur >= need) {
    return absl::StrCat("open files: RLIMIT_NOFILE raised to ", rl.rlim_cur, " for ", conns,
                        " connections");
  }
  return absl::StrCat("warning: open files: ", conns, " connections need ", need,
                      ", RLIMIT_NOFILE stays at ", rl.rlim_cur, " (hard limit ", rl.rlim_max,
                      "): connections beyond it fail with EMFILE (net_code 24); raise the hard "
                      "limit (ulimit -Hn, systemd LimitNOFILE=)");
}

// The highest rate (shots/s) of an rps schedule's steps, and its largest `once` burst.
static void PeakRate(const Schedule& schedule, double* peak, double* burst) {
  *peak = 0;
  *burst = 0;
  for (const ScheduleStep& st : schedule.steps()) {
    switch (st.kind) {
      case ScheduleStep::Kind::kConst:
        *peak = std::max(*peak, st.a);
        break;
      case ScheduleStep::Kind::kLine:
      case ScheduleStep::Kind::kStep:
        *peak = std::max({*peak, st.a, st.b});
        break;
      case ScheduleStep::Kind::kOnce:
        *burst = std::max(*burst, st.a);
        break;
      case ScheduleStep::Kind::kPause:
        break;
    }
  }
}

// workers.threads = 0 in the rps model: no more workers than keep ≥ kPacedShotsPerQuantum
// shots per pacing quantum each (docs/engine.md "Workers"). Shots are dealt round-robin, so n
// workers each fire every n/rate: at 5,000/s two workers fire 400 µs apart each — above a
// 250 µs quantum, one wake-up per shot — where one worker batches (measured 2026-12-07: 16.0
// against 24.0 µs of client CPU per hit); at 20,000/s one worker cost 0.57–0.63× h2load's
// CPU per hit against 0.79–0.93× for two, at 50,000/s two 0.54–0.60× against one's 0.65–0.70×
// (with lag p99 up to 12 ms: one worker is short of CPU there). Returns `cpus` when the rule
// does not apply (quantum 0, other models).
constexpr double kPacedShotsPerQuantum = 5;

// The shots per second one worker takes under that rule.
static double PacedRatePerWorker(int64_t pacing_ns) {
  return kPacedShotsPerQuantum * 1e9 / static_cast<double>(pacing_ns);
}

static uint32_t PacedWorkers(LoadModel model, const Schedule& schedule, int64_t pacing_ns,
                             uint32_t cpus) {
  if (model != LoadModel::kRps || pacing_ns <= 0 || cpus <= 1) {
    return cpus;
  }
  double peak = 0;
  double burst = 0;
  PeakRate(schedule, &peak, &burst);
  const double need = std::ceil(peak / PacedRatePerWorker(pacing_ns));
  return need >= cpus ? cpus : static_cast<uint32_t>(std::max(1.0, need));
}

uint64_t AutoRingCapacity(LoadModel model, const Schedule& schedule, uint64_t instances,
                          uint32_t workers) {
  if (model == LoadModel::kInstances) {
    return kMinRing;
  }
  if (model != LoadModel::kRps || workers == 0) {
    return kMaxRing;
  }
  double peak = 0;
  double burst = 0;
  PeakRate(schedule, &peak, &burst);
  const double need = (peak * kRingHeadroomS + burst + static_cast<double>(instances)) / workers;
  if (!(need < static_cast<double>(kMaxRing))) {
    return kMaxRing;
  }
  uint64_t cap = kMinRing;
  while (static_cast<double>(cap) < need) {
    cap <<= 1;
  }
  return cap;
}

std::string ExpandRunDir(const std::string& tmpl, int64_t unix_s, uint32_t shard,
                         const std::string& plan_path) {
  time_t s = static_cast<time_t>(unix_s);
  tm t{};
  localtime_r(&s, &t);
  char tbuf[32];
  snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02d_%02d-%02d-%02d", t.tm_year + 1900, t.tm_mon + 1,
           t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
  std::string name = fs::path(plan_path).stem().string();
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl.compare(i, 6, "{time}") == 0) {
      out += tbuf;
      i += 6;
    } else if (tmpl.compare(i, 7, "{shard}") == 0) {
      out += std::to_string(shard);
      i += 7;
    } else if (tmpl.compare(i, 6, "{name}") == 0) {
      out += name;
      i += 6;
    } else {
      out += tmpl[i++];
    }
  }
  return out;
}

// ---------------------------------------------------------------- the launcher's state

class Launcher::Impl {
 public:
  explicit Impl(const LaunchOptions& options) : opt_(options) {}
  ~Impl() {
    // Workers first (released if still at the gate, then told to stop now), then the
    // collector that drains their rings, then the rings themselves.
    if (engine_ != nullptr) {
      engine_->RequestStop(2);
      engine_->Go();
      engine_->Join();
    }
    collector_.reset();
    engine_.reset();
    if (wake_fd_ >= 0) {
      close(wake_fd_);
    }
  }

  absl::Status Prepare();
  absl::Status Open();
  void Run();
  LaunchResult Finish();
  void RequestStop(int level, std::string_view reason);

  const std::string& run_dir() const { return run_dir_.path(); }
  int64_t origin_real() const { return origin_real_; }
  int64_t planned_ns() const { return planned_ns_; }
  std::vector<std::string> tags() const { return tags_; }

 private:
  absl::Status LoadPlan();
  absl::Status CheckNibAndAmmo();
  absl::Status ResolveTarget();
  absl::Status CreateRunDir();
  absl::Status OpenAmmo();
  absl::Status CompileRules();
  absl::Status LoadTemplates();
  absl::StatusOr<std::shared_ptr<scenario::SessionTable>> LoadSessions();
  absl::Status SourceSessionsError(const absl::Status& stored) const;
  void WireShots();
  absl::Status StartEngine();
  absl::Status StartCollector();
  void ApplyStops();
  void LogTotals();

  LaunchOptions opt_;
  Plan plan_;
  std::string where_;  // "plan.toml: " for messages
  LoadModel model_ = LoadModel::kRps;
  Schedule schedule_;
  std::optional<OpenedNib> opened_nib_;
  const incarne_nib* nib_ = nullptr;
  bool has_ammo_ = false;
  std::unique_ptr<EngineShared> shared_ = std::make_unique<EngineShared>();
  std::string host_;
  std::string target_text_ = "(no network)";
  std::vector<int> cpus_;
  std::vector<Criterion> autostop_;  // [autostop] criteria, parsed in Prepare
  uint32_t workers_ = 1;
  std::unique_ptr<NibInstance> nib_instance_;

  RunDir run_dir_;
  RunLog log_;
  std::optional<AmmoFile> ammo_;
  // Records the compiler saw a session mark for (a jsonline "scenario", a phantom/uri/uripost
  // marker): without any, LoadSessions does not read the source again (for an ammo file
  // without a sessions section only).
  uint64_t session_marks_ = 0;
  std::string sessions_from_;  // where LoadSessions found the sessions, for incarne.log
  AmmoCtx ammo_ctx_{nullptr};
  std::unique_ptr<scenario::RuleSet> rules_;  // [[rules]] against the ammo's tags, or null
  // The run's tag table: the ammo's, then the session tags (docs/scenario.md "Multi-step
  // sessions"); what the workers, the collector and the reports index.
  std::vector<std::string> tags_{""};
  uint64_t hit_cap_ = UINT64_MAX;
  int64_t planned_ns_ = 0;
  bool pin_ = false;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Collector> collector_;
  int64_t origin_mono_ = 0;
  int64_t origin_real_ = 0;

  // Stop requests: any thread writes the level and its reason, then wakes Run through the
  // eventfd; Run (or Finish) applies them to the engine and logs them on its own thread.
  std::mutex stop_mu_;
  int stop_asked_ = 0;                                     // guarded by stop_mu_
  std::vector<std::pair<int, std::string>> stop_reasons_;  // guarded by stop_mu_
  int stop_applied_ = 0;                                   // Run's thread only
  int wake_fd_ = -1;
  std::string fd_limit_line_;  // RaiseFdLimit's line for incarne.log ("" = none)
  std::string workers_line_;   // PacedWorkers chose fewer workers than CPUs ("" = no)
};

// ---------------------------------------------------------------- Prepare

absl::Status Launcher::Impl::LoadPlan() {
  ASSIGN_OR_RETURN(plan_, opt_.plan_text.has_value()
                              ? LoadPlanText(*opt_.plan_text, opt_.plan_path, opt_.overrides)
                              : LoadPlanFile(opt_.plan_path, opt_.overrides));
  where_ = Prefix(plan_);
  if (opt_.shards == 0 || opt_.shard >= opt_.shards) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard ", opt_.shard, "/", opt_.shards, ": expected K/N with K < N"));
  }
  if (opt_.has_start_at) {
    const int64_t now = RealNs();
    if (opt_.start_at_unix_ns < now - kStartAtSlackNs) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--start-at ", Stamp(opt_.start_at_unix_ns), " is ",
          FormatDuration(WholeSeconds(now - opt_.start_at_unix_ns)), " in the past (now ",
          Stamp(now), "); at most ", FormatDuration(kStartAtSlackNs), " back is taken"));
    }
    if (opt_.start_at_unix_ns > now + kStartAtAheadNs) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--start-at ", Stamp(opt_.start_at_unix_ns), " is ",
          FormatDuration(WholeSeconds(opt_.start_at_unix_ns - now)), " ahead (now ", Stamp(now),
          "); at most ", FormatDuration(kStartAtAheadNs), " ahead is taken"));
    }
  }
  for (size_t i = 0; i < plan_.autostop.criteria.size(); ++i) {
    // The loader checked them; parsed again here into what the collector evaluates.
    absl::StatusOr<Criterion> c = ParseCriterion(plan_.autostop.criteria[i], true);
    if (!c.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where_, "autostop.criteria[", i, "]: ", c.status().message()));
    }
    autostop_.push_back(std::move(*c));
  }
  model_ = plan_.load.model;
  // usl / find-max never get here: the plan loader refuses them until the capacity finder
  // exists (docs/plan.md).
  if (model_ == LoadModel::kRps || model_ == LoadModel::kInstances) {
    absl::StatusOr<Schedule> parsed = Schedule::Parse(plan_.load.schedule, model_);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where_, "load.schedule: ", parsed.status().message()));
    }
    schedule_ = std::move(*parsed);
  }
  return absl::OkStatus();
}

absl::Status Launcher::Impl::CheckNibAndAmmo() {
  // An external nib's library stays loaded as long as the launcher (NibInstance keeps it too).
  absl::StatusOr<OpenedNib> found = OpenNib(plan_.target.nib, opt_.allow_external_nibs);
  if (!found.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where_, found.status().message()));
  }
  opened_nib_.emplace(std::move(*found));
  nib_ = opened_nib_->nib;
  has_ammo_ = !plan_.ammo.file.empty() || !plan_.ammo.uris.empty();
  if (!has_ammo_ &&
      ((nib_->capabilities & INCARNE_NIB_CAP_AMMO_OPTIONAL) == 0 || model_ == LoadModel::kStpd)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where_, model_ == LoadModel::kStpd ? "load.model = \"stpd\"" : "nib " + plan_.target.nib,
        " needs ammo: set ammo.file or ammo.uris"));
  }
  if (!plan_.ammo.file.empty() && !opt_.ammo_text.has_value()) {  // ammo_text: written later
    struct stat st {};
    if (stat(plan_.ammo.file.c_str(), &st) != 0) {
      return absl::NotFoundError(
          absl::StrCat(where_, "ammo.file: ", plan_.ammo.file, ": ", strerror(errno)));
    }
    if (!S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where_, "ammo.file: ", plan_.ammo.file, ": expected a regular file"));
    }
  }
  return absl::OkStatus();
}

absl::Status Launcher::Impl::ResolveTarget() {
  if (nib_->transport == INCARNE_NIB_TRANSPORT_NONE) {
    return absl::OkStatus();
  }
  absl::StatusOr<HostPort> hp = ParseHostPort(plan_.target.address);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_, "target.address: ", hp.status().message()));
  }
  host_ = hp->host;
  absl::StatusOr<ResolvedAddress> res =
      opt_.target.has_value()
          ? *opt_.target
          : Resolve(*hp, plan_.target.family,
                    nib_->transport == INCARNE_NIB_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM);
  if (!res.ok()) {
    return absl::Status(res.status().code(),
                        absl::StrCat(where_, "target.address: ", res.status().message()));
  }
  shared_->target = res->addr;
  shared_->target_len = res->len;
  target_text_ = res->text;
  absl::StatusOr<std::vector<sockaddr_storage>> sources = ParseSourceIps(plan_.target.source_ips);
  if (!sources.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where_, sources.status().message()));
  }
  shared_->source_ips = std::move(*sources);
  return absl::OkStatus();
}

absl::Status Launcher::Impl::Prepare() {
  RETURN_IF_ERROR(LoadPlan());
  RETURN_IF_ERROR(CheckNibAndAmmo());
  RETURN_IF_ERROR(ResolveTarget());
  // Workers: one per allowed core unless workers.threads says otherwise; never more than
  // there are instances to give them (each needs at least one slot), and at most 256 (the
  // record's worker field is a u8).
  cpus_ = AllowedCpus();
  uint32_t workers = plan_.workers.threads;
  if (workers == 0) {
    const auto cpus = static_cast<uint32_t>(cpus_.size());
    workers = PacedWorkers(model_, schedule_, plan_.load.pacing_ns, cpus);
    if (workers < cpus) {
      workers_line_ = absl::StrCat(
          "workers: ", workers, " of ", cpus, " CPUs (workers.threads = 0: a worker per ",
          static_cast<uint64_t>(PacedRatePerWorker(plan_.load.pacing_ns)),
          " shots/s of the peak rate, ", kPacedShotsPerQuantum, " per pacing quantum each)");
    }
  }
  const uint64_t cap_by = model_ == LoadModel::kInstances
                              ? ShardShare(schedule_.shots(), opt_.shard, opt_.shards)
                              : plan_.load.instances;
  workers_ =
      static_cast<uint32_t>(std::clamp<uint64_t>(std::min<uint64_t>(workers, cap_by), 1, 256));
  if (nib_->transport != INCARNE_NIB_TRANSPORT_NONE) {
    fd_limit_line_ = RaiseFdLimit(cap_by);  // a connection per instance (slot)
  }
  ASSIGN_OR_RETURN(nib_instance_, NibInstance::Create(*opened_nib_, plan_, host_, workers_));
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Open

absl::Status Launcher::Impl::CreateRunDir() {
  const int64_t prep_real = RealNs();
  std::string dir =
      opt_.out_dir.empty()
          ? ExpandRunDir(plan_.results.dir, prep_real / 1'000'000'000, opt_.shard, opt_.plan_path)
          : opt_.out_dir;
  absl::Status st = run_dir_.Create(dir);
  if (!st.ok() && opt_.out_dir.empty() && plan_.results.dir.find("{time}") != std::string::npos &&
      st.code() == absl::StatusCode::kFailedPrecondition) {
    // Two runs in the same second: number the second one.
    for (int n = 2; n < 100 && !st.ok(); ++n) {
      run_dir_ = RunDir();
      st = run_dir_.Create(absl::StrCat(dir, ".", n));
    }
  }
  RETURN_IF_ERROR(st);
  dir = run_dir_.path();
  RETURN_IF_ERROR(log_.Open(dir + "/incarne.log"));
  log_.Line(absl::StrCat(
      "incarne ", INCARNE_VERSION, " run ", opt_.plan_path,
      opt_.shards > 1 ? absl::StrCat(" shard ", opt_.shard, "/", opt_.shards) : std::string()));
  if (opt_.ammo_text.has_value()) {
    ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> a, OutputFile::Open(dir + "/ammo.txt"));
    RETURN_IF_ERROR(a->Write(*opt_.ammo_text));
    RETURN_IF_ERROR(a->Commit());
    plan_.ammo.file = dir + "/ammo.txt";
    if (dir.front() != '/') {
      char cwd[PATH_MAX];
      if (getcwd(cwd, sizeof cwd) != nullptr) {
        plan_.ammo.file = absl::StrCat(cwd, "/", plan_.ammo.file);
      }
    }
  }
  // Written whole or not at all (temp + fsync + rename): Taurus and `report` read it.
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> f, OutputFile::Open(dir + "/plan.toml"));
  RETURN_IF_ERROR(f->Write(FormatPlanToml(plan_)));
  return f->Commit();
}

absl::Status Launcher::Impl::OpenAmmo() {
  if (!has_ammo_) {
    return absl::OkStatus();
  }
  std::string ammo_path;
  bool direct = false;
  if (!plan_.ammo.file.empty() && plan_.ammo.chosen_cases.empty() &&
      (plan_.ammo.format == AmmoFormat::kAmmo || plan_.ammo.format == AmmoFormat::kAuto)) {
    absl::StatusOr<AmmoFormat> f = DetectAmmoFileFormat(plan_.ammo.file);
    direct = f.ok() && *f == AmmoFormat::kAmmo;
  }
  if (direct) {
    ammo_path = plan_.ammo.file;
    log_.Line(absl::StrCat("ammo: ", ammo_path, " (compiled, used as it is)"));
  } else {
    ammo_path = run_dir_.path() + "/ammo.ammo";
    const int64_t t0 = MonoNs();
    absl::StatusOr<AmmoCompileStats> cs =
        CompileAmmo(AmmoCompileOptions::FromPlan(plan_.ammo), ammo_path);
    if (!cs.ok()) {
      return absl::Status(cs.status().code(),
                          absl::StrCat(where_, "ammo: ", cs.status().message()));
    }
    session_marks_ = cs->session_marks;
    log_.Line(absl::StrCat("ammo: compiled ", cs->records, " records (", cs->format, ", ",
                           cs->bytes, " bytes, ", cs->tags, " tags) into ammo.ammo in ",
                           (MonoNs() - t0) / 1'000'000, " ms"));
    // The compiler's warnings, as `incarne ammo compile` prints them (docs/ammo.md).
    if (cs->times_backwards != 0) {
      log_.Line(absl::StrCat("warning: ammo: ", cs->times_backwards,
                             " stpd records planned earlier than a record before them (first: ",
                             cs->first_backwards, ")"));
    }
    if (cs->no_host != 0) {
      log_.Line(absl::StrCat("warning: ammo: ", cs->no_host,
                             " HTTP/1.1 requests without a Host header (first: ", cs->first_no_host,
                             ")"));
    }
  }
  ASSIGN_OR_RETURN(AmmoFile opened, AmmoFile::Open(ammo_path));
  ammo_.emplace(std::move(opened));
  ammo_ctx_.file = &*ammo_;
  tags_ = ammo_->tags();
  if (ammo_->count() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where_, "ammo: no records"));
  }
  if (model_ == LoadModel::kStpd && !ammo_->has_times()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where_, "load.model = \"stpd\" needs stpd ammo (planned times); ", ammo_path, " has none"));
  }
  shared_->requests.count = ammo_->count();
  shared_->requests.get = &AmmoGet;
  shared_->requests.ctx = &ammo_ctx_;
  shared_->requests.fd = ammo_->fd();
  shared_->requests.file_offset = &AmmoOffset;
  return absl::OkStatus();
}

// Multi-step sessions (docs/scenario.md): from [[scenario.steps]], or from the scenario fields
// of jsonline ammo or the session markers of phantom/uri/uripost ammo — stored in the ammo
// file's sessions section by the compiler (whether the plan named the source or the compiled
// file), or re-read from the source for an ammo file without that section (compiled by an
// older incarne); null when the run has none. The session tags are appended to tags_;
// sessions_from_ says where the marks came from (incarne.log).
absl::StatusOr<std::shared_ptr<scenario::SessionTable>> Launcher::Impl::LoadSessions() {
  if (!ammo_) {
    if (!plan_.scenario.steps.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where_, plan_.scenario.steps[0].where,
                                                     ": scenario.steps: a session needs ammo"));
    }
    return nullptr;
  }
  if (!plan_.scenario.steps.empty()) {
    std::vector<uint16_t> record_tags(ammo_->count());
    for (uint64_t r = 0; r < ammo_->count(); ++r) {
      record_tags[r] = ammo_->Tag(r);
    }
    ASSIGN_OR_RETURN(scenario::SessionTable t,
                     scenario::SessionsFromSteps(plan_.scenario.steps, plan_.scenario.name,
                                                 record_tags, &tags_));
    sessions_from_ = "[[scenario.steps]]";
    return std::make_shared<scenario::SessionTable>(std::move(t));
  }
  std::vector<scenario::StepMark> marks;
  if (ammo_->has_sessions()) {
    marks = StoredSessionMarks(*ammo_, plan_.ammo.limit);
    sessions_from_ = "marks read from the ammo file";
  } else {
    if (plan_.ammo.file.empty()) {
      return nullptr;
    }
    AmmoFormat format = plan_.ammo.format;
    if (format == AmmoFormat::kAuto) {
      absl::StatusOr<AmmoFormat> f = DetectAmmoFileFormat(plan_.ammo.file);
      format = f.ok() ? *f : AmmoFormat::kAuto;
    }
    if (format == AmmoFormat::kAmmo) {
      log_.Line(
          "ammo: no sessions section (compiled by an older incarne): multi-step sessions "
          "written in its source are not known; compile it again to have them");
      return nullptr;
    }
    if (session_marks_ == 0 || (format != AmmoFormat::kJsonLine && format != AmmoFormat::kPhantom &&
                                format != AmmoFormat::kUri && format != AmmoFormat::kUriPost)) {
      return nullptr;
    }
    absl::StatusOr<std::vector<scenario::StepMark>> read =
        ReadScenarioMarksFile(plan_.ammo.file, format, plan_.ammo.limit);
    if (!read.ok()) {
      return absl::Status(read.status().code(),
                          absl::StrCat(where_, "ammo: ", read.status().message()));
    }
    marks = std::move(*read);
    sessions_from_ = "marks re-read from the source: the ammo file has no sessions section";
  }
  if (marks.empty()) {
    return nullptr;
  }
  if (!plan_.ammo.chosen_cases.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_,
                     "ammo.chosen_cases: not available with multi-step sessions in the ammo (a "
                     "session's steps would be dropped); use [[scenario.steps]] to pick tags"));
  }
  const uint64_t records =
      plan_.ammo.limit != 0 ? std::min(plan_.ammo.limit, ammo_->count()) : ammo_->count();
  if (marks.size() != records) {
    return absl::InternalError(
        absl::StrCat(where_, "ammo: ", marks.size(), " session marks read, ", records, " records"));
  }
  absl::StatusOr<scenario::SessionTable> t = scenario::SessionsFromMarks(marks, &tags_);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_, "ammo: ", SourceSessionsError(t.status()).message()));
  }
  return std::make_shared<scenario::SessionTable>(std::move(*t));
}

// The stored marks name records ("run/ammo.ammo: record R"); when the plan named the source,
// the user's position is its line and offset: the same check over the source's marks (read
// only on this error path) gives it. `stored` itself when the plan named a compiled file or
// the source does not repeat the error.
absl::Status Launcher::Impl::SourceSessionsError(const absl::Status& stored) const {
  if (!ammo_->has_sessions() || plan_.ammo.file.empty()) {
    return stored;
  }
  AmmoFormat format = plan_.ammo.format;
  if (format == AmmoFormat::kAuto) {
    absl::StatusOr<AmmoFormat> f = DetectAmmoFileFormat(plan_.ammo.file);
    format = f.ok() ? *f : AmmoFormat::kAuto;
  }
  if (format != AmmoFormat::kJsonLine && format != AmmoFormat::kPhantom &&
      format != AmmoFormat::kUri && format != AmmoFormat::kUriPost) {
    return stored;
  }
  absl::StatusOr<std::vector<scenario::StepMark>> marks =
      ReadScenarioMarksFile(plan_.ammo.file, format, plan_.ammo.limit);
  if (!marks.ok()) {
    return stored;
  }
  std::vector<std::string> tags = tags_;
  absl::StatusOr<scenario::SessionTable> t = scenario::SessionsFromMarks(*marks, &tags);
  return t.ok() ? stored : t.status();
}

// [[rules]] resolved against the ammo's tag table once (docs/scenario.md): the workers look a
// hit's tag up in a flat table. Rules that match no tag are worth a warning (a typo). The
// rest of the scenario machinery (sessions, data file, cookies) rides on the same RuleSet.
absl::Status Launcher::Impl::CompileRules() {
  ASSIGN_OR_RETURN(std::shared_ptr<scenario::SessionTable> sessions, LoadSessions());
  std::shared_ptr<scenario::DataTable> data;
  if (!plan_.scenario.data_file.empty()) {
    absl::StatusOr<scenario::DataTable> d =
        scenario::ReadDataCsv(plan_.scenario.data_file, plan_.scenario.max_value);
    if (!d.ok()) {
      return absl::Status(
          d.status().code(),
          absl::StrCat(plan_.scenario.data_where, ": scenario.data.file: ", d.status().message()));
    }
    data = std::make_shared<scenario::DataTable>(std::move(*d));
  }
  if (plan_.rules.empty() && sessions == nullptr && data == nullptr && !plan_.scenario.cookies) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<scenario::RuleSet>> compiled =
      scenario::RuleSet::Compile(plan_.rules, plan_.scenario, tags_,
                                 data != nullptr ? data->columns : std::vector<std::string>{});
  if (!compiled.ok()) {
    return compiled.status();
  }
  rules_ = std::move(*compiled);
  rules_->SetSessions(sessions);
  rules_->SetData(data);
  rules_->set_max_request(ammo_ ? ammo_->max_length() : 0);
  shared_->rules = rules_.get();
  const std::vector<std::string>& tags = tags_;
  log_.Line(absl::StrCat("rules: ", plan_.rules.size(), " rules touch ", rules_->tags_touched(),
                         " of ", tags.size(), " tags; reply bytes kept per hit for them: ",
                         rules_->scan_bytes(), "; variables: ", rules_->var_names().size()));
  if (sessions != nullptr) {
    uint32_t longest = 0;
    for (size_t i = 0; i < sessions->count(); ++i) {
      longest = std::max(longest, sessions->Steps(i));
    }
    log_.Line(absl::StrCat("sessions: ", sessions->count(), " of up to ", longest, " steps (",
                           sessions_from_,
                           "); on_fail = ", plan_.scenario.on_fail_stop ? "stop" : "continue"));
  }
  if (data != nullptr) {
    log_.Line(absl::StrCat(
        "data: ", plan_.scenario.data_file, ": ", data->rows(), " rows of ", data->columns.size(),
        " columns, rows = ", plan_.scenario.data_round_robin ? "round_robin" : "instance"));
  }
  if (plan_.scenario.cookies) {
    log_.Line(absl::StrCat("cookies: a jar of ", scenario::kJarCookies, " cookies per instance"));
  }
  if (ammo_ && !rules_->var_names().empty()) {
    RETURN_IF_ERROR(LoadTemplates());
  }
  for (size_t i : rules_->UnusedRules()) {
    log_.Line(absl::StrCat("warning: rules: the rule at ", plan_.rules[i].where,
                           " matches no tag of the ammo (tag = \"", plan_.rules[i].tag, "\")"));
  }
  return absl::OkStatus();
}

// Templates read variables (docs/scenario.md "Templates in ammo"): the split `incarne ammo
// compile` stored in the ammo file, its names resolved to the plan's variables; an ammo file
// of an older incarne (no templates section) has its records looked at once for "${".
absl::Status Launcher::Impl::LoadTemplates() {
  const AmmoFile& ammo = *ammo_;
  std::string from;
  absl::Status st;
  if (ammo.has_template_split()) {
    absl::StatusOr<std::vector<std::pair<uint64_t, scenario::Template>>> stored =
        StoredTemplates(ammo, rules_->var_names());
    st = stored.status();
    if (st.ok()) {
      rules_->SetTemplates(ammo.count(), std::move(*stored),
                           [&ammo](uint64_t r) { return ammo.Request(r).size(); });
    }
    from = "split read from the ammo file";
  } else {
    const AmmoCtx* ctx = &ammo_ctx_;
    st = rules_->CompileTemplates(ammo.count(), [ctx](uint64_t r) {
      incarne_nib_request req{};
      AmmoGet(ctx, r, &req);
      return std::string_view(static_cast<const char*>(req.data), req.len);
    });
    from = "split at run start: the ammo file has no templates section";
  }
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where_, "ammo: ", st.message()));
  }
  if (rules_->templated_records() != 0) {
    log_.Line(absl::StrCat("templates: ", rules_->templated_records(), " of ", ammo.count(),
                           " records (", from, "); assembled into ", rules_->template_cap(),
                           " bytes per slot"));
  }
  return absl::OkStatus();
}

// Shots, caps and the end.
void Launcher::Impl::WireShots() {
  EngineShared* sh = shared_.get();
  const uint64_t records = ammo_ ? ammo_->count() : 0;
  if (model_ == LoadModel::kStpd) {
    sh->shots = ShotSource{ShotSource::Model::kRps, &StpdTime, &ammo_ctx_, records};
  } else {
    sh->shots = ShotSource{
        model_ == LoadModel::kInstances ? ShotSource::Model::kInstances : ShotSource::Model::kRps,
        &ScheduleTime, &schedule_, schedule_.shots(), &ScheduleTimes};
  }
  hit_cap_ = plan_.ammo.limit != 0 ? plan_.ammo.limit : UINT64_MAX;
  if (plan_.ammo.loop != 0 && records != 0) {
    const uint64_t pass =
        plan_.ammo.loop > UINT64_MAX / records ? UINT64_MAX : plan_.ammo.loop * records;
    if (plan_.ammo.shared) {
      hit_cap_ = std::min(hit_cap_, pass);
    } else {
      sh->loop_records_per_worker = pass;
    }
  }
  sh->hit_cap = hit_cap_;
  sh->ammo_shared = plan_.ammo.shared;
  if (model_ == LoadModel::kStpd) {
    planned_ns_ = records != 0 ? ammo_->PlannedNs(records - 1) : 0;
  } else {
    planned_ns_ = schedule_.duration_ns();
  }
  // The end (docs/engine.md "The end"): every shot planned before the end is fired, late ones
  // too, as phantom reads its stpd to the end. load.duration is a hard stop (late shots not
  // fired after it) only where it cuts the plan: always for instances (a time-bound model),
  // for rps/stpd when shots are planned at or after it. A duration equal to the schedule's
  // length (what Taurus writes for ramp-up + hold-for) cuts nothing and keeps the late shots.
  if (plan_.load.duration_ns != 0) {
    sh->stop_ns = plan_.load.duration_ns;
    sh->hard_stop = model_ == LoadModel::kInstances || plan_.load.duration_ns <= planned_ns_;
    if (model_ == LoadModel::kRps && plan_.load.duration_ns == planned_ns_) {
      // A schedule's length is the time of no shot (its shots lie in [0, length)).
      sh->hard_stop = false;
    }
  } else if (model_ != LoadModel::kStpd) {
    sh->stop_ns = schedule_.duration_ns();
  }
  if (plan_.load.duration_ns != 0) {
    planned_ns_ = std::min(planned_ns_ == 0 ? INT64_MAX : planned_ns_, plan_.load.duration_ns);
  }
  sh->overload_drop = plan_.load.overload == Overload::kDrop;
  sh->pacing_ns = plan_.load.pacing_ns;
  // stpd: phantom's instances take the next record when free and wait for its time.
  sh->take_ahead = model_ == LoadModel::kStpd && !sh->overload_drop;
  sh->instances = plan_.load.instances;
  sh->nib = nib_;
  sh->nib_ctx = nib_instance_->context();
  sh->timeout_ns = plan_.target.timeout_ns;
  sh->answ_filter =
      opt_.answ_filter.has_value() ? *opt_.answ_filter : AnswFilterFromPlan(plan_.results.answ);
  // Connections opened just ahead of the shots (docs/http.md "Preconnect"): rps model only.
  sh->preconnect = plan_.target.http.preconnect && model_ == LoadModel::kRps &&
                   nib_->transport == INCARNE_NIB_TRANSPORT_TCP;
  sh->shard = opt_.shard;
  sh->shards = opt_.shards;
  // INCARNE_SENDFILE_MIN=<bytes> (0 = never) moves the sendfile crossover for benchmarks
  // that re-measure it (docs/engine.md); read here, never on a worker.
  if (const char* env = getenv("INCARNE_SENDFILE_MIN"); env != nullptr && *env != 0) {
    const unsigned long v = strtoul(env, nullptr, 10);
    sh->sendfile_min =
        v == 0 ? UINT32_MAX : static_cast<uint32_t>(std::min<unsigned long>(v, UINT32_MAX));
  }
}

absl::Status Launcher::Impl::StartEngine() {
  EngineOptions eo;
  eo.workers = workers_;
  // pin = "auto": a server on this machine (a loopback target) needs the same cores, and
  // workers pinned one per core leave it no core of its own to be scheduled away to — measured
  // against nginx on the 2-core box, ~15 % fewer req/s pinned (docs/plan.md).
  const bool local_target = shared_->target_len != 0 && IsLoopback(shared_->target);
  pin_ =
      plan_.workers.pin == PinMode::kOn || (plan_.workers.pin == PinMode::kAuto && !local_target);
  if (pin_) {
    eo.cpus = cpus_;
  }
  // Stats in the workers: the tag table for their aggregates, the raw records the collector
  // writes (docs/engine.md "Workers").
  shared_->aggregate_seconds = true;
  shared_->tags = static_cast<uint32_t>(tags_.size());
  shared_->raw_keep = plan_.results.hits;
  shared_->raw_all = plan_.results.phout;
  eo.ring_capacity = opt_.ring_capacity != 0
                         ? opt_.ring_capacity
                         : AutoRingCapacity(model_, schedule_, plan_.load.instances, workers_);
  // INCARNE_RING_RECORDS=<n> forces the ring size (tests that fill rings on purpose, benchmarks
  // that re-measure AutoRingCapacity); read here, never on a worker.
  if (const char* env = getenv("INCARNE_RING_RECORDS"); env != nullptr && *env != 0) {
    const unsigned long long v = strtoull(env, nullptr, 10);
    if (v != 0) {
      eo.ring_capacity = v;
    }
  }
  ASSIGN_OR_RETURN(engine_, Engine::Create(shared_.get(), eo));
  log_.Line(absl::StrCat("result rings: ", eo.ring_capacity, " records per worker (",
                         eo.ring_capacity * sizeof(HitRecord) >> 20, " MiB each)"));
  if (absl::Status st = engine_->Start(); !st.ok()) {
    log_.Line(absl::StrCat("workers failed to start: ", st.message()));
    engine_.reset();
    return st;
  }
  const char* pinned = pin_ ? " pinned"
                       : plan_.workers.pin == PinMode::kAuto
                           ? " unpinned (the target is on this machine)"
                           : " unpinned";
  const char* model = model_ == LoadModel::kRps         ? "rps"
                      : model_ == LoadModel::kInstances ? "instances"
                                                        : "stpd";
  log_.Line(absl::StrCat("target ", target_text_, ", nib ", nib_->name, ", ", workers_, " workers",
                         pinned, ", model ", model, ", shots ", shared_->shots.count,
                         hit_cap_ != UINT64_MAX ? absl::StrCat(", hit cap ", hit_cap_) : ""));
  if (!fd_limit_line_.empty()) {
    log_.Line(fd_limit_line_);
  }
  if (!workers_line_.empty()) {
    log_.Line(workers_line_);
  }
  log_.Line(engine_->setup_line());
  return absl::OkStatus();
}

absl::Status Launcher::Impl::StartCollector() {
  const int64_t mono = MonoNs();
  const int64_t real = RealNs();
  if (opt_.has_start_at) {
    origin_real_ = opt_.start_at_unix_ns;
    origin_mono_ = mono + (origin_real_ - real);
  } else {
    // A little lead so the first shots are not late while the workers wake up; with
    // preconnect, enough for the first shots' connections to be open at the origin.
    const int64_t lead = shared_->preconnect ? 25'000'000 : 2'000'000;
    origin_mono_ = mono + lead;
    origin_real_ = real + lead;
  }
  shared_->origin_mono_ns = origin_mono_;

  CollectorOptions co;
  co.run_dir = run_dir_.path();
  co.keep = plan_.results.hits;
  co.phout = plan_.results.phout;
  co.tags = tags_;
  co.shard = opt_.shard;
  co.shards = opt_.shards;
  co.workers = workers_;
  co.origin_realtime_ns = origin_real_;
  co.origin_mono_ns = origin_mono_;
  const uint64_t hit_cap = hit_cap_;
  const uint32_t shard = opt_.shard;
  const uint32_t shards = opt_.shards;
  if (model_ == LoadModel::kRps) {
    const Schedule* sched = &schedule_;
    co.planned_shots_by = [sched, hit_cap, shard, shards](int64_t t) -> uint64_t {
      uint64_t c = t <= 0 ? 0 : sched->InstancesAt(t - 1);
      return ShardShare(std::min(c, hit_cap), shard, shards);
    };
  } else if (model_ == LoadModel::kStpd) {
    const AmmoFile* f = &*ammo_;
    co.planned_shots_by = [f, hit_cap, shard, shards](int64_t t) -> uint64_t {
      uint64_t lo = 0;
      uint64_t hi = f->count();
      while (lo < hi) {  // first record planned at or after t
        uint64_t mid = lo + (hi - lo) / 2;
        if (f->PlannedNs(mid) < t) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return ShardShare(std::min(lo, hit_cap), shard, shards);
    };
  }
  co.phout_path = opt_.phout_path;
  co.answ_rings = engine_->answ_rings();
  co.answ_path = opt_.answ_path;
  if (ammo_) {
    const AmmoFile* f = &*ammo_;
    co.request_bytes = [f](uint64_t r) -> std::string_view {
      if (r >= f->count()) {
        return {};
      }
      std::span<const uint8_t> b = f->Request(r);
      return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
    };
  }
  co.on_second = opt_.on_second;
  co.autostop = autostop_;
  co.instances = plan_.load.instances;
  // The collector's thread asks; Run's thread stops the workers (graceful: in-flight hits
  // finish) and logs the reason (docs/autostop.md).
  co.on_autostop = [this](const AutostopVerdict& v) {
    RequestStop(1,
                absl::StrCat("autostop: ", v.criterion, " at second ", v.second, ": ", v.explain));
  };
  absl::StatusOr<std::unique_ptr<Collector>> collector = Collector::Start(co, engine_->rings());
  if (!collector.ok()) {
    log_.Line(absl::StrCat("collector failed to start: ", collector.status().message()));
    return collector.status();
  }
  collector_ = std::move(*collector);
  if (shared_->hard_stop) {
    collector_->SetEnd(shared_->stop_ns);
  }
  return absl::OkStatus();
}

absl::Status Launcher::Impl::Open() {
  absl::Status st = CreateRunDir();
  if (st.ok()) {
    st = OpenAmmo();
  }
  if (st.ok()) {
    st = CompileRules();
  }
  if (st.ok()) {
    WireShots();
    st = StartEngine();
  }
  if (st.ok()) {
    st = StartCollector();
  }
  if (!st.ok()) {
    // The workers go before the directory they would write into.
    if (engine_ != nullptr) {
      engine_->RequestStop(2);
      engine_->Go();
      engine_->Join();
      engine_.reset();
    }
    log_.Close();
    run_dir_.Discard();
    return st;
  }
  run_dir_.Keep();  // from here on the directory holds a run, whatever happens
  log_.Line(absl::StrCat("origin ", Stamp(origin_real_), " (unix ns ", origin_real_, ")"));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Run

void Launcher::Impl::RequestStop(int level, std::string_view reason) {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (level <= stop_asked_) {
      return;
    }
    stop_asked_ = level;
    stop_reasons_.emplace_back(level, std::string(reason));
  }
  const uint64_t one = 1;
  if (wake_fd_ >= 0) {
    (void)!write(wake_fd_, &one, sizeof(one));
  }
}

// Applies the stop requests made since the last call; Run's thread.
void Launcher::Impl::ApplyStops() {
  std::vector<std::pair<int, std::string>> asked;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    asked.swap(stop_reasons_);
  }
  for (const auto& [level, reason] : asked) {
    if (level == 1) {
      log_.Line(absl::StrCat(reason, ": stop firing; in-flight hits finish (up to ",
                             FormatDuration(plan_.target.timeout_ns), ")"));
    } else {
      log_.Line(absl::StrCat(reason, stop_applied_ >= 1 ? " again" : "",
                             ": stop now; in-flight hits recorded as ECANCELED"));
    }
    stop_applied_ = std::max(stop_applied_, level);
    engine_->RequestStop(level);
    if (collector_ != nullptr) {
      collector_->SetEnd(std::max<int64_t>(0, MonoNs() - origin_mono_));
    }
  }
}

void Launcher::Impl::Run() {
  ApplyStops();  // a stop asked for before Run: the workers leave at once
  engine_->Go();
  // Progress on the origin's second boundaries (also before it, counting down); stop
  // requests wake the wait at once; the engine's end is seen within kPollNs.
  constexpr int64_t kPollNs = 50'000'000;
  constexpr int64_t kS = 1'000'000'000;
  auto floor_s = [](int64_t ns) { return ns >= 0 ? ns / kS : -((-ns + kS - 1) / kS); };
  int64_t next_progress = (floor_s(MonoNs() - origin_mono_) + 1) * kS;
  auto progress = [&](int64_t elapsed) {
    if (opt_.on_progress) {
      LaunchProgress p;
      p.elapsed_ns = elapsed;
      p.planned_ns = planned_ns_;
      p.stop_level = stop_applied_;
      p.hits = collector_->hits_so_far();
      opt_.on_progress(p);
    }
  };
  progress(MonoNs() - origin_mono_);
  while (!engine_->Finished()) {
    const int64_t now = MonoNs() - origin_mono_;
    if (now >= next_progress) {
      progress(now);
      next_progress = (floor_s(now) + 1) * kS;
    }
    const int64_t wait_ns = std::clamp<int64_t>(next_progress - now, 1'000'000, kPollNs);
    pollfd p{wake_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait_ns / 1'000'000)) > 0) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof(v));
      ApplyStops();
    }
  }
  engine_->Join();
}

// ---------------------------------------------------------------- Finish

void Launcher::Impl::LogTotals() {
  const WorkerStats& t = engine_->Totals();
  log_.Line(absl::StrCat(
      "workers done: ", t.shots_fired, " shots fired, ", t.hits_done, " records, ", t.dropped_777,
      " dropped (777), ", t.ring_full, " raw records lost to full rings, ",
      t.ring_wait_ns / 1'000'000, " ms waiting for ring space, ", t.connects, " connects, ",
      t.retries, " retries, ", t.passes, " passes, ", t.waits, " waits (", t.waits_short,
      " ended by the deadline), ", t.cqes, " completions, ", t.rx_stamped,
      " kernel-stamped receives, ", t.recv_nobufs, " receives out of buffers (", t.recv_buffers,
      " receive buffers); worker CPU ", t.cpu_ns / 1'000'000, " ms",
      t.cpu_ns > 0
          ? absl::StrCat(" (", t.hits_done * 1'000'000'000 / static_cast<uint64_t>(t.cpu_ns),
                         " hits per worker CPU second)")
          : std::string()));
  // The nib's own summary (e.g. the https nib's TLS failure reasons), every worker_fini done.
  if (INCARNE_NIB_HAS(nib_, report) && nib_->report != nullptr) {
    std::string text(8192, '\0');
    nib_->report(shared_->nib_ctx, text.data(), text.size());
    text.resize(strnlen(text.data(), text.size()));
    for (size_t at = 0, end; at < text.size(); at = end + 1) {
      end = std::min(text.find('\n', at), text.size());
      if (end > at) {
        log_.Line(absl::StrCat("nib ", nib_->name, ": ", text.substr(at, end - at)));
      }
    }
  }
}

LaunchResult Launcher::Impl::Finish() {
  ApplyStops();  // logged even when they came after the workers were done
  LaunchResult result;
  result.run_dir = run_dir_.path();
  result.stop_level = stop_applied_;
  result.totals = engine_->Totals();
  LogTotals();
  absl::Status fin = collector_->Finish();
  result.summary = collector_->summary();
  result.answ_written = collector_->answ_written();
  result.answ_dropped = collector_->answ_dropped();
  if (shared_->answ_filter != AnswFilter::kNone) {
    log_.Line(absl::StrCat("answ: ", result.answ_written, " entries written, ", result.answ_dropped,
                           " lost to full answ rings"));
  }
  if (!fin.ok()) {
    log_.Line(absl::StrCat("collector: ", fin.message()));
    result.exit_code = 1;
    result.error = fin;
  } else if (result.summary.autostop.has_value()) {
    result.exit_code = kExitAutostop;  // docs/design.md §5: stopped by autostop
  }
  // results.html: the offline HTML report (docs/results.md §11). A report that cannot be
  // drawn does not change the run's result; the log says why.
  if (plan_.results.html && fin.ok()) {
    if (absl::Status st = WriteHtmlReport(run_dir_.path()); !st.ok()) {
      log_.Line(absl::StrCat("warning: report.html: ", st.message()));
    }
  }
  log_.Line(absl::StrCat("done: ", result.summary.overall.hits, " hits, ",
                         result.summary.overall.errors, " errors"));
  engine_.reset();
  return result;
}

// ---------------------------------------------------------------- Launcher

Launcher::Launcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Launcher::~Launcher() = default;

absl::StatusOr<std::unique_ptr<Launcher>> Launcher::Prepare(const LaunchOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  RETURN_IF_ERROR(impl->Prepare());
  return std::unique_ptr<Launcher>(new Launcher(std::move(impl)));
}

absl::Status Launcher::Open() { return impl_->Open(); }
const std::string& Launcher::run_dir() const { return impl_->run_dir(); }
int64_t Launcher::origin_unix_ns() const { return impl_->origin_real(); }
int64_t Launcher::planned_ns() const { return impl_->planned_ns(); }
std::vector<std::string> Launcher::tags() const { return impl_->tags(); }
void Launcher::Run() { impl_->Run(); }
void Launcher::RequestStop(int level, std::string_view reason) {
  impl_->RequestStop(level, reason);
}
LaunchResult Launcher::Finish() { return impl_->Finish(); }

}  // namespace incarne
