#include "cli/presence_view.h"

#include "cli/text_format.h"

namespace inmost::cli {
namespace {

using Choice = control::Presence::Choice;

constexpr struct {
  Choice choice;
  std::string_view name;
} kChoices[] = {
    {control::Presence::HERE, "here"},
    {control::Presence::AWAY, "away"},
    {control::Presence::QUIET, "quiet"},
    {control::Presence::HIDDEN, "hidden"},
};

std::string Shows(const control::PartnerView& view) {
  std::string shows = view.choice() == control::Presence::CHOICE_UNSPECIFIED
                          ? "unknown (not said, or hidden from you)"
                          : std::string(PresenceChoiceName(view.choice()));
  if (view.present()) shows += ", a chat is open";
  // Quiet hours or `inmost quiet` on their side: what they hold back, not a choice of
  // presence (choosing "quiet" shows as the choice itself).
  if (view.quiet()) shows += ", quiet now (only urgent messages are announced to them)";
  return shows;
}

std::string Boundaries(const control::PartnerView& view) {
  if (!view.known()) return "not known yet (they arrive once the link is up)";
  std::string budget = view.nudge_budget_per_hour() == 0
                           ? "accepts no nudges"
                           : "accepts " + Count(view.nudge_budget_per_hour(), "nudge") + " an hour";
  return std::string("read receipts ") + (view.read_receipts() ? "on" : "off") +
         ", honours forget " + (view.honour_forget() ? "on" : "off") + ", " + budget;
}

// Why their last seen is missing, in the words that say what to do about it.
std::string LastSeen(const control::PartnerView& view, const YourSharing& yours) {
  if (view.last_seen_unix_ms() != 0) return LocalTime(view.last_seen_unix_ms(), kDateTimeFormat);
  if (!yours.known) return "not shared";
  if (yours.hidden) return "not shown while you are hidden";
  if (!yours.share_last_seen) {
    return "share yours to see theirs: inmost config share-last-seen on";
  }
  return "not shared by your partner (or not seen yet)";
}

}  // namespace

Result<Choice> ParsePresenceChoice(std::string_view name) {
  for (const auto& known : kChoices) {
    if (known.name == name) return known.choice;
  }
  return InvalidArgument("unknown presence '" + std::string(name) +
                         "': use here, away, quiet or hidden");
}

std::string_view PresenceChoiceName(Choice choice) {
  for (const auto& known : kChoices) {
    if (known.choice == choice) return known.name;
  }
  return "unknown";
}

std::vector<Field> PartnerViewFields(const control::PartnerView& view, const YourSharing& yours) {
  return {
      {"Partner shows", Shows(view)},
      {"Partner last seen", LastSeen(view, yours)},
      {"Their boundaries", Boundaries(view)},
  };
}

std::string PartnerViewSummary(const control::PartnerView& view) {
  return Shows(view) + "; " + Boundaries(view);
}

}  // namespace inmost::cli
