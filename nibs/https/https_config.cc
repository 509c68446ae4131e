#include "https_config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

// wolfSSL's headers need its build options first.
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incarne::https {
namespace {

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

absl::Status CheckReadable(const char* key, const std::string& path) {
  if (path.empty() || access(path.c_str(), R_OK) == 0) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("target.tls.", key, ": ", path, ": cannot read: ", strerror(errno)));
}

std::string WolfReason(int code) {
  char buf[WOLFSSL_MAX_ERROR_SZ] = "";
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(code), buf, sizeof(buf));
  return buf;
}

}  // namespace

absl::StatusOr<HttpsConfig> HttpsConfigFromPlan(const Plan& plan, const std::string& host) {
  HttpsConfig config;
  absl::StatusOr<http::HttpConfig> http = http::HttpConfigFromPlan(plan.target.http);
  if (!http.ok()) {
    return http.status();
  }
  config.http = *http;
  const TlsPlan& tls = plan.target.tls;
  config.sni = !tls.sni.empty() ? tls.sni : (IsIpLiteral(host) ? std::string() : host);
  config.verify = tls.verify;
  config.ca_file = tls.ca_file;
  config.cert_file = tls.cert_file;
  config.key_file = tls.key_file;
  config.ciphers = tls.ciphers;
  config.alpn = tls.alpn;
  config.resume = tls.resume;
  config.tls13_only = tls.min_version == "1.3";
  config.aes_ni = tls.aes_ni;
  if (config.sni.size() > 255) {
    return absl::InvalidArgumentError("target.tls.sni: longer than 255 bytes");
  }
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string*>{"ca_file", &tls.ca_file},
        {"cert_file", &tls.cert_file},
        {"key_file", &tls.key_file}}) {
    if (absl::Status st = CheckReadable(key, *path); !st.ok()) {
      return st;
    }
  }
  if (!config.alpn.empty()) {
    size_t start = 0;
    while (start <= config.alpn.size()) {
      size_t end = config.alpn.find(',', start);
      if (end == std::string::npos) {
        end = config.alpn.size();
      }
      const size_t n = end - start;
      if (n == 0 || n > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("target.tls.alpn: \"", config.alpn,
                         "\": expected a comma-separated list of protocol names of 1..255 bytes"));
      }
      for (size_t i = start; i < end; ++i) {
        const unsigned char c = static_cast<unsigned char>(config.alpn[i]);
        if (c <= ' ' || c >= 0x7f) {
          return absl::InvalidArgumentError(absl::StrCat(
              "target.tls.alpn: \"", config.alpn,
              "\": protocol names are printable ASCII without spaces (e.g. \"http/1.1\")"));
        }
      }
      start = end + 1;
    }
  }
  // The context is made once here so that a bad file or cipher list fails the run before
  // anything is fired, with the key named.
  absl::StatusOr<WOLFSSL_CTX*> probe = NewClientContext(config);
  if (!probe.ok()) {
    return probe.status();
  }
  wolfSSL_CTX_free(*probe);
  return config;
}

absl::StatusOr<WOLFSSL_CTX*> NewClientContext(const HttpsConfig& config) {
  WOLFSSL_CTX* ctx = wolfSSL_CTX_new(wolfTLS_client_method());
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError("https: wolfSSL_CTX_new failed");
  }
  auto fail = [ctx](std::string message) {
    wolfSSL_CTX_free(ctx);
    return absl::InvalidArgumentError(std::move(message));
  };
  int r = wolfSSL_CTX_SetMinVersion(ctx, config.tls13_only ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2);
  if (r != WOLFSSL_SUCCESS) {
    return fail(absl::StrCat("target.tls.min_version: wolfSSL refuses it: ", WolfReason(r)));
  }
  // Key exchange groups, fastest first: X25519 has its own field arithmetic in wolfSSL, while
  // the NIST curves go through the generic big-number code in Debian's build (no SP ECC) and
  // cost several times more per handshake (docs/https.md "Performance").
  int groups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1,
                  WOLFSSL_ECC_SECP521R1, WOLFSSL_FFDHE_2048};
  r = wolfSSL_CTX_set_groups(ctx, groups, static_cast<int>(sizeof(groups) / sizeof(groups[0])));
  if (r != WOLFSSL_SUCCESS) {
    return fail(absl::StrCat("https: wolfSSL refuses the key exchange groups: ", WolfReason(r)));
  }
  // Never wolfSSL's process-global session cache (locks shared by all workers): each worker
  // keeps its own session (docs/https.md "Resumption").
  wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
  if (config.verify) {
    if (!config.ca_file.empty()) {
      r = wolfSSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr);
      if (r != WOLFSSL_SUCCESS) {
        return fail(absl::StrCat("target.tls.ca_file: ", config.ca_file,
                                 ": wolfSSL cannot load it: ", WolfReason(r)));
      }
    } else {
      r = wolfSSL_CTX_load_system_CA_certs(ctx);
      if (r != WOLFSSL_SUCCESS) {
        return fail(
            absl::StrCat("target.tls.verify: no ca_file and the system CA store "
                         "cannot be loaded: ",
                         WolfReason(r)));
      }
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, nullptr);
  } else {
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);
  }
  if (!config.cert_file.empty()) {
    r = wolfSSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str());
    if (r != WOLFSSL_SUCCESS) {
      return fail(absl::StrCat("target.tls.cert_file: ", config.cert_file,
                               ": wolfSSL cannot load it: ", WolfReason(r)));
    }
    r = wolfSSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), WOLFSSL_FILETYPE_PEM);
    if (r != WOLFSSL_SUCCESS) {
      return fail(absl::StrCat("target.tls.key_file: ", config.key_file,
                               ": wolfSSL cannot load it: ", WolfReason(r)));
    }
  }
  if (!config.ciphers.empty()) {
    r = wolfSSL_CTX_set_cipher_list(ctx, config.ciphers.c_str());
    if (r != WOLFSSL_SUCCESS) {
      return fail(absl::StrCat("target.tls.ciphers: \"", config.ciphers,
                               "\": wolfSSL accepts none of them"));
    }
  }
  return ctx;
}

}  // namespace incarne::https
