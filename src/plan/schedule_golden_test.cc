// Every shot of ~320 schedules against Yandex.Tank's own stepper output
// (tests/data/schedule/tank_golden.tsv, produced by running Tank's load_plan.py /
// instance_plan.py; the file header says how). Shot counts, durations, a checksum over all
// shots and sampled times must match exactly; ns times must truncate to Tank's ms.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "plan/schedule.h"

namespace incarne {
namespace {

struct Golden {
  int line_no = 0;
  LoadModel model = LoadModel::kRps;
  std::string expr;
  uint64_t shots = 0;
  int64_t duration_ms = 0;
  uint64_t sum = 0;
  uint64_t wsum = 0;
  std::vector<std::pair<uint64_t, int64_t>> samples;
};

std::vector<Golden> ReadGolden() {
  std::vector<Golden> out;
  std::ifstream in(std::string(INCARNE_SOURCE_ROOT) + "/tests/data/schedule/tank_golden.tsv");
  EXPECT_TRUE(in.good()) << "tests/data/schedule/tank_golden.tsv not found";
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) {
      cols.push_back(col);
    }
    if (cols.size() == 6 && line.back() == '\t') {
      cols.emplace_back();  // no shots, no samples
    }
    if (cols.size() != 7) {
      ADD_FAILURE() << "line " << line_no << ": expected 7 columns";
      continue;
    }
    Golden g;
    g.line_no = line_no;
    g.model = cols[0] == "instances" ? LoadModel::kInstances : LoadModel::kRps;
    g.expr = cols[1];
    g.shots = std::stoull(cols[2]);
    g.duration_ms = std::stoll(cols[3]);
    g.sum = std::stoull(cols[4]);
    g.wsum = std::stoull(cols[5]);
    std::stringstream samples(cols[6]);
    std::string s;
    while (samples >> s) {
      const size_t colon = s.find(':');
      g.samples.emplace_back(std::stoull(s.substr(0, colon)), std::stoll(s.substr(colon + 1)));
    }
    out.push_back(std::move(g));
  }
  return out;
}

TEST(ScheduleGolden, MatchesTankExactly) {
  const std::vector<Golden> all = ReadGolden();
  ASSERT_GT(all.size(), 300u);
  size_t rps = 0;
  size_t instances = 0;
  for (const Golden& g : all) {
    SCOPED_TRACE("tank_golden.tsv:" + std::to_string(g.line_no) + " " + g.expr);
    (g.model == LoadModel::kRps ? rps : instances)++;
    absl::StatusOr<Schedule> s = Schedule::Parse(g.expr, g.model);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(s->shots(), g.shots);
    EXPECT_EQ(s->duration_ns(), g.duration_ms * 1000000);
    uint64_t sum = 0;
    uint64_t wsum = 0;
    int64_t prev_ns = 0;
    for (uint64_t i = 0; i < s->shots(); ++i) {
      const int64_t ms = s->ShotMs(i);
      const int64_t ns = s->ShotNs(i);
      sum += static_cast<uint64_t>(ms);
      wsum += (i + 1) * static_cast<uint64_t>(ms);
      ASSERT_EQ(ns / 1000000, ms) << "shot " << i;
      ASSERT_GE(ns, prev_ns) << "shot " << i;
      prev_ns = ns;
    }
    EXPECT_EQ(sum, g.sum);
    EXPECT_EQ(wsum, g.wsum);
    for (const auto& [i, ms] : g.samples) {
      ASSERT_LT(i, s->shots());
      EXPECT_EQ(s->ShotMs(i), ms) << "shot " << i;
    }
  }
  EXPECT_GT(rps, 200u);
  EXPECT_GT(instances, 80u);
}

}  // namespace
}  // namespace incarne
