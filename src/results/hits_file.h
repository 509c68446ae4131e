// The run files' common header and the `hits` file (docs/formats.md "Hits file").
//
// `hits` and `aggregates` start with the same header layout (only the magic differs), padded
// with zeros to a multiple of 4096 bytes (4096 unless the tag table is larger). `hits` then
// holds 64-byte HitRecords back to back: in completion order per worker, interleaved across
// workers. A crash can leave a partial last record; readers ignore it with a warning.
//
//   off  size  field
//   0    8     magic "INCHITS1" (aggregates: "INCAGGR1")
//   8    4     version (2; 1 = before run ids, read with run_id 0)
//   12   4     header_size (bytes; multiple of 4096; records start here)
//   16   4     record_size (64)
//   20   4     flags (bit 0: raw records come from runs that kept different subsets)
//   24   8     origin_realtime_ns (i64, CLOCK_REALTIME of the run origin)
//   32   4     shard
//   36   4     shards
//   40   4     workers
//   44   4     keep mode (0 all, 1 errors, 2 sample)
//   48   4     keep every (sample:N → N; else 1)
//   52   4     tag_count (≥ 1; tag 0 is "" = untagged)
//   56   8     run_id (u64, random, ≠ 0; one per run, shared by its hits and aggregates)
//   64   …     tag table: tag_count × {u16 length, bytes}
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "results/hit_record.h"
#include "results/stats.h"
#include "util/mapped_file.h"

namespace incarne {

inline constexpr char kHitsMagic[8] = {'I', 'N', 'C', 'H', 'I', 'T', 'S', '1'};
inline constexpr char kAggrMagic[8] = {'I', 'N', 'C', 'A', 'G', 'G', 'R', '1'};
inline constexpr uint32_t kRunFileVersion = 2;
inline constexpr uint32_t kRunHeaderAlign = 4096;
inline constexpr size_t kRunHeaderFixed = 64;

// A fresh run id: 64 random bits, never 0 (0 means "a version-1 file, no id").
uint64_t NewRunId();
// The run id as 16 hex digits (summary.json, messages).
std::string RunIdText(uint64_t id);

// The header bytes (a multiple of 4096) for `meta`. Tags longer than 65535 bytes are cut.
std::string EncodeRunHeader(const char (&magic)[8], const RunMeta& meta);

// Parses a header from the start of `bytes` (the whole file or at least its header).
// `name` is used in messages. On success *header_size is where the body starts.
// Errors (InvalidArgument): short file, wrong magic, unknown version (newer: says so),
// bad record size, a tag table that overruns the header.
absl::StatusOr<RunMeta> DecodeRunHeader(std::string_view bytes, const char (&magic)[8],
                                        std::string_view name, size_t* header_size);

// Read-only view of a hits file's records (over an mmap of the file, or any bytes).
class HitsView {
 public:
  // Validates the header; a trailing partial record sets warning().
  static absl::StatusOr<HitsView> FromBytes(std::string_view bytes, std::string_view name);
  const RunMeta& meta() const { return meta_; }
  std::span<const HitRecord> records() const { return records_; }
  // Byte offset of records()[0] in the file.
  size_t header_size() const { return header_size_; }
  // Non-empty when the file ends in a partial record (a crashed run).
  const std::string& warning() const { return warning_; }

 private:
  RunMeta meta_;
  std::span<const HitRecord> records_;
  size_t header_size_ = 0;
  std::string warning_;
};

// A hits file mapped read-only.
class HitsFile {
 public:
  static absl::StatusOr<HitsFile> Open(const std::string& path);
  const HitsView& view() const { return view_; }

 private:
  HitsFile() = default;
  MappedFile map_;  // view_ points into it (a move keeps the mapping where it is)
  HitsView view_;
};

// What a plausible record of a run looks like (docs/formats.md "Checked records"): anything
// else is corruption (a disk error, a file overwritten, random bytes) and must not become
// output. Offline tools only.
struct RecordLimits {
  uint32_t workers = 1;      // worker < workers (unchecked when > 256: merged, not remapped)
  size_t tags = 1;           // tag < tags
  uint64_t max_time_ns = 0;  // planned, start, done ≤ this (ns since the origin)

  // From the run header; `run_end_ns` is where the run's aggregates end (0: unknown, then a
  // generous 31 days). Times may pass the end by a minute (a crash flushes hits before the
  // last aggregate second).
  static RecordLimits For(const RunMeta& meta, uint64_t run_end_ns);
  bool Ok(const HitRecord& r) const {
    return (workers > 256 || r.worker < workers) && r.tag < tags && r.net_code <= kMaxNetCode &&
           r.proto_code <= kMaxProtoCode && r.planned <= max_time_ns && r.start <= max_time_ns &&
           r.done <= max_time_ns;
  }
  // What is wrong with `r` ("worker 138, expected < 2"); "" when Ok(r).
  std::string Problem(const HitRecord& r) const;

  static constexpr uint16_t kMaxNetCode = 4095;  // errno values and incarne's 314, 777
  static constexpr uint16_t kMaxProtoCode = 999;
};

// Scans `records` (which start at byte `first_offset` of the file `name`): OK when every record
// is Ok(); otherwise, without `skip_bad`, InvalidArgument naming the byte offset and problem of
// the first bad record and how many there are; with `skip_bad`, OK and *bad = the count.
absl::Status CheckRecords(std::span<const HitRecord> records, const RecordLimits& limits,
                          std::string_view name, uint64_t first_offset, bool skip_bad,
                          uint64_t* bad);

// Reads a whole small file; NotFound / Internal with the path in the message.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);
// Writes all of `data` to fd (retrying short writes); Internal with `what` and errno text.
absl::Status WriteAll(int fd, std::string_view data, std::string_view what);

std::string KeepName(const HitsKeep& keep);  // "all", "errors", "sample:10"

}  // namespace incarne
