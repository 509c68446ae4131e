// `incarne phantom check|run PHANTOM.conf` — the phantom drop-in for Yandex.Tank and Taurus
// (DESIGN.md §1, reference/tank.md §0 and §5; docs/phantom.md). Also reached as `phantom
// check|run ...` through a link named `phantom` (src/main.cc).
//
// check: reads the config subset Tank/Taurus generate (plan/phantom_conf.h), refuses what
//   incarne cannot honour, parses every stpd file, builds and validates one plan per stream;
//   exit 0 and nothing on stderr when it would run; otherwise "FILE:LINE:COL: ..." on stderr
//   and exit 2 (Tank aborts on a non-zero exit or any stderr output).
// run: the same checks, then one child process per io_benchmark_t stream, each running Launch
//   with a plan built from its stream (load.model = "stpd"); the children append whole phout
//   and answ lines to the files named in the config and report each finished second through a
//   pipe; this process writes the stat log (io_monitor_t: one record per second with every
//   stream's key) and the phantom log, relays SIGINT/SIGTERM, and stops the other streams
//   when the first one ends (Tank: "test ends when any stream ends").
// Control plane only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ammo/input_stream.h"
#include "ammo/readers.h"
#include "cli/cli_common.h"
#include "engine/launcher.h"
#include "engine/nib_registry.h"
#include "engine/target.h"
#include "incarne_config.h"
#include "plan/phantom_conf.h"
#include "plan/plan_loader.h"
#include "results/answ.h"
#include "util/absl_view.h"
#include "util/errno_name.h"
#include "util/json_writer.h"
#include "util/status.h"

namespace incarne::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "usage: incarne phantom check PHANTOM.conf\n"
    "       incarne phantom run PHANTOM.conf\n"
    "\n"
    "The phantom drop-in for Yandex.Tank and Taurus (also run as `phantom check|run ...`\n"
    "through a link named phantom). Reads the phantom.conf subset Tank and Taurus generate:\n"
    "io_benchmark_t streams (several = Tank's multi), method_stream_ipv4_t/_ipv6_t, address,\n"
    "port, timeout, instances, bind, source_log_t (stpd), logger_brief_t (phout),\n"
    "logger_default_t (answ log), io_monitor_t (stat log), logger_file_t (phantom log).\n"
    "\n"
    "  check   exit 0 and print nothing when the config would run; else FILE:LINE:COL: ...\n"
    "          on stderr and exit 2\n"
    "  run     run every stream; writes phout, the stat log, the answ log and the phantom log\n"
    "          where the config says; each stream's run directory is <phout>.incarne/<stream>\n"
    "          (docs/phantom.md). Exit 0 when done (also after SIGTERM/SIGINT), 1 on failure,\n"
    "          2 on bad input.\n";

// A phantom timeout has no upper bound ("inf"); a plan's target.timeout at most 1 hour.
constexpr int64_t kMaxTimeoutNs = int64_t{3600} * kNsPerSec;

// "YYYY-MM-DD HH:MM:SS.mmm +ZZZZ", local time (phantom's log and stat log stamps).
std::string PhantomStamp(int64_t unix_ns) {
  const time_t s = static_cast<time_t>(unix_ns / kNsPerSec);
  tm t{};
  localtime_r(&s, &t);
  char date[32];
  char zone[16];
  strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &t);
  strftime(zone, sizeof(zone), "%z", &t);
  return absl::StrCat(date, ".", absl::Dec(unix_ns / kNsPerMs % 1000, absl::kZeroPad3), " ",
                      zone);
}

int64_t RealNow() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

// ---------------------------------------------------------------- the config

// Where a stream's pieces are in the config (for messages) and their names (stat keys).
struct StreamNodes {
  const PhantomNode* io = nullptr;
  const PhantomNode* method = nullptr;
  const PhantomNode* address = nullptr;
  const PhantomNode* bind = nullptr;
  const PhantomNode* source = nullptr;     // source_log_t definition
  const PhantomNode* proto = nullptr;      // proto definition (nullptr: none named)
  const PhantomNode* transport = nullptr;  // transport_ssl_t definition
  std::string method_name = "stream_method";
  std::string proto_name;
  std::string source_name = "source_log";
};

// One stream, ready to run.
struct Stream {
  PhantomStream conf;
  StreamNodes nodes;
  AnswFilter answ = AnswFilter::kNone;
  Plan plan;
  uint64_t stpd_records = 0;
  std::string run_dir;
};

struct Loaded {
  std::string path;
  PhantomNode root;
  PhantomConfig cfg;
  std::vector<Stream> streams;
};

const PhantomNode* FindDef(const std::vector<const PhantomNode*>& scopes, std::string_view name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (const PhantomNode* d = (*it)->Definition(name); d != nullptr) {
      return d;
    }
  }
  return nullptr;
}

std::string Scalar(const PhantomNode* assignment) {
  if (assignment == nullptr || assignment->children.empty()) {
    return "";
  }
  return assignment->children.front().text;
}

StreamNodes LocateStream(const PhantomNode& root, std::string_view io_name) {
  StreamNodes n;
  n.io = root.Definition(io_name);
  if (n.io == nullptr) {
    return n;
  }
  std::vector<const PhantomNode*> scopes = {&root, n.io};
  n.method_name = Scalar(n.io->Assignment("method"));
  n.method = FindDef(scopes, n.method_name);
  if (n.method == nullptr) {
    return n;
  }
  scopes.push_back(n.method);
  n.address = n.method->Assignment("address");
  n.bind = n.method->Assignment("bind");
  n.source_name = Scalar(n.method->Assignment("source"));
  n.source = FindDef(scopes, n.source_name);
  n.proto_name = Scalar(n.method->Assignment("proto"));
  if (!n.proto_name.empty()) {
    n.proto = FindDef(scopes, n.proto_name);
  }
  const std::string transport = Scalar(n.method->Assignment("transport"));
  if (!transport.empty()) {
    n.transport = FindDef(scopes, transport);
  }
  return n;
}

absl::Status At(const std::string& path, const PhantomNode* node, std::string_view what) {
  const uint32_t line = node != nullptr ? node->line : 1;
  const uint32_t col = node != nullptr ? node->column : 1;
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ":", col, ": ", AbslView(what)));
}

// Counts the records of an stpd file with incarne's stpd reader (the one the run uses).
class CountingSink : public RecordSink {
 public:
  absl::Status Begin(uint64_t, uint64_t) override { return absl::OkStatus(); }
  absl::Status Append(std::string_view) override { return absl::OkStatus(); }
  absl::Status End(std::string_view, bool, int64_t) override {
    ++records_;
    return absl::OkStatus();
  }
  uint64_t records() const { return records_; }

 private:
  uint64_t records_ = 0;
};

absl::StatusOr<uint64_t> CountStpd(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, InputStream::Open(path));
  CountingSink sink;
  RETURN_IF_ERROR(ReadStpd(*in, ReaderOptions{}, sink));
  return sink.records();
}

uint32_t AllowedCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    return static_cast<uint32_t>(std::max(1, CPU_COUNT(&set)));
  }
  return 1;
}

Plan MakePlan(const PhantomConfig& cfg, const PhantomStream& s, bool multi) {
  Plan p;
  const std::string port = absl::StrCat(s.port);
  p.target.address = s.ipv6 ? absl::StrCat("[", s.address, "]:", port)
                            : absl::StrCat(s.address, ":", port);
  p.target.family = s.ipv6 ? Family::kIpv6 : Family::kIpv4;
  p.target.nib = s.ssl ? "https" : "http";
  p.target.timeout_ns = std::min(s.timeout_ns, kMaxTimeoutNs);
  p.target.source_ips = s.bind;
  p.target.http = s.http;
  if (s.ssl) {
    // Tank passes an IP literal and phantom verifies nothing and sends no SNI.
    p.target.tls.verify = false;
    p.target.tls.cert_file = s.ssl_cert;
    p.target.tls.key_file = s.ssl_key;
    p.target.tls.ciphers = s.ssl_ciphers;
  }
  p.ammo.file = s.stpd;
  p.ammo.format = AmmoFormat::kStpd;
  p.load.model = LoadModel::kStpd;
  p.load.schedule = "";
  p.load.instances = s.instances;
  p.load.overload = Overload::kDelay;  // phantom never drops a late request
  p.workers.threads = cfg.threads == 0 ? 0 : std::min(cfg.threads, AllowedCpuCount());
  // Several streams share the cores: let the kernel place their workers.
  p.workers.pin = multi ? PinMode::kOff : PinMode::kAuto;
  p.results.phout = !s.phout.empty();
  p.results.answ = AnswLevel::kNone;  // the finer phantom level goes in LaunchOptions
  return p;
}

// Everything `check` verifies; `run` starts only when this passed.
absl::StatusOr<Loaded> LoadAndCheck(const std::string& path) {
  Loaded l;
  l.path = path;
  std::string text;
  {
    FILE* f = fopen(path.c_str(), "re");
    if (f == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, ": ", strerror(errno)));
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
      text.append(buf, n);
    }
    fclose(f);
  }
  ASSIGN_OR_RETURN(l.cfg, ReadPhantomConfig(text, path));
  ASSIGN_OR_RETURN(l.root, ParsePhantomConfig(text, path));
  const bool multi = l.cfg.streams.size() > 1;
  std::set<std::string> names;
  for (const PhantomStream& s : l.cfg.streams) {
    Stream st;
    st.conf = s;
    st.nodes = LocateStream(l.root, s.name);
    const StreamNodes& n = st.nodes;
    if (!names.insert(s.name).second) {
      return At(path, n.io, absl::StrCat("expected one io_benchmark_t named '", s.name, "'"));
    }
    if (s.proto_none) {
      return At(path, n.proto,
                "proto_none_t (Tank's tank_type: none: raw TCP, the reply read until the server "
                "closes) is not supported by incarne; use proto_http_t");
    }
    if (s.ssl && !FindNib("https").ok()) {
      return At(path, n.transport,
                "transport_ssl_t needs incarne's https nib, which this build does not have");
    }
    {
      unsigned char buf[sizeof(in6_addr)];
      if (inet_pton(s.ipv6 ? AF_INET6 : AF_INET, s.address.c_str(), buf) != 1) {
        return At(path, n.address,
                  absl::StrCat("expected an ", s.ipv6 ? "IPv6" : "IPv4", " address literal for ",
                               s.ipv6 ? "method_stream_ipv6_t" : "method_stream_ipv4_t",
                               ", got '", s.address, "'"));
      }
    }
    if (!s.bind.empty()) {
      absl::StatusOr<std::vector<sockaddr_storage>> ips = ParseSourceIps(s.bind);
      if (!ips.ok()) {
        return At(path, n.bind, absl::StrCat("bind: ", ips.status().message()));
      }
    }
    if (!s.answ.empty()) {
      ASSIGN_OR_RETURN(st.answ, ParsePhantomAnswLevel(s.answ_level));
    }
    absl::StatusOr<uint64_t> records = CountStpd(s.stpd);
    if (!records.ok()) {
      return At(path, n.source,
                absl::StrCat("source_log_t: ", records.status().message()));
    }
    if (*records == 0) {
      return At(path, n.source,
                absl::StrCat("source_log_t: ", s.stpd, ": expected at least one stpd record"));
    }
    st.stpd_records = *records;
    st.plan = MakePlan(l.cfg, s, multi);
    // The plan goes through the same validation as a plan file.
    absl::StatusOr<Plan> valid =
        LoadPlanText(FormatPlanToml(st.plan), absl::StrCat(path, " (", s.name, ")"), {});
    if (!valid.ok()) {
      return At(path, n.io, StdView(valid.status().message()));
    }
    const std::string base = s.phout.empty() ? path : s.phout;
    st.run_dir = absl::StrCat(base, ".incarne/", s.name);
    l.streams.push_back(std::move(st));
  }
  return l;
}

// ---------------------------------------------------------------- run: the child

void WriteLine(int fd, const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = write(fd, line.data() + off, line.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // the parent is gone: nothing to report to
    }
    off += static_cast<size_t>(n);
  }
}

// The stream's value in one stat log record, on one line (no '\n': the stat log's record
// separator "\n}," can never appear inside it).
std::string StatBody(const SecondStats& ss, const StreamNodes& n) {
  const Stats& o = ss.overall;
  JsonWriter j;
  j.BeginObject();
  j.Key(n.method_name);
  j.BeginObject();
  j.Key("in");
  j.BeginArray();
  j.Uint(o.bytes_in);
  j.Uint(o.bytes_in);
  j.EndArray();
  j.Key("out");
  j.BeginArray();
  j.Uint(o.bytes_out);
  j.Uint(o.bytes_out);
  j.EndArray();
  // mmtasks = [min, avg, max] hits in flight. max: the workers' per-second maximum; avg: the
  // time the second's completed hits spent in flight / 1 s (Little); min is not tracked and
  // written as 0, a lower bound (docs/phantom.md).
  j.Key("mmtasks");
  j.BeginArray();
  j.Uint(0);
  j.Double(static_cast<double>(o.connect_ns + o.send_ns + o.latency_ns + o.receive_ns) / 1e9,
           3);
  j.Uint(ss.inflight_max);
  j.EndArray();
  j.Key("mcount");
  j.BeginObject();
  for (const auto& [code, count] : o.net_codes.Sorted()) {
    j.Key(NetCodeText(code));
    j.Uint(count);
  }
  j.EndObject();
  if (!n.proto_name.empty()) {
    j.Key(n.proto_name);
    j.BeginObject();
    j.Key("mcount");
    j.BeginObject();
    for (const auto& [code, count] : o.proto_codes.Sorted()) {
      if (code != 0) {
        j.Key(absl::StrCat(code));
        j.Uint(count);
      }
    }
    j.EndObject();
    j.EndObject();
  }
  j.Key(n.source_name.empty() ? "source_log" : n.source_name);
  j.BeginObject();
  j.Key("delta");  // lateness of the hits' start behind their stpd time, µs
  j.BeginArray();
  j.Uint(o.lag.min() / 1000);
  j.Uint(static_cast<uint64_t>(o.lag.mean() / 1000));
  j.Uint(o.lag.max() / 1000);
  j.EndArray();
  j.EndObject();
  j.Key("loggers");
  j.BeginObject();
  j.Key("brief_logger");
  j.BeginObject();
  j.Key("records");
  j.Uint(o.hits);
  j.EndObject();
  j.EndObject();
  j.EndObject();
  j.EndObject();
  return j.str();
}

// Pipe protocol (one line each, child → parent):
//   S <unix second> <stat body>     a finished second of completions
//   E <unix second> <net_code> <n>  n hits of that second ended with net_code (≠ 0)
//   F <message>                     Launch refused to start (nothing was fired)
//   D <hits> <errors> <answ written> <answ lost>   done
int RunStreamChild(const Loaded& l, size_t index, int fd) {
  const Stream& st = l.streams[index];
  LaunchOptions lo;
  lo.plan_path = l.path;
  lo.plan_text = FormatPlanToml(st.plan);
  lo.out_dir = st.run_dir;
  lo.live = false;
  lo.phout_path = st.conf.phout;
  lo.answ_path = st.conf.answ;
  if (st.answ != AnswFilter::kNone) {
    lo.answ_filter = st.answ;
  } else {
    lo.answ_filter = AnswFilter::kNone;
  }
  const StreamNodes* nodes = &st.nodes;
  lo.on_second = [fd, nodes](const SecondStats& ss) {
    const int64_t w = ss.unix_ns / kNsPerSec;
    std::string out = absl::StrCat("S ", w, " ", StatBody(ss, *nodes), "\n");
    for (const auto& [code, count] : ss.overall.net_codes.Sorted()) {
      if (code != 0) {
        absl::StrAppend(&out, "E ", w, " ", code, " ", count, "\n");
      }
    }
    WriteLine(fd, out);
  };
  // The report goes to stdout, the run directory line to stderr (Tank keeps both).
  absl::StatusOr<LaunchResult> r = Launch(lo);
  if (!r.ok()) {
    std::string msg(StdView(r.status().message()));
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    WriteLine(fd, absl::StrCat("F ", msg, "\n"));
    return ExitCodeFor(r.status());
  }
  WriteLine(fd, absl::StrCat("D ", r->summary.overall.hits, " ", r->summary.overall.net_errors,
                             " ", r->answ_written, " ", r->answ_dropped, "\n"));
  fflush(stdout);
  return r->exit_code;
}

// ---------------------------------------------------------------- run: the parent

class PhantomLog {
 public:
  explicit PhantomLog(const std::string& path) {
    if (!path.empty()) {
      f_ = fopen(path.c_str(), "ae");
    }
    if (f_ == nullptr) {
      f_ = stderr;
    }
  }
  ~PhantomLog() {
    if (f_ != stderr) {
      fclose(f_);
    }
  }
  void Line(std::string_view level, std::string_view object, std::string_view message) {
    fprintf(f_, "%s [%.*s] [%.*s] %.*s\n", PhantomStamp(RealNow()).c_str(),
            static_cast<int>(level.size()), level.data(), static_cast<int>(object.size()),
            object.data(), static_cast<int>(message.size()), message.data());
    fflush(f_);
  }

 private:
  FILE* f_ = nullptr;
};

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
    if (fs::is_directory(dir, ec) && (fs::exists(fs::path(dir) / "plan.toml", ec) ||
                                      fs::is_empty(dir, ec))) {
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

struct Child {
  pid_t pid = -1;
  int fd = -1;          // read end of its pipe; -1 after EOF
  bool exited = false;
  int status = 0;
  std::string buf;      // partial line
  int64_t last_second = INT64_MIN;
  bool done_line = false;
  bool failed_line = false;
};

class StatLog {
 public:
  explicit StatLog(const std::string& path) : path_(path) {
    if (!path.empty()) {
      f_ = fopen(path.c_str(), "we");
    }
  }
  ~StatLog() {
    if (f_ != nullptr) {
      fclose(f_);
    }
  }
  bool ok() const { return path_.empty() || f_ != nullptr; }
  void Add(int64_t second, size_t stream, std::string body) {
    pending_[second][stream] = std::move(body);
  }
  // Writes every pending second that no running stream can still report.
  void Flush(const std::vector<Stream>& streams, const std::vector<Child>& children,
             bool all) {
    while (!pending_.empty()) {
      const int64_t w = pending_.begin()->first;
      bool ready = true;
      for (const Child& c : children) {
        ready = ready && (c.fd < 0 || c.last_second >= w);
      }
      if (!ready && !all) {
        return;
      }
      if (f_ != nullptr) {
        // phantom's record: "<date>" : { "<io name>" : {...}, ... },\n — stamped at the end
        // of the second (Tank attributes a record to its date − 1 s). Every record ends with
        // "\n}," so Tank's reader (split on "\n},") takes each one as soon as it is written.
        std::string rec = absl::StrCat("\"", PhantomStamp((w + 1) * kNsPerSec), "\" : {\n");
        bool first = true;
        for (const auto& [i, body] : pending_.begin()->second) {
          absl::StrAppend(&rec, first ? "" : ",\n", "\t\"", streams[i].conf.name, "\" : ", body);
          first = false;
        }
        rec += "\n},\n";
        fwrite(rec.data(), 1, rec.size(), f_);
        fflush(f_);
      }
      pending_.erase(pending_.begin());
    }
  }

 private:
  std::string path_;
  FILE* f_ = nullptr;
  std::map<int64_t, std::map<size_t, std::string>> pending_;
};

// SIGINT/SIGTERM/SIGCHLD are blocked by the caller (from the start of `run`, so a stop request
// that arrives while the config is read is not lost and still ends in exit 0).
int Run(const Loaded& l, const sigset_t& set) {
  PhantomLog log(l.cfg.phantom_log);
  const size_t n = l.streams.size();
  log.Line("info", "phantom",
           absl::StrCat("incarne ", INCARNE_VERSION, " phantom drop-in: ", l.path, ", ", n,
                        n == 1 ? " stream" : " streams"));
  // Outputs: created (emptied) once here, appended to by the children.
  {
    std::set<std::string> created;
    for (const Stream& st : l.streams) {
      for (const std::string& p : {st.conf.phout, st.conf.answ}) {
        if (!p.empty() && created.insert(p).second) {
          absl::Status s = CreateEmpty(p);
          if (!s.ok()) {
            log.Line("fatal", "phantom", StdView(s.message()));
            return Fail("phantom", s);
          }
        }
      }
      absl::Status s = PrepareRunDir(st.run_dir);
      if (!s.ok()) {
        log.Line("fatal", st.conf.name, StdView(s.message()));
        return Fail("phantom", s);
      }
    }
  }
  StatLog stat(l.cfg.stat_log);
  if (!stat.ok()) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat(l.cfg.stat_log, ": cannot create: ", strerror(errno)));
    log.Line("fatal", "phantom", StdView(s.message()));
    return Fail("phantom", s);
  }

  const int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    return Fail("phantom", absl::InternalError(absl::StrCat("signalfd: ", strerror(errno))));
  }

  std::vector<Child> children(n);
  fflush(stdout);
  fflush(stderr);
  for (size_t i = 0; i < n; ++i) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      log.Line("fatal", "phantom", absl::StrCat("pipe: ", strerror(errno)));
      return kExitFailed;  // children already started end with their stream
    }
    const pid_t pid = fork();
    if (pid < 0) {
      log.Line("fatal", "phantom", absl::StrCat("fork: ", strerror(errno)));
      return kExitFailed;
    }
    if (pid == 0) {
      close(p[0]);
      close(sfd);
      for (size_t k = 0; k < i; ++k) {
        close(children[k].fd);
      }
      const int code = RunStreamChild(l, i, p[1]);
      close(p[1]);
      fflush(stdout);
      fflush(stderr);
      _exit(code);
    }
    close(p[1]);
    children[i].pid = pid;
    children[i].fd = p[0];
    log.Line("info", l.streams[i].conf.name,
             absl::StrCat("start: ", l.streams[i].plan.target.address, ", ",
                          l.streams[i].stpd_records, " stpd records from ", l.streams[i].conf.stpd,
                          ", instances ", l.streams[i].conf.instances, ", run directory ",
                          l.streams[i].run_dir, " (pid ", pid, ")"));
  }

  int signals = 0;
  bool stopping_others = false;
  auto live = [&] {
    size_t k = 0;
    for (const Child& c : children) {
      k += c.exited ? 0 : 1;
    }
    return k;
  };
  auto open_pipes = [&] {
    size_t k = 0;
    for (const Child& c : children) {
      k += c.fd >= 0 ? 1 : 0;
    }
    return k;
  };
  auto handle_line = [&](size_t i, std::string_view line) {
    const std::string& name = l.streams[i].conf.name;
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
      children[i].last_second = std::max(children[i].last_second, w);
      stat.Add(w, i, std::string(rest.substr(sp + 1)));
    } else if (kind == 'E') {
      std::vector<std::string> f = absl::StrSplit(AbslView(rest), ' ');
      int code = 0;
      if (f.size() == 3 && absl::SimpleAtoi(f[1], &code)) {
        log.Line("error", absl::StrCat(name, " ", l.streams[i].nodes.method_name),
                 absl::StrCat(AbslView(NetCodeText(code)), " (net_code ", code, ")"));
      }
    } else if (kind == 'F') {
      children[i].failed_line = true;
      log.Line("fatal", name, rest);
    } else if (kind == 'D') {
      children[i].done_line = true;
      std::vector<std::string> f = absl::StrSplit(AbslView(rest), ' ');
      if (f.size() == 4) {
        log.Line("info", name,
                 absl::StrCat("finished: ", f[0], " hits, ", f[1], " network errors",
                              l.streams[i].answ != AnswFilter::kNone
                                  ? absl::StrCat(", answ log ", f[2], " entries")
                                  : std::string()));
        if (f[3] != "0") {
          log.Line("warning", name,
                   absl::StrCat(f[3], " answ entries lost (the answ rings were full)"));
        }
      }
    }
  };

  while (live() > 0 || open_pipes() > 0) {
    std::vector<pollfd> pfds;
    std::vector<size_t> which;
    pfds.push_back({sfd, POLLIN, 0});
    for (size_t i = 0; i < n; ++i) {
      if (children[i].fd >= 0) {
        pfds.push_back({children[i].fd, POLLIN, 0});
        which.push_back(i);
      }
    }
    if (poll(pfds.data(), pfds.size(), 1000) < 0 && errno != EINTR) {
      break;
    }
    if ((pfds[0].revents & POLLIN) != 0) {
      signalfd_siginfo si;
      while (read(sfd, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
        if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
          ++signals;
          log.Line("info", "phantom",
                   absl::StrCat(si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
                                signals == 1 ? ": stopping every stream (in-flight hits finish)"
                                             : " again: stopping now"));
          for (const Child& c : children) {
            if (!c.exited) {
              kill(c.pid, static_cast<int>(si.ssi_signo));
            }
          }
        }
        // SIGCHLD: reaped below.
      }
    }
    for (size_t k = 1; k < pfds.size(); ++k) {
      if ((pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      Child& c = children[which[k - 1]];
      char buf[65536];
      const ssize_t got = read(c.fd, buf, sizeof(buf));
      if (got > 0) {
        c.buf.append(buf, static_cast<size_t>(got));
        size_t start = 0;
        size_t nl;
        while ((nl = c.buf.find('\n', start)) != std::string::npos) {
          handle_line(which[k - 1], std::string_view(c.buf).substr(start, nl - start));
          start = nl + 1;
        }
        c.buf.erase(0, start);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(c.fd);
        c.fd = -1;
      }
    }
    stat.Flush(l.streams, children, false);
    // Reap.
    for (size_t i = 0; i < n; ++i) {
      Child& c = children[i];
      if (c.exited) {
        continue;
      }
      int status = 0;
      const pid_t r = waitpid(c.pid, &status, WNOHANG);
      if (r != c.pid) {
        continue;
      }
      c.exited = true;
      c.status = status;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      log.Line(code == 0 ? "info" : "error", l.streams[i].conf.name,
               absl::StrCat("stream ended, exit code ", code));
      if (!stopping_others && live() > 0) {
        // Tank: the test ends when any stream ends.
        stopping_others = true;
        log.Line("info", "phantom",
                 absl::StrCat(l.streams[i].conf.name, " ended: stopping the other streams"));
        for (const Child& o : children) {
          if (!o.exited) {
            kill(o.pid, SIGTERM);
          }
        }
      }
    }
  }
  stat.Flush(l.streams, children, true);
  close(sfd);

  int exit_code = kExitOk;
  for (size_t i = 0; i < n; ++i) {
    const Child& c = children[i];
    const int code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 128 + WTERMSIG(c.status);
    if (code != 0 && exit_code == kExitOk) {
      exit_code = code == kExitBadInput ? kExitBadInput : kExitFailed;
    }
  }
  log.Line(exit_code == 0 ? "info" : "error", "phantom",
           absl::StrCat("exit ", exit_code, signals > 0 ? " (stopped by a signal)" : ""));
  return exit_code;
}

}  // namespace

int RunPhantom(int argc, char** argv) {
  Args args(argc, argv);
  if (absl::Status st = args.Parse(); !st.ok()) {
    fprintf(stderr, "%s", kUsage);
    return Fail("phantom", st);
  }
  if (args.help()) {
    fputs(kUsage, stdout);
    return kExitOk;
  }
  const std::vector<std::string>& pos = args.positional();
  if (pos.size() != 2 || (pos[0] != "check" && pos[0] != "run")) {
    fputs(kUsage, stderr);
    return kExitBadInput;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  if (pos[0] == "run") {
    sigprocmask(SIG_BLOCK, &set, nullptr);
  }
  // Tank sets OPENSSL_CONF=/dev/null for phantom; incarne does not read it (docs/phantom.md).
  absl::StatusOr<Loaded> loaded = LoadAndCheck(pos[1]);
  if (!loaded.ok()) {
    return Fail("phantom", loaded.status());
  }
  if (pos[0] == "check") {
    return kExitOk;
  }
  return Run(*loaded, set);
}

}  // namespace incarne::cli
