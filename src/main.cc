// incarne — CLI dispatch only. Each subcommand lives in src/cli/<name>.cc and is listed in
// src/cli/commands.inc.
//   incarne schedule 'line(1, 5, 2s)'
//   incarne run config/quickstart.toml
#include <cstdio>
#include <cstring>

#include "incarne_config.h"

namespace incarne::cli {
#define INCARNE_COMMAND(name, fn, help) int fn(int argc, char** argv);
#include "cli/commands.inc"
#undef INCARNE_COMMAND
}  // namespace incarne::cli

namespace {

struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* help;
};

constexpr Command kCommands[] = {
#define INCARNE_COMMAND(name, fn, help) {name, &incarne::cli::fn, help},
#include "cli/commands.inc"
#undef INCARNE_COMMAND
    {nullptr, nullptr, nullptr},
};

void Usage(FILE* out) {
  std::fprintf(out,
               "incarne %s — io_uring load generator (successor of phantom)\n\n"
               "usage: incarne <command> [options]   (incarne <command> --help)\n\n",
               INCARNE_VERSION);
  for (const Command& c : kCommands) {
    if (c.name != nullptr) {
      std::fprintf(out, "  %-10s %s\n", c.name, c.help);
    }
  }
  std::fprintf(out, "\n  --version  print the version\n");
}

}  // namespace

int main(int argc, char** argv) {
  // Invoked as `phantom` (a link made by the build/packaging): the Tank drop-in.
  const char* base = std::strrchr(argv[0], '/');
  base = base != nullptr ? base + 1 : argv[0];
  if (std::strcmp(base, "phantom") == 0) {
    for (const Command& c : kCommands) {
      if (c.name != nullptr && std::strcmp(c.name, "phantom") == 0) {
        return c.fn(argc, argv);
      }
    }
  }
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    Usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0) {
    std::printf("incarne %s\n", INCARNE_VERSION);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (c.name != nullptr && std::strcmp(c.name, argv[1]) == 0) {
      return c.fn(argc - 1, argv + 1);
    }
  }
  std::fprintf(stderr, "incarne: unknown command '%s'\n\n", argv[1]);
  Usage(stderr);
  return 2;
}
