// The durable-directory helpers (store/durable_dir.h): what they accept, and errors
// that name the path and what to do.
#include "daemon/store/durable_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(DurableDir, SyncsADirectoryAndTheParentOfAPath) {
  test::TempDir dir;
  EXPECT_TRUE(SyncDirectory(dir.path()).ok());
  std::ofstream(dir.path() / "new") << "x";
  EXPECT_TRUE(SyncParentDirectory(dir.path() / "new").ok());
  // A bare name lives in the working directory.
  EXPECT_TRUE(SyncParentDirectory("bare-name").ok());
}

TEST(DurableDir, SyncErrorsNameTheDirectory) {
  test::TempDir dir;
  Status missing = SyncDirectory(dir.path() / "gone");
  EXPECT_EQ(missing.code(), Code::kIoError);
  EXPECT_NE(missing.message().find((dir.path() / "gone").string()), std::string::npos)
      << missing.message();
  std::ofstream(dir.path() / "file") << "x";
  Status not_dir = SyncParentDirectory(dir.path() / "file" / "child");
  EXPECT_EQ(not_dir.code(), Code::kIoError);
  EXPECT_NE(not_dir.message().find("Not a directory"), std::string::npos) << not_dir.message();
}

TEST(DurableDir, CreatesADirectoryOnceAndKeepsAnExistingOne) {
  test::TempDir dir;
  const auto files = dir.path() / "files";
  ASSERT_TRUE(CreateDirectoryDurably(files, 0700).ok());
  EXPECT_EQ(ModeOf(files), 0700u);
  ::chmod(files.c_str(), 0750);
  EXPECT_TRUE(CreateDirectoryDurably(files, 0700).ok());
  EXPECT_EQ(ModeOf(files), 0750u) << "an existing directory is left as it is";
}

TEST(DurableDir, RefusesToCreateOverAFileOrWithoutAParent) {
  test::TempDir dir;
  std::ofstream(dir.path() / "files") << "x";
  Status over_file = CreateDirectoryDurably(dir.path() / "files", 0700);
  EXPECT_EQ(over_file.code(), Code::kFailedPrecondition);
  EXPECT_NE(over_file.message().find("move it away"), std::string::npos) << over_file.message();
  Status no_parent = CreateDirectoryDurably(dir.path() / "a" / "b", 0700);
  EXPECT_EQ(no_parent.code(), Code::kIoError);
  EXPECT_NE(no_parent.message().find((dir.path() / "a" / "b").string()), std::string::npos)
      << no_parent.message();
}

}  // namespace
}  // namespace inmost::store
