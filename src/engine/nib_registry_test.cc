// The registry and the plan loader read one list of built-in nib names (nibs/meson.build →
// nibs/nib_names.h): every nib the registry has is declared, every declared nib is either
// built or skipped with a reason, and the registry refuses a name it does not have — naming
// the built-in ones, or for a skipped nib the reason it was left out of this binary.
#include "engine/nib_registry.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "nibs/nib_names.h"
#include "plan/plan_loader.h"
#include "util/strings.h"

namespace incarne {
namespace {

bool Declared(std::string_view name) {
  return std::find(kBuiltinNibNames.begin(), kBuiltinNibNames.end(), name) !=
         kBuiltinNibNames.end();
}

const std::string_view* SkipReason(std::string_view name) {
  for (const auto& [skipped, reason] : kSkippedNibs) {
    if (skipped == name) {
      return &reason;
    }
  }
  return nullptr;
}

TEST(NibRegistry, BuiltNibsAreDeclared) {
  ASSERT_FALSE(BuiltinNibs().empty());
  for (const incarne_nib* nib : BuiltinNibs()) {
    ASSERT_NE(nib, nullptr);
    EXPECT_TRUE(Declared(nib->name)) << nib->name;
    EXPECT_EQ(SkipReason(nib->name), nullptr) << nib->name;
    absl::StatusOr<const incarne_nib*> found = FindNib(nib->name);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(*found, nib);
  }
}

TEST(NibRegistry, EveryDeclaredNibIsBuiltOrSkippedWithAReason) {
  for (std::string_view name : kBuiltinNibNames) {
    absl::StatusOr<const incarne_nib*> found = FindNib(std::string(name));
    if (const std::string_view* reason = SkipReason(name)) {
      ASSERT_FALSE(found.ok()) << name;
      EXPECT_NE(std::string(StdView(found.status().message())).find(*reason), std::string::npos)
          << found.status();
    } else {
      EXPECT_TRUE(found.ok()) << name << ": " << found.status();
    }
  }
}

TEST(NibRegistry, RefusesUnknownNames) {
  absl::StatusOr<const incarne_nib*> found = FindNib("grpc");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  const std::string msg(StdView(found.status().message()));
  EXPECT_NE(msg.find("\"grpc\": no such nib; built-in: dummy, http"), std::string::npos) << msg;
}

// The plan loader accepts exactly the declared names (and .so paths): a name the registry
// has loads, a name nobody declared is refused at target.nib's line and column.
TEST(NibRegistry, PlanLoaderAcceptsTheDeclaredNames) {
  for (std::string_view name : kBuiltinNibNames) {
    absl::StatusOr<Plan> p =
        LoadPlanText(Cat("[target]\nnib = \"", name, "\"\n[ammo]\nuris = [\"/\"]\n[load]\n",
                         "schedule = \"const(1,1s)\"\n"),
                     "plan.toml", {});
    EXPECT_TRUE(p.ok()) << name << ": " << p.status();
  }
  absl::StatusOr<Plan> p = LoadPlanText(
      "[target]\nnib = \"grpc\"\n[load]\nschedule = \"const(1,1s)\"\n", "plan.toml", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(StdView(p.status().message())).find("plan.toml:2:7: target.nib: expected"),
            std::string::npos)
      << p.status();
}

}  // namespace
}  // namespace incarne
