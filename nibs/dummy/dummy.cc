// The dummy nib's data path: one function, a few nanoseconds per hit. See dummy.h.
#include "dummy.h"

#include <cerrno>
#include <cstdio>
#include <new>
#include <string>

#include "dummy_config.h"

namespace incarne {
namespace {

using dummy::DummyConfig;

int Create(const incarne_nib_config* config, void** nib, char* error, size_t error_size) {
  absl::StatusOr<DummyConfig> parsed = dummy::DummyConfigFrom(*config);
  if (!parsed.ok()) {
    std::snprintf(error, error_size, "%s", std::string(parsed.status().message()).c_str());
    return -EINVAL;
  }
  *nib = new (std::nothrow) DummyConfig(*parsed);
  if (*nib == nullptr) {
    std::snprintf(error, error_size, "dummy: out of memory");
    return -ENOMEM;
  }
  return 0;
}

void Destroy(void* nib) { delete static_cast<DummyConfig*>(nib); }

int WorkerInit(void* nib, uint32_t /*worker*/, uint32_t /*slots*/, void** worker_ctx,
               char* /*error*/, size_t /*error_size*/) {
  *worker_ctx = nib;  // read-only: every worker shares it
  return 0;
}

int OnStart(void* worker_ctx, void* /*state*/, const incarne_nib_request* /*request*/,
            incarne_nib_out* out) {
  out->delay_ns = static_cast<uint64_t>(static_cast<const DummyConfig*>(worker_ctx)->latency_ns);
  return INCARNE_NIB_DONE;
}

const incarne_nib kDummyNib = {
    .abi_version = INCARNE_NIB_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "dummy",
    .description = "no network: every hit completes at once or after target.dummy.latency",
    .transport = INCARNE_NIB_TRANSPORT_NONE,
    .capabilities = INCARNE_NIB_CAP_AMMO_OPTIONAL,
    .state_size = 0,
    .reserved0 = 0,
    .create = Create,
    .destroy = Destroy,
    .worker_init = WorkerInit,
    .worker_fini = nullptr,
    .on_open = nullptr,
    .on_start = OnStart,
    .on_sent = nullptr,
    .on_recv = nullptr,
    .on_close = nullptr,
};

}  // namespace

const incarne_nib* DummyNib() { return &kDummyNib; }

}  // namespace incarne
