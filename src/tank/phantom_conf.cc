#include "tank/phantom_conf.h"

#include <cstdint>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/absl_view.h"
#include "util/status.h"

namespace incarne {

const PhantomNode* PhantomNode::Assignment(std::string_view name) const {
  for (const PhantomNode& c : children) {
    if (c.kind == Kind::kAssignment && c.text == name) {
      return &c;
    }
  }
  return nullptr;
}

const PhantomNode* PhantomNode::Definition(std::string_view name) const {
  for (const PhantomNode& c : children) {
    if (c.kind == Kind::kDefinition && c.text == name) {
      return &c;
    }
  }
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 64;

struct Token {
  enum class Kind { kWord, kString, kOpen, kClose, kEquals, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;
  uint32_t line = 1;
  uint32_t column = 1;
};

bool IsWordChar(char c) {
  return !(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == '{' ||
           c == '}' || c == '=' || c == '"' || c == '#');
}

class Lexer {
 public:
  Lexer(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  absl::Status Error(uint32_t line, uint32_t column, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(AbslView(name_), ":", line, ":", column, ": ", AbslView(what)));
  }

  absl::StatusOr<Token> Next() {
    SkipBlanks();
    Token t;
    t.line = line_;
    t.column = column_;
    if (pos_ >= text_.size()) {
      t.kind = Token::Kind::kEnd;
      return t;
    }
    char c = text_[pos_];
    if (c == '{' || c == '}' || c == '=') {
      t.kind = c == '{'   ? Token::Kind::kOpen
               : c == '}' ? Token::Kind::kClose
                          : Token::Kind::kEquals;
      Advance();
      return t;
    }
    if (c == '"') {
      t.kind = Token::Kind::kString;
      Advance();
      while (true) {
        if (pos_ >= text_.size()) {
          return Error(t.line, t.column, "expected a closing '\"' for this string");
        }
        char s = text_[pos_];
        if (s == '"') {
          Advance();
          break;
        }
        if (s == '\\') {
          Advance();
          if (pos_ >= text_.size()) {
            return Error(line_, column_, "expected a character after '\\'");
          }
          char e = text_[pos_];
          t.text.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
          Advance();
          continue;
        }
        t.text.push_back(s);
        Advance();
      }
      return t;
    }
    t.kind = Token::Kind::kWord;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) {
      t.text.push_back(text_[pos_]);
      Advance();
    }
    return t;
  }

 private:
  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
  void SkipBlanks() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') {
          Advance();
        }
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        Advance();
      } else {
        return;
      }
    }
  }

  std::string_view text_;
  std::string_view name_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  uint32_t column_ = 1;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view name) : lexer_(text, name) {}

  absl::StatusOr<PhantomNode> ParseTop() {
    RETURN_IF_ERROR(Fill());
    PhantomNode root;
    root.kind = PhantomNode::Kind::kBlock;
    root.line = 1;
    root.column = 1;
    RETURN_IF_ERROR(ParseItems(&root, /*depth=*/0, /*top=*/true));
    return root;
  }

 private:
  absl::Status Fill() {
    while (ahead_.size() < 3) {
      ASSIGN_OR_RETURN(Token t, lexer_.Next());
      bool end = t.kind == Token::Kind::kEnd;
      ahead_.push_back(std::move(t));
      if (end) {
        break;
      }
    }
    return absl::OkStatus();
  }
  const Token& Peek(size_t i) const { return i < ahead_.size() ? ahead_[i] : ahead_.back(); }
  absl::StatusOr<Token> Take() {
    RETURN_IF_ERROR(Fill());
    Token t = ahead_.front();
    if (t.kind != Token::Kind::kEnd) {
      ahead_.erase(ahead_.begin());
    }
    RETURN_IF_ERROR(Fill());
    return t;
  }

  absl::Status ParseItems(PhantomNode* block, int depth, bool top) {
    if (depth > kMaxDepth) {
      return lexer_.Error(Peek(0).line, Peek(0).column, "expected at most 64 nested blocks");
    }
    while (true) {
      const Token& t = Peek(0);
      if (t.kind == Token::Kind::kEnd) {
        if (!top) {
          return lexer_.Error(t.line, t.column, "expected '}' before the end of the file");
        }
        return absl::OkStatus();
      }
      if (t.kind == Token::Kind::kClose) {
        if (top) {
          return lexer_.Error(t.line, t.column, "expected a setting, found '}' without '{'");
        }
        return absl::OkStatus();
      }
      if (t.kind == Token::Kind::kEquals) {
        return lexer_.Error(t.line, t.column, "expected a name before '='");
      }
      // kind_t name = impl_t { ... }
      if (t.kind == Token::Kind::kWord && Peek(1).kind == Token::Kind::kWord &&
          Peek(2).kind == Token::Kind::kEquals) {
        PhantomNode def;
        def.kind = PhantomNode::Kind::kDefinition;
        def.line = t.line;
        def.column = t.column;
        ASSIGN_OR_RETURN(Token type, Take());
        ASSIGN_OR_RETURN(Token name, Take());
        ASSIGN_OR_RETURN(Token eq, Take());
        (void)eq;
        def.type = type.text;
        def.text = name.text;
        ASSIGN_OR_RETURN(Token impl, Take());
        if (impl.kind != Token::Kind::kWord) {
          return lexer_.Error(impl.line, impl.column,
                              absl::StrCat("expected an implementation type such as ",
                                           "'io_benchmark_t' after '", def.text, " ='"));
        }
        def.impl = impl.text;
        ASSIGN_OR_RETURN(Token open, Take());
        if (open.kind != Token::Kind::kOpen) {
          return lexer_.Error(open.line, open.column,
                              absl::StrCat("expected '{' after '", def.impl, "'"));
        }
        RETURN_IF_ERROR(ParseItems(&def, depth + 1, false));
        ASSIGN_OR_RETURN(Token close, Take());
        (void)close;
        block->children.push_back(std::move(def));
        continue;
      }
      // name = value
      if (t.kind == Token::Kind::kWord && Peek(1).kind == Token::Kind::kEquals) {
        PhantomNode asg;
        asg.kind = PhantomNode::Kind::kAssignment;
        asg.line = t.line;
        asg.column = t.column;
        ASSIGN_OR_RETURN(Token name, Take());
        asg.text = name.text;
        ASSIGN_OR_RETURN(Token eq, Take());
        (void)eq;
        ASSIGN_OR_RETURN(PhantomNode value, ParseValue(depth, asg.text));
        asg.children.push_back(std::move(value));
        block->children.push_back(std::move(asg));
        continue;
      }
      if (top) {
        return lexer_.Error(t.line, t.column,
                            "expected 'name = value' or 'kind_t name = impl_t { ... }'");
      }
      ASSIGN_OR_RETURN(PhantomNode value, ParseValue(depth, ""));
      block->children.push_back(std::move(value));
    }
  }

  absl::StatusOr<PhantomNode> ParseValue(int depth, std::string_view after) {
    ASSIGN_OR_RETURN(Token t, Take());
    PhantomNode v;
    v.line = t.line;
    v.column = t.column;
    switch (t.kind) {
      case Token::Kind::kWord:
        v.kind = PhantomNode::Kind::kWord;
        v.text = std::move(t.text);
        return v;
      case Token::Kind::kString:
        v.kind = PhantomNode::Kind::kString;
        v.text = std::move(t.text);
        return v;
      case Token::Kind::kOpen:
        v.kind = PhantomNode::Kind::kBlock;
        RETURN_IF_ERROR(ParseItems(&v, depth + 1, false));
        {
          ASSIGN_OR_RETURN(Token close, Take());
          (void)close;
        }
        return v;
      default:
        return lexer_.Error(t.line, t.column,
                            absl::StrCat("expected a value (word, \"string\" or { ... })",
                                         after.empty() ? "" : " after '", AbslView(after),
                                         after.empty() ? "" : " ='"));
    }
  }

  Lexer lexer_;
  std::vector<Token> ahead_;
};

absl::StatusOr<uint64_t> ParseUnsigned(std::string_view digits) {
  uint64_t v = 0;
  if (digits.empty() || !absl::SimpleAtoi(AbslView(digits), &v)) {
    return absl::InvalidArgumentError("expected an unsigned integer");
  }
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError("expected an unsigned integer");
    }
  }
  return v;
}

// Helpers reading typed values out of a definition body, with positions in errors.
class Reader {
 public:
  explicit Reader(std::string_view name) : name_(name) {}

  absl::Status Error(const PhantomNode& at, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(AbslView(name_), ":", at.line, ":", at.column, ": ", AbslView(what)));
  }

  // A scalar (word or string) assigned to `key`, or nullptr when absent.
  absl::StatusOr<const PhantomNode*> Scalar(const PhantomNode& body, std::string_view key) const {
    const PhantomNode* a = body.Assignment(key);
    if (a == nullptr) {
      return nullptr;
    }
    const PhantomNode& v = a->children.front();
    if (v.kind != PhantomNode::Kind::kWord && v.kind != PhantomNode::Kind::kString) {
      return Error(
          v, absl::StrCat("expected a single value for '", AbslView(key), "', not a { } block"));
    }
    return &v;
  }

  absl::StatusOr<std::vector<std::string>> List(const PhantomNode& body,
                                                std::string_view key) const {
    std::vector<std::string> out;
    const PhantomNode* a = body.Assignment(key);
    if (a == nullptr) {
      return out;
    }
    const PhantomNode& v = a->children.front();
    if (v.kind != PhantomNode::Kind::kBlock) {
      out.push_back(v.text);
      return out;
    }
    for (const PhantomNode& c : v.children) {
      if (c.kind != PhantomNode::Kind::kWord && c.kind != PhantomNode::Kind::kString) {
        return Error(c,
                     absl::StrCat("expected a list of names in '", AbslView(key), " = { ... }'"));
      }
      out.push_back(c.text);
    }
    return out;
  }

 private:
  std::string_view name_;
};

// Finds a definition by name in `scope` or in any enclosing scope listed in `outer`.
const PhantomNode* FindDefinition(const std::vector<const PhantomNode*>& scopes,
                                  std::string_view name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    if (const PhantomNode* d = (*it)->Definition(name); d != nullptr) {
      return d;
    }
  }
  return nullptr;
}

// The method's source: a source_log_t (an stpd file).
absl::Status ReadSource(const Reader& r, const std::vector<const PhantomNode*>& scopes,
                        const PhantomNode& m, PhantomStream* s) {
  ASSIGN_OR_RETURN(const PhantomNode* source_ref, r.Scalar(m, "source"));
  if (source_ref == nullptr) {
    return r.Error(m, "expected 'source = <name>' in the method");
  }
  const PhantomNode* source = FindDefinition(scopes, source_ref->text);
  if (source == nullptr) {
    return r.Error(*source_ref,
                   absl::StrCat("expected a source definition named '", source_ref->text, "'"));
  }
  if (source->impl != "source_log_t") {
    return r.Error(*source,
                   absl::StrCat("expected source_log_t (an stpd file), got '", source->impl, "'"));
  }
  ASSIGN_OR_RETURN(const PhantomNode* stpd, r.Scalar(*source, "filename"));
  if (stpd == nullptr || stpd->text.empty()) {
    return r.Error(*source, "expected 'filename = \"<stpd file>\"' in source_log_t");
  }
  s->stpd = stpd->text;

  return absl::OkStatus();
}

// The method's proto: proto_http_t (with its reply_limits) or proto_none_t.
absl::Status ReadProto(const Reader& r, const std::vector<const PhantomNode*>& scopes,
                       const PhantomNode& m, PhantomStream* s) {
  ASSIGN_OR_RETURN(const PhantomNode* proto_ref, r.Scalar(m, "proto"));
  if (proto_ref != nullptr) {
    const PhantomNode* proto = FindDefinition(scopes, proto_ref->text);
    if (proto == nullptr) {
      return r.Error(*proto_ref,
                     absl::StrCat("expected a proto definition named '", proto_ref->text, "'"));
    }
    if (proto->impl == "proto_none_t") {
      s->proto_none = true;
    } else if (proto->impl == "proto_http_t") {
      if (const PhantomNode* limits = proto->Assignment("reply_limits"); limits != nullptr) {
        const PhantomNode& lb = limits->children.front();
        if (lb.kind != PhantomNode::Kind::kBlock) {
          return r.Error(lb, "expected 'reply_limits = { line = ... }'");
        }
        struct Limit {
          const char* key;
          uint64_t* out64;
          uint32_t* out32;
        };
        uint64_t entity = s->http.max_entity;
        uint64_t line = s->http.max_line, field = s->http.max_field,
                 field_num = s->http.max_field_num;
        Limit keys[] = {{"entity", &entity, nullptr},
                        {"line", &line, nullptr},
                        {"field", &field, nullptr},
                        {"field_num", &field_num, nullptr}};
        for (const PhantomNode& c : lb.children) {
          bool known = false;
          for (const Limit& k : keys) {
            if (c.kind == PhantomNode::Kind::kAssignment && c.text == k.key) {
              known = true;
              auto v = ParsePhantomSize(c.children.front().text);
              if (!v.ok() || *v == 0 || *v > (uint64_t{1} << 40)) {
                return r.Error(c.children.front(),
                               absl::StrCat("expected a size such as 8K or 8M for ", k.key));
              }
              *k.out64 = *v;
            }
          }
          if (!known) {
            return r.Error(c, "expected one of entity, field, field_num, line in reply_limits");
          }
        }
        if (line > UINT32_MAX || field > UINT32_MAX || field_num > UINT32_MAX) {
          return r.Error(lb, "expected reply limits below 4G");
        }
        s->http.max_entity = entity;
        s->http.max_line = static_cast<uint32_t>(line);
        s->http.max_field = static_cast<uint32_t>(field);
        s->http.max_field_num = static_cast<uint32_t>(field_num);
      }
    } else {
      return r.Error(
          *proto, absl::StrCat("expected proto_http_t or proto_none_t, got '", proto->impl, "'"));
    }
  }

  return absl::OkStatus();
}

// The method's transport: transport_ssl_t, its ciphers and client auth.
absl::Status ReadTransport(const Reader& r, const std::vector<const PhantomNode*>& scopes,
                           const PhantomNode& m, PhantomStream* s) {
  ASSIGN_OR_RETURN(const PhantomNode* transport_ref, r.Scalar(m, "transport"));
  if (transport_ref != nullptr) {
    const PhantomNode* tr = FindDefinition(scopes, transport_ref->text);
    if (tr == nullptr || tr->impl != "transport_ssl_t") {
      return r.Error(*transport_ref, absl::StrCat("expected a transport_ssl_t definition named '",
                                                  transport_ref->text, "'"));
    }
    s->ssl = true;
    ASSIGN_OR_RETURN(const PhantomNode* ciphers, r.Scalar(*tr, "ciphers"));
    if (ciphers != nullptr) {
      s->ssl_ciphers = ciphers->text;
    }
    ASSIGN_OR_RETURN(const PhantomNode* auth_ref, r.Scalar(*tr, "auth"));
    if (auth_ref != nullptr) {
      std::vector<const PhantomNode*> tscopes = scopes;
      tscopes.push_back(tr);
      const PhantomNode* auth = FindDefinition(tscopes, auth_ref->text);
      if (auth == nullptr) {
        return r.Error(*auth_ref,
                       absl::StrCat("expected an auth_t definition named '", auth_ref->text, "'"));
      }
      ASSIGN_OR_RETURN(const PhantomNode* key, r.Scalar(*auth, "key"));
      ASSIGN_OR_RETURN(const PhantomNode* cert, r.Scalar(*auth, "cert"));
      if (key != nullptr) {
        s->ssl_key = key->text;
      }
      if (cert != nullptr) {
        s->ssl_cert = cert->text;
      }
    }
  }

  return absl::OkStatus();
}

// The method's loggers: logger_brief_t (phout) and logger_default_t (answ).
absl::Status ReadLoggers(const Reader& r, const std::vector<const PhantomNode*>& scopes,
                         const PhantomNode& m, PhantomStream* s) {
  ASSIGN_OR_RETURN(std::vector<std::string> loggers, r.List(m, "loggers"));
  const PhantomNode* loggers_at = m.Assignment("loggers");
  for (const std::string& name : loggers) {
    const PhantomNode* lg = FindDefinition(scopes, name);
    if (lg == nullptr) {
      return r.Error(*loggers_at, absl::StrCat("expected a logger definition named '", name, "'"));
    }
    ASSIGN_OR_RETURN(const PhantomNode* file, r.Scalar(*lg, "filename"));
    if (file == nullptr || file->text.empty()) {
      return r.Error(*lg, "expected 'filename = \"...\"' in the logger");
    }
    if (lg->impl == "logger_brief_t") {
      ASSIGN_OR_RETURN(const PhantomNode* tf, r.Scalar(*lg, "time_format"));
      if (tf != nullptr && tf->text != "unix") {
        return r.Error(*tf,
                       "expected time_format = unix (the only phout time format incarne "
                       "writes)");
      }
      s->phout = file->text;
    } else if (lg->impl == "logger_default_t") {
      s->answ = file->text;
      s->answ_level = "all";
      ASSIGN_OR_RETURN(const PhantomNode* level, r.Scalar(*lg, "level"));
      if (level != nullptr) {
        static constexpr std::string_view kLevels[] = {"all", "proto_warning", "proto_error",
                                                       "transport_error", "network_error"};
        bool ok = false;
        for (std::string_view l : kLevels) {
          ok = ok || level->text == l;
        }
        if (!ok) {
          return r.Error(*level,
                         "expected level all, proto_warning, proto_error, "
                         "transport_error or network_error");
        }
        s->answ_level = level->text;
      }
    } else {
      return r.Error(
          *lg, absl::StrCat("expected logger_brief_t or logger_default_t, got '", lg->impl, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadStream(const Reader& r, const PhantomNode& root, const PhantomNode& io,
                        PhantomStream* s) {
  s->name = io.text;
  ASSIGN_OR_RETURN(const PhantomNode* instances, r.Scalar(io, "instances"));
  if (instances != nullptr) {
    auto n = ParseUnsigned(instances->text);
    if (!n.ok() || *n == 0 || *n >= 1000000) {
      return r.Error(*instances, "expected instances as an integer from 1 to 999999");
    }
    s->instances = static_cast<uint32_t>(*n);
  }
  ASSIGN_OR_RETURN(const PhantomNode* method_ref, r.Scalar(io, "method"));
  if (method_ref == nullptr) {
    return r.Error(io, absl::StrCat("expected 'method = <name>' in ", io.text));
  }
  std::vector<const PhantomNode*> scopes = {&root, &io};
  const PhantomNode* method = FindDefinition(scopes, method_ref->text);
  if (method == nullptr) {
    return r.Error(*method_ref,
                   absl::StrCat("expected a method definition named '", method_ref->text, "'"));
  }
  if (method->impl == "method_stream_ipv4_t") {
    s->ipv6 = false;
  } else if (method->impl == "method_stream_ipv6_t") {
    s->ipv6 = true;
  } else {
    return r.Error(*method, absl::StrCat("expected method_stream_ipv4_t or method_stream_ipv6_t,",
                                         " got '", method->impl, "'"));
  }
  scopes.push_back(method);
  const PhantomNode& m = *method;

  ASSIGN_OR_RETURN(const PhantomNode* address, r.Scalar(m, "address"));
  if (address == nullptr) {
    return r.Error(m, "expected 'address = <IP>' in the method");
  }
  s->address = address->text;
  ASSIGN_OR_RETURN(const PhantomNode* port, r.Scalar(m, "port"));
  if (port != nullptr) {
    auto p = ParseUnsigned(port->text);
    if (!p.ok() || *p == 0 || *p > 65535) {
      return r.Error(*port, "expected a port from 1 to 65535");
    }
    s->port = static_cast<uint16_t>(*p);
  }
  ASSIGN_OR_RETURN(s->bind, r.List(m, "bind"));
  ASSIGN_OR_RETURN(const PhantomNode* timeout, r.Scalar(m, "timeout"));
  if (timeout != nullptr) {
    auto t = ParsePhantomInterval(timeout->text);
    if (!t.ok() || *t <= 0) {
      return r.Error(*timeout, "expected a timeout such as 11000 (ms), 11s or 1m30s");
    }
    s->timeout_ns = *t;
  }

  RETURN_IF_ERROR(ReadSource(r, scopes, m, s));
  RETURN_IF_ERROR(ReadProto(r, scopes, m, s));
  RETURN_IF_ERROR(ReadTransport(r, scopes, m, s));
  RETURN_IF_ERROR(ReadLoggers(r, scopes, m, s));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PhantomNode> ParsePhantomConfig(std::string_view text, std::string_view name) {
  Parser p(text, name);
  return p.ParseTop();
}

absl::StatusOr<int64_t> ParsePhantomInterval(std::string_view text) {
  if (text == "inf") {
    return std::numeric_limits<int64_t>::max();
  }
  if (text.empty()) {
    return absl::InvalidArgumentError("expected an interval");
  }
  int64_t total = 0;
  size_t i = 0;
  bool any_unit = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    if (i == start) {
      return absl::InvalidArgumentError("expected digits in the interval");
    }
    uint64_t n = 0;
    if (!absl::SimpleAtoi(AbslView(text.substr(start, i - start)), &n) || n > (uint64_t{1} << 40)) {
      return absl::InvalidArgumentError("interval out of range");
    }
    int64_t unit = kNsPerMs;
    if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit = kNsPerSec;
          break;
        case 'm':
          unit = 60 * kNsPerSec;
          break;
        case 'h':
          unit = 3600 * kNsPerSec;
          break;
        case 'd':
          unit = 86400 * kNsPerSec;
          break;
        case 'w':
          unit = 7 * 86400 * kNsPerSec;
          break;
        default:
          return absl::InvalidArgumentError("expected a unit s, m, h, d or w");
      }
      ++i;
      any_unit = true;
    } else if (any_unit) {
      return absl::InvalidArgumentError("expected a unit after the last number");
    }
    int64_t add = static_cast<int64_t>(n) * unit;
    if (add / unit != static_cast<int64_t>(n) ||
        total > std::numeric_limits<int64_t>::max() - add) {
      return absl::InvalidArgumentError("interval out of range");
    }
    total += add;
  }
  return total;
}

absl::StatusOr<uint64_t> ParsePhantomSize(std::string_view text) {
  uint64_t mult = 1;
  if (!text.empty()) {
    char last = text.back();
    if (last == 'K' || last == 'k') {
      mult = 1024;
    } else if (last == 'M') {
      mult = 1024 * 1024;
    } else if (last == 'G') {
      mult = 1024ull * 1024 * 1024;
    }
    if (mult != 1) {
      text.remove_suffix(1);
    }
  }
  ASSIGN_OR_RETURN(uint64_t n, ParseUnsigned(text));
  if (n > (uint64_t{1} << 50) / mult) {
    return absl::InvalidArgumentError("size out of range");
  }
  return n * mult;
}

absl::StatusOr<PhantomConfig> ReadPhantomConfig(std::string_view text, std::string_view name) {
  ASSIGN_OR_RETURN(PhantomNode root, ParsePhantomConfig(text, name));
  Reader r(name);
  PhantomConfig cfg;
  for (const PhantomNode& item : root.children) {
    if (item.kind != PhantomNode::Kind::kDefinition) {
      continue;
    }
    if (item.impl == "io_benchmark_t") {
      PhantomStream s;
      RETURN_IF_ERROR(ReadStream(r, root, item, &s));
      cfg.streams.push_back(std::move(s));
    } else if (item.impl == "io_monitor_t") {
      ASSIGN_OR_RETURN(const PhantomNode* file, r.Scalar(item, "filename"));
      if (file != nullptr) {
        cfg.stat_log = file->text;
      }
    } else if (item.impl == "logger_file_t") {
      ASSIGN_OR_RETURN(const PhantomNode* file, r.Scalar(item, "filename"));
      if (file != nullptr) {
        cfg.phantom_log = file->text;
      }
    } else if (item.impl == "scheduler_simple_t") {
      ASSIGN_OR_RETURN(const PhantomNode* threads, r.Scalar(item, "threads"));
      if (threads != nullptr) {
        auto n = ParseUnsigned(threads->text);
        if (!n.ok() || *n == 0 || *n > 1024) {
          return r.Error(*threads, "expected threads as an integer from 1 to 1024");
        }
        cfg.threads = static_cast<uint32_t>(*n);
      }
    }
  }
  if (cfg.streams.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        AbslView(name), ":1:1: expected at least one 'io_t <name> = io_benchmark_t { ... }'"));
  }
  return cfg;
}

}  // namespace incarne
