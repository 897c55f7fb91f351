// The CLI side of nudges, reactions, presence, boundaries, quiet, pins, recall,
// search, forget, backup and export: what each command asks the daemon, what it
// prints, and the usage errors that reach no daemon.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Message;
using control::Request;
using control::Response;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z
constexpr uint64_t kHistorySize = 5;     // Served two at a time, so export pages.

Message Said(uint64_t id, const std::string& text) {
  Message message;
  message.set_id(id);
  message.set_direction(id % 2 == 0 ? Message::INCOMING : Message::OUTGOING);
  message.set_state(Message::READ);
  message.set_text(text);
  message.set_sent_at_unix_ms(kNow + static_cast<int64_t>(id) * 60 * 1000);
  return message;
}

class ClosenessHandler : public test::RecordingHandler {
 public:
  bool share_last_seen = true;  // What the presence reply says you share.
  // The number of the history's n-th message (1-based), as ids show it: each side
  // numbers from its own run, so they need not grow with the history. Empty: n.
  std::vector<uint64_t> numbers;

 protected:
  Response Answer(const Request& request) override {
    Response response;
    switch (request.body_case()) {
      case Request::kNudge:
        if (request.nudge().kind() == control::Nudge::GOODNIGHT) {
          response.mutable_error()->set_code(static_cast<uint32_t>(Code::kResourceExhausted));
          response.mutable_error()->set_message("your partner accepts 2 nudges an hour");
        } else {
          response.mutable_nudge()->set_id(40);
          // A hug finds the link down, and two more were already waiting.
          response.mutable_nudge()->set_queued(request.nudge().kind() == control::Nudge::HUG);
          response.mutable_nudge()->set_count(3);
        }
        break;
      case Request::kReact:
        *response.mutable_react()->mutable_message() = Said(request.react().id(), "hello");
        response.mutable_react()->mutable_message()->set_my_reaction(request.react().emoji());
        break;
      case Request::kPresence: {
        control::PresenceReply* presence = response.mutable_presence();
        presence->set_choice(request.presence().choice() == control::Presence::CHOICE_UNSPECIFIED
                                 ? control::Presence::HERE
                                 : request.presence().choice());
        presence->set_share_last_seen(share_last_seen);
        presence->mutable_partner()->set_choice(control::Presence::AWAY);
        presence->mutable_partner()->set_known(true);
        presence->mutable_partner()->set_read_receipts(true);
        presence->mutable_partner()->set_nudge_budget_per_hour(6);
        break;
      }
      case Request::kConfig: {
        auto add = [&response](const char* key, const char* value, const char* description) {
          control::ConfigReply::Setting* setting = response.mutable_config()->add_settings();
          setting->set_key(key);
          setting->set_value(value);
          setting->set_description(description);
        };
        if (request.config().key().empty()) {
          add("read-receipts", "on", "your partner sees when you have read a message");
          add("nudge-budget", "12", "nudges you accept an hour");
        } else {
          add(request.config().key().c_str(),
              request.config().value().empty() ? "12" : request.config().value().c_str(),
              "nudges you accept an hour");
        }
        break;
      }
      case Request::kQuiet:
        response.mutable_quiet()->set_quiet(!request.quiet().end());
        if (!request.quiet().end()) {
          response.mutable_quiet()->set_quiet_until_unix_ms(4074742800000);  // 2099-02-14T09:00:00Z
        }
        break;
      case Request::kPin:
        *response.mutable_pin()->mutable_message() = Said(request.pin().id(), "pinned");
        break;
      case Request::kMemories:
        *response.mutable_memories()->add_messages() = Said(3, "our first trip");
        response.mutable_memories()->mutable_messages(0)->set_pinned(true);
        break;
      case Request::kRecall: {
        control::RecallReply::Day* day = response.mutable_recall()->add_days();
        day->set_date("2026-02-14");
        day->set_label("1 year ago");
        *day->add_messages() = Said(1, "a year ago today");
        break;
      }
      case Request::kSearch:
        *response.mutable_search()->add_messages() = Said(4, "the sea at night");
        response.mutable_search()->set_searched(120);
        response.mutable_search()->set_more(true);
        break;
      case Request::kRebuildSearchIndex:
        response.mutable_rebuild_search_index()->set_messages(120);
        break;
      case Request::kForget:
        *response.mutable_forget()->mutable_message() = Said(request.forget().id(), "");
        response.mutable_forget()->mutable_message()->set_forget(
            request.forget().keep() ? Message::KEPT : Message::ASKED);
        break;
      case Request::kBackup:
        response.mutable_backup()->set_path(request.backup().path());
        response.mutable_backup()->set_records(1234);
        response.mutable_backup()->set_bytes(3 * 1024 * 1024 / 2);
        break;
      case Request::kHistory: {
        auto number_of = [&](uint64_t n) { return numbers.empty() ? n : numbers[n - 1]; };
        const uint64_t before = request.history().before_id();
        uint64_t place = kHistorySize + 1;  // Of `before` in the history.
        for (uint64_t n = 1; before != 0 && n <= kHistorySize; ++n) {
          if (number_of(n) == before) place = n;
        }
        uint64_t newest = place - 1;
        uint64_t count = std::min<uint64_t>({2, request.history().limit(), newest});
        for (uint64_t n = newest - count + 1; n <= newest; ++n) {
          *response.mutable_history()->add_messages() =
              Said(number_of(n), "message " + std::to_string(n));
        }
        response.mutable_history()->set_more(newest - count > 0);
        break;
      }
      case Request::kSend:
        response.mutable_send()->set_id(12);
        break;
      case Request::kUnpair:
        response.mutable_unpair();
        break;
      case Request::kStatus: {
        control::StatusReply* status = response.mutable_status();
        status->set_paired(true);
        status->set_link_up(true);
        status->set_presence(control::Presence::QUIET);
        status->mutable_partner()->set_choice(control::Presence::HERE);
        status->mutable_partner()->set_present(true);
        status->set_quiet(true);
        status->set_quiet_until_unix_ms(4074742800000);
        break;
      }
      default:
        response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
        response.mutable_error()->set_message("nothing here");
    }
    return response;
  }
};

class CliClosenessCommands : public test::CliFixture {
 protected:
  test::RecordingHandler& handler() override { return handler_; }
  // What the daemon's presence replies say you share (set on the server's thread).
  void ShareLastSeen(bool share) {
    RunOnLoop([this, share] {
      handler_.share_last_seen = share;
      return 0;
    });
  }

  ClosenessHandler handler_;
};

TEST_F(CliClosenessCommands, Nudge) {
  ASSERT_EQ(Cli({"nudge"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().nudge().kind(), control::Nudge::THINKING_OF_YOU);
  EXPECT_TRUE(LastRequest().has_nudge());
  EXPECT_EQ(out_.str(), "Sent a thinking-of-you.\n");
  ASSERT_EQ(Cli({"nudge", "kiss"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().nudge().kind(), control::Nudge::KISS);
  EXPECT_EQ(out_.str(), "Sent a kiss.\n");
  ASSERT_EQ(Cli({"nudge", "hug"}), cli::kExitOk);
  EXPECT_EQ(out_.str(),
            "Queued a hug (×3): your partner is offline; it goes when the link is back.\n");
  // Over the partner's budget: the daemon's error, printed as any other.
  EXPECT_EQ(Cli({"nudge", "goodnight"}), cli::kExitDaemonError);
  EXPECT_NE(err_.str().find("accepts 2 nudges an hour (resource_exhausted)"), std::string::npos)
      << err_.str();
  ASSERT_EQ(Cli({"--json", "nudge", "laugh"}), cli::kExitOk);
  EXPECT_EQ(out_.str(), R"({"id":"40","queued":false,"count":3})"
                        "\n");

  ExpectUsageError({"nudge", "wave"},
                   "unknown nudge 'wave': use one of thinking-of-you, hug, kiss, laugh, "
                   "missing-you, goodnight");
  ExpectUsageError({"nudge", "hug", "kiss"}, "nudge");
}

TEST_F(CliClosenessCommands, React) {
  ASSERT_EQ(Cli({"react", "#12", "❤"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().react().id(), 12u);
  EXPECT_EQ(LastRequest().react().emoji(), "❤");
  EXPECT_TRUE(OutHas("You reacted ❤ to #12:")) << out_.str();
  EXPECT_TRUE(OutHas("[you: ❤]")) << out_.str();
  ASSERT_EQ(Cli({"react", "12", "--remove"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().react().emoji(), "");
  EXPECT_TRUE(OutHas("Your reaction to #12 is removed")) << out_.str();

  ExpectUsageError({"react"}, "give the message's ID");
  ExpectUsageError({"react", "12"}, "give the EMOJI, or --remove");
  ExpectUsageError({"react", "12", "❤", "--remove"}, "not both");
  ExpectUsageError({"react", "x", "❤"}, "invalid message id 'x'");
  ExpectUsageError({"react", "12", "a b"}, "may not hold spaces or control characters");
  ExpectUsageError({"react", "12", std::string(33, 'a')}, "at most 32");
  ExpectUsageError({"react", "12", "❤", "😂"}, "react");
}

TEST_F(CliClosenessCommands, Presence) {
  ASSERT_EQ(Cli({"presence"}), cli::kExitOk) << err_.str();
  EXPECT_TRUE(LastRequest().has_presence());
  EXPECT_EQ(LastRequest().presence().choice(), control::Presence::CHOICE_UNSPECIFIED);
  EXPECT_EQ(out_.str(),
            "You show:          here, and your last seen\n"
            "Partner shows:     away\n"
            "Partner last seen: not shared by your partner (or not seen yet)\n"
            "Their boundaries:  read receipts on, honours forget off, accepts 6 nudges an hour\n");
  ASSERT_EQ(Cli({"presence", "hidden"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().presence().choice(), control::Presence::HIDDEN);
  EXPECT_TRUE(OutHas("You show:          hidden")) << out_.str();
  EXPECT_TRUE(OutHas("Partner last seen: not shown while you are hidden")) << out_.str();
  // Not sharing yours: what hides theirs is your own choice, and how to change it.
  ShareLastSeen(false);
  ASSERT_EQ(Cli({"presence", "here"}), cli::kExitOk);
  EXPECT_TRUE(
      OutHas("Partner last seen: share yours to see theirs: inmost config share-last-seen on"))
      << out_.str();

  ExpectUsageError({"presence", "busy"},
                   "unknown presence 'busy': use here, away, quiet or hidden");
  ExpectUsageError({"presence", "here", "away"}, "presence");
}

TEST_F(CliClosenessCommands, Config) {
  ASSERT_EQ(Cli({"config"}), cli::kExitOk) << err_.str();
  EXPECT_TRUE(LastRequest().has_config());
  EXPECT_EQ(LastRequest().config().key(), "");
  EXPECT_EQ(out_.str(),
            "read-receipts = on    # your partner sees when you have read a message\n"
            "nudge-budget = 12     # nudges you accept an hour\n");
  ASSERT_EQ(Cli({"config", "nudge-budget"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().config().key(), "nudge-budget");
  EXPECT_EQ(LastRequest().config().value(), "");
  ASSERT_EQ(Cli({"config", "quiet-hours", "22:30-07:00"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().config().key(), "quiet-hours");
  EXPECT_EQ(LastRequest().config().value(), "22:30-07:00");
  EXPECT_EQ(out_.str(), "quiet-hours = 22:30-07:00    # nudges you accept an hour\n");

  ExpectUsageError({"config", "a", "b", "c"}, "config");
  ExpectUsageError({"config", ""}, "KEY is empty");
  ExpectUsageError({"config", "read-receipts", ""}, "VALUE is empty");
  ExpectUsageError({"config", "--read-receipts", "on"}, "config");
}

TEST_F(CliClosenessCommands, Quiet) {
  ASSERT_EQ(Cli({"quiet", "2h"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().quiet().for_seconds(), 7200u);
  EXPECT_FALSE(LastRequest().quiet().end());
  EXPECT_TRUE(OutHas("Quiet until 2099-02-14 09:00 (for ")) << out_.str();
  ASSERT_EQ(Cli({"quiet", "1h30m"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().quiet().for_seconds(), 5400u);
  ASSERT_EQ(Cli({"quiet", "off"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().quiet().end());
  EXPECT_EQ(LastRequest().quiet().for_seconds(), 0u);
  EXPECT_EQ(out_.str(), "You are no longer quiet.\n");

  ExpectUsageError({"quiet"}, "give how long");
  ExpectUsageError({"quiet", "soon"}, "invalid duration 'soon'");
  ExpectUsageError({"quiet", "0s"}, "longer than zero");
}

TEST_F(CliClosenessCommands, PinsMemoriesRecallSearch) {
  ASSERT_EQ(Cli({"pin", "7"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().pin().id(), 7u);
  EXPECT_FALSE(LastRequest().pin().unpin());
  EXPECT_TRUE(OutHas("Pinned #7")) << out_.str();
  ASSERT_EQ(Cli({"unpin", "#7"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().pin().id(), 7u);
  EXPECT_TRUE(LastRequest().pin().unpin());
  EXPECT_TRUE(OutHas("Unpinned #7")) << out_.str();
  ExpectUsageError({"pin"}, "give the message's ID");
  ExpectUsageError({"unpin", "0"}, "invalid message id '0'");

  ASSERT_EQ(Cli({"memories"}), cli::kExitOk);
  EXPECT_TRUE(OutHas("you: our first trip 📌  (#3 read)")) << out_.str();

  ASSERT_EQ(Cli({"recall"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().recall().date(), "");
  EXPECT_EQ(out_.str(), "2026-02-14, 1 year ago:\n  [08:01] you: a year ago today  (#1 read)\n");
  ASSERT_EQ(Cli({"recall", "--date", "2027-03-01"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().recall().date(), "2027-03-01");
  ExpectUsageError({"recall", "--date", "2027-02-30"}, "February 2027 has 28 days");

  ASSERT_EQ(Cli({"search", "the", "sea", "--limit", "1"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().search().words(), "the sea");
  EXPECT_EQ(LastRequest().search().limit(), 1u);
  EXPECT_TRUE(OutHas("partner: the sea at night  (#4)")) << out_.str();
  EXPECT_TRUE(OutHas("1 message found among 120 searched; more match: add --before 4."))
      << out_.str();
  ASSERT_EQ(Cli({"search", "sea", "--before", "4"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().search().before_id(), 4u);
  ASSERT_EQ(Cli({"search", "--rebuild-index"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().has_rebuild_search_index());
  ExpectUsageError({"search", "--rebuild-index", "sea"}, "takes no words");
  ASSERT_EQ(Cli({"search", "sea"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().search().limit(), 50u);
  ExpectUsageError({"search"}, "give the WORDS");
  ExpectUsageError({"search", "--limit", "0", "sea"}, "between 1 and 1000");
}

TEST_F(CliClosenessCommands, Forget) {
  ASSERT_EQ(Cli({"forget", "12"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().forget().id(), 12u);
  EXPECT_FALSE(LastRequest().forget().keep());
  EXPECT_EQ(out_.str(), "Forgotten here; your partner is asked to forget it too.\n");
  ASSERT_EQ(Cli({"forget", "#12", "--keep"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().forget().keep());
  EXPECT_EQ(out_.str(), "You keep #12; your partner is told.\n");
  ExpectUsageError({"forget"}, "give the message's ID");
  ExpectUsageError({"forget", "--keep"}, "give the message's ID");
}

TEST_F(CliClosenessCommands, UnpairSendStatus) {
  ASSERT_EQ(Cli({"unpair", "--yes", "--forget-history"}), cli::kExitOk) << err_.str();
  EXPECT_TRUE(LastRequest().unpair().confirm());
  EXPECT_TRUE(LastRequest().unpair().forget_history());
  EXPECT_TRUE(OutHas("the history here is deleted")) << out_.str();
  ASSERT_EQ(Cli({"unpair", "--yes"}), cli::kExitOk);
  EXPECT_FALSE(LastRequest().unpair().forget_history());
  ExpectUsageError({"unpair", "--forget-history"}, "add --yes");

  ASSERT_EQ(Cli({"send", "--urgent", "call", "me"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().send().urgent());
  EXPECT_EQ(LastRequest().send().text(), "call me");
  EXPECT_TRUE(OutHas("urgent")) << out_.str();
  // What the help says is what the daemon takes: only a plain text is urgent.
  ExpectUsageError({"send", "--urgent", "--gentle", "x"},
                   "--urgent goes only with a plain text, not with --gentle");
  ExpectUsageError({"send", "--urgent", "--file", "/etc/hostname"},
                   "--urgent goes only with a plain text, not with --file");
  ASSERT_EQ(Cli({"send", "--help"}), cli::kExitOk);
  EXPECT_TRUE(OutHas("With --urgent a plain text (no --file, none of those five options)"))
      << out_.str();
  ASSERT_EQ(Cli({"send", "not urgent"}), cli::kExitOk);
  EXPECT_FALSE(LastRequest().send().urgent());

  ShareLastSeen(false);
  ASSERT_EQ(Cli({"status"}), cli::kExitOk);
  // Whether a chat is open, worded apart from the presence chosen: never "away" above
  // "here".
  EXPECT_TRUE(OutHas("\nChat open:         you no, partner no\n")) << out_.str();
  EXPECT_FALSE(OutHas("Presence:")) << out_.str();
  EXPECT_TRUE(OutHas("\nYou show:          quiet\n")) << out_.str();
  EXPECT_TRUE(OutHas("\nPartner last seen: share yours to see theirs")) << out_.str();
  EXPECT_TRUE(OutHas("\nPartner shows:     here, a chat is open\n")) << out_.str();
  EXPECT_TRUE(OutHas("\nQuiet:             until 2099-02-14 09:00 (")) << out_.str();
}

TEST_F(CliClosenessCommands, BackupReadsThePassphraseFromStdin) {
  std::filesystem::path cwd = std::filesystem::current_path();
  ASSERT_EQ(Cli({"backup", "archive.inmost"}, "correct horse\n"), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().backup().path(), (cwd / "archive.inmost").string());
  EXPECT_EQ(LastRequest().backup().passphrase(), "correct horse");
  EXPECT_TRUE(
      OutHas("Backup written to " + (cwd / "archive.inmost").string() + ": 1234 records, 1.5 MiB."))
      << out_.str();
  ASSERT_EQ(Cli({"backup", "/abs/../abs/x"}, "12345678\r\nignored\n"), cli::kExitOk);
  EXPECT_EQ(LastRequest().backup().path(), "/abs/x");
  EXPECT_EQ(LastRequest().backup().passphrase(), "12345678");

  ExpectUsageError({"backup"}, "give the FILE");
  ExpectUsageError({"backup", "x"}, "no passphrase given");
  size_t before = RequestCount();
  EXPECT_EQ(Cli({"backup", "x"}, "1234567\n"), cli::kExitUsage);
  EXPECT_NE(err_.str().find("at least 8"), std::string::npos) << err_.str();
  EXPECT_EQ(RequestCount(), before);
}

TEST_F(CliClosenessCommands, ExportPagesOnWhenNumbersDoNotGrowWithTheHistory) {
  // The second page's oldest number (5) is above the first's (3): still not the end.
  RunOnLoop([this] {  // On the server's thread, which reads it.
    handler_.numbers = {1, 5, 2, 3, 4};
    return 0;
  });
  ASSERT_EQ(Cli({"export"}), cli::kExitOk) << err_.str();
  EXPECT_TRUE(OutHas(": 5 messages.")) << out_.str();
  for (uint64_t n = 1; n <= kHistorySize; ++n) {
    EXPECT_TRUE(OutHas("message " + std::to_string(n) + "\n")) << n << " in:\n" << out_.str();
  }
}

TEST_F(CliClosenessCommands, ExportPagesThroughTheWholeHistory) {
  ASSERT_EQ(Cli({"export"}), cli::kExitOk) << err_.str();
  // Three pages: before 0, before 4, before 2; then the names for the speakers.
  EXPECT_EQ(RequestCount(), 4u);
  EXPECT_EQ(RequestFromEnd(1).history().before_id(), 2u);
  EXPECT_EQ(RequestFromEnd(1).history().limit(), 1000u);
  EXPECT_TRUE(LastRequest().has_status());
  std::string markdown = out_.str();
  EXPECT_TRUE(OutHas(": 5 messages.")) << markdown;
  size_t previous = 0;
  for (uint64_t id = 1; id <= kHistorySize; ++id) {
    size_t at = markdown.find("message " + std::to_string(id) + "\n");
    ASSERT_NE(at, std::string::npos) << id << " in:\n" << markdown;
    EXPECT_GT(at, previous) << id << " is out of order";
    previous = at;
  }

  ASSERT_EQ(Cli({"--json", "export", "--since", "2027-02-14"}), cli::kExitOk);
  EXPECT_EQ(out_.str().rfind(R"({"exported_at":")", 0), 0u) << out_.str();
  ASSERT_EQ(Cli({"export", "--format", "markdown", "--since", "2099-01-01"}), cli::kExitOk);
  EXPECT_TRUE(OutHas(": 0 messages.")) << out_.str();

  std::string file = (dir_.path() / "export.md").string();
  ASSERT_EQ(Cli({"export", "--out", file}), cli::kExitOk) << err_.str();
  std::ifstream written(file);
  std::string content((std::istreambuf_iterator<char>(written)), std::istreambuf_iterator<char>());
  EXPECT_NE(content.find("message 5"), std::string::npos) << content;
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ExpectUsageError({"export", "--out", file}, "exists; it is not replaced");

  ExpectUsageError({"export", "--format", "pdf"}, "unknown --format 'pdf'");
  ExpectUsageError({"export", "--since", "yesterday"}, "--since: invalid date");
  ExpectUsageError({"export", "extra"}, "export");
}

}  // namespace
}  // namespace inmost
