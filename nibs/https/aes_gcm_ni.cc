// AES-GCM with AES-NI and PCLMULQDQ, and the wolfSSL crypto-callback device around it: see
// aes_gcm_ni.h and docs/https.md "AES-GCM".
//
// Notation (SP 800-38D): a 16-byte block b0..b15 is the polynomial whose x^0 coefficient is the
// top bit of b0 and whose x^127 coefficient is the low bit of b15, in GF(2^128) modulo
// P = x^128 + x^7 + x^2 + x + 1. Byte-reversing a block and loading it as a 128-bit integer
// puts the coefficient of x^i at bit 127 - i ("reflected" form, rev(A)); GHASH runs entirely
// in that form. The counter block's last 32 bits then sit in the low dword as a plain integer,
// so inc32 is one 32-bit add (wrapping without carry, as inc32 requires).
#include "aes_gcm_ni.h"

#include <immintrin.h>

#include <atomic>
#include <cstring>
#include <mutex>

// wolfSSL's headers need its build options first.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

// Every function that uses the instructions carries the attribute, so the rest of the build
// keeps the default (x86-64 baseline) flags and nothing runs them without the CPUID check.
#define INCARNE_NI __attribute__((target("aes,pclmul,ssse3,sse4.1")))

namespace incarne::https {
namespace {

constexpr int kMaxRounds = 14;
constexpr size_t kBlock = 16;

struct Keys {
  __m128i rk[kMaxRounds + 1];  // encryption round keys
  int rounds;                  // 10 (AES-128) or 14 (AES-256)
  __m128i h[8];                // H^1..H^8 in reflected form (h[k] = H^(k+1)); h[0] always
};

// ---------------------------------------------------------------- AES (FIPS-197)

// One step of the key schedule: w'[j] = w[j] ^ w'[j-1] for the four words, with `assist`
// (SubWord/RotWord/Rcon of the previous word, broadcast) folded into the first.
INCARNE_NI inline __m128i ScheduleStep(__m128i key, __m128i assist) {
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

// Round key i (i % Nk == 0): RotWord(SubWord(last word)) ^ Rcon, taken from dword 3 of the
// assist result of the previous round key.
template <int kRcon>
INCARNE_NI inline __m128i RotStep(__m128i prev_same, __m128i prev) {
  return ScheduleStep(prev_same, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(prev, kRcon), 0xff));
}

// AES-256 only (i % 8 == 4): SubWord(last word), dword 2 of the assist result.
INCARNE_NI inline __m128i SubStep(__m128i prev_same, __m128i prev) {
  return ScheduleStep(prev_same, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(prev, 0), 0xaa));
}

INCARNE_NI void Expand128(const uint8_t* key, Keys* k) {
  __m128i* rk = k->rk;
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[1] = RotStep<0x01>(rk[0], rk[0]);
  rk[2] = RotStep<0x02>(rk[1], rk[1]);
  rk[3] = RotStep<0x04>(rk[2], rk[2]);
  rk[4] = RotStep<0x08>(rk[3], rk[3]);
  rk[5] = RotStep<0x10>(rk[4], rk[4]);
  rk[6] = RotStep<0x20>(rk[5], rk[5]);
  rk[7] = RotStep<0x40>(rk[6], rk[6]);
  rk[8] = RotStep<0x80>(rk[7], rk[7]);
  rk[9] = RotStep<0x1b>(rk[8], rk[8]);
  rk[10] = RotStep<0x36>(rk[9], rk[9]);
  k->rounds = 10;
}

INCARNE_NI void Expand256(const uint8_t* key, Keys* k) {
  __m128i* rk = k->rk;
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
  rk[2] = RotStep<0x01>(rk[0], rk[1]);
  rk[3] = SubStep(rk[1], rk[2]);
  rk[4] = RotStep<0x02>(rk[2], rk[3]);
  rk[5] = SubStep(rk[3], rk[4]);
  rk[6] = RotStep<0x04>(rk[4], rk[5]);
  rk[7] = SubStep(rk[5], rk[6]);
  rk[8] = RotStep<0x08>(rk[6], rk[7]);
  rk[9] = SubStep(rk[7], rk[8]);
  rk[10] = RotStep<0x10>(rk[8], rk[9]);
  rk[11] = SubStep(rk[9], rk[10]);
  rk[12] = RotStep<0x20>(rk[10], rk[11]);
  rk[13] = SubStep(rk[11], rk[12]);
  rk[14] = RotStep<0x40>(rk[12], rk[13]);
  k->rounds = 14;
}

INCARNE_NI inline __m128i EncryptBlock(const Keys& k, __m128i b) {
  b = _mm_xor_si128(b, k.rk[0]);
  for (int r = 1; r < k.rounds; ++r) {
    b = _mm_aesenc_si128(b, k.rk[r]);
  }
  return _mm_aesenclast_si128(b, k.rk[k.rounds]);
}

// ---------------------------------------------------------------- GHASH

INCARNE_NI inline __m128i Reflect(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

INCARNE_NI inline __m128i Load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

INCARNE_NI inline void Store(uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

// An unreduced 256-bit carry-less product (or a sum of them): lo + mid·2^64 + hi·2^128.
struct Wide {
  __m128i lo, mid, hi;
};

INCARNE_NI inline Wide ZeroWide() {
  return {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
}

// acc += a·b (schoolbook, four 64×64 products; sums of products are reduced once).
INCARNE_NI inline void MulAdd(Wide* acc, __m128i a, __m128i b) {
  acc->lo = _mm_xor_si128(acc->lo, _mm_clmulepi64_si128(a, b, 0x00));
  acc->hi = _mm_xor_si128(acc->hi, _mm_clmulepi64_si128(a, b, 0x11));
  acc->mid = _mm_xor_si128(
      acc->mid, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10)));
}

// The reflected product of two reflected operands, reduced modulo P.
//
// With a = rev(A), b = rev(B), the carry-less product has the coefficient of x^m of A·B at bit
// 254 - m; shifted left by one it is rev256(A·B): the upper 128 bits are l = rev(D_lo) (degrees
// 0..127), the lower ones h = rev(D_hi) (degrees 128..255), A·B = D_lo + x^128·D_hi. With
// q = 1 + x + x^2 + x^7 (x^128 ≡ q mod P) and F = the part of (x + x^2 + x^7)·D_hi above
// degree 127 (degree ≤ 6), A·B ≡ D_lo + (q·(D_hi + F) mod x^128), because q·F has degree < 128.
// In reflected form a multiplication by x^k is a right shift by k (bits shifted out are the
// degrees ≥ 128), and rev(F) = h<<127 ^ h<<126 ^ h<<121.
INCARNE_NI inline __m128i Reduce(Wide w) {
  __m128i lo = _mm_xor_si128(w.lo, _mm_slli_si128(w.mid, 8));
  __m128i hi = _mm_xor_si128(w.hi, _mm_srli_si128(w.mid, 8));
  // (hi:lo) <<= 1 across the 256 bits.
  const __m128i lo_top = _mm_srli_epi64(lo, 63);
  const __m128i hi_top = _mm_srli_epi64(hi, 63);
  lo = _mm_or_si128(_mm_slli_epi64(lo, 1), _mm_slli_si128(lo_top, 8));
  hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(hi, 1), _mm_slli_si128(hi_top, 8)),
                    _mm_srli_si128(lo_top, 8));
  // h' = h + rev(F): only the low 7 bits of h's low qword reach the top of its high qword.
  const __m128i f = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(lo, 63), _mm_slli_epi64(lo, 62)),
                                  _mm_slli_epi64(lo, 57));
  const __m128i h = _mm_xor_si128(lo, _mm_slli_si128(f, 8));
  // h' ^ h'>>1 ^ h'>>2 ^ h'>>7 as 128-bit shifts: per-qword shifts plus the bits the high
  // qword passes down to the low one.
  const __m128i down = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(h, 1), _mm_srli_epi64(h, 2)),
                                     _mm_srli_epi64(h, 7));
  const __m128i carry = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(h, 63), _mm_slli_epi64(h, 62)),
                                      _mm_slli_epi64(h, 57));
  return _mm_xor_si128(_mm_xor_si128(hi, h), _mm_xor_si128(down, _mm_srli_si128(carry, 8)));
}

INCARNE_NI inline __m128i Mul(__m128i a, __m128i b) {
  Wide w = ZeroWide();
  MulAdd(&w, a, b);
  return Reduce(w);
}

// x = (x + block)·H for one reflected block.
INCARNE_NI inline __m128i Ghash1(const Keys& k, __m128i x, __m128i reflected) {
  return Mul(_mm_xor_si128(x, reflected), k.h[0]);
}

// x = (x + c0)·H^n + c1·H^(n-1) + ... + c(n-1)·H for n raw blocks: one reduction per n.
template <int kN>
INCARNE_NI inline __m128i GhashN(const Keys& k, __m128i x, const __m128i* blocks) {
  Wide w = ZeroWide();
  MulAdd(&w, _mm_xor_si128(x, Reflect(blocks[0])), k.h[kN - 1]);
  for (int i = 1; i < kN; ++i) {
    MulAdd(&w, Reflect(blocks[i]), k.h[kN - 1 - i]);
  }
  return Reduce(w);
}

// GHASH of a byte string, zero-padded to whole blocks (the AAD, a non-96-bit IV).
INCARNE_NI __m128i GhashBytes(const Keys& k, __m128i x, const uint8_t* p, size_t n) {
  for (; n >= kBlock; p += kBlock, n -= kBlock) {
    x = Ghash1(k, x, Reflect(Load(p)));
  }
  if (n != 0) {
    alignas(16) uint8_t pad[kBlock] = {};
    memcpy(pad, p, n);
    x = Ghash1(k, x, Reflect(Load(pad)));
  }
  return x;
}

// ---------------------------------------------------------------- GCM (SP 800-38D §7)

// Encrypts or decrypts len bytes and writes the full 16-byte tag. GHASH runs over the
// ciphertext: the output when encrypting, the input (read before the output is written, so
// in place works) when decrypting.
template <bool kDecrypt>
INCARNE_NI void Gcm(Keys* keys, const uint8_t* key, size_t key_len, const uint8_t* iv,
                    size_t iv_len, const uint8_t* aad, size_t aad_len, const uint8_t* in,
                    uint8_t* out, size_t len, uint8_t* full_tag) {
  Keys& k = *keys;
  if (key_len == 16) {
    Expand128(key, &k);
  } else {
    Expand256(key, &k);
  }
  k.h[0] = Reflect(EncryptBlock(k, _mm_setzero_si128()));
  const size_t blocks = len / kBlock;
  if (blocks >= 4) {
    k.h[1] = Mul(k.h[0], k.h[0]);
    k.h[2] = Mul(k.h[1], k.h[0]);
    k.h[3] = Mul(k.h[1], k.h[1]);
  }
  if (blocks >= 8) {
    k.h[4] = Mul(k.h[3], k.h[0]);
    k.h[5] = Mul(k.h[2], k.h[2]);
    k.h[6] = Mul(k.h[5], k.h[0]);
    k.h[7] = Mul(k.h[3], k.h[3]);
  }

  // J0, reflected: IV || 0^31 || 1 for a 96-bit IV, else GHASH(IV padded || 0^64 || [len]64).
  __m128i ctr;
  if (iv_len == 12) {
    alignas(16) uint8_t j0[kBlock] = {};
    memcpy(j0, iv, 12);
    j0[15] = 1;
    ctr = Reflect(Load(j0));
  } else {
    ctr = GhashBytes(k, _mm_setzero_si128(), iv, iv_len);
    ctr = Ghash1(k, ctr, _mm_set_epi64x(0, static_cast<int64_t>(iv_len) * 8));
  }
  const __m128i tag_mask = EncryptBlock(k, Reflect(ctr));  // E_K(J0)
  const __m128i one = _mm_set_epi32(0, 0, 0, 1);

  __m128i x = GhashBytes(k, _mm_setzero_si128(), aad, aad_len);

  size_t off = 0;
  for (; off + 8 * kBlock <= len; off += 8 * kBlock) {
    __m128i b[8];
    __m128i c[8];
    for (int i = 0; i < 8; ++i) {
      ctr = _mm_add_epi32(ctr, one);
      b[i] = _mm_xor_si128(Reflect(ctr), k.rk[0]);
    }
    for (int r = 1; r < k.rounds; ++r) {
      const __m128i rk = k.rk[r];
      for (int i = 0; i < 8; ++i) {
        b[i] = _mm_aesenc_si128(b[i], rk);
      }
    }
    for (int i = 0; i < 8; ++i) {
      const __m128i d = Load(in + off + i * kBlock);
      const __m128i o = _mm_xor_si128(_mm_aesenclast_si128(b[i], k.rk[k.rounds]), d);
      Store(out + off + i * kBlock, o);
      c[i] = kDecrypt ? d : o;
    }
    x = GhashN<8>(k, x, c);
  }
  for (; off + 4 * kBlock <= len; off += 4 * kBlock) {
    __m128i b[4];
    __m128i c[4];
    for (int i = 0; i < 4; ++i) {
      ctr = _mm_add_epi32(ctr, one);
      b[i] = _mm_xor_si128(Reflect(ctr), k.rk[0]);
    }
    for (int r = 1; r < k.rounds; ++r) {
      const __m128i rk = k.rk[r];
      for (int i = 0; i < 4; ++i) {
        b[i] = _mm_aesenc_si128(b[i], rk);
      }
    }
    for (int i = 0; i < 4; ++i) {
      const __m128i d = Load(in + off + i * kBlock);
      const __m128i o = _mm_xor_si128(_mm_aesenclast_si128(b[i], k.rk[k.rounds]), d);
      Store(out + off + i * kBlock, o);
      c[i] = kDecrypt ? d : o;
    }
    x = GhashN<4>(k, x, c);
  }
  for (; off + kBlock <= len; off += kBlock) {
    ctr = _mm_add_epi32(ctr, one);
    const __m128i d = Load(in + off);
    const __m128i o = _mm_xor_si128(EncryptBlock(k, Reflect(ctr)), d);
    Store(out + off, o);
    x = Ghash1(k, x, Reflect(kDecrypt ? d : o));
  }
  if (off < len) {
    const size_t n = len - off;
    alignas(16) uint8_t buf[kBlock] = {};
    memcpy(buf, in + off, n);
    ctr = _mm_add_epi32(ctr, one);
    const __m128i d = Load(buf);
    const __m128i o = _mm_xor_si128(EncryptBlock(k, Reflect(ctr)), d);
    Store(buf, o);
    memcpy(out + off, buf, n);
    if (!kDecrypt) {
      memset(buf + n, 0, kBlock - n);  // GHASH sees the ciphertext zero-padded
    }
    x = Ghash1(k, x, Reflect(kDecrypt ? d : Load(buf)));
    explicit_bzero(buf, sizeof(buf));
  }

  x = Ghash1(k, x,
             _mm_set_epi64x(static_cast<int64_t>(aad_len) * 8, static_cast<int64_t>(len) * 8));
  Store(full_tag, _mm_xor_si128(Reflect(x), tag_mask));
}

// SP 800-38D §5.2.1.1: at most 2^39 - 256 bits of plaintext (the 32-bit counter's range).
constexpr uint64_t kMaxLen = (uint64_t{1} << 36) - 32;

bool ArgsSupported(size_t key_len, size_t iv_len, size_t tag_len, size_t len) {
  return AesGcmNiSupported() && (key_len == 16 || key_len == 32) && iv_len >= 1 && tag_len >= 1 &&
         tag_len <= kBlock && len <= kMaxLen;
}

// ---------------------------------------------------------------- counters

// One cache line per thread (threads beyond kSlots share slots, hence the atomic add).
struct alignas(64) CounterSlot {
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> declined{0};
};
constexpr uint32_t kSlots = 64;
CounterSlot g_slots[kSlots];
std::atomic<uint32_t> g_next_slot{0};

CounterSlot& ThreadSlot() {
  thread_local CounterSlot* slot =
      &g_slots[g_next_slot.fetch_add(1, std::memory_order_relaxed) % kSlots];
  return *slot;
}

// ---------------------------------------------------------------- the device

// wolfCrypt calls this, on whatever thread runs the TLS connection, for every operation on an
// object whose devId is ours. The raw AES key: wc_AesSetKey (wolfSSL 5.5.4) copies keylen
// bytes of it into aes->devKey when aes->devId != INVALID_DEVID, then expands its own
// software schedule as usual (docs/https.md).
int DeviceCallback(int /*dev_id*/, wc_CryptoInfo* info, void* /*ctx*/) {
  if (info == nullptr || info->algo_type != WC_ALGO_TYPE_CIPHER ||
      info->cipher.type != WC_CIPHER_AES_GCM) {
    return CRYPTOCB_UNAVAILABLE;
  }
  AesGcmResult r;
  if (info->cipher.enc != 0) {
    const auto& e = info->cipher.aesgcm_enc;
    const Aes* aes = e.aes;
    if (aes == nullptr || aes->keylen < 0) {
      return CRYPTOCB_UNAVAILABLE;
    }
    r = AesGcmNiEncrypt(reinterpret_cast<const uint8_t*>(aes->devKey),
                        static_cast<size_t>(aes->keylen), e.iv, e.ivSz, e.authIn, e.authInSz, e.in,
                        e.out, e.sz, e.authTag, e.authTagSz);
  } else {
    const auto& d = info->cipher.aesgcm_dec;
    const Aes* aes = d.aes;
    if (aes == nullptr || aes->keylen < 0) {
      return CRYPTOCB_UNAVAILABLE;
    }
    r = AesGcmNiDecrypt(reinterpret_cast<const uint8_t*>(aes->devKey),
                        static_cast<size_t>(aes->keylen), d.iv, d.ivSz, d.authIn, d.authInSz, d.in,
                        d.out, d.sz, d.authTag, d.authTagSz);
  }
  CounterSlot& slot = ThreadSlot();
  switch (r) {
    case kAesGcmOk:
      slot.records.fetch_add(1, std::memory_order_relaxed);
      return 0;
    case kAesGcmAuthFailed:
      slot.records.fetch_add(1, std::memory_order_relaxed);
      return AES_GCM_AUTH_E;
    case kAesGcmUnsupported:
      break;
  }
  slot.declined.fetch_add(1, std::memory_order_relaxed);
  return CRYPTOCB_UNAVAILABLE;
}

}  // namespace

bool AesGcmNiSupported() {
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
  }();
  return supported;
}

AesGcmResult AesGcmNiEncrypt(const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
                             const uint8_t* aad, size_t aad_len, const uint8_t* in, uint8_t* out,
                             size_t len, uint8_t* tag, size_t tag_len) {
  if (!ArgsSupported(key_len, iv_len, tag_len, len)) {
    return kAesGcmUnsupported;
  }
  Keys k;
  alignas(16) uint8_t full[kBlock];
  Gcm<false>(&k, key, key_len, iv, iv_len, aad, aad_len, in, out, len, full);
  memcpy(tag, full, tag_len);
  explicit_bzero(&k, sizeof(k));
  return kAesGcmOk;
}

AesGcmResult AesGcmNiDecrypt(const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
                             const uint8_t* aad, size_t aad_len, const uint8_t* in, uint8_t* out,
                             size_t len, const uint8_t* tag, size_t tag_len) {
  if (!ArgsSupported(key_len, iv_len, tag_len, len)) {
    return kAesGcmUnsupported;
  }
  Keys k;
  alignas(16) uint8_t full[kBlock];
  Gcm<true>(&k, key, key_len, iv, iv_len, aad, aad_len, in, out, len, full);
  explicit_bzero(&k, sizeof(k));
  // Constant time in the tag bytes: every byte is compared, the only branch is on the result.
  uint8_t diff = 0;
  for (size_t i = 0; i < tag_len; ++i) {
    diff |= static_cast<uint8_t>(full[i] ^ tag[i]);
  }
  if (diff != 0) {
    if (len != 0) {
      explicit_bzero(out, len);
    }
    return kAesGcmAuthFailed;
  }
  return kAesGcmOk;
}

int RegisterAesNiDevice() {
  if (!AesGcmNiSupported()) {
    return INVALID_DEVID;
  }
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (wc_CryptoCb_RegisterDevice(kAesNiDevId, DeviceCallback, nullptr) != 0) {
    return INVALID_DEVID;
  }
  return kAesNiDevId;
}

AesNiCounts AesNiDeviceCounts() {
  AesNiCounts c;
  for (const CounterSlot& s : g_slots) {
    c.records += s.records.load(std::memory_order_relaxed);
    c.declined += s.declined.load(std::memory_order_relaxed);
  }
  return c;
}

}  // namespace incarne::https
