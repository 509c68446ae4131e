#include "ammo/ammo_templates.h"

#include <algorithm>

#include "util/strings.h"

namespace incarne {
namespace {

using Kind = scenario::TemplatePiece::Kind;

Kind RuntimeKind(AmmoPieceKind k) {
  switch (k) {
    case AmmoPieceKind::kStatic:
      return Kind::kStatic;
    case AmmoPieceKind::kContentLength:
      return Kind::kContentLength;
    case AmmoPieceKind::kVar:
      return Kind::kVar;
    case AmmoPieceKind::kInstance:
      return Kind::kInstance;
    case AmmoPieceKind::kIteration:
      return Kind::kIteration;
    case AmmoPieceKind::kNowMs:
      return Kind::kNowMs;
    case AmmoPieceKind::kUuid:
      return Kind::kUuid;
    case AmmoPieceKind::kRandom:
      return Kind::kRandom;
  }
  return Kind::kStatic;  // AmmoFile::Open checked the kinds
}

std::string Known(const std::vector<std::string>& vars) {
  std::string known;
  for (const std::string& v : vars) {
    Append(&known, known.empty() ? "" : ", ", v);
  }
  return known.empty() ? "none" : known;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<uint64_t, scenario::Template>>> StoredTemplates(
    const AmmoFile& file, const std::vector<std::string>& vars) {
  // The file's name index → the plan's variable index (-1: the plan has no such variable).
  const std::vector<std::string>& names = file.template_names();
  std::vector<int64_t> var_of(names.size(), -1);
  for (size_t n = 0; n < names.size(); ++n) {
    auto it = std::find(vars.begin(), vars.end(), names[n]);
    if (it != vars.end()) {
      var_of[n] = it - vars.begin();
    }
  }
  std::vector<std::pair<uint64_t, scenario::Template>> out;
  out.reserve(file.template_records().size());
  const std::span<const AmmoTemplatePiece> pieces = file.template_pieces();
  for (const AmmoTemplateRecord& r : file.template_records()) {
    if (r.pieces == 0) {  // not split by the compiler: split its bytes, with the error
      std::span<const uint8_t> bytes = file.Request(r.record);
      absl::StatusOr<scenario::Template> t = scenario::CompileTemplate(
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), vars);
      if (!t.ok()) {
        return absl::InvalidArgumentError(
            Cat("record ", r.record, ": ", std::string(t.status().message())));
      }
      out.emplace_back(r.record, std::move(*t));
      continue;
    }
    scenario::Template t;
    t.pieces.reserve(r.pieces);
    uint32_t drawn = 0;
    for (const AmmoTemplatePiece& q : pieces.subspan(r.first_piece, r.pieces)) {
      scenario::TemplatePiece p;
      p.kind = RuntimeKind(static_cast<AmmoPieceKind>(q.kind));
      p.body = q.body != 0;
      p.offset = q.offset;
      p.len = q.len;
      if (p.kind == Kind::kVar) {
        if (var_of[q.name] < 0) {
          return absl::InvalidArgumentError(
              Cat("record ", r.record, ": offset ", q.offset, ": unknown variable '", names[q.name],
                  "' (the plan defines: ", Known(vars),
                  "; built-ins: instance, iteration, now_ms, uuid, random(a,b))"));
        }
        p.var = static_cast<uint32_t>(var_of[q.name]);
      }
      if ((p.kind == Kind::kUuid || p.kind == Kind::kRandom) && ++drawn > scenario::kMaxDrawn) {
        // The compiler never stores this (SplitTemplate refuses it); a damaged file might.
        return absl::InvalidArgumentError(
            Cat(file.path(), ": record ", r.record, ": expected at most ", scenario::kMaxDrawn,
                " ${uuid} and ${random(a,b)} in its template pieces"));
      }
      p.lo = q.lo;
      p.hi = q.hi;
      t.fix_length = t.fix_length || p.kind == Kind::kContentLength;
      t.pieces.push_back(p);
    }
    out.emplace_back(r.record, std::move(t));
  }
  return out;
}

}  // namespace incarne
