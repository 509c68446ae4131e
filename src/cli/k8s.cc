// incarne k8s render|collect — a sharded test as a Kubernetes Indexed Job, and its results
// merged into one run (docs/k8s.md).
//   incarne k8s render plan.toml --shards 4 --image registry.example/incarne:0.1 > job.yaml
//   kubectl apply -f job.yaml && kubectl wait --for=condition=complete job/incarne-plan
//   incarne k8s collect incarne-plan -o runs/big && incarne report runs/big/merged
//
// No API client: render prints YAML, collect runs `kubectl` (or reads saved logs). Each pod
// streams its run directory to stdout on exit (tar.gz in base64 between two marker lines), so
// results need no storage class and `kubectl logs` carries them (docs/k8s.md "Results").
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "ammo/ammo_compiler.h"
#include "cli/cli_common.h"
#include "incarne_config.h"
#include "plan/duration.h"
#include "plan/plan_loader.h"
#include "results/hits_file.h"
#include "results/merge.h"
#include "util/status.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne k8s render PLAN.toml --shards N [--image IMAGE] [--namespace NS]\n"
    "                          [--name NAME] [--start-in DURATION | --start-at UNIX_SECONDS]\n"
    "                          [--node-selector KEY=VALUE]... [--host-network] [--cpus N]\n"
    "                          [--memory QUANTITY] [--set KEY=VALUE]...\n"
    "                          [--ammo-path PATH [--ammo-claim CLAIM]] [--seccomp-unconfined]\n"
    "       incarne k8s collect NAME -o OUT_DIR [--namespace NS] [--kubectl PATH] [--partial]\n"
    "                           [--dry-run]\n"
    "       incarne k8s collect --logs FILE... -o OUT_DIR [--partial]\n"
    "\n"
    "render prints a ConfigMap (the resolved plan, and the compiled ammo when it is at most\n"
    "900 KiB) and an Indexed Job of N pods; pod K runs `incarne run --shard K/N` with one\n"
    "--start-at for all, then writes its run directory to stdout (tar.gz, base64, between\n"
    "marker lines). Apply it with `kubectl apply -f -`.\n"
    "collect reads the pods' logs (kubectl logs, or log files saved from them), unpacks\n"
    "OUT_DIR/shard-K for every shard and merges them into OUT_DIR/merged; a shard without\n"
    "results is named and the merge refused unless --partial.\n"
    "\n"
    "  --shards N           pods, one shard each (1..10000)\n"
    "  --image IMAGE        the container image (default incarne:" INCARNE_VERSION
    "; built from\n"
    "                       packaging/container/Containerfile)\n"
    "  --namespace NS       metadata.namespace of both objects (default: kubectl's)\n"
    "  --name NAME          the Job's and ConfigMap's name (default incarne-<plan file name>)\n"
    "  --start-in DURATION  the shards' common origin, from now (default 60s; at most 1 day)\n"
    "  --start-at T         the origin as unix seconds instead\n"
    "  --node-selector K=V  schedule only onto nodes with this label (repeatable)\n"
    "  --host-network       pods use the node's network (hostNetwork: true)\n"
    "  --cpus N             whole cores per pod: requests = limits (Guaranteed QoS, pinnable\n"
    "                       by the static CPU manager), and workers.threads = N (default:\n"
    "                       the plan's workers.threads, or 1)\n"
    "  --memory QUANTITY    memory request = limit per pod (default 1Gi)\n"
    "  --set KEY=VALUE      a plan override, as for incarne run (applied before rendering)\n"
    "  --ammo-path PATH     the ammo inside the container (an image path or a volume) when\n"
    "                       it does not fit in the ConfigMap\n"
    "  --ammo-claim CLAIM   mount this PersistentVolumeClaim read-only at\n"
    "                       /var/lib/incarne/k8s/ammo (give --ammo-path inside it)\n"
    "  --seccomp-unconfined the container's seccompProfile is Unconfined: for clusters whose\n"
    "                       default profile refuses io_uring (docs/k8s.md)\n"
    "  -o OUT_DIR           collect: where the shards and the merged run go (new or empty)\n"
    "  --logs FILE...       collect: the pods' logs, saved (kubectl logs POD > FILE)\n"
    "  --kubectl PATH       collect: the kubectl to run (default kubectl)\n"
    "  --partial            collect: merge the shards there are when some are missing\n"
    "  --dry-run            collect: print the kubectl commands instead of running them\n"
    "\n"
    "Exit status: 0 done, 1 kubectl or tar failed, 2 bad input (plan, options, a log with no\n"
    "or a damaged shard, a missing shard).\n";

// Inside the container (docs/k8s.md "The pod").
constexpr char kPlanDir[] = "/var/lib/incarne/k8s/plan";
constexpr char kRunDir[] = "/var/lib/incarne/k8s/run";
constexpr char kAmmoDir[] = "/var/lib/incarne/k8s/ammo";
constexpr char kMark[] = "incarne-k8s-shard ";  // "incarne-k8s-shard K/N begin|end rc=R"
constexpr uint64_t kConfigMapAmmoMax = 900 * 1024;
constexpr int64_t kNsPerS = 1'000'000'000;
constexpr int64_t kDayNs = 86400 * kNsPerS;
constexpr uint32_t kMaxShards = 10000;

// ---- YAML, written by hand: a fixed shape, every scalar double-quoted -----------------------

// A YAML double-quoted scalar: JSON-like escapes that YAML 1.1 and 1.2 both read.
std::string Q(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

// A literal block (`|`) when the text reads well as one, else a quoted scalar.
std::string Block(absl::string_view text, int indent) {
  bool literal = !text.empty() && text.back() == '\n' && text.front() != ' ' &&
                 text.front() != '\n' && (text.size() < 2 || text[text.size() - 2] != '\n');
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) {
      literal = false;
    }
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == ' ') {
      literal = false;  // trailing blanks survive a literal block, but not every editor
    }
  }
  if (!literal) {
    return Q(text);
  }
  std::string out = "|";
  const std::string pad(indent, ' ');
  for (absl::string_view line : absl::StrSplit(text.substr(0, text.size() - 1), '\n')) {
    absl::StrAppend(&out, "\n", line.empty() ? "" : pad, line);
  }
  return out;
}

// A DNS-1123 label (RFC 1123, as Kubernetes names): [a-z0-9]([-a-z0-9]*[a-z0-9])?. Job names
// are kept ≤ 52 so that pod names and the job-name label fit in 63.
bool IsDnsLabel(absl::string_view s, size_t max) {
  if (s.empty() || s.size() > max || s.front() == '-' || s.back() == '-') {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string DefaultName(const std::string& plan_path) {
  std::string stem = plan_path.substr(plan_path.rfind('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  std::string out = "incarne-";
  for (char c : stem) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok || (out.back() != '-')) {
      out += ok ? l : '-';
    }
  }
  out = out.substr(0, 52);
  while (out.back() == '-') {
    out.pop_back();
  }
  return out;
}

// What render puts in the manifests, resolved from the options and the plan.
struct RenderSpec {
  std::string name;
  std::string ns;
  std::string image;
  uint32_t shards = 0;
  int64_t start_at_ns = 0;
  std::vector<std::pair<std::string, std::string>> node_selector;
  bool host_network = false;
  bool seccomp_unconfined = false;
  uint32_t cpus = 1;
  std::string memory = "1Gi";
  std::string plan_toml;           // the resolved plan the pods run
  std::string ammo;                // compiled ammo bytes for the ConfigMap ("" = none there)
  std::string ammo_claim;          // a PVC to mount at kAmmoDir
  int64_t grace_s = 0;             // terminationGracePeriodSeconds
  std::string source;              // the plan file, for the header comment
  std::vector<std::string> notes;  // for stderr: what the pods may not have
};

// The start time as `--start-at` takes it: whole seconds, or seconds with 9 decimals.
std::string StartAtText(int64_t ns) {
  if (ns % kNsPerS == 0) {
    return absl::StrCat(ns / kNsPerS);
  }
  return absl::StrFormat("%d.%09d", ns / kNsPerS, ns % kNsPerS);
}

// The container's command: the shard's run, then its run directory on stdout. SIGTERM (the
// Job deleted, the node drained) is passed to incarne, which stops gracefully; the script
// exits 0 whatever the run's status so that one failed shard does not make the Job controller
// delete the other pods (and their logs): the status travels in the end marker and collect
// judges (docs/k8s.md "Failures"). `${JOB_COMPLETION_INDEX}` is the shell's expansion; the
// script avoids `$(` so the kubelet's $(VAR) expansion leaves it alone.
std::string PodScript(const RenderSpec& s) {
  const std::string n = absl::StrCat(s.shards);
  return absl::StrCat(
      "set -u\n"
      "k=${JOB_COMPLETION_INDEX:?not set: run as a pod of an Indexed Job}\n"
      "out=",
      kRunDir, "/shard-${k}\n", "incarne run ", kPlanDir, "/plan.toml --shard \"${k}/", n,
      "\" --start-at ", StartAtText(s.start_at_ns),
      " --out \"${out}\" >&2 &\n"
      "pid=$!\n"
      "trap 'kill -TERM \"${pid}\" 2>/dev/null' TERM INT\n"
      "wait \"${pid}\"\n"
      "rc=$?\n"
      "while kill -0 \"${pid}\" 2>/dev/null; do wait \"${pid}\"; rc=$?; done\n"
      "echo \"",
      kMark, "${k}/", n,
      " begin\"\n"
      "if [ -d \"${out}\" ]; then tar -C ",
      kRunDir, " -czf - \"shard-${k}\" | base64 -w 76; fi\n", "echo \"", kMark, "${k}/", n,
      " end rc=${rc}\"\n"
      "exit 0\n");
}

void Labels(std::string* y, int indent, const RenderSpec& s) {
  const std::string pad(indent, ' ');
  absl::StrAppend(y, pad, "labels:\n", pad, "  app.kubernetes.io/name: \"incarne\"\n", pad,
                  "  app.kubernetes.io/instance: ", Q(s.name), "\n");
}

void Metadata(std::string* y, const RenderSpec& s) {
  absl::StrAppend(y, "metadata:\n  name: ", Q(s.name), "\n");
  if (!s.ns.empty()) {
    absl::StrAppend(y, "  namespace: ", Q(s.ns), "\n");
  }
  Labels(y, 2, s);
}

std::string ConfigMapYaml(const RenderSpec& s) {
  std::string y = "apiVersion: v1\nkind: ConfigMap\n";
  Metadata(&y, s);
  absl::StrAppend(&y, "data:\n  plan.toml: ", Block(s.plan_toml, 4), "\n");
  if (!s.ammo.empty()) {
    absl::StrAppend(&y, "binaryData:\n  ammo.ammo: ", Q(absl::Base64Escape(s.ammo)), "\n");
  }
  return y;
}

void PodSpecYaml(std::string* y, const RenderSpec& s) {
  absl::StrAppend(y, "    spec:\n      restartPolicy: \"Never\"\n",
                  "      terminationGracePeriodSeconds: ", s.grace_s, "\n");
  if (s.host_network) {
    absl::StrAppend(y, "      hostNetwork: true\n      dnsPolicy: \"ClusterFirstWithHostNet\"\n");
  }
  if (!s.node_selector.empty()) {
    absl::StrAppend(y, "      nodeSelector:\n");
    for (const auto& [k, v] : s.node_selector) {
      absl::StrAppend(y, "        ", Q(k), ": ", Q(v), "\n");
    }
  }
  // Preferred, not required: with fewer nodes than shards the pods still all start (and
  // share nodes) rather than some waiting past the start time.
  absl::StrAppend(y,
                  "      affinity:\n"
                  "        podAntiAffinity:\n"
                  "          preferredDuringSchedulingIgnoredDuringExecution:\n"
                  "          - weight: 100\n"
                  "            podAffinityTerm:\n"
                  "              topologyKey: \"kubernetes.io/hostname\"\n"
                  "              labelSelector:\n"
                  "                matchLabels:\n"
                  "                  app.kubernetes.io/instance: ",
                  Q(s.name), "\n");
  const std::string cpu = absl::StrCat(s.cpus);
  absl::StrAppend(
      y, "      containers:\n      - name: \"incarne\"\n        image: ", Q(s.image),
      "\n        imagePullPolicy: \"IfNotPresent\"\n",
      "        command:\n        - \"/bin/sh\"\n        - \"-c\"\n        - ",
      Block(PodScript(s), 10), "\n",
      "        resources:\n          requests:\n            cpu: ", Q(cpu),
      "\n            memory: ", Q(s.memory), "\n          limits:\n            cpu: ", Q(cpu),
      "\n            memory: ", Q(s.memory), "\n",
      "        volumeMounts:\n        - name: \"plan\"\n          mountPath: ", Q(kPlanDir),
      "\n          readOnly: true\n        - name: \"run\"\n", "          mountPath: ", Q(kRunDir),
      "\n");
  if (!s.ammo_claim.empty()) {
    absl::StrAppend(y, "        - name: \"ammo\"\n          mountPath: ", Q(kAmmoDir),
                    "\n          readOnly: true\n");
  }
  if (s.seccomp_unconfined) {
    absl::StrAppend(y, "        securityContext:\n          seccompProfile:\n",
                    "            type: \"Unconfined\"\n");
  }
  absl::StrAppend(y, "      volumes:\n      - name: \"plan\"\n        configMap:\n          name: ",
                  Q(s.name), "\n      - name: \"run\"\n        emptyDir: {}\n");
  if (!s.ammo_claim.empty()) {
    absl::StrAppend(y,
                    "      - name: \"ammo\"\n        persistentVolumeClaim:\n          claimName: ",
                    Q(s.ammo_claim), "\n          readOnly: true\n");
  }
}

std::string JobYaml(const RenderSpec& s) {
  std::string y = "apiVersion: batch/v1\nkind: Job\n";
  Metadata(&y, s);
  absl::StrAppend(&y, "  annotations:\n    incarne.io/shards: ", Q(absl::StrCat(s.shards)),
                  "\n    incarne.io/start-at: ", Q(StartAtText(s.start_at_ns)), "\n");
  // backoffLimit 0: a pod that dies (evicted, node lost) is not run again late; its shard is
  // reported missing by collect. The script itself always exits 0 (see PodScript).
  absl::StrAppend(&y, "spec:\n  completionMode: \"Indexed\"\n  completions: ", s.shards,
                  "\n  parallelism: ", s.shards, "\n  backoffLimit: 0\n  template:\n",
                  "    metadata:\n");
  Labels(&y, 6, s);
  PodSpecYaml(&y, s);
  return y;
}

std::string Manifests(const RenderSpec& s) {
  char when[64];
  const time_t t = static_cast<time_t>(s.start_at_ns / kNsPerS);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return absl::StrCat("# incarne ", INCARNE_VERSION, " k8s render ", s.source, ": ", s.shards,
                      " shards starting at ", StartAtText(s.start_at_ns), " (", when,
                      ")\n# kubectl apply -f THIS; then: incarne k8s collect ", s.name,
                      s.ns.empty() ? "" : absl::StrCat(" --namespace ", s.ns),
                      " -o DIR (docs/k8s.md)\n---\n", ConfigMapYaml(s), "---\n", JobYaml(s));
}

// ---- render --------------------------------------------------------------------------------

absl::StatusOr<uint32_t> ParseCount(absl::string_view flag, const std::string& text, uint32_t lo,
                                    uint32_t hi) {
  uint32_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", text, "\": expected a whole number from ", lo, " to ", hi));
  }
  return v;
}

// The shards' common origin: --start-at T, or now + --start-in (default 60 s) rounded up to
// a whole second. Either must lie in the future and at most a day ahead.
absl::StatusOr<int64_t> StartAt(const Args& args) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t now = ts.tv_sec * kNsPerS + ts.tv_nsec;
  if (args.Has("start-at") && args.Has("start-in")) {
    return absl::InvalidArgumentError("--start-at and --start-in: give one of them");
  }
  int64_t at = 0;
  if (args.Has("start-at")) {
    double t = 0;
    const std::string text = args.Get("start-at");
    if (!absl::SimpleAtod(text, &t) || !std::isfinite(t) || t < 0 || t > 9.2e9) {
      return absl::InvalidArgumentError(
          absl::StrCat("--start-at \"", text, "\": expected unix seconds, e.g. 1767225600"));
    }
    at = static_cast<int64_t>(std::llround(t * 1e9));
  } else {
    const std::string text = args.Get("start-in", "60s");
    absl::StatusOr<int64_t> d = ParseDuration(text);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--start-in \"", text, "\": ", d.status().message()));
    }
    if (*d <= 0 || *d > kDayNs) {
      return absl::InvalidArgumentError(
          absl::StrCat("--start-in \"", text, "\": expected more than 0 and at most a day (24h)"));
    }
    at = (now + *d + kNsPerS - 1) / kNsPerS * kNsPerS;
  }
  if (at <= now) {
    return absl::InvalidArgumentError(absl::StrCat("--start-at ", StartAtText(at), " is ",
                                                   (now - at) / kNsPerS, " s in the past (now ",
                                                   now / kNsPerS,
                                                   "): the pods need time to start; give a time "
                                                   "ahead, or --start-in DURATION"));
  }
  if (at > now + kDayNs) {
    return absl::InvalidArgumentError(absl::StrCat("--start-at ", StartAtText(at), " is ",
                                                   (at - now) / kNsPerS, " s ahead (now ",
                                                   now / kNsPerS, "): at most a day (86400 s)"));
  }
  return at;
}

// The ammo for the pods: compiled here into the ConfigMap when it fits, else the path the user
// names (--ammo-path, in the image or on --ammo-claim). Rewrites plan->ammo to what the pods
// read.
absl::Status PlaceAmmo(const Args& args, Plan* plan, RenderSpec* spec) {
  if (args.Has("ammo-claim") && !args.Has("ammo-path")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ammo-claim needs --ammo-path (the ammo file inside ", kAmmoDir, ")"));
  }
  if (args.Has("ammo-path")) {
    plan->ammo.file = args.Get("ammo-path");
    if (plan->ammo.file.empty() || plan->ammo.file.front() != '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          "--ammo-path \"", plan->ammo.file, "\": expected an absolute path in the container"));
    }
    spec->ammo_claim = args.Get("ammo-claim");
    if (!spec->ammo_claim.empty() && !IsDnsLabel(spec->ammo_claim, 253)) {
      return absl::InvalidArgumentError(absl::StrCat("--ammo-claim \"", spec->ammo_claim,
                                                     "\": expected a PersistentVolumeClaim name"));
    }
    return absl::OkStatus();
  }
  if (plan->ammo.file.empty()) {
    return absl::OkStatus();  // ammo.uris (in the plan) or none (dummy nib)
  }
  char tmpl[] = "/tmp/incarne-k8s-XXXXXX";
  const char* tmpdir = mkdtemp(tmpl);
  if (tmpdir == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp /tmp: ", strerror(errno)));
  }
  const std::string path = absl::StrCat(tmpdir, "/ammo.ammo");
  absl::StatusOr<AmmoCompileStats> cs = CompileAmmo(AmmoCompileOptions::FromPlan(plan->ammo), path);
  absl::StatusOr<std::string> bytes =
      cs.ok() ? ReadFileToString(path) : absl::StatusOr<std::string>(cs.status());
  unlink(path.c_str());
  rmdir(tmpdir);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat("ammo ", plan->ammo.file, ": ", bytes.status().message()));
  }
  if (bytes->size() > kConfigMapAmmoMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ammo ", plan->ammo.file, ": compiled to ", bytes->size(),
        " bytes, more than the 900 KiB a ConfigMap takes here: put the compiled ammo (incarne "
        "ammo compile) in the image or on a volume and name it with --ammo-path PATH "
        "(--ammo-claim CLAIM mounts a PersistentVolumeClaim at ",
        kAmmoDir, ")"));
  }
  spec->ammo = std::move(*bytes);
  // The pods read the compiled file as it is: what compiling applied is not applied again.
  plan->ammo.file = absl::StrCat(kPlanDir, "/ammo.ammo");
  plan->ammo.format = AmmoFormat::kAmmo;
  plan->ammo.headers.clear();
  plan->ammo.autocases = "0";
  plan->ammo.chosen_cases.clear();
  return absl::OkStatus();
}

absl::StatusOr<RenderSpec> Resolve(const Args& args) {
  if (args.positional().size() != 2) {
    return absl::InvalidArgumentError("render: expected one PLAN.toml (see --help)");
  }
  if (!args.Has("shards")) {
    return absl::InvalidArgumentError("render: --shards N is required (the number of pods)");
  }
  RenderSpec s;
  s.source = args.positional()[1];
  ASSIGN_OR_RETURN(s.shards, ParseCount("--shards", args.Get("shards"), 1, kMaxShards));
  ASSIGN_OR_RETURN(Plan plan, LoadPlanFile(s.source, args.GetAll("set")));
  if (plan.load.model == LoadModel::kUsl || plan.load.model == LoadModel::kFindMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.source, ": load.model \"", plan.load.model == LoadModel::kUsl ? "usl" : "find-max",
        "\" searches step by step on one box and cannot be sharded: use rps, instances or "
        "stpd"));
  }
  s.name = args.Get("name", DefaultName(s.source));
  if (!IsDnsLabel(s.name, 52)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--name \"", s.name,
                     "\": expected lowercase letters, digits and '-', at most 52, "
                     "starting and ending with a letter or digit"));
  }
  s.ns = args.Get("namespace");
  if (!s.ns.empty() && !IsDnsLabel(s.ns, 63)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--namespace \"", s.ns, "\": expected a namespace name (DNS label)"));
  }
  s.image = args.Get("image", absl::StrCat("incarne:", INCARNE_VERSION));
  ASSIGN_OR_RETURN(s.start_at_ns, StartAt(args));
  for (const std::string& kv : args.GetAll("node-selector")) {
    const size_t eq = kv.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--node-selector \"", kv, "\": expected KEY=VALUE, e.g. role=load"));
    }
    s.node_selector.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  s.host_network = args.Has("host-network");
  s.seccomp_unconfined = args.Has("seccomp-unconfined");
  s.cpus = plan.workers.threads > 0 ? plan.workers.threads : 1;
  if (args.Has("cpus")) {
    ASSIGN_OR_RETURN(s.cpus, ParseCount("--cpus", args.Get("cpus"), 1, 256));
  }
  plan.workers.threads = s.cpus;
  // A page per shard would only lengthen the log it travels in: `incarne plot` draws the
  // merged run.
  plan.results.html = false;
  s.memory = args.Get("memory", "1Gi");
  if (s.memory.empty() || s.memory.find_first_not_of("0123456789.EPTGMKeikmgt") != s.memory.npos ||
      s.memory.front() < '0' || s.memory.front() > '9') {
    return absl::InvalidArgumentError(
        absl::StrCat("--memory \"", s.memory, "\": expected a quantity, e.g. 1Gi or 512Mi"));
  }
  RETURN_IF_ERROR(PlaceAmmo(args, &plan, &s));
  // Paths and addresses of this box that the plan names travel as they are.
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string*>{"target.tls.ca_file", &plan.target.tls.ca_file},
        {"target.tls.cert_file", &plan.target.tls.cert_file},
        {"target.tls.key_file", &plan.target.tls.key_file}}) {
    if (!path->empty()) {
      s.notes.push_back(absl::StrCat(key, " = \"", *path,
                                     "\": the pods read this path in their container: put the "
                                     "file in the image or on a volume (docs/k8s.md)"));
    }
  }
  if (!plan.target.source_ips.empty()) {
    s.notes.push_back(
        "target.source_ips: the pods bind to these addresses, which must be theirs "
        "(--host-network on nodes that have them)");
  }
  s.plan_toml = FormatPlanToml(plan);
  // What the pods load must load: the same check `incarne check` makes.
  absl::StatusOr<Plan> again = LoadPlanText(s.plan_toml, "rendered plan", {});
  if (!again.ok()) {
    return absl::InternalError(
        absl::StrCat("the rendered plan does not load again: ", again.status().message()));
  }
  // In-flight hits get target.timeout after SIGTERM; then the run directory is written out.
  s.grace_s = (plan.target.timeout_ns + kNsPerS - 1) / kNsPerS + 60;
  return s;
}

int Render(const Args& args) {
  absl::StatusOr<RenderSpec> spec = Resolve(args);
  if (!spec.ok()) {
    return Fail("k8s render", spec.status());
  }
  for (const std::string& n : spec->notes) {
    std::fprintf(stderr, "incarne k8s render: note: %s\n", n.c_str());
  }
  const std::string yaml = Manifests(*spec);
  if (std::fwrite(yaml.data(), 1, yaml.size(), stdout) != yaml.size() || std::fflush(stdout)) {
    return Fail("k8s render", absl::InternalError(absl::StrCat("stdout: ", strerror(errno))));
  }
  return kExitOk;
}

// ---- collect -------------------------------------------------------------------------------

// Runs argv (looked up on PATH) and returns its exit status (128 + signal when killed);
// stdout is captured into *out when non-null, stderr passes through.
absl::StatusOr<int> Exec(const std::vector<std::string>& argv, std::string* out) {
  int fds[2] = {-1, -1};
  if (out != nullptr && pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    if (out != nullptr) {
      dup2(fds[1], STDOUT_FILENO);
    }
    std::vector<char*> cargv;
    for (const std::string& a : argv) {
      cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);
    execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "incarne k8s: %s: %s\n", cargv[0], strerror(errno));
    _exit(127);
  }
  if (out != nullptr) {
    close(fds[1]);
    char buf[65536];
    while (true) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n > 0) {
        out->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    close(fds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One shard's block in a pod's log.
struct ShardBlock {
  std::string source;  // the log it came from
  std::string base64;
  bool ended = false;
  int rc = -1;
};

struct ShardLogs {
  uint32_t shards = 0;
  std::map<uint32_t, ShardBlock> by_shard;
};

// Reads the marker blocks of one log (a pod's stdout and stderr, as `kubectl logs` prints
// them): `incarne-k8s-shard K/N begin`, base64 lines, `incarne-k8s-shard K/N end rc=R`.
// Other lines (the run's own messages) are skipped.
absl::Status ParseLog(absl::string_view text, const std::string& source, ShardLogs* logs) {
  ShardBlock* open = nullptr;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.substr(0, sizeof kMark - 1) != kMark) {
      if (open != nullptr && !line.empty() &&
          line.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
              absl::string_view::npos) {
        absl::StrAppend(&open->base64, line);
      }
      continue;
    }
    const std::vector<absl::string_view> w = absl::StrSplit(line.substr(sizeof kMark - 1), ' ');
    const std::vector<absl::string_view> kn = absl::StrSplit(w[0], '/');
    uint32_t k = 0, n = 0;
    if (kn.size() != 2 || !absl::SimpleAtoi(kn[0], &k) || !absl::SimpleAtoi(kn[1], &n) || n == 0 ||
        k >= n || w.size() < 2 || (w[1] != "begin" && w[1] != "end")) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line_no, ": expected \"", kMark,
                                                     "K/N begin\" or \"… end rc=R\""));
    }
    if (logs->shards != 0 && logs->shards != n) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line_no, ": shard ", k, "/", n,
                                                     ", but other logs have ", logs->shards,
                                                     " shards: logs of two different Jobs?"));
    }
    logs->shards = n;
    if (w[1] == "begin") {
      // A later block of the same shard (a pod run again) replaces an earlier one.
      open = &logs->by_shard[k];
      *open = ShardBlock{source, "", false, -1};
      continue;
    }
    if (open == nullptr || open != &logs->by_shard[k]) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_no, ": end of shard ", k, " without its begin line"));
    }
    open->ended = true;
    if (w.size() < 3 || w[2].substr(0, 3) != "rc=" ||
        !absl::SimpleAtoi(w[2].substr(3), &open->rc)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_no, ": expected \"end rc=R\" after shard ", k));
    }
    open = nullptr;
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, absl::string_view data) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int e = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": write: ", strerror(e)));
    }
    done += static_cast<size_t>(n);
  }
  return close(fd) == 0 ? absl::OkStatus()
                        : absl::InternalError(absl::StrCat(path, ": close: ", strerror(errno)));
}

// Unpacks one shard's block into out_dir/shard-K; a damaged or foreign archive is an error
// naming the log it came from.
absl::Status Unpack(uint32_t k, const ShardBlock& b, const std::string& out_dir) {
  const std::string what = absl::StrCat("shard ", k, " (from ", b.source, ")");
  std::string bytes;
  if (!absl::Base64Unescape(b.base64, &bytes) || bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what,
                                                   ": the run directory's base64 does not "
                                                   "decode: a cut or damaged log?"));
  }
  const std::string tgz = absl::StrCat(out_dir, "/shard-", k, ".tar.gz");
  RETURN_IF_ERROR(WriteFile(tgz, bytes));
  std::string listing;
  ASSIGN_OR_RETURN(int rc, Exec({"tar", "-tzf", tgz}, &listing));
  const std::string top = absl::StrCat("shard-", k);
  bool foreign = false;
  for (absl::string_view name : absl::StrSplit(listing, '\n', absl::SkipEmpty())) {
    if (name != top && name.substr(0, top.size() + 1) != top + "/") {
      foreign = true;
    }
    if (name.find("..") != absl::string_view::npos) {
      foreign = true;
    }
  }
  if (rc != 0 || foreign) {
    unlink(tgz.c_str());
    return absl::InvalidArgumentError(
        absl::StrCat(what, rc != 0 ? ": the archive is damaged (tar -tz failed): a cut log?"
                                   : absl::StrCat(": the archive holds more than ", top, "/")));
  }
  ASSIGN_OR_RETURN(rc, Exec({"tar", "-xzf", tgz, "-C", out_dir}, nullptr));
  unlink(tgz.c_str());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat(what, ": tar -xz exited ", rc));
  }
  return absl::OkStatus();
}

// kubectl's part: the pods of Job `name` and their logs (saved under out_dir/logs).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KubectlLogs(
    const Args& args, const std::string& name, const std::string& out_dir) {
  std::vector<std::string> kubectl = {args.Get("kubectl", "kubectl")};
  if (args.Has("namespace")) {
    kubectl.insert(kubectl.end(), {"--namespace", args.Get("namespace")});
  }
  std::vector<std::string> get = kubectl;
  get.insert(get.end(), {"get", "pods", "-l", absl::StrCat("app.kubernetes.io/instance=", name),
                         "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"});
  const bool dry = args.Has("dry-run");
  std::string pods_text;
  if (dry) {
    std::printf("%s\n", absl::StrJoin(get, " ").c_str());
    pods_text = "POD";
  } else {
    ASSIGN_OR_RETURN(int rc, Exec(get, &pods_text));
    if (rc != 0) {
      return absl::InternalError(absl::StrCat(absl::StrJoin(get, " "), ": exited ", rc));
    }
  }
  std::vector<std::pair<std::string, std::string>> logs;
  for (absl::string_view pod : absl::StrSplit(pods_text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> cmd = kubectl;
    cmd.insert(cmd.end(), {"logs", std::string(pod), "-c", "incarne"});
    if (dry) {
      std::printf("%s  # for each pod\n", absl::StrJoin(cmd, " ").c_str());
      continue;
    }
    std::string text;
    ASSIGN_OR_RETURN(int rc, Exec(cmd, &text));
    if (rc != 0) {
      return absl::InternalError(absl::StrCat(absl::StrJoin(cmd, " "), ": exited ", rc));
    }
    const std::string saved = absl::StrCat(out_dir, "/logs/", pod, ".log");
    RETURN_IF_ERROR(WriteFile(saved, text));
    logs.emplace_back(saved, std::move(text));
  }
  if (!dry && logs.empty()) {
    return absl::NotFoundError(absl::StrCat("no pods with label app.kubernetes.io/instance=", name,
                                            args.Has("namespace") ? " in namespace " : "",
                                            args.Get("namespace"),
                                            " (was the Job deleted, or another namespace?)"));
  }
  return logs;
}

absl::Status MakeEmptyDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat(dir, ": mkdir: ", strerror(errno)));
  }
  if (rmdir(dir.c_str()) == 0) {  // was empty: make it again
    if (mkdir(dir.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat(dir, ": mkdir: ", strerror(errno)));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(dir, ": exists and is not empty: collect writes into a new or empty folder"));
}

absl::Status Collect(const Args& args, std::vector<std::string>* notes) {
  const bool from_files = args.Has("logs");
  const std::vector<std::string>& pos = args.positional();
  if (!args.Has("output") || (from_files ? pos.size() < 2 : pos.size() != 2)) {
    return absl::InvalidArgumentError(
        "collect: expected NAME -o OUT_DIR, or --logs FILE... -o OUT_DIR (see --help)");
  }
  const std::string out_dir = args.Get("output");
  std::vector<std::pair<std::string, std::string>> logs;
  if (from_files) {
    for (size_t i = 1; i < pos.size(); ++i) {
      const std::string& f = pos[i];
      ASSIGN_OR_RETURN(std::string text, ReadFileToString(f));
      logs.emplace_back(f, std::move(text));
    }
  }
  if (!args.Has("dry-run")) {
    RETURN_IF_ERROR(MakeEmptyDir(out_dir));
  }
  if (!from_files) {
    if (!args.Has("dry-run") && mkdir((out_dir + "/logs").c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat(out_dir, "/logs: mkdir: ", strerror(errno)));
    }
    ASSIGN_OR_RETURN(logs, KubectlLogs(args, pos[1], out_dir));
    if (args.Has("dry-run")) {
      return absl::OkStatus();
    }
  }
  ShardLogs shards;
  for (const auto& [source, text] : logs) {
    RETURN_IF_ERROR(ParseLog(text, source, &shards));
  }
  if (shards.shards == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no shard results in ", logs.size(), " log(s): expected lines \"", kMark,
        "K/N begin\" … \"end rc=R\" (pods rendered by incarne k8s render, finished?)"));
  }
  std::vector<std::string> dirs;
  for (uint32_t k = 0; k < shards.shards; ++k) {
    auto it = shards.by_shard.find(k);
    if (it == shards.by_shard.end()) {
      notes->push_back(absl::StrCat("shard ", k, " of ", shards.shards,
                                    ": no results in any log (its pod never ran, or its log "
                                    "is gone)"));
      continue;
    }
    const ShardBlock& b = it->second;
    if (!b.ended) {
      notes->push_back(absl::StrCat("shard ", k, " of ", shards.shards, " (", b.source,
                                    "): the log ends inside its run directory (the pod was "
                                    "killed while writing it, or the log was rotated)"));
      continue;
    }
    if (b.base64.empty()) {
      notes->push_back(absl::StrCat("shard ", k, " of ", shards.shards, " (", b.source,
                                    "): incarne run exited ", b.rc,
                                    " before making a run directory (its reason is in that "
                                    "log)"));
      continue;
    }
    if (b.rc != 0 && b.rc != kExitAutostop) {
      notes->push_back(absl::StrCat("warning: shard ", k, " of ", shards.shards, " (", b.source,
                                    "): incarne run exited ", b.rc,
                                    "; its run directory is merged as it is"));
    }
    RETURN_IF_ERROR(Unpack(k, b, out_dir));
    dirs.push_back(absl::StrCat(out_dir, "/shard-", k));
  }
  if (dirs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("none of the ", shards.shards, " shards has a run directory"));
  }
  return MergeRuns(dirs, out_dir + "/merged", notes, false, args.Has("partial"));
}

}  // namespace

int RunK8s(int argc, char** argv) {
  Args args(argc, argv);
  for (const char* v :
       {"shards", "image", "namespace", "name", "start-in", "start-at", "node-selector", "cpus",
        "memory", "set", "ammo-path", "ammo-claim", "kubectl"}) {
    args.Value(v);
  }
  args.Value("output", 'o');
  for (const char* f : {"host-network", "partial", "dry-run", "logs", "seccomp-unconfined"}) {
    args.Flag(f);
  }
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("k8s", st);
  }
  const std::string verb = args.positional().empty() ? "" : args.positional()[0];
  if (args.help() || verb.empty()) {
    std::fputs(kUsage, args.help() ? stdout : stderr);
    return args.help() ? kExitOk : kExitBadInput;
  }
  if (verb == "render") {
    return Render(args);
  }
  if (verb == "collect") {
    std::vector<std::string> notes;
    absl::Status st = Collect(args, &notes);
    for (const std::string& n : notes) {
      std::fprintf(stderr, "incarne k8s collect: %s\n", n.c_str());
    }
    if (!st.ok()) {
      return Fail("k8s collect", st);
    }
    if (!args.Has("dry-run")) {
      std::fprintf(stderr,
                   "incarne k8s collect: merged run in %s/merged (incarne report %s/merged)\n",
                   args.Get("output").c_str(), args.Get("output").c_str());
    }
    return kExitOk;
  }
  return Fail("k8s", absl::InvalidArgumentError(absl::StrCat("unknown sub-command \"", verb,
                                                             "\": expected render or collect")));
}

}  // namespace incarne::cli
