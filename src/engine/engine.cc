#include "engine/engine.h"

#include <signal.h>
#include <time.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "util/check.h"

namespace incarne {
namespace {

void SleepBriefly() {
  timespec ts{0, 200'000};
  nanosleep(&ts, nullptr);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineShared* shared,
                                                       const EngineOptions& options) {
  if (options.workers == 0 || options.workers > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("workers.threads: expected 1 to 256 workers, got ", options.workers));
  }
  std::unique_ptr<Engine> e(new Engine());
  e->shared_ = shared;
  shared->workers = options.workers;
  for (uint32_t k = 0; k < options.workers; ++k) {
    auto ring = ResultRing::Create(options.ring_capacity, k);
    if (!ring.ok()) {
      return ring.status();
    }
    e->rings_.push_back(std::make_unique<ResultRing>(std::move(*ring)));
    WorkerOptions wo;
    wo.index = k;
    wo.cpu = options.cpus.empty() ? -1 : options.cpus[k % options.cpus.size()];
    wo.ring = e->rings_.back().get();
    if (shared->answ_filter != AnswFilter::kNone) {
      e->answ_rings_.push_back(std::make_unique<AnswRing>(options.answ_ring_bytes));
      wo.answ = e->answ_rings_.back().get();
    }
    wo.allow_defer_taskrun = options.allow_defer_taskrun;
    wo.allow_recv_multishot = options.allow_recv_multishot;
    e->workers_.push_back(std::make_unique<Worker>(shared, wo));
  }
  e->init_status_.resize(options.workers);
  return e;
}

Engine::~Engine() {
  if (!joined_) {
    go_.store(-1);
    RequestStop(2);
    Join();
  }
}

void* Engine::ThreadMain(void* arg) {
  auto* t = static_cast<Thread*>(arg);
  Engine* e = t->engine;
  // SIGINT/SIGTERM are for whoever drives the launcher (src/cli/launch_cli.cc relays them
  // from one thread); a worker never takes them (the mask is inherited, set again here).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Worker* w = e->workers_[t->index].get();
  absl::Status st = w->Init();
  if (t->index == 0 && st.ok()) {
    e->setup_line_ = w->DescribeSetup();
  }
  e->init_status_[t->index] = st;
  e->ready_.fetch_add(1, std::memory_order_release);
  int go;
  while ((go = e->go_.load(std::memory_order_acquire)) == 0) {
    SleepBriefly();
  }
  if (go > 0 && st.ok()) {
    w->Run();
  } else {
    e->rings_[t->index]->MarkFinished();
  }
  e->done_.fetch_add(1, std::memory_order_release);
  return nullptr;
}

absl::Status Engine::Start() {
  threads_.resize(workers_.size());
  joined_ = false;
  for (uint32_t k = 0; k < workers_.size(); ++k) {
    Thread& t = threads_[k];
    t.engine = this;
    t.index = k;
    int rc = pthread_create(&t.tid, nullptr, &Engine::ThreadMain, &t);
    if (rc != 0) {
      go_.store(-1);
      Join();
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot start worker thread ", k, ": error ", rc));
    }
    t.started = true;
    char name[16];
    snprintf(name, sizeof(name), "incarne-w%u", k);
    pthread_setname_np(t.tid, name);
  }
  while (ready_.load(std::memory_order_acquire) < workers_.size()) {
    SleepBriefly();
  }
  for (const absl::Status& st : init_status_) {
    if (!st.ok()) {
      go_.store(-1, std::memory_order_release);
      Join();
      return st;
    }
  }
  return absl::OkStatus();
}

void Engine::Go() { go_.store(1, std::memory_order_release); }

void Engine::RequestStop(int level) {
  int cur = shared_->stop.load();
  while (cur < level && !shared_->stop.compare_exchange_weak(cur, level)) {
  }
}

bool Engine::Finished() const { return done_.load(std::memory_order_acquire) >= workers_.size(); }

void Engine::Join() {
  for (Thread& t : threads_) {
    if (t.started) {
      pthread_join(t.tid, nullptr);
      t.started = false;
    }
  }
  joined_ = true;
}

std::vector<ResultRing*> Engine::rings() {
  std::vector<ResultRing*> out;
  for (auto& r : rings_) {
    out.push_back(r.get());
  }
  return out;
}

std::vector<AnswRing*> Engine::answ_rings() {
  std::vector<AnswRing*> out;
  for (auto& r : answ_rings_) {
    out.push_back(r.get());
  }
  return out;
}

WorkerStats Engine::Totals() const {
  WorkerStats t;
  for (const auto& w : workers_) {
    const WorkerStats& s = w->stats();
    t.shots_fired += s.shots_fired;
    t.hits_done += s.hits_done;
    t.dropped_777 += s.dropped_777;
    t.ring_full += s.ring_full;
    t.ring_wait_ns += s.ring_wait_ns;
    t.passes += s.passes;
    t.waits += s.waits;
    t.waits_short += s.waits_short;
    t.cqes += s.cqes;
    t.connects += s.connects;
    t.retries += s.retries;
    t.recv_nobufs += s.recv_nobufs;
    t.recv_buffers += s.recv_buffers;
    t.rx_stamped += s.rx_stamped;
    t.cpu_ns += s.cpu_ns;
    t.run_ns = std::max(t.run_ns, s.run_ns);
  }
  return t;
}

}  // namespace incarne
