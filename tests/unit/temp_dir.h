// A fresh directory under /tmp for one test, removed with everything in it when the
// test ends. Shared by the unit tests that need real files (LevelDB, key files).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace inmost::test {

class TempDir {
 public:
  // Under `parent` ("/dev/shm" for a store whose syncs should cost nothing).
  explicit TempDir(const std::string& parent = "/tmp") {
    std::string pattern = parent + "/inmost-test-XXXXXX";
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "";
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace inmost::test
