#include "http_config.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incarne::http {

absl::StatusOr<HttpConfig> HttpConfigFromPlan(const HttpPlan& plan) {
  // Counters of the parser are 32-bit; anything near that is a typo anyway.
  constexpr uint32_t kMaxLineLimit = 1u << 30;
  if (plan.max_line == 0 || plan.max_line > kMaxLineLimit) {
    return absl::InvalidArgumentError(absl::StrCat("target.http.max_line: expected 1..",
                                                   kMaxLineLimit, " bytes, got ", plan.max_line));
  }
  if (plan.max_field == 0 || plan.max_field > kMaxLineLimit) {
    return absl::InvalidArgumentError(absl::StrCat("target.http.max_field: expected 1..",
                                                   kMaxLineLimit, " bytes, got ", plan.max_field));
  }
  if (plan.max_field_num == 0) {
    return absl::InvalidArgumentError("target.http.max_field_num: expected at least 1");
  }
  HttpConfig config;
  config.limits.max_line = plan.max_line;
  config.limits.max_field = plan.max_field;
  config.limits.max_field_num = plan.max_field_num;
  config.limits.max_entity = plan.max_entity;
  config.max_requests_per_connection = plan.max_requests_per_connection;
  config.announce_close = plan.announce_close;
  return config;
}

}  // namespace incarne::http
