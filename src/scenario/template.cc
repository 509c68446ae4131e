#include "scenario/template.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "util/strings.h"

namespace incarne::scenario {
namespace {

using Kind = TemplatePiece::Kind;

absl::Status At(size_t offset, std::string_view what) {
  return absl::InvalidArgumentError(Cat("offset ", offset, ": ", what));
}

bool NameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool NameByte(char c) { return NameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool IsVarName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxVarName && NameStart(name[0]) &&
         std::all_of(name.begin(), name.end(), NameByte);
}

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The offset of the body (just after the blank line), or npos when the head does not end.
size_t BodyAt(std::string_view r) {
  for (size_t i = r.find('\n'); i != std::string_view::npos; i = r.find('\n', i + 1)) {
    if (i + 1 < r.size() && r[i + 1] == '\n') {
      return i + 2;
    }
    if (i + 2 < r.size() && r[i + 1] == '\r' && r[i + 2] == '\n') {
      return i + 3;
    }
  }
  return std::string_view::npos;
}

// The digits of the head's Content-Length value: offset and length (0 when there is none).
std::pair<size_t, size_t> ContentLengthDigits(std::string_view head) {
  static constexpr std::string_view kName = "content-length:";
  size_t line = head.find('\n');
  while (line != std::string_view::npos && line + 1 < head.size()) {
    const size_t start = line + 1;
    bool match = head.size() - start >= kName.size();
    for (size_t k = 0; match && k < kName.size(); ++k) {
      match = Lower(head[start + k]) == kName[k];
    }
    if (match) {
      size_t d = start + kName.size();
      while (d < head.size() && (head[d] == ' ' || head[d] == '\t')) {
        ++d;
      }
      size_t e = d;
      while (e < head.size() && head[e] >= '0' && head[e] <= '9') {
        ++e;
      }
      return {d, e - d};
    }
    line = head.find('\n', start);
  }
  return {0, 0};
}

bool ParseInt(std::string_view s, int64_t* out) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  if (s.empty()) {
    return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// One reference's text (between "${" and "}") at `offset` → a piece. A variable's name is
// looked up in `vars`, or, with `intern`, in *intern and appended when new.
absl::Status Reference(std::string_view ref, size_t offset, const std::vector<std::string>& vars,
                       std::vector<std::string>* intern, TemplatePiece* p) {
  p->offset = static_cast<uint32_t>(offset);
  if (ref == "instance") {
    p->kind = Kind::kInstance;
  } else if (ref == "iteration") {
    p->kind = Kind::kIteration;
  } else if (ref == "now_ms") {
    p->kind = Kind::kNowMs;
  } else if (ref == "uuid") {
    p->kind = Kind::kUuid;
  } else if (ref.starts_with("random(")) {
    const size_t comma = ref.find(',');
    if (!ref.ends_with(")") || comma == std::string_view::npos ||
        !ParseInt(ref.substr(7, comma - 7), &p->lo) ||
        !ParseInt(ref.substr(comma + 1, ref.size() - comma - 2), &p->hi) || p->lo > p->hi) {
      return At(offset, Cat("expected ${random(a,b)} with integers a <= b, got ${", ref, "}"));
    }
    p->kind = Kind::kRandom;
  } else {
    if (ref.empty() || !NameStart(ref[0]) || !std::all_of(ref.begin(), ref.end(), NameByte)) {
      return At(offset, Cat("expected a variable name (letters, digits, _) or a built-in "
                            "(instance, iteration, now_ms, uuid, random(a,b)) in ${...}, got ${",
                            ref, "}"));
    }
    if (intern != nullptr) {
      auto it = std::find(intern->begin(), intern->end(), ref);
      p->kind = Kind::kVar;
      p->var = static_cast<uint32_t>(it - intern->begin());
      if (it == intern->end()) {
        intern->emplace_back(ref);
      }
      return absl::OkStatus();
    }
    auto it = std::find(vars.begin(), vars.end(), ref);
    if (it == vars.end()) {
      std::string known;
      for (const std::string& v : vars) {
        Append(&known, known.empty() ? "" : ", ", v);
      }
      return At(offset, Cat("unknown variable '", ref,
                            "' (the plan defines: ", known.empty() ? "none" : known,
                            "; built-ins: instance, iteration, now_ms, uuid, random(a,b))"));
    }
    p->kind = Kind::kVar;
    p->var = static_cast<uint32_t>(it - vars.begin());
  }
  return absl::OkStatus();
}

uint32_t Digits(uint64_t v) {
  uint32_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

uint32_t SignedDigits(int64_t v) {
  return v < 0 ? 1 + Digits(0 - static_cast<uint64_t>(v)) : Digits(static_cast<uint64_t>(v));
}

uint64_t Next(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

void WriteUuid(uint64_t a, uint64_t b, char* out) {
  // RFC 9562 version 4, variant 10.
  a = (a & ~uint64_t{0xF000}) | 0x4000;
  b = (b & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[32];
  for (int i = 0; i < 16; ++i) {
    hex[i] = kHex[(a >> (60 - 4 * i)) & 0xF];
    hex[16 + i] = kHex[(b >> (60 - 4 * i)) & 0xF];
  }
  int k = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) {
      out[k++] = '-';
    }
    out[k++] = hex[i];
  }
}

}  // namespace

namespace {

absl::StatusOr<Template> Split(std::string_view r, const std::vector<std::string>& vars,
                               std::vector<std::string>* intern) {
  Template t;
  const size_t body_at = BodyAt(r);
  auto add_static = [&](size_t from, size_t to) {
    if (from < body_at && body_at < to) {  // the head's end and the body's start: two pieces
      TemplatePiece head;
      head.offset = static_cast<uint32_t>(from);
      head.len = static_cast<uint32_t>(body_at - from);
      t.pieces.push_back(head);
      from = body_at;
    }
    if (to > from) {
      TemplatePiece p;
      p.offset = static_cast<uint32_t>(from);
      p.len = static_cast<uint32_t>(to - from);
      p.body = from >= body_at;
      t.pieces.push_back(p);
    }
  };
  uint32_t drawn = 0;
  size_t start = 0;
  size_t i = 0;
  while ((i = r.find("${", i)) != std::string_view::npos) {
    if (i > 0 && r[i - 1] == '$') {  // "$${": a literal "${"
      add_static(start, i - 1);
      start = i;
      i += 2;
      continue;
    }
    const size_t end = r.find('}', i + 2);
    if (end == std::string_view::npos) {
      return At(i, "a ${ without its closing }");
    }
    TemplatePiece p;
    absl::Status st = Reference(r.substr(i + 2, end - i - 2), i, vars, intern, &p);
    if (!st.ok()) {
      return st;
    }
    if ((p.kind == Kind::kUuid || p.kind == Kind::kRandom) && ++drawn > kMaxDrawn) {
      return At(i, Cat("more than ", kMaxDrawn, " ${uuid} and ${random(a,b)} in one request"));
    }
    p.body = i >= body_at;
    t.fix_length = t.fix_length || p.body;
    add_static(start, i);
    t.pieces.push_back(p);
    start = i = end + 1;
  }
  add_static(start, r.size());
  if (t.pieces.empty()) {
    t.pieces.push_back(TemplatePiece{});  // an empty request: one empty static piece
  }
  if (t.fix_length) {
    auto [cl, cl_len] = ContentLengthDigits(r.substr(0, body_at));
    if (cl_len == 0) {
      return At(body_at, "a reference in the body needs a Content-Length header to fix up");
    }
    // Split the static piece holding the digits into before / the digits / after.
    for (size_t k = 0; k < t.pieces.size(); ++k) {
      TemplatePiece& p = t.pieces[k];
      if (p.kind != Kind::kStatic || p.offset > cl || p.offset + p.len < cl + cl_len) {
        continue;
      }
      TemplatePiece before = p;
      before.len = static_cast<uint32_t>(cl - p.offset);
      TemplatePiece digits = p;
      digits.kind = Kind::kContentLength;
      digits.offset = static_cast<uint32_t>(cl);
      digits.len = static_cast<uint32_t>(cl_len);
      TemplatePiece after = p;
      after.offset = static_cast<uint32_t>(cl + cl_len);
      after.len = p.offset + p.len - after.offset;
      t.pieces.erase(t.pieces.begin() + static_cast<std::ptrdiff_t>(k));
      t.pieces.insert(t.pieces.begin() + static_cast<std::ptrdiff_t>(k), {before, digits, after});
      break;
    }
  }
  return t;
}

}  // namespace

absl::StatusOr<Template> CompileTemplate(std::string_view r, const std::vector<std::string>& vars) {
  return Split(r, vars, nullptr);
}

absl::StatusOr<Template> SplitTemplate(std::string_view r, std::vector<std::string>* names) {
  static const std::vector<std::string> kNone;
  return Split(r, kNone, names);
}

int64_t AssembleTemplate(const Template& t, const char* src, const TemplateContext& ctx, char* out,
                         uint32_t cap) {
  // Pass 1: every value's length (random values drawn now, kept for pass 2) and the body's.
  uint64_t draws[2 * kMaxDrawn];
  uint32_t ndraw = 0;
  uint64_t body = 0;
  uint64_t total = 0;
  for (const TemplatePiece& p : t.pieces) {
    uint64_t n = 0;
    switch (p.kind) {
      case Kind::kStatic:
        n = p.len;
        break;
      case Kind::kContentLength:
        continue;  // counted below, once the body is known
      case Kind::kVar:
        if (ctx.lens == nullptr || ctx.lens[p.var] == UINT16_MAX) {
          return -ENOENT;
        }
        n = ctx.lens[p.var];
        break;
      case Kind::kInstance:
        n = Digits(ctx.instance);
        break;
      case Kind::kIteration:
        n = Digits(ctx.iteration);
        break;
      case Kind::kNowMs:
        n = SignedDigits(ctx.now_ms);
        break;
      case Kind::kUuid:
        draws[ndraw++] = Next(ctx.rng);
        draws[ndraw++] = Next(ctx.rng);
        n = 36;
        break;
      case Kind::kRandom: {
        const uint64_t span = static_cast<uint64_t>(p.hi) - static_cast<uint64_t>(p.lo) + 1;
        const uint64_t v = span == 0 ? Next(ctx.rng) : Next(ctx.rng) % span;
        draws[ndraw++] = v;
        n = SignedDigits(static_cast<int64_t>(static_cast<uint64_t>(p.lo) + v));
        break;
      }
    }
    total += n;
    if (p.body) {
      body += n;
    }
  }
  if (t.fix_length) {
    total += Digits(body);
  }
  if (total > cap) {
    return -EMSGSIZE;
  }
  // Pass 2: write.
  char* w = out;
  char* const end = out + cap;
  uint32_t k = 0;
  for (const TemplatePiece& p : t.pieces) {
    switch (p.kind) {
      case Kind::kStatic:
        memcpy(w, src + p.offset, p.len);
        w += p.len;
        break;
      case Kind::kContentLength:
        w = std::to_chars(w, end, body).ptr;
        break;
      case Kind::kVar:
        memcpy(w, ctx.values + size_t{p.var} * ctx.max_value, ctx.lens[p.var]);
        w += ctx.lens[p.var];
        break;
      case Kind::kInstance:
        w = std::to_chars(w, end, ctx.instance).ptr;
        break;
      case Kind::kIteration:
        w = std::to_chars(w, end, ctx.iteration).ptr;
        break;
      case Kind::kNowMs:
        w = std::to_chars(w, end, ctx.now_ms).ptr;
        break;
      case Kind::kUuid:
        WriteUuid(draws[k], draws[k + 1], w);
        k += 2;
        w += 36;
        break;
      case Kind::kRandom:
        w = std::to_chars(w, end, static_cast<int64_t>(static_cast<uint64_t>(p.lo) + draws[k++]))
                .ptr;
        break;
    }
  }
  return w - out;
}

}  // namespace incarne::scenario
