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

#include "absl/status/statusor.h"
#include "results/stats.h"

namespace incarne {

void EncodeStats(const Stats& s, std::string* out);
absl::Status DecodeStats(std::string_view* in, Stats* s);

// Block bytes (length, payload, crc) for one second; tags with nullptr are skipped.
std::string EncodeSecondBlock(const SecondStats& s);

class AggregatesReader {
 public:
  // Reads the whole file (it is small: ~1 KiB per tag per second).
  static absl::StatusOr<AggregatesReader> Open(const std::string& path);
  static absl::StatusOr<AggregatesReader> FromBytes(std::string bytes, std::string name);

  const RunMeta& meta() const { return meta_; }
  // Decodes the next second into *out (tags sized to the tag table, overall merged).
  // Returns false at the end (or at a truncated last block, setting warning()).
  absl::StatusOr<bool> Next(SecondStats* out);
  const std::string& warning() const { return warning_; }

 private:
  std::string name_;
  std::string bytes_;
  size_t pos_ = 0;
  RunMeta meta_;
  std::string warning_;
  bool have_last_ = false;
  int64_t last_second_ = 0;
  std::vector<std::unique_ptr<Stats>> storage_;
};

// Folds one second into run totals (the same arithmetic the collector uses).
void AddSecondToSummary(const SecondStats& s, RunSummary* sum);

// Reads a run directory's aggregates (and hits header, for hits_written) into totals.
// Warnings about truncated files are appended to *warnings when given.
absl::StatusOr<RunSummary> LoadRunSummary(const std::string& run_dir,
                                          std::vector<std::string>* warnings = nullptr);

}  // namespace incarne
