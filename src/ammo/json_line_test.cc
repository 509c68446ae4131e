#include "ammo/json_line.h"

#include <string>

#include "gtest/gtest.h"

namespace incarne {
namespace {

JsonAmmo Parse(std::string_view text) {
  JsonAmmo a;
  JsonError e;
  EXPECT_TRUE(ParseJsonAmmo(text, &a, &e)) << text << ": at " << e.pos << ": " << e.expected;
  return a;
}

JsonError Fail(std::string_view text) {
  JsonAmmo a;
  JsonError e;
  EXPECT_FALSE(ParseJsonAmmo(text, &a, &e)) << text;
  return e;
}

TEST(JsonLine, AllFields) {
  JsonAmmo a =
      Parse(R"( {"host": "h", "method": "PUT", "uri": "/u?a=1", "headers": {"A": "1", "b": "2"},)"
            R"( "tag": "t", "body": "x"} )");
  EXPECT_EQ(a.host, "h");
  EXPECT_EQ(a.method, "PUT");
  EXPECT_EQ(a.uri, "/u?a=1");
  EXPECT_TRUE(a.has_uri);
  EXPECT_EQ(a.tag, "t");
  EXPECT_EQ(a.body, "x");
  ASSERT_EQ(a.headers.size(), 2u);
  EXPECT_EQ(a.headers[0], (std::pair<std::string, std::string>("A", "1")));
  EXPECT_EQ(a.headers[1], (std::pair<std::string, std::string>("b", "2")));
}

TEST(JsonLine, EscapesAndUtf8) {
  JsonAmmo a = Parse(R"({"uri": "/", "body": "\"\\\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00й"})");
  EXPECT_EQ(a.body, std::string("\"\\/\b\f\n\r\t") + std::string(1, '\0') +
                        "\xc3\xa9\xf0\x9f\x98\x80\xd0\xb9");
}

TEST(JsonLine, NullsUnknownKeysDuplicates) {
  JsonAmmo a =
      Parse(R"({"uri": null, "x": [1, -2.5e+3, true, false, null, {"y": []}], "uri": "/b",)"
            R"( "tag": "a", "tag": "b", "headers": null, "body": null})");
  EXPECT_EQ(a.uri, "/b");
  EXPECT_TRUE(a.has_uri);
  EXPECT_EQ(a.tag, "b");
  EXPECT_TRUE(a.headers.empty());
  JsonAmmo n = Parse(R"({"uri": "/a", "uri": null})");
  EXPECT_FALSE(n.has_uri);
  JsonAmmo h = Parse(R"({"headers": {"A": "1", "A": "2"}})");
  ASSERT_EQ(h.headers.size(), 1u);
  EXPECT_EQ(h.headers[0].second, "2");
}

TEST(JsonLine, Errors) {
  struct Case {
    const char* text;
    size_t pos;
    const char* expected;
  };
  const Case cases[] = {
      {"", 0, "expected a JSON object '{'"},
      {"[]", 0, "expected a JSON object '{'"},
      {"{", 1, "expected a string key"},
      {"{\"a\" 1}", 5, "expected ':' after the key"},
      {"{\"a\": }", 6, "expected a JSON value"},
      {"{\"a\": 1,}", 8, "expected a string key"},
      {"{\"a\": 01}", 7, "expected ',' or '}'"},
      {"{\"a\": 1.}", 8, "expected a digit after '.'"},
      {"{\"a\": -}", 7, "expected a digit"},
      {"{\"a\": tru}", 6, "expected a JSON value"},
      {"{\"uri\": 1}", 8, "expected a string for \"uri\""},
      {"{\"headers\": {\"a\": 1}}", 18, "expected a string value for the header"},
      {"{\"headers\": []}", 12, "expected an object of strings for \"headers\""},
      {"{\"a\": \"x\ty\"}", 8, "expected no raw control characters in a string (escape them)"},
      {"{\"a\": \"\\x\"}", 8, "expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u"},
      {"{\"a\": \"\\u12g4\"}", 11, "expected 4 hex digits after \\u"},
      {"{\"a\": \"\\udc00\"}", 13, "expected a high surrogate before a low surrogate"},
      {"{\"a\": \"\\ud800x\"}", 13, "expected a \\u low surrogate after a high surrogate"},
      {"{\"a\": \"\xff\"}", 7, "expected UTF-8 text"},
      {"{\"a\": \"\xc0\x80\"}", 7, "expected UTF-8 text"},
      {"{\"a\": \"\xed\xa0\x80\"}", 7, "expected UTF-8 text"},
      {"{\"a\": \"abc", 10, "expected a closing '\"'"},
      {"{} x", 3, "expected nothing after the JSON object (one object per line)"},
  };
  for (const Case& c : cases) {
    JsonError e = Fail(c.text);
    EXPECT_EQ(e.pos, c.pos) << c.text;
    EXPECT_EQ(e.expected, c.expected) << c.text;
  }
}

TEST(JsonLine, DepthLimit) {
  std::string deep = "{\"a\": ";
  for (int i = 0; i < 100; ++i) {
    deep += "[";
  }
  JsonError e = Fail(deep);
  EXPECT_EQ(e.expected, "expected at most 64 levels of nesting");
  std::string ok = "{\"a\": ";
  for (int i = 0; i < 60; ++i) {
    ok += "[";
  }
  for (int i = 0; i < 60; ++i) {
    ok += "]";
  }
  ok += "}";
  Parse(ok);
}

}  // namespace
}  // namespace incarne
