// How nudges, same moments, reactions, pins, urgency, forgets, quiet summaries and
// the partner's view look in history and chat.
#include <gtest/gtest.h>

#include <string>

#include "cli/message_format.h"
#include "cli/presence_view.h"
#include "cli/text_format.h"
#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Message;
using test::UtcTest;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z

Message Text(uint64_t id, Message::Direction direction, Message::State state, std::string text) {
  Message message;
  message.set_id(id);
  message.set_direction(direction);
  message.set_state(state);
  message.set_text(std::move(text));
  message.set_sent_at_unix_ms(kNow);
  if (direction == Message::INCOMING) message.set_received_at_unix_ms(kNow);
  return message;
}

Message Nudge(uint64_t id, Message::Direction direction, control::Nudge::Kind kind,
              uint32_t count) {
  Message message = Text(id, direction, Message::READ, "");
  message.set_kind(Message::NUDGE);
  message.mutable_nudge()->set_kind(kind);
  message.mutable_nudge()->set_count(count);
  return message;
}

std::string Format(const Message& message) {
  return cli::FormatMessage(message, cli::kDateTimeFormat, kNow);
}

TEST(CliClosenessFormat, IncomingMessagesShowTheirId) {
  UtcTest utc;
  // react, pin and forget take an id: every line shows it.
  EXPECT_EQ(Format(Text(9, Message::INCOMING, Message::READ, "hi")),
            "[2027-02-14 08:00] partner: hi  (#9)");
  EXPECT_EQ(Format(Text(9, Message::INCOMING, Message::DELIVERED, "hi")),
            "[2027-02-14 08:00] partner: hi  (#9 new)");
  EXPECT_EQ(Format(Text(9, Message::INCOMING, Message::STATE_UNSPECIFIED, "hi")),
            "[2027-02-14 08:00] partner: hi  (#9)");
  EXPECT_EQ(Format(Text(9, Message::OUTGOING, Message::READ, "hi")),
            "[2027-02-14 08:00] you: hi  (#9 read)");
}

TEST(CliClosenessFormat, Nudges) {
  UtcTest utc;
  EXPECT_EQ(Format(Nudge(30, Message::INCOMING, control::Nudge::HUG, 3)),
            "[2027-02-14 08:00] partner: (hug ×3)  (#30)");
  Message mine = Nudge(31, Message::OUTGOING, control::Nudge::MISSING_YOU, 1);
  mine.set_state(Message::PENDING);
  EXPECT_EQ(Format(mine), "[2027-02-14 08:00] you: (missing you)  (#31 pending)");
  Message over = Nudge(32, Message::INCOMING, control::Nudge::KISS, 0);
  over.set_state(Message::DELIVERED);
  over.mutable_nudge()->set_over_budget(true);
  EXPECT_EQ(Format(over),
            "[2027-02-14 08:00] partner: (kiss)  (#32 new, over your nudge budget: not announced)");
  // A nudge has no text; should one come with some, it is still a nudge.
  Message texted = Nudge(33, Message::INCOMING, control::Nudge::LAUGH, 0);
  texted.set_text("words");
  EXPECT_EQ(Format(texted), "[2027-02-14 08:00] partner: (laugh)  (#33)");
}

TEST(CliClosenessFormat, Moment) {
  UtcTest utc;
  Message moment;
  moment.set_id(34);
  moment.set_kind(Message::MOMENT);
  moment.set_sent_at_unix_ms(kNow);
  EXPECT_EQ(Format(moment), "[2027-02-14 08:00] ✨ same moment: you both reached out  (#34)");
}

TEST(CliClosenessFormat, ReactionsPinsAndUrgency) {
  UtcTest utc;
  Message message = Text(35, Message::OUTGOING, Message::READ, "good night");
  message.set_my_reaction("❤");
  message.set_their_reaction("😂");
  EXPECT_EQ(Format(message), "[2027-02-14 08:00] you: good night [you: ❤ · them: 😂]  (#35 read)");
  message.clear_my_reaction();
  message.set_pinned(true);
  EXPECT_EQ(Format(message), "[2027-02-14 08:00] you: good night 📌 [them: 😂]  (#35 read)");
  message.clear_their_reaction();
  message.set_my_reaction("👍");
  EXPECT_EQ(Format(message), "[2027-02-14 08:00] you: good night 📌 [you: 👍]  (#35 read)");

  Message urgent = Text(36, Message::INCOMING, Message::DELIVERED, "call me");
  urgent.set_urgent(true);
  EXPECT_EQ(Format(urgent), "[2027-02-14 08:00] partner: call me  (#36 new, urgent)");
  urgent.set_state(Message::READ);
  EXPECT_EQ(Format(urgent), "[2027-02-14 08:00] partner: call me  (#36, urgent)");

  // The partner's reaction cannot command the terminal or break the line.
  Message hostile = Text(37, Message::OUTGOING, Message::READ, "x");
  hostile.set_their_reaction("\x1b[2J\n\xc2\x9b");
  std::string shown = Format(hostile);
  EXPECT_EQ(shown.find('\x1b'), std::string::npos) << shown;
  EXPECT_EQ(shown.find('\n'), std::string::npos) << shown;
  EXPECT_EQ(shown.find("\xc2\x9b"), std::string::npos) << shown;
}

TEST(CliClosenessFormat, Forgets) {
  UtcTest utc;
  Message asked = Text(38, Message::OUTGOING, Message::READ, "");
  asked.set_forget(Message::ASKED);
  EXPECT_EQ(Format(asked),
            "[2027-02-14 08:00] you: (forgotten)  (#38 forgotten here; your partner is asked to "
            "forget it too)");
  asked.set_forget(Message::FORGOTTEN_BOTH);
  EXPECT_EQ(Format(asked), "[2027-02-14 08:00] you: (forgotten)  (#38 forgotten on both sides)");
  asked.set_forget(Message::PARTNER_KEPT);
  EXPECT_NE(Format(asked).find("your partner chose to keep theirs"), std::string::npos);

  // Whatever it was (here a sealed message), nothing of it is described.
  Message envelope = Text(39, Message::INCOMING, Message::READ, "left over");
  envelope.set_kind(Message::ENVELOPE);
  envelope.mutable_envelope()->set_kind(Message::Envelope::GENTLE);
  envelope.mutable_envelope()->set_note("a note");
  envelope.set_forget(Message::FORGOTTEN);
  EXPECT_EQ(Format(envelope), "[2027-02-14 08:00] partner: (forgotten)  (#39 forgotten here)");

  Message asks = Text(40, Message::INCOMING, Message::READ, "oops");
  asks.set_forget(Message::PARTNER_ASKS);
  EXPECT_EQ(Format(asks),
            "[2027-02-14 08:00] partner: oops  (#40, your partner asks you to forget it: inmost "
            "forget 40, or to keep it: inmost forget 40 --keep)");
  asks.set_forget(Message::KEPT);
  EXPECT_EQ(Format(asks),
            "[2027-02-14 08:00] partner: oops  (#40, kept: your partner asked you to forget it)");
}

TEST(CliClosenessFormat, ChatEvents) {
  UtcTest utc;
  control::Event event;
  event.mutable_same_moment()->mutable_message()->set_id(34);
  EXPECT_EQ(cli::FormatChatEvent(event), "-- ✨ same moment: you both reached out (#34)");

  control::QuietSummary* summary = event.mutable_quiet_summary();
  summary->set_messages(3);
  summary->set_nudges(1);
  summary->set_first_id(41);
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- Quiet ended: 3 messages, 1 nudge, 0 envelopes arrived (the first is #41).");
  summary->set_messages(1);
  summary->set_nudges(0);
  summary->set_envelopes(2);
  summary->set_first_id(0);
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- Quiet ended: 1 message, 0 nudges, 2 envelopes arrived.");

  control::PartnerView* view = event.mutable_partner_changed()->mutable_partner();
  view->set_choice(control::Presence::AWAY);
  view->set_quiet(true);
  view->set_known(true);
  view->set_read_receipts(true);
  view->set_nudge_budget_per_hour(6);
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- your partner shows: away, quiet now (only urgent messages are announced to them); "
            "read receipts on, honours forget off, accepts 6 nudges an hour");
}

TEST(CliClosenessFormat, PartnerView) {
  UtcTest utc;
  control::PartnerView view;
  std::vector<cli::Field> fields = cli::PartnerViewFields(view, {});
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].value, "unknown (not said, or hidden from you)");
  EXPECT_EQ(fields[1].value, "not shared");
  EXPECT_EQ(fields[2].value, "not known yet (they arrive once the link is up)");
  // No last seen: what you can do about it, when your own sharing is known.
  EXPECT_EQ(
      cli::PartnerViewFields(view, {.known = true, .hidden = false, .share_last_seen = false})[1]
          .value,
      "share yours to see theirs: inmost config share-last-seen on");
  EXPECT_EQ(
      cli::PartnerViewFields(view, {.known = true, .hidden = false, .share_last_seen = true})[1]
          .value,
      "not shared by your partner (or not seen yet)");
  EXPECT_EQ(
      cli::PartnerViewFields(view, {.known = true, .hidden = true, .share_last_seen = false})[1]
          .value,
      "not shown while you are hidden");

  view.set_choice(control::Presence::HERE);
  view.set_present(true);
  view.set_last_seen_unix_ms(kNow);
  view.set_known(true);
  view.set_honour_forget(true);
  view.set_nudge_budget_per_hour(1);
  fields = cli::PartnerViewFields(view, {.known = true, .hidden = false, .share_last_seen = true});
  EXPECT_EQ(cli::FieldLine(fields[0].label, fields[0].value),
            "Partner shows:     here, a chat is open");
  EXPECT_EQ(cli::FieldLine(fields[1].label, fields[1].value),
            "Partner last seen: 2027-02-14 08:00");
  EXPECT_EQ(cli::FieldLine(fields[2].label, fields[2].value),
            "Their boundaries:  read receipts off, honours forget on, accepts 1 nudge an hour");
  view.set_nudge_budget_per_hour(0);
  EXPECT_NE(cli::PartnerViewSummary(view).find("accepts no nudges"), std::string::npos);

  EXPECT_EQ(cli::FieldLine("", "more"), std::string(19, ' ') + "more");
  EXPECT_EQ(cli::FieldLine("A label longer than the column", "x"),
            "A label longer than the column: x");
}

TEST(CliClosenessFormat, PresenceChoices) {
  for (const char* name : {"here", "away", "quiet", "hidden"}) {
    Result<control::Presence::Choice> choice = cli::ParsePresenceChoice(name);
    ASSERT_TRUE(choice.ok()) << name;
    EXPECT_EQ(cli::PresenceChoiceName(*choice), name);
  }
  EXPECT_EQ(cli::PresenceChoiceName(control::Presence::CHOICE_UNSPECIFIED), "unknown");
  for (const char* bad : {"", "unknown", "Here", "busy"}) {
    EXPECT_EQ(cli::ParsePresenceChoice(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace inmost
