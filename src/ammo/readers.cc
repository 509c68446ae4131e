// Pieces shared by the readers (each format lives in its own <format>_reader.cc).
#include "ammo/readers.h"

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"

namespace incarne {

absl::Status RecordSink::Record(uint64_t line, uint64_t offset, std::string_view request,
                                std::string_view tag, bool tagged, int64_t planned_ms) {
  absl::Status s = Begin(line, offset);
  if (s.ok()) {
    s = Append(request);
  }
  if (s.ok()) {
    s = End(tag, tagged, planned_ms);
  }
  return s;
}

absl::Status InputError(const InputStream& in, uint64_t line, uint64_t offset,
                        std::string_view what) {
  if (line == 0) {
    return absl::InvalidArgumentError(Cat(in.name(), ": offset ", offset, ": ", what));
  }
  return absl::InvalidArgumentError(
      Cat(in.name(), ": line ", line, ", offset ", offset, ": ", what));
}

std::string Excerpt(std::string_view bytes) {
  constexpr size_t kMax = 64;
  std::string out;
  size_t n = std::min(bytes.size(), kMax);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\' || c == '\'') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      out.append(absl::StrFormat("\\x%02x", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (bytes.size() > kMax) {
    out.append("...");
  }
  return out;
}

absl::Status ParseBracketHeader(const InputStream& in, uint64_t line, uint64_t offset,
                                std::string_view text, HeaderDict* dict) {
  // Tank: line.strip(b'\r\n[]\t '), split at the first ':', strip both halves.
  std::string_view inner = StripChars(text, std::string_view("\r\n[]\t ", 6));
  std::string_view name;
  std::string_view value;
  if (!SplitHeader(inner, &name, &value)) {
    return InputError(
        in, line, offset,
        Cat("expected a header line '[Name: value]', found '", Excerpt(text), "' (no ':')"));
  }
  if (name.empty()) {
    return InputError(in, line, offset,
                      Cat("expected a header name before ':' in '", Excerpt(text), "'"));
  }
  dict->Set(name, value);
  return absl::OkStatus();
}

absl::Status ConfigHeaderDict(const std::vector<std::string>& headers, HeaderDict* dict) {
  for (const std::string& h : headers) {
    std::string_view name;
    std::string_view value;
    if (!SplitHeader(h, &name, &value) || name.empty()) {
      return absl::InvalidArgumentError(Cat("header '", Excerpt(h), "': expected 'Name: value'"));
    }
    dict->Set(name, value);
  }
  return absl::OkStatus();
}

std::string_view StripLineEnd(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  return line;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
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
      return false;
    }
    if (n - i < len) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace incarne
