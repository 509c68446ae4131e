// The binary ammo file: writer → reader round trips, page alignment, spilled indexes,
// dropped records, nothing left behind on failure, and a reader that rejects every kind of
// damage with "path: offset N: expected ...".
#include "ammo/ammo_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ammo/ammo_layout.h"
#include "ammo/ammo_testing.h"
#include "ammo/ammo_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class AmmoFileTest : public AmmoDirTest {
 protected:
  static std::string View(std::span<const uint8_t> s) {
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
  }

  // A small valid file: three records, two tags, times.
  std::string MakeValid() {
    std::string path = Path("valid.ammo");
    auto w = AmmoWriter::Create(path, true);
    EXPECT_TRUE(w.ok());
    for (int i = 0; i < 3; ++i) {
      (*w)->BeginRecord();
      EXPECT_TRUE((*w)->Append("GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n").ok());
      EXPECT_TRUE((*w)->EndRecord(static_cast<uint16_t>(i % 2), 0, i * 1'000'000).ok());
    }
    EXPECT_TRUE((*w)->Commit({"", "t"}, "phantom").ok());
    return path;
  }

  std::string OpenError(const std::string& path) {
    absl::StatusOr<AmmoFile> f = AmmoFile::Open(path);
    EXPECT_FALSE(f.ok());
    return f.ok() ? "" : std::string(StdView(f.status().message()));
  }
};

TEST_F(AmmoFileTest, RoundTrip) {
  std::string path = Path("a.ammo");
  auto w = AmmoWriter::Create(path, true);
  ASSERT_TRUE(w.ok()) << w.status();
  const std::vector<std::string> reqs = {"GET / HTTP/1.1\r\n\r\n", std::string("x\0y", 3),
                                         "HEAD /h HTTP/1.1\r\n\r\n"};
  for (size_t i = 0; i < reqs.size(); ++i) {
    (*w)->BeginRecord();
    ASSERT_TRUE((*w)->Append(reqs[i].substr(0, 1)).ok());
    ASSERT_TRUE((*w)->Append(reqs[i].substr(1)).ok());
    ASSERT_TRUE((*w)->EndRecord(static_cast<uint16_t>(i), i == 2 ? kAmmoFlagHead : 0,
                                static_cast<int64_t>(i) * 100'000'000)
                    .ok());
  }
  ASSERT_TRUE((*w)->Commit({"", "a", "тег"}, "uri").ok());
  w->reset();

  absl::StatusOr<AmmoFile> f = AmmoFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->count(), 3u);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(View(f->Request(i)), reqs[i]);
    EXPECT_EQ(f->Tag(i), i);
    EXPECT_EQ(f->PlannedNs(i), static_cast<int64_t>(i) * 100'000'000);
  }
  EXPECT_EQ(f->Flags(2), kAmmoFlagHead);
  EXPECT_EQ(f->Flags(0), 0);
  EXPECT_EQ(f->tags(), (std::vector<std::string>{"", "a", "тег"}));
  EXPECT_TRUE(f->has_times());
  EXPECT_EQ(f->source_format(), "uri");
  EXPECT_EQ(f->FileOffset(0), kAmmoPage);  // data starts page-aligned
  EXPECT_EQ(f->FileOffset(1), kAmmoPage + reqs[0].size());
  EXPECT_EQ(f->min_length(), 3u);
  EXPECT_EQ(f->max_length(), reqs[0].size() + 2);
  EXPECT_EQ(f->data_size(), reqs[0].size() + reqs[1].size() + reqs[2].size());
  // The fd reads the same bytes (what sendfile(2) would send).
  char buf[32];
  ASSERT_EQ(::pread(f->fd(), buf, reqs[2].size(), static_cast<off_t>(f->FileOffset(2))),
            static_cast<ssize_t>(reqs[2].size()));
  EXPECT_EQ(std::string(buf, reqs[2].size()), reqs[2]);
  // Moving keeps the mapping valid.
  AmmoFile moved = std::move(*f);
  EXPECT_EQ(View(moved.Request(1)), reqs[1]);
  EXPECT_EQ(Files(), std::vector<std::string>{"a.ammo"});
}

TEST_F(AmmoFileTest, ManyRecordsSpillTheIndexAndDropsAreOverwritten) {
  std::string path = Path("big.ammo");
  auto w = AmmoWriter::Create(path, false);
  ASSERT_TRUE(w.ok());
  const std::string big(300u << 10, 'B');  // bypasses the data buffer
  uint64_t kept = 0;
  for (uint64_t i = 0; i < 200000; ++i) {
    (*w)->BeginRecord();
    std::string r = "r" + std::to_string(i);
    ASSERT_TRUE((*w)->Append(r).ok());
    if (i == 7 || i == 150000) {
      ASSERT_TRUE((*w)->Append(big).ok());  // written straight to the file, then dropped
    }
    if (i % 3 == 1) {
      (*w)->AbortRecord();
      continue;
    }
    ASSERT_TRUE((*w)->EndRecord(0, 0, 0).ok());
    ++kept;
  }
  ASSERT_TRUE((*w)->Commit({""}, "phantom").ok());
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->count(), kept);
  uint64_t k = 0;
  for (uint64_t i = 0; i < 200000; ++i) {
    if (i % 3 == 1) {
      continue;
    }
    std::string want = "r" + std::to_string(i);
    if (i == 7 || i == 150000) {
      want += big;
    }
    ASSERT_EQ(View(f->Request(k)), want) << i;
    ++k;
  }
  EXPECT_FALSE(f->has_times());
}

TEST_F(AmmoFileTest, UncommittedWriterLeavesNothing) {
  {
    auto w = AmmoWriter::Create(Path("never.ammo"), true);
    ASSERT_TRUE(w.ok());
    (*w)->BeginRecord();
    ASSERT_TRUE((*w)->Append(std::string(3u << 20, 'x')).ok());
    ASSERT_TRUE((*w)->EndRecord(0, 0, 0).ok());
  }
  EXPECT_TRUE(Files().empty());
}

TEST_F(AmmoFileTest, CommitReplacesAnExistingFileAtomically) {
  WriteAll(Path("x.ammo"), "old");
  std::string valid = MakeValid();
  ASSERT_EQ(::rename(valid.c_str(), Path("keep.ammo").c_str()), 0);
  auto w = AmmoWriter::Create(Path("x.ammo"), false);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(ReadAll(Path("x.ammo")), "old");  // untouched until Commit
  (*w)->BeginRecord();
  ASSERT_TRUE((*w)->Append("r").ok());
  ASSERT_TRUE((*w)->EndRecord(0, 0, 0).ok());
  ASSERT_TRUE((*w)->Commit({""}, "phantom").ok());
  EXPECT_TRUE(AmmoFile::Open(Path("x.ammo")).ok());
  std::vector<std::string> files = Files();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"keep.ammo", "x.ammo"}));
}

TEST_F(AmmoFileTest, MissingDirectory) {
  auto w = AmmoWriter::Create(Path("nope/x.ammo"), false);
  EXPECT_FALSE(w.ok());
  EXPECT_THAT(std::string(StdView(w.status().message())), HasSubstr("nope/x.ammo"));
}

// ---- damage -------------------------------------------------------------------------------

TEST_F(AmmoFileTest, RejectsNotAnAmmoFile) {
  WriteAll(Path("t.txt"), "73 good\nGET / HTTP/1.0\r\n");
  EXPECT_THAT(OpenError(Path("t.txt")),
              StartsWith(Path("t.txt") + ": offset 0: expected the magic 'INCAMMO1'"));
  std::string big(8192, 'x');
  WriteAll(Path("big.txt"), big);
  EXPECT_THAT(OpenError(Path("big.txt")), HasSubstr(": offset 0: expected the magic"));
  WriteAll(Path("empty"), "");
  EXPECT_THAT(OpenError(Path("empty")), HasSubstr(": offset 0: expected a 128-byte header"));
  EXPECT_EQ(AmmoFile::Open(Path("missing")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AmmoFileTest, RejectsDamage) {
  const std::string good = ReadAll(MakeValid());
  ASSERT_TRUE(AmmoFile::Open(Path("valid.ammo")).ok());
  AmmoHeader h;
  std::memcpy(&h, good.data(), sizeof(h));
  auto patched = [&](size_t off, const void* v, size_t n) {
    std::string s = good;
    std::memcpy(s.data() + off, v, n);
    return s;
  };
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
  };
  const uint32_t v2 = 2;
  const uint64_t zero = 0;
  const uint64_t far = 1ull << 40;
  const uint64_t unaligned = 4097;
  const uint16_t bad_tag = 9;
  const uint32_t one = 1;
  const uint32_t huge = 0xffffffff;
  std::vector<Case> cases = {
      {"truncated header", good.substr(0, 100), "offset 100: expected a 128-byte header"},
      {"newer version", patched(8, &v2, 4),
       "offset 8: expected format version 1 or older, found 2 (written by a newer incarne)"},
      {"truncated file", good.substr(0, good.size() - 5),
       absl::StrFormat("offset 16: expected a file of %d bytes as its header says, found %d "
                       "(truncated)",
                       good.size(), good.size() - 5)},
      {"appended", good + "x", "(extra bytes)"},
      {"no records", patched(24, &zero, 8), "offset 24: expected at least one record"},
      {"data offset", patched(32, &unaligned, 8), "offset 32: expected a page-aligned data"},
      {"index outside", patched(48, &far, 8), "offset 48: expected an 8-aligned index of 3"},
      {"record outside", patched(h.index_offset + 16 + 0, &far, 8),
       absl::StrFormat("offset %d: expected record 1 inside the data region", h.index_offset + 16)},
      {"record too long", patched(h.index_offset + 32 + 8, &huge, 4),
       absl::StrFormat("offset %d: expected record 2 inside the data region", h.index_offset + 32)},
      {"tag id", patched(h.index_offset + 16 + 12, &bad_tag, 2),
       absl::StrFormat("offset %d: expected a tag id below 2 for record 1, found 9",
                       h.index_offset + 28)},
      {"tag count", patched(96, &one, 4),
       absl::StrFormat("offset %d: expected the end of the "
                       "tag table",
                       h.tags_offset + 2)},
      {"times flag", patched(100, &zero, 4),
       "offset 64: expected no times table without the times flag"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteAll(Path("bad.ammo"), c.bytes);
    std::string msg = OpenError(Path("bad.ammo"));
    EXPECT_THAT(msg, StartsWith(Path("bad.ammo") + ": offset "));
    EXPECT_THAT(msg, HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace incarne
