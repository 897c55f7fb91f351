// `inmost status`: who this daemon is, who its partner is, whether the link is up,
// and what each of you shows the other.
#include <optional>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/presence_view.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "status", "[options]",
    "Shows this daemon's key fingerprint, the partner's fingerprint, the safety number\n"
    "to compare with your partner over a channel you trust, whether the link to the\n"
    "partner is up, whether each of you has a chat open ('inmost chat', or 'inmost\n"
    "watch --present': what messages sent with --together wait for), what you show\n"
    "your partner and what they show you ('inmost presence': here, away, quiet or\n"
    "hidden, chosen apart from any chat), their boundaries, whether you are quiet\n"
    "('inmost quiet'), how many sent messages the partner has not yet stored, and\n"
    "this daemon's Tor: its state and the onion address your partner reaches you at,\n"
    "and the direct paths: the addresses your partner is told, the home router's port\n"
    "mapping (option port-mapping) and the beacons on the local network (lan-discovery).\n"};

// "ready, launched tor; onion abc...xyz.onion:7433 (published)".
std::string TorLine(const control::TorStatus& tor) {
  const std::string& state = tor.state();
  std::string line = TerminalSafe(state);
  if (state == "bootstrapping") line += " " + std::to_string(tor.progress()) + "%";
  if (!tor.source().empty()) {
    line += tor.source() == "system" ? ", the system's Tor" : ", a tor of its own";
  }
  if ((state == "failed" || state == "unavailable") && !tor.detail().empty()) {
    line += ": " + TerminalSafe(tor.detail());
  }
  if (tor.tor_only()) line += "; tor-only";
  return line;
}

void PrintTor(std::ostream& out, const control::TorStatus& tor) {
  // An older daemon says nothing of Tor: no line rather than "off".
  if (tor.state().empty()) return;
  out << FieldLine("Tor", TorLine(tor)) << '\n';
  if (!tor.onion_address().empty()) {
    out << FieldLine("Onion address",
                     TerminalSafe(tor.onion_address()) +
                         (tor.published() ? " (published)" : " (not yet published)"))
        << '\n';
  }
}

// "UPnP-IGD: 5.6.7.1:7433 to 192.168.1.20:7433, lease 58 min left", or why none.
std::string MappingLine(const control::PortMappingStatus& mapping) {
  const std::string& state = mapping.state();
  if (state == "mapped") {
    std::string line = TerminalSafe(mapping.protocol()) + ": " +
                       TerminalSafe(mapping.external_address()) + " to " +
                       TerminalSafe(mapping.internal_address());
    if (mapping.lease_left_seconds() > 0) {
      line += ", lease " + FormatCountdown(int64_t{mapping.lease_left_seconds()} * 1000) + " left";
    }
    return line;
  }
  if (state == "searching") return "asking the router";
  if (state == "off") return "off";
  return "none: " + TerminalSafe(mapping.reason());
}

// MappingLine, then "; IPv6 pinhole [2001:db8::2]:7433" with every pinhole the router
// opened.
std::string PortMappingLine(const control::PortMappingStatus& mapping) {
  std::string line = MappingLine(mapping);
  for (int i = 0; i < mapping.ipv6_pinholes_size(); ++i) {
    line += (i == 0 ? "; IPv6 pinhole " : ", ") + TerminalSafe(mapping.ipv6_pinholes(i));
  }
  return line;
}

void PrintDirectPaths(std::ostream& out, const control::StatusReply& status) {
  if (status.own_addresses_size() > 0) {
    std::string addresses;
    for (int i = 0; i < status.own_addresses_size(); ++i) {
      addresses += (i > 0 ? ", " : "") + TerminalSafe(status.own_addresses(i));
    }
    out << FieldLine("Reachable at", addresses) << '\n';
  }
  // An older daemon says nothing of these: no lines rather than "off".
  if (!status.port_mapping().state().empty()) {
    out << FieldLine("Port mapping", PortMappingLine(status.port_mapping())) << '\n';
  }
  const control::LanDiscoveryStatus& lan = status.lan();
  if (lan.state() == "on") {
    out << FieldLine("LAN discovery", "on (" + std::to_string(lan.sent()) + " beacons sent, " +
                                          std::to_string(lan.recognised()) +
                                          " of your partner's seen)")
        << '\n';
  } else if (!lan.state().empty()) {
    out << FieldLine("LAN discovery", lan.state() == "failed"
                                          ? "failed: " + TerminalSafe(lan.detail())
                                          : TerminalSafe(lan.state()))
        << '\n';
  }
}

// "Sam ended the pairing on 2026-12-05", "you ended the pairing on ...; ...".
std::string PairingEndedLine(const control::PairingEnded& ended) {
  const std::string day = LocalTime(ended.at_unix_ms(), "%Y-%m-%d");
  const std::string them = ended.name().empty() ? "your partner" : TerminalSafe(ended.name());
  if (ended.by_partner()) return them + " ended the pairing on " + day;
  std::string line = "you ended the pairing on " + day;
  return line + (ended.partner_told() ? "; " + them + "'s daemon knows"
                                      : "; " + them + "'s daemon was not told");
}

// Whether you share your last seen, which status does not carry: asked with a
// `presence` request that changes nothing. A daemon that does not answer it leaves
// the partner's last seen unexplained rather than guessed.
YourSharing YourSharingOf(Client& client) {
  control::Request request;
  request.mutable_presence();
  Result<control::Response> reply = client.Exchange(request);
  if (!reply.ok() || !reply->has_presence()) return {};
  return {.known = true,
          .hidden = reply->presence().choice() == control::Presence::HIDDEN,
          .share_last_seen = reply->presence().share_last_seen()};
}

void PrintStatus(std::ostream& out, const control::StatusReply& status, const YourSharing& yours) {
  out << FieldLine("Fingerprint", status.fingerprint()) << '\n';
  out << FieldLine("Name", status.name().empty()
                               ? std::string("none ('inmost config name NAME' sets it)")
                               : TerminalSafe(status.name()))
      << '\n';
  if (!status.paired()) {
    if (status.has_pairing_ended()) {
      out << FieldLine("Pairing", PairingEndedLine(status.pairing_ended())) << '\n';
    }
    out << FieldLine("Partner", "not paired (make an invite with 'inmost invite', or") << '\n'
        << FieldLine("", "join one with 'inmost join CODE')") << '\n';
  } else {
    std::string partner = TerminalSafe(status.partner_fingerprint());
    if (!status.partner().name().empty()) {
      partner = TerminalSafe(status.partner().name()) + " (" + partner + ")";
    }
    out << FieldLine("Partner", partner) << '\n';
    if (status.has_pairing_ended()) {
      out << FieldLine("Pairing", "you ended it on " +
                                      LocalTime(status.pairing_ended().at_unix_ms(), "%Y-%m-%d") +
                                      "; your partner's daemon is told as soon as it is "
                                      "reachable, and nothing else is sent")
          << '\n';
    }
    std::vector<std::string> lines = SafetyNumberLines(status.safety_number());
    for (size_t i = 0; i < lines.size(); ++i) {
      out << FieldLine(i == 0 ? "Safety number" : "", lines[i]) << '\n';
    }
    out << FieldLine("Link", status.link_up() ? "up" : "down") << '\n';
    // Whether a chat window is open, not the presence chosen below: a person can
    // show "away" with a chat open. Named so the two never read as a contradiction.
    out << FieldLine("Chat open", std::string("you ") + (status.present() ? "yes" : "no") +
                                      ", partner " +
                                      (!status.link_up()          ? "unknown (the link is down)"
                                       : status.partner_present() ? "yes"
                                                                  : "no"))
        << '\n';
    // An older daemon says nothing of presence choices: no line rather than "unknown".
    if (status.presence() != control::Presence::CHOICE_UNSPECIFIED) {
      out << FieldLine("You show", PresenceChoiceName(status.presence())) << '\n';
    }
    if (status.has_partner()) {
      for (const Field& field : PartnerViewFields(status.partner(), yours)) {
        out << FieldLine(field.label, field.value) << '\n';
      }
    }
    if (status.partner_addresses_size() > 0) {
      std::string addresses;
      for (int i = 0; i < status.partner_addresses_size(); ++i) {
        addresses += (i > 0 ? ", " : "") + TerminalSafe(status.partner_addresses(i));
      }
      out << FieldLine("Partner addresses", addresses) << '\n';
    }
    out << FieldLine("Not yet delivered", std::to_string(status.unacknowledged())) << '\n';
    if (!status.partner_refuses().empty()) {
      out << FieldLine("Partner refuses", "their daemon takes no more for now (" +
                                              TerminalSafe(status.partner_refuses()) +
                                              "): it waits here")
          << '\n';
    }
    if (!status.refusing_partner().empty()) {
      out << FieldLine("Refusing", "no more from your partner for now (" +
                                       TerminalSafe(status.refusing_partner()) +
                                       "): it waits on their side")
          << '\n';
    }
  }
  if (status.quiet()) {
    std::string until = "only urgent messages are announced";
    if (status.quiet_until_unix_ms() != 0) {
      until = "until " + LocalTime(status.quiet_until_unix_ms(), kDateTimeFormat) + " (" +
              FormatCountdown(status.quiet_until_unix_ms() - NowUnixMs()) + " left): " + until;
    }
    out << FieldLine("Quiet", until) << '\n';
  }
  if (!status.listen_address().empty()) {
    out << FieldLine("Listening on", status.listen_address()) << '\n';
  }
  PrintDirectPaths(out, status);
  PrintTor(out, status.tor());
}

}  // namespace

int RunStatus(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  control::Request request;
  request.mutable_status();
  return context.Exchange(*client, request, [&](const control::Response& response) {
    PrintStatus(context.out(), response.status(), YourSharingOf(*client));
  });
}

}  // namespace inmost::cli
