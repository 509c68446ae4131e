// libFuzzer target: the https nib's AES-NI AES-GCM (nibs/https/aes_gcm_ni.h) against wolfSSL's
// software AES-GCM on any key, IV, AAD, plaintext and tag length the input spells out:
// the same ciphertext and tag, decryption back to the plaintext (also in place), and any
// tampering with the ciphertext, the tag or the AAD rejected by both with the output zeroed.
// The input, read front to back (missing bytes are zeros):
//   byte 0: bit 0 = AES-256, bits 1-2 = IV kind (12 bytes, 12, 12, or byte 1 & 63 + 1 bytes),
//           bits 3-5 = tag length 16 - (value % 5); byte 1: IV length for kind 3;
//   then the key, the IV, one byte of AAD length, the AAD, two bytes choosing the bit to
//   flip, and the rest is the plaintext.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "incarne_config.h"

#if INCARNE_HAVE_TLS
#include "nibs/https/aes_gcm_ni.h"

// wolfSSL's headers need its build options first.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

namespace {

using incarne::https::AesGcmNiDecrypt;
using incarne::https::AesGcmNiEncrypt;
using incarne::https::kAesGcmAuthFailed;
using incarne::https::kAesGcmOk;

struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t Byte() {
    if (n == 0) {
      return 0;
    }
    --n;
    return *p++;
  }
  std::vector<uint8_t> Take(size_t k) {
    std::vector<uint8_t> v(k, 0);
    for (auto& b : v) {
      b = Byte();
    }
    return v;
  }
};

uint8_t* Nonnull(std::vector<uint8_t>& v) {
  static uint8_t dummy[1];
  return v.empty() ? dummy : v.data();
}

// wolfSSL software; returns its error code.
int Soft(bool decrypt, const std::vector<uint8_t>& key, const std::vector<uint8_t>& iv,
         std::vector<uint8_t>& aad, std::vector<uint8_t>& in, std::vector<uint8_t>* out,
         uint8_t* tag, size_t tag_len) {
  Aes aes;
  if (wc_AesInit(&aes, nullptr, INVALID_DEVID) != 0 ||
      wc_AesGcmSetKey(&aes, key.data(), static_cast<word32>(key.size())) != 0) {
    abort();
  }
  out->assign(in.size(), 0);
  const int r =
      decrypt ? wc_AesGcmDecrypt(&aes, Nonnull(*out), Nonnull(in), static_cast<word32>(in.size()),
                                 iv.data(), static_cast<word32>(iv.size()), tag,
                                 static_cast<word32>(tag_len), aad.empty() ? nullptr : aad.data(),
                                 static_cast<word32>(aad.size()))
              : wc_AesGcmEncrypt(&aes, Nonnull(*out), Nonnull(in), static_cast<word32>(in.size()),
                                 iv.data(), static_cast<word32>(iv.size()), tag,
                                 static_cast<word32>(tag_len), aad.empty() ? nullptr : aad.data(),
                                 static_cast<word32>(aad.size()));
  wc_AesFree(&aes);
  return r;
}

void Check(bool ok) {
  if (!ok) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!incarne::https::AesGcmNiSupported()) {
    return 0;
  }
  Reader r{data, size};
  const uint8_t flags = r.Byte();
  const uint8_t iv_byte = r.Byte();
  const size_t key_len = (flags & 1) ? 32 : 16;
  const size_t iv_len = ((flags >> 1) & 3) == 3 ? (iv_byte & 63) + 1 : 12;
  const size_t tag_len = 16 - ((flags >> 3) & 7) % 5;  // 12..16: what wolfSSL encrypts with
  const std::vector<uint8_t> key = r.Take(key_len);
  const std::vector<uint8_t> iv = r.Take(iv_len);
  std::vector<uint8_t> aad = r.Take(r.Byte());
  const size_t flip = static_cast<size_t>(r.Byte()) << 8 | r.Byte();
  std::vector<uint8_t> plain(r.p, r.p + r.n);

  // Encrypt: both agree.
  std::vector<uint8_t> soft_cipher;
  uint8_t soft_tag[16];
  Check(Soft(false, key, iv, aad, plain, &soft_cipher, soft_tag, tag_len) == 0);
  std::vector<uint8_t> ni_cipher(plain.size());
  uint8_t ni_tag[16];
  Check(AesGcmNiEncrypt(key.data(), key_len, iv.data(), iv_len, aad.data(), aad.size(),
                        plain.data(), ni_cipher.data(), plain.size(), ni_tag,
                        tag_len) == kAesGcmOk);
  Check(ni_cipher == soft_cipher && memcmp(ni_tag, soft_tag, tag_len) == 0);

  // Decrypt in place back to the plaintext.
  std::vector<uint8_t> buf = soft_cipher;
  Check(AesGcmNiDecrypt(key.data(), key_len, iv.data(), iv_len, aad.data(), aad.size(), buf.data(),
                        buf.data(), buf.size(), soft_tag, tag_len) == kAesGcmOk);
  Check(buf == plain);

  // Flip one bit of the ciphertext, the tag or the AAD: both reject it, ours zeroes.
  const size_t bits = 8 * (soft_cipher.size() + tag_len + aad.size());
  const size_t bit = flip % bits;
  std::vector<uint8_t> bad_cipher = soft_cipher;
  std::vector<uint8_t> bad_aad = aad;
  uint8_t bad_tag[16];
  memcpy(bad_tag, soft_tag, sizeof(bad_tag));
  const uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
  if (bit / 8 < bad_cipher.size()) {
    bad_cipher[bit / 8] ^= mask;
  } else if (bit / 8 < bad_cipher.size() + tag_len) {
    bad_tag[bit / 8 - bad_cipher.size()] ^= mask;
  } else {
    bad_aad[bit / 8 - bad_cipher.size() - tag_len] ^= mask;
  }
  std::vector<uint8_t> out(bad_cipher.size(), 0xAA);
  Check(AesGcmNiDecrypt(key.data(), key_len, iv.data(), iv_len, bad_aad.data(), bad_aad.size(),
                        bad_cipher.data(), out.data(), out.size(), bad_tag,
                        tag_len) == kAesGcmAuthFailed);
  for (uint8_t b : out) {
    Check(b == 0);
  }
  std::vector<uint8_t> soft_out;
  Check(Soft(true, key, iv, bad_aad, bad_cipher, &soft_out, bad_tag, tag_len) == AES_GCM_AUTH_E);
  return 0;
}

#else  // Without wolfSSL there is no https nib and nothing to compare with.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
#endif
