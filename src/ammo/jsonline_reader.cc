// Pandora jsonline ammo (`http/json`, decoder `jsonline`): docs/ammo.md "jsonline",
// pandora components/providers/http/decoders/jsonline.go.
//
// One JSON object per line (blank lines skipped), or — when the first non-blank byte of the
// file is '[' — one JSON array of such objects, read element by element. Each object
// {"method","uri","host","headers","tag","body"} becomes a request built the Tank way:
// `<method> <uri> HTTP/<version>` (method "GET" when absent), the header set sorted
// byte-wise, `Content-Length` only for a non-empty body, then the body. Header names merge
// case-insensitively (Go's http.Header): config headers first, the object's replace them;
// a non-empty "host" replaces any Host header; a Content-Length header is replaced by the
// real body length. docs/ammo.md has the details.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ammo/json_line.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "plan/duration.h"
#include "util/status.h"

namespace incarne {
namespace {

bool IsJsonSpace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// RFC 9110 token (method, header name).
bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      continue;
    }
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool HasControl(std::string_view s, bool allow_tab) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !(allow_tab && u == '\t')) || u == 0x7f) {
      return true;
    }
  }
  return false;
}

class JsonBuilder {
 public:
  JsonBuilder(InputStream& in, const ReaderOptions& options, RecordSink& sink)
      : in_(in), options_(options), sink_(sink) {}

  absl::Status Init() {
    for (const std::string& h : options_.headers) {
      std::string_view name;
      std::string_view value;
      if (!SplitHeader(h, &name, &value) || !IsToken(name)) {
        return absl::InvalidArgumentError(Cat("header '", Excerpt(h), "': expected 'Name: value'"));
      }
      Put(&config_, name, value);
    }
    return absl::OkStatus();
  }

  // `text` was parsed from offset `offset` (line `line`) of the input.
  absl::Status Emit(std::string_view text, uint64_t line, uint64_t offset) {
    JsonError err;
    if (!ParseJsonAmmo(text, &json_, &err)) {
      uint64_t nl = static_cast<uint64_t>(
          std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(err.pos), '\n'));
      return InputError(in_, line + nl, offset + err.pos,
                        Cat(err.expected, " (invalid JSON ammo)"));
    }
    auto fail = [&](std::string_view what) { return InputError(in_, line, offset, what); };
    std::string_view method = json_.method.empty() ? "GET" : std::string_view(json_.method);
    if (!IsToken(method)) {
      return fail(
          Cat("expected an HTTP method token in \"method\", found '", Excerpt(method), "'"));
    }
    if (!json_.has_uri || json_.uri.empty()) {
      return fail("expected a non-empty \"uri\" string in the object");
    }
    for (char c : json_.uri) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f) {
        return fail(
            Cat("expected a \"uri\" without spaces or control characters, "
                "found '",
                Excerpt(json_.uri), "'"));
      }
    }
    if (HasControl(json_.tag, false)) {
      return fail(
          Cat("expected a \"tag\" without control characters (TAB, line "
              "breaks), found '",
              Excerpt(json_.tag), "'"));
    }
    if (HasControl(json_.scenario, false)) {
      return fail(Cat("expected a \"scenario\" without control characters, found '",
                      Excerpt(json_.scenario), "'"));
    }
    int64_t sleep_ns = 0;
    if (!json_.sleep.empty()) {
      absl::StatusOr<int64_t> ns = ParseDuration(json_.sleep);
      if (!ns.ok() || *ns < 0) {
        return fail(Cat("expected a think time such as \"100ms\" in \"sleep\", found '",
                        Excerpt(json_.sleep), "'"));
      }
      sleep_ns = *ns;
    }
    if (json_.scenario.empty() && (json_.step != 0 || sleep_ns != 0)) {
      return fail("expected \"scenario\" beside \"step\" and \"sleep\" (docs/scenario.md)");
    }
    RETURN_IF_ERROR(sink_.Mark(json_.scenario, json_.step, sleep_ns));
    headers_ = config_;
    for (const auto& [name, value] : json_.headers) {
      if (!IsToken(name)) {
        return fail(
            Cat("expected a header name token in \"headers\", found '", Excerpt(name), "'"));
      }
      if (HasControl(value, true)) {
        return fail(
            Cat("expected header '", Excerpt(name), "' without control characters or line breaks"));
      }
      Put(&headers_, name, value);
    }
    if (!json_.host.empty()) {
      if (HasControl(json_.host, false) || json_.host.find(' ') != std::string::npos) {
        return fail(
            Cat("expected a \"host\" without spaces or control characters, "
                "found '",
                Excerpt(json_.host), "'"));
      }
      Put(&headers_, "Host", json_.host);
    }
    set_.Clear();
    for (const auto& [name, value] : headers_) {
      if (EqualsNoCase(name, "Content-Length")) {
        continue;
      }
      line_.assign(name).append(": ").append(value);
      set_.Add(line_);
    }
    char cl_buf[40];
    std::string_view content_length =
        json_.body.empty() ? std::string_view() : ContentLengthHeader(json_.body.size(), cl_buf);
    request_.clear();
    AppendRequestHead(&request_, method, json_.uri, options_.http_version, set_, content_length);
    request_.append(json_.body);
    return sink_.Record(line, offset, request_, json_.tag, !json_.tag.empty());
  }

 private:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  static void Put(Headers* h, std::string_view name, std::string_view value) {
    for (auto& [n, v] : *h) {
      if (EqualsNoCase(n, name)) {
        n.assign(name);
        v.assign(value);
        return;
      }
    }
    h->emplace_back(std::string(name), std::string(value));
  }

  InputStream& in_;
  const ReaderOptions& options_;
  RecordSink& sink_;
  Headers config_;
  Headers headers_;
  JsonAmmo json_;
  HeaderSet set_;
  std::string line_;
  std::string request_;
};

absl::Status SkipSpace(InputStream& in) {
  for (;;) {
    ASSIGN_OR_RETURN(std::string_view next, in.Peek(1));
    if (next.empty() || !IsJsonSpace(static_cast<unsigned char>(next[0]))) {
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(in.GetByte().status());
  }
}

// Reads one JSON object (the next byte is '{') into `text`, tracking strings and nesting.
absl::Status CutObject(InputStream& in, std::string* text) {
  text->clear();
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  const uint64_t line = in.line();
  const uint64_t offset = in.offset();
  for (;;) {
    ASSIGN_OR_RETURN(int c, in.GetByte());
    if (c < 0) {
      return InputError(in, line, offset,
                        "expected the end of this JSON object before the end of the file "
                        "(invalid JSON ammo)");
    }
    text->push_back(static_cast<char>(c));
    if (text->size() > InputStream::kMaxLine) {
      return InputError(in, line, offset, "expected a JSON object shorter than 64 MiB");
    }
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        return absl::OkStatus();
      }
    }
  }
}

absl::Status ReadArray(InputStream& in, JsonBuilder& builder, RecordSink& sink) {
  RETURN_IF_ERROR(in.GetByte().status());  // '['
  std::string text;
  bool first = true;
  while (!sink.done()) {
    RETURN_IF_ERROR(SkipSpace(in));
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(std::string_view next, in.Peek(1));
    if (next.empty()) {
      return InputError(in, line, offset, "expected ']' to close the JSON array");
    }
    if (first && next[0] == ']') {
      break;
    }
    if (next[0] != '{') {
      return InputError(in, line, offset,
                        Cat("expected a JSON object '{' as the array element, found '",
                            Excerpt(next), "' (invalid JSON ammo)"));
    }
    first = false;
    RETURN_IF_ERROR(CutObject(in, &text));
    RETURN_IF_ERROR(builder.Emit(text, line, offset));
    RETURN_IF_ERROR(SkipSpace(in));
    const uint64_t sep_line = in.line();
    const uint64_t sep_offset = in.offset();
    ASSIGN_OR_RETURN(int c, in.GetByte());
    if (c == ',') {
      continue;
    }
    if (c == ']') {
      RETURN_IF_ERROR(SkipSpace(in));
      ASSIGN_OR_RETURN(std::string_view rest, in.Peek(1));
      if (!rest.empty()) {
        return InputError(in, in.line(), in.offset(),
                          "expected nothing after the closing ']' of the JSON array");
      }
      return absl::OkStatus();
    }
    return InputError(in, sep_line, sep_offset,
                      "expected ',' or ']' after the array element (invalid JSON ammo)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadJsonLine(InputStream& in, const ReaderOptions& options, RecordSink& sink) {
  JsonBuilder builder(in, options, sink);
  RETURN_IF_ERROR(builder.Init());
  RETURN_IF_ERROR(SkipSpace(in));
  ASSIGN_OR_RETURN(std::string_view first, in.Peek(1));
  if (!first.empty() && first[0] == '[') {
    return ReadArray(in, builder, sink);
  }
  std::string_view raw;
  while (!sink.done()) {
    const uint64_t line = in.line();
    const uint64_t offset = in.offset();
    ASSIGN_OR_RETURN(bool got, in.ReadLine(&raw));
    if (!got) {
      break;
    }
    bool blank = true;
    for (char c : raw) {
      if (!IsJsonSpace(static_cast<unsigned char>(c))) {
        blank = false;
        break;
      }
    }
    if (blank) {
      continue;
    }
    RETURN_IF_ERROR(builder.Emit(raw, line, offset));
  }
  return absl::OkStatus();
}

}  // namespace incarne
