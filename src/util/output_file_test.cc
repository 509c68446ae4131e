// OutputFile: a failed or abandoned write leaves the old file; streams are written into,
// never replaced; symlinks are followed; outputs that are inputs are refused.
#include "util/output_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace incarne {
namespace {

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/incarne-output-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static void Put(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string Get(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  // Names in the test folder (hidden temporary files included).
  int Entries() const {
    int n = 0;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      n += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
    }
    closedir(d);
    return n;
  }
  std::string dir_;
};

TEST_F(OutputFileTest, ReplacesOnlyOnCommitAndKeepsMode) {
  const std::string p = Path("important.txt");
  Put(p, "old\n");
  chmod(p.c_str(), 0600);
  {
    auto out = OutputFile::Open(p);
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_TRUE((*out)->replaces());
    ASSERT_TRUE((*out)->Write("new\n").ok());
    EXPECT_EQ(Get(p), "old\n");  // not yet
  }                              // abandoned: the old file stays, no temporary file is left
  EXPECT_EQ(Get(p), "old\n");
  EXPECT_EQ(Entries(), 1);
  auto out = OutputFile::Open(p);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("new\n").ok());
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_EQ(Get(p), "new\n");
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Entries(), 1);
}

TEST_F(OutputFileTest, FollowsSymlinksIncludingDangling) {
  Put(Path("target"), "old");
  ASSERT_EQ(symlink("target", Path("link").c_str()), 0);
  auto out = OutputFile::Open(Path("link"));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE((*out)->Write("new").ok());
  ASSERT_TRUE((*out)->Commit().ok());
  struct stat st;
  ASSERT_EQ(lstat(Path("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Get(Path("target")), "new");

  ASSERT_EQ(symlink("later", Path("dangling").c_str()), 0);
  auto out2 = OutputFile::Open(Path("dangling"));
  ASSERT_TRUE(out2.ok()) << out2.status();
  ASSERT_TRUE((*out2)->Write("x").ok());
  ASSERT_TRUE((*out2)->Commit().ok());
  EXPECT_EQ(Get(Path("later")), "x");
  ASSERT_EQ(lstat(Path("dangling").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));

  ASSERT_EQ(symlink("loop", Path("loop").c_str()), 0);
  EXPECT_FALSE(OutputFile::Open(Path("loop")).ok());
}

TEST_F(OutputFileTest, WritesIntoAFifoWithoutReplacingIt) {
  const std::string p = Path("fifo");
  ASSERT_EQ(mkfifo(p.c_str(), 0600), 0);
  const int reader = open(p.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  for (bool seekable : {false, true}) {
    OutputOptions o;
    o.seekable = seekable;
    auto out = OutputFile::Open(p, o);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_FALSE((*out)->replaces());
    ASSERT_TRUE((*out)->Write("hello").ok());
    ASSERT_TRUE((*out)->Commit().ok());
    char buf[16] = {};
    EXPECT_EQ(read(reader, buf, sizeof(buf)), 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
  }
  close(reader);
  struct stat st;
  ASSERT_EQ(lstat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(OutputFileTest, AFullCharDeviceFailsAndStays) {
  // A /dev/full of our own (mknod needs CAP_MKNOD; /dev/full itself is never touched).
  const std::string p = Path("full");
  if (mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "mknod not permitted";
  }
  auto out = OutputFile::Open(p);
  if (!out.ok() && absl::IsPermissionDenied(out.status())) {
    GTEST_SKIP() << "device nodes not usable here (nodev): " << out.status();
  }
  ASSERT_TRUE(out.ok()) << out.status();
  absl::Status st = (*out)->Write(std::string(1 << 16, 'x'));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(p), std::string::npos) << st;
  out->reset();
  struct stat sb;
  ASSERT_EQ(lstat(p.c_str(), &sb), 0);
  EXPECT_TRUE(S_ISCHR(sb.st_mode));
}

TEST_F(OutputFileTest, DirectoryAndMissingFolderAreErrors) {
  EXPECT_FALSE(OutputFile::Open(dir_).ok());
  auto st = OutputFile::Open(Path("no/such/file")).status();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no/such/file"), std::string::npos) << st;
}

TEST_F(OutputFileTest, RefusesInputsAndFilesInsideInputDirs) {
  mkdir(Path("run").c_str(), 0755);
  Put(Path("run/hits"), "h");
  Put(Path("in.txt"), "i");
  ASSERT_EQ(symlink("in.txt", Path("alias").c_str()), 0);
  EXPECT_FALSE(CheckOutputNotInput(Path("alias"), {Path("in.txt")}, {}).ok());
  EXPECT_FALSE(CheckOutputNotInput(Path("run/hits"), {}, {Path("run")}).ok());
  EXPECT_FALSE(CheckOutputNotInput(Path("run/new.txt"), {}, {Path("run")}).ok());
  EXPECT_FALSE(CheckOutputNotInput(Path("run/../run/x"), {}, {dir_ + "/./run"}).ok());
  EXPECT_TRUE(CheckOutputNotInput(Path("out.txt"), {Path("in.txt")}, {Path("run")}).ok());
  EXPECT_TRUE(CheckOutputNotInput("/dev/stdout", {Path("in.txt")}, {Path("run")}).ok());
}

}  // namespace
}  // namespace incarne
