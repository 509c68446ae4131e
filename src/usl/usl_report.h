// Renderings of a USL fit (docs/capacity.md "Output"): the text `incarne usl` and `incarne
// report` print, the `usl` JSON object (summary.json, `incarne usl --json`) and usl.csv.
#pragma once

#include <string>
#include <vector>

#include "usl/usl_fit.h"
#include "usl/usl_points.h"
#include "util/json_writer.h"

namespace incarne {

// Lines of text, each ending in '\n'. `measured` (may be empty): the levels of a run.
std::string UslText(const UslFit& fit, const std::vector<UslStepPoint>& measured);

// The `usl` object: {"sigma","kappa","lambda","sigma_se","kappa_se","lambda_se",
// "sigma_fixed","kappa_fixed","residual_se","points","n_max","x_max","x_ceiling","warnings",
// "measured"}; n_max, x_max and x_ceiling are null when the fit has none.
void WriteUslJson(JsonWriter* j, const UslFit& fit, const std::vector<UslStepPoint>& measured);

// usl.csv: a header "N,X,fitted_X", then one line per point.
std::string UslCsv(const UslFit& fit, const std::vector<UslPoint>& points);

std::vector<UslPoint> PointsOf(const std::vector<UslStepPoint>& measured);

}  // namespace incarne
