// AES-GCM with AES-NI and PCLMULQDQ for the https nib, handed to wolfSSL as a crypto-callback
// device (docs/https.md "AES-GCM"). Debian's wolfSSL 5.5.4 is built without AES-NI, so every TLS
// record would otherwise go through its table-driven software GCM.
//
// Written from NIST SP 800-38D and Intel's carry-less multiplication white paper. The NI code
// is compiled with per-function target attributes (the rest of the build keeps the default
// flags) and is reached only after a runtime CPUID check: AesGcmNiSupported() must be true
// before AesGcmNiEncrypt/Decrypt are called (they return kAesGcmUnsupported otherwise).
//
// Every function here is thread-safe, allocates nothing and keeps no state between calls
// except the per-thread record counters behind AesNiDeviceCounts().
#pragma once

#include <cstddef>
#include <cstdint>

namespace incarne::https {

// Results of AesGcmNiEncrypt / AesGcmNiDecrypt.
enum AesGcmResult : int {
  kAesGcmOk = 0,
  kAesGcmAuthFailed = -1,   // decrypt: the tag does not match (the output is zeroed)
  kAesGcmUnsupported = -2,  // no AES-NI/PCLMULQDQ, or a key, IV or tag length not handled here
};

// True when the CPU has AES-NI, PCLMULQDQ, SSSE3 and SSE4.1 (checked once, then cached).
bool AesGcmNiSupported();

// AES-GCM encryption (SP 800-38D): key_len 16 or 32 (AES-128/256; 24 is not handled), any
// iv_len >= 1 (12, TLS's, is the fast path; others go through GHASH as the standard says),
// tag_len 1..16 (the first tag_len bytes of the full tag), len up to 2^36 - 32 bytes (the
// standard's limit). `in` and `out` hold len bytes and may be the same buffer (in place);
// partial overlap is not allowed. aad may be null when aad_len is 0, in/out when len is 0.
// kAesGcmUnsupported for anything else (nothing is written then).
AesGcmResult AesGcmNiEncrypt(const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
                             const uint8_t* aad, size_t aad_len, const uint8_t* in, uint8_t* out,
                             size_t len, uint8_t* tag, size_t tag_len);

// AES-GCM decryption with the same contract; compares the first tag_len bytes of the computed
// tag with `tag` in constant time. On a mismatch the output is zeroed (no unauthenticated
// plaintext is left behind, not even in place) and kAesGcmAuthFailed is returned.
AesGcmResult AesGcmNiDecrypt(const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
                             const uint8_t* aad, size_t aad_len, const uint8_t* in, uint8_t* out,
                             size_t len, const uint8_t* tag, size_t tag_len);

// The wolfSSL crypto-callback device id used by RegisterAesNiDevice().
inline constexpr int kAesNiDevId = 0x41455347;  // "AESG"

// Registers (or re-registers) the AES-GCM device with wolfCrypt and returns kAesNiDevId, or
// wolfSSL's INVALID_DEVID (-2) when the CPU lacks AES-NI/PCLMULQDQ or wolfCrypt refuses the
// registration. Call it after wolfSSL_Init(), on a control thread, before any WOLFSSL_CTX uses
// the id: wolfCrypt's first init after a full cleanup empties its device table, so callers
// register on every setup (cheap, serialized by a mutex). The callback handles AES-GCM
// encryption and decryption with 16- or 32-byte keys and answers CRYPTOCB_UNAVAILABLE for
// everything else, which makes wolfSSL use its own software code.
int RegisterAesNiDevice();

// Process-wide counts of the device's AES-GCM calls since the process started: records it
// encrypted or decrypted (tag failures included), and AES-GCM calls it left to wolfSSL's
// software (an AES-192 key). Summed over per-thread counters: no shared atomic per record.
struct AesNiCounts {
  uint64_t records = 0;
  uint64_t declined = 0;
};
AesNiCounts AesNiDeviceCounts();

}  // namespace incarne::https
