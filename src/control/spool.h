// The spool protocol (docs/daemon.md "Control files"): a job is a plan NAME.toml or a Tank
// config NAME.yaml renamed into the spool; a daemon claims it by renaming it into active/,
// runs it, then moves it to done/ (with NAME.result.json) or rejected/ (with NAME.why).
//
//   spool/NAME.toml            queued (other names — dotfiles, *.tmp, ... — are ignored)
//   spool/active/NAME.toml     claimed and locked (flock) by the daemon running it
//   spool/active/.NAME.toml.run  the run directory of that job, once it exists
//   spool/done/NAME.toml + NAME.result.json
//   spool/rejected/NAME.toml + NAME.why
//   spool/STOP                 stop the current run gracefully (removed by the daemon)
//
// Several daemons may share a spool: the claim is a rename(2) without replace, and the claimed
// file stays flock()ed for the whole run, so a daemon starting up tells a job another daemon is
// running from one left behind by a crash. Control plane only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace incarne::control {

inline constexpr char kStopFile[] = "STOP";

struct QueuedJob {
  std::string name;  // "NAME.toml" / "NAME.yaml"
  int64_t mtime_ns = 0;
};

// "NAME.toml" / "NAME.yaml" (not a dotfile, a non-empty NAME): a control file's name.
bool IsJobName(const std::string& name);
// NAME without the extension.
std::string JobStem(const std::string& name);

// A claimed job: its file in active/, open and locked for as long as this object lives.
class ClaimedJob {
 public:
  ClaimedJob() = default;
  ~ClaimedJob();
  ClaimedJob(ClaimedJob&& o) noexcept;
  ClaimedJob& operator=(ClaimedJob&& o) noexcept;

  const std::string& name() const { return name_; }
  bool tank() const { return name_.ends_with(".yaml"); }
  // The control file's text, read from the locked descriptor; refused (InvalidArgument, the
  // why) when the file is a symlink, not a regular file, not owned by root or this user, or
  // writable by group or others, or larger than 16 MiB.
  absl::StatusOr<std::string> Read() const;

 private:
  friend class Spool;
  std::string name_;
  int fd_ = -1;         // -1 when the entry could not be opened (a symlink, ...)
  int open_errno_ = 0;  // why fd_ is -1
};

class Spool {
 public:
  // Creates the spool and its active/, done/ and rejected/ folders when missing.
  static absl::StatusOr<Spool> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& sub) const { return dir_ + "/" + sub; }

  // The queued jobs, oldest first (mtime, then name).
  std::vector<QueuedJob> Scan() const;
  // Claims `name`: locks it and renames it into active/ (never replacing a file there).
  // nullopt-like: ok=false when another daemon took it first or active/ holds that name.
  absl::StatusOr<bool> Claim(const std::string& name, ClaimedJob* job) const;

  // Records where the job's run directory is (for crash recovery).
  void NoteRunDir(const ClaimedJob& job, const std::string& run_dir) const;
  // Moves the job to done/ after writing done/STEM.result.json with `result_json`.
  absl::Status Done(ClaimedJob job, const std::string& result_json) const;
  // Moves the job to rejected/ after writing rejected/STEM.why with `why` (and a newline).
  absl::Status Reject(ClaimedJob job, const std::string& why) const;

  // Jobs left in active/ by a daemon that died (nobody holds their lock): each goes to
  // rejected/ with why "interrupted" and its run directory named. Returns their names.
  std::vector<std::string> RecoverInterrupted() const;

  // spool/STOP exists: removes it and returns true.
  bool TakeStop() const;

 private:
  absl::Status MoveOut(ClaimedJob job, const char* folder, const std::string& side_name,
                       const std::string& side_text) const;
  std::string dir_;
};

// Writes `text` to `path` through a temporary file in the same folder and rename(2), so that
// a reader sees the old file or the new one, never a part. `durable`: through OutputFile
// (fsync of the file and the folder: result and why files); otherwise without fsync, for the
// files replaced every second (status, metrics: on /run, a tmpfs, and rewritten anyway).
absl::Status ReplaceFile(const std::string& path, const std::string& text, bool durable = true);

}  // namespace incarne::control
