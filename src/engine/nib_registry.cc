#include "engine/nib_registry.h"

#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plan/duration.h"

namespace incarne {

absl::Status ValidateNib(const incarne_nib* nib, const std::string& origin) {
  if (nib == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("nib ", origin, ": no descriptor"));
  }
  if (nib->abi_version != INCARNE_NIB_ABI_VERSION) {
    return absl::InvalidArgumentError(
        absl::StrCat("nib ", origin, ": ABI version ", nib->abi_version, ", expected ",
                     INCARNE_NIB_ABI_VERSION, " (rebuild it against this incarne's nib.h)"));
  }
  // Version 1's last member is on_close: a descriptor must have at least that much.
  if (nib->struct_size < offsetof(incarne_nib, on_close) + sizeof(nib->on_close)) {
    return absl::InvalidArgumentError(absl::StrCat("nib ", origin, ": descriptor of ",
                                                   nib->struct_size, " bytes is too small"));
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

absl::StatusOr<const incarne_nib*> FindNib(const std::string& name) {
  if (name.find('/') != std::string::npos ||
      (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0)) {
    return absl::UnimplementedError(absl::StrCat(
        "target.nib = \"", name, "\": external nibs (.so) are not supported yet; built-in: ",
        absl::StrJoin(BuiltinNibs(), ", ", [](std::string* out, const incarne_nib* n) {
          out->append(n->name);
        })));
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
  return absl::NotFoundError(absl::StrCat(
      "target.nib = \"", name, "\": no such nib; built-in: ",
      absl::StrJoin(nibs, ", ",
                    [](std::string* out, const incarne_nib* n) { out->append(n->name); })));
}

std::vector<std::pair<std::string, std::string>> NibParams(const Plan& plan,
                                                           const std::string& nib_name) {
  std::vector<std::pair<std::string, std::string>> out;
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
  }
  return out;
}

absl::StatusOr<std::unique_ptr<NibInstance>> NibInstance::Create(const incarne_nib* nib,
                                                                const Plan& plan,
                                                                const std::string& host,
                                                                uint32_t workers) {
  std::unique_ptr<NibInstance> inst(new NibInstance());
  inst->nib_ = nib;
  if (nib->create == nullptr) {
    return inst;
  }
  std::vector<std::pair<std::string, std::string>> params = NibParams(plan, nib->name);
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
  config.plan = &plan;
  config.timeout_ns = plan.target.timeout_ns;
  char error[512] = {0};
  int r = nib->create(&config, &inst->ctx_, error, sizeof(error));
  if (r != 0) {
    inst->ctx_ = nullptr;
    return absl::InvalidArgumentError(
        absl::StrCat(plan.source_path.empty() ? "" : plan.source_path + ": ", "nib ",
                     nib->name, ": ", error[0] != 0 ? error : "configuration rejected"));
  }
  return inst;
}

NibInstance::~NibInstance() {
  if (nib_ != nullptr && nib_->destroy != nullptr && ctx_ != nullptr) {
    nib_->destroy(ctx_);
  }
}

}  // namespace incarne
