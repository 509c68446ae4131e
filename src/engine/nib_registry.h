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

// True when target.nib names an external nib: it contains '/' or ends in ".so".
bool IsExternalNib(const std::string& name);

// A built-in nib by name. NotFound lists the built-in names; a path (IsExternalNib) is
// InvalidArgument here: external nibs are opened with OpenNib, which keeps their library.
absl::StatusOr<const incarne_nib*> FindNib(const std::string& name);

// A nib chosen by target.nib: the descriptor and, for an external nib, the library it lives
// in. The library is dlclose'd when the last copy of `library` goes, so keep one for as long
// as anything may call into the nib (NibInstance keeps one).
struct OpenedNib {
  const incarne_nib* nib = nullptr;
  std::shared_ptr<void> library;  // the dlopen handle; null for built-ins
  std::string origin;             // the built-in name or the path as written

  bool external() const { return library != nullptr; }
};

// target.nib → a nib. A built-in name (FindNib), or a path (IsExternalNib): the shared object
// is dlopen'ed with RTLD_NOW | RTLD_LOCAL (a path without '/' is taken relative to the current
// directory, never searched for), INCARNE_NIB_ENTRY_SYMBOL is called and the descriptor goes
// through ValidateNib before anything else of it is called. `allow_external` = false refuses
// every path (the daemon's policy hook, LaunchOptions::allow_external_nibs). Errors name the
// path: NotFound (no such file), FailedPrecondition (refused by policy), InvalidArgument
// (not loadable, no entry symbol, wrong ABI version or layout).
absl::StatusOr<OpenedNib> OpenNib(const std::string& name, bool allow_external = true);

// The nib's keys as strings, for incarne_nib_config.params: a built-in's [target.<name>]
// table (built-ins also get the typed plan), an external nib's [target.params] table.
// Durations are written the way the plan loader reads them.
std::vector<std::pair<std::string, std::string>> NibParams(const Plan& plan,
                                                           const std::string& nib_name,
                                                           bool external = false);

// A created nib: calls create() and destroy(). The descriptor must outlive it.
class NibInstance {
 public:
  // `host` is the host part of target.address (Host headers, SNI). InvalidArgument with the
  // nib's message when create() refuses the configuration.
  static absl::StatusOr<std::unique_ptr<NibInstance>> Create(const incarne_nib* nib,
                                                             const Plan& plan,
                                                             const std::string& host,
                                                             uint32_t workers);
  // The same for a nib from OpenNib: an external nib gets config.plan = NULL and the
  // [target.params] keys, and the instance keeps its library open until after destroy().
  static absl::StatusOr<std::unique_ptr<NibInstance>> Create(const OpenedNib& nib, const Plan& plan,
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
  std::shared_ptr<void> library_;  // an external nib's library, closed after destroy()
};

}  // namespace incarne
