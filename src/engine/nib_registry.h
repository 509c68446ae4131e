// Finding and checking nibs (include/incarne/nib.h), and owning a nib's run-wide context.
// Control plane only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "incarne/nib.h"
#include "plan/plan.h"

namespace incarne {

// The built-in nibs (generated from nibs/meson.build; only those whose room builds).
std::vector<const incarne_nib*> BuiltinNibs();

// Checks a descriptor before anything is called: abi_version, struct_size, name, transport,
// the required functions. InvalidArgument naming `origin` (the nib name or .so path).
absl::Status ValidateNib(const incarne_nib* nib, const std::string& origin);

// target.nib → a descriptor. A name of a built-in nib; a path (contains '/' or ends with
// ".so") is an external nib, loaded with dlopen in a later issue (Unimplemented for now).
// NotFound lists the built-in names.
absl::StatusOr<const incarne_nib*> FindNib(const std::string& name);

// The nib's [target.<name>] keys as strings, for incarne_nib_config.params (built-ins also get
// the typed plan). Durations are written the way the plan loader reads them.
std::vector<std::pair<std::string, std::string>> NibParams(const Plan& plan,
                                                           const std::string& nib_name);

// A created nib: calls create() and destroy(). The descriptor must outlive it.
class NibInstance {
 public:
  // `host` is the host part of target.address (Host headers, SNI). InvalidArgument with the
  // nib's message when create() refuses the configuration.
  static absl::StatusOr<std::unique_ptr<NibInstance>> Create(const incarne_nib* nib,
                                                             const Plan& plan,
                                                             const std::string& host,
                                                             uint32_t workers);
  ~NibInstance();
  NibInstance(const NibInstance&) = delete;
  NibInstance& operator=(const NibInstance&) = delete;

  const incarne_nib* nib() const { return nib_; }
  void* context() const { return ctx_; }

 private:
  NibInstance() = default;
  const incarne_nib* nib_ = nullptr;
  void* ctx_ = nullptr;
};

}  // namespace incarne
