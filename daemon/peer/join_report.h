// What happened at each address of an invite when joining, and the error that tells
// the user: one line per address, naming it and what it did (cannot connect, timed
// out, not the inviter, refused by the inviter, handshake failed). Text only: it must
// never dial, and never print the invite's secret or code.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "inmost/status.h"

namespace inmost::peer {

struct JoinAttemptReport {
  enum class What {
    kCannotConnect,  // No connection: refused, unreachable, a name that does not resolve.
    kTimedOut,       // No connection, or no answer on it, within the handshake timeout.
    kThisDaemon,     // The address leads back to the joining daemon itself.
    kNotTheInviter,  // Something answered but hung up on the invite's hello.
    kRefused,        // The inviter has no open invite: this code was used or expired.
    kWrongSecret,    // The inviter's open invite has another secret: a newer one.
    kBusy,           // The inviter refused to work on more hellos from us for now.
    kFailed,         // The handshake failed otherwise; `detail` says how.
  };
  std::string address;
  What what = What::kFailed;
  std::string detail;      // The underlying error's message (kCannotConnect, kFailed).
  bool connected = false;  // kTimedOut: whether the connection was made.
  // The attempt's bound when it differs from the link's handshake timeout (an onion's).
  std::chrono::milliseconds timeout{0};
};

// "ADDRESS: what happened there", e.g. "127.0.0.1:7433: answered, but it is not the
// daemon that made this invite (it is this daemon itself)".
std::string DescribeJoinAttempt(const JoinAttemptReport& report, std::chrono::milliseconds timeout);

// The error for a join that failed at every address: a first line, then one line per
// report, then what to do. PermissionDenied when the inviter refused the code,
// otherwise Unavailable.
Status JoinFailed(const std::vector<JoinAttemptReport>& reports, std::chrono::milliseconds timeout);

}  // namespace inmost::peer
