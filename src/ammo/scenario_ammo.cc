#include "ammo/scenario_ammo.h"

#include "ammo/readers.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne {
namespace {

class MarkSink : public RecordSink {
 public:
  MarkSink(const std::string& name, uint64_t limit) : name_(name), limit_(limit) {}

  absl::Status Mark(std::string_view scenario, uint32_t step, int64_t sleep_ns) override {
    pending_.scenario.assign(scenario);
    pending_.step = step;
    pending_.sleep_ns = sleep_ns;
    any_ = any_ || !scenario.empty();
    return absl::OkStatus();
  }
  absl::Status Begin(uint64_t line, uint64_t offset) override {
    pending_.where = Cat(name_, ": line ", line, ", offset ", offset);
    return absl::OkStatus();
  }
  absl::Status Append(std::string_view) override { return absl::OkStatus(); }
  absl::Status End(std::string_view, bool, int64_t) override {
    marks_.push_back(pending_);
    pending_ = scenario::StepMark{};
    return absl::OkStatus();
  }
  bool done() const override { return limit_ != 0 && marks_.size() >= limit_; }

  std::vector<scenario::StepMark> marks_;
  bool any_ = false;

 private:
  std::string name_;
  uint64_t limit_;
  scenario::StepMark pending_;
};

}  // namespace

absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarks(InputStream& in, uint64_t limit) {
  return ReadScenarioMarks(in, AmmoFormat::kJsonLine, limit);
}

absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarks(InputStream& in,
                                                                  AmmoFormat format,
                                                                  uint64_t limit) {
  MarkSink sink(in.name(), limit);
  switch (format) {
    case AmmoFormat::kJsonLine:
      RETURN_IF_ERROR(ReadJsonLine(in, ReaderOptions{}, sink));
      break;
    case AmmoFormat::kPhantom:
      RETURN_IF_ERROR(ReadPhantom(in, ReaderOptions{}, sink));
      break;
    case AmmoFormat::kUri:
      RETURN_IF_ERROR(ReadUri(in, ReaderOptions{}, sink));
      break;
    case AmmoFormat::kUriPost:
      RETURN_IF_ERROR(ReadUriPost(in, ReaderOptions{}, sink));
      break;
    default:
      return std::vector<scenario::StepMark>{};
  }
  if (!sink.any_) {
    return std::vector<scenario::StepMark>{};
  }
  return std::move(sink.marks_);
}

absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarksFile(const std::string& path,
                                                                      uint64_t limit) {
  return ReadScenarioMarksFile(path, AmmoFormat::kJsonLine, limit);
}

absl::StatusOr<std::vector<scenario::StepMark>> ReadScenarioMarksFile(const std::string& path,
                                                                      AmmoFormat format,
                                                                      uint64_t limit) {
  ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, InputStream::Open(path));
  return ReadScenarioMarks(*in, format, limit);
}

}  // namespace incarne
