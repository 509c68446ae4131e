// A whole small text file (a plan, a Tank config) read into memory, with the errors a user
// can act on. Control plane, any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace incarne {

// The bytes of `path`. `what` names the kind of file in messages ("plan file", "Tank
// config"): NotFound "PATH: no such <what>" for a missing file; InvalidArgument for a
// directory ("PATH: is a directory, not a <what>"), an unreadable file, or one larger than
// `max_bytes` ("PATH: larger than N MiB; is this a <what>?").
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                          std::string_view what);

}  // namespace incarne
