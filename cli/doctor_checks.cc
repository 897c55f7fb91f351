#include "cli/doctor_checks.h"

#include <cstdlib>

#include "cli/text_format.h"

namespace inmost::cli {
namespace {

CheckResult Found(std::string check, CheckState state, std::string finding,
                  std::string advice = {}) {
  return CheckResult{std::move(check), state, std::move(finding), std::move(advice)};
}

std::string Quoted(const std::string& text) {
  return "'" + TerminalSafe(text) + "'";
}

std::string GiB(uint64_t bytes) {
  const uint64_t tenths = bytes * 10 / (uint64_t{1} << 30);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " GiB";
}

}  // namespace

const char* CheckStateName(CheckState state) {
  switch (state) {
    case CheckState::kOk:
      return "ok";
    case CheckState::kWarn:
      return "warn";
    case CheckState::kFail:
      return "FAIL";
    case CheckState::kSkipped:
      return "skipped";
  }
  return "?";
}

CheckResult CheckDaemonAnswered(const std::string& socket, const control::StatusReply& status) {
  std::string finding = "inmostd answers on " + TerminalSafe(socket);
  if (!status.version().empty()) finding += " (" + TerminalSafe(status.version()) + ")";
  return Found("daemon", CheckState::kOk, finding);
}

CheckResult CheckDaemonUnreachable(const std::string& socket, const std::string& why) {
  return Found("daemon", CheckState::kFail,
               "no daemon answers on " + TerminalSafe(socket) + ": " + TerminalSafe(why),
               "start it: 'inmostd run' (or 'systemctl --user start inmostd'); if it runs "
               "elsewhere, point at its socket with --socket or --data-dir");
}

CheckResult CheckDataDir(const LocalFacts& facts) {
  if (!facts.data_dir_here) {
    return Found(
        "data dir", CheckState::kSkipped,
        Quoted(facts.data_dir) + " is not on this machine (the daemon may run on another)");
  }
  if (facts.data_dir_open) {
    return Found("data dir", CheckState::kFail, Quoted(facts.data_dir) + " lets other users in",
                 "make it yours alone: chmod 700 " + Quoted(facts.data_dir));
  }
  if (!facts.foreign_paths.empty()) {
    std::string list;
    for (size_t i = 0; i < facts.foreign_paths.size() && i < 3; ++i) {
      list += (i > 0 ? ", " : "") + Quoted(facts.foreign_paths[i]);
    }
    if (facts.foreign_paths.size() > 3) {
      list += " and " + std::to_string(facts.foreign_paths.size() - 3) + " more";
    }
    return Found("data dir", CheckState::kFail,
                 "in " + Quoted(facts.data_dir) + ", another user owns " + list,
                 "give them back to the user the daemon runs as: chown -R that user " +
                     Quoted(facts.data_dir));
  }
  return Found("data dir", CheckState::kOk, Quoted(facts.data_dir) + " is yours alone");
}

CheckResult CheckClock(const control::StatusReply& status) {
  if (!status.paired()) return Found("clock", CheckState::kSkipped, "no partner to compare with");
  if (!status.has_partner_daemon()) {
    return Found("clock", CheckState::kSkipped,
                 "not compared yet: the link has not been up since your daemon started");
  }
  const int64_t offset = status.partner_daemon().clock_offset_ms();
  const int64_t distance = std::llabs(offset);
  const std::string how_far = FormatCountdown(distance);
  if (distance <= kClockSkewWarnMs) {
    return Found("clock", CheckState::kOk,
                 "within " + how_far + " of your partner's (at the last link up)");
  }
  return Found("clock", CheckState::kWarn,
               std::string(offset > 0 ? "your partner's clock is " + how_far + " ahead of yours"
                                      : "your clock is " + how_far + " ahead of your partner's") +
                   ": sealed envelopes open by the sender's clock, so they open early or late",
               "set the wrong clock right on its machine (timedatectl set-ntp true)");
}

CheckResult CheckPartnerLink(const control::StatusReply& status, int64_t now_unix_ms) {
  if (status.has_pairing_ended() && !status.paired()) {
    return Found("partner", CheckState::kWarn, "the pairing ended; no partner now",
                 "pair again: 'inmost invite' here, 'inmost join CODE' on the other side");
  }
  if (!status.paired()) {
    return Found("partner", CheckState::kWarn, "not paired",
                 "pair: 'inmost invite' here, then 'inmost join CODE' on your partner's side");
  }
  if (status.link_up()) {
    if (!status.partner_refuses().empty()) {
      return Found("partner", CheckState::kWarn,
                   "link up, but your partner's daemon takes no more for now: " +
                       TerminalSafe(status.partner_refuses()),
                   "what you send waits here and leaves once it has room");
    }
    return Found("partner", CheckState::kOk, "link up");
  }
  std::string finding = "link down";
  if (status.link_last_up_unix_ms() > 0) {
    finding += ", last up " + FormatCountdown(now_unix_ms - status.link_last_up_unix_ms()) + " ago";
  } else {
    finding += ", not up since your daemon started";
  }
  if (status.dial_failures_size() == 0) {
    finding += "; no dial has failed yet";
  }
  for (const control::DialFailure& failure : status.dial_failures()) {
    finding += "; " + TerminalSafe(failure.address()) + ": " + TerminalSafe(failure.error());
  }
  std::string advice = "ask your partner whether their daemon runs ('inmost doctor' there)";
  if (status.partner_addresses_size() == 0) {
    advice = "no address is known for your partner: 'inmost partner --add HOST:PORT'";
  }
  return Found("partner", CheckState::kFail, finding, advice);
}

CheckResult CheckTor(const control::StatusReply& status) {
  const control::TorStatus& tor = status.tor();
  const std::string& state = tor.state();
  if (state.empty() || state == "off") return Found("tor", CheckState::kSkipped, "off");
  if (state == "ready") {
    if (tor.published()) {
      return Found("tor", CheckState::kOk,
                   "ready; onion " + TerminalSafe(tor.onion_address()) + " published");
    }
    return Found("tor", CheckState::kWarn, "ready, the onion service not yet published",
                 "wait a minute; your partner reaches you over Tor once it is");
  }
  if (state == "starting" || state == "bootstrapping") {
    return Found("tor", CheckState::kWarn,
                 TerminalSafe(state) + " (" + std::to_string(tor.progress()) + "%)",
                 "wait for Tor to finish bootstrapping");
  }
  return Found("tor", CheckState::kFail, TerminalSafe(state) + ": " + TerminalSafe(tor.detail()),
               state == "unavailable" ? "install tor (apt install tor), or set tor = off"
                                      : "see the detail above; inmostd retries by itself");
}

CheckResult CheckPortMapping(const control::StatusReply& status) {
  const control::PortMappingStatus& mapping = status.port_mapping();
  const std::string& state = mapping.state();
  if (state.empty() || state == "off") return Found("port mapping", CheckState::kSkipped, "off");
  if (state == "mapped") {
    return Found("port mapping", CheckState::kOk,
                 TerminalSafe(mapping.protocol()) + " maps " +
                     TerminalSafe(mapping.external_address()) + " to " +
                     TerminalSafe(mapping.internal_address()));
  }
  if (state == "searching") {
    return Found("port mapping", CheckState::kWarn, "asking the router",
                 "wait; Tor and the LAN still reach you meanwhile");
  }
  return Found("port mapping", CheckState::kWarn, "no mapping: " + TerminalSafe(mapping.reason()),
               "turn on UPnP or NAT-PMP on your router, or rely on Tor");
}

CheckResult CheckDisk(const LocalFacts& facts) {
  if (!facts.free_bytes) {
    return Found("disk", CheckState::kSkipped, "the data directory is not on this machine");
  }
  const uint64_t free = *facts.free_bytes;
  const std::string finding = GiB(free) + " free for the data directory";
  if (free < kDiskFailBytes) {
    return Found("disk", CheckState::kFail, finding,
                 "free some space: below this the daemon refuses what it cannot store");
  }
  if (free < kDiskWarnBytes) {
    return Found("disk", CheckState::kWarn, finding, "free some space before files fill it");
  }
  return Found("disk", CheckState::kOk, finding);
}

CheckResult CheckVersions(const control::StatusReply& status, const LocalFacts& facts) {
  std::string finding = "inmost " + TerminalSafe(facts.client_version);
  if (!status.version().empty()) finding += ", your inmostd " + TerminalSafe(status.version());
  if (!status.has_partner_daemon() || status.partner_daemon().version().empty()) {
    return Found("versions", CheckState::kOk, finding + "; your partner's not known yet");
  }
  const std::string& theirs = status.partner_daemon().version();
  finding += ", your partner's inmostd " + TerminalSafe(theirs);
  // "0.9.0 (git abc)": the release number is what decides what each understands.
  auto release = [](const std::string& v) { return v.substr(0, v.find(' ')); };
  if (release(theirs) != release(status.version())) {
    return Found("versions", CheckState::kWarn, finding,
                 "update the older one; newer features wait until both have them");
  }
  return Found("versions", CheckState::kOk, finding);
}

std::vector<CheckResult> CheckAll(const std::string& socket, const control::StatusReply& status,
                                  const LocalFacts& facts, int64_t now_unix_ms) {
  return {CheckDaemonAnswered(socket, status),
          CheckDataDir(facts),
          CheckClock(status),
          CheckPartnerLink(status, now_unix_ms),
          CheckTor(status),
          CheckPortMapping(status),
          CheckDisk(facts),
          CheckVersions(status, facts)};
}

}  // namespace inmost::cli
