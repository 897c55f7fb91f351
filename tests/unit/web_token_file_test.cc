// The web token kept in a file for `inmost web --token-file`: made once, yours alone,
// read back the same; files open to others, not regular, links and malformed ones
// refused with a message that never holds a token.
#include "web/server/web_token_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/temp_dir.h"

namespace inmost::web {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, const std::string& text, fs::perms perms) {
  std::ofstream(path) << text;
  fs::permissions(path, perms);
}

TEST(WebTokenFileTest, MadeOnceThenReadTheSame) {
  test::TempDir dir;
  const fs::path path = dir.path() / "web-token";
  Result<WebToken> first = LoadOrCreateTokenFile(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(ReadAll(path), std::string(first->text()) + "\n");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  Result<WebToken> second = LoadOrCreateTokenFile(path);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->text(), first->text());
  EXPECT_TRUE(second->Matches(first->text()));
  // Nothing but the file is left behind (no temporary file).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  // Another file, another token.
  Result<WebToken> other = LoadOrCreateTokenFile(dir.path() / "other");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->text(), first->text());
}

TEST(WebTokenFileTest, AFileWithoutTheNewlineIsRead) {
  test::TempDir dir;
  const std::string token(64, 'a');
  WriteFile(dir.path() / "t", token, fs::perms::owner_read | fs::perms::owner_write);
  Result<WebToken> read = LoadOrCreateTokenFile(dir.path() / "t");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->text(), token);
}

TEST(WebTokenFileTest, OpenToOthersIsRefused) {
  test::TempDir dir;
  const fs::path path = dir.path() / "web-token";
  ASSERT_TRUE(LoadOrCreateTokenFile(path).ok());
  const std::string token = ReadAll(path);
  for (fs::perms extra : {fs::perms::group_read, fs::perms::others_read, fs::perms::others_write}) {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | extra);
    Result<WebToken> read = LoadOrCreateTokenFile(path);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), Code::kPermissionDenied);
    EXPECT_NE(read.status().message().find("chmod 600"), std::string::npos)
        << read.status().message();
    EXPECT_EQ(read.status().message().find(token.substr(0, 64)), std::string::npos);
  }
}

TEST(WebTokenFileTest, WhatIsNotATokenIsRefused) {
  test::TempDir dir;
  const auto mine = fs::perms::owner_read | fs::perms::owner_write;
  const std::string secretish = std::string(63, 'b');
  for (const std::string& text : {std::string(), secretish, secretish + "g", secretish + "B",
                                  std::string(64, 'c') + "\n\n", std::string(65, 'd')}) {
    const fs::path path = dir.path() / "t";
    fs::remove(path);
    WriteFile(path, text, mine);
    Result<WebToken> read = LoadOrCreateTokenFile(path);
    ASSERT_FALSE(read.ok()) << "[" << text << "]";
    EXPECT_EQ(read.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(read.status().message().find(secretish), std::string::npos);
    EXPECT_EQ(ReadAll(path), text) << "a refused file is left as it was";
  }
  Result<WebToken> directory = LoadOrCreateTokenFile(dir.path());
  EXPECT_FALSE(directory.ok());
  const fs::path target = dir.path() / "target";
  ASSERT_TRUE(LoadOrCreateTokenFile(target).ok());
  fs::create_symlink(target, dir.path() / "link");
  Result<WebToken> link = LoadOrCreateTokenFile(dir.path() / "link");
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.status().message().find("symbolic link"), std::string::npos);
}

TEST(WebTokenFileTest, ADirectoryThatIsNotThereIsAClearError) {
  test::TempDir dir;
  Result<WebToken> made = LoadOrCreateTokenFile(dir.path() / "missing" / "web-token");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), Code::kIoError);
  EXPECT_NE(made.status().message().find("missing"), std::string::npos);
}

}  // namespace
}  // namespace inmost::web
