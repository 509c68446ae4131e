// libFuzzer target: the binary ammo file reader (src/ammo/ammo_file.cc) on any bytes. A file
// it accepts must be safe to walk completely: every Request(i) inside the mapping, every
// tag id inside tags(), planned times readable, and its templates section (docs/formats.md)
// resolvable against a plan's variables (src/ammo/ammo_templates.h): every piece inside its
// record, every name known or refused as bad input. Seeds: compiled files with and without
// the section (templated.ammo: variables, built-ins, a Content-Length fix-up, $${, a record
// the compiler could not split; sessions.ammo: a sessions section with two scenarios, a
// think time and an unmarked record; sessions_gap.ammo: the unmarked record inside a session,
// which the run refuses). Its sessions section (src/ammo/ammo_sessions.h) must give one mark
// per record and sessions as a run builds them, or refuse them as bad input.
//   tests/fuzz/run-fuzz build/tests/fuzz/ammo_file_fuzz tests/fuzz/corpus/ammo_file
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ammo/ammo_file.h"
#include "ammo/ammo_sessions.h"
#include "ammo/ammo_templates.h"

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
  if (f->has_template_split()) {
    static const std::vector<std::string> kVars = {"token", "user"};
    absl::StatusOr<std::vector<std::pair<uint64_t, incarne::scenario::Template>>> t =
        incarne::StoredTemplates(*f, kVars);
    if (!t.ok() && t.status().code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
    if (t.ok()) {
      for (const auto& [r, tmpl] : *t) {
        const uint64_t len = f->Request(r).size();
        for (const incarne::scenario::TemplatePiece& p : tmpl.pieces) {
          if (p.offset + uint64_t{p.len} > len ||
              (p.kind == incarne::scenario::TemplatePiece::Kind::kVar && p.var >= kVars.size())) {
            std::abort();  // a piece outside its record, or a variable the plan lacks
          }
          sum += p.offset;
        }
      }
    }
  }
  if (f->has_sessions()) {
    std::vector<incarne::scenario::StepMark> marks = incarne::StoredSessionMarks(*f, 0);
    if (!marks.empty() && marks.size() != f->count()) {
      std::abort();  // one mark per record
    }
    for (const incarne::scenario::StepMark& m : marks) {
      sum += m.scenario.size() + m.step + static_cast<uint64_t>(m.sleep_ns);
    }
    absl::StatusOr<incarne::StoredSessionCounts> c = incarne::CountStoredSessions(*f);
    if (!c.ok() && c.status().code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
    if (c.ok() && c->steps > f->count()) {
      std::abort();  // a step is a record
    }
  }
  return sum == 42 ? 0 : 0;
}
