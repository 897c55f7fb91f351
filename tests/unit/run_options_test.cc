// The file options of `inmostd run` (--max-file-size, --file-quota, --transfer-rate):
// the sizes they take, their defaults, the config file, and their errors.
#include "daemon/codec/config/run_options.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "daemon/config/command_line.h"
#include "daemon/config/reload.h"
#include "tests/unit/temp_dir.h"

namespace inmost::config {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;
constexpr uint64_t kTiB = kGiB * 1024;

Result<Command> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"inmostd", "run", "--data-dir", "/tmp/inmost-run-options-test"});
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(),
                          [](const char*) -> const char* { return nullptr; });
}

TEST(ParseByteSize, BytesAndBinaryUnits) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("1048576"), kMiB);
  EXPECT_EQ(*ParseByteSize("100B"), 100u);
  EXPECT_EQ(*ParseByteSize("1K"), kKiB);
  EXPECT_EQ(*ParseByteSize("512M"), 512 * kMiB);
  EXPECT_EQ(*ParseByteSize("512m"), 512 * kMiB);
  EXPECT_EQ(*ParseByteSize("4G"), 4 * kGiB);
  EXPECT_EQ(*ParseByteSize("20G"), 20 * kGiB);
  EXPECT_EQ(*ParseByteSize("2T"), 2 * kTiB);
  EXPECT_EQ(*ParseByteSize("64KiB"), 64 * kKiB);
  EXPECT_EQ(*ParseByteSize("3MB"), 3 * kMiB);
  EXPECT_EQ(*ParseByteSize("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(*ParseByteSize("16777215T"), 16777215 * kTiB);
}

TEST(ParseByteSize, RejectsWhatIsNotASize) {
  for (const char* bad : {"", "G", "-1", "1.5G", "1 G", " 1G", "1G ", "1X", "1KB2", "1Gi", "1iB",
                          "1BB", "0x10", "4GiBs", "+5"}) {
    Result<uint64_t> size = ParseByteSize(bad);
    ASSERT_FALSE(size.ok()) << "'" << bad << "'";
    EXPECT_EQ(size.status().code(), Code::kInvalidArgument);
    EXPECT_NE(size.status().message().find("is not a size"), std::string::npos)
        << size.status().message();
    EXPECT_NE(size.status().message().find("such as 512M"), std::string::npos);
  }
}

TEST(ParseByteSize, RejectsWhatOverflows) {
  for (const char* big :
       {"18446744073709551616", "99999999999999999999999", "16777216T", "17179869184G"}) {
    Result<uint64_t> size = ParseByteSize(big);
    ASSERT_FALSE(size.ok()) << big;
    EXPECT_NE(size.status().message().find("too large"), std::string::npos)
        << size.status().message();
  }
}

TEST(FileRunOptions, Defaults) {
  Result<Command> command = Parse({});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->daemon.max_file_bytes, 4 * kGiB);
  EXPECT_EQ(command->daemon.file_quota_bytes, 20 * kGiB);
  EXPECT_EQ(command->daemon.transfer_rate_bytes_per_second, 0u);
  // The defaults are DaemonOptions' own.
  DaemonOptions defaults;
  EXPECT_EQ(command->daemon.max_file_bytes, defaults.max_file_bytes);
  EXPECT_EQ(command->daemon.file_quota_bytes, defaults.file_quota_bytes);
  EXPECT_EQ(command->daemon.transfer_rate_bytes_per_second,
            defaults.transfer_rate_bytes_per_second);
}

TEST(FileRunOptions, CommandLineSetsThem) {
  Result<Command> command =
      Parse({"--max-file-size", "512M", "--file-quota=1T", "--transfer-rate", "2097152"});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->daemon.max_file_bytes, 512 * kMiB);
  EXPECT_EQ(command->daemon.file_quota_bytes, kTiB);
  EXPECT_EQ(command->daemon.transfer_rate_bytes_per_second, 2 * kMiB);
}

TEST(FileRunOptions, ConfigFileSetsThemAndTheCommandLineWins) {
  test::TempDir dir;
  std::string config = (dir.path() / "inmostd.conf").string();
  {
    std::ofstream file(config);
    file << "max-file-size = 100M\nfile-quota = 2G\ntransfer-rate = 512K\n";
  }
  Result<Command> command = Parse({"--config", config});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->daemon.max_file_bytes, 100 * kMiB);
  EXPECT_EQ(command->daemon.file_quota_bytes, 2 * kGiB);
  EXPECT_EQ(command->daemon.transfer_rate_bytes_per_second, 512 * kKiB);

  command = Parse({"--config", config, "--max-file-size", "1G"});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->daemon.max_file_bytes, kGiB);
  EXPECT_EQ(command->daemon.file_quota_bytes, 2 * kGiB);
}

TEST(FileRunOptions, BadValuesNameTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string message_part;
  };
  const Case cases[] = {
      {{"--max-file-size", "lots"}, "--max-file-size: 'lots' is not a size"},
      {{"--max-file-size", "0"}, "--max-file-size must be at least 1 byte"},
      {{"--file-quota", "1.5G"}, "--file-quota: '1.5G' is not a size"},
      {{"--file-quota", "0K"}, "--file-quota must be at least 1 byte"},
      {{"--transfer-rate", "-1"}, "--transfer-rate: '-1' is not a size"},
      {{"--transfer-rate", "99999999T"}, "--transfer-rate: '99999999T' is too large"},
  };
  for (const Case& c : cases) {
    Result<Command> command = Parse(c.args);
    ASSERT_FALSE(command.ok()) << c.args[0] << ' ' << c.args[1];
    EXPECT_EQ(command.status().code(), Code::kInvalidArgument);
    EXPECT_NE(command.status().message().find(c.message_part), std::string::npos)
        << command.status().message();
  }
}

TEST(FileRunOptions, AChangeWaitsForARestart) {
  Result<Command> running = Parse({});
  Result<Command> reread =
      Parse({"--max-file-size", "1G", "--file-quota", "40G", "--transfer-rate", "1M"});
  ASSERT_TRUE(running.ok() && reread.ok());
  ReloadPlan plan = PlanReload(*running, *reread);
  EXPECT_EQ(plan.needs_restart,
            (std::vector<std::string>{"max-file-size", "file-quota", "transfer-rate"}));
  EXPECT_TRUE(PlanReload(*running, *running).needs_restart.empty());
}

TEST(FileRunOptions, HelpListsThem) {
  Result<Command> command = Parse({"--help"});
  ASSERT_TRUE(command.ok());
  for (const char* option : {"--max-file-size", "--file-quota", "--transfer-rate"}) {
    EXPECT_NE(command->help_text.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace inmost::config
