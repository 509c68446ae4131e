// AES-GCM per TLS record: wolfSSL's software AES-GCM (Debian's build: 4-bit tables, no AES-NI)
// against the https nib's AES-NI code, reached the way TLS records reach it (wc_AesGcmEncrypt /
// Decrypt on an Aes object bound to the crypto-callback device) and called directly.
// Record sizes 64, 256, 1400 and 16384 bytes, AES-128 and a 13-byte AAD as in TLS 1.2.
//   build/bench/aes_gcm_bench --benchmark_filter=1400
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "incarne_config.h"

#if INCARNE_HAVE_TLS
#include "nibs/https/aes_gcm_ni.h"

// wolfSSL's headers need its build options first.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/wc_port.h>

namespace {

using incarne::https::AesGcmNiDecrypt;
using incarne::https::AesGcmNiEncrypt;

enum Impl { kSoftware, kDevice, kDirect };

constexpr uint8_t kKey[16] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                              0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
constexpr uint8_t kIv[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
                             0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
constexpr uint8_t kAad[13] = {0, 0, 0, 0, 0, 0, 0, 1, 0x17, 3, 3, 0, 0};

// The key is set once per object, as TLS does per connection and direction; each iteration is
// one record.
struct Setup {
  Aes aes;
  std::vector<uint8_t> plain, cipher, out;
  uint8_t tag[16];

  Setup(Impl impl, size_t len) : plain(len, 0x41), cipher(len), out(len) {
    static const bool init = [] {
      wolfCrypt_Init();
      return true;
    }();
    (void)init;
    int dev = INVALID_DEVID;
    if (impl == kDevice) {
      dev = incarne::https::RegisterAesNiDevice();
    }
    if (wc_AesInit(&aes, nullptr, dev) != 0 || wc_AesGcmSetKey(&aes, kKey, sizeof(kKey)) != 0 ||
        wc_AesGcmEncrypt(&aes, cipher.data(), plain.data(), static_cast<word32>(len), kIv,
                         sizeof(kIv), tag, sizeof(tag), kAad, sizeof(kAad)) != 0) {
      abort();
    }
  }
  ~Setup() { wc_AesFree(&aes); }
};

bool Unsupported(benchmark::State& state, Impl impl) {
  if (impl != kSoftware && !incarne::https::AesGcmNiSupported()) {
    state.SkipWithError("no AES-NI/PCLMULQDQ on this CPU");
    return true;
  }
  return false;
}

template <Impl kImpl>
void BM_AesGcmEncrypt(benchmark::State& state) {
  if (Unsupported(state, kImpl)) {
    return;
  }
  const size_t len = static_cast<size_t>(state.range(0));
  Setup s(kImpl, len);
  for (auto _ : state) {
    int r;
    if (kImpl == kDirect) {
      r = AesGcmNiEncrypt(kKey, sizeof(kKey), kIv, sizeof(kIv), kAad, sizeof(kAad), s.plain.data(),
                          s.out.data(), len, s.tag, sizeof(s.tag));
    } else {
      r = wc_AesGcmEncrypt(&s.aes, s.out.data(), s.plain.data(), static_cast<word32>(len), kIv,
                           sizeof(kIv), s.tag, sizeof(s.tag), kAad, sizeof(kAad));
    }
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

template <Impl kImpl>
void BM_AesGcmDecrypt(benchmark::State& state) {
  if (Unsupported(state, kImpl)) {
    return;
  }
  const size_t len = static_cast<size_t>(state.range(0));
  Setup s(kImpl, len);
  for (auto _ : state) {
    int r;
    if (kImpl == kDirect) {
      r = AesGcmNiDecrypt(kKey, sizeof(kKey), kIv, sizeof(kIv), kAad, sizeof(kAad), s.cipher.data(),
                          s.out.data(), len, s.tag, sizeof(s.tag));
    } else {
      r = wc_AesGcmDecrypt(&s.aes, s.out.data(), s.cipher.data(), static_cast<word32>(len), kIv,
                           sizeof(kIv), s.tag, sizeof(s.tag), kAad, sizeof(kAad));
    }
    if (r != 0) {
      state.SkipWithError("decryption failed");
      return;
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

#define RECORD_SIZES Arg(64)->Arg(256)->Arg(1400)->Arg(16384)
BENCHMARK(BM_AesGcmEncrypt<kSoftware>)->RECORD_SIZES;
BENCHMARK(BM_AesGcmEncrypt<kDevice>)->RECORD_SIZES;
BENCHMARK(BM_AesGcmEncrypt<kDirect>)->RECORD_SIZES;
BENCHMARK(BM_AesGcmDecrypt<kSoftware>)->RECORD_SIZES;
BENCHMARK(BM_AesGcmDecrypt<kDevice>)->RECORD_SIZES;
BENCHMARK(BM_AesGcmDecrypt<kDirect>)->RECORD_SIZES;

}  // namespace

#else  // Without wolfSSL there is no https nib.
static void BM_AesGcmNoTls(benchmark::State& state) {
  state.SkipWithError("built without wolfSSL (-Dtls=disabled)");
  for (auto _ : state) {
  }
}
BENCHMARK(BM_AesGcmNoTls);
#endif

BENCHMARK_MAIN();
