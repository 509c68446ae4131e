#include "engine/nib_registry.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nibs/nib_names.h"
#include "plan/duration.h"
#include "util/status.h"
#include "util/strings.h"

namespace incarne {

absl::Status ValidateNib(const incarne_nib* nib, const std::string& origin) {
  if (nib == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("nib ", origin, ": no descriptor"));
  }
  if (nib->abi_version != INCARNE_NIB_ABI_VERSION) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nib ", origin, ": nib ABI version ", nib->abi_version, ", this incarne speaks ",
        INCARNE_NIB_ABI_VERSION, " (rebuild it against this incarne's include/incarne/nib.h)"));
  }
  // Version 1's last member is on_close: the oldest layout we read. A larger descriptor is
  // a newer nib.h's (append-only): the fields we know are where we expect them.
  constexpr size_t kOldestLayout = offsetof(incarne_nib, on_close) + sizeof(nib->on_close);
  if (nib->struct_size < kOldestLayout) {
    return absl::InvalidArgumentError(
        absl::StrCat("nib ", origin, ": descriptor of ", nib->struct_size,
                     " bytes (struct_size) is smaller than the oldest layout this incarne reads (",
                     kOldestLayout, " bytes)"));
  }
  if (nib->name == nullptr || nib->name[0] == '\0') {
    return absl::InvalidArgumentError(absl::StrCat("nib ", origin, ": no name"));
  }
  if (nib->transport > INCARNE_NIB_TRANSPORT_UDP) {
    return absl::InvalidArgumentError(
        absl::StrCat("nib ", origin, ": unknown transport ", nib->transport));
  }
  if (nib->on_start == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("nib ", origin, ": on_start is missing"));
  }
  if (nib->transport != INCARNE_NIB_TRANSPORT_NONE && nib->on_recv == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("nib ", origin, ": on_recv is required for a network transport"));
  }
  return absl::OkStatus();
}

bool IsExternalNib(const std::string& name) {
  return name.find('/') != std::string::npos ||
         (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0);
}

namespace {

std::string BuiltinNames() {
  return absl::StrJoin(BuiltinNibs(), ", ",
                       [](std::string* out, const incarne_nib* n) { out->append(n->name); });
}

std::string CurrentDir() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : std::string(".");
}

absl::StatusOr<OpenedNib> OpenExternal(const std::string& name) {
  const std::string where = absl::StrCat("target.nib = \"", name, "\"");
  // dlopen searches the library path for a name without '/': a nib is always a file.
  const std::string path = name.find('/') == std::string::npos ? "./" + name : name;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    std::string msg = absl::StrCat(where, ": ", strerror(err));
    if (path[0] != '/') {
      absl::StrAppend(&msg, " (relative to the current directory ", CurrentDir(), ")");
    }
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a shared object file (a nib built as a .so)"));
  }
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* e = dlerror();
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": cannot load it: ", e != nullptr ? e : "dlopen failed"));
  }
  OpenedNib out;
  out.library = std::shared_ptr<void>(handle, [](void* h) { dlclose(h); });
  out.origin = name;
  dlerror();
  void* sym = dlsym(handle, INCARNE_NIB_ENTRY_SYMBOL);
  if (sym == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": no symbol ", INCARNE_NIB_ENTRY_SYMBOL,
        " (an external nib exports `const incarne_nib* incarne_nib_entry(void)` with C "
        "linkage; docs/nibs.md)"));
  }
  using EntryFn = const incarne_nib* (*)();
  const incarne_nib* nib = reinterpret_cast<EntryFn>(sym)();
  RETURN_IF_ERROR(ValidateNib(nib, name));
  out.nib = nib;
  return out;
}

}  // namespace

absl::StatusOr<const incarne_nib*> FindNib(const std::string& name) {
  if (IsExternalNib(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target.nib = \"", name, "\" is an external nib (a path): OpenNib loads those"));
  }
  std::vector<const incarne_nib*> nibs = BuiltinNibs();
  for (const incarne_nib* n : nibs) {
    if (n != nullptr && name == n->name) {
      absl::Status st = ValidateNib(n, name);
      if (!st.ok()) {
        return st;
      }
      return n;
    }
  }
  // Declared in nibs/meson.build (so the plan loader took the name) but skipped by this build.
  for (const auto& [skipped, reason] : kSkippedNibs) {
    if (name == skipped) {
      return absl::NotFoundError(absl::StrCat(
          "target.nib = \"", name, "\": this binary was built without the ", AbslView(skipped),
          " nib (", AbslView(reason), "); built-in: ", BuiltinNames()));
    }
  }
  return absl::NotFoundError(absl::StrCat("target.nib = \"", name,
                                          "\": no such nib; built-in: ", BuiltinNames(),
                                          "; or the path of an external nib (.so)"));
}

absl::StatusOr<OpenedNib> OpenNib(const std::string& name, bool allow_external) {
  if (!IsExternalNib(name)) {
    ASSIGN_OR_RETURN(const incarne_nib* nib, FindNib(name));
    return OpenedNib{nib, nullptr, name};
  }
  if (!allow_external) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target.nib = \"", name,
        "\": external nibs are not allowed here (allow_external_nibs is off); built-in: ",
        BuiltinNames()));
  }
  return OpenExternal(name);
}

std::vector<std::pair<std::string, std::string>> NibParams(const Plan& plan,
                                                           const std::string& nib_name,
                                                           bool external) {
  std::vector<std::pair<std::string, std::string>> out;
  if (external) {
    return plan.target.params;  // whatever the plugin calls itself
  }
  if (nib_name == "dummy") {
    out.emplace_back("latency", FormatDuration(plan.target.dummy.latency_ns));
  }
  if (nib_name == "http" || nib_name == "https") {
    const HttpPlan& h = plan.target.http;
    out.emplace_back("max_line", absl::StrCat(h.max_line));
    out.emplace_back("max_field_num", absl::StrCat(h.max_field_num));
    out.emplace_back("max_field", absl::StrCat(h.max_field));
    out.emplace_back("max_entity", absl::StrCat(h.max_entity));
    out.emplace_back("max_requests_per_connection", absl::StrCat(h.max_requests_per_connection));
    out.emplace_back("announce_close", h.announce_close ? "true" : "false");
  }
  if (nib_name == "https") {
    const TlsPlan& t = plan.target.tls;
    out.emplace_back("tls.sni", t.sni);
    out.emplace_back("tls.verify", t.verify ? "true" : "false");
    out.emplace_back("tls.ca_file", t.ca_file);
    out.emplace_back("tls.cert_file", t.cert_file);
    out.emplace_back("tls.key_file", t.key_file);
    out.emplace_back("tls.ciphers", t.ciphers);
    out.emplace_back("tls.alpn", t.alpn);
    out.emplace_back("tls.resume", t.resume ? "true" : "false");
    out.emplace_back("tls.min_version", t.min_version);
    out.emplace_back("tls.aes_ni", t.aes_ni ? "true" : "false");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<NibInstance>> NibInstance::Create(const incarne_nib* nib,
                                                                 const Plan& plan,
                                                                 const std::string& host,
                                                                 uint32_t workers) {
  return Create(OpenedNib{nib, nullptr, nib->name}, plan, host, workers);
}

absl::StatusOr<std::unique_ptr<NibInstance>> NibInstance::Create(const OpenedNib& opened,
                                                                 const Plan& plan,
                                                                 const std::string& host,
                                                                 uint32_t workers) {
  const incarne_nib* nib = opened.nib;
  const bool external = opened.external();
  std::unique_ptr<NibInstance> inst(new NibInstance());
  inst->nib_ = nib;
  inst->library_ = opened.library;
  if (nib->create == nullptr) {
    return inst;
  }
  std::vector<std::pair<std::string, std::string>> params = NibParams(plan, nib->name, external);
  std::vector<incarne_nib_kv> kv;
  kv.reserve(params.size());
  for (const auto& [k, v] : params) {
    kv.push_back(incarne_nib_kv{k.c_str(), v.c_str()});
  }
  incarne_nib_config config{};
  config.struct_size = sizeof(config);
  config.workers = workers;
  config.address = plan.target.address.c_str();
  config.host = host.c_str();
  config.params = kv.data();
  config.param_count = static_cast<uint32_t>(kv.size());
  config.plan = external ? nullptr : &plan;  // a plugin cannot know incarne's C++ layout
  config.timeout_ns = plan.target.timeout_ns;
  char error[512] = {0};
  int r = nib->create(&config, &inst->ctx_, error, sizeof(error));
  if (r != 0) {
    inst->ctx_ = nullptr;
    return absl::InvalidArgumentError(
        absl::StrCat(plan.source_path.empty() ? "" : plan.source_path + ": ", "nib ", nib->name,
                     ": ", error[0] != 0 ? error : "configuration rejected"));
  }
  return inst;
}

NibInstance::~NibInstance() {
  if (nib_ != nullptr && nib_->destroy != nullptr && ctx_ != nullptr) {
    nib_->destroy(ctx_);
  }
}

}  // namespace incarne
