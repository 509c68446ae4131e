#include "cli/cli_common.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace incarne::cli {

int Fail(std::string_view command, const absl::Status& status) {
  std::fprintf(stderr, "incarne %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(status.message().size()), status.message().data());
  return ExitCodeFor(status);
}

Args::Args(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    argv_.emplace_back(argv[i]);
  }
}

void Args::Value(std::string_view long_name, char short_name) {
  specs_.push_back(Spec{std::string(long_name), short_name, true});
}

void Args::Flag(std::string_view long_name, char short_name) {
  specs_.push_back(Spec{std::string(long_name), short_name, false});
}

absl::Status Args::Parse() {
  bool only_positional = false;
  for (size_t i = 0; i < argv_.size(); ++i) {
    const std::string& a = argv_[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    const Spec* spec = nullptr;
    std::string inline_value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      for (const Spec& s : specs_) {
        if (s.name == name) {
          spec = &s;
        }
      }
    } else if (a.size() == 2) {
      for (const Spec& s : specs_) {
        if (s.short_name != 0 && s.short_name == a[1]) {
          spec = &s;
        }
      }
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", a, "' (see --help)"));
    }
    if (!spec->takes_value) {
      if (has_inline) {
        return absl::InvalidArgumentError(
            absl::StrCat("option '--", spec->name, "' takes no value"));
      }
      values_.emplace_back(spec->name, "");
      continue;
    }
    if (has_inline) {
      values_.emplace_back(spec->name, inline_value);
    } else if (i + 1 < argv_.size()) {
      values_.emplace_back(spec->name, argv_[++i]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("option '", a, "' expects a value"));
    }
  }
  return absl::OkStatus();
}

bool Args::Has(std::string_view long_name) const {
  for (const auto& [k, v] : values_) {
    if (k == long_name) {
      return true;
    }
  }
  return false;
}

std::string Args::Get(std::string_view long_name, std::string_view fallback) const {
  std::string out(fallback);
  for (const auto& [k, v] : values_) {
    if (k == long_name) {
      out = v;  // last one wins
    }
  }
  return out;
}

std::vector<std::string> Args::GetAll(std::string_view long_name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : values_) {
    if (k == long_name) {
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace incarne::cli
