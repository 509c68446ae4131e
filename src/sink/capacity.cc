#include "sink/capacity.h"

#include <algorithm>
#include <cmath>

namespace incarne {

absl::Status CheckSinkCapacity(const SinkCapacityOptions& o) {
  if (!o.active()) {
    return o.service_ns > 0 ? absl::InvalidArgumentError(
                                  "--service needs --capacity N or --usl-sigma/--usl-kappa")
                            : absl::OkStatus();
  }
  if (o.servers > 0 && o.usl) {
    return absl::InvalidArgumentError(
        "--capacity and --usl-sigma/--usl-kappa are two different targets: use one");
  }
  if (o.service_ns <= 0) {
    return absl::InvalidArgumentError(
        "--capacity and --usl-* need --service DURATION (a positive service time, \"2ms\")");
  }
  if (o.usl && !(o.sigma >= 0 && o.sigma <= 1 && o.kappa >= 0 && o.kappa <= 1)) {
    return absl::InvalidArgumentError("--usl-sigma and --usl-kappa: expected numbers in [0, 1]");
  }
  return absl::OkStatus();
}

SinkService::SinkService(const SinkCapacityOptions& o) : o_(o) {
  std::vector<int64_t> servers(o.servers, 0);
  free_at_ = decltype(free_at_)(std::greater<int64_t>(), std::move(servers));
}

int64_t SinkService::ArriveNs(int64_t now_ns) {
  if (o_.usl) {
    const double c = static_cast<double>(++in_service_);
    const double stretch = 1 + o_.sigma * (c - 1) + o_.kappa * c * (c - 1);
    return static_cast<int64_t>(std::llround(static_cast<double>(o_.service_ns) * stretch));
  }
  // The earliest free server takes it (the heap keeps its size: pop one, push one back).
  const int64_t start = std::max(now_ns, free_at_.top());
  free_at_.pop();
  free_at_.push(start + o_.service_ns);
  return start + o_.service_ns - now_ns;
}

void SinkService::Depart() {
  if (in_service_ > 0) {
    --in_service_;
  }
}

}  // namespace incarne
