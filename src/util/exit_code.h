// incarne's exit codes and the one mapping from a control-plane Status to them, shared by the
// CLI (src/cli) and the phantom drop-in's stream children (src/tank), so that a refusal gives
// the same code whichever process reports it (docs/design.md §5 "Exit codes").
#pragma once

#include "absl/status/status.h"

namespace incarne {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitAutostop = 3;

// Bad input (InvalidArgument, NotFound, OutOfRange, FailedPrecondition: nothing was started
// because of what the user gave) → 2; any other error → 1; OK → 0.
inline int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return kExitBadInput;
    default:
      return kExitFailed;
  }
}

}  // namespace incarne
