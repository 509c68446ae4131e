#include "scenario/template.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace incarne::scenario {
namespace {

std::string Error(std::string_view request, const std::vector<std::string>& vars = {}) {
  absl::StatusOr<Template> t = CompileTemplate(request, vars);
  EXPECT_FALSE(t.ok()) << request;
  return t.ok() ? "" : std::string(t.status().message());
}

struct Store {
  std::vector<std::string> values;
  std::string bytes;
  std::vector<uint16_t> lens;
  uint64_t rng = 88172645463325252ull;
  TemplateContext Context(uint32_t max_value = 32) {
    bytes.assign(values.size() * max_value, '\0');
    lens.clear();
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] == "<unset>") {
        lens.push_back(UINT16_MAX);
        continue;
      }
      values[i].copy(bytes.data() + i * max_value, max_value);
      lens.push_back(static_cast<uint16_t>(values[i].size()));
    }
    TemplateContext c;
    c.values = bytes.data();
    c.lens = lens.data();
    c.max_value = max_value;
    c.instance = 7;
    c.iteration = 42;
    c.now_ms = 1765000000123;
    c.rng = &rng;
    return c;
  }
};

std::string Assemble(std::string_view request, const std::vector<std::string>& names, Store* store,
                     uint32_t cap = 4096) {
  absl::StatusOr<Template> t = CompileTemplate(request, names);
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) {
    return "";
  }
  std::string out(cap, '\0');
  const int64_t n = AssembleTemplate(*t, request.data(), store->Context(), out.data(), cap);
  if (n < 0) {
    return "error " + std::to_string(-n);
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

TEST(Template, UntemplatedIsOneStaticPiece) {
  absl::StatusOr<Template> t = CompileTemplate("GET / HTTP/1.1\r\nHost: a\r\n\r\n", {});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->templated());
  ASSERT_EQ(t->pieces.size(), 1u);
  EXPECT_EQ(t->pieces[0].len, 27u);
  EXPECT_FALSE(CompileTemplate("", {})->templated());
  // A literal "${" written as "$${" is not a reference.
  Store s;
  EXPECT_EQ(Assemble("GET /$${x} HTTP/1.1\r\n\r\n", {}, &s), "GET /${x} HTTP/1.1\r\n\r\n");
  // Found by the fuzz target: a leading "$${" leaves one static piece that is not the whole
  // request; it must still be assembled.
  EXPECT_TRUE(CompileTemplate("$${x}", {})->templated());
  EXPECT_EQ(Assemble("$${x}", {}, &s), "${x}");
}

TEST(Template, VariablesAndBuiltins) {
  Store s;
  s.values = {"tok-1", "alice"};
  EXPECT_EQ(Assemble("GET /u/${user}?i=${instance}&n=${iteration} HTTP/1.1\r\n"
                     "Authorization: Bearer ${token}\r\n\r\n",
                     {"token", "user"}, &s),
            "GET /u/alice?i=7&n=42 HTTP/1.1\r\nAuthorization: Bearer tok-1\r\n\r\n");
  EXPECT_EQ(Assemble("GET /t/${now_ms} HTTP/1.1\r\n\r\n", {}, &s),
            "GET /t/1765000000123 HTTP/1.1\r\n\r\n");
  const std::string uuid = Assemble("${uuid}", {}, &s);
  ASSERT_EQ(uuid.size(), 36u) << uuid;
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[14], '4');  // version 4
  EXPECT_TRUE(uuid[19] == '8' || uuid[19] == '9' || uuid[19] == 'a' || uuid[19] == 'b');
  for (int i = 0; i < 200; ++i) {
    const int v = std::stoi(Assemble("${random(-3, 3)}", {}, &s));
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
  EXPECT_EQ(Assemble("${random(5,5)}", {}, &s), "5");
}

TEST(Template, ContentLengthFixedUpForBodyReferences) {
  Store s;
  s.values = {"bob-the-builder"};
  EXPECT_EQ(Assemble("POST /login HTTP/1.1\r\nContent-Length: 16\r\nHost: a\r\n\r\n"
                     "{\"user\":\"${user}\"}",
                     {"user"}, &s),
            "POST /login HTTP/1.1\r\nContent-Length: 26\r\nHost: a\r\n\r\n"
            "{\"user\":\"bob-the-builder\"}");
  // A reference only in the head leaves Content-Length alone.
  EXPECT_EQ(Assemble("POST /${user} HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", {"user"}, &s),
            "POST /bob-the-builder HTTP/1.1\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(Error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${user}", {"user"}),
            "offset 47: a reference in the body needs a Content-Length header to fix up");
}

TEST(Template, AssemblyErrors) {
  Store s;
  s.values = {"<unset>"};
  EXPECT_EQ(Assemble("GET /${token} HTTP/1.1\r\n\r\n", {"token"}, &s),
            "error " + std::to_string(ENOENT));
  s.values = {"0123456789"};
  EXPECT_EQ(Assemble("GET /${token}", {"token"}, &s, 10), "error " + std::to_string(EMSGSIZE));
  EXPECT_EQ(Assemble("GET /${token}", {"token"}, &s, 15), "GET /0123456789");
}

TEST(Template, CompileErrorsNameTheOffset) {
  EXPECT_EQ(Error("GET /${nope} HTTP/1.1", {"token"}),
            "offset 5: unknown variable 'nope' (the plan defines: token; built-ins: instance, "
            "iteration, now_ms, uuid, random(a,b))");
  EXPECT_EQ(Error("GET /${token HTTP/1.1"), "offset 5: a ${ without its closing }");
  EXPECT_EQ(Error("x ${random(3,1)}"),
            "offset 2: expected ${random(a,b)} with integers a <= b, got ${random(3,1)}");
  EXPECT_EQ(Error("x ${random(a,1)}").substr(0, 9), "offset 2:");
  EXPECT_NE(Error("x ${1abc}").find("offset 2: expected a variable name"), std::string::npos);
  EXPECT_EQ(Error("x ${}").substr(0, 9), "offset 2:");
  std::string many;
  for (int i = 0; i < 9; ++i) {
    many += "${uuid}";
  }
  EXPECT_EQ(Error(many), "offset 56: more than 8 ${uuid} and ${random(a,b)} in one request");
}

// The split `incarne ammo compile` stores (no plan): every name is known, interned in first-use
// order, and the pieces are CompileTemplate's with the plan's names in that order.
TEST(SplitTemplate, InternsNamesAndSplitsAsCompileTemplate) {
  const std::string r = "POST /${b}/${a} HTTP/1.1\r\nContent-Length: 7\r\n\r\n${b}$${x}${uuid}";
  std::vector<std::string> names = {"z"};
  absl::StatusOr<Template> split = SplitTemplate(r, &names);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(names, (std::vector<std::string>{"z", "b", "a"}));
  absl::StatusOr<Template> compiled = CompileTemplate(r, names);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ(split->fix_length, compiled->fix_length);
  ASSERT_EQ(split->pieces.size(), compiled->pieces.size());
  for (size_t i = 0; i < split->pieces.size(); ++i) {
    const TemplatePiece& p = split->pieces[i];
    const TemplatePiece& q = compiled->pieces[i];
    EXPECT_TRUE(p.kind == q.kind && p.body == q.body && p.offset == q.offset && p.len == q.len &&
                p.var == q.var)
        << i;
  }
  EXPECT_EQ(split->pieces[1].kind, TemplatePiece::Kind::kVar);
  EXPECT_EQ(split->pieces[1].offset, 6u);  // a reference's offset is its "${"
  std::vector<std::string> none;
  EXPECT_EQ(std::string(SplitTemplate("GET /${ HTTP/1.1", &none).status().message()),
            "offset 5: a ${ without its closing }");
}

}  // namespace
}  // namespace incarne::scenario
