// Writes a binary ammo file (ammo_layout.h) in one streaming pass with bounded memory.
//
// Requests go straight into their final place in the output (through a 1 MiB buffer); index
// entries and planned times are buffered and spilled to anonymous temporary files in the
// output directory, then appended after the data by Commit(). The output goes through
// OutputFile (util/output_file.h): built in a temporary file next to the destination and
// renamed into place only when Commit() succeeds (a writer destroyed before that leaves the
// old file as it was); a FIFO or character device is written into, in order, at Commit.
// Control plane; one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ammo/ammo_layout.h"
#include "util/output_file.h"

namespace incarne {

class AmmoSpill;
class OutputFile;

class AmmoWriter {
 public:
  // Errors: the directory of `path` is missing or not writable (NotFound / PermissionDenied /
  // Internal, naming the path).
  static absl::StatusOr<std::unique_ptr<AmmoWriter>> Create(const std::string& path,
                                                            bool has_times);
  ~AmmoWriter();
  AmmoWriter(const AmmoWriter&) = delete;
  AmmoWriter& operator=(const AmmoWriter&) = delete;

  // One record: BeginRecord, Append..., then EndRecord (keep) or AbortRecord (drop; its bytes
  // are overwritten by the next record).
  void BeginRecord();
  absl::Status Append(std::string_view bytes);
  void AbortRecord();
  // `planned_ns` is stored only for a writer created with has_times.
  absl::Status EndRecord(uint16_t tag, uint16_t flags, int64_t planned_ns);

  // The split of the record just ended (EndRecord with kAmmoFlagTemplate): its pieces, each
  // kVar piece's `name` an index into the names given to Commit; none when the compiler could
  // not split it. Spilled like the index.
  absl::Status AddTemplate(std::span<const AmmoTemplatePiece> pieces);

  // The session mark of the record just ended (docs/scenario.md "Multi-step sessions"):
  // `scenario` 0 for none, else k for the k-th (1-based) of the names given to Commit. Only
  // records with a mark are given one. Spilled like the index.
  absl::Status AddSessionMark(uint32_t scenario, uint32_t step, int64_t sleep_ns);

  // Writes index, times, tag table (tags[0] must be "") and header, then renames the file
  // into place. With `template_names` the file gets a templates section, with
  // `scenario_names` a sessions section (docs/formats.md); without (null), none: the layout
  // of files written before them (tests write such files). The writer is finished afterwards
  // whatever the result.
  absl::Status Commit(const std::vector<std::string>& tags, std::string_view source_format,
                      const std::vector<std::string>* template_names = nullptr,
                      const std::vector<std::string>* scenario_names = nullptr);

  uint64_t count() const { return count_; }
  uint64_t data_size() const { return data_flushed_ + buf_.size(); }
  uint64_t record_bytes() const { return data_size() - record_start_; }
  uint32_t min_length() const { return count_ > 0 ? min_length_ : 0; }
  uint32_t max_length() const { return max_length_; }

 private:
  AmmoWriter(std::string path, std::unique_ptr<OutputFile> out, bool has_times);
  absl::Status FlushData();
  absl::Status WriteAt(const void* data, size_t n, uint64_t offset);
  absl::Status Fail(int err, std::string_view what) const;

  std::string path_;
  std::unique_ptr<OutputFile> out_;
  int fd_ = -1;  // out_->fd(): a regular file (pwrite, ftruncate)
  bool has_times_ = false;
  bool finished_ = false;

  std::string buf_;            // data not yet written; starts at data offset data_flushed_
  uint64_t data_flushed_ = 0;  // data bytes already in the file
  uint64_t record_start_ = 0;  // data offset where the current record starts
  uint64_t count_ = 0;
  uint32_t min_length_ = UINT32_MAX;
  uint32_t max_length_ = 0;
  std::unique_ptr<AmmoSpill> index_;
  std::unique_ptr<AmmoSpill> times_;
  std::unique_ptr<AmmoSpill> template_records_;
  std::unique_ptr<AmmoSpill> template_pieces_;
  uint64_t templated_ = 0;
  uint64_t pieces_ = 0;
  std::unique_ptr<AmmoSpill> session_marks_;
  uint64_t marks_ = 0;
};

}  // namespace incarne
