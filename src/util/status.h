// Control-plane error helpers. Debian's abseil (20220623) ships no RETURN_IF_ERROR /
// ASSIGN_OR_RETURN, so the project keeps its own. Never use these on the per-hit path:
// a Status with a message allocates (STYLE.md "two error planes").
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define INCARNE_CONCAT_INNER_(a, b) a##b
#define INCARNE_CONCAT_(a, b) INCARNE_CONCAT_INNER_(a, b)

// RETURN_IF_ERROR(expr): evaluates expr (an absl::Status) and returns it from the calling
// function when it is not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status incarne_status_ = (expr); \
    if (!incarne_status_.ok()) {             \
      return incarne_status_;                \
    }                                        \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): expr is an absl::StatusOr<T>; on success moves the value into
// lhs (which may be a declaration such as `auto x`), otherwise returns the status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  INCARNE_ASSIGN_OR_RETURN_IMPL_(INCARNE_CONCAT_(incarne_statusor_, __LINE__), lhs, expr)

#define INCARNE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) {                                     \
    return std::move(tmp).status();                    \
  }                                                    \
  lhs = std::move(tmp).value()
