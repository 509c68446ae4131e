// The ammo area's tests that write files share this fixture: a scratch folder per test
// (under testing::TempDir(), named by the test suite and the process), emptied and removed
// after each test. Test-only.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "util/absl_view.h"

namespace incarne {

class AmmoDirTest : public testing::Test {
 protected:
  void SetUp() override {
    const testing::TestInfo* t = testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        testing::TempDir() + "/incarne_" + t->test_suite_name() + "_" + std::to_string(::getpid());
    ::mkdir(dir_.c_str(), 0755);
  }
  void TearDown() override {
    for (const std::string& f : Files()) {
      ::unlink(Path(f).c_str());
    }
    ::rmdir(dir_.c_str());
  }

  // The names in the folder, sorted.
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") {
          out.push_back(n);
        }
      }
      ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void WriteAll(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
  }
  static std::string Msg(const absl::Status& s) { return std::string(StdView(s.message())); }

  std::string dir_;
};

}  // namespace incarne
