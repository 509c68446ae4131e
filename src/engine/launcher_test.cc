#include "engine/launcher.h"

#include "gtest/gtest.h"

namespace incarne {
namespace {

TEST(ExpandRunDir, Placeholders) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(ExpandRunDir("runs/{time}", 1700000000, 0, "x.toml"), "runs/2023-11-14_22-13-20");
  EXPECT_EQ(ExpandRunDir("runs/{name}-{shard}", 0, 3, "/a/b/load.toml"), "runs/load-3");
  EXPECT_EQ(ExpandRunDir("plain/{unknown}", 0, 0, "p.toml"), "plain/{unknown}");
}

}  // namespace
}  // namespace incarne
