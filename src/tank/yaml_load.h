// The one seam between yaml-cpp and the YAML readers of this room (the Tank config import and
// pandora's scenario ammo): the size guard, the parse, and yaml-cpp's exceptions turned into
// "NAME:LINE:COLUMN: YAML syntax error: ..." — the only place they are caught
// (docs/design.md §10): parsing, and — in case a call thought not to throw does — the
// conversion. Without yaml-cpp (INCARNE_HAVE_YAML 0) only the size bound is here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "incarne_config.h"
#include "util/strings.h"

#if INCARNE_HAVE_YAML
#include <yaml-cpp/yaml.h>
#endif

namespace incarne {

// The largest YAML file read (a Tank config or a scenario is a few KiB).
inline constexpr size_t kMaxYamlBytes = size_t{4} << 20;

#if INCARNE_HAVE_YAML

// Parses `text` (named `name` in messages; `what` says what it should be: "a Tank config") and
// returns convert(root), whose type is an absl::StatusOr<T>.
template <typename Convert>
auto LoadYaml(std::string_view text, std::string_view name, std::string_view what,
              Convert&& convert) -> decltype(convert(YAML::Node())) {
  if (text.size() > kMaxYamlBytes) {
    return absl::InvalidArgumentError(
        Cat(name, ": larger than ", kMaxYamlBytes >> 20, " MiB; is this ", what, "?"));
  }
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return convert(root);
  } catch (const YAML::Exception& e) {
    const YAML::Mark& m = e.mark;
    const int line = m.is_null() || m.line < 0 ? 1 : m.line + 1;
    const int column = m.is_null() || m.column < 0 ? 1 : m.column + 1;
    return absl::InvalidArgumentError(
        Cat(name, ":", line, ":", column, ": YAML syntax error: ", e.msg));
  }
}
#endif  // INCARNE_HAVE_YAML

}  // namespace incarne
