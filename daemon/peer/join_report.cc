#include "daemon/peer/join_report.h"

#include <algorithm>

namespace inmost::peer {

namespace {

using What = JoinAttemptReport::What;

std::string Duration(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + " s";
  return std::to_string(timeout.count()) + " ms";
}

// Connect's messages name the address ("cannot connect to ADDRESS: reason"), which the
// line names already; other messages (a proxy's, say) are kept whole.
std::string WithoutAddress(std::string message, const std::string& address) {
  for (const std::string& prefix : {"cannot connect to " + address, "cannot resolve " + address}) {
    if (message.starts_with(prefix)) {
      message.replace(
          0, prefix.size(),
          prefix.starts_with("cannot connect") ? "cannot connect" : "cannot resolve it");
      break;
    }
  }
  return message;
}

constexpr std::string_view kNotTheInviter =
    "answered, but it is not the daemon that made this invite";

}  // namespace

std::string DescribeJoinAttempt(const JoinAttemptReport& report,
                                std::chrono::milliseconds timeout) {
  std::string line = report.address + ": ";
  if (report.timeout.count() > 0) timeout = report.timeout;
  switch (report.what) {
    case What::kCannotConnect:
      return line + WithoutAddress(report.detail, report.address);
    case What::kTimedOut:
      return line +
             (report.connected ? "connected, but no answer within " + Duration(timeout)
                               : "no connection within " + Duration(timeout)) +
             " (timed out)";
    case What::kThisDaemon:
      return line + std::string(kNotTheInviter) + " (it is this daemon itself)";
    case What::kNotTheInviter:
      return line + std::string(kNotTheInviter) +
             " (it hung up on the invite's hello: another inmost daemon or another program "
             "listens there)";
    case What::kRefused:
      return line + "the inviter refused this code: it was used or has expired";
    case What::kWrongSecret:
      return line + "the inviter refused this code: its open invite is a newer one";
    case What::kBusy:
      return line +
             "the inviter is busy: too many handshakes from this address; try again "
             "in a minute";
    case What::kFailed:
      return line + "the handshake failed: " + report.detail;
  }
  return line + report.detail;
}

Status JoinFailed(const std::vector<JoinAttemptReport>& reports,
                  std::chrono::milliseconds timeout) {
  std::string message = "could not join; at each address in the invite:";
  for (const auto& report : reports) message += "\n  " + DescribeJoinAttempt(report, timeout);
  const auto refused = std::any_of(reports.begin(), reports.end(), [](const auto& report) {
    return report.what == What::kRefused || report.what == What::kWrongSecret;
  });
  if (refused) {
    return PermissionDenied(
        message + "\nAsk your partner for a new code ('inmost invite') and join with it.");
  }
  const auto all_self = std::all_of(reports.begin(), reports.end(), [](const auto& report) {
    return report.what == What::kThisDaemon;
  });
  if (all_self) {
    return Unavailable(message +
                       "\nEvery address in the invite leads back to this daemon, not to your "
                       "partner's: ask them for an invite with an address you can reach.");
  }
  return Unavailable(message +
                     "\nCheck that your partner's daemon runs and can be reached from here at "
                     "one of these addresses.");
}

}  // namespace inmost::peer
