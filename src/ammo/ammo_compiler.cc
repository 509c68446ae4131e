#include "ammo/ammo_compiler.h"

#include <optional>
#include <random>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "ammo/ammo_writer.h"
#include "ammo/http_request.h"
#include "ammo/input_stream.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "scenario/template.h"
#include "util/status.h"

namespace incarne {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// Tank's `autocases` (stepper/mark.py): a tag for records that have none.
struct Autocases {
  enum class Mode { kNone, kSegments, kUri, kUniq };
  Mode mode = Mode::kNone;
  uint64_t segments = 0;

  static absl::StatusOr<Autocases> Parse(std::string_view text) {
    Autocases a;
    uint64_t n = 0;
    if (text == "uri") {
      a.mode = Mode::kUri;
    } else if (text == "uniq") {
      a.mode = Mode::kUniq;
    } else if (ParseDecimal(text, 1u << 20, &n)) {
      a.mode = n == 0 ? Mode::kNone : Mode::kSegments;
      a.segments = n;
    } else {
      return absl::InvalidArgumentError(
          Cat("autocases '", text, "': expected 0, a number of URI path segments, uri or uniq"));
    }
    return a;
  }
};

bool ValidHttpVersion(std::string_view v) {
  size_t dot = v.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) {
    return false;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != dot && !absl::ascii_isdigit(static_cast<unsigned char>(v[i]))) {
      return false;
    }
  }
  return true;
}

// Request bytes kept per record to look for a Host header (a request whose headers run past
// this is not judged).
constexpr size_t kHostScanBytes = 8u << 10;

// Whether `head` (the start of a request) is an HTTP/1.1 request whose complete header block
// has no Host header (RFC 9112 §3.2: a server answers 400). Anything else is false.
bool LacksHost(std::string_view head) {
  size_t eol = head.find('\n');
  if (eol == std::string_view::npos) {
    return false;
  }
  std::string_view request_line = head.substr(0, eol);
  if (!request_line.empty() && request_line.back() == '\r') {
    request_line.remove_suffix(1);
  }
  if (!request_line.ends_with(" HTTP/1.1")) {
    return false;
  }
  std::string_view rest = head.substr(eol + 1);
  while (true) {
    eol = rest.find('\n');
    if (eol == std::string_view::npos) {
      return false;  // the headers go on past what was kept: not judged
    }
    std::string_view header = rest.substr(0, eol);
    if (!header.empty() && header.back() == '\r') {
      header.remove_suffix(1);
    }
    if (header.empty()) {
      return true;  // the end of the headers, no Host among them
    }
    if (header.size() >= 5 && EqualsNoCase(header.substr(0, 5), "host:")) {
      return false;
    }
    rest = rest.substr(eol + 1);
  }
}

// Records up to this size are kept while compiling to split their templates (an assembled
// request is at most 16 MiB: RuleSet's per-slot buffer); a larger one with "${" is stored
// unsplit (0 pieces) and split by the run from its bytes.
constexpr size_t kMaxSplitBytes = 16u << 20;
// Distinct variable names in a file's templates (a plan has at most 4096 variables: a record
// naming another is stored unsplit, and the run reports the unknown name).
constexpr size_t kMaxTemplateNames = 4096;

AmmoPieceKind StoredKind(scenario::TemplatePiece::Kind k) {
  using Kind = scenario::TemplatePiece::Kind;
  switch (k) {
    case Kind::kStatic:
      return AmmoPieceKind::kStatic;
    case Kind::kContentLength:
      return AmmoPieceKind::kContentLength;
    case Kind::kVar:
      return AmmoPieceKind::kVar;
    case Kind::kInstance:
      return AmmoPieceKind::kInstance;
    case Kind::kIteration:
      return AmmoPieceKind::kIteration;
    case Kind::kNowMs:
      return AmmoPieceKind::kNowMs;
    case Kind::kUuid:
      return AmmoPieceKind::kUuid;
    case Kind::kRandom:
      return AmmoPieceKind::kRandom;
  }
  return AmmoPieceKind::kStatic;
}

class CompileSink : public RecordSink {
 public:
  CompileSink(std::string name, AmmoWriter* writer, Autocases autocases,
              const std::vector<std::string>& chosen, uint64_t limit, bool has_times)
      : name_(std::move(name)),
        writer_(writer),
        autocases_(autocases),
        limit_(limit),
        has_times_(has_times),
        head_cap_(autocases.mode == Autocases::Mode::kSegments ||
                          autocases.mode == Autocases::Mode::kUri
                      ? 64u << 10
                      : kHostScanBytes) {
    for (const std::string& c : chosen) {
      chosen_.insert(c);
    }
    tags_.emplace_back();
    ids_.emplace(std::string(), 0);
    if (autocases.mode == Autocases::Mode::kUniq) {
      std::random_device rd;
      rng_.seed((uint64_t{rd()} << 32) ^ rd());
    }
  }

  absl::Status Begin(uint64_t line, uint64_t offset) override {
    line_ = line;
    offset_ = offset;
    length_ = 0;
    head_.clear();
    record_.clear();
    has_ref_ = false;
    last_ = '\0';
    writer_->BeginRecord();
    return absl::OkStatus();
  }

  absl::Status Append(std::string_view bytes) override {
    length_ += bytes.size();
    if (length_ > kMaxRequestBytes) {
      return Error(Cat("expected a request below 4 GiB, this one has ", length_, " bytes or more"));
    }
    if (head_.size() < head_cap_) {
      head_.append(bytes.substr(0, head_cap_ - head_.size()));
    }
    if (!bytes.empty()) {
      has_ref_ = has_ref_ || (last_ == '$' && bytes[0] == '{') ||
                 bytes.find("${") != std::string_view::npos;
      last_ = bytes.back();
      if (length_ <= kMaxSplitBytes) {
        record_.append(bytes);
      }
    }
    return writer_->Append(bytes);
  }

  absl::Status End(std::string_view tag, bool tagged, int64_t planned_ms) override {
    ++read_;
    if (!tagged) {
      auto_tag_.clear();
      AutoTag(&auto_tag_);
      tag = auto_tag_;
    }
    const Pending mark = std::exchange(mark_, Pending{});
    if (!chosen_.empty() && chosen_.find(tag) == chosen_.end()) {
      writer_->AbortRecord();
      ++filtered_;
      return absl::OkStatus();
    }
    uint16_t id = 0;
    if (!tag.empty()) {
      auto it = ids_.find(tag);
      if (it != ids_.end()) {
        id = it->second;
      } else {
        if (tags_.size() >= kAmmoMaxTags) {
          return Error(Cat("expected at most 65535 distinct tags, tag '", Excerpt(tag),
                           "' is one more (autocases uniq gives every record a tag of its own)"));
        }
        if (tag.size() > UINT16_MAX) {
          return Error("expected a tag shorter than 64 KiB");
        }
        id = static_cast<uint16_t>(tags_.size());
        tags_.emplace_back(tag);
        ids_.emplace(std::string(tag), id);
      }
    }
    uint16_t flags = 0;
    if (head_.size() >= 5 && EqualsNoCase(std::string_view(head_).substr(0, 5), "HEAD ")) {
      flags |= kAmmoFlagHead;
    }
    if (has_times_ && planned_ms >= 0) {
      if (planned_ms < last_planned_ms_ && backwards_++ == 0) {
        first_backwards_ = Cat("line ", line_, ": ", planned_ms, " ms after ", last_planned_ms_);
      }
      last_planned_ms_ = std::max(last_planned_ms_, planned_ms);
    }
    if (LacksHost(head_) && no_host_++ == 0) {
      first_no_host_ = line_ == 0 ? Cat("offset ", offset_) : Cat("line ", line_);
    }
    if (has_ref_) {
      flags |= kAmmoFlagTemplate;
    }
    int64_t planned_ns = has_times_ ? std::max<int64_t>(planned_ms, 0) * 1'000'000 : 0;
    RETURN_IF_ERROR(writer_->EndRecord(id, flags, planned_ns));
    if (has_ref_) {
      RETURN_IF_ERROR(writer_->AddTemplate(Split()));
    }
    if (mark.scenario != 0 || mark.step != 0 || mark.sleep_ns != 0) {
      RETURN_IF_ERROR(writer_->AddSessionMark(mark.scenario, mark.step, mark.sleep_ns));
      session_marks_ += mark.scenario != 0 ? 1 : 0;
    }
    ++kept_;
    if (limit_ != 0 && kept_ >= limit_) {
      done_ = true;
    }
    return absl::OkStatus();
  }

  bool done() const override { return done_; }

  // Kept for the next record (End stores it with the record, or drops it with a filtered
  // one); the scenario name interned into scenarios_ (1-based ids; 0 = none).
  absl::Status Mark(std::string_view scenario, uint32_t step, int64_t sleep_ns) override {
    mark_ = Pending{0, step, sleep_ns};
    if (scenario.empty()) {
      return absl::OkStatus();
    }
    auto it = scenario_ids_.find(scenario);
    if (it == scenario_ids_.end()) {
      if (scenario.size() > UINT16_MAX || scenarios_.size() >= kAmmoMaxTags) {
        return Error(Cat("expected a scenario name shorter than 64 KiB, and at most ",
                         kAmmoMaxTags - 1, " scenarios, found '", Excerpt(scenario), "'"));
      }
      scenarios_.emplace_back(scenario);
      it = scenario_ids_.emplace(std::string(scenario), static_cast<uint32_t>(scenarios_.size()))
               .first;
    }
    mark_.scenario = it->second;
    return absl::OkStatus();
  }

  void Skipped(uint64_t line, uint64_t offset, std::string_view why) override {
    if (skipped_++ == 0) {
      first_skipped_ = Cat("line ", line, ": ", why);
    }
  }

  void SourceFormat(std::string_view format) override { source_format_.assign(format); }

  uint64_t read() const { return read_; }
  uint64_t kept() const { return kept_; }
  uint64_t filtered() const { return filtered_; }
  uint64_t skipped() const { return skipped_; }
  const std::string& first_skipped() const { return first_skipped_; }
  uint64_t backwards() const { return backwards_; }
  const std::string& first_backwards() const { return first_backwards_; }
  uint64_t no_host() const { return no_host_; }
  const std::string& first_no_host() const { return first_no_host_; }
  const std::string& source_format() const { return source_format_; }
  const std::vector<std::string>& tags() const { return tags_; }
  const std::vector<std::string>& template_names() const { return names_; }
  uint64_t templated() const { return templated_; }
  uint64_t session_marks() const { return session_marks_; }
  const std::vector<std::string>& scenario_names() const { return scenarios_; }
  uint64_t unsplit() const { return unsplit_; }

 private:
  // The current record's template split (scenario::SplitTemplate) as stored pieces, its
  // names interned into names_; empty when it cannot be split (too large, a malformed
  // reference, too many names): the run splits it from its bytes and reports why.
  std::span<const AmmoTemplatePiece> Split() {
    ++templated_;
    pieces_.clear();
    local_names_.clear();
    absl::StatusOr<scenario::Template> t = length_ <= kMaxSplitBytes
                                               ? scenario::SplitTemplate(record_, &local_names_)
                                               : absl::InvalidArgumentError("too large");
    if (!t.ok()) {
      ++unsplit_;
      return {};
    }
    // Local name index → the file's.
    name_map_.clear();
    for (const std::string& n : local_names_) {
      auto it = name_ids_.find(n);
      if (it == name_ids_.end()) {
        if (names_.size() >= kMaxTemplateNames) {
          ++unsplit_;
          return {};
        }
        it = name_ids_.emplace(n, static_cast<uint32_t>(names_.size())).first;
        names_.push_back(n);
      }
      name_map_.push_back(it->second);
    }
    for (const scenario::TemplatePiece& p : t->pieces) {
      AmmoTemplatePiece q{};
      q.kind = static_cast<uint8_t>(StoredKind(p.kind));
      q.body = p.body ? 1 : 0;
      q.offset = p.offset;
      const bool span = p.kind == scenario::TemplatePiece::Kind::kStatic ||
                        p.kind == scenario::TemplatePiece::Kind::kContentLength;
      q.len = span ? p.len : 0;
      if (p.kind == scenario::TemplatePiece::Kind::kVar) {
        q.name = name_map_[p.var];
      }
      if (p.kind == scenario::TemplatePiece::Kind::kRandom) {
        q.lo = p.lo;
        q.hi = p.hi;
      }
      pieces_.push_back(q);
    }
    return pieces_;
  }

  absl::Status Error(std::string_view what) const {
    if (line_ == 0) {
      return absl::InvalidArgumentError(Cat(name_, ": offset ", offset_, ": ", what));
    }
    return absl::InvalidArgumentError(
        Cat(name_, ": line ", line_, ", offset ", offset_, ": ", what));
  }

  // Tank mark.py on the request's first line: the URI is its second ' '-separated token,
  // cut at '?'; `uri` turns every '/' into '_', N keeps the first N+1 '/'-separated parts
  // ("/a/b/c", 2 → "_a_b"); `uniq` is a random UUID4 in hex.
  void AutoTag(std::string* out) {
    switch (autocases_.mode) {
      case Autocases::Mode::kNone:
        return;
      case Autocases::Mode::kUniq: {
        uint64_t hi = rng_();
        uint64_t lo = rng_();
        hi = (hi & ~uint64_t{0xf000}) | 0x4000;                      // version 4
        lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // RFC 4122 variant
        *out = absl::StrFormat("%016x%016x", hi, lo);
        return;
      }
      case Autocases::Mode::kSegments:
      case Autocases::Mode::kUri:
        break;
    }
    std::string_view first = head_;
    first = first.substr(0, first.find('\n'));
    size_t sp = first.find(' ');
    if (sp == std::string_view::npos) {
      return;  // no URI on the request line (Tank fails here); no tag
    }
    std::string_view uri = first.substr(sp + 1);
    uri = uri.substr(0, uri.find(' '));
    uri = uri.substr(0, uri.find('?'));
    if (autocases_.mode == Autocases::Mode::kSegments) {
      uint64_t slashes = 0;
      for (size_t i = 0; i < uri.size(); ++i) {
        if (uri[i] == '/' && ++slashes == autocases_.segments + 1) {
          uri = uri.substr(0, i);
          break;
        }
      }
    }
    while (!uri.empty() && uri.back() == '\r') {
      uri.remove_suffix(1);
    }
    out->assign(uri);
    for (char& c : *out) {
      if (c == '/') {
        c = '_';
      }
    }
  }

  std::string name_;
  AmmoWriter* writer_;
  Autocases autocases_;
  uint64_t limit_;
  bool has_times_;
  size_t head_cap_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> chosen_;
  std::unordered_map<std::string, uint16_t, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> tags_;
  std::mt19937_64 rng_;
  std::string head_;
  std::string record_;              // the record's bytes, up to kMaxSplitBytes (templates)
  bool has_ref_ = false;            // the record holds "${"
  char last_ = '\0';                // its last byte so far ("${" across two Appends)
  std::vector<std::string> names_;  // the templates' variable names, in first-use order
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> name_ids_;
  std::vector<std::string> local_names_;
  std::vector<uint32_t> name_map_;
  std::vector<AmmoTemplatePiece> pieces_;
  uint64_t templated_ = 0;
  uint64_t unsplit_ = 0;
  uint64_t session_marks_ = 0;  // records stored with a scenario
  struct Pending {
    uint32_t scenario = 0;  // 1-based into scenarios_; 0: none
    uint32_t step = 0;
    int64_t sleep_ns = 0;
  };
  Pending mark_;                        // the next record's session mark (Mark before End)
  std::vector<std::string> scenarios_;  // the scenario names, in first-use order
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> scenario_ids_;
  std::string auto_tag_;
  std::string source_format_;
  std::string first_skipped_;
  int64_t last_planned_ms_ = 0;
  uint64_t backwards_ = 0;  // stpd records planned before an earlier one
  std::string first_backwards_;
  uint64_t no_host_ = 0;  // HTTP/1.1 requests without a Host header
  std::string first_no_host_;
  uint64_t line_ = 0;
  uint64_t offset_ = 0;
  uint64_t length_ = 0;
  uint64_t read_ = 0;
  uint64_t kept_ = 0;
  uint64_t filtered_ = 0;
  uint64_t skipped_ = 0;
  bool done_ = false;
};

// A compiled ammo file as input: records are copied (chosen_cases / limit / autocases for
// untagged records apply again); headers do not.
absl::Status ReadAmmoFile(const AmmoFile& file, RecordSink& sink) {
  // Session marks go along with their records (a file without the section has none).
  const std::span<const AmmoSessionMark> marks = file.session_marks();
  size_t next_mark = 0;
  for (uint64_t i = 0; i < file.count() && !sink.done(); ++i) {
    if (next_mark < marks.size() && marks[next_mark].record == i) {
      const AmmoSessionMark& m = marks[next_mark++];
      RETURN_IF_ERROR(sink.Mark(m.scenario == 0 ? "" : file.scenario_names()[m.scenario - 1],
                                m.step, m.sleep_ns));
    }
    std::span<const uint8_t> r = file.Request(i);
    std::string_view tag = file.tags()[file.Tag(i)];
    int64_t planned_ms = file.has_times() ? file.PlannedNs(i) / 1'000'000 : -1;
    RETURN_IF_ERROR(sink.Record(0, file.FileOffset(i),
                                std::string_view(reinterpret_cast<const char*>(r.data()), r.size()),
                                tag, !tag.empty(), planned_ms));
  }
  return absl::OkStatus();
}

std::string_view WhatRecord(AmmoFormat f) {
  switch (f) {
    case AmmoFormat::kUri:
      return "a URI line (the file has only headers or blank lines)";
    case AmmoFormat::kUriPost:
      return "a '<body size> <uri> [tag]' record";
    case AmmoFormat::kAccess:
      return "a log line with a quoted \"GET <uri> HTTP/<v>\" request";
    case AmmoFormat::kJsonLine:
      return "a JSON object";
    case AmmoFormat::kStpd:
      return "a '<size> <time_ms> <tag>' record";
    default:
      return "a '<size> [tag]' record";
  }
}

}  // namespace

AmmoCompileOptions AmmoCompileOptions::FromPlan(const AmmoPlan& ammo) {
  AmmoCompileOptions o;
  o.input = ammo.file;
  o.uris = ammo.uris;
  o.format = ammo.format;
  o.headers = ammo.headers;
  o.http_version = ammo.http_version;
  o.autocases = ammo.autocases;
  o.chosen_cases = ammo.chosen_cases;
  o.limit = ammo.limit;
  return o;
}

std::string DefaultAmmoOutputPath(const std::string& input) {
  std::string out = input;
  if (std::string_view(out).ends_with(".gz")) {
    out.resize(out.size() - 3);
  }
  size_t slash = out.rfind('/');
  size_t base = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = out.rfind('.');
  if (dot != std::string::npos && dot > base) {
    out.resize(dot);
  }
  return out + ".ammo";
}

absl::StatusOr<AmmoCompileStats> CompileAmmo(const AmmoCompileOptions& options,
                                             const std::string& output_path) {
  // Options first: nothing is created when they are wrong.
  if (!ValidHttpVersion(options.http_version)) {
    return absl::InvalidArgumentError(
        Cat("http_version '", options.http_version, "': expected <major>.<minor>, e.g. 1.1"));
  }
  ASSIGN_OR_RETURN(Autocases autocases, Autocases::Parse(options.autocases));
  ReaderOptions reader_options;
  reader_options.http_version = options.http_version;
  for (const std::string& h : options.headers) {
    std::string_view header = StripChars(h, "[]");  // Tank: header.strip('[]')
    std::string_view name;
    std::string_view value;
    if (!SplitHeader(header, &name, &value) || name.empty() ||
        header.find_first_of("\r\n") != std::string_view::npos) {
      return absl::InvalidArgumentError(Cat("header '", Excerpt(h), "': expected 'Name: value'"));
    }
    reader_options.headers.emplace_back(header);
  }
  std::vector<std::string> chosen;
  for (const std::string& c : options.chosen_cases) {
    std::string_view fields[1];
    std::string_view rest = c;
    while (SplitFields(rest, fields, 1) > 0) {
      chosen.emplace_back(fields[0]);
      rest = rest.substr(fields[0].data() + fields[0].size() - rest.data());
    }
  }
  if (!options.uris.empty() && !options.input.empty()) {
    return absl::InvalidArgumentError("ammo: expected either a file or uris, not both");
  }
  if (options.uris.empty() && options.input.empty()) {
    return absl::InvalidArgumentError("ammo: expected a file or uris");
  }

  AmmoCompileStats stats;
  std::unique_ptr<InputStream> in;
  AmmoFormat format = options.format;
  std::string name = options.input;
  std::optional<AmmoFile> compiled;
  if (!options.uris.empty()) {
    name = "uris";
    format = AmmoFormat::kUri;
  } else {
    ASSIGN_OR_RETURN(in, InputStream::Open(options.input));
    stats.gzip = in->gzip();
    if (format == AmmoFormat::kAuto) {
      ASSIGN_OR_RETURN(std::string_view head, in->Peek(kDetectBytes));
      ASSIGN_OR_RETURN(format, DetectAmmoFormat(options.input, head));
    }
    if (format == AmmoFormat::kAmmo) {
      if (in->gzip()) {
        return absl::InvalidArgumentError(
            Cat(options.input, ": expected an uncompressed compiled ammo file (gunzip it)"));
      }
      in.reset();
      ASSIGN_OR_RETURN(AmmoFile f, AmmoFile::Open(options.input));
      compiled.emplace(std::move(f));
    }
  }
  stats.headers_ignored = !reader_options.headers.empty() &&
                          (format == AmmoFormat::kPhantom || format == AmmoFormat::kStpd ||
                           format == AmmoFormat::kAmmo);
  stats.has_times = format == AmmoFormat::kStpd || (compiled && compiled->has_times());

  ASSIGN_OR_RETURN(std::unique_ptr<AmmoWriter> writer,
                   AmmoWriter::Create(output_path, stats.has_times));
  CompileSink sink(name, writer.get(), autocases, chosen, options.limit, stats.has_times);
  switch (format) {
    case AmmoFormat::kPhantom:
    case AmmoFormat::kAuto:
      RETURN_IF_ERROR(ReadPhantom(*in, reader_options, sink));
      break;
    case AmmoFormat::kUri:
      if (in == nullptr) {
        RETURN_IF_ERROR(ReadUriList(options.uris, reader_options, sink));
      } else {
        RETURN_IF_ERROR(ReadUri(*in, reader_options, sink));
      }
      break;
    case AmmoFormat::kUriPost:
      RETURN_IF_ERROR(ReadUriPost(*in, reader_options, sink));
      break;
    case AmmoFormat::kAccess:
      RETURN_IF_ERROR(ReadAccess(*in, reader_options, sink));
      break;
    case AmmoFormat::kJsonLine:
      RETURN_IF_ERROR(ReadJsonLine(*in, reader_options, sink));
      break;
    case AmmoFormat::kStpd:
      RETURN_IF_ERROR(ReadStpd(*in, reader_options, sink));
      break;
    case AmmoFormat::kAmmo:
      RETURN_IF_ERROR(ReadAmmoFile(*compiled, sink));
      break;
  }

  std::string source(format == AmmoFormat::kAmmo ? compiled->source_format()
                                                 : AmmoFormatName(format));
  if (format == AmmoFormat::kPhantom && !sink.source_format().empty()) {
    absl::StatusOr<AmmoFormat> named = ParseAmmoFormat(sink.source_format());
    if (named.ok() && *named != AmmoFormat::kAuto && *named != AmmoFormat::kAmmo &&
        *named != AmmoFormat::kStpd) {
      source = std::string(AmmoFormatName(*named));
    }
  }
  if (sink.read() == 0) {
    std::string where = in != nullptr ? Cat(name, ": line ", in->line(), ", offset ", in->offset(),
                                            " (end of input)")
                                      : name;
    std::string extra;
    if (sink.skipped() > 0) {
      extra = Cat("; ", sink.skipped(), " lines skipped, the first at ", sink.first_skipped());
    }
    return absl::InvalidArgumentError(Cat(where, ": no ammo: expected at least ",
                                          WhatRecord(format), " in ", source, " format", extra));
  }
  if (sink.kept() == 0) {
    return absl::InvalidArgumentError(Cat(name, ": no ammo left: none of the ", sink.read(),
                                          " records has a tag in chosen_cases [",
                                          absl::StrJoin(chosen, " "), "]"));
  }
  stats.records = writer->count();
  stats.bytes = writer->data_size();
  stats.tags = static_cast<uint32_t>(sink.tags().size());
  stats.format = source;
  stats.read = sink.read();
  stats.filtered = sink.filtered();
  stats.skipped = sink.skipped();
  stats.first_skipped = sink.first_skipped();
  stats.times_backwards = sink.backwards();
  stats.first_backwards = sink.first_backwards();
  stats.no_host = sink.no_host();
  stats.first_no_host = sink.first_no_host();
  stats.min_length = writer->min_length();
  stats.max_length = writer->max_length();
  stats.templated = sink.templated();
  stats.session_marks = sink.session_marks();
  stats.templates_unsplit = sink.unsplit();
  RETURN_IF_ERROR(
      writer->Commit(sink.tags(), source, &sink.template_names(), &sink.scenario_names()));
  return stats;
}

}  // namespace incarne
