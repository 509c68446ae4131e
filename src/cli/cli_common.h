// Small helpers shared by the subcommands: argument scanning and error printing.
// Control plane only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "util/exit_code.h"  // kExit* and ExitCodeFor, shared with the phantom drop-in

namespace incarne::cli {

// Prints "incarne <command>: <status message>" to stderr and returns ExitCodeFor(status):
// InvalidArgument/NotFound/OutOfRange/FailedPrecondition → 2, others → 1.
int Fail(std::string_view command, const absl::Status& status);

// A minimal option scanner: `--name VALUE`, `--name=VALUE`, `-o VALUE` and flags.
// Positional arguments are collected in order. Unknown options are an error (exit 2).
class Args {
 public:
  Args(int argc, char** argv);
  // Declares an option taking a value (may repeat) or a flag. Call before Parse().
  void Value(std::string_view long_name, char short_name = 0);
  void Flag(std::string_view long_name, char short_name = 0);
  absl::Status Parse();

  bool Has(std::string_view long_name) const;
  std::string Get(std::string_view long_name, std::string_view fallback = "") const;
  std::vector<std::string> GetAll(std::string_view long_name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }

 private:
  struct Spec {
    std::string name;
    char short_name;
    bool takes_value;
  };
  std::vector<std::string> argv_;
  std::vector<Spec> specs_;
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace incarne::cli
