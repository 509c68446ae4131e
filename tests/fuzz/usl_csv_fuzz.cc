// libFuzzer target: ParseUslCsv accepts or refuses any text without crashing; an accepted
// text gives finite points with N > 0 and X >= 0, and fitting them never yields NaN.
//   tests/fuzz/run-fuzz build/tests/fuzz/usl_csv_fuzz tests/fuzz/corpus/usl_csv
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "usl/usl_fit.h"
#include "usl/usl_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<std::vector<incarne::UslPoint>> points =
      incarne::ParseUslCsv(text, "fuzz.csv");
  if (!points.ok()) {
    return 0;
  }
  for (const incarne::UslPoint& p : *points) {
    if (!(p.n > 0) || !(p.x >= 0) || !std::isfinite(p.n) || !std::isfinite(p.x)) {
      std::fprintf(stderr, "usl_csv_fuzz: accepted a bad point %g,%g\n", p.n, p.x);
      std::abort();
    }
  }
  const absl::StatusOr<incarne::UslFit> fit = incarne::FitUsl(*points);
  if (fit.ok() && (!std::isfinite(fit->sigma) || !std::isfinite(fit->kappa) ||
                   !std::isfinite(fit->lambda) || !std::isfinite(fit->residual_se) ||
                   (fit->n_max.has_value() && !std::isfinite(*fit->n_max)))) {
    std::fprintf(stderr, "usl_csv_fuzz: a fit with NaN or infinity\n");
    std::abort();
  }
  return 0;
}
