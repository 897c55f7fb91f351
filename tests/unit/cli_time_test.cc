// The CLI's parser for the times people type (--open-at, --send-at) and dates (--date).
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "cli/time.h"

namespace inmost::cli {
namespace {

// Central European time with its DST rules, spelled as a POSIX TZ string so the
// tests need no zoneinfo files: +01:00 in winter, +02:00 from the last Sunday of
// March 02:00 to the last Sunday of October 03:00.
constexpr char kBerlin[] = "CET-1CEST,M3.5.0,M10.5.0/3";

constexpr int64_t kFeb14At0800Utc = 1802592000000;  // 2027-02-14T08:00:00Z

class CliTime : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    SetTz(kBerlin);
  }
  void TearDown() override {
    if (saved_tz_) {
      ::setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  static void SetTz(const char* tz) {
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  // The parsed time, or -1 with the error in the failure message.
  static int64_t Parse(const char* text) {
    Result<int64_t> ms = ParseTimeUnixMs(text);
    if (!ms.ok()) {
      ADD_FAILURE() << text << ": " << ms.status().ToString();
      return -1;
    }
    return *ms;
  }

 private:
  std::optional<std::string> saved_tz_;
};

TEST_F(CliTime, LocalTimeFollowsTz) {
  EXPECT_EQ(Parse("2027-02-14 09:00"), kFeb14At0800Utc);
  EXPECT_EQ(Parse("2027-02-14T09:00"), kFeb14At0800Utc);
  EXPECT_EQ(Parse("2027-02-14t09:00"), kFeb14At0800Utc);
  EXPECT_EQ(Parse("2027-02-14 09:00:00"), kFeb14At0800Utc);
  EXPECT_EQ(Parse("2027-02-14T09:00:07"), kFeb14At0800Utc + 7000);
  // Summer time: +02:00.
  EXPECT_EQ(Parse("2027-07-01 09:30:15"), 1814427015000);  // 2027-07-01T07:30:15Z
  // A date alone is local midnight.
  EXPECT_EQ(Parse("2027-02-14"), kFeb14At0800Utc - 9 * 3600 * 1000);
  // A leap day exists in 2028.
  EXPECT_EQ(Parse("2028-02-29 01:00"), 1835395200000);  // 2028-02-29T00:00:00Z

  SetTz("UTC0");
  EXPECT_EQ(Parse("2027-02-14 08:00"), kFeb14At0800Utc);
  SetTz("EST5EDT,M3.2.0,M11.1.0");
  EXPECT_EQ(Parse("2027-02-14 03:00"), kFeb14At0800Utc);
}

TEST_F(CliTime, Iso8601WithOffsetIgnoresTz) {
  for (const char* tz :
       {kBerlin, "UTC0", "EST5EDT,M3.2.0,M11.1.0", "NZST-12NZDT,M9.5.0,M4.1.0/3"}) {
    SetTz(tz);
    EXPECT_EQ(Parse("2027-02-14T09:00:00+01:00"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T08:00:00Z"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T08:00z"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T08:00:00+00:00"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T03:30-04:30"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T09:00+0100"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T09:00+01"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14 09:00+01:00"), kFeb14At0800Utc) << tz;
    // Crossing midnight backwards into the previous day, and forwards.
    EXPECT_EQ(Parse("2027-02-13T23:00:00-09:00"), kFeb14At0800Utc) << tz;
    EXPECT_EQ(Parse("2027-02-14T21:00:00+13:00"), kFeb14At0800Utc) << tz;
  }
  EXPECT_EQ(Parse("2027-02-14T08:00:00.25Z"), kFeb14At0800Utc + 250);
  EXPECT_EQ(Parse("2027-02-14T08:00:00,5Z"), kFeb14At0800Utc + 500);
  EXPECT_EQ(Parse("2027-02-14T08:00:00.123456Z"), kFeb14At0800Utc + 123);
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
}

TEST_F(CliTime, DatesThatDoNotExistAreRefused) {
  Result<int64_t> feb30 = ParseTimeUnixMs("2027-02-30 09:00");
  ASSERT_FALSE(feb30.ok());
  EXPECT_EQ(feb30.status().code(), Code::kInvalidArgument);
  EXPECT_NE(feb30.status().message().find("February 2027 has 28 days"), std::string::npos)
      << feb30.status().message();
  for (const char* bad : {"2027-02-29", "2027-02-29 12:00", "2027-04-31T10:00Z", "2027-13-01",
                          "2027-00-10", "2027-01-00", "2027-01-32 00:00", "2100-02-29"}) {
    Result<int64_t> ms = ParseTimeUnixMs(bad);
    EXPECT_FALSE(ms.ok()) << bad;
    EXPECT_EQ(ms.status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ParseTimeUnixMs("2000-02-29").ok());
}

TEST_F(CliTime, MalformedTimesAreRefused) {
  for (const char* bad : {"",
                          "tomorrow",
                          "09:00",
                          "2027-2-14",
                          "2027-02-14 9:00",
                          "2027-02-14  09:00",
                          "2027-02-14 09:00 ",
                          " 2027-02-14 09:00",
                          "2027-02-14 24:00",
                          "2027-02-14 09:60",
                          "2027-02-14 09:00:60",
                          "2027-02-14T09",
                          "2027-02-14T0900",
                          "2027/02/14 09:00",
                          "2027-02-14Z",
                          "2027-02-14T09:00+1",
                          "2027-02-14T09:00+01:",
                          "2027-02-14T09:00+01:0",
                          "2027-02-14T09:00+24:00",
                          "2027-02-14T09:00+01:60",
                          "2027-02-14T09:00:00.Z",
                          "2027-02-14T09:00.5Z",
                          "2027-02-14T09:00ZZ",
                          "2027-02-14T09:00:00+01:00x",
                          "+2027-02-14",
                          "20270-02-14",
                          "2027-02-14x"}) {
    Result<int64_t> ms = ParseTimeUnixMs(bad);
    EXPECT_FALSE(ms.ok()) << "'" << bad << "' parsed as " << (ms.ok() ? *ms : 0);
    if (!ms.ok()) {
      EXPECT_EQ(ms.status().code(), Code::kInvalidArgument) << bad;
    }
  }
  // The message shows what was typed and how to write it.
  Result<int64_t> ms = ParseTimeUnixMs("next friday");
  ASSERT_FALSE(ms.ok());
  EXPECT_NE(ms.status().message().find("'next friday'"), std::string::npos);
  EXPECT_NE(ms.status().message().find("2027-02-14 09:00"), std::string::npos);
}

TEST_F(CliTime, LocalTimesTheClocksSkipAreRefused) {
  // 2027-03-28: 02:00 CET jumps to 03:00 CEST, so 02:30 never happens.
  Result<int64_t> gap = ParseTimeUnixMs("2027-03-28 02:30");
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.status().message().find("does not exist"), std::string::npos);
  EXPECT_EQ(Parse("2027-03-28 01:59"), 1806195600000 - 60 * 1000);  // 00:59Z
  EXPECT_EQ(Parse("2027-03-28 03:00"), 1806195600000);              // 01:00Z
  // With an offset the same wall time is unambiguous and fine.
  EXPECT_EQ(Parse("2027-03-28T02:30+01:00"), 1806195600000 + 30 * 60 * 1000);  // 01:30Z
  // 2027-10-31: 02:30 happens twice; either is acceptable, but it must parse.
  int64_t twice = Parse("2027-10-31 02:30");
  EXPECT_TRUE(twice == 1824942600000 || twice == 1824946200000) << twice;
}

TEST_F(CliTime, CheckDate) {
  EXPECT_TRUE(CheckDate("2027-02-14").ok());
  EXPECT_TRUE(CheckDate("2028-02-29").ok());
  Status feb29 = CheckDate("2027-02-29");
  EXPECT_EQ(feb29.code(), Code::kInvalidArgument);
  EXPECT_NE(feb29.message().find("February 2027 has 28 days"), std::string::npos);
  for (const char* bad : {"", "today", "2027-2-14", "2027-02-14 09:00", "2027-02-14T00:00Z",
                          "2027-13-01", "2027-02-00", "14.02.2027"}) {
    EXPECT_EQ(CheckDate(bad).code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace inmost::cli
