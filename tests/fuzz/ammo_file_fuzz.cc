// libFuzzer target: the binary ammo file reader (src/ammo/ammo_file.cc) on any bytes. A file
// it accepts must be safe to walk completely: every Request(i) inside the mapping, every
// tag id inside tags(), planned times readable.
//   tests/fuzz/run-fuzz build/tests/fuzz/ammo_file_fuzz tests/fuzz/corpus/ammo_file
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ammo/ammo_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("ammo_fuzz", MFD_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) {
      close(fd);
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  absl::StatusOr<incarne::AmmoFile> f =
      incarne::AmmoFile::Open("/proc/self/fd/" + std::to_string(fd));
  close(fd);
  if (!f.ok()) {
    if (f.status().code() != absl::StatusCode::kInvalidArgument) {
      std::abort();  // damage is bad input, never an internal error
    }
    return 0;
  }
  uint64_t sum = 0;
  for (uint64_t i = 0; i < f->count(); ++i) {
    std::span<const uint8_t> r = f->Request(i);
    if (!r.empty()) {
      sum += r.front() + r.back();
    }
    sum += f->tags().at(f->Tag(i)).size() + f->Flags(i) + f->FileOffset(i);
    if (f->has_times()) {
      sum += static_cast<uint64_t>(f->PlannedNs(i));
    }
  }
  if (f->tags().empty() || !f->tags()[0].empty()) {
    std::abort();
  }
  return sum == 42 ? 0 : 0;
}
