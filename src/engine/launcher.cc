#include "engine/launcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "ammo/ammo_compiler.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "engine/clock.h"
#include "engine/engine.h"
#include "engine/nib_registry.h"
#include "engine/target.h"
#include "incarne_config.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "plan/schedule.h"
#include "results/collector.h"
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
  snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%03d", t.tm_year + 1900,
           t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
           static_cast<int>(unix_ns / 1'000'000 % 1000));
  return buf;
}

// incarne.log: one timestamped line per event of the control plane.
class RunLog {
 public:
  ~RunLog() {
    if (f_ != nullptr) {
      fclose(f_);
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
  ~RunDir() {
    if (created_ && !keep_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
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
      fs::create_directories(parent, ec);
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat("run directory ", path, ": cannot create ", parent.string(), ": ",
                         ec.message()));
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
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool created_ = false;
  bool keep_ = false;
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
// to hold what a worker completes while the collector is not draining (it drains every few
// ms; a slow disk under the hits file can hold it for seconds). The rps model knows its peak
// rate: kRingHeadroomS seconds of it per worker, plus the instances (a stalled server can
// answer all of them at once) and a `once` burst, rounded up to a power of two between
// kMinRing and kMaxRing. Other models have no rate bound: kMaxRing. Pages are allocated
// up front (result_ring.cc), so this is also the rings' share of the RSS.
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

int64_t StpdTime(const void* ctx, uint64_t i) {
  return static_cast<const AmmoCtx*>(ctx)->file->PlannedNs(i);
}

// Of the global shots [0, c), how many belong to shard K of N.
uint64_t ShardShare(uint64_t c, uint32_t shard, uint32_t shards) {
  return c > shard ? (c - shard - 1) / shards + 1 : 0;
}

// Blocks SIGINT/SIGTERM for the life of the run; restores the old mask afterwards.
class SignalGuard {
 public:
  SignalGuard() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    // Sends to a peer that closed (sendfile) must not kill the process.
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe_);
  }
  ~SignalGuard() {
    // Pending signals received after the run are dropped, not delivered at unblock.
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
  }
  // Waits up to `ns` for SIGINT/SIGTERM; returns the signal number or 0.
  int Wait(int64_t ns) {
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    int sig = sigtimedwait(&set_, nullptr, &ts);
    return sig > 0 ? sig : 0;
  }

 private:
  sigset_t set_;
  sigset_t old_;
  struct sigaction old_pipe_ {};
};

}  // namespace

uint64_t AutoRingCapacity(LoadModel model, const Schedule& schedule, uint64_t instances,
                          uint32_t workers) {
  if (model != LoadModel::kRps || workers == 0) {
    return kMaxRing;
  }
  double peak = 0;
  double burst = 0;
  for (const ScheduleStep& st : schedule.steps()) {
    switch (st.kind) {
      case ScheduleStep::Kind::kConst:
        peak = std::max(peak, st.a);
        break;
      case ScheduleStep::Kind::kLine:
      case ScheduleStep::Kind::kStep:
        peak = std::max({peak, st.a, st.b});
        break;
      case ScheduleStep::Kind::kOnce:
        burst = std::max(burst, st.a);
        break;
      case ScheduleStep::Kind::kPause:
        break;
    }
  }
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

absl::StatusOr<LaunchResult> Launch(const LaunchOptions& options) {
  SignalGuard signals;

  // ---- 1. validate everything that can be validated without writing anything ----
  ASSIGN_OR_RETURN(Plan plan,
                   options.plan_text.has_value()
                       ? LoadPlanText(*options.plan_text, options.plan_path, options.overrides)
                       : LoadPlanFile(options.plan_path, options.overrides));
  const std::string where = Prefix(plan);
  if (options.shards == 0 || options.shard >= options.shards) {
    return absl::InvalidArgumentError(absl::StrCat("--shard ", options.shard, "/",
                                                   options.shards, ": expected K/N with K < N"));
  }
  const LoadModel model = plan.load.model;
  // usl / find-max never get here: the plan loader refuses them until the capacity finder
  // exists (docs/plan.md).
  Schedule schedule;
  if (model == LoadModel::kRps || model == LoadModel::kInstances) {
    absl::StatusOr<Schedule> parsed = Schedule::Parse(plan.load.schedule, model);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "load.schedule: ", parsed.status().message()));
    }
    schedule = std::move(*parsed);
  }

  // An external nib's library stays loaded until Launch returns (declared before every
  // user of the nib, so destroyed after them; NibInstance keeps it too).
  absl::StatusOr<OpenedNib> found = OpenNib(plan.target.nib, options.allow_external_nibs);
  if (!found.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, found.status().message()));
  }
  const OpenedNib opened_nib = std::move(*found);
  const incarne_nib* nib = opened_nib.nib;
  const bool has_ammo = !plan.ammo.file.empty() || !plan.ammo.uris.empty();
  if (!has_ammo && ((nib->capabilities & INCARNE_NIB_CAP_AMMO_OPTIONAL) == 0 ||
                    model == LoadModel::kStpd)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, model == LoadModel::kStpd ? "load.model = \"stpd\"" : "nib " + plan.target.nib,
        " needs ammo: set ammo.file or ammo.uris"));
  }
  if (!plan.ammo.file.empty()) {
    struct stat st {};
    if (stat(plan.ammo.file.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(where, "ammo.file: ", plan.ammo.file, ": ",
                                              strerror(errno)));
    }
    if (!S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "ammo.file: ", plan.ammo.file, ": expected a regular file"));
    }
  }

  auto shared = std::make_unique<EngineShared>();
  std::string host;
  std::string target_text = "(no network)";
  if (nib->transport != INCARNE_NIB_TRANSPORT_NONE) {
    absl::StatusOr<HostPort> hp = ParseHostPort(plan.target.address);
    if (!hp.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "target.address: ", hp.status().message()));
    }
    host = hp->host;
    absl::StatusOr<ResolvedAddress> res =
        Resolve(*hp, plan.target.family,
                nib->transport == INCARNE_NIB_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM);
    if (!res.ok()) {
      return absl::Status(res.status().code(),
                          absl::StrCat(where, "target.address: ", res.status().message()));
    }
    ResolvedAddress& resolved = *res;
    shared->target = resolved.addr;
    shared->target_len = resolved.len;
    target_text = resolved.text;
    absl::StatusOr<std::vector<sockaddr_storage>> sources =
        ParseSourceIps(plan.target.source_ips);
    if (!sources.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, sources.status().message()));
    }
    shared->source_ips = std::move(*sources);
  }

  // Workers: one per allowed core unless workers.threads says otherwise; never more than
  // there are instances to give them (each needs at least one slot), and at most 256 (the
  // record's worker field is a u8).
  std::vector<int> cpus = AllowedCpus();
  uint32_t workers =
      plan.workers.threads != 0 ? plan.workers.threads : static_cast<uint32_t>(cpus.size());
  uint64_t cap_by = model == LoadModel::kInstances
                        ? ShardShare(schedule.shots(), options.shard, options.shards)
                        : plan.load.instances;
  workers = static_cast<uint32_t>(
      std::clamp<uint64_t>(std::min<uint64_t>(workers, cap_by), 1, 256));

  ASSIGN_OR_RETURN(std::unique_ptr<NibInstance> nib_instance,
                   NibInstance::Create(opened_nib, plan, host, workers));

  // ---- 2. the run directory; from here a failure removes it again ----
  const int64_t prep_real = RealNs();
  std::string dir = options.out_dir.empty()
                        ? ExpandRunDir(plan.results.dir, prep_real / 1'000'000'000,
                                       options.shard, options.plan_path)
                        : options.out_dir;
  RunDir run_dir;
  {
    absl::Status st = run_dir.Create(dir);
    if (!st.ok() && options.out_dir.empty() &&
        plan.results.dir.find("{time}") != std::string::npos &&
        st.code() == absl::StatusCode::kFailedPrecondition) {
      // Two runs in the same second: number the second one.
      for (int n = 2; n < 100 && !st.ok(); ++n) {
        run_dir = RunDir();
        st = run_dir.Create(absl::StrCat(dir, ".", n));
      }
    }
    RETURN_IF_ERROR(st);
  }
  dir = run_dir.path();
  RunLog log;
  RETURN_IF_ERROR(log.Open(dir + "/incarne.log"));
  log.Line(absl::StrCat("incarne ", INCARNE_VERSION, " run ", options.plan_path,
                        options.shards > 1 ? absl::StrCat(" shard ", options.shard, "/",
                                                          options.shards)
                                           : std::string()));
  {
    const std::string toml = FormatPlanToml(plan);
    const std::string path = dir + "/plan.toml";
    FILE* f = fopen(path.c_str(), "we");
    if (f == nullptr || fwrite(toml.data(), 1, toml.size(), f) != toml.size() || fclose(f) != 0) {
      return absl::UnavailableError(absl::StrCat(path, ": cannot write: ", strerror(errno)));
    }
  }

  std::optional<AmmoFile> ammo;
  AmmoCtx ammo_ctx{nullptr};
  if (has_ammo) {
    std::string ammo_path;
    bool direct = false;
    if (!plan.ammo.file.empty() && plan.ammo.chosen_cases.empty() &&
        (plan.ammo.format == AmmoFormat::kAmmo || plan.ammo.format == AmmoFormat::kAuto)) {
      absl::StatusOr<AmmoFormat> f = DetectAmmoFileFormat(plan.ammo.file);
      direct = f.ok() && *f == AmmoFormat::kAmmo;
    }
    if (direct) {
      ammo_path = plan.ammo.file;
      log.Line(absl::StrCat("ammo: ", ammo_path, " (compiled, used as it is)"));
    } else {
      ammo_path = dir + "/ammo.ammo";
      const int64_t t0 = MonoNs();
      absl::StatusOr<AmmoCompileStats> cs =
          CompileAmmo(AmmoCompileOptions::FromPlan(plan.ammo), ammo_path);
      if (!cs.ok()) {
        return absl::Status(cs.status().code(),
                            absl::StrCat(where, "ammo: ", cs.status().message()));
      }
      log.Line(absl::StrCat("ammo: compiled ", cs->records, " records (", cs->format, ", ",
                            cs->bytes, " bytes, ", cs->tags, " tags) into ammo.ammo in ",
                            (MonoNs() - t0) / 1'000'000, " ms"));
    }
    absl::StatusOr<AmmoFile> opened = AmmoFile::Open(ammo_path);
    if (!opened.ok()) {
      return opened.status();
    }
    ammo.emplace(std::move(*opened));
    ammo_ctx.file = &*ammo;
    if (ammo->count() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, "ammo: no records"));
    }
    if (model == LoadModel::kStpd && !ammo->has_times()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "load.model = \"stpd\" needs stpd ammo (planned times); ", ammo_path,
          " has none"));
    }
    shared->requests.count = ammo->count();
    shared->requests.get = &AmmoGet;
    shared->requests.ctx = &ammo_ctx;
    shared->requests.fd = ammo->fd();
    shared->requests.file_offset = &AmmoOffset;
  }

  // Shots, caps and the end.
  const uint64_t records = ammo ? ammo->count() : 0;
  if (model == LoadModel::kStpd) {
    shared->shots = ShotSource{ShotSource::Model::kRps, &StpdTime, &ammo_ctx, records};
  } else {
    shared->shots = ShotSource{model == LoadModel::kInstances ? ShotSource::Model::kInstances
                                                              : ShotSource::Model::kRps,
                               &ScheduleTime, &schedule, schedule.shots()};
  }
  uint64_t hit_cap = plan.ammo.limit != 0 ? plan.ammo.limit : UINT64_MAX;
  if (plan.ammo.loop != 0 && records != 0) {
    const uint64_t pass = plan.ammo.loop > UINT64_MAX / records ? UINT64_MAX
                                                                : plan.ammo.loop * records;
    if (plan.ammo.shared) {
      hit_cap = std::min(hit_cap, pass);
    } else {
      shared->loop_records_per_worker = pass;
    }
  }
  shared->hit_cap = hit_cap;
  shared->ammo_shared = plan.ammo.shared;
  if (plan.load.duration_ns != 0) {
    shared->stop_ns = plan.load.duration_ns;
    shared->hard_stop = true;
  } else if (model != LoadModel::kStpd) {
    shared->stop_ns = schedule.duration_ns();
  }
  shared->overload_drop = plan.load.overload == Overload::kDrop;
  shared->pacing_ns = plan.load.pacing_ns;
  // stpd: phantom's instances take the next record when free and wait for its time.
  shared->take_ahead = model == LoadModel::kStpd && !shared->overload_drop;
  shared->instances = plan.load.instances;
  shared->nib = nib;
  shared->nib_ctx = nib_instance->context();
  shared->timeout_ns = plan.target.timeout_ns;
  shared->answ_filter = options.answ_filter.has_value() ? *options.answ_filter
                                                        : AnswFilterFromPlan(plan.results.answ);
  // Connections opened just ahead of the shots (docs/http.md "Preconnect"): rps model only.
  shared->preconnect = plan.target.http.preconnect && model == LoadModel::kRps &&
                       nib->transport == INCARNE_NIB_TRANSPORT_TCP;
  shared->shard = options.shard;
  shared->shards = options.shards;
  // INCARNE_SENDFILE_MIN=<bytes> (0 = never) moves the sendfile crossover for benchmarks
  // that re-measure it (docs/engine.md); read here, never on a worker.
  if (const char* env = getenv("INCARNE_SENDFILE_MIN"); env != nullptr && *env != 0) {
    const unsigned long v = strtoul(env, nullptr, 10);
    shared->sendfile_min =
        v == 0 ? UINT32_MAX : static_cast<uint32_t>(std::min<unsigned long>(v, UINT32_MAX));
  }

  EngineOptions eo;
  eo.workers = workers;
  // pin = "auto": a server on this machine (a loopback target) needs the same cores, and
  // workers pinned one per core leave it no core of its own to be scheduled away to — measured
  // against nginx on the 2-core box, ~15 % fewer req/s pinned (docs/plan.md).
  const bool local_target = shared->target_len != 0 && IsLoopback(shared->target);
  const bool pin = plan.workers.pin == PinMode::kOn ||
                   (plan.workers.pin == PinMode::kAuto && !local_target);
  if (pin) {
    eo.cpus = cpus;
  }
  eo.ring_capacity = options.ring_capacity != 0
                        ? options.ring_capacity
                        : AutoRingCapacity(model, schedule, plan.load.instances, workers);
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(shared.get(), eo));
  log.Line(absl::StrCat("result rings: ", eo.ring_capacity, " records per worker (",
                        eo.ring_capacity * sizeof(HitRecord) >> 20, " MiB each)"));
  {
    absl::Status st = engine->Start();
    if (!st.ok()) {
      log.Line(absl::StrCat("workers failed to start: ", st.message()));
      return st;
    }
  }
  log.Line(absl::StrCat("target ", target_text, ", nib ", nib->name, ", ", workers, " workers",
                        pin                                            ? " pinned"
                        : plan.workers.pin == PinMode::kAuto ? " unpinned (the target is on this machine)"
                                                             : " unpinned",
                        ", model ",
                        model == LoadModel::kRps         ? "rps"
                        : model == LoadModel::kInstances ? "instances"
                                                         : "stpd",
                        ", shots ", shared->shots.count,
                        hit_cap != UINT64_MAX ? absl::StrCat(", hit cap ", hit_cap) : ""));
  log.Line(engine->setup_line());

  // ---- 3. run ----
  int64_t origin_mono;
  int64_t origin_real;
  {
    const int64_t mono = MonoNs();
    const int64_t real = RealNs();
    if (options.has_start_at) {
      origin_real = options.start_at_unix_ns;
      origin_mono = mono + (origin_real - real);
    } else {
      // A little lead so the first shots are not late while the workers wake up; with
      // preconnect, enough for the first shots' connections to be open at the origin.
      const int64_t lead = shared->preconnect ? 25'000'000 : 2'000'000;
      origin_mono = mono + lead;
      origin_real = real + lead;
    }
  }
  shared->origin_mono_ns = origin_mono;

  CollectorOptions co;
  co.run_dir = dir;
  co.keep = plan.results.hits;
  co.phout = plan.results.phout;
  co.tags = ammo ? ammo->tags() : std::vector<std::string>{""};
  co.shard = options.shard;
  co.shards = options.shards;
  co.workers = workers;
  co.origin_realtime_ns = origin_real;
  co.origin_mono_ns = origin_mono;
  if (model == LoadModel::kRps) {
    const Schedule* sched = &schedule;
    co.planned_shots_by = [sched, hit_cap, options](int64_t t) -> uint64_t {
      uint64_t c = t <= 0 ? 0 : sched->InstancesAt(t - 1);
      return ShardShare(std::min(c, hit_cap), options.shard, options.shards);
    };
  } else if (model == LoadModel::kStpd) {
    const AmmoFile* f = &*ammo;
    co.planned_shots_by = [f, hit_cap, options](int64_t t) -> uint64_t {
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
      return ShardShare(std::min(lo, hit_cap), options.shard, options.shards);
    };
  }
  co.phout_path = options.phout_path;
  co.answ_rings = engine->answ_rings();
  co.answ_path = options.answ_path;
  if (ammo) {
    const AmmoFile* f = &*ammo;
    co.request_bytes = [f](uint64_t r) -> std::string_view {
      if (r >= f->count()) {
        return {};
      }
      std::span<const uint8_t> b = f->Request(r);
      return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
    };
  }
  co.on_second = options.on_second;
  co.live = options.live ? options.err : nullptr;
  co.live_tty = options.live_tty;
  absl::StatusOr<std::unique_ptr<Collector>> collector = Collector::Start(co, engine->rings());
  if (!collector.ok()) {
    log.Line(absl::StrCat("collector failed to start: ", collector.status().message()));
    return collector.status();
  }

  run_dir.Keep();  // from here on the directory holds a run, whatever happens
  fprintf(options.err, "incarne: run directory %s\n", dir.c_str());
  fflush(options.err);
  log.Line(absl::StrCat("origin ", Stamp(origin_real), " (unix ns ", origin_real, ")"));
  engine->Go();

  LaunchResult result;
  result.run_dir = dir;
  bool graceful_seen = false;
  while (!engine->Finished()) {
    int sig = signals.Wait(50'000'000);
    bool from_file = false;
    if (sig == 0 && !graceful_seen && !options.graceful_path.empty()) {
      struct stat gst;
      if (stat(options.graceful_path.c_str(), &gst) == 0) {
        graceful_seen = true;  // once: the file stays; stopping at once needs a signal
        from_file = result.signals == 0;
        if (from_file) {
          log.Line(absl::StrCat("$GRACEFUL file ", options.graceful_path, " exists"));
          sig = SIGTERM;  // handled exactly as the first SIGTERM
        }
      }
    }
    if (sig == 0) {
      continue;
    }
    ++result.signals;
    const char* name = from_file ? "$GRACEFUL" : sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (result.signals == 1) {
      log.Line(absl::StrCat(name, ": stop firing; in-flight hits finish (up to ",
                            FormatDuration(plan.target.timeout_ns), ")"));
      fprintf(options.err, "\nincarne: %s: stopping; in-flight hits finish (again to stop now)\n",
              name);
      engine->RequestStop(1);
    } else {
      log.Line(absl::StrCat(name, " again: stop now; in-flight hits recorded as ECANCELED"));
      fprintf(options.err, "\nincarne: %s: stopping now\n", name);
      engine->RequestStop(2);
    }
    fflush(options.err);
  }
  engine->Join();
  result.totals = engine->Totals();
  log.Line(absl::StrCat("workers done: ", result.totals.shots_fired, " shots fired, ",
                        result.totals.hits_done, " records, ", result.totals.dropped_777,
                        " dropped (777), ", result.totals.ring_full, " lost to full rings, ",
                        result.totals.connects, " connects, ", result.totals.retries,
                        " retries, ", result.totals.passes, " passes, ", result.totals.waits,
                        " waits (", result.totals.waits_short, " ended by the deadline), ",
                        result.totals.cqes, " completions, ",
                        result.totals.rx_stamped, " kernel-stamped receives; worker CPU ", result.totals.cpu_ns / 1'000'000, " ms",
                        result.totals.cpu_ns > 0
                            ? absl::StrCat(" (", result.totals.hits_done * 1'000'000'000 /
                                                     static_cast<uint64_t>(result.totals.cpu_ns),
                                           " hits per worker CPU second)")
                            : std::string()));
  // The nib's own summary (e.g. the https nib's TLS failure reasons), every worker_fini done.
  if (INCARNE_NIB_HAS(nib, report) && nib->report != nullptr) {
    std::string text(8192, '\0');
    nib->report(shared->nib_ctx, text.data(), text.size());
    text.resize(strnlen(text.data(), text.size()));
    for (size_t at = 0, end; at < text.size(); at = end + 1) {
      end = std::min(text.find('\n', at), text.size());
      if (end > at) {
        log.Line(absl::StrCat("nib ", nib->name, ": ", text.substr(at, end - at)));
      }
    }
  }
  absl::Status fin = (*collector)->Finish();
  result.summary = (*collector)->summary();
  result.answ_written = (*collector)->answ_written();
  result.answ_dropped = (*collector)->answ_dropped();
  if (shared->answ_filter != AnswFilter::kNone) {
    log.Line(absl::StrCat("answ: ", result.answ_written, " entries written, ",
                          result.answ_dropped, " lost to full answ rings"));
    if (result.answ_dropped != 0) {
      fprintf(options.err, "incarne: answ log: %llu entries lost (the answ rings were full)\n",
              static_cast<unsigned long long>(result.answ_dropped));
    }
  }
  if (!fin.ok()) {
    log.Line(absl::StrCat("collector: ", fin.message()));
    fprintf(options.err, "incarne run: %s\n", std::string(fin.message()).c_str());
    result.exit_code = 1;
  }
  log.Line(absl::StrCat("done: ", result.summary.overall.hits, " hits, ",
                        result.summary.overall.errors, " errors"));
  const std::string report = RenderReport(result.summary, false);
  fwrite(report.data(), 1, report.size(), options.out);
  fflush(options.out);
  return result;
}

}  // namespace incarne
