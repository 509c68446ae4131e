// The worker threads of a run: one per core, pinned, each with its own result ring
// (docs/design.md §9). Control plane: everything here runs on the launcher's thread except the
// workers' own loops.
//
//   auto engine = Engine::Create(&shared, options);   // rings, worker objects
//   engine->Start();        // threads start, each sets up its io_uring and slots, then waits
//   shared.origin_mono_ns = ...; engine->Go();          // every worker starts its loop
//   engine->RequestStop(1); engine->Join();
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/worker.h"
#include "results/result_ring.h"

namespace incarne {

struct EngineOptions {
  uint32_t workers = 1;
  std::vector<int> cpus;             // worker k pins to cpus[k % size] (empty: no pinning)
  uint64_t ring_capacity = 1 << 18;  // records per worker ring
  bool allow_defer_taskrun = true;
  bool allow_recv_multishot = true;
  // answ log: bytes of each worker's AnswRing when shared->answ_filter ≠ kNone.
  uint64_t answ_ring_bytes = 4u << 20;
};

class Engine {
 public:
  // `shared` must outlive the engine; its workers/stop fields are read by the threads.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(EngineShared* shared,
                                                        const EngineOptions& options);
  ~Engine();  // stops (level 2) and joins if still running
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the threads and waits until every worker has set itself up. On the first
  // failure every thread is told to quit and joined, and that error is returned.
  absl::Status Start();
  // Releases the workers into their loops; shared->origin_mono_ns must be set before.
  void Go();
  // 1: stop firing, drain; 2: stop now. Never lowers the level.
  void RequestStop(int level);
  // True once every worker's loop has returned.
  bool Finished() const;
  void Join();

  std::vector<ResultRing*> rings();
  // One per worker when shared->answ_filter ≠ kNone, else empty.
  std::vector<AnswRing*> answ_rings();
  // The first worker's io_uring setup line (the same on every worker).
  const std::string& setup_line() const { return setup_line_; }
  WorkerStats Totals() const;
  uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }

 private:
  Engine() = default;
  static void* ThreadMain(void* arg);

  struct Thread {
    Engine* engine = nullptr;
    uint32_t index = 0;
    pthread_t tid{};
    bool started = false;
  };

  EngineShared* shared_ = nullptr;
  std::vector<std::unique_ptr<ResultRing>> rings_;
  std::vector<std::unique_ptr<AnswRing>> answ_rings_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Thread> threads_;
  std::string setup_line_;
  std::vector<absl::Status> init_status_;
  std::atomic<uint32_t> ready_{0};
  std::atomic<uint32_t> done_{0};
  std::atomic<int> go_{0};  // 1 run, -1 quit without running
  bool joined_ = true;
};

}  // namespace incarne
