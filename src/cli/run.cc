// `incarne run` — one run of a plan (docs/design.md §5; docs/engine.md), driven through
// src/cli/launch_cli.h (signals, $GRACEFUL, the live line, the report).
//   incarne run config/dummy.toml
//   incarne run config/sink.toml --set 'load.schedule=const(500,10s)' --out runs/try1
//   incarne run plan.toml --shard 0/4 --start-at 1767225600      (one of four shards)
//   incarne run --tank load.yaml        (the phantom: section of a Yandex.Tank config)
//   incarne run http://127.0.0.1:8080/ -r 1000 -d 30s      (a one-line run: src/cli/oneline.h)
// The command line is parsed with CLI11; --help prints kUsage (both forms, with examples).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/capacity_run.h"
#include "cli/cli_common.h"
#include "cli/launch_cli.h"
#include "cli/oneline.h"
#include "engine/launcher.h"
#include "plan/plan_loader.h"
#include "tank/tank_yaml.h"
#include "util/output_file.h"
#include "util/small_file.h"
#include "util/status.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne run PLAN.toml [--set KEY=VALUE]... [--out DIR] [--shard K/N]\n"
    "                   [--start-at UNIX_SECONDS]\n"
    "       incarne run --tank LOAD.yaml [same options]\n"
    "       incarne run URL [URL...] [-r N | -c N] [-d D] [--schedule EXPR] [-m METHOD]\n"
    "                   [-H 'Name: value']... [--body FILE] [-t N] [--timeout D]\n"
    "                   [--https-insecure | --ca FILE] [--autocases N|uri|uniq]\n"
    "                   [--ammo-out FILE] [--print-plan] [same options]\n"
    "\n"
    "  incarne run config/sink.toml --set 'load.schedule=const(500,10s)'\n"
    "  incarne run http://127.0.0.1:8080/ -r 1000 -d 30s\n"
    "  incarne run http://127.0.0.1:8080/ -r 1000 --print-plan > plan.toml   (then edit, run)\n"
    "\n"
    "Runs the plan: validates it (nothing is written or fired when anything is wrong),\n"
    "creates the run directory (plan.toml, hits, stats.jsonl, summary.json, incarne.log),\n"
    "fires the schedule, prints a live line each second on stderr and the report at the end.\n"
    "\n"
    "  --tank LOAD.yaml  instead of PLAN.toml: run the phantom: section of a Yandex.Tank\n"
    "                    config (docs/tank.md); phout.log is always written; --set applies\n"
    "                    on top of the converted plan\n"
    "  --set KEY=VALUE   override one plan key (as in `incarne check`); may repeat\n"
    "  -o, --out DIR     the run directory (default: results.dir, {time} expanded); it must\n"
    "                    not exist or be empty\n"
    "  --shard K/N       fire only the global shots i with i mod N = K (0 <= K < N)\n"
    "  --start-at T      the run's origin is wall-clock time T (unix seconds, may have a\n"
    "                    fraction), so that shards on several boxes share one timeline;\n"
    "                    at most 60 s in the past and a day ahead (the live line counts down)\n"
    "\n"
    "One-line runs (docs/cli.md): the URLs and flags become a plan, run like a plan file.\n"
    "URL is http://, https:// or udp://HOST[:PORT][/PATH][?QUERY][#TAG]; IPv6 in brackets\n"
    "(http://[::1]:8080/). Several URLs share one scheme and host:port; each is one request,\n"
    "sent in turn. #TAG tags the URL's hits (stats per tag).\n"
    "  -r, --rate N          open model: N hits per second, const(N, D)\n"
    "  -c, --connections N   closed model: N connections, each firing when its reply came\n"
    "                        (default without -r/-c/--schedule: -c 10)\n"
    "  -d, --duration D      how long (default 10s): 30s, 1m30s, 500ms\n"
    "  --schedule EXPR       the rps schedule instead of -r/-c/-d (`incarne schedule` syntax)\n"
    "  -m, --method M        request method (default GET)\n"
    "  -H, --header 'N: v'   a request header; may repeat (Host is added unless given)\n"
    "  --body FILE           the request body (@- = stdin; needs -m); udp://: the datagram\n"
    "  -t, --threads N       worker threads (default 0: one per core)\n"
    "  --timeout D           budget of one hit (default 11s)\n"
    "  --https-insecure      https: do not verify the server (verified by default)\n"
    "  --ca FILE             https: verify the server against this CA bundle (PEM)\n"
    "  --autocases N|uri|uniq  tag each request by its path (Tank's autocases)\n"
    "  --ammo-out FILE       keep the requests there (needed with --print-plan when they\n"
    "                        are not plain GETs: a method, a body, a tag, udp)\n"
    "  --print-plan          print the plan (with --set applied) and exit: what a run writes\n"
    "                        as plan.toml, a start for a plan file\n"
    "\n"
    "SIGINT/SIGTERM: stop firing, let hits in flight finish (up to target.timeout), write\n"
    "everything, exit 0. A second signal stops at once (hits in flight are recorded as\n"
    "ECANCELED) and still leaves a readable run directory. With GRACEFUL=<path> in the\n"
    "environment (Taurus), the file appearing at <path> counts as the first SIGTERM.\n"
    "\n"
    "Exit status: 0 done (also after a signal), 1 the run failed (e.g. the target name does\n"
    "not resolve, disk full), 2 bad input (usage, plan, ammo, schedule, URL, flags; nothing\n"
    "was started).\n";

absl::Status ParseShard(const std::string& text, uint32_t* k, uint32_t* n) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || !absl::SimpleAtoi(text.substr(0, slash), k) ||
      !absl::SimpleAtoi(text.substr(slash + 1), n) || *n == 0 || *k >= *n) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard \"", text, "\": expected K/N with 0 <= K < N, e.g. 0/4"));
  }
  return absl::OkStatus();
}

// The one-liner's name for its plan in messages, plan.toml's first line and {name}.
constexpr char kOnelinePlanName[] = "command-line";
constexpr size_t kMaxBodyBytes = 64u << 20;

// --body FILE, or @- for stdin; errors name --body.
absl::StatusOr<std::string> ReadBody(const std::string& arg) {
  if (arg == "@-") {
    std::string out;
    char buf[65536];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) {
      out.append(buf, n);
      if (out.size() > kMaxBodyBytes) {
        return absl::InvalidArgumentError("--body @-: stdin holds more than 64 MiB");
      }
    }
    if (std::ferror(stdin) != 0) {
      return absl::InvalidArgumentError("--body @-: cannot read stdin");
    }
    return out;
  }
  if (arg.empty()) {
    return absl::InvalidArgumentError("--body: expected a file (@- = stdin)");
  }
  absl::StatusOr<std::string> body = ReadSmallFile(arg, kMaxBodyBytes, "body file");
  if (!body.ok()) {
    return absl::Status(body.status().code(), absl::StrCat("--body: ", body.status().message()));
  }
  return body;
}

// Writes `text` to `path` whole (replaced, never half-written).
absl::Status WriteWhole(const std::string& path, std::string_view text) {
  std::unique_ptr<OutputFile> f;
  ASSIGN_OR_RETURN(f, OutputFile::Open(path));
  RETURN_IF_ERROR(f->Write(text));
  return f->Commit();
}

// The flags of both forms, as CLI11 fills them (app.count(NAME) tells whether one was given).
struct RunFlags {
  std::vector<std::string> positional;
  std::vector<std::string> sets;
  std::string out, shard, start_at, tank;
  OnelineFlags oneline;
  std::string rate, connections, duration, schedule, method, body, threads, timeout, autocases, ca,
      ammo_out;
  bool print_plan = false;
  bool help = false;
};

// Declares every option of `incarne run` on `app`.
void DeclareFlags(CLI::App* app, RunFlags* f) {
  app->set_help_flag();  // --help prints kUsage (both forms), not CLI11's listing
  app->add_flag("-h,--help", f->help);
  app->add_option("PLAN_OR_URL", f->positional);
  app->add_option("--set", f->sets)->allow_extra_args(false);
  const auto last = CLI::MultiOptionPolicy::TakeLast;
  app->add_option("-o,--out", f->out)->multi_option_policy(last);
  app->add_option("--shard", f->shard)->multi_option_policy(last);
  app->add_option("--start-at", f->start_at)->multi_option_policy(last);
  app->add_option("--tank", f->tank)->multi_option_policy(last);
  app->add_option("-r,--rate", f->rate);
  app->add_option("-c,--connections", f->connections);
  app->add_option("-d,--duration", f->duration);
  app->add_option("--schedule", f->schedule);
  app->add_option("-m,--method", f->method);
  app->add_option("-H,--header", f->oneline.headers)->allow_extra_args(false);
  app->add_option("--body", f->body);
  app->add_option("-t,--threads", f->threads);
  app->add_option("--timeout", f->timeout);
  app->add_option("--autocases", f->autocases);
  app->add_flag("--https-insecure", f->oneline.https_insecure);
  app->add_option("--ca", f->ca);
  app->add_option("--ammo-out", f->ammo_out);
  app->add_flag("--print-plan", f->print_plan);
}

// The options both forms share (--set, --out, --shard, --start-at) into `o`; checked before
// anything is written.
absl::Status FillCommon(const CLI::App& app, const RunFlags& f, LaunchOptions* o) {
  o->overrides = f.sets;
  o->out_dir = f.out;
  if (app.count("--out") > 0 && o->out_dir.empty()) {
    return absl::InvalidArgumentError("--out: expected a directory");
  }
  if (app.count("--shard") > 0) {
    RETURN_IF_ERROR(ParseShard(f.shard, &o->shard, &o->shards));
  }
  if (app.count("--start-at") > 0) {
    double t = 0;
    const std::string& text = f.start_at;
    if (!absl::SimpleAtod(text, &t) || !std::isfinite(t) || t <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--start-at \"", text, "\": expected unix seconds, e.g. 1767225600"));
    }
    // Nanoseconds in an int64 end in 2262; the launcher then bounds it near now.
    if (t >= 9.2e9) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--start-at \"", text, "\": does not fit in 64-bit nanoseconds (at most 9200000000)"));
    }
    o->has_start_at = true;
    o->start_at_unix_ns = static_cast<int64_t>(std::llround(t * 1e9));
  }
  return absl::OkStatus();
}

// Runs `o` with the command line's signals, live line and report.
int Launch(LaunchOptions o) {
  CliLaunchOptions cli;
  if (const char* graceful = std::getenv("GRACEFUL"); graceful != nullptr && *graceful != 0) {
    cli.graceful_path = graceful;
  }
  cli.live_tty = isatty(STDERR_FILENO) != 0;
  // load.model = "find-max" | "usl": the capacity finder drives the steps (docs/capacity.md).
  if (std::optional<int> code = MaybeRunCapacity(o, cli); code.has_value()) {
    return *code;
  }
  absl::StatusOr<LaunchResult> r = LaunchFromCli(std::move(o), cli);
  if (!r.ok()) {
    return Fail("run", r.status());
  }
  return r->exit_code;
}

constexpr const char* kOnelineOnly[] = {
    "--rate",           "--connections", "--duration", "--schedule",  "--method",
    "--header",         "--body",        "--threads",  "--timeout",   "--autocases",
    "--https-insecure", "--ca",          "--ammo-out", "--print-plan"};

// URL form: builds the plan, prints it (--print-plan) or fills `o` to run it. Returns the
// exit code when done here (-1: run `o`).
int PrepareOneline(const CLI::App& app, RunFlags* flags, LaunchOptions* o) {
  RunFlags& f = *flags;
  if (!f.tank.empty() || app.count("--tank") > 0) {
    return Fail("run", absl::InvalidArgumentError(
                           "--tank LOAD.yaml and URLs: give one of them (see --help)"));
  }
  OnelineFlags& of = f.oneline;
  of.urls = f.positional;
  auto opt = [&app](const char* name, const std::string& v) {
    return app.count(name) > 0 ? std::optional<std::string>(v) : std::nullopt;
  };
  of.rate = opt("--rate", f.rate);
  of.connections = opt("--connections", f.connections);
  of.duration = opt("--duration", f.duration);
  of.schedule = opt("--schedule", f.schedule);
  of.method = opt("--method", f.method);
  of.threads = opt("--threads", f.threads);
  of.timeout = opt("--timeout", f.timeout);
  of.autocases = opt("--autocases", f.autocases);
  of.ca_file = opt("--ca", f.ca);
  if (app.count("--body") > 0) {
    absl::StatusOr<std::string> body = ReadBody(f.body);
    if (!body.ok()) {
      return Fail("run", body.status());
    }
    of.body = std::move(*body);
  }
  const bool keep_ammo = app.count("--ammo-out") > 0;
  if (keep_ammo && f.ammo_out.empty()) {
    return Fail("run", absl::InvalidArgumentError("--ammo-out: expected a file"));
  }
  // Built with the final ammo path when it is known, a stand-in for a temporary file: the
  // loader does not open files, so the text validates the same (nothing is written before).
  const std::string stand_in = keep_ammo ? f.ammo_out : "ammo.txt";
  absl::StatusOr<OnelinePlan> built = BuildOnelinePlan(of, stand_in);
  if (!built.ok()) {
    return Fail("run", built.status());
  }
  const bool needs_file = !built->ammo_text.empty();
  if (!needs_file && keep_ammo) {
    return Fail("run", absl::InvalidArgumentError(
                           "--ammo-out: these requests are plain GETs, kept in the plan "
                           "(ammo.uris); there is no ammo file to write"));
  }
  if (needs_file && f.print_plan && !keep_ammo) {
    return Fail("run", absl::InvalidArgumentError(
                           "--print-plan: these requests (a method, a body, a #tag or udp) go "
                           "in an ammo file the plan names: add --ammo-out FILE"));
  }
  absl::StatusOr<Plan> resolved =
      LoadPlanText(FormatPlanToml(built->plan), kOnelinePlanName, f.sets);
  if (!resolved.ok()) {
    return Fail("run", resolved.status());
  }
  if (needs_file && keep_ammo) {
    if (absl::Status st = WriteWhole(f.ammo_out, built->ammo_text); !st.ok()) {
      return Fail("run", st);
    }
  } else if (needs_file) {
    o->ammo_text = std::move(built->ammo_text);  // the run writes it as RUN_DIR/ammo.txt
  }
  if (f.print_plan) {
    const std::string toml = FormatPlanToml(*resolved);
    if (std::fwrite(toml.data(), 1, toml.size(), stdout) != toml.size() ||
        std::fflush(stdout) != 0) {
      return Fail("run", absl::UnknownError("cannot write the plan to stdout"));
    }
    return kExitOk;
  }
  o->plan_path = kOnelinePlanName;
  o->plan_text = FormatPlanToml(built->plan);
  return -1;
}

}  // namespace

int RunRun(int argc, char** argv) {
  CLI::App app{"", "incarne run"};
  RunFlags f;
  DeclareFlags(&app, &f);
  try {
    app.parse(argc, argv);  // argv[0] is "run", taken as the program name
  } catch (const CLI::ParseError& e) {
    return Fail("run", absl::InvalidArgumentError(absl::StrCat(e.what(), " (see --help)")));
  }
  if (f.help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const bool tank = app.count("--tank") > 0;
  const bool urls = !f.positional.empty() && f.positional[0].find("://") != std::string::npos;
  LaunchOptions o;
  if (absl::Status st = FillCommon(app, f, &o); !st.ok()) {
    return Fail("run", st);
  }
  if (urls) {
    if (int rc = PrepareOneline(app, &f, &o); rc >= 0) {
      return rc;
    }
  } else {
    for (const char* name : kOnelineOnly) {
      if (app.count(name) > 0) {
        return Fail("run", absl::InvalidArgumentError(absl::StrCat(
                               name, ": only with URLs (incarne run URL ", name,
                               " ...); a plan file says it in its keys (see --help)")));
      }
    }
    if (tank && !f.positional.empty()) {
      return Fail("run", absl::InvalidArgumentError(
                             "--tank LOAD.yaml replaces PLAN.toml: give one of them (see --help)"));
    }
    if (!tank && f.positional.size() != 1) {
      return Fail("run", absl::InvalidArgumentError(
                             "expected one plan file or URLs: incarne run PLAN.toml, incarne run "
                             "http://HOST:PORT/ -r N (see --help)"));
    }
  }
  if (tank) {
    o.plan_path = f.tank;
    if (o.plan_path.empty()) {
      return Fail("run", absl::InvalidArgumentError("--tank: expected a Tank YAML file"));
    }
    absl::StatusOr<TankImport> imported = LoadTankYamlFile(o.plan_path);
    if (!imported.ok()) {
      return Fail("run", imported.status());
    }
    for (const std::string& note : imported->notes) {
      std::fprintf(stderr, "incarne run: %s: %s\n", o.plan_path.c_str(), note.c_str());
    }
    o.plan_text = FormatPlanToml(imported->plan);
  } else if (!urls) {
    o.plan_path = f.positional[0];
  }
  return Launch(std::move(o));
}

}  // namespace incarne::cli
