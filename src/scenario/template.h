// Templates in requests (docs/scenario.md "Templates"): a request's bytes with `${name}`
// references, split once — when the ammo is compiled or loaded, never per hit — into static
// spans of the original bytes and references; a hit then assembles the request into its
// slot's preallocated buffer (no allocation), fixing Content-Length up when the body holds a
// reference.
//
// Syntax: `${name}` a variable (letters, digits, `_`; not first a digit), `${instance}`,
// `${iteration}`, `${now_ms}`, `${uuid}`, `${random(a,b)}` (integers, a ≤ b) built-ins; `$${`
// is a literal `${`. Anything else after `${` is an error naming its byte offset.
//
// `incarne ammo compile` splits without a plan (SplitTemplate: names, not indices) and stores
// the split in the ammo file (docs/formats.md "Templates section"); the run resolves the names
// (src/ammo/ammo_templates.h). CompileTemplate is the run-start split of an ammo file without
// that section.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne::scenario {

// A variable's name: 1–64 letters, digits and `_`, not first a digit (docs/scenario.md). The
// one definition for captures, data file columns, templates and the pandora converter.
inline constexpr size_t kMaxVarName = 64;
bool IsVarName(std::string_view name);

struct TemplatePiece {
  enum class Kind : uint8_t {
    kStatic,
    kContentLength,  // the original Content-Length digits: written as the assembled body's size
    kVar,
    kInstance,
    kIteration,
    kNowMs,
    kUuid,
    kRandom,
  };
  Kind kind = Kind::kStatic;
  bool body = false;    // lies in the body (counts towards Content-Length)
  uint32_t offset = 0;  // kStatic, kContentLength: span of the original bytes; a reference:
  uint32_t len = 0;     // where its "${" is (for messages), len 0
  uint32_t var = 0;     // kVar: variable index (SplitTemplate: index into its names)
  int64_t lo = 0;       // kRandom: bounds, inclusive
  int64_t hi = 0;
};

// At most this many ${uuid} and ${random(a,b)} references in one request (their values are
// drawn once per assembly into a fixed array).
inline constexpr uint32_t kMaxDrawn = 8;

struct Template {
  std::vector<TemplatePiece> pieces;
  bool fix_length = false;  // the body holds a reference: Content-Length is rewritten
  // Whether the request must be assembled (a reference, or a "$${" to unescape); false: it
  // is sent as it is. One static piece from offset 0 is the whole request unchanged.
  bool templated() const {
    return pieces.size() != 1 || pieces[0].kind != TemplatePiece::Kind::kStatic ||
           pieces[0].offset != 0;
  }
};

// Splits `request` (an HTTP/1.x request as it goes on the wire). `vars` are the variable names
// known to the plan (captures, data file columns), index = position. InvalidArgument "offset
// N: ..." for a malformed reference, an unknown variable, or a body reference in a request
// without a Content-Length header (a chunked body cannot be fixed up).
absl::StatusOr<Template> CompileTemplate(std::string_view request,
                                         const std::vector<std::string>& vars);

// The same split without a plan (`incarne ammo compile`): every variable name is known; a
// kVar piece's `var` indexes `names`, to which a name not there yet is appended. The errors
// are CompileTemplate's but for an unknown variable.
absl::StatusOr<Template> SplitTemplate(std::string_view request, std::vector<std::string>* names);

// What a hit's assembly reads: the instance's variables (index → bytes; len UINT16_MAX =
// unset), the built-ins' values and a random state (xorshift, per worker).
struct TemplateContext {
  const char* values = nullptr;
  const uint16_t* lens = nullptr;
  uint32_t max_value = 0;
  uint64_t instance = 0;
  uint64_t iteration = 0;
  int64_t now_ms = 0;
  uint64_t* rng = nullptr;  // nonzero state
};

// Assembles `t` over the original bytes `src` into out[0, cap). Returns the length, or
// -ENOENT (a variable not set yet), -EMSGSIZE (longer than cap). Never allocates.
int64_t AssembleTemplate(const Template& t, const char* src, const TemplateContext& ctx, char* out,
                         uint32_t cap);

}  // namespace incarne::scenario
