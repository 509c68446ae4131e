#include "scenario/session.h"

#include <algorithm>

#include "util/status.h"
#include "util/strings.h"

namespace incarne::scenario {
namespace {

absl::StatusOr<uint32_t> TagIndex(const std::string& name, std::vector<std::string>* tags) {
  auto it = std::find(tags->begin(), tags->end(), name);
  if (it != tags->end()) {
    return static_cast<uint32_t>(it - tags->begin());
  }
  if (tags->size() >= 65536) {
    return absl::InvalidArgumentError(
        Cat("scenario '", name, "': more than 65536 tags with the session tags"));
  }
  tags->push_back(name);
  return static_cast<uint32_t>(tags->size() - 1);
}

}  // namespace

absl::StatusOr<SessionTable> SessionsFromMarks(const std::vector<StepMark>& marks,
                                               std::vector<std::string>* tags) {
  SessionTable t;
  const StepMark* open = nullptr;  // the last step of the session being built
  for (size_t r = 0; r < marks.size(); ++r) {
    const StepMark& m = marks[r];
    if (m.scenario.empty()) {
      if (m.step != 0 || m.sleep_ns != 0) {
        return absl::InvalidArgumentError(
            Cat(m.where, ": expected \"scenario\" with \"step\" and \"sleep\""));
      }
      t.begin.push_back(t.steps.size());
      t.tag.push_back(kNoSessionTag);
      t.steps.push_back(SessionStep{r, 0});
      open = nullptr;
      continue;
    }
    const uint32_t step = m.step == 0 ? 1 : m.step;
    if (step == 1) {
      ASSIGN_OR_RETURN(uint32_t tag, TagIndex(m.scenario, tags));
      t.begin.push_back(t.steps.size());
      t.tag.push_back(tag);
      t.steps.push_back(SessionStep{r, m.sleep_ns});
      open = &m;
      continue;
    }
    if (open == nullptr || open->scenario != m.scenario || open->step + 1 != step) {
      const std::string after = open == nullptr ? std::string("no step of it")
                                                : Cat("step ", open->step == 0 ? 1 : open->step,
                                                      " of scenario '", open->scenario, "'");
      return absl::InvalidArgumentError(
          Cat(m.where, ": scenario '", m.scenario, "' step ", step, " follows ", after,
              open != nullptr && open->scenario == m.scenario && step <= open->step
                  ? " (a step goes back: steps run 1, 2, 3, ... and a session starts at step 1)"
                  : " (a step is missing: steps run 1, 2, 3, ... in the file's order)"));
    }
    t.steps.push_back(SessionStep{r, m.sleep_ns});
    open = &m;
  }
  t.begin.push_back(t.steps.size());
  return t;
}

absl::StatusOr<SessionTable> SessionsFromSteps(const std::vector<StepPlan>& steps,
                                               const std::string& name,
                                               const std::vector<uint16_t>& record_tags,
                                               std::vector<std::string>* tags) {
  std::vector<std::vector<uint64_t>> of_step(steps.size());
  size_t sessions = 0;
  for (size_t k = 0; k < steps.size(); ++k) {
    auto it = std::find(tags->begin(), tags->end(), steps[k].tag);
    if (it != tags->end()) {
      const uint16_t tag = static_cast<uint16_t>(it - tags->begin());
      for (size_t r = 0; r < record_tags.size(); ++r) {
        if (record_tags[r] == tag) {
          of_step[k].push_back(r);
        }
      }
    }
    if (of_step[k].empty()) {
      return absl::InvalidArgumentError(Cat(steps[k].where,
                                            ": scenario.steps: no ammo record has the tag ",
                                            Shown(steps[k].tag), " (a step needs records)"));
    }
    sessions = std::max(sessions, of_step[k].size());
  }
  ASSIGN_OR_RETURN(uint32_t tag, TagIndex(name, tags));
  SessionTable t;
  for (size_t j = 0; j < sessions; ++j) {
    t.begin.push_back(t.steps.size());
    t.tag.push_back(tag);
    for (size_t k = 0; k < steps.size(); ++k) {
      t.steps.push_back(SessionStep{of_step[k][j % of_step[k].size()], steps[k].sleep_ns});
    }
  }
  t.begin.push_back(t.steps.size());
  return t;
}

}  // namespace incarne::scenario
