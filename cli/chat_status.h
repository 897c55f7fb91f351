// The status line of `inmost chat`: whether inmostd answers, the link, your partner's
// presence, your quiet, and the countdown to the next sealed envelope. Only words:
// the screen draws them and the session fills them in from the daemon.
#pragma once

#include <cstdint>
#include <string>

#include "cli/speakers.h"
#include "proto/control.pb.h"

namespace inmost::cli {

struct ChatStatus {
  bool connected = false;  // inmostd answers.
  bool paired = false;
  bool link_up = false;
  bool partner_present = false;  // A chat is open on their side.
  control::PartnerView partner;  // What they show: away, quiet ...
  bool quiet = false;            // Your own quiet.
  int64_t quiet_until_unix_ms = 0;
  uint64_t next_envelope_id = 0;  // The sealed envelope that opens next (0: none).
  int64_t next_envelope_at_unix_ms = 0;
  int64_t partner_writing_until_unix_ms = 0;  // Your partner is writing until then.
  Speakers speakers;  // "you", and your partner by their name (`config name`).
};

// Who the other side is called in chat's own lines: their name, else "partner".
std::string PartnerLabel(const ChatStatus& status);

// "link up · Sam here · Sam is writing… · quiet until 21:30 · #12 opens in 2h 3m",
// counting from `now_unix_ms`.
std::string FormatChatStatus(const ChatStatus& status, int64_t now_unix_ms);

}  // namespace inmost::cli
