// The words of `inmost chat`'s status line. It says only what the daemon told the
// session; it never asks the daemon anything itself.
#include "cli/chat_status.h"

#include "cli/text_format.h"

namespace inmost::cli {

std::string PartnerLabel(const ChatStatus& status) {
  return OneLine(status.speakers.partner);
}

namespace {

std::string PartnerPresenceWords(const ChatStatus& status) {
  if (status.partner_present) return PartnerLabel(status) + " here";
  switch (status.partner.choice()) {
    case control::Presence::AWAY:
      return PartnerLabel(status) + " away";
    case control::Presence::QUIET:
      return PartnerLabel(status) + " quiet";
    default:
      return PartnerLabel(status) + (status.partner.quiet() ? " in quiet hours" : " not here");
  }
}

}  // namespace

std::string FormatChatStatus(const ChatStatus& status, int64_t now_unix_ms) {
  if (!status.connected) return "inmostd is not answering; reconnecting…";
  if (!status.paired) return "not paired";
  std::string line = status.link_up ? "link up · " + PartnerPresenceWords(status) : "link down";
  if (status.link_up && now_unix_ms < status.partner_writing_until_unix_ms) {
    line += " · " + PartnerLabel(status) + " is writing…";
  }
  if (status.quiet) {
    line += " · quiet";
    if (status.quiet_until_unix_ms > 0) {
      line += " until " + LocalTime(status.quiet_until_unix_ms, "%H:%M");
    }
  }
  if (status.next_envelope_id != 0) {
    int64_t left = status.next_envelope_at_unix_ms - now_unix_ms;
    line += " · #" + std::to_string(status.next_envelope_id) +
            (left > 0 ? " opens in " + FormatCountdown(left) : " opening");
  }
  return line;
}

}  // namespace inmost::cli
