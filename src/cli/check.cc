// `incarne check` — validate a plan and print it resolved (docs/design.md §5, docs/plan.md).
//   incarne check config/sink.toml
//   incarne check config/sink.toml --set load.instances=50 --set 'load.schedule=const(10,5s)'
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/cli_common.h"
#include "plan/plan_loader.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne check PLAN.toml [--set KEY=VALUE]...\n"
    "\n"
    "Validates the plan, applies the overrides and prints the resolved plan (every key with\n"
    "the value in effect) as TOML on stdout. Nothing is started: names are not resolved and\n"
    "files named by the plan (ammo, certificates, nib plugins) are not opened.\n"
    "\n"
    "  --set KEY=VALUE   override one key before validation; KEY is section.key\n"
    "                    (load.instances, target.tls.verify, ...). VALUE is a TOML value\n"
    "                    (10, true, \"text\", [\"a\", \"b\"]) or, when it is not one, a bare\n"
    "                    string: --set load.schedule=const(10,5s). May repeat; the last wins.\n"
    "\n"
    "Exit status: 0 valid, 2 invalid (the message names file:line:column and the key).\n"
    "Keys, types and defaults: docs/plan.md; an annotated plan: config/example.toml.\n";

}  // namespace

int RunCheck(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("set");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("check", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    return Fail("check",
                absl::InvalidArgumentError("expected one plan file: incarne check PLAN.toml "
                                           "[--set KEY=VALUE]... (see --help)"));
  }
  absl::StatusOr<Plan> plan = LoadPlanFile(args.positional()[0], args.GetAll("set"));
  if (!plan.ok()) {
    return Fail("check", plan.status());
  }
  const std::string toml = FormatPlanToml(*plan);
  if (std::fwrite(toml.data(), 1, toml.size(), stdout) != toml.size() || std::fflush(stdout) != 0) {
    return Fail("check", absl::UnknownError("cannot write the plan to stdout"));
  }
  return kExitOk;
}

}  // namespace incarne::cli
