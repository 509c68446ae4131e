#include "usl/usl_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace incarne {
namespace {

std::string PlusMinus(const UslFit& fit, double se, bool fixed) {
  if (fixed) {
    return "(held at its bound)";
  }
  return se > 0 ? absl::StrFormat("± %.3g", se) : "";
}

void OptionalDouble(JsonWriter* j, const char* key, const std::optional<double>& v, int decimals) {
  j->Key(key);
  if (v.has_value()) {
    j->Double(*v, decimals);
  } else {
    j->Null();
  }
}

}  // namespace

std::vector<UslPoint> PointsOf(const std::vector<UslStepPoint>& measured) {
  std::vector<UslPoint> out;
  for (const UslStepPoint& p : measured) {
    out.push_back({static_cast<double>(p.n), p.x});
  }
  return out;
}

std::string UslText(const UslFit& fit, const std::vector<UslStepPoint>& measured) {
  std::string out;
  if (!measured.empty()) {
    absl::StrAppend(&out, "measured:\n  N        X (ok/s)     fitted X   seconds   errors\n");
    for (const UslStepPoint& p : measured) {
      absl::StrAppendFormat(&out, "  %-8d %-12.1f %-10.1f %-9d %d\n", p.n, p.x,
                            UslThroughput(fit, static_cast<double>(p.n)), p.seconds, p.errors);
    }
  }
  absl::StrAppendFormat(&out, "USL fit of %d points: X(N) = λN / (1 + σ(N−1) + κN(N−1))\n",
                        fit.points);
  absl::StrAppendFormat(&out, "  σ (contention)  %.6g %s\n", fit.sigma,
                        PlusMinus(fit, fit.sigma_se, fit.sigma_fixed));
  absl::StrAppendFormat(&out, "  κ (coherency)   %.6g %s\n", fit.kappa,
                        PlusMinus(fit, fit.kappa_se, fit.kappa_fixed));
  absl::StrAppendFormat(&out, "  λ (X at N = 1)  %.6g %s\n", fit.lambda,
                        PlusMinus(fit, fit.lambda_se, false));
  absl::StrAppendFormat(&out, "  residual standard error %.4g\n", fit.residual_se);
  if (fit.n_max.has_value()) {
    absl::StrAppendFormat(&out, "  peak: N* = %.2f, X(N*) = %.1f\n", *fit.n_max, *fit.x_max);
  } else if (fit.x_ceiling.has_value()) {
    absl::StrAppendFormat(&out, "  no peak: X approaches λ/σ = %.1f\n", *fit.x_ceiling);
  } else {
    absl::StrAppend(&out, "  no peak and no ceiling: X grows linearly\n");
  }
  for (const std::string& w : fit.warnings) {
    absl::StrAppend(&out, "  warning: ", w, "\n");
  }
  return out;
}

void WriteUslJson(JsonWriter* j, const UslFit& fit, const std::vector<UslStepPoint>& measured) {
  j->BeginObject();
  j->Key("sigma");
  j->Double(fit.sigma, 9);
  j->Key("kappa");
  j->Double(fit.kappa, 12);
  j->Key("lambda");
  j->Double(fit.lambda, 6);
  j->Key("sigma_se");
  j->Double(fit.sigma_se, 9);
  j->Key("kappa_se");
  j->Double(fit.kappa_se, 12);
  j->Key("lambda_se");
  j->Double(fit.lambda_se, 6);
  j->Key("sigma_fixed");
  j->Bool(fit.sigma_fixed);
  j->Key("kappa_fixed");
  j->Bool(fit.kappa_fixed);
  j->Key("residual_se");
  j->Double(fit.residual_se, 6);
  j->Key("points");
  j->Int(fit.points);
  OptionalDouble(j, "n_max", fit.n_max, 6);
  OptionalDouble(j, "x_max", fit.x_max, 6);
  OptionalDouble(j, "x_ceiling", fit.x_ceiling, 6);
  j->Key("warnings");
  j->BeginArray();
  for (const std::string& w : fit.warnings) {
    j->String(w);
  }
  j->EndArray();
  if (!measured.empty()) {
    j->Key("measured");
    j->BeginArray();
    for (const UslStepPoint& p : measured) {
      j->BeginObject();
      j->Key("n");
      j->Uint(p.n);
      j->Key("x");
      j->Double(p.x, 3);
      j->Key("fitted_x");
      j->Double(UslThroughput(fit, static_cast<double>(p.n)), 3);
      j->Key("first_second");
      j->Int(p.first_second);
      j->Key("seconds");
      j->Uint(p.seconds);
      j->Key("errors");
      j->Uint(p.errors);
      j->EndObject();
    }
    j->EndArray();
  }
  j->EndObject();
}

std::string UslCsv(const UslFit& fit, const std::vector<UslPoint>& points) {
  std::string out = "N,X,fitted_X\n";
  for (const UslPoint& p : points) {
    absl::StrAppendFormat(&out, "%g,%.3f,%.3f\n", p.n, p.x, UslThroughput(fit, p.n));
  }
  return out;
}

}  // namespace incarne
