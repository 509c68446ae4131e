#include "results/convert.h"

#include <cstring>
#include <ctime>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "results/aggregates_file.h"
#include "results/hits_file.h"
#include "results/report.h"
#include "util/errno_name.h"
#include "util/json_writer.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr int64_t kNsPerS = 1000 * 1000 * 1000;

// Buffered output to a FILE*: one fwrite per MiB.
class Out {
 public:
  explicit Out(FILE* f) : f_(f) { buf_.resize(1 << 20); }
  // Room for n bytes at the returned pointer; Commit(end) after writing.
  char* Reserve(size_t n) {
    if (pos_ + n > buf_.size()) {
      Flush();
      if (n > buf_.size()) {
        buf_.resize(n);
      }
    }
    return buf_.data() + pos_;
  }
  void Commit(char* end) { pos_ = static_cast<size_t>(end - buf_.data()); }
  void Append(std::string_view s) {
    char* p = Reserve(s.size());
    std::memcpy(p, s.data(), s.size());
    Commit(p + s.size());
  }
  void Flush() {
    if (pos_ > 0 && std::fwrite(buf_.data(), 1, pos_, f_) != pos_) {
      failed_ = true;
    }
    pos_ = 0;
  }
  absl::Status Finish() {
    Flush();
    if (std::fflush(f_) != 0 || failed_ || std::ferror(f_)) {
      return absl::InternalError(absl::StrCat("write failed: ", strerror(errno)));
    }
    return absl::OkStatus();
  }

 private:
  FILE* f_;
  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
};

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(s);
  }
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') {
      q.push_back('"');
    }
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<uint8_t>(in[i + 1]) << 8;
    }
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Reason phrases for the status codes vegeta users meet most (vegeta's error = resp.Status).
std::string HttpStatusText(uint16_t code) {
  static const std::map<uint16_t, const char*> kText = {
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {413, "Payload Too Large"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  };
  auto it = kText.find(code);
  return it == kText.end() ? absl::StrCat(code) : absl::StrCat(code, " ", it->second);
}

std::string SamplingNote(const RunMeta& meta) {
  if (meta.keep_mixed) {
    return "note: the hits file was merged from runs that kept different raw subsets "
           "(results.hits); per-hit output is not the full stream — `incarne report` and "
           "--to hlog use the complete aggregates";
  }
  switch (meta.keep.mode) {
    case HitsKeep::Mode::kAll:
      return "";
    case HitsKeep::Mode::kErrors:
      return "note: results.hits = \"errors\": the hits file keeps only failed hits, so this "
             "output has errors only — `incarne report` and --to hlog use the complete "
             "aggregates";
    case HitsKeep::Mode::kSample:
      return absl::StrCat("note: results.hits = \"sample:", meta.keep.every,
                          "\": the hits file keeps every error and every ", meta.keep.every,
                          "th success, so this output is sampled (jsonl carries a weight) — "
                          "`incarne report` and --to hlog use the complete aggregates");
  }
  return "";
}

// Tag names with the fallback label for untagged hits (JTL, vegeta: Taurus keys the overall
// aggregate by "", so the untagged label must not be empty).
std::vector<std::string> Labels(const RunMeta& meta) {
  std::vector<std::string> out;
  for (const std::string& t : meta.tags) {
    out.push_back(t.empty() ? "untagged" : t);
  }
  return out;
}

// origin + rel, clamped to [0, INT64_MAX]: checked records never come near the limits, but
// FormatPhoutLine (the collector's live phout.log, the fuzz target) formats whatever it is
// given, and a signed overflow would be undefined.
uint64_t UnixNs(int64_t origin, uint64_t rel) {
  int64_t t = 0;
  if (rel > static_cast<uint64_t>(INT64_MAX) ||
      __builtin_add_overflow(origin, static_cast<int64_t>(rel), &t)) {
    return INT64_MAX;  // only a positive sum can overflow: rel ≥ 0
  }
  return t < 0 ? 0 : static_cast<uint64_t>(t);
}

absl::Status ConvertPhout(const HitsView& v, const RecordLimits& lim, Out* out) {
  std::vector<std::string> tags;
  for (const std::string& t : v.meta().tags) {
    tags.push_back(PhoutTag(t));
  }
  const uint16_t ntags = static_cast<uint16_t>(tags.size());
  for (const HitRecord& r : v.records()) {
    if (!lim.Ok(r)) {
      continue;  // only with --skip-bad: ConvertRun checked them all first
    }
    const std::string& tag = tags[r.tag < ntags ? r.tag : 0];
    char* p = out->Reserve(PhoutLineMax(tag.size()));
    out->Commit(FormatPhoutLine(r, v.meta().origin_realtime_ns, tag, p));
  }
  return absl::OkStatus();
}

absl::Status ConvertJtl(const HitsView& v, const RecordLimits& lim,
                        const std::map<int64_t, uint64_t>& inflight, bool corrected, Out* out) {
  out->Append(
      "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
      "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n");
  std::vector<std::string> labels;
  for (const std::string& l : Labels(v.meta())) {
    labels.push_back(CsvField(l));
  }
  const int64_t origin = v.meta().origin_realtime_ns;
  const uint64_t default_threads = v.meta().workers;
  std::string line;
  for (const HitRecord& r : v.records()) {
    if (!lim.Ok(r)) {
      continue;  // only with --skip-bad: ConvertRun checked them all first
    }
    const Monotone m = MonotoneOf(r);
    const uint64_t t0 = corrected ? std::min(r.planned, m.start) : m.start;
    std::string code;
    std::string message;
    if (r.net_code != 0) {
      code = std::string(ErrnoName(r.net_code));
      message = CsvField(NetCodeText(r.net_code));
    } else {
      code = absl::StrCat(r.proto_code);
      if (r.proto_code >= 400) {
        message = CsvField(HttpStatusText(r.proto_code));
      }
    }
    const bool ok = !IsError(r);
    uint64_t threads = default_threads;
    auto it = inflight.find(static_cast<int64_t>(r.done / kNsPerS));
    if (it != inflight.end() && it->second > 0) {
      threads = it->second;
    }
    line.clear();
    absl::StrAppend(&line, UnixNs(origin, t0) / 1000000, ",", (m.done - t0) / 1000000, ",",
                    labels[r.tag < labels.size() ? r.tag : 0], ",", code, ",", message,
                    ",incarne-w", r.worker, ",text,", ok ? "true" : "false", ",", ok ? "" : message,
                    ",", r.size_in, ",", r.size_out, ",", threads, ",", threads, ",,",
                    (m.first_byte - t0) / 1000000, ",0,", (m.connected - m.start) / 1000000, "\n");
    out->Append(line);
  }
  return absl::OkStatus();
}

absl::Status ConvertJsonl(const HitsView& v, const RecordLimits& lim, bool corrected, Out* out) {
  const RunMeta& meta = v.meta();
  const uint64_t sample_weight =
      meta.keep.mode == HitsKeep::Mode::kSample && !meta.keep_mixed ? meta.keep.every : 1;
  for (const HitRecord& r : v.records()) {
    if (!lim.Ok(r)) {
      continue;  // only with --skip-bad: ConvertRun checked them all first
    }
    const Monotone m = MonotoneOf(r);
    const uint64_t t0 = corrected ? std::min(r.planned, m.start) : m.start;
    JsonWriter j;
    j.BeginObject();
    j.Key("ts");
    j.Double(static_cast<double>(UnixNs(meta.origin_realtime_ns, t0)) / 1e9, 6);
    j.Key("tag");
    j.String(meta.tags[r.tag < meta.tags.size() ? r.tag : 0]);
    j.Key("worker");
    j.Uint(r.worker);
    j.Key("flags");
    j.Uint(r.flags);
    j.Key("planned_ns");
    j.Uint(r.planned);
    j.Key("start_ns");
    j.Uint(m.start);
    j.Key("connected_ns");
    j.Uint(m.connected);
    j.Key("sent_ns");
    j.Uint(m.sent);
    j.Key("first_byte_ns");
    j.Uint(m.first_byte);
    j.Key("done_ns");
    j.Uint(m.done);
    j.Key("latency_us");
    j.Double(static_cast<double>(m.done > r.planned ? m.done - r.planned : 0) / 1e3);
    j.Key("service_us");
    j.Double(static_cast<double>(m.done - m.start) / 1e3);
    j.Key("lag_us");
    j.Double(static_cast<double>(m.start > r.planned ? m.start - r.planned : 0) / 1e3);
    j.Key("connect_us");
    j.Double(static_cast<double>(m.connected - m.start) / 1e3);
    j.Key("send_us");
    j.Double(static_cast<double>(m.sent - m.connected) / 1e3);
    j.Key("wait_us");
    j.Double(static_cast<double>(m.first_byte - m.sent) / 1e3);
    j.Key("receive_us");
    j.Double(static_cast<double>(m.done - m.first_byte) / 1e3);
    j.Key("size_out");
    j.Uint(r.size_out);
    j.Key("size_in");
    j.Uint(r.size_in);
    j.Key("net_code");
    j.Uint(r.net_code);
    j.Key("net");
    j.String(ErrnoName(r.net_code));
    j.Key("proto_code");
    j.Uint(r.proto_code);
    j.Key("error");
    j.Bool(IsError(r));
    j.Key("weight");
    j.Uint(IsError(r) ? 1 : sample_weight);
    j.EndObject();
    std::string line = j.Take();
    line.push_back('\n');
    out->Append(line);
  }
  return absl::OkStatus();
}

absl::Status ConvertVegeta(const HitsView& v, const RecordLimits& lim, bool corrected, Out* out) {
  std::vector<std::string> labels;
  for (const std::string& l : Labels(v.meta())) {
    labels.push_back(CsvField(l));
  }
  const int64_t origin = v.meta().origin_realtime_ns;
  std::string line;
  uint64_t seq = 0;
  for (const HitRecord& r : v.records()) {
    if (!lim.Ok(r)) {
      continue;  // only with --skip-bad: ConvertRun checked them all first
    }
    const Monotone m = MonotoneOf(r);
    const uint64_t t0 = corrected ? std::min(r.planned, m.start) : m.start;
    std::string error;
    if (r.net_code != 0) {
      error = CsvField(NetCodeText(r.net_code));
    } else if (r.proto_code < 200 || r.proto_code >= 400) {
      error = CsvField(HttpStatusText(r.proto_code));
    }
    line.clear();
    absl::StrAppend(&line, UnixNs(origin, t0), ",", r.proto_code, ",", m.done - t0, ",", r.size_out,
                    ",", r.size_in, ",", error, ",,", labels[r.tag < labels.size() ? r.tag : 0],
                    ",", seq++, ",,,\n");
    out->Append(line);
  }
  return absl::OkStatus();
}

std::string HlogTag(std::string_view tag) {
  std::string t(tag);
  for (char& c : t) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#') {
      c = '_';
    }
  }
  return t;
}

absl::Status ConvertHlog(AggregatesReader reader, const std::string& which, Out* out,
                         std::vector<std::string>* notes) {
  const RunMeta& meta = reader.meta();
  const Histogram Stats::*field = &Stats::latency;
  std::string what = "latency = done - planned";
  if (which == "service") {
    field = &Stats::service;
    what = "service = done - start";
  } else if (which == "lag") {
    field = &Stats::lag;
    what = "lag = start - planned";
  } else if (which != "latency") {
    return absl::InvalidArgumentError(
        absl::StrCat("--hist: \"", which, "\" is not one of latency, service, lag"));
  }
  const double origin_s = static_cast<double>(meta.origin_realtime_ns) / 1e9;
  const time_t t = static_cast<time_t>(meta.origin_realtime_ns / kNsPerS);
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm);
  // Header lines stay under 127 characters (HdrHistogram_c reads them with a 128-byte buffer).
  out->Append(absl::StrFormat("#[incarne %s in ns, per second of completion time]\n", what));
  out->Append("#[Histogram log format version 1.3]\n");
  out->Append(absl::StrFormat("#[StartTime: %.3f (seconds since epoch), %s]\n", origin_s, date));
  out->Append(absl::StrFormat("#[BaseTime: %.3f (seconds since epoch)]\n", origin_s));
  out->Append(
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
      "\"Interval_Compressed_Histogram\"\n");
  std::vector<std::string> tags;
  for (const std::string& tag : meta.tags) {
    tags.push_back(HlogTag(tag));
  }
  SecondStats s;
  auto line = [&](std::string_view tag, int64_t second, const Histogram& h) {
    const double max_ms =
        h.count() == 0
            ? 0.0
            : static_cast<double>(Histogram::HighestAt(Histogram::IndexOf(h.max()))) / 1e6;
    out->Append(
        absl::StrFormat("%s%s%.3f,%.3f,%.3f,%s\n", tag.empty() ? "" : "Tag=", std::string(tag),
                        static_cast<double>(second), 1.0, max_ms, Base64(h.EncodeHdrCompressed())));
  };
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&s));
    if (!more) {
      break;
    }
    line("", s.second, s.overall.*field);
    for (size_t i = 0; i < s.tags.size(); ++i) {
      if (s.tags[i] != nullptr && ShowTag(meta, i, *s.tags[i]) && !tags[i].empty()) {
        line(tags[i] + ",", s.second, (*s.tags[i]).*field);
      }
    }
  }
  if (!reader.warning().empty()) {
    notes->push_back(reader.warning());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ConvertFormat> ParseConvertFormat(std::string_view name) {
  if (name == "phout") return ConvertFormat::kPhout;
  if (name == "jtl") return ConvertFormat::kJtl;
  if (name == "jsonl") return ConvertFormat::kJsonl;
  if (name == "vegeta") return ConvertFormat::kVegeta;
  if (name == "hlog") return ConvertFormat::kHlog;
  return absl::InvalidArgumentError(absl::StrCat(
      "--to: \"", std::string(name), "\" is not one of phout, jtl, jsonl, vegeta, hlog"));
}

std::string PhoutTag(std::string_view tag) {
  std::string t(tag);
  for (char& c : t) {
    if (c == '\t' || c == '\n' || c == '\r') {
      c = '_';
    }
  }
  return t;
}

char* AppendU64(uint64_t v, char* p) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    *p++ = tmp[--n];
  }
  return p;
}

char* FormatPhoutLine(const HitRecord& r, int64_t origin_realtime_ns, std::string_view tag,
                      char* p) {
  const Monotone m = MonotoneOf(r);
  const uint64_t t = UnixNs(origin_realtime_ns, m.start);
  p = AppendU64(t / kNsPerS, p);
  const uint32_t ms = static_cast<uint32_t>((t % kNsPerS) / 1000000);
  *p++ = '.';
  *p++ = static_cast<char>('0' + ms / 100);
  *p++ = static_cast<char>('0' + ms / 10 % 10);
  *p++ = static_cast<char>('0' + ms % 10);
  *p++ = '\t';
  std::memcpy(p, tag.data(), tag.size());
  p += tag.size();
  // Offsets from start truncated to µs, then differenced: the phases add up exactly.
  const uint64_t tc = (m.connected - m.start) / 1000;
  const uint64_t ts = (m.sent - m.start) / 1000;
  const uint64_t tf = (m.first_byte - m.start) / 1000;
  const uint64_t td = (m.done - m.start) / 1000;
  const uint64_t fields[] = {td, tc,         ts - tc,   tf - ts,    td - tf,
                             td, r.size_out, r.size_in, r.net_code, r.proto_code};
  for (uint64_t f : fields) {
    *p++ = '\t';
    p = AppendU64(f, p);
  }
  *p++ = '\n';
  return p;
}

namespace {

// Reads all of `path` (checking every block's CRC), then returns a reader from its start;
// *end_ns = the end of its last
// second (0 when empty), *inflight = max in flight per second.
absl::StatusOr<AggregatesReader> ScanAggregates(const std::string& path, uint64_t* end_ns,
                                                std::map<int64_t, uint64_t>* inflight) {
  ASSIGN_OR_RETURN(AggregatesReader scan, AggregatesReader::Open(path));
  SecondStats s;
  *end_ns = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, scan.Next(&s));
    if (!more) {
      break;
    }
    if (s.second >= 0) {
      *end_ns = std::max(*end_ns, static_cast<uint64_t>(s.second + 1) * kNsPerS);
    }
    (*inflight)[s.second] = s.inflight_max;
  }
  return AggregatesReader::Open(path);  // a second reader from the start (the file is small)
}

}  // namespace

absl::Status ConvertRun(const std::string& run_dir, const ConvertOptions& options,
                        const std::function<absl::StatusOr<FILE*>()>& open_output,
                        std::vector<std::string>* notes) {
  const std::string agg_path = run_dir + "/aggregates";
  uint64_t end_ns = 0;
  std::map<int64_t, uint64_t> inflight;
  if (options.format == ConvertFormat::kHlog) {
    if (options.hlog_histogram != "latency" && options.hlog_histogram != "service" &&
        options.hlog_histogram != "lag") {
      return absl::InvalidArgumentError(absl::StrCat("--hist: \"", options.hlog_histogram,
                                                     "\" is not one of latency, service, lag"));
    }
    ASSIGN_OR_RETURN(AggregatesReader reader, ScanAggregates(agg_path, &end_ns, &inflight));
    ASSIGN_OR_RETURN(FILE * file, open_output());
    Out out(file);
    RETURN_IF_ERROR(ConvertHlog(std::move(reader), options.hlog_histogram, &out, notes));
    return out.Finish();
  }
  ASSIGN_OR_RETURN(HitsFile hits, HitsFile::Open(run_dir + "/hits"));
  const HitsView& v = hits.view();
  auto agg = ScanAggregates(agg_path, &end_ns, &inflight);
  if (!agg.ok()) {
    end_ns = 0;  // the records are still checked, against a generous bound
    if (options.format == ConvertFormat::kJtl) {
      notes->push_back(
          absl::StrCat("allThreads = worker count: ", std::string(agg.status().message())));
    }
  }
  const RecordLimits limits = RecordLimits::For(v.meta(), end_ns);
  uint64_t bad = 0;
  RETURN_IF_ERROR(CheckRecords(v.records(), limits, run_dir + "/hits", v.header_size(),
                               options.skip_bad, &bad));
  if (bad > 0) {
    notes->push_back(absl::StrCat("--skip-bad: skipped ", bad, " bad records of ",
                                  v.records().size(), " in ", run_dir, "/hits"));
  }
  if (!v.warning().empty()) {
    notes->push_back(v.warning());
  }
  const std::string note = SamplingNote(v.meta());
  if (!note.empty()) {
    notes->push_back(note);
  }
  ASSIGN_OR_RETURN(FILE * file, open_output());
  Out out(file);
  switch (options.format) {
    case ConvertFormat::kPhout:
      RETURN_IF_ERROR(ConvertPhout(v, limits, &out));
      break;
    case ConvertFormat::kJtl:
      RETURN_IF_ERROR(ConvertJtl(v, limits, inflight, options.corrected, &out));
      break;
    case ConvertFormat::kJsonl:
      RETURN_IF_ERROR(ConvertJsonl(v, limits, options.corrected, &out));
      break;
    case ConvertFormat::kVegeta:
      RETURN_IF_ERROR(ConvertVegeta(v, limits, options.corrected, &out));
      break;
    case ConvertFormat::kHlog:
      break;
  }
  return out.Finish();
}

absl::Status ConvertRun(const std::string& run_dir, const ConvertOptions& options, FILE* file,
                        std::vector<std::string>* notes) {
  return ConvertRun(
      run_dir, options, [file]() -> absl::StatusOr<FILE*> { return file; }, notes);
}

}  // namespace incarne
