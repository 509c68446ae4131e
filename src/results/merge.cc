#include "results/merge.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "results/aggregates_file.h"
#include "results/collector.h"
#include "results/criteria.h"
#include "results/hits_file.h"
#include "results/report.h"
#include "util/output_file.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr int64_t kNsPerS = 1000 * 1000 * 1000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Input {
  std::string dir;
  AggregatesReader agg;
  std::unique_ptr<HitsFile> hits;
  int64_t delta_ns = 0;           // origin − merged origin (≥ 0)
  std::vector<uint16_t> tag_map;  // input tag id → output tag id
  uint32_t worker_offset = 0;
  RecordLimits limits;
  SecondStats cur;
  bool has = false;
  int64_t out_second = 0;
};

// The output files, each built aside and renamed into place together at the end
// (util/output_file.h): a failed merge leaves no half-written run behind.
class FileOut {
 public:
  absl::Status Create(const std::string& path) {
    ASSIGN_OR_RETURN(out_, OutputFile::Open(path));
    return absl::OkStatus();
  }
  absl::Status Write(std::string_view data) { return out_->Write(data); }
  absl::Status Commit() { return out_->Commit(); }

 private:
  std::unique_ptr<OutputFile> out_;
};

// FNV-1a of a run's plan.toml ("" when it has none): runs of one test share it.
std::string PlanHash(const std::string& dir) {
  auto text = ReadFileToString(dir + "/plan.toml");
  if (!text.ok()) {
    return "";
  }
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : *text) {
    h = (h ^ c) * 1099511628211ull;
  }
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

// The end of the last second in `path` (0 when empty), reading (and so checking) every block.
absl::StatusOr<uint64_t> AggregatesEnd(const std::string& path) {
  ASSIGN_OR_RETURN(AggregatesReader r, AggregatesReader::Open(path));
  SecondStats s;
  uint64_t end = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, r.Next(&s));
    if (!more) {
      return end;
    }
    if (s.second >= 0) {
      end = std::max(end, static_cast<uint64_t>(s.second + 1) * kNsPerS);
    }
  }
}

absl::Status Advance(Input* in) {
  ASSIGN_OR_RETURN(in->has, in->agg.Next(&in->cur));
  if (in->has) {
    // The output second that contains this input second's start.
    in->out_second = FloorDiv(in->cur.second * kNsPerS + in->delta_ns, kNsPerS);
  }
  return absl::OkStatus();
}

// The inputs of a merge and the merged run's meta, as MergeRuns builds them.
struct MergeInputs {
  std::vector<std::unique_ptr<Input>> inputs;
  RunMeta meta;
  std::map<std::string, uint16_t> tag_ids = {{"", 0}};
};

// Opens one run directory: its aggregates, its hits (missing: noted), every record checked.
absl::StatusOr<std::unique_ptr<Input>> OpenInput(const std::string& dir, bool skip_bad,
                                                 std::vector<std::string>* notes) {
  auto in = std::make_unique<Input>();
  in->dir = dir;
  auto agg = AggregatesReader::Open(dir + "/aggregates");
  if (!agg.ok()) {
    if (absl::IsNotFound(agg.status())) {
      return absl::NotFoundError(
          absl::StrCat(dir, "/aggregates: no such file (is ", dir, " an incarne run?)"));
    }
    return agg.status();
  }
  in->agg = std::move(*agg);
  auto hits = HitsFile::Open(dir + "/hits");
  if (hits.ok()) {
    in->hits = std::make_unique<HitsFile>(std::move(*hits));
    if (!in->hits->view().warning().empty()) {
      notes->push_back(in->hits->view().warning());
    }
  } else if (absl::IsNotFound(hits.status())) {
    notes->push_back(absl::StrCat(dir, "/hits: missing; its raw records are not merged"));
  } else {
    return hits.status();
  }
  // Every record is checked before anything is written.
  if (in->hits != nullptr) {
    ASSIGN_OR_RETURN(uint64_t end_ns, AggregatesEnd(dir + "/aggregates"));
    const HitsView& v = in->hits->view();
    in->limits = RecordLimits::For(v.meta(), end_ns);
    uint64_t bad = 0;
    RETURN_IF_ERROR(
        CheckRecords(v.records(), in->limits, dir + "/hits", v.header_size(), skip_bad, &bad));
    if (bad > 0) {
      notes->push_back(absl::StrCat("--skip-bad: skipped ", bad, " bad records of ",
                                    v.records().size(), " in ", dir, "/hits"));
    }
  }
  return in;
}

// Adds an opened input to the merged meta: origin, workers, the tag table, the kept raw stream.
absl::Status AddToMeta(Input* in, bool first, MergeInputs* mi) {
  const RunMeta& m = in->agg.meta();
  RunMeta& out_meta = mi->meta;
  out_meta.origin_realtime_ns = std::min(out_meta.origin_realtime_ns, m.origin_realtime_ns);
  in->worker_offset = out_meta.workers;
  out_meta.workers += m.workers;
  for (const std::string& t : m.tags) {
    auto [it, inserted] = mi->tag_ids.try_emplace(t, static_cast<uint16_t>(out_meta.tags.size()));
    if (inserted) {
      if (out_meta.tags.size() >= 65535) {
        return absl::InvalidArgumentError("merge: more than 65535 distinct tags");
      }
      out_meta.tags.push_back(t);
    }
    in->tag_map.push_back(it->second);
  }
  if (first) {
    out_meta.keep = m.keep;
    out_meta.keep_mixed = m.keep_mixed;
  } else if (m.keep_mixed || m.keep.mode != out_meta.keep.mode ||
             m.keep.every != out_meta.keep.every) {
    out_meta.keep_mixed = true;
  }
  return absl::OkStatus();
}

// Shards of one test (every input `--shard K/N` with the same N > 1 and the same plan.toml)
// must be there exactly once each: a missing shard would make the merged totals silently
// partial, a shard twice would count its hits twice. Refused (InvalidArgument naming the
// shards) unless `partial`, which turns a missing shard into a warning; anything else (runs
// side by side) is not checked.
absl::Status CheckShards(const MergeInputs& mi, const std::vector<std::string>& run_dirs,
                         bool partial, std::vector<std::string>* notes) {
  const uint32_t n = mi.inputs.front()->agg.meta().shards;
  if (n <= 1) {
    return absl::OkStatus();
  }
  const std::string plan = PlanHash(run_dirs[0]);
  for (size_t i = 0; i < mi.inputs.size(); ++i) {
    if (mi.inputs[i]->agg.meta().shards != n || PlanHash(run_dirs[i]) != plan) {
      return absl::OkStatus();
    }
  }
  std::vector<std::string> dir_of(n);
  for (size_t i = 0; i < mi.inputs.size(); ++i) {
    const uint32_t k = mi.inputs[i]->agg.meta().shard;
    if (!dir_of[k].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(run_dirs[i], " and ", dir_of[k],
                                                     " are both shard ", k, " of ", n,
                                                     ": its hits would be counted twice"));
    }
    dir_of[k] = run_dirs[i];
  }
  std::vector<std::string> missing;
  for (uint32_t k = 0; k < n; ++k) {
    if (dir_of[k].empty()) {
      missing.push_back(absl::StrCat(k));
    }
  }
  if (missing.empty()) {
    return absl::OkStatus();
  }
  const std::string what =
      absl::StrCat(missing.size() == 1 ? "shard " : "shards ", absl::StrJoin(missing, ", "), " of ",
                   n, missing.size() == 1 ? " is" : " are", " missing (given ", mi.inputs.size(),
                   " of the test's ", n, " shards)");
  if (partial) {
    notes->push_back(absl::StrCat("warning: ", what,
                                  ": --partial: the merged totals are those of the shards given"));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what,
      ": the merged totals would be silently partial; give every shard's run directory, "
      "or --partial to merge the shards there are"));
}

// Opens every input, refusing the same folder or the same run twice and noting runs that
// differ in plan; fills the merged meta.
absl::StatusOr<MergeInputs> OpenInputs(const std::vector<std::string>& run_dirs, bool skip_bad,
                                       bool partial, std::vector<std::string>* notes) {
  MergeInputs mi;
  mi.meta.origin_realtime_ns = std::numeric_limits<int64_t>::max();
  mi.meta.tags = {""};
  mi.meta.workers = 0;
  std::vector<std::pair<struct stat, std::string>> seen;  // inputs' folders
  std::map<uint64_t, std::string> run_ids;
  std::string first_plan_hash;
  for (const std::string& dir : run_dirs) {
    struct stat dst;
    if (stat(dir.c_str(), &dst) == 0) {
      for (const auto& [other, name] : seen) {
        if (other.st_dev == dst.st_dev && other.st_ino == dst.st_ino) {
          return absl::InvalidArgumentError(
              absl::StrCat(dir, " and ", name,
                           " are the same run directory: its hits would be "
                           "counted twice"));
        }
      }
      seen.emplace_back(dst, dir);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Input> in, OpenInput(dir, skip_bad, notes));
    const RunMeta& m = in->agg.meta();
    if (m.run_id != 0) {
      auto [it, fresh] = run_ids.try_emplace(m.run_id, dir);
      if (!fresh) {
        return absl::InvalidArgumentError(
            absl::StrCat(dir, " and ", it->second, " are the same run (run id ",
                         RunIdText(m.run_id), "; a copy?): its hits would be counted twice"));
      }
    }
    const std::string plan_hash = PlanHash(dir);
    if (mi.inputs.empty()) {
      first_plan_hash = plan_hash;
    } else if (plan_hash != first_plan_hash) {
      notes->push_back(absl::StrCat("warning: the runs differ in plan: ", run_dirs[0],
                                    "/plan.toml hash ",
                                    first_plan_hash.empty() ? "(none)" : first_plan_hash, ", ", dir,
                                    "/plan.toml hash ", plan_hash.empty() ? "(none)" : plan_hash,
                                    " — merged as runs side by side, not shards of one test"));
    }
    RETURN_IF_ERROR(AddToMeta(in.get(), mi.inputs.empty(), &mi));
    mi.inputs.push_back(std::move(in));
  }
  RETURN_IF_ERROR(CheckShards(mi, run_dirs, partial, notes));
  mi.meta.shard = 0;
  mi.meta.shards = 1;
  mi.meta.run_id = NewRunId();  // the merged run is a run of its own
  for (auto& in : mi.inputs) {
    in->delta_ns = in->agg.meta().origin_realtime_ns - mi.meta.origin_realtime_ns;
    if (in->delta_ns % kNsPerS != 0) {
      notes->push_back(absl::StrFormat(
          "%s starts %.3f s after the earliest origin, not a whole number of seconds: its "
          "per-second buckets go into the output second holding their start (run totals stay "
          "exact; shards started with --start-at share their origin)",
          in->dir, static_cast<double>(in->delta_ns) / 1e9));
    }
  }
  return mi;
}

// Raw records: concatenated, times shifted to the merged origin, tags and workers remapped.
absl::Status WriteMergedHits(const MergeInputs& mi, FileOut* hits_out, RunSummary* sum) {
  const bool remap_workers = mi.meta.workers <= 256;
  std::vector<HitRecord> buf;
  buf.reserve(16384);
  for (const auto& in : mi.inputs) {
    if (in->hits == nullptr) {
      continue;
    }
    const uint64_t d = static_cast<uint64_t>(in->delta_ns);
    const auto records = in->hits->view().records();
    for (size_t i = 0; i < records.size(); i += buf.capacity()) {
      const size_t n = std::min(buf.capacity(), records.size() - i);
      buf.clear();
      for (size_t k = i; k < i + n; ++k) {
        if (in->limits.Ok(records[k])) {  // all are, unless skip_bad
          buf.push_back(records[k]);
        }
      }
      for (HitRecord& r : buf) {
        r.planned += d;
        r.start += d;
        r.connected += d;
        r.sent += d;
        r.first_byte += d;
        r.done += d;
        r.tag = r.tag < in->tag_map.size() ? in->tag_map[r.tag] : 0;
        if (remap_workers) {
          r.worker = static_cast<uint8_t>(r.worker + in->worker_offset);
        }
      }
      RETURN_IF_ERROR(hits_out->Write(std::string_view(reinterpret_cast<const char*>(buf.data()),
                                                       buf.size() * sizeof(HitRecord))));
      sum->hits_written += buf.size();
    }
  }
  return absl::OkStatus();
}

// Aggregates: a k-way merge by output second (each input's blocks are in second order).
absl::Status MergeAggregates(MergeInputs& mi, FileOut* agg_out, FileOut* stats_out, RunSummary* sum,
                             std::vector<std::string>* notes) {
  std::vector<std::unique_ptr<Stats>> acc(mi.meta.tags.size());
  SecondStats out;
  for (auto& in : mi.inputs) {
    RETURN_IF_ERROR(Advance(in.get()));
  }
  while (true) {
    bool any = false;
    int64_t second = std::numeric_limits<int64_t>::max();
    for (auto& in : mi.inputs) {
      if (in->has) {
        any = true;
        second = std::min(second, in->out_second);
      }
    }
    if (!any) {
      break;
    }
    out.second = second;
    out.unix_ns = mi.meta.origin_realtime_ns + second * kNsPerS;
    out.planned = out.sent = out.inflight_max = out.ring_dropped = out.late = 0;
    out.ring_wait_ns = 0;
    out.overall.Clear();
    out.tags.assign(mi.meta.tags.size(), nullptr);
    for (auto& in : mi.inputs) {
      if (!in->has || in->out_second != second) {
        continue;
      }
      const SecondStats& c = in->cur;
      out.planned += c.planned;
      out.sent += c.sent;
      out.inflight_max += c.inflight_max;  // concurrent runs: in flight adds up
      out.ring_dropped += c.ring_dropped;
      out.late += c.late;
      out.ring_wait_ns += c.ring_wait_ns;
      for (size_t t = 0; t < c.tags.size(); ++t) {
        if (c.tags[t] == nullptr) {
          continue;
        }
        const uint16_t o = in->tag_map[t];
        if (acc[o] == nullptr) {
          acc[o] = std::make_unique<Stats>();
        }
        if (out.tags[o] == nullptr) {
          acc[o]->Clear();
          out.tags[o] = acc[o].get();
        }
        Stats shifted = *c.tags[t];
        shifted.Shift(in->delta_ns);
        acc[o]->Merge(shifted);
      }
      RETURN_IF_ERROR(Advance(in.get()));
    }
    for (const Stats* s : out.tags) {
      if (s != nullptr) {
        out.overall.Merge(*s);
      }
    }
    RETURN_IF_ERROR(agg_out->Write(EncodeSecondBlock(out)));
    // The second the carried autostop verdict fired at has it in its stats.jsonl line.
    out.autostop =
        sum->autostop.has_value() && sum->autostop->second == second ? &*sum->autostop : nullptr;
    RETURN_IF_ERROR(stats_out->Write(SecondJsonLine(out, mi.meta)));
    AddSecondToSummary(out, sum);
  }
  for (auto& in : mi.inputs) {
    if (!in->agg.warning().empty()) {
      notes->push_back(in->agg.warning());
    }
  }
  return absl::OkStatus();
}

// The autostop verdicts of the inputs (docs/autostop.md): the merged run carries the one that
// fired first on the merged clock — its seconds shifted to the merged origin, the input named
// in `explain` and in the figure "input" (1-based, in the order given) — and every other
// input that stopped is a note. nullopt when no input was stopped by autostop. A corrupt
// autostop_report.txt is bad input (its file and line).
absl::StatusOr<std::optional<AutostopVerdict>> MergeAutostop(const MergeInputs& mi,
                                                             std::vector<std::string>* notes) {
  std::optional<AutostopVerdict> first;
  std::vector<std::string> fired;
  for (size_t k = 0; k < mi.inputs.size(); ++k) {
    const Input& in = *mi.inputs[k];
    ASSIGN_OR_RETURN(std::optional<AutostopVerdict> v, ReadAutostopReport(in.dir));
    if (!v.has_value()) {
      continue;
    }
    const int64_t shift = in.delta_ns / kNsPerS;  // the output second holding its start
    v->second += shift;
    v->since += shift;
    for (auto& [name, value] : v->figures) {
      if (name == "since") {
        value = static_cast<double>(v->since);
      }
    }
    v->figures.emplace_back("input", static_cast<double>(k + 1));
    const std::string who = absl::StrFormat("input %d of %d, shard %d: %s", k + 1, mi.inputs.size(),
                                            in.agg.meta().shard, in.dir);
    fired.push_back(
        absl::StrFormat("%s: autostop %s fired at merged second %d", who, v->criterion, v->second));
    v->explain = absl::StrCat(v->explain, " (", who, ")");
    if (!first.has_value() || v->second < first->second) {
      first = std::move(*v);
    }
  }
  if (fired.size() > 1) {
    for (const std::string& f : fired) {
      notes->push_back(absl::StrCat("note: ", f));
    }
  }
  return first;
}

}  // namespace

absl::Status MergeRuns(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                       std::vector<std::string>* notes, bool skip_bad, bool partial) {
  if (run_dirs.empty()) {
    return absl::InvalidArgumentError("merge: no run directories given");
  }
  // The output may be neither an input nor inside one (compared by st_dev/st_ino).
  RETURN_IF_ERROR(CheckOutputNotInput(out_dir + "/hits", {}, run_dirs));
  ASSIGN_OR_RETURN(MergeInputs mi, OpenInputs(run_dirs, skip_bad, partial, notes));

  // The output directory.
  if (mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat(out_dir, ": mkdir: ", strerror(errno)));
  }
  for (const char* f : {"hits", "aggregates", "stats.jsonl", "summary.json", kAutostopReportFile}) {
    struct stat st;
    if (stat((out_dir + "/" + f).c_str(), &st) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(out_dir, "/", f, " exists: merge writes into a new or empty directory"));
    }
  }

  RunSummary sum;
  sum.meta = mi.meta;
  sum.tags.resize(mi.meta.tags.size());
  ASSIGN_OR_RETURN(sum.autostop, MergeAutostop(mi, notes));

  FileOut hits_out;
  RETURN_IF_ERROR(hits_out.Create(out_dir + "/hits"));
  RETURN_IF_ERROR(hits_out.Write(EncodeRunHeader(kHitsMagic, mi.meta)));
  RETURN_IF_ERROR(WriteMergedHits(mi, &hits_out, &sum));
  FileOut agg_out, stats_out;
  RETURN_IF_ERROR(agg_out.Create(out_dir + "/aggregates"));
  RETURN_IF_ERROR(agg_out.Write(EncodeRunHeader(kAggrMagic, mi.meta)));
  RETURN_IF_ERROR(stats_out.Create(out_dir + "/stats.jsonl"));
  RETURN_IF_ERROR(MergeAggregates(mi, &agg_out, &stats_out, &sum, notes));
  FileOut summary_out, autostop_out;
  if (sum.autostop.has_value()) {
    // Read back by `incarne report` and `plot` of the merged run, as of any run.
    RETURN_IF_ERROR(autostop_out.Create(absl::StrCat(out_dir, "/", kAutostopReportFile)));
    RETURN_IF_ERROR(autostop_out.Write(FormatAutostopReport(*sum.autostop)));
  }
  RETURN_IF_ERROR(summary_out.Create(out_dir + "/summary.json"));
  RETURN_IF_ERROR(summary_out.Write(RenderReport(sum, true)));
  // summary.json last: its presence says the merged run is complete.
  RETURN_IF_ERROR(hits_out.Commit());
  RETURN_IF_ERROR(agg_out.Commit());
  RETURN_IF_ERROR(stats_out.Commit());
  if (sum.autostop.has_value()) {
    RETURN_IF_ERROR(autostop_out.Commit());
  }
  return summary_out.Commit();
}

}  // namespace incarne
