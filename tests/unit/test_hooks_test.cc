// The test hooks (issue 16): moving the daemon's wall clock is no option of
// `inmostd run` or its config file any more, only $INMOST_TEST_CLOCK_OFFSET_MS in a
// build configured with -DINMOST_TEST_HOOKS=ON; any other build ignores it.
#include "daemon/config/test_hooks.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/config/command_line.h"
#include "tests/unit/temp_dir.h"

namespace inmost::config {
namespace {

using Environment = std::map<std::string, std::string>;

Result<Command> Parse(std::vector<std::string> args, const Environment& environment = {}) {
  args.insert(args.begin(), {"inmostd", "run", "--data-dir", "/tmp/inmost-test-hooks-test"});
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(),
                          [&](const char* name) -> const char* {
                            auto it = environment.find(name);
                            return it == environment.end() ? nullptr : it->second.c_str();
                          });
}

Environment Offset(const std::string& value) {
  return {{kTestClockOffsetVariable, value}};
}

TEST(TestHooks, ClockOffsetIsNoOptionOfRun) {
  Result<Command> command = Parse({"--clock-offset-ms", "5"});
  ASSERT_FALSE(command.ok());
  EXPECT_EQ(command.status().code(), Code::kInvalidArgument);
  EXPECT_NE(command.status().message().find("unrecognised option '--clock-offset-ms'"),
            std::string::npos)
      << command.status().message();

  test::TempDir dir;
  std::string config = (dir.path() / "inmostd.conf").string();
  std::ofstream(config) << "clock-offset-ms = 5\n";
  command = Parse({"--config", config});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("clock-offset-ms"), std::string::npos)
      << command.status().message();

  command = Parse({"--help"});
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->help_text.find("clock"), std::string::npos) << command->help_text;
}

TEST(TestHooks, ClockOffsetComesFromTheEnvironmentOnlyWithTestHooks) {
  Result<Command> command = Parse({});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->clock_offset_ms, 0);
  for (int64_t offset : {int64_t{7'200'000}, int64_t{-7'200'000}, int64_t{1}}) {
    command = Parse({}, Offset(std::to_string(offset)));
    ASSERT_TRUE(command.ok()) << command.status().ToString();
    EXPECT_EQ(command->clock_offset_ms, TestHooksBuilt() ? offset : 0) << offset;
  }
  command = Parse({}, Offset(""));
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->clock_offset_ms, 0);
}

TEST(TestHooks, ABadClockOffsetIsRefusedWhereItCounts) {
  for (const char* bad : {"5ms", "abc", " 5", "1e3", "+5", "--5", "99999999999999999999",
                          "3200000000000", "-3200000000000"}) {
    Result<Command> command = Parse({}, Offset(bad));
    if (!TestHooksBuilt()) {
      // Ignored like any other value: a release build never reads it.
      ASSERT_TRUE(command.ok()) << bad << ": " << command.status().ToString();
      EXPECT_EQ(command->clock_offset_ms, 0);
      continue;
    }
    ASSERT_FALSE(command.ok()) << bad;
    EXPECT_EQ(command.status().code(), Code::kInvalidArgument);
    EXPECT_NE(command.status().message().find(kTestClockOffsetVariable), std::string::npos)
        << command.status().message();
  }
  // A century either way is the most.
  Result<Command> command = Parse({}, Offset("3100000000000"));
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->clock_offset_ms, TestHooksBuilt() ? 3'100'000'000'000 : 0);
}

}  // namespace
}  // namespace inmost::config
