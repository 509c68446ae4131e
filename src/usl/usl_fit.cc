// The USL fit: Gunther's linearisation for a start, then Eigen's Levenberg–Marquardt with an
// active set for the bounds (usl_fit.h; docs/capacity.md "The fit").
#include "usl/usl_fit.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <set>
#include <unsupported/Eigen/NonLinearOptimization>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace incarne {
namespace {

// Parameter order in the solver: λ (in units of the start value λ0, so all three are of
// order one or less), σ, κ.
enum Param : int { kLambda = 0, kSigma = 1, kKappa = 2 };

// Bounds as R's usl: λ ≥ 0, 0 ≤ σ ≤ 1, 0 ≤ κ ≤ 1.
constexpr double kLow[3] = {0, 0, 0};
constexpr double kHigh[3] = {HUGE_VAL, 1, 1};

double Denominator(double sigma, double kappa, double n) {
  return 1 + sigma * (n - 1) + kappa * n * (n - 1);
}

// The residuals model − X/λ0 over the free parameters; `fixed` holds the values of the others.
struct Residuals {
  const std::vector<UslPoint>* points;
  double lambda0;
  std::array<bool, 3> free;
  std::array<double, 3> fixed;
  int n_free;

  int inputs() const { return n_free; }
  int values() const { return static_cast<int>(points->size()); }

  std::array<double, 3> Full(const Eigen::VectorXd& v) const {
    std::array<double, 3> p = fixed;
    int k = 0;
    for (int i = 0; i < 3; ++i) {
      if (free[i]) {
        p[i] = v[k++];
      }
    }
    return p;
  }

  int operator()(const Eigen::VectorXd& v, Eigen::VectorXd& f) const {
    const std::array<double, 3> p = Full(v);
    for (size_t i = 0; i < points->size(); ++i) {
      const double n = (*points)[i].n;
      f[static_cast<Eigen::Index>(i)] =
          p[kLambda] * n / Denominator(p[kSigma], p[kKappa], n) - (*points)[i].x / lambda0;
    }
    return 0;
  }

  // ∂X/∂λ = N/D, ∂X/∂σ = −λN(N−1)/D², ∂X/∂κ = −λN²(N−1)/D².
  int df(const Eigen::VectorXd& v, Eigen::MatrixXd& j) const {
    const std::array<double, 3> p = Full(v);
    for (size_t i = 0; i < points->size(); ++i) {
      const double n = (*points)[i].n;
      const double d = Denominator(p[kSigma], p[kKappa], n);
      const double all[3] = {n / d, -p[kLambda] * n * (n - 1) / (d * d),
                             -p[kLambda] * n * n * (n - 1) / (d * d)};
      int k = 0;
      for (int c = 0; c < 3; ++c) {
        if (free[c]) {
          j(static_cast<Eigen::Index>(i), k++) = all[c];
        }
      }
    }
    return 0;
  }
};

// Gunther's linearisation (docs/capacity.md): with C = X/λ0, x = N−1, y = N/C − 1, the law
// is y = κx² + (σ+κ)x; a least-squares quadratic through the origin gives κ and σ. Falls
// back to R usl's start (σ 0.01, κ 1e-4) when the points cannot determine the quadratic.
std::array<double, 3> StartValues(const std::vector<UslPoint>& points, double lambda0) {
  double sx2 = 0, sx3 = 0, sx4 = 0, sxy = 0, sx2y = 0;
  for (const UslPoint& p : points) {
    if (p.n <= 1 || p.x <= 0) {
      continue;
    }
    const double x = p.n - 1;
    const double y = p.n / (p.x / lambda0) - 1;
    sx2 += x * x;
    sx3 += x * x * x;
    sx4 += x * x * x * x;
    sxy += x * y;
    sx2y += x * x * y;
  }
  const double det = sx4 * sx2 - sx3 * sx3;
  double sigma = 0.01, kappa = 1e-4;
  if (std::isfinite(det) && det > 1e-12 * sx4 * sx2) {
    const double a = (sx2y * sx2 - sx3 * sxy) / det;  // κ
    const double b = (sx4 * sxy - sx3 * sx2y) / det;  // σ + κ
    if (std::isfinite(a) && std::isfinite(b)) {
      kappa = std::clamp(a, 0.0, 1.0);
      sigma = std::clamp(b - a, 0.0, 1.0);
    }
  }
  return {1.0, sigma, kappa};
}

struct Solved {
  std::array<double, 3> p;  // λ/λ0, σ, κ
  std::array<bool, 3> free;
};

// Minimises over the parameters marked free, starting from `start`.
std::array<double, 3> Minimise(const std::vector<UslPoint>& points, double lambda0,
                               const std::array<double, 3>& start,
                               const std::array<bool, 3>& free) {
  Residuals r{&points, lambda0, free, start, 0};
  for (bool f : free) {
    r.n_free += f ? 1 : 0;
  }
  if (r.n_free == 0) {
    return start;
  }
  Eigen::VectorXd v(r.n_free);
  int k = 0;
  for (int i = 0; i < 3; ++i) {
    if (free[i]) {
      v[k++] = start[i];
    }
  }
  Eigen::LevenbergMarquardt<Residuals> lm(r);
  lm.parameters.ftol = 1e-14;
  lm.parameters.xtol = 1e-14;
  lm.parameters.maxfev = 5000;
  lm.minimize(v);
  return r.Full(v);
}

// The bounded fit: minimise, then hold every parameter that left its bounds at the bound it
// crossed and minimise the others again, until all are inside.
Solved BoundedFit(const std::vector<UslPoint>& points, double lambda0) {
  std::array<double, 3> start = StartValues(points, lambda0);
  std::array<bool, 3> free = {true, true, true};
  std::array<double, 3> p = start;
  for (int round = 0; round < 3; ++round) {
    p = Minimise(points, lambda0, start, free);
    bool moved = false;
    for (int i = 0; i < 3; ++i) {
      if (free[i] && (p[i] < kLow[i] || p[i] > kHigh[i] || !std::isfinite(p[i]))) {
        start[i] = std::isfinite(p[i]) && p[i] > kHigh[i] ? kHigh[i] : kLow[i];
        free[i] = false;
        moved = true;
      } else if (free[i]) {
        start[i] = p[i];
      }
    }
    if (!moved) {
      break;
    }
  }
  for (int i = 0; i < 3; ++i) {
    p[i] = std::clamp(std::isfinite(p[i]) ? p[i] : kLow[i], kLow[i], kHigh[i]);
  }
  return {p, free};
}

absl::Status CheckPoints(const std::vector<UslPoint>& points) {
  std::set<double> ns;
  bool any_x = false, all_x_equal = true;
  for (size_t i = 0; i < points.size(); ++i) {
    const UslPoint& p = points[i];
    if (!std::isfinite(p.n) || p.n <= 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("point %d: N = %g, expected a concurrency > 0", i + 1, p.n));
    }
    if (!std::isfinite(p.x) || p.x < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("point %d: X = %g, expected a throughput >= 0", i + 1, p.x));
    }
    ns.insert(p.n);
    any_x = any_x || p.x > 0;
    all_x_equal = all_x_equal && p.x == points[0].x;
  }
  if (ns.size() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the USL has 3 parameters: it needs points at 3 or more distinct N, got ",
        ns.size() == 1 && points.size() == 1 ? "one point" : absl::StrCat(ns.size(), " N")));
  }
  if (!any_x) {
    return absl::InvalidArgumentError("every point has X = 0: there is no throughput to fit");
  }
  if (all_x_equal) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "every point has the same X = %g: throughput does not change with N, so the law "
        "cannot tell contention from coherency (is the target limited elsewhere?)",
        points[0].x));
  }
  return absl::OkStatus();
}

// Standard errors of the free parameters from s²·(JᵀJ)⁻¹ in the caller's units.
void StandardErrors(const std::vector<UslPoint>& points, UslFit* fit, const Solved& s) {
  const int n_free = (s.free[0] ? 1 : 0) + (s.free[1] ? 1 : 0) + (s.free[2] ? 1 : 0);
  const int m = static_cast<int>(points.size());
  double sse = 0;
  for (const UslPoint& p : points) {
    const double e = p.x - UslThroughput(*fit, p.n);
    sse += e * e;
  }
  if (n_free == 0) {
    return;
  }
  if (m <= n_free) {
    fit->warnings.push_back("as many points as fitted parameters: no residual or standard errors");
    return;
  }
  const double s2 = sse / (m - n_free);
  fit->residual_se = std::sqrt(s2);
  Residuals r{&points, 1.0, s.free, {fit->lambda, fit->sigma, fit->kappa}, n_free};
  Eigen::VectorXd v(n_free);
  int k = 0;
  const double full[3] = {fit->lambda, fit->sigma, fit->kappa};
  for (int i = 0; i < 3; ++i) {
    if (s.free[i]) {
      v[k++] = full[i];
    }
  }
  Eigen::MatrixXd j(m, n_free);
  r.df(v, j);
  const Eigen::MatrixXd jtj = j.transpose() * j;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(jtj);
  if (!lu.isInvertible()) {
    fit->warnings.push_back("the Jacobian is singular: no standard errors");
    return;
  }
  const Eigen::MatrixXd cov = lu.inverse() * s2;
  double* se[3] = {&fit->lambda_se, &fit->sigma_se, &fit->kappa_se};
  k = 0;
  for (int i = 0; i < 3; ++i) {
    if (s.free[i]) {
      const double var = cov(k, k);
      *se[i] = var > 0 && std::isfinite(var) ? std::sqrt(var) : 0;
      ++k;
    }
  }
}

}  // namespace

double UslThroughput(const UslFit& fit, double n) {
  return fit.lambda * n / Denominator(fit.sigma, fit.kappa, n);
}

absl::StatusOr<UslFit> FitUsl(const std::vector<UslPoint>& points) {
  if (absl::Status st = CheckPoints(points); !st.ok()) {
    return st;
  }
  // λ0: the throughput of one instance when measured, else the best throughput per instance.
  double lambda0 = 0;
  for (const UslPoint& p : points) {
    lambda0 = std::max(lambda0, p.x / p.n);
  }
  for (const UslPoint& p : points) {
    if (p.n == 1 && p.x > 0) {
      lambda0 = p.x;
    }
  }
  const Solved s = BoundedFit(points, lambda0);
  if (!(s.p[kLambda] > 0)) {
    return absl::InvalidArgumentError(
        "the points do not follow the law: the best fit has λ = 0 (no throughput at N = 1)");
  }
  UslFit fit;
  fit.points = static_cast<int>(points.size());
  fit.lambda = s.p[kLambda] * lambda0;
  fit.sigma = s.p[kSigma];
  fit.kappa = s.p[kKappa];
  fit.sigma_fixed = !s.free[kSigma];
  fit.kappa_fixed = !s.free[kKappa];
  if (fit.points < 6) {
    fit.warnings.push_back(
        absl::StrCat("only ", fit.points, " points: a USL fit wants 6 or more to be trusted"));
  }
  if (fit.sigma_fixed && fit.sigma == 0) {
    fit.warnings.push_back(
        "σ held at 0: the points scale better than linearly (super-linear, or a bad "
        "measurement at small N)");
  }
  StandardErrors(points, &fit, s);
  // A κ this small puts the peak beyond any concurrency worth naming (N* > 10⁹).
  if (fit.kappa > 1e-18 && fit.sigma < 1) {
    fit.n_max = std::sqrt((1 - fit.sigma) / fit.kappa);
    fit.x_max = UslThroughput(fit, *fit.n_max);
  } else if (fit.sigma > 0) {
    fit.x_ceiling = fit.lambda / fit.sigma;
    fit.warnings.push_back(absl::StrFormat(
        "κ = 0: no peak; throughput approaches λ/σ = %.6g as N grows", *fit.x_ceiling));
  } else {
    fit.warnings.push_back("σ = κ = 0: throughput grows linearly, no peak and no ceiling");
  }
  return fit;
}

}  // namespace incarne
