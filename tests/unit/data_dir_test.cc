#include "daemon/store/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>

#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

using test::TempDir;

// A getenv over a fixed map, so tests do not depend on the real environment.
class FakeEnv {
 public:
  FakeEnv() = default;
  explicit FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars) {}
  std::function<const char*(const char*)> getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(DataDirTest, DefaultRootPrefersInmostDataDir) {
  FakeEnv env({{"INMOST_DATA_DIR", "/srv/inmost"},
               {"XDG_DATA_HOME", "/home/u/.data"},
               {"HOME", "/home/u"}});
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(*root, std::filesystem::path("/srv/inmost"));
}

TEST(DataDirTest, DefaultRootUsesXdgDataHome) {
  FakeEnv env({{"XDG_DATA_HOME", "/home/u/.data"}, {"HOME", "/home/u"}});
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/home/u/.data/inmost"));
}

TEST(DataDirTest, DefaultRootFallsBackToHome) {
  FakeEnv env({{"HOME", "/home/u"}});
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/home/u/.local/share/inmost"));
}

TEST(DataDirTest, DefaultRootTreatsEmptyAndRelativeAsUnset) {
  FakeEnv env({{"INMOST_DATA_DIR", ""}, {"XDG_DATA_HOME", "relative/data"}, {"HOME", "/home/u"}});
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/home/u/.local/share/inmost"));
}

// Under systemd (StateDirectory=inmost) the service's state directory is the data
// directory; an explicit $INMOST_DATA_DIR still wins, and a relative one is ignored.
TEST(DataDirTest, DefaultRootUsesSystemdStateDirectory) {
  FakeEnv env({{"STATE_DIRECTORY", "/var/lib/inmost"},
               {"XDG_DATA_HOME", "/home/u/.data"},
               {"HOME", "/home/u"}});
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(*root, std::filesystem::path("/var/lib/inmost"));

  FakeEnv several({{"STATE_DIRECTORY", "/var/lib/inmost:/var/lib/other"}});
  root = DataDir::DefaultRoot(several.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/var/lib/inmost"));
}

TEST(DataDirTest, DefaultRootPrefersInmostDataDirToStateDirectory) {
  FakeEnv env({{"INMOST_DATA_DIR", "/srv/inmost"}, {"STATE_DIRECTORY", "/var/lib/inmost"}});
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/srv/inmost"));

  FakeEnv relative({{"STATE_DIRECTORY", "var/lib/inmost"}, {"HOME", "/home/u"}});
  root = DataDir::DefaultRoot(relative.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/home/u/.local/share/inmost"));
  FakeEnv empty({{"INMOST_DATA_DIR", ""}, {"STATE_DIRECTORY", "/var/lib/inmost"}});
  root = DataDir::DefaultRoot(empty.getenv());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::filesystem::path("/var/lib/inmost"));
}

TEST(DataDirTest, DefaultRootFailsWithoutAnyVariable) {
  FakeEnv env;
  auto root = DataDir::DefaultRoot(env.getenv());
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(root.status().message().find("INMOST_DATA_DIR"), std::string::npos);
}

TEST(DataDirTest, LayoutLivesUnderRoot) {
  DataDir dir("/d");
  EXPECT_EQ(dir.root(), std::filesystem::path("/d"));
  EXPECT_EQ(dir.store_path(), std::filesystem::path("/d/store"));
  EXPECT_EQ(dir.key_file_path(), std::filesystem::path("/d/storage.key"));
  EXPECT_EQ(dir.wrapped_key_path(), std::filesystem::path("/d/storage.key.wrapped"));
  EXPECT_EQ(dir.control_socket_path(), std::filesystem::path("/d/control.sock"));
}

TEST(DataDirTest, CreatePrivateMakesNestedDirectoriesWithMode0700) {
  TempDir tmp;
  DataDir dir(tmp.path() / "a" / "b" / "inmost");
  ASSERT_TRUE(dir.CreatePrivate().ok());
  EXPECT_EQ(ModeOf(dir.root()), 0700u);
  EXPECT_EQ(ModeOf(tmp.path() / "a"), 0700u);
  EXPECT_TRUE(dir.CheckPrivate().ok());
  // Creating again is fine: it is `mkdir -p`.
  EXPECT_TRUE(dir.CreatePrivate().ok());
}

TEST(DataDirTest, CreatePrivateFailsOverAFile) {
  TempDir tmp;
  std::ofstream(tmp.path() / "file") << "x";
  DataDir dir(tmp.path() / "file");
  Status s = dir.CreatePrivate();
  EXPECT_FALSE(s.ok());
}

TEST(DataDirTest, CheckPrivateRefusesDirectoryOthersCanRead) {
  TempDir tmp;
  DataDir dir(tmp.path() / "inmost");
  ASSERT_TRUE(dir.CreatePrivate().ok());
  ASSERT_EQ(::chmod(dir.root().c_str(), 0755), 0);
  Status s = dir.CheckPrivate();
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find(dir.root().string()), std::string::npos);
  EXPECT_NE(s.message().find("chmod 700 " + dir.root().string()), std::string::npos);
  EXPECT_NE(s.message().find("0755"), std::string::npos);
  // CreatePrivate never loosens or silently repairs what the user set.
  EXPECT_TRUE(dir.CreatePrivate().ok());
  EXPECT_EQ(ModeOf(dir.root()), 0755u);
}

TEST(DataDirTest, CheckPrivateReportsMissingDirectory) {
  TempDir tmp;
  DataDir dir(tmp.path() / "missing");
  EXPECT_EQ(dir.CheckPrivate().code(), Code::kNotFound);
}

TEST(DataDirTest, IsInitializedNeedsStoreAndKey) {
  TempDir tmp;
  DataDir dir(tmp.path() / "inmost");
  EXPECT_FALSE(dir.IsInitialized());
  ASSERT_TRUE(dir.CreatePrivate().ok());
  EXPECT_FALSE(dir.IsInitialized());
  std::filesystem::create_directory(dir.store_path());
  std::ofstream(dir.store_path() / "CURRENT") << "MANIFEST-000001\n";
  EXPECT_FALSE(dir.IsInitialized());
  std::ofstream(dir.wrapped_key_path()) << "x";
  EXPECT_TRUE(dir.IsInitialized());
}

}  // namespace
}  // namespace inmost::store
