// AES-GCM with AES-NI (aes_gcm_ni.h): the GCM test vectors of McGrew and Viega (the ones
// SP 800-38D's validation uses), a differential test against wolfSSL's software AES-GCM,
// tag failures, in-place operation, and the crypto-callback device reached through a real
// wolfSSL Aes object. Skipped (GTEST_SKIP) on a CPU without AES-NI/PCLMULQDQ.
#include "aes_gcm_ni.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

// wolfSSL's headers need its build options first.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/wc_port.h>

namespace incarne::https {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Hex(const std::string& s) {
  Bytes out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ToHex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

std::string ToHex(const Bytes& b) { return ToHex(b.data(), b.size()); }

// Never null, even for empty data (wolfSSL's argument checks want real pointers).
uint8_t* Ptr(Bytes& b) {
  static uint8_t dummy[1];
  return b.empty() ? dummy : b.data();
}
const uint8_t* Ptr(const Bytes& b) {
  static const uint8_t dummy[1] = {};
  return b.empty() ? dummy : b.data();
}

class AesGcmNi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(wolfCrypt_Init(), 0); }
  static void TearDownTestSuite() { wolfCrypt_Cleanup(); }
  void SetUp() override {
    if (!AesGcmNiSupported()) {
      GTEST_SKIP() << "this CPU has no AES-NI/PCLMULQDQ";
    }
  }
};

// wolfSSL's software AES-GCM (an Aes object without a device), the reference.
int SoftEncrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& in, Bytes* out,
                uint8_t* tag, size_t tag_len) {
  Aes aes;
  int r = wc_AesInit(&aes, nullptr, INVALID_DEVID);
  if (r == 0) {
    r = wc_AesGcmSetKey(&aes, Ptr(key), static_cast<word32>(key.size()));
  }
  out->assign(in.size(), 0);
  if (r == 0) {
    r = wc_AesGcmEncrypt(&aes, Ptr(*out), Ptr(in), static_cast<word32>(in.size()), Ptr(iv),
                         static_cast<word32>(iv.size()), tag, static_cast<word32>(tag_len),
                         aad.empty() ? nullptr : aad.data(), static_cast<word32>(aad.size()));
  }
  wc_AesFree(&aes);
  return r;
}

int SoftDecrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& in, Bytes* out,
                const uint8_t* tag, size_t tag_len) {
  Aes aes;
  int r = wc_AesInit(&aes, nullptr, INVALID_DEVID);
  if (r == 0) {
    r = wc_AesGcmSetKey(&aes, Ptr(key), static_cast<word32>(key.size()));
  }
  out->assign(in.size(), 0);
  if (r == 0) {
    r = wc_AesGcmDecrypt(&aes, Ptr(*out), Ptr(in), static_cast<word32>(in.size()), Ptr(iv),
                         static_cast<word32>(iv.size()), tag, static_cast<word32>(tag_len),
                         aad.empty() ? nullptr : aad.data(), static_cast<word32>(aad.size()));
  }
  wc_AesFree(&aes);
  return r;
}

AesGcmResult NiEncrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& in,
                       Bytes* out, uint8_t* tag, size_t tag_len) {
  out->assign(in.size(), 0);
  return AesGcmNiEncrypt(key.data(), key.size(), iv.data(), iv.size(), aad.data(), aad.size(),
                         in.data(), out->data(), in.size(), tag, tag_len);
}

AesGcmResult NiDecrypt(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& in,
                       Bytes* out, const uint8_t* tag, size_t tag_len) {
  out->assign(in.size(), 0);
  return AesGcmNiDecrypt(key.data(), key.size(), iv.data(), iv.size(), aad.data(), aad.size(),
                         in.data(), out->data(), in.size(), tag, tag_len);
}

// ---------------------------------------------------------------- known answers

struct Vector {
  const char* name;
  const char* key;
  const char* iv;
  const char* aad;
  const char* plain;
  const char* cipher;
  const char* tag;
};

constexpr char kK0[] = "00000000000000000000000000000000";
constexpr char kK[] = "feffe9928665731c6d6a8f9467308308";
constexpr char kP[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr char kP60[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr char kA[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr char kIv60[] =
    "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
    "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b";

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 1-6 (AES-128) and
// 13-18 (AES-256): empty and one-block plaintexts, 64 and 60 bytes (a partial last block),
// with and without AAD, 96-bit, 64-bit and 480-bit IVs.
const Vector kVectors[] = {
    {"tc1", kK0, "000000000000000000000000", "", "", "", "58e2fccefa7e3061367f1d57a4e7455a"},
    {"tc2", kK0, "000000000000000000000000", "", "00000000000000000000000000000000",
     "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"},
    {"tc3", kK, "cafebabefacedbaddecaf888", "", kP,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"tc4", kK, "cafebabefacedbaddecaf888", kA, kP60,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"tc5", kK, "cafebabefacedbad", kA, kP60,
     "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
     "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
     "3612d2e79e3b0785561be14aaca2fccb"},
    {"tc6", kK, kIv60, kA, kP60,
     "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
     "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
     "619cc5aefffe0bfa462af43c1699d050"},
    {"tc13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"tc14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"tc15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "", kP,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"tc16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", kA, kP60,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {"tc17", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbad",
     kA, kP60,
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
     "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"},
    {"tc18", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", kIv60, kA, kP60,
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
     "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"},
};

TEST_F(AesGcmNi, KnownAnswers) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    const Bytes key = Hex(v.key), iv = Hex(v.iv), aad = Hex(v.aad), plain = Hex(v.plain);
    Bytes cipher;
    uint8_t tag[16];
    ASSERT_EQ(NiEncrypt(key, iv, aad, plain, &cipher, tag, 16), kAesGcmOk);
    EXPECT_EQ(ToHex(cipher), v.cipher);
    EXPECT_EQ(ToHex(tag, 16), v.tag);
    Bytes back;
    ASSERT_EQ(NiDecrypt(key, iv, aad, cipher, &back, tag, 16), kAesGcmOk);
    EXPECT_EQ(ToHex(back), v.plain);
    // In place, both ways.
    Bytes buf = plain;
    uint8_t tag2[16];
    ASSERT_EQ(AesGcmNiEncrypt(key.data(), key.size(), iv.data(), iv.size(), aad.data(), aad.size(),
                              buf.data(), buf.data(), buf.size(), tag2, 16),
              kAesGcmOk);
    EXPECT_EQ(ToHex(buf), v.cipher);
    EXPECT_EQ(ToHex(tag2, 16), v.tag);
    ASSERT_EQ(AesGcmNiDecrypt(key.data(), key.size(), iv.data(), iv.size(), aad.data(), aad.size(),
                              buf.data(), buf.data(), buf.size(), tag2, 16),
              kAesGcmOk);
    EXPECT_EQ(ToHex(buf), v.plain);
    // A truncated tag is the prefix of the full one.
    uint8_t tag12[12];
    ASSERT_EQ(NiEncrypt(key, iv, aad, plain, &cipher, tag12, sizeof(tag12)), kAesGcmOk);
    EXPECT_EQ(ToHex(tag12, sizeof(tag12)), std::string(v.tag).substr(0, 24));
  }
}

TEST_F(AesGcmNi, UnsupportedArguments) {
  uint8_t key[32] = {}, iv[12] = {}, buf[16] = {}, tag[16] = {};
  EXPECT_EQ(AesGcmNiEncrypt(key, 24, iv, 12, nullptr, 0, buf, buf, 16, tag, 16),
            kAesGcmUnsupported);
  EXPECT_EQ(AesGcmNiEncrypt(key, 16, iv, 0, nullptr, 0, buf, buf, 16, tag, 16), kAesGcmUnsupported);
  EXPECT_EQ(AesGcmNiEncrypt(key, 16, iv, 12, nullptr, 0, buf, buf, 16, tag, 0), kAesGcmUnsupported);
  EXPECT_EQ(AesGcmNiDecrypt(key, 16, iv, 12, nullptr, 0, buf, buf, 16, tag, 17),
            kAesGcmUnsupported);
}

// ---------------------------------------------------------------- against wolfSSL's software

struct Case {
  Bytes key, iv, aad, plain;
  size_t tag_len;
};

Bytes Random(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) {
    x = static_cast<uint8_t>(rng());
  }
  return b;
}

Case RandomCase(std::mt19937_64& rng, size_t len) {
  Case c;
  c.key = Random(rng, rng() % 2 == 0 ? 16 : 32);
  // TLS uses 96-bit IVs; other lengths now and then (GHASH'd J0).
  c.iv = Random(rng, rng() % 8 == 0 ? 1 + rng() % 64 : 12);
  const uint64_t a = rng() % 8;
  c.aad = Random(rng, a < 3 ? 13 : a < 5 ? 5 : a == 5 ? 0 : rng() % 300);
  c.plain = Random(rng, len);
  c.tag_len = rng() % 4 == 0 ? 12 + rng() % 4 : 16;  // wolfSSL encrypts with 12..16
  return c;
}

// Encrypt and decrypt one case both ways and compare; true when everything agreed.
void CheckAgainstSoftware(const Case& c) {
  SCOPED_TRACE(testing::Message() << "len " << c.plain.size() << " key " << c.key.size() << " iv "
                                  << c.iv.size() << " aad " << c.aad.size() << " tag "
                                  << c.tag_len);
  Bytes soft_cipher, ni_cipher;
  uint8_t soft_tag[16], ni_tag[16];
  ASSERT_EQ(SoftEncrypt(c.key, c.iv, c.aad, c.plain, &soft_cipher, soft_tag, c.tag_len), 0);
  ASSERT_EQ(NiEncrypt(c.key, c.iv, c.aad, c.plain, &ni_cipher, ni_tag, c.tag_len), kAesGcmOk);
  ASSERT_EQ(ToHex(ni_cipher), ToHex(soft_cipher));
  ASSERT_EQ(ToHex(ni_tag, c.tag_len), ToHex(soft_tag, c.tag_len));
  Bytes back;
  ASSERT_EQ(NiDecrypt(c.key, c.iv, c.aad, soft_cipher, &back, soft_tag, c.tag_len), kAesGcmOk);
  ASSERT_EQ(back, c.plain);
  ASSERT_EQ(SoftDecrypt(c.key, c.iv, c.aad, ni_cipher, &back, ni_tag, c.tag_len), 0);
  ASSERT_EQ(back, c.plain);
}

TEST_F(AesGcmNi, EveryLengthUpTo300MatchesWolfSsl) {
  std::mt19937_64 rng(300);
  for (size_t len = 0; len <= 300; ++len) {
    for (int i = 0; i < 2; ++i) {
      Case c = RandomCase(rng, len);
      c.key.resize(i == 0 ? 16 : 32);  // both key sizes at every length
      CheckAgainstSoftware(c);
      if (HasFatalFailure()) {
        return;
      }
    }
  }
}

TEST_F(AesGcmNi, RandomCasesMatchWolfSsl) {
  std::mt19937_64 rng(20000);
  for (int i = 0; i < 3000; ++i) {
    // Mostly TLS-record sizes; the whole 0..20000 range now and then.
    const size_t len = rng() % 4 == 0 ? rng() % 20001 : rng() % 2100;
    CheckAgainstSoftware(RandomCase(rng, len));
    if (HasFatalFailure()) {
      return;
    }
  }
}

// ---------------------------------------------------------------- tag failures

TEST_F(AesGcmNi, TamperingFailsAndZeroesTheOutput) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) {
    Case c = RandomCase(rng, 1 + rng() % 1500);
    Bytes cipher;
    uint8_t tag[16];
    ASSERT_EQ(NiEncrypt(c.key, c.iv, c.aad, c.plain, &cipher, tag, c.tag_len), kAesGcmOk);
    Bytes bad_cipher = cipher, bad_aad = c.aad;
    uint8_t bad_tag[16];
    memcpy(bad_tag, tag, sizeof(tag));
    const int what = i % 3;
    if (what == 0) {
      bad_tag[rng() % c.tag_len] ^= static_cast<uint8_t>(1u << (rng() % 8));
    } else if (what == 1) {
      bad_cipher[rng() % bad_cipher.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    } else {
      bad_aad.push_back(0);  // a longer AAD is a different AAD
    }
    SCOPED_TRACE(testing::Message() << "case " << i << " tampered " << what);
    Bytes out(bad_cipher.size(), 0xAA);
    EXPECT_EQ(AesGcmNiDecrypt(c.key.data(), c.key.size(), c.iv.data(), c.iv.size(), bad_aad.data(),
                              bad_aad.size(), bad_cipher.data(), out.data(), out.size(), bad_tag,
                              c.tag_len),
              kAesGcmAuthFailed);
    EXPECT_EQ(out, Bytes(out.size(), 0)) << "unauthenticated plaintext left in the output";
    // wolfSSL agrees that it is a failure.
    Bytes soft_out;
    EXPECT_EQ(SoftDecrypt(c.key, c.iv, bad_aad, bad_cipher, &soft_out, bad_tag, c.tag_len),
              AES_GCM_AUTH_E);
    // In place: the buffer is zeroed too.
    Bytes in_place = bad_cipher;
    EXPECT_EQ(AesGcmNiDecrypt(c.key.data(), c.key.size(), c.iv.data(), c.iv.size(), bad_aad.data(),
                              bad_aad.size(), in_place.data(), in_place.data(), in_place.size(),
                              bad_tag, c.tag_len),
              kAesGcmAuthFailed);
    EXPECT_EQ(in_place, Bytes(in_place.size(), 0));
  }
}

// ---------------------------------------------------------------- the wolfSSL device

class AesNiDevice : public AesGcmNi {
 protected:
  void SetUp() override {
    AesGcmNi::SetUp();
    if (IsSkipped()) {
      return;
    }
    dev_id_ = RegisterAesNiDevice();
    ASSERT_EQ(dev_id_, kAesNiDevId);
  }

  // Encrypts through an Aes object bound to dev_id (the path TLS records take).
  int DeviceEncrypt(int dev_id, const Case& c, Bytes* out, uint8_t* tag) {
    Aes aes;
    int r = wc_AesInit(&aes, nullptr, dev_id);
    if (r == 0) {
      r = wc_AesGcmSetKey(&aes, c.key.data(), static_cast<word32>(c.key.size()));
    }
    if (r == 0 && dev_id != INVALID_DEVID) {
      // wc_AesSetKey copied the raw key for the device (what the callback reads).
      EXPECT_EQ(aes.keylen, static_cast<int>(c.key.size()));
      EXPECT_EQ(ToHex(reinterpret_cast<const uint8_t*>(aes.devKey), c.key.size()), ToHex(c.key));
    }
    out->assign(c.plain.size(), 0);
    if (r == 0) {
      r = wc_AesGcmEncrypt(&aes, Ptr(*out), Ptr(c.plain), static_cast<word32>(c.plain.size()),
                           c.iv.data(), static_cast<word32>(c.iv.size()), tag,
                           static_cast<word32>(c.tag_len), c.aad.empty() ? nullptr : c.aad.data(),
                           static_cast<word32>(c.aad.size()));
    }
    wc_AesFree(&aes);
    return r;
  }

  int DeviceDecrypt(int dev_id, const Case& c, const Bytes& cipher, Bytes* out,
                    const uint8_t* tag) {
    Aes aes;
    int r = wc_AesInit(&aes, nullptr, dev_id);
    if (r == 0) {
      r = wc_AesGcmSetKey(&aes, c.key.data(), static_cast<word32>(c.key.size()));
    }
    out->assign(cipher.size(), 0xAA);
    if (r == 0) {
      r = wc_AesGcmDecrypt(&aes, Ptr(*out), Ptr(cipher), static_cast<word32>(cipher.size()),
                           c.iv.data(), static_cast<word32>(c.iv.size()), tag,
                           static_cast<word32>(c.tag_len), c.aad.empty() ? nullptr : c.aad.data(),
                           static_cast<word32>(c.aad.size()));
    }
    wc_AesFree(&aes);
    return r;
  }

  int dev_id_ = INVALID_DEVID;
};

TEST_F(AesNiDevice, EncryptAndDecryptThroughWolfSslRunTheCallback) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    Case c = RandomCase(rng, rng() % 3000);
    SCOPED_TRACE(testing::Message() << "case " << i << " len " << c.plain.size());
    Bytes soft, dev;
    uint8_t soft_tag[16], dev_tag[16];
    ASSERT_EQ(DeviceEncrypt(INVALID_DEVID, c, &soft, soft_tag), 0);
    const AesNiCounts before = AesNiDeviceCounts();
    ASSERT_EQ(DeviceEncrypt(dev_id_, c, &dev, dev_tag), 0);
    EXPECT_EQ(AesNiDeviceCounts().records, before.records + 1) << "the callback did not run";
    EXPECT_EQ(ToHex(dev), ToHex(soft));
    EXPECT_EQ(ToHex(dev_tag, c.tag_len), ToHex(soft_tag, c.tag_len));
    Bytes back;
    ASSERT_EQ(DeviceDecrypt(dev_id_, c, soft, &back, soft_tag), 0);
    EXPECT_EQ(AesNiDeviceCounts().records, before.records + 2);
    EXPECT_EQ(back, c.plain);
  }
}

TEST_F(AesNiDevice, AuthFailureIsWolfSslsError) {
  std::mt19937_64 rng(43);
  Case c = RandomCase(rng, 100);
  c.tag_len = 16;
  Bytes cipher;
  uint8_t tag[16];
  ASSERT_EQ(DeviceEncrypt(dev_id_, c, &cipher, tag), 0);
  tag[3] ^= 0x10;
  Bytes out;
  const AesNiCounts before = AesNiDeviceCounts();
  EXPECT_EQ(DeviceDecrypt(dev_id_, c, cipher, &out, tag), AES_GCM_AUTH_E);
  EXPECT_EQ(AesNiDeviceCounts().records, before.records + 1);
  EXPECT_EQ(out, Bytes(out.size(), 0));
}

TEST_F(AesNiDevice, Aes192IsLeftToSoftware) {
  std::mt19937_64 rng(44);
  Case c = RandomCase(rng, 100);
  c.key = Random(rng, 24);
  Bytes soft, dev;
  uint8_t soft_tag[16], dev_tag[16];
  ASSERT_EQ(DeviceEncrypt(INVALID_DEVID, c, &soft, soft_tag), 0);
  const AesNiCounts before = AesNiDeviceCounts();
  ASSERT_EQ(DeviceEncrypt(dev_id_, c, &dev, dev_tag), 0);
  const AesNiCounts after = AesNiDeviceCounts();
  EXPECT_EQ(after.records, before.records);
  EXPECT_EQ(after.declined, before.declined + 1);
  EXPECT_EQ(dev, soft);
  EXPECT_EQ(ToHex(dev_tag, c.tag_len), ToHex(soft_tag, c.tag_len));
}

// wolfCrypt's first init after a full cleanup empties its device table: the device must be
// registered again (which is why the nib registers in every Create, after wolfSSL_Init).
TEST_F(AesNiDevice, RegisteringAgainAfterACleanupRestoresTheDevice) {
  std::mt19937_64 rng(45);
  const Case c = RandomCase(rng, 64);
  Bytes out;
  uint8_t tag[16];
  wolfCrypt_Cleanup();
  ASSERT_EQ(wolfCrypt_Init(), 0);
  AesNiCounts before = AesNiDeviceCounts();
  ASSERT_EQ(DeviceEncrypt(dev_id_, c, &out, tag), 0);  // wolfSSL falls back to software
  EXPECT_EQ(AesNiDeviceCounts().records, before.records) << "the table was not emptied";
  ASSERT_EQ(RegisterAesNiDevice(), kAesNiDevId);
  before = AesNiDeviceCounts();
  ASSERT_EQ(DeviceEncrypt(dev_id_, c, &out, tag), 0);
  EXPECT_EQ(AesNiDeviceCounts().records, before.records + 1);
}

}  // namespace
}  // namespace incarne::https
