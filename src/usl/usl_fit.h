// The Universal Scalability Law fit (docs/capacity.md "The fit"):
//   X(N) = λN / (1 + σ(N−1) + κN(N−1))
// fitted to measured (N, X) points by bounded non-linear least squares: Eigen's
// Levenberg–Marquardt (MINPACK) started from Gunther's linearisation, with σ ∈ [0, 1] and
// κ ∈ [0, 1] kept in bounds by fixing a parameter that leaves them at its bound and refitting
// the others (an active set, as R's usl keeps its bounds). Control plane only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne {

struct UslPoint {
  double n = 0;  // concurrency (closed-model instances), > 0
  double x = 0;  // throughput (successful replies per second), >= 0
};

struct UslFit {
  double sigma = 0;   // contention σ
  double kappa = 0;   // coherency κ
  double lambda = 0;  // throughput of one instance λ
  // Standard errors from s²·(JᵀJ)⁻¹ at the optimum; 0 for a parameter held at its bound
  // (then `sigma_fixed` / `kappa_fixed` say so).
  double sigma_se = 0;
  double kappa_se = 0;
  double lambda_se = 0;
  bool sigma_fixed = false;
  bool kappa_fixed = false;
  // √(SSE / (points − fitted parameters)); 0 when there are no more points than parameters.
  double residual_se = 0;
  int points = 0;
  // The peak: N* = √((1−σ)/κ) and X(N*). Absent when κ = 0 (no peak: throughput only
  // approaches the ceiling λ/σ, or grows without bound when σ = 0 too).
  std::optional<double> n_max;
  std::optional<double> x_max;
  std::optional<double> x_ceiling;    // λ/σ when κ = 0 and σ > 0
  std::vector<std::string> warnings;  // e.g. fewer than 6 points, σ held at 0
};

// X(N) of a fitted law.
double UslThroughput(const UslFit& fit, double n);

// Fits the law. InvalidArgument with a message naming the problem for inputs that cannot be
// fitted: fewer than 3 distinct N, an N ≤ 0, an X < 0 or not finite, no throughput at all.
// Never returns NaN or infinities in a fit.
absl::StatusOr<UslFit> FitUsl(const std::vector<UslPoint>& points);

}  // namespace incarne
