// Fuzzes the readers of the run files: the hits file (header, tag table, records, a partial
// last record) and, for inputs that start with its magic, the aggregates file (blocks, CRC,
// varint stats, histograms). Every record read is also checked (RecordLimits, as convert and
// merge do), formatted as phout and aggregated.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "results/aggregates_file.h"
#include "results/convert.h"
#include "results/hits_file.h"
#include "results/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace incarne;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 8 && std::memcmp(data, kAggrMagic, 8) == 0) {
    auto r = AggregatesReader::FromBytes(bytes, "fuzz");
    if (r.ok()) {
      SecondStats s;
      Stats total;  // not a per-tag RunSummary: ~110 KiB per tag would dwarf the input
      while (true) {
        auto more = r->Next(&s);
        if (!more.ok() || !*more) {
          break;
        }
        total.Merge(s.overall);
        for (double p : {50.0, 99.0, 100.0}) {
          (void)s.overall.latency.ValueAtPercentile(p);
        }
      }
      // The same blocks one tag at a time (the path of plot and report): each second's tags
      // gathered in a SparseHistogram expand to exactly the second's overall.
      auto each = AggregatesReader::FromBytes(bytes, "fuzz");
      SecondStats e;
      SparseHistogram gathered;
      Histogram expanded;
      while (each.ok()) {
        gathered.Clear();
        auto more = each->NextEach(&e, [&](size_t, const Stats& t) { gathered.Merge(t.latency); });
        if (!more.ok() || !*more) {
          break;
        }
        expanded.Clear();
        expanded.Merge(gathered);
        if (!(expanded == e.overall.latency)) {
          __builtin_trap();
        }
      }
    }
    return 0;
  }
  // Records are read in place: give them the 8-byte alignment an mmap would.
  std::vector<uint64_t> aligned((size + 7) / 8);
  if (size > 0) {
    std::memcpy(aligned.data(), data, size);
  }
  auto v = HitsView::FromBytes(
      std::string_view(reinterpret_cast<const char*>(aligned.data()), size), "fuzz");
  if (!v.ok()) {
    return 0;
  }
  uint64_t bad = 0;
  const RecordLimits limits = RecordLimits::For(v->meta(), size % 2 == 0 ? 0 : size * 1000000);
  (void)CheckRecords(v->records(), limits, "fuzz", v->header_size(), size % 3 == 0, &bad);
  Stats stats;
  std::string line(PhoutLineMax(65535), '\0');
  for (const HitRecord& rec : v->records()) {
    if (!limits.Ok(rec)) {
      (void)limits.Problem(rec);
    }
    stats.Add(rec);
    const std::string& tag = v->meta().tags[rec.tag < v->meta().tags.size() ? rec.tag : 0];
    FormatPhoutLine(rec, v->meta().origin_realtime_ns, PhoutTag(tag), line.data());
  }
  return 0;
}
