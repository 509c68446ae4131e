#include "results/html_report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "incarne_config.h"
#include "plan/plan_loader.h"
#include "results/aggregates_file.h"
#include "results/collector.h"
#include "results/criteria.h"
#include "results/hits_file.h"
#include "results/report.h"
#include "simdjson.h"
#include "util/small_file.h"
#include "util/status.h"

namespace incarne {

// Embedded at build time by src/results/embed_file.py (Debian libjs-dygraphs).
extern const std::string_view DygraphsJs;
extern const std::string_view DygraphsCss;
extern const std::string_view DygraphsLicence;
// The page's own style and script (html_report_page.cc).
extern const std::string_view kPlotPageCss;
extern const std::string_view kPlotPageJs;

namespace {

constexpr int kNiceBins[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600};

// p50, p90, p99 and max of a histogram in one pass, in µs, with ValueAtPercentile's
// semantics (the highest value of the bucket holding rank ⌈p·n⌉, clamped to [min, max]).
void Quantiles(const Histogram& h, uint64_t out[4]) {
  static constexpr double kP[3] = {50, 90, 99};
  const uint64_t n = h.count();
  if (n == 0) {
    out[0] = out[1] = out[2] = out[3] = 0;
    return;
  }
  uint64_t rank[3];
  for (int k = 0; k < 3; ++k) {
    rank[k] = Histogram::RankAt(kP[k], n);
    out[k] = h.max();
  }
  uint64_t seen = 0;
  int k = 0;  // ranks increase: once one is n (the max), the rest are too
  for (int i = h.lo_index(), hi = h.hi_index(); i <= hi && k < 3; ++i) {
    seen += h.count_at(i);
    while (k < 3 && seen >= rank[k] && rank[k] < n) {
      out[k] = std::clamp(Histogram::HighestAt(i), h.min(), h.max());
      ++k;
    }
  }
  out[3] = h.max();
  for (int j = 0; j < 4; ++j) {
    out[j] = (out[j] + 500) / 1000;  // ns → µs, rounded
  }
}

// Column-oriented series of one data set (overall, or one tag) of one run.
struct Series {
  int bin = 1;
  std::vector<int64_t> t;  // start second of each point
  std::vector<uint64_t> hits, errors, bytes_out, bytes_in;
  std::vector<uint64_t> lat[4], svc[4], lag99;  // µs: p50 p90 p99 max; lag p99
  std::map<uint16_t, std::vector<uint64_t>> proto, net;
  // Overall only (per second).
  std::vector<uint64_t> planned, sent, inflight;

  void Add(int64_t second, const Stats& s) {
    const size_t at = t.size();
    t.push_back(second);
    hits.push_back(s.hits);
    errors.push_back(s.errors);
    bytes_out.push_back(s.bytes_out);
    bytes_in.push_back(s.bytes_in);
    uint64_t q[4];
    Quantiles(s.latency, q);
    for (int k = 0; k < 4; ++k) {
      lat[k].push_back(q[k]);
    }
    Quantiles(s.service, q);
    for (int k = 0; k < 4; ++k) {
      svc[k].push_back(q[k]);
    }
    // Lag p99 only: one more pass would cost as much as the two above for one figure.
    lag99.push_back((s.lag.ValueAtPercentile(99) + 500) / 1000);
    AddCodes(at, s.proto_codes, &proto);
    AddCodes(at, s.net_codes, &net);
  }

  static void AddCodes(size_t at, const CodeCounts& c,
                       std::map<uint16_t, std::vector<uint64_t>>* m) {
    for (const auto& [code, n] : c.entries()) {
      std::vector<uint64_t>& v = (*m)[code];
      v.resize(at + 1, 0);
      v[at] = n;
    }
  }
  void PadCodes() {
    for (auto* m : {&proto, &net}) {
      for (auto& [code, v] : *m) {
        v.resize(t.size(), 0);
      }
    }
  }
};

void AppendArray(std::string* out, std::string_view key, const std::vector<uint64_t>& v) {
  out->push_back('"');
  out->append(key);
  out->append("\":[");
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) {
      out->push_back(',');
    }
    absl::StrAppend(out, v[i]);
  }
  out->push_back(']');
}

void AppendCodes(std::string* out, std::string_view key,
                 const std::map<uint16_t, std::vector<uint64_t>>& m) {
  out->push_back('"');
  out->append(key);
  out->append("\":{");
  bool first = true;
  for (const auto& [code, v] : m) {
    if (!first) {
      out->push_back(',');
    }
    first = false;
    AppendArray(out, absl::StrCat(code), v);
  }
  out->push_back('}');
}

void AppendSeries(std::string* out, const Series& s) {
  absl::StrAppend(out, "{\"bin\":", s.bin, ",\"t\":[");
  for (size_t i = 0; i < s.t.size(); ++i) {
    absl::StrAppend(out, i > 0 ? "," : "", s.t[i]);
  }
  out->push_back(']');
  static constexpr const char* kQ[4] = {"p50", "p90", "p99", "max"};
  auto field = [&](std::string_view k, const std::vector<uint64_t>& v) {
    out->push_back(',');
    AppendArray(out, k, v);
  };
  field("hits", s.hits);
  field("errors", s.errors);
  field("bytes_out", s.bytes_out);
  field("bytes_in", s.bytes_in);
  for (int k = 0; k < 4; ++k) {
    field(absl::StrCat("lat_", kQ[k]), s.lat[k]);
    field(absl::StrCat("svc_", kQ[k]), s.svc[k]);
  }
  field("lag_p99", s.lag99);
  if (!s.planned.empty()) {
    field("planned", s.planned);
    field("sent", s.sent);
    field("inflight", s.inflight);
  }
  out->push_back(',');
  AppendCodes(out, "proto", s.proto);
  out->push_back(',');
  AppendCodes(out, "net", s.net);
  out->push_back('}');
}

// The whole-run percentile spectrum (HdrHistogram's percentile distribution: 5 points per
// halving of 1 − p, up to the rank of the maximum) as [[p, latency µs, service µs], ...].
void AppendSpectrum(std::string* out, const Stats& s) {
  out->push_back('[');
  const uint64_t n = s.latency.count();
  bool first = true;
  for (int k = 0; n > 0; ++k) {
    const double p = k >= 200 ? 100.0 : 100.0 * (1.0 - std::exp2(-k / 5.0));
    JsonWriter j;
    j.BeginArray();
    j.Double(p, 6);
    j.Double(s.latency.ValueAtPercentile(p) / 1e3, 1);
    j.Double(s.service.ValueAtPercentile(p) / 1e3, 1);
    j.EndArray();
    absl::StrAppend(out, first ? "" : ",", j.str());
    first = false;
    if (p >= 100.0 || Histogram::RankAt(p, n) >= n) {
      break;
    }
  }
  out->push_back(']');
}

int ChooseBin(int64_t seconds, size_t tags) {
  for (int b : kNiceBins) {
    if (static_cast<double>(seconds) * static_cast<double>(tags) / b <= kTagPointBudget) {
      return b;
    }
  }
  return kNiceBins[std::size(kNiceBins) - 1];
}

// Reads every second of `reader` into the run totals *sum (sized to the tag table), the
// per-second overall series and each tag's series in bins of `bin` seconds.
absl::Status ReadSeries(AggregatesReader* reader, int bin, RunSummary* sum, Series* overall,
                        std::vector<std::unique_ptr<Series>>* tag_series) {
  // Each tag's open bin gathers its tag-seconds as counters and sparse histograms (appending a
  // few buckets per second), and is expanded into one shared dense Stats only when it closes:
  // a dense Stats per tag (110 KiB, 11 MiB for 100 tags) scattered cache-missing adds over
  // memory every second. The arithmetic is the same exact merge.
  struct OpenBin {
    int64_t bin = -1;
    StatsCounters counters;
    SparseHistogram latency, service, lag;
  };
  std::vector<std::unique_ptr<OpenBin>> bins(sum->meta.tags.size());
  Stats closed;  // the bin being closed; empty between flushes
  auto flush = [&](size_t i) {
    OpenBin& o = *bins[i];
    if (o.bin < 0) {
      return;
    }
    if (!(*tag_series)[i]) {
      (*tag_series)[i] = std::make_unique<Series>();
      (*tag_series)[i]->bin = bin;
    }
    static_cast<StatsCounters&>(closed) = o.counters;
    closed.latency.Merge(o.latency);
    closed.service.Merge(o.service);
    closed.lag.Merge(o.lag);
    (*tag_series)[i]->Add(o.bin * bin, closed);
    sum->tags[i].mut().Merge(closed);
    closed.Clear();
    o.counters.Clear();
    o.latency.Clear();
    o.service.Clear();
    o.lag.Clear();
    o.bin = -1;
  };
  SecondStats s;
  auto add_tag = [&](size_t i, const Stats& t) {
    if (!bins[i]) {
      bins[i] = std::make_unique<OpenBin>();
    }
    OpenBin& o = *bins[i];
    const int64_t b = s.second / bin;  // NextEach sets the second before the tags
    if (o.bin != b) {
      flush(i);
      o.bin = b;
    }
    o.counters.Merge(t);
    o.latency.Merge(t.latency);
    o.service.Merge(t.service);
    o.lag.Merge(t.lag);
  };
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->NextEach(&s, add_tag));
    if (!more) {
      break;
    }
    // Run totals with the report's own arithmetic, except that each tag is merged once per
    // bin (flush) rather than once per second: merging is exact, so the totals are the same
    // (the report JSON equals `incarne report --json`; html_report_test checks it), and a
    // one-hour, 100-tag run is read in a third less time.
    AddSecondToSummary(s, sum);  // s.tags is empty: the tags are in the open bins
    overall->Add(s.second, s.overall);
    overall->planned.push_back(s.planned);
    overall->sent.push_back(s.sent);
    overall->inflight.push_back(s.inflight_max);
  }
  for (size_t i = 0; i < bins.size(); ++i) {
    if (bins[i]) {
      flush(i);
    }
  }
  return absl::OkStatus();
}

std::string Basename(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const char* ModelName(LoadModel m) {
  switch (m) {
    case LoadModel::kRps:
      return "rps";
    case LoadModel::kInstances:
      return "instances";
    case LoadModel::kStpd:
      return "stpd";
    case LoadModel::kUsl:
      return "usl";
    case LoadModel::kFindMax:
      return "find-max";
  }
  return "?";
}

// The header object of a run: what plan.toml says (when there is one) and where it came from.
std::string HeaderJson(const std::string& run_dir, std::vector<std::string>* warnings) {
  JsonWriter j;
  j.BeginObject();
  j.Key("dir");
  j.String(run_dir);
  auto plan = LoadPlanFile(run_dir + "/plan.toml", {});
  if (plan.ok()) {
    j.Key("target");
    j.String(plan->target.address);
    j.Key("nib");
    j.String(plan->target.nib);
    j.Key("model");
    j.String(ModelName(plan->load.model));
    j.Key("schedule");
    j.String(plan->load.schedule);
    j.Key("instances");
    j.Uint(plan->load.instances);
  } else if (!absl::IsNotFound(plan.status())) {
    // A merged run has no plan.toml: nothing to say. A plan that no longer loads is worth it.
    warnings->push_back(absl::StrCat("plan.toml not shown: ", plan.status().message()));
  }
  j.EndObject();
  return j.Take();
}

// The capacity finder's results in RUN_DIR/summary.json (docs/capacity.md), minified:
// `"usl":{…}` (a usl run: the fit, its measured levels and their verdicts) and/or
// `"find_max":{…}` (a find-max run: the search and its steps), comma-separated; "" when the
// run has neither. A usl run whose points could not be fitted gives a warning instead.
std::string CapacityMembers(const std::string& run_dir, std::vector<std::string>* warnings) {
  const std::string path = run_dir + "/summary.json";
  absl::StatusOr<std::string> text = ReadSmallFile(path, 64 << 20, "summary");
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      warnings->push_back(std::string(text.status().message()));
    }
    return "";
  }
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(simdjson::padded_string(*text)).get(doc) != simdjson::SUCCESS) {
    warnings->push_back(absl::StrCat(path, ": not a JSON object; the capacity chart is not drawn"));
    return "";
  }
  std::string out;
  for (const char* key : {"usl", "find_max"}) {
    simdjson::dom::object obj;
    if (doc[key].get(obj) != simdjson::SUCCESS) {
      continue;
    }
    std::string_view error;
    if (obj["error"].get(error) == simdjson::SUCCESS) {
      warnings->push_back(absl::StrCat(path, ": ", key, ": no fit: ", std::string(error)));
      continue;
    }
    absl::StrAppend(&out, out.empty() ? "" : ",", "\"", key, "\":", simdjson::minify(obj));
  }
  return out;
}

// A find-max run directory holds no `aggregates` of its own (each step is a run under
// RUN_DIR/steps/): its entry is the header, the search from summary.json and no series.
absl::StatusOr<std::string> CapacityOnlyRunJson(const std::string& run_dir,
                                                const std::string& capacity,
                                                std::vector<std::string> warnings) {
  const std::string header = HeaderJson(run_dir, &warnings);
  JsonWriter name;
  name.String(Basename(run_dir));
  std::string out = absl::StrCat("{\"name\":", name.str(), ",\"header\":", header,
                                 ",\"report\":null,\"warnings\":[");
  for (size_t i = 0; i < warnings.size(); ++i) {
    JsonWriter w;
    w.String(warnings[i]);
    absl::StrAppend(&out, i > 0 ? "," : "", w.str());
  }
  absl::StrAppend(&out, "],\"capacity\":{", capacity, "}}");
  return out;
}

// One run's entry of the page data: name, header, report --json, warnings, series, spectra,
// and the capacity finder's results when it ran one.
absl::StatusOr<std::string> RunJson(const std::string& run_dir) {
  const std::string agg_path = run_dir + "/aggregates";
  std::vector<std::string> warnings;
  const std::string capacity = CapacityMembers(run_dir, &warnings);
  absl::StatusOr<AggregatesReader> opened = AggregatesReader::Open(agg_path);
  if (!opened.ok()) {
    if (absl::IsNotFound(opened.status())) {
      if (capacity.find("\"find_max\":") != std::string::npos) {
        return CapacityOnlyRunJson(run_dir, capacity, std::move(warnings));
      }
      return absl::NotFoundError(
          absl::StrCat(agg_path, ": no such file (is ", run_dir, " an incarne run directory?)"));
    }
    return opened.status();
  }
  AggregatesReader& reader = *opened;
  const int bin =
      ChooseBin(reader.ScanLastSecond() + 1, std::max<size_t>(1, reader.meta().tags.size()));
  RunSummary sum;
  sum.meta = reader.meta();
  sum.tags.resize(sum.meta.tags.size());

  Series overall;
  std::vector<std::unique_ptr<Series>> tag_series(sum.meta.tags.size());
  RETURN_IF_ERROR(ReadSeries(&reader, bin, &sum, &overall, &tag_series));
  overall.PadCodes();
  if (!reader.warning().empty()) {
    warnings.push_back(reader.warning());
  }
  if (sum.seconds == 0) {
    warnings.push_back(absl::StrCat(agg_path, ": no second was recorded (an empty run)"));
  }
  // The autostop verdict, as `incarne report` reads it back (docs/autostop.md).
  absl::StatusOr<std::optional<AutostopVerdict>> autostop = ReadAutostopReport(run_dir);
  if (autostop.ok()) {
    sum.autostop = std::move(*autostop);
  } else {
    warnings.push_back(std::string(autostop.status().message()));
  }
  auto hits = HitsFile::Open(run_dir + "/hits");
  if (hits.ok()) {
    sum.hits_written = hits->view().records().size();
    if (!hits->view().warning().empty()) {
      warnings.push_back(hits->view().warning());
    }
  } else if (!absl::IsNotFound(hits.status())) {
    warnings.push_back(std::string(hits.status().message()));
  }
  const std::string header = HeaderJson(run_dir, &warnings);

  std::string out;
  out.reserve(1 << 20);
  JsonWriter name;
  name.String(Basename(run_dir));
  absl::StrAppend(&out, "{\"name\":", name.str(), ",\"header\":", header, ",\"report\":");
  std::string report = RenderReport(sum, true);  // exactly `incarne report --json`
  while (!report.empty() && report.back() == '\n') {
    report.pop_back();
  }
  absl::StrAppend(&out, report, ",\"warnings\":[");
  for (size_t i = 0; i < warnings.size(); ++i) {
    JsonWriter w;
    w.String(warnings[i]);
    absl::StrAppend(&out, i > 0 ? "," : "", w.str());
  }
  absl::StrAppend(&out, "],\"overall\":");
  AppendSeries(&out, overall);
  absl::StrAppend(&out, ",\"spectrum\":{\"\":");
  AppendSpectrum(&out, sum.overall);
  for (size_t i = 0; i < sum.tags.size(); ++i) {
    if (ShowTag(sum.meta, i, sum.tags[i].get())) {
      JsonWriter k;
      k.String(sum.meta.tags[i]);
      absl::StrAppend(&out, ",", k.str(), ":");
      AppendSpectrum(&out, sum.tags[i].get());
    }
  }
  absl::StrAppend(&out, "},\"tags\":{");
  bool first = true;
  for (size_t i = 0; i < tag_series.size(); ++i) {
    if (tag_series[i] && ShowTag(sum.meta, i, sum.tags[i].get())) {
      tag_series[i]->PadCodes();
      JsonWriter k;
      k.String(sum.meta.tags[i]);
      absl::StrAppend(&out, first ? "" : ",", k.str(), ":");
      first = false;
      AppendSeries(&out, *tag_series[i]);
    }
  }
  absl::StrAppend(&out, "},\"capacity\":{", capacity, "}}");
  return out;
}

// `<` only appears inside JSON strings, where \u003c means the same: no `</script>` can end
// the data block early.
void AppendScriptSafe(std::string* out, std::string_view json) {
  for (char c : json) {
    if (c == '<') {
      out->append("\\u003c");
    } else {
      out->push_back(c);
    }
  }
}

void AppendHtmlEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '&':
        out->append("&amp;");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

absl::StatusOr<std::string> BuildHtmlReport(const std::vector<std::string>& run_dirs) {
  if (run_dirs.empty()) {
    return absl::InvalidArgumentError("plot: no run directory given");
  }
  std::string data = absl::StrCat("{\"incarne\":\"", INCARNE_VERSION, "\",\"runs\":[");
  for (size_t i = 0; i < run_dirs.size(); ++i) {
    ASSIGN_OR_RETURN(std::string run, RunJson(run_dirs[i]));
    absl::StrAppend(&data, i > 0 ? "," : "", run);
  }
  data.append("]}");

  std::string page;
  page.reserve(data.size() + DygraphsJs.size() + 64 * 1024);
  page.append(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      // Nothing may leave the machine: no source but the page itself (inline) is allowed.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
      "connect-src 'none'; font-src 'none'; form-action 'none'; base-uri 'none'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n<title>incarne: ");
  for (size_t i = 0; i < run_dirs.size(); ++i) {
    AppendHtmlEscaped(&page, absl::StrCat(i > 0 ? " vs " : "", Basename(run_dirs[i])));
  }
  page.append("</title>\n<style>\n");
  page.append(DygraphsCss);
  page.append("\n");
  page.append(kPlotPageCss);
  page.append("</style>\n</head>\n<body>\n");
  page.append("<div id=\"app\"><p id=\"loading\">Drawing…</p></div>\n");
  page.append("<script type=\"application/json\" id=\"incarne-data\">");
  AppendScriptSafe(&page, data);
  page.append("</script>\n<script>\n");
  if (DygraphsJs.empty()) {
    page.append("/* dygraphs was not found at build time (Debian libjs-dygraphs) */\n");
  }
  page.append(DygraphsJs);
  page.append("\n</script>\n<script>\n");
  page.append(kPlotPageJs);
  page.append("\n</script>\n<footer><details><summary>dygraphs licence</summary><pre>");
  AppendHtmlEscaped(&page, DygraphsLicence);
  page.append("</pre></details></footer>\n</body></html>\n");
  return page;
}

absl::Status WriteHtmlReport(const std::vector<std::string>& run_dirs, const std::string& out) {
  ASSIGN_OR_RETURN(std::string page, BuildHtmlReport(run_dirs));
  const std::string tmp = absl::StrCat(out, ".tmp.", getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  }
  absl::Status st = WriteAll(fd, page, tmp);
  if (st.ok() && ::fsync(fd) != 0) {
    st = absl::InternalError(absl::StrCat(tmp, ": fsync: ", std::strerror(errno)));
  }
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), out.c_str()) != 0) {
    st = absl::FailedPreconditionError(absl::StrCat(out, ": rename: ", std::strerror(errno)));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
  }
  return st;
}

absl::Status WriteHtmlReport(const std::string& run_dir, const std::string& out) {
  return WriteHtmlReport(std::vector<std::string>{run_dir},
                         out.empty() ? run_dir + "/report.html" : out);
}

}  // namespace incarne
