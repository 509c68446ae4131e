#include "results/result_ring.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incarne {

absl::StatusOr<ResultRing> ResultRing::Create(uint64_t capacity, uint32_t worker) {
  if (capacity == 0 || capacity > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        absl::StrCat("result ring capacity ", capacity, " out of range 1..2^32 records"));
  }
  uint64_t cap = kPublishBatch;
  while (cap < capacity) {
    cap <<= 1;
  }
  const size_t map_size = 4096 + cap * sizeof(HitRecord);
  const std::string name = absl::StrCat("incarne-ring-", worker);
  const int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("memfd_create(", name, "): ", strerror(errno)));
  }
  if (ftruncate(fd, static_cast<off_t>(map_size)) != 0) {
    const int e = errno;
    close(fd);
    return absl::ResourceExhaustedError(
        absl::StrCat("result ring of ", map_size, " bytes for worker ", worker, ": ", strerror(e)));
  }
  // MAP_POPULATE: allocate every page now, not by a page fault in the worker's hit loop on
  // the first lap (docs/engine.md, "Workers").
  void* p = mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    close(fd);
    return absl::ResourceExhaustedError(
        absl::StrCat("mmap result ring for worker ", worker, ": ", strerror(e)));
  }
  ResultRing ring;
  ring.fd_ = fd;
  ring.map_size_ = map_size;
  ring.capacity_ = cap;
  ring.header_ = new (p) RingHeader();
  std::memcpy(ring.header_->magic, kRingMagic, sizeof(kRingMagic));
  ring.header_->version = kRingVersion;
  ring.header_->record_size = sizeof(HitRecord);
  ring.header_->capacity = cap;
  ring.header_->worker = worker;
  ring.slots_ = reinterpret_cast<HitRecord*>(static_cast<char*>(p) + 4096);
  return ring;
}

ResultRing::ResultRing(ResultRing&& o) noexcept { *this = std::move(o); }

ResultRing& ResultRing::operator=(ResultRing&& o) noexcept {
  if (this != &o) {
    std::swap(fd_, o.fd_);
    std::swap(header_, o.header_);
    std::swap(slots_, o.slots_);
    std::swap(capacity_, o.capacity_);
    std::swap(map_size_, o.map_size_);
    std::swap(local_head_, o.local_head_);
    std::swap(cached_tail_, o.cached_tail_);
    std::swap(raw_, o.raw_);
    std::swap(seconds_, o.seconds_);
  }
  return *this;
}

ResultRing::~ResultRing() {
  if (header_ != nullptr) {
    munmap(header_, map_size_);
  }
  if (fd_ >= 0) {
    close(fd_);
  }
}

ResultRing::Batch ResultRing::Peek(uint64_t max_records) const {
  const uint64_t head = header_->head.load(std::memory_order_acquire);
  const uint64_t tail = header_->tail.load(std::memory_order_relaxed);
  uint64_t n = head - tail;
  if (n > max_records) {
    n = max_records;
  }
  const uint64_t at = tail & (capacity_ - 1);
  const uint64_t first = n < capacity_ - at ? n : capacity_ - at;
  Batch b;
  b.first = std::span<const HitRecord>(slots_ + at, first);
  b.second = std::span<const HitRecord>(slots_, n - first);
  return b;
}

void ResultRing::Release(uint64_t n) {
  header_->tail.store(header_->tail.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

}  // namespace incarne
