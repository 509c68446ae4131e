// `incarne status`: the daemon's status file (src/control/status.h) read back and shown to a
// person, or checked and passed through as JSON. Control plane.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace incarne::control {

// The text to print. Errors: Unavailable when the file is missing or unreadable (the daemon
// is not running or writes elsewhere), DataLoss when it is not a status object.
absl::StatusOr<std::string> ShowStatusFile(const std::string& path, bool json);

}  // namespace incarne::control
