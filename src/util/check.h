// Asserts in three strengths (HAProxy BUG_ON / BUG_ON_HOT):
//   CHECK(cond)      always on; use on the control plane and for invariants whose violation
//                    would corrupt results.
//   DCHECK(cond)     debug builds only (NDEBUG off).
//   DCHECK_HOT(cond) per-hit path; compiled only with -DINCARNE_HOT_CHECKS, never in release.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace incarne::internal {
[[noreturn]] inline void CheckFailed(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "incarne: %s:%d: CHECK failed: %s\n", file, line, expr);
  std::abort();
}
}  // namespace incarne::internal

#define CHECK(cond)                                                \
  do {                                                             \
    if (__builtin_expect(!(cond), 0)) {                            \
      ::incarne::internal::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                              \
  } while (0)

#ifndef NDEBUG
#define DCHECK(cond) CHECK(cond)
#else
#define DCHECK(cond) \
  do {               \
  } while (0 && (cond))
#endif

#ifdef INCARNE_HOT_CHECKS
#define DCHECK_HOT(cond) CHECK(cond)
#else
#define DCHECK_HOT(cond) \
  do {                   \
  } while (0 && (cond))
#endif
