#include "util/json_writer.h"

#include <cmath>
#include <cstdio>

namespace incarne {

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) {
      out_.push_back(',');
    }
    first_.back() = false;
  }
}

void JsonWriter::Open(char c) {
  Separate();
  out_.push_back(c);
  first_.push_back(true);
}

void JsonWriter::Close(char c) {
  out_.push_back(c);
  if (!first_.empty()) {
    first_.pop_back();
  }
}

void JsonWriter::Key(std::string_view k) {
  Separate();
  AppendEscaped(&out_, k);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  Separate();
  AppendEscaped(&out_, s);
}

void JsonWriter::Uint(uint64_t v) {
  Separate();
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v));
  out_.append(buf, static_cast<size_t>(n));
}

void JsonWriter::Int(int64_t v) {
  Separate();
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
  out_.append(buf, static_cast<size_t>(n));
}

void JsonWriter::Double(double v, int decimals) {
  Separate();
  if (!std::isfinite(v)) {
    out_.append("null");
    return;
  }
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  if (decimals > 0) {
    while (n > 0 && buf[n - 1] == '0') {
      --n;
    }
    if (n > 0 && buf[n - 1] == '.') {
      --n;
    }
  }
  if (n == 2 && buf[0] == '-' && buf[1] == '0') {
    n = 1;
    buf[0] = '0';
  }
  out_.append(buf, static_cast<size_t>(n));
}

void JsonWriter::Bool(bool b) {
  Separate();
  out_.append(b ? "true" : "false");
}

void JsonWriter::Null() {
  Separate();
  out_.append("null");
}

namespace {
// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t Utf8Len(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t cp;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (d & 0x3f);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return len;
}
}  // namespace

// Invalid UTF-8 bytes become U+FFFD so that the output is always valid JSON.
void JsonWriter::AppendEscaped(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t len = Utf8Len(s, i);
      if (len == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace incarne
