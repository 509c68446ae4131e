// Rules by tag (docs/scenario.md): the plan's [[rules]] compiled against the ammo's tag table
// into a flat per-tag table, so that the worker asks one question per hit — does any rule
// touch this tag? — and a hit no rule touches pays that one load and branch.
//
// Threads: Compile() runs on the control thread (the launcher) and validates everything;
// each worker then takes its own copy with Clone() (RE2 objects keep a DFA cache behind a
// lock: a copy per worker keeps that lock uncontended, shared-nothing as docs/design.md §9
// asks). Check() runs on the worker, allocates nothing once RE2's DFA cache has warmed up
// (its states are built on first use, bounded by kRegexMaxMem), never throws, never locks
// across threads.
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"
#include "scenario/data_file.h"
#include "scenario/session.h"
#include "scenario/template.h"

namespace re2 {
class RE2;
}

namespace incarne::scenario {

class JsonReader;
struct ReplyView;

// RE2 limits every regex of a plan is compiled under: memory for the compiled program and its
// DFA cache, and the program size (a regex over it is refused at load, naming it).
inline constexpr int64_t kRegexMaxMem = 1 << 20;
inline constexpr int kRegexMaxProgram = 20000;

// Header bytes the scan buffer holds before the body window (a header past this is not seen,
// so a header rule on it fails). body_scan bytes of body follow.
inline constexpr uint32_t kScanHeadMax = 16 * 1024;
inline constexpr uint32_t kBodyScanMax = 16 << 20;

// Compiles `pattern` under the limits above; "" on success, else what is wrong with it
// ("missing ): (abc"). Control plane (the plan loader validates with it).
std::string RegexError(std::string_view pattern);

// Parses one `status` item: "200", "2xx" (a class, the x's any digit). On success sets the
// codes it accepts in `codes` and returns ""; else what was expected.
std::string ParseStatusItem(std::string_view item, std::bitset<1000>* codes);

// One instance's variables (docs/scenario.md "Variables"): max_vars values of at most
// max_value bytes each, preallocated by the worker; the variable i is values[i·max_value,
// + lens[i]), kUnset while nothing was captured into it.
struct VarStore {
  static constexpr uint16_t kUnset = UINT16_MAX;
  char* values = nullptr;
  uint16_t* lens = nullptr;
};

// What Check() says of a hit: net_code 0 (every check passed, captures taken), 314
// (kNetAssertion: a check failed or a capture found nothing) or EOVERFLOW (a captured value
// longer than scenario.max_value; nothing is written), and the reason (a static string of
// the RuleSet) when not 0.
struct Verdict {
  uint16_t net_code = 0;
  const char* why = nullptr;
};

class RuleSet {
 public:
  // `tags`: the ammo's tag table (tags[0] is "", untagged hits). InvalidArgument (naming the
  // rule's position) for a regex RE2 refuses or a JSON path that does not parse — the loader
  // catches those first — and for more distinct capture names than scenario.max_vars.
  // `data_columns`: the variables a data file adds (docs/scenario.md "Data files"), beside
  // the captures'. With scenario.cookies every tag needs the reply (its Set-Cookie lines).
  static absl::StatusOr<std::unique_ptr<RuleSet>> Compile(
      const std::vector<RulePlan>& rules, const ScenarioPlan& scenario,
      const std::vector<std::string>& tags, const std::vector<std::string>& data_columns = {});
  ~RuleSet();

  // A copy with its own RE2 objects (for one worker).
  std::unique_ptr<RuleSet> Clone() const;

  // The session table (multi-step sessions) and the data file, shared read-only by every
  // Clone(); null when the plan has none. Set by the launcher after Compile.
  void SetSessions(std::shared_ptr<const SessionTable> s) { sessions_ = std::move(s); }
  const SessionTable* sessions() const { return sessions_.get(); }
  void SetData(std::shared_ptr<const DataTable> d);
  const DataTable* data() const { return data_.get(); }
  // Variable index of each data column (data()->columns[c] is variable data_vars()[c]).
  const std::vector<uint32_t>& data_vars() const { return data_vars_; }
  bool data_round_robin() const { return scenario_.data_round_robin; }
  bool cookies() const { return scenario_.cookies; }
  bool stop_on_fail() const { return scenario_.on_fail_stop; }
  // The longest ammo record (the cookie buffer holds it plus the Cookie header).
  void set_max_request(uint32_t n) { max_request_ = n; }
  uint32_t max_request() const { return max_request_; }

  // Whether any rule applies to hits with this tag.
  bool Touches(uint16_t tag) const { return tag < tag_begin_.size() - 1 && Count(tag) != 0; }
  // Whether those rules read the reply's bytes (headers or body): the worker captures them.
  bool NeedsReply(uint16_t tag) const { return tag < needs_reply_.size() && needs_reply_[tag]; }
  // Bytes of reply the worker keeps per hit for NeedsReply tags (0: none is needed); the
  // buffer holding them must have kJsonPadding more bytes after them (readable).
  uint32_t scan_bytes() const { return scan_bytes_; }
  // Variables the captures write (sorted names; a VarStore has scenario.max_vars ≥ this).
  const std::vector<std::string>& var_names() const { return var_names_; }
  uint32_t max_vars() const { return scenario_.max_vars; }
  uint32_t max_value() const { return scenario_.max_value; }
  // Tags at least one rule touches, and rules that match no tag at all (logged at start).
  uint32_t tags_touched() const { return tags_touched_; }
  std::vector<size_t> UnusedRules() const;

  // Templates in ammo (docs/scenario.md "Templates"): with variables (some rule captures),
  // every record of the ammo is looked at once for "${" and those that have one are compiled
  // (control plane, at start). InvalidArgument "record N: offset M: ..." for a bad reference.
  // Clone() shares the compiled table (read-only).
  absl::Status CompileTemplates(uint64_t count,
                                const std::function<std::string_view(uint64_t)>& record);
  // The same from a split made beforehand (the ammo file's templates section,
  // src/ammo/ammo_templates.h): `records` by increasing record below `count`, each with its
  // request's length (for the buffer's size). Records whose template needs no assembly are
  // dropped.
  void SetTemplates(uint64_t count, std::vector<std::pair<uint64_t, Template>> records,
                    const std::function<uint32_t(uint64_t)>& length);
  // The template of ammo record r, or null (sent as it is). One bit test for a record without.
  const Template* TemplateOf(uint64_t r) const {
    if (templates_ == nullptr || r >= templates_->count ||
        (templates_->bits[r >> 6] >> (r & 63) & 1) == 0) {
      return nullptr;
    }
    return FindTemplate(r);
  }
  // Bytes of the largest assembled request (0: no templated record): the worker's per-slot
  // buffer; an assembly that does not fit fails the hit with EMSGSIZE.
  uint32_t template_cap() const { return templates_ != nullptr ? templates_->cap : 0; }
  uint64_t templated_records() const {
    return templates_ != nullptr ? templates_->records.size() : 0;
  }

  // Runs the rules of `tag` over one hit: its HTTP status, done − start, and the captured
  // reply (reply[0, len), modified in place: a chunked body is de-chunked; null when the tag
  // needs none), then their captures into `vars` (null: no captures are taken). The reasons:
  // "assert status failed", "assert header Content-Type failed", "assert body failed",
  // "assert max_latency failed", "assert capture token failed", "capture token: longer than
  // scenario.max_value"; the first failed check of the first rule wins. Worker thread (the
  // worker's own Clone(): the JSON reader is per RuleSet).
  Verdict Check(uint16_t tag, uint16_t status, int64_t latency_ns, char* reply, uint32_t len,
                VarStore* vars);

 private:
  struct Header {
    std::string name;
    std::unique_ptr<re2::RE2> re;
    std::string why;
  };
  struct Capture {
    uint32_t var = 0;
    CapturePlan::From from = CapturePlan::From::kBody;
    std::string header;
    std::unique_ptr<re2::RE2> re;  // null: the whole header value
    std::string pointer;           // kJson: the JSON pointer
    std::string why_missing;
    std::string why_long;
  };
  struct Rule {
    std::bitset<1000> status;
    bool check_status = false;
    std::unique_ptr<re2::RE2> body;
    uint32_t body_scan = 0;
    std::vector<Header> headers;
    int64_t max_latency_ns = 0;
    std::vector<Capture> captures;
  };

  struct Templates {
    uint64_t count = 0;
    std::vector<uint64_t> bits;                          // record r templated: bit r
    std::vector<std::pair<uint64_t, Template>> records;  // sorted by record
    uint32_t cap = 0;
  };

  RuleSet() = default;
  const Template* FindTemplate(uint64_t r) const;
  uint32_t Count(uint16_t tag) const { return tag_begin_[tag + 1] - tag_begin_[tag]; }
  absl::Status Build(const std::vector<std::string>& tags);
  Verdict TakeCapture(const Capture& c, const ReplyView& view, VarStore* vars);

  std::vector<RulePlan> plans_;
  ScenarioPlan scenario_;
  std::vector<std::string> data_columns_;
  std::shared_ptr<const SessionTable> sessions_;
  std::shared_ptr<const DataTable> data_;
  std::vector<uint32_t> data_vars_;
  uint32_t max_request_ = 0;
  std::vector<std::string> var_names_;
  std::unique_ptr<JsonReader> json_;
  std::shared_ptr<const Templates> templates_;
  bool json_parsed_ = false;  // the current hit's body was parsed into json_
  std::vector<Rule> rules_;
  // Rules of tag t: tag_rules_[tag_begin_[t], tag_begin_[t + 1]), in plan order.
  std::vector<uint32_t> tag_begin_;
  std::vector<uint16_t> tag_rules_;
  std::vector<uint8_t> needs_reply_;
  std::vector<std::string> tags_;
  uint32_t scan_bytes_ = 0;
  uint32_t tags_touched_ = 0;
};

}  // namespace incarne::scenario
