// The http nib's run-wide configuration, built once on the control thread from the plan's
// [target.http] section (kept away from the data path, as h2o's handler/configurator split).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "http_parser.h"
#include "plan/plan.h"

namespace incarne::http {

struct HttpConfig {
  ReplyLimits limits;
  uint32_t max_requests_per_connection = 0;  // 0 = unlimited
  // On a connection's last request (max_requests_per_connection) add "Connection: close"
  // when the request has no Connection header, so that the server closes first (docs/http.md).
  bool announce_close = true;
};

// InvalidArgument naming the key when a limit is 0 (nothing could ever be parsed) or
// max_line / max_field exceed what a parser counter holds.
absl::StatusOr<HttpConfig> HttpConfigFromPlan(const HttpPlan& plan);

}  // namespace incarne::http
