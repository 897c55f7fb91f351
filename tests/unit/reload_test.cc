#include "daemon/config/reload.h"

#include <gtest/gtest.h>

namespace inmost::config {
namespace {

Command Running() {
  Command command;
  command.verb = Command::Verb::kRun;
  command.daemon.data_dir = "/var/lib/inmost";
  command.daemon.listen = "[::]:7433";
  command.daemon.advertise = {"home.example:7433"};
  command.log_level = log::Level::kInfo;
  return command;
}

TEST(PlanReload, LogLevelAndAddressesApplyNow) {
  Command reread = Running();
  reread.log_level = log::Level::kDebug;
  reread.daemon.advertise = {"new.example:7433", "192.168.1.2:7433"};
  reread.daemon.quiet_hours = "22:00-07:00";
  ReloadPlan plan = PlanReload(Running(), reread);
  EXPECT_EQ(plan.log_level, log::Level::kDebug);
  EXPECT_EQ(plan.quiet_hours, "22:00-07:00");
  EXPECT_EQ(plan.advertise, reread.daemon.advertise);
  EXPECT_TRUE(plan.needs_restart.empty());
}

TEST(PlanReload, EveryOtherChangeWaitsForARestart) {
  Command reread = Running();
  reread.daemon.listen = "[::]:7434";
  reread.daemon.data_dir = "/srv/inmost";
  reread.daemon.link.proxy = "127.0.0.1:9050";
  reread.daemon.link.keepalive_interval = std::chrono::milliseconds(5000);
  reread.daemon.link.dead_after = std::chrono::milliseconds(9000);
  reread.daemon.link.backoff_max = std::chrono::milliseconds(1000);
  reread.daemon.link.rehandshake_after = std::chrono::seconds(60);
  reread.daemon.max_file_bytes = 1 << 20;
  reread.daemon.file_quota_bytes = 1 << 30;
  reread.daemon.transfer_rate_bytes_per_second = 1 << 20;
  ReloadPlan plan = PlanReload(Running(), reread);
  EXPECT_EQ(plan.needs_restart,
            (std::vector<std::string>{"data-dir", "listen", "proxy", "keepalive-ms",
                                      "dead-after-ms", "backoff-max-ms", "rehandshake-s",
                                      "max-file-size", "file-quota", "transfer-rate"}));
}

TEST(PlanReload, NothingChangedNeedsNothing) {
  ReloadPlan plan = PlanReload(Running(), Running());
  EXPECT_TRUE(plan.needs_restart.empty());
  EXPECT_EQ(plan.advertise, Running().daemon.advertise);
}

}  // namespace
}  // namespace inmost::config
