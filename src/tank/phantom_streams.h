// The phantom drop-in's config side: a phantom.conf (as Yandex.Tank and Taurus generate it,
// docs/phantom.md) read into one checked incarne Plan per io_benchmark_t stream. This is all
// `incarne phantom check` does, and what `phantom run` (phantom_runner.h) starts from.
// Control plane only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"
#include "results/answ.h"
#include "tank/phantom_conf.h"

namespace incarne::tank {

// Where a stream's pieces are in the config (for messages) and their names (stat log keys).
struct StreamNodes {
  const PhantomNode* io = nullptr;
  const PhantomNode* method = nullptr;
  const PhantomNode* address = nullptr;
  const PhantomNode* bind = nullptr;
  const PhantomNode* source = nullptr;     // source_log_t definition
  const PhantomNode* proto = nullptr;      // proto definition (nullptr: none named)
  const PhantomNode* transport = nullptr;  // transport_ssl_t definition
  std::string method_name = "stream_method";
  std::string proto_name;
  std::string source_name = "source_log";
};

// One stream, ready to run.
struct Stream {
  PhantomStream conf;
  StreamNodes nodes;  // point into PhantomRun::root
  AnswFilter answ = AnswFilter::kNone;
  Plan plan;
  uint64_t stpd_records = 0;
  std::string run_dir;  // <phout>.incarne/<stream name>
};

// A checked config. Not copyable in spirit: `streams[i].nodes` point into `root` (moving the
// whole object keeps them valid, the tree's nodes do not move).
struct PhantomRun {
  std::string path;
  PhantomNode root;
  PhantomConfig cfg;
  std::vector<Stream> streams;
};

// Reads and checks `path`: the config subset incarne runs, every stream's address, bind list,
// answ level and stpd file (at least one record), and its plan through the plan loader.
// Errors: NotFound when the file cannot be read, otherwise InvalidArgument
// "PATH:LINE:COL: ..." (Tank aborts on a non-zero exit or any stderr output).
absl::StatusOr<PhantomRun> LoadPhantomRun(const std::string& path);

}  // namespace incarne::tank
