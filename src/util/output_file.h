// Outputs that are never lost: the one way incarne's tools write a file a user names
// (`convert -o`, `ammo compile -o`, `merge -o`, summary.json). docs/results.md "Outputs".
//
//   ASSIGN_OR_RETURN(auto out, OutputFile::Open(path));
//   RETURN_IF_ERROR(out->Write(bytes));
//   RETURN_IF_ERROR(out->Commit());   // only now does `path` change
//
// What it does with `path`:
//   - missing or a regular file: the output is built in a temporary file in the same folder
//     (O_TMPFILE, linked under a hidden name at Commit; or a hidden name when the filesystem
//     has no O_TMPFILE), fsynced, then renamed over `path`. Until Commit succeeds `path` is
//     untouched; an OutputFile destroyed uncommitted removes only its own temporary file.
//     A replaced file keeps its permission bits.
//   - a symlink: followed; its final target is what is created or replaced.
//   - a FIFO, character device or socket: written into, never replaced or unlinked.
//     "/dev/stdout", "/dev/stderr" and "/dev/fd/N" write to the open descriptor itself.
//   - a directory: an error.
// Control plane; one thread per object.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace incarne {

struct OutputOptions {
  // The writer needs pwrite/ftruncate (a binary file written out of order): a stream target
  // (FIFO, device) then gets an anonymous scratch file that Commit copies into it in order.
  bool seekable = false;
  mode_t mode = 0644;  // for a new file (the umask applies)
};

class OutputFile {
 public:
  // Errors: a directory, an unresolvable symlink loop, a folder that is missing or not
  // writable — each naming `path`. Nothing is created or changed on error.
  static absl::StatusOr<std::unique_ptr<OutputFile>> Open(const std::string& path,
                                                          OutputOptions options = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // The descriptor to write to (the temporary file, or the stream). Owned by this object.
  int fd() const { return fd_; }
  // True when Commit replaces (or creates) a regular file; false for a stream target.
  bool replaces() const { return replaces_; }
  // Where scratch files may go: the output's folder, or $TMPDIR for a stream target.
  const std::string& scratch_dir() const { return scratch_dir_; }
  const std::string& path() const { return path_; }

  // Writes all of `data` at the current offset; errors name the path and errno text.
  absl::Status Write(std::string_view data);
  // Regular file: fsync, link, rename into place (and fsync the folder). Stream: copies the
  // scratch file in (seekable mode). After Commit (whatever its result) the object is done.
  absl::Status Commit();

 private:
  OutputFile() = default;
  absl::Status Fail(int err, std::string_view what) const;

  std::string path_;         // as given (for messages)
  std::string target_;       // the file that Commit replaces (symlinks resolved)
  std::string scratch_dir_;  // folder of target_, or $TMPDIR
  std::string temp_name_;    // hidden temporary name once linked; "" while anonymous
  int fd_ = -1;
  int stream_fd_ = -1;  // seekable mode on a stream: the real target
  bool replaces_ = false;
  bool has_old_mode_ = false;
  mode_t old_mode_ = 0;
  bool done_ = false;
};

// Refuses an output that is one of the inputs or inside an input directory: `path` (resolved
// as OutputFile::Open would) is compared by st_dev/st_ino with every existing `input_files`,
// and its folder and each folder above it with every existing `input_dirs`.
// InvalidArgument naming both paths; OK when `path` is a stream or unrelated.
absl::Status CheckOutputNotInput(const std::string& path,
                                 const std::vector<std::string>& input_files,
                                 const std::vector<std::string>& input_dirs);

}  // namespace incarne
