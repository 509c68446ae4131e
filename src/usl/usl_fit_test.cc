#include "usl/usl_fit.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;

// The Cisco benchmark (Gunther; Schwartz, "Practical Scalability Analysis with the Universal
// Scalability Law"), N = 1..32, and the book's fitted values.
const std::vector<UslPoint> kCisco = {
    {1, 955.16},    {2, 1878.91},   {3, 2688.01},   {4, 3548.68},   {5, 4315.54},   {6, 5130.43},
    {7, 5931.37},   {8, 6531.08},   {9, 7219.8},    {10, 7867.61},  {11, 8278.71},  {12, 8646.7},
    {13, 9047.84},  {14, 9426.55},  {15, 9645.37},  {16, 9897.24},  {17, 10097.6},  {18, 10240.5},
    {19, 10532.39}, {20, 10798.52}, {21, 11151.43}, {22, 11518.63}, {23, 11806},    {24, 12089.37},
    {25, 12075.41}, {26, 12177.29}, {27, 12211.41}, {28, 12158.93}, {29, 12155.27}, {30, 12118.04},
    {31, 12140.4},  {32, 12074.39}};

void ExpectWithin(double expected, double actual, double relative) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * relative) << "expected " << expected;
}

TEST(UslFit, CiscoMatchesTheBook) {
  absl::StatusOr<UslFit> fit = FitUsl(kCisco);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectWithin(0.02671591, fit->sigma, 1e-3);
  ExpectWithin(7.690945e-4, fit->kappa, 1e-3);
  ExpectWithin(995.6486, fit->lambda, 1e-3);
  ASSERT_TRUE(fit->n_max.has_value());
  EXPECT_EQ(std::floor(*fit->n_max), 35);
  ASSERT_TRUE(fit->x_max.has_value());
  ExpectWithin(12341, *fit->x_max, 1e-3);
  EXPECT_FALSE(fit->sigma_fixed);
  EXPECT_FALSE(fit->kappa_fixed);
  EXPECT_EQ(fit->points, 32);
  // √(SSE/29) at the book's optimum is 187.9 (computed once with these parameters).
  EXPECT_NEAR(fit->residual_se, 187.9, 0.1);
  EXPECT_GT(fit->sigma_se, 0);
  EXPECT_GT(fit->kappa_se, 0);
  EXPECT_GT(fit->lambda_se, 0);
  EXPECT_TRUE(fit->warnings.empty());
}

TEST(UslFit, RecoversAnExactLaw) {
  std::vector<UslPoint> points;
  for (double n : {1, 2, 4, 8, 16, 32, 64}) {
    points.push_back({n, 500 * n / (1 + 0.05 * (n - 1) + 0.002 * n * (n - 1))});
  }
  absl::StatusOr<UslFit> fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectWithin(0.05, fit->sigma, 1e-6);
  ExpectWithin(0.002, fit->kappa, 1e-6);
  ExpectWithin(500, fit->lambda, 1e-6);
  ExpectWithin(std::sqrt(0.95 / 0.002), *fit->n_max, 1e-6);
}

TEST(UslFit, WithoutAPointAtOne) {
  std::vector<UslPoint> points;
  for (double n : {4, 8, 12, 16, 24, 32, 48}) {
    points.push_back({n, 100 * n / (1 + 0.1 * (n - 1) + 0.0005 * n * (n - 1))});
  }
  absl::StatusOr<UslFit> fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectWithin(0.1, fit->sigma, 1e-5);
  ExpectWithin(0.0005, fit->kappa, 1e-5);
  ExpectWithin(100, fit->lambda, 1e-5);
}

TEST(UslFit, OnePointIsRefused) {
  absl::StatusOr<UslFit> fit = FitUsl({{4, 1000}});
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("3 or more distinct N, got one point"));
}

TEST(UslFit, TwoDistinctNAreRefused) {
  absl::StatusOr<UslFit> fit = FitUsl({{1, 100}, {2, 190}, {2, 195}});
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("got 2 N"));
}

TEST(UslFit, AllEqualIsRefused) {
  absl::StatusOr<UslFit> fit = FitUsl({{1, 500}, {2, 500}, {4, 500}, {8, 500}});
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("same X = 500"));
  fit = FitUsl({{1, 0}, {2, 0}, {4, 0}});
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(), HasSubstr("no throughput"));
}

TEST(UslFit, BadValuesAreRefused) {
  EXPECT_THAT(FitUsl({{1, 1}, {0, 2}, {3, 3}}).status().message(), HasSubstr("point 2: N = 0"));
  EXPECT_THAT(FitUsl({{1, 1}, {2, -2}, {3, 3}}).status().message(), HasSubstr("point 2: X = -2"));
  EXPECT_THAT(FitUsl({{1, 1}, {2, NAN}, {3, 3}}).status().message(), HasSubstr("point 2: X = nan"));
}

// Found by the usl_csv fuzz target: a jagged set that pushed λ out of bounds (no parameter
// left free) crashed computing standard errors of nothing.
TEST(UslFit, JaggedPointsNeverCrash) {
  absl::StatusOr<UslFit> fit = FitUsl({{1, 5}, {2, 914}, {5, 10}});
  if (fit.ok()) {
    EXPECT_TRUE(std::isfinite(fit->sigma) && std::isfinite(fit->kappa) &&
                std::isfinite(fit->lambda));
  } else {
    EXPECT_THAT(fit.status().message(), HasSubstr("do not follow the law"));
  }
}

// Amdahl's law (κ = 0): no peak, a ceiling λ/σ, and no NaN anywhere.
TEST(UslFit, KappaZeroHasNoPeak) {
  std::vector<UslPoint> points;
  for (double n : {1, 2, 4, 8, 16, 32}) {
    points.push_back({n, 200 * n / (1 + 0.2 * (n - 1))});
  }
  absl::StatusOr<UslFit> fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->kappa, 0, 1e-9);
  EXPECT_FALSE(fit->n_max.has_value());
  EXPECT_FALSE(fit->x_max.has_value());
  ASSERT_TRUE(fit->x_ceiling.has_value());
  ExpectWithin(1000, *fit->x_ceiling, 1e-4);
  EXPECT_THAT(fit->warnings, testing::Contains(HasSubstr("no peak")));
  for (double v : {fit->sigma, fit->kappa, fit->lambda, fit->sigma_se, fit->kappa_se,
                   fit->lambda_se, fit->residual_se}) {
    EXPECT_TRUE(std::isfinite(v));
  }
}

// Super-linear points would want σ < 0: σ is held at its bound 0 and the rest refitted.
TEST(UslFit, SigmaIsKeptInBounds) {
  std::vector<UslPoint> points = {{1, 100}, {2, 230}, {3, 360}, {4, 470}, {6, 640}, {8, 760}};
  absl::StatusOr<UslFit> fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_GE(fit->sigma, 0);
  EXPECT_GE(fit->kappa, 0);
  EXPECT_TRUE(fit->sigma_fixed);
  EXPECT_EQ(fit->sigma_se, 0);
  EXPECT_THAT(fit->warnings, testing::Contains(HasSubstr("σ held at 0")));
}

}  // namespace
}  // namespace incarne
