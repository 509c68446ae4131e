// The `aggregates` file: one block of mergeable per-tag stats per finished second
// (docs/results.md "aggregates"). It is what makes reports, hlog and merge exact whatever
// `results.hits` kept raw.
//
// Layout: the run header (hits_file.h) with magic "INCAGGR1", then blocks in increasing
// second order:
//   u32 payload_length, payload, u32 crc32(payload)        (little-endian; zlib's CRC-32)
//   payload = varints: zigzag(second), planned, sent, inflight_max, ring_dropped, late,
//             tag_entries, then per entry (tag ids increasing): tag id, Stats (EncodeStats)
// A crash can leave a partial last block: readers ignore it with a warning. A CRC mismatch
// on a complete block is corruption (an error).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "results/stats.h"
#include "util/mapped_file.h"

namespace incarne {

void EncodeStats(const Stats& s, std::string* out);
absl::Status DecodeStats(std::string_view* in, Stats* s);

// Block bytes (length, payload, crc) for one second; tags with nullptr are skipped.
std::string EncodeSecondBlock(const SecondStats& s);

class AggregatesReader {
 public:
  // Maps the whole file (~1 KiB per tag per second: 60 MiB for an hour of 100 tags, which a
  // read into a growing string copied twice and zero-filled twice over). NotFound when the
  // file does not exist. The file must not be truncated while the reader lives (SIGBUS).
  static absl::StatusOr<AggregatesReader> Open(const std::string& path);
  static absl::StatusOr<AggregatesReader> FromBytes(std::string bytes, std::string name);

  const RunMeta& meta() const { return meta_; }
  // The last second of the blocks not read yet, from their headers alone (no CRC check, no
  // decode; a truncated block ends the scan); 0 when there is none. `plot` needs its bin width
  // before the first second.
  int64_t ScanLastSecond() const;
  // Decodes the next second into *out (tags sized to the tag table, overall merged).
  // Returns false at the end (or at a truncated last block, setting warning()).
  absl::StatusOr<bool> Next(SecondStats* out);
  // Next() that hands the tags out one at a time instead of keeping a Stats per tag: each tag
  // entry is decoded into the same scratch Stats and passed to per_tag(tag id, stats) (valid
  // during the call only) before the next is decoded; *out gets the counters (set before the
  // first call: per_tag may read out->second) and overall, and out->tags is left empty. One hot
  // Stats instead of one per tag (~110 KiB each: 11 MiB for 100 tags, far beyond the L2) is what
  // lets `report` and `plot` read an hour of 100 tags quickly. On a corrupt block the tags before
  // the corruption have been handed out already.
  absl::StatusOr<bool> NextEach(SecondStats* out,
                                absl::FunctionRef<void(size_t tag, const Stats& s)> per_tag);
  const std::string& warning() const { return warning_; }

 private:
  // Decodes the run header of bytes() into meta_ and positions the reader after it.
  absl::Status ReadHeader();
  // Next (per_tag null) and NextEach.
  absl::StatusOr<bool> Read(SecondStats* out,
                            absl::FunctionRef<void(size_t tag, const Stats& s)>* per_tag);

  // The file: mapped (Open) or owned (FromBytes). Not a string_view member: moving a short
  // owned_ moves its bytes.
  std::string_view bytes() const { return map_.mapped() ? map_.bytes() : std::string_view(owned_); }

  std::string name_;
  std::string owned_;
  MappedFile map_;
  size_t pos_ = 0;
  RunMeta meta_;
  std::string warning_;
  bool have_last_ = false;
  int64_t last_second_ = 0;
  std::vector<std::unique_ptr<Stats>> storage_;  // Next: one Stats per tag, on first use
  std::unique_ptr<Stats> scratch_;               // NextEach: the one Stats of every tag
};

// Folds one second into run totals (the same arithmetic the collector uses).
void AddSecondToSummary(const SecondStats& s, RunSummary* sum);

// Reads a run directory's aggregates (and hits header, for hits_written) into totals.
// Warnings about truncated files are appended to *warnings when given.
absl::StatusOr<RunSummary> LoadRunSummary(const std::string& run_dir,
                                          std::vector<std::string>* warnings = nullptr);

}  // namespace incarne
