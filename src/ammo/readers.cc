// Pieces shared by the readers (each format lives in its own <format>_reader.cc).
#include "ammo/readers.h"

#include "absl/strings/str_cat.h"
#include "ammo/reader_util.h"
#include "plan/duration.h"
#include "util/status.h"

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

bool IsSessionMarker(std::string_view text) {
  if (text.empty() || text[0] != '[') {
    return false;
  }
  text.remove_prefix(1);
  while (!text.empty() && (text[0] == ' ' || text[0] == '\t')) {
    text.remove_prefix(1);
  }
  return text.starts_with("scenario=");
}

absl::Status ParseSessionMarker(const InputStream& in, uint64_t line, uint64_t offset,
                                std::string_view text, SessionMarker* m) {
  auto fail = [&](std::string_view what) {
    return InputError(in, line, offset, Cat(what, " (a session marker, docs/ammo.md)"));
  };
  if (m->pending) {
    return fail(Cat("expected a record after the session marker at line ", m->line,
                    ", found another marker"));
  }
  std::string_view inner = StripLineEnd(text);
  while (!inner.empty() && (inner.back() == ' ' || inner.back() == '\t')) {
    inner.remove_suffix(1);
  }
  if (inner.size() < 2 || inner.back() != ']') {
    return fail(Cat("expected '[scenario=NAME step=N sleep=DURATION]' ending with ']', found '",
                    Excerpt(text), "'"));
  }
  if (inner.find(':') != std::string_view::npos) {
    return fail(Cat("expected no ':' in '", Excerpt(inner),
                    "' (a header name cannot start with 'scenario='; a scenario name, step "
                    "or sleep has no ':')"));
  }
  inner = inner.substr(1, inner.size() - 2);
  SessionMarker got;
  bool has_step = false;
  bool has_sleep = false;
  std::string_view f[1];
  while (SplitFields(inner, f, 1) > 0) {
    const std::string_view token = f[0];
    inner = inner.substr(token.data() + token.size() - inner.data());
    const size_t eq = token.find('=');
    const std::string_view key = token.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : token.substr(eq + 1);
    if (eq == std::string_view::npos || value.empty()) {
      return fail(Cat("expected KEY=VALUE, found '", Excerpt(token), "'"));
    }
    if (key == "scenario") {
      if (!got.scenario.empty()) {
        return fail("expected one scenario=");
      }
      for (char c : value) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ']' || c == '[') {
          return fail(
              Cat("expected a scenario name without control characters or brackets, "
                  "found '",
                  Excerpt(value), "'"));
        }
      }
      got.scenario.assign(value);
    } else if (key == "step") {
      uint64_t step = 0;
      if (has_step || !ParseDecimal(value, 65535, &step) || step == 0) {
        return fail(Cat("expected one step=N with N in 1..65535, found '", Excerpt(token), "'"));
      }
      has_step = true;
      got.step = static_cast<uint32_t>(step);
    } else if (key == "sleep") {
      absl::StatusOr<int64_t> ns = ParseDuration(value);
      if (has_sleep || !ns.ok() || *ns < 0) {
        return fail(
            Cat("expected one think time such as sleep=100ms, found '", Excerpt(token), "'"));
      }
      has_sleep = true;
      got.sleep_ns = *ns;
    } else {
      return fail(Cat("expected scenario=, step= or sleep=, found '", Excerpt(token), "'"));
    }
    if (got.scenario.empty()) {
      return fail("expected scenario=NAME first");
    }
  }
  got.pending = true;
  got.line = line;
  got.offset = offset;
  *m = std::move(got);
  return absl::OkStatus();
}

absl::Status FlushSessionMarker(SessionMarker* m, RecordSink& sink) {
  if (!m->pending) {
    return absl::OkStatus();
  }
  m->pending = false;
  return sink.Mark(m->scenario, m->step, m->sleep_ns);
}

absl::Status CheckNoSessionMarker(const InputStream& in, const SessionMarker& m) {
  if (!m.pending) {
    return absl::OkStatus();
  }
  return InputError(in, m.line, m.offset,
                    "expected a record after this session marker, found the end of the records "
                    "(a session marker, docs/ammo.md)");
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
