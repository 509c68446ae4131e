// The https nib's run-wide configuration, built once on the control thread from the plan's
// [target.tls] and [target.http] sections (docs/https.md), and the per-worker WOLFSSL_CTX
// made from it. Nothing here runs on the data path.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "http_config.h"
#include "plan/plan.h"

typedef struct WOLFSSL_CTX WOLFSSL_CTX;

namespace incarne::https {

struct HttpsConfig {
  http::HttpConfig http;  // reply limits and max_requests_per_connection ([target.http])
  std::string sni;        // the server name sent (and verified), "" = none
  bool verify = false;
  std::string ca_file;    // "" with verify = the system CA store
  std::string cert_file;  // client certificate (with key_file), "" = none
  std::string key_file;
  std::string ciphers;  // wolfSSL cipher list, "" = wolfSSL's defaults
  std::string alpn;     // comma-separated protocol list, "" = no ALPN extension
  bool resume = true;
  bool tls13_only = false;  // min_version = "1.3"
  bool aes_ni = true;       // AES-GCM through the AES-NI device when the CPU has it
};

// Resolves the defaults (sni: `host` when it is a name, not an IP literal) and validates:
// files named must be readable, alpn must be a comma-separated list of 1..255-byte names
// without spaces or control characters. InvalidArgument naming the target.tls key otherwise.
absl::StatusOr<HttpsConfig> HttpsConfigFromPlan(const Plan& plan, const std::string& host);

// A client WOLFSSL_CTX for one worker: versions, verification and CA store, the client
// certificate, the cipher list, wolfSSL's global session cache switched off (sessions are
// kept per worker by the nib). The caller installs the I/O callbacks and owns the result
// (wolfSSL_CTX_free). InvalidArgument with wolfSSL's reason, naming the key, when wolfSSL
// refuses a file or the cipher list.
absl::StatusOr<WOLFSSL_CTX*> NewClientContext(const HttpsConfig& config);

}  // namespace incarne::https
