// util/strings.h: Cat/Append over std::string_view, the two Trims, Quote and Shown.
#include "util/strings.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace incarne {
namespace {

TEST(Strings, CatTakesStdStringView) {
  const std::string_view sv = "view";
  const std::string s = "string";
  EXPECT_EQ(Cat(sv, "/", s, "/", 42, "/", uint64_t{7}, "/", 0.5), "view/string/42/7/0.5");
  std::string out = "a";
  Append(&out, std::string_view("b"), 1);
  EXPECT_EQ(out, "ab1");
}

TEST(Strings, Trim) {
  EXPECT_EQ(Trim(" \t\r\n\v\fx y \n"), "x y");
  EXPECT_EQ(TrimLeft("  x "), "x ");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim(""), "");
  // Only the bytes given: HTTP's optional whitespace leaves a CR alone.
  EXPECT_EQ(Trim(" \tkeep-alive\r \t", " \t"), "keep-alive\r");
  EXPECT_EQ(Trim(" \t ", " \t"), "");
}

TEST(Strings, QuoteAndShown) {
  EXPECT_EQ(Quote("a\"b\\c\n\x01\x7f\xc3\xa9"), "\"a\\\"b\\\\c\\n\\u0001\\u007F\xc3\xa9\"");
  EXPECT_EQ(Shown("ten"), "\"ten\"");
  const std::string long_value(61, 'x');
  EXPECT_EQ(Shown(long_value), "\"" + std::string(60, 'x') + "...\"");
  EXPECT_EQ(Shown(std::string(60, 'x')), "\"" + std::string(60, 'x') + "\"");
}

}  // namespace
}  // namespace incarne
