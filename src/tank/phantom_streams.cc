// phantom.conf → one checked Plan per stream (phantom_streams.h; docs/phantom.md).
#include "tank/phantom_streams.h"

#include <arpa/inet.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ammo/input_stream.h"
#include "ammo/readers.h"
#include "engine/nib_registry.h"
#include "engine/target.h"
#include "plan/plan_loader.h"
#include "util/absl_view.h"
#include "util/status.h"

namespace incarne::tank {
namespace {

// A phantom timeout has no upper bound ("inf"); a plan's target.timeout at most 1 hour.
constexpr int64_t kMaxTimeoutNs = int64_t{3600} * kNsPerSec;

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
  p.target.address =
      s.ipv6 ? absl::StrCat("[", s.address, "]:", port) : absl::StrCat(s.address, ":", port);
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

}  // namespace

absl::StatusOr<PhantomRun> LoadPhantomRun(const std::string& path) {
  PhantomRun l;
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
                               s.ipv6 ? "method_stream_ipv6_t" : "method_stream_ipv4_t", ", got '",
                               s.address, "'"));
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
      return At(path, n.source, absl::StrCat("source_log_t: ", records.status().message()));
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

}  // namespace incarne::tank
