// What `inmost doctor` concludes from made-up facts: each check's state at and
// around its thresholds, and what it tells the user to do.
#include "cli/doctor_checks.h"

#include <gtest/gtest.h>

#include <string>

namespace inmost::cli {
namespace {

control::StatusReply Paired() {
  control::StatusReply status;
  status.set_paired(true);
  status.add_partner_addresses("192.0.2.7:7433");
  status.set_version("1.2.0 (git abc)");
  return status;
}

control::StatusReply WithPartnerClock(int64_t offset_ms) {
  control::StatusReply status = Paired();
  status.mutable_partner_daemon()->set_clock_offset_ms(offset_ms);
  status.mutable_partner_daemon()->set_version("1.2.0 (git def)");
  return status;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DoctorChecksTest, ClockWithinAMinuteIsOkBeyondItWarnsWhichWay) {
  EXPECT_EQ(CheckClock(WithPartnerClock(0)).state, CheckState::kOk);
  EXPECT_EQ(CheckClock(WithPartnerClock(kClockSkewWarnMs)).state, CheckState::kOk);
  EXPECT_EQ(CheckClock(WithPartnerClock(-kClockSkewWarnMs)).state, CheckState::kOk);
  CheckResult ahead = CheckClock(WithPartnerClock(kClockSkewWarnMs + 1));
  EXPECT_EQ(ahead.state, CheckState::kWarn);
  EXPECT_TRUE(Has(ahead.finding, "partner's clock is")) << ahead.finding;
  EXPECT_FALSE(ahead.advice.empty());
  CheckResult behind = CheckClock(WithPartnerClock(-5 * 60'000));
  EXPECT_EQ(behind.state, CheckState::kWarn);
  EXPECT_TRUE(Has(behind.finding, "your clock is 5m")) << behind.finding;
  // Not compared: no partner, or no link up yet.
  EXPECT_EQ(CheckClock(control::StatusReply()).state, CheckState::kSkipped);
  EXPECT_EQ(CheckClock(Paired()).state, CheckState::kSkipped);
}

TEST(DoctorChecksTest, PartnerLinkDownNamesEachAddressAndWhy) {
  control::StatusReply status = Paired();
  status.set_link_up(true);
  EXPECT_EQ(CheckPartnerLink(status, 1'000'000).state, CheckState::kOk);
  status.set_partner_refuses("more than 50000 items in an hour");
  EXPECT_EQ(CheckPartnerLink(status, 1'000'000).state, CheckState::kWarn);

  status = Paired();
  status.set_link_last_up_unix_ms(1'000'000 - 3 * 60'000);
  control::DialFailure* failure = status.add_dial_failures();
  failure->set_address("192.0.2.7:7433");
  failure->set_error("Connection refused");
  CheckResult down = CheckPartnerLink(status, 1'000'000);
  EXPECT_EQ(down.state, CheckState::kFail);
  EXPECT_TRUE(Has(down.finding, "last up 3m")) << down.finding;
  EXPECT_TRUE(Has(down.finding, "192.0.2.7:7433: Connection refused")) << down.finding;
  EXPECT_FALSE(down.advice.empty());
  // What a hostile partner could put in an address never reaches the terminal raw.
  failure->set_error("refused\x1b]0;owned\x07");
  EXPECT_FALSE(Has(CheckPartnerLink(status, 1'000'000).finding, "\x1b"));

  EXPECT_EQ(CheckPartnerLink(control::StatusReply(), 0).state, CheckState::kWarn);
}

TEST(DoctorChecksTest, DataDirOpenToOthersFails) {
  LocalFacts facts;
  facts.data_dir = "/home/sam/.local/share/inmost";
  EXPECT_EQ(CheckDataDir(facts).state, CheckState::kSkipped);
  facts.data_dir_here = true;
  EXPECT_EQ(CheckDataDir(facts).state, CheckState::kOk);
  facts.foreign_paths = {facts.data_dir + "/store/000005.ldb"};
  CheckResult foreign = CheckDataDir(facts);
  EXPECT_EQ(foreign.state, CheckState::kFail);
  EXPECT_TRUE(Has(foreign.finding, "000005.ldb"));
  EXPECT_TRUE(Has(foreign.advice, "chown"));
  facts.data_dir_open = true;
  CheckResult open = CheckDataDir(facts);
  EXPECT_EQ(open.state, CheckState::kFail);
  EXPECT_TRUE(Has(open.advice, "chmod 700"));
}

TEST(DoctorChecksTest, DiskThresholds) {
  LocalFacts facts;
  EXPECT_EQ(CheckDisk(facts).state, CheckState::kSkipped);
  facts.free_bytes = kDiskFailBytes - 1;
  EXPECT_EQ(CheckDisk(facts).state, CheckState::kFail);
  facts.free_bytes = kDiskWarnBytes - 1;
  EXPECT_EQ(CheckDisk(facts).state, CheckState::kWarn);
  facts.free_bytes = kDiskWarnBytes * 5;
  CheckResult ok = CheckDisk(facts);
  EXPECT_EQ(ok.state, CheckState::kOk);
  EXPECT_TRUE(Has(ok.finding, "5.0 GiB")) << ok.finding;
}

TEST(DoctorChecksTest, TorPortMappingAndVersions) {
  control::StatusReply status = Paired();
  EXPECT_EQ(CheckTor(status).state, CheckState::kSkipped);
  status.mutable_tor()->set_state("ready");
  EXPECT_EQ(CheckTor(status).state, CheckState::kWarn);
  status.mutable_tor()->set_published(true);
  EXPECT_EQ(CheckTor(status).state, CheckState::kOk);
  status.mutable_tor()->set_state("unavailable");
  EXPECT_TRUE(Has(CheckTor(status).advice, "apt install tor"));

  status.mutable_port_mapping()->set_state("none");
  status.mutable_port_mapping()->set_reason("no router answered");
  CheckResult none = CheckPortMapping(status);
  EXPECT_EQ(none.state, CheckState::kWarn);
  EXPECT_TRUE(Has(none.finding, "no router answered"));

  LocalFacts facts;
  facts.client_version = "1.2.0 (git abc)";
  EXPECT_EQ(CheckVersions(status, facts).state, CheckState::kOk);
  EXPECT_EQ(CheckVersions(WithPartnerClock(0), facts).state, CheckState::kOk);
  control::StatusReply older = WithPartnerClock(0);
  older.mutable_partner_daemon()->set_version("1.1.0 (git 123)");
  CheckResult differ = CheckVersions(older, facts);
  EXPECT_EQ(differ.state, CheckState::kWarn);
  EXPECT_TRUE(Has(differ.finding, "1.1.0"));
}

TEST(DoctorChecksTest, AllChecksInOrder) {
  std::vector<CheckResult> all = CheckAll("/run/inmost.sock", Paired(), LocalFacts(), 0);
  std::vector<std::string> names;
  for (const auto& c : all) names.push_back(c.check);
  EXPECT_EQ(names, (std::vector<std::string>{"daemon", "data dir", "clock", "partner", "tor",
                                             "port mapping", "disk", "versions"}));
}

}  // namespace
}  // namespace inmost::cli
