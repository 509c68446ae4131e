#include "ammo/json_line.h"

#include <cstdint>

namespace incarne {
namespace {

enum class Field { kNone, kHost, kMethod, kUri, kTag, kBody, kHeaders, kScenario, kStep, kSleep };

Field FieldOf(std::string_view key) {
  if (key == "host") {
    return Field::kHost;
  }
  if (key == "method") {
    return Field::kMethod;
  }
  if (key == "uri") {
    return Field::kUri;
  }
  if (key == "tag") {
    return Field::kTag;
  }
  if (key == "body") {
    return Field::kBody;
  }
  if (key == "headers") {
    return Field::kHeaders;
  }
  if (key == "scenario") {
    return Field::kScenario;
  }
  if (key == "step") {
    return Field::kStep;
  }
  if (key == "sleep") {
    return Field::kSleep;
  }
  return Field::kNone;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

class Parser {
 public:
  Parser(std::string_view text, JsonError* error) : t_(text), err_(error) {}

  bool Document(JsonAmmo* out) {
    Ws();
    if (!Object(out)) {
      return false;
    }
    Ws();
    if (i_ != t_.size()) {
      return Fail("expected nothing after the JSON object (one object per line)");
    }
    return true;
  }

 private:
  bool Fail(const char* expected) {
    err_->pos = i_;
    err_->expected = expected;
    return false;
  }

  bool At(char c) const { return i_ < t_.size() && t_[i_] == c; }

  void Ws() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }

  bool Literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) {
      return Fail("expected a JSON value");
    }
    i_ += word.size();
    return true;
  }

  bool Hex4(uint32_t* v) {
    if (t_.size() - i_ < 4) {
      return Fail("expected 4 hex digits after \\u");
    }
    uint32_t x = 0;
    for (int k = 0; k < 4; ++k) {
      char c = t_[i_ + k];
      x <<= 4;
      if (c >= '0' && c <= '9') {
        x |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        x |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        x |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        i_ += k;
        return Fail("expected 4 hex digits after \\u");
      }
    }
    i_ += 4;
    *v = x;
    return true;
  }

  // A string at i_ (which must be '"'); decoded into *out unless out is null.
  bool String(std::string* out) {
    if (!At('"')) {
      return Fail("expected a string");
    }
    ++i_;
    for (;;) {
      if (i_ >= t_.size()) {
        return Fail("expected a closing '\"'");
      }
      unsigned char c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) {
        return Fail("expected no raw control characters in a string (escape them)");
      }
      if (c == '\\') {
        ++i_;
        if (i_ >= t_.size()) {
          return Fail("expected an escape character after '\\'");
        }
        char e = t_[i_++];
        char plain = 0;
        switch (e) {
          case '"':
            plain = '"';
            break;
          case '\\':
            plain = '\\';
            break;
          case '/':
            plain = '/';
            break;
          case 'b':
            plain = '\b';
            break;
          case 'f':
            plain = '\f';
            break;
          case 'n':
            plain = '\n';
            break;
          case 'r':
            plain = '\r';
            break;
          case 't':
            plain = '\t';
            break;
          case 'u':
            break;
          default:
            --i_;
            return Fail("expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
        }
        if (e != 'u') {
          if (out != nullptr) {
            out->push_back(plain);
          }
          continue;
        }
        uint32_t cp;
        if (!Hex4(&cp)) {
          return false;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          return Fail("expected a high surrogate before a low surrogate");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (t_.substr(i_, 2) != "\\u") {
            return Fail("expected a \\u low surrogate after a high surrogate");
          }
          i_ += 2;
          uint32_t lo;
          if (!Hex4(&lo)) {
            return false;
          }
          if (lo < 0xdc00 || lo > 0xdfff) {
            i_ -= 6;
            return Fail("expected a \\u low surrogate after a high surrogate");
          }
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (out != nullptr) {
          AppendUtf8(cp, out);
        }
        continue;
      }
      if (c < 0x80) {
        if (out != nullptr) {
          out->push_back(static_cast<char>(c));
        }
        ++i_;
        continue;
      }
      // A multi-byte UTF-8 sequence, validated.
      size_t len;
      uint32_t cp;
      if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
      } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
      } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
      } else {
        return Fail("expected UTF-8 text");
      }
      if (t_.size() - i_ < len) {
        return Fail("expected UTF-8 text");
      }
      for (size_t k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(t_[i_ + k]);
        if ((cc & 0xc0) != 0x80) {
          return Fail("expected UTF-8 text");
        }
        cp = (cp << 6) | (cc & 0x3f);
      }
      if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
          (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return Fail("expected UTF-8 text");
      }
      if (out != nullptr) {
        out->append(t_.data() + i_, len);
      }
      i_ += len;
    }
  }

  bool Digits() {
    size_t start = i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      ++i_;
    }
    return i_ > start;
  }

  bool Number() {
    if (At('-')) {
      ++i_;
    }
    if (At('0')) {
      ++i_;
    } else if (!Digits()) {
      return Fail("expected a digit");
    }
    if (At('.')) {
      ++i_;
      if (!Digits()) {
        return Fail("expected a digit after '.'");
      }
    }
    if (At('e') || At('E')) {
      ++i_;
      if (At('+') || At('-')) {
        ++i_;
      }
      if (!Digits()) {
        return Fail("expected a digit in the exponent");
      }
    }
    return true;
  }

  // Any JSON value, checked and discarded.
  bool SkipValue(int depth) {
    if (depth > kJsonMaxDepth) {
      return Fail("expected at most 64 levels of nesting");
    }
    if (i_ >= t_.size()) {
      return Fail("expected a JSON value");
    }
    char c = t_[i_];
    if (c == '"') {
      return String(nullptr);
    }
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      Ws();
      if (At(close)) {
        ++i_;
        return true;
      }
      for (;;) {
        if (c == '{') {
          if (!At('"')) {
            return Fail("expected a string key");
          }
          if (!String(nullptr)) {
            return false;
          }
          Ws();
          if (!At(':')) {
            return Fail("expected ':' after the key");
          }
          ++i_;
          Ws();
        }
        if (!SkipValue(depth + 1)) {
          return false;
        }
        Ws();
        if (At(',')) {
          ++i_;
          Ws();
          continue;
        }
        if (At(close)) {
          ++i_;
          return true;
        }
        return Fail(c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
    if (c == 't') {
      return Literal("true");
    }
    if (c == 'f') {
      return Literal("false");
    }
    if (c == 'n') {
      return Literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return Number();
    }
    return Fail("expected a JSON value");
  }

  bool Null() {
    if (t_.substr(i_, 4) == "null") {
      i_ += 4;
      return true;
    }
    return false;
  }

  // "step": an integer 1..65535, or null.
  bool Step(JsonAmmo* out) {
    out->step = 0;
    if (Null()) {
      return true;
    }
    const size_t at = i_;
    uint32_t v = 0;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9' && v <= 65535) {
      v = v * 10 + static_cast<uint32_t>(t_[i_] - '0');
      ++i_;
    }
    if (i_ == at || v == 0 || v > 65535 || (t_[at] == '0') ||
        (i_ < t_.size() &&
         (t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E' || (t_[i_] >= '0' && t_[i_] <= '9')))) {
      i_ = at;
      return Fail("expected an integer 1..65535 for \"step\"");
    }
    out->step = v;
    return true;
  }

  bool Headers(JsonAmmo* out) {
    out->headers.clear();
    if (Null()) {
      return true;
    }
    if (!At('{')) {
      return Fail("expected an object of strings for \"headers\"");
    }
    ++i_;
    Ws();
    if (At('}')) {
      ++i_;
      return true;
    }
    std::string name;
    std::string value;
    for (;;) {
      name.clear();
      value.clear();
      if (!String(&name)) {
        return false;
      }
      Ws();
      if (!At(':')) {
        return Fail("expected ':' after the header name");
      }
      ++i_;
      Ws();
      if (!At('"')) {
        return Fail("expected a string value for the header");
      }
      if (!String(&value)) {
        return false;
      }
      bool replaced = false;
      for (auto& [n, v] : out->headers) {
        if (n == name) {
          v = value;
          replaced = true;
        }
      }
      if (!replaced) {
        out->headers.emplace_back(name, value);
      }
      Ws();
      if (At(',')) {
        ++i_;
        Ws();
        continue;
      }
      if (At('}')) {
        ++i_;
        return true;
      }
      return Fail("expected ',' or '}' in \"headers\"");
    }
  }

  bool Object(JsonAmmo* out) {
    if (!At('{')) {
      return Fail("expected a JSON object '{'");
    }
    ++i_;
    Ws();
    if (At('}')) {
      ++i_;
      return true;
    }
    std::string key;
    for (;;) {
      key.clear();
      if (!At('"')) {
        return Fail("expected a string key");
      }
      if (!String(&key)) {
        return false;
      }
      Ws();
      if (!At(':')) {
        return Fail("expected ':' after the key");
      }
      ++i_;
      Ws();
      Field f = FieldOf(key);
      if (f == Field::kHeaders) {
        if (!Headers(out)) {
          return false;
        }
      } else if (f == Field::kStep) {
        if (!Step(out)) {
          return false;
        }
      } else if (f != Field::kNone) {
        std::string* dst = f == Field::kHost       ? &out->host
                           : f == Field::kMethod   ? &out->method
                           : f == Field::kUri      ? &out->uri
                           : f == Field::kTag      ? &out->tag
                           : f == Field::kScenario ? &out->scenario
                           : f == Field::kSleep    ? &out->sleep
                                                   : &out->body;
        dst->clear();
        if (f == Field::kUri) {
          out->has_uri = false;
        }
        if (!Null()) {
          if (!At('"')) {
            err_->pos = i_;
            err_->expected = "expected a string for \"" + key + "\"";
            return false;
          }
          if (!String(dst)) {
            return false;
          }
          if (f == Field::kUri) {
            out->has_uri = true;
          }
        }
      } else if (!SkipValue(1)) {
        return false;
      }
      Ws();
      if (At(',')) {
        ++i_;
        Ws();
        continue;
      }
      if (At('}')) {
        ++i_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  std::string_view t_;
  size_t i_ = 0;
  JsonError* err_;
};

}  // namespace

bool ParseJsonAmmo(std::string_view text, JsonAmmo* out, JsonError* error) {
  *out = JsonAmmo();
  Parser p(text, error);
  return p.Document(out);
}

}  // namespace incarne
