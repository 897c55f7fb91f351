#include "daemon/codec/config/run_options.h"

#include <algorithm>
#include <limits>
#include <map>

#include "daemon/codec/core/quiet_window.h"

namespace inmost::config {

namespace po = boost::program_options;

namespace {

// Reads the placeholder values of an error, which Boost keeps protected: a pointer
// to a protected member may be formed through a derived class. Never instantiated.
struct SubstitutionsOf : po::error_with_option_name {
  static std::map<std::string, std::string> Get(const po::error_with_option_name& error) {
    return error.*(&SubstitutionsOf::m_substitutions);
  }
};

constexpr char kSizeForm[] =
    "give a byte count, or a whole number with K, M, G or T (1K = 1024), such as 512M";

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

char Upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// Whether `rest` (what follows a unit letter) is nothing, "B" or "iB", in any case.
bool IsUnitTail(std::string_view rest) {
  if (rest.empty()) return true;
  if (rest.size() == 1) return Upper(rest[0]) == 'B';
  return rest.size() == 2 && Upper(rest[0]) == 'I' && Upper(rest[1]) == 'B';
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto not_a_size = [&] {
    return InvalidArgument("'" + std::string(text) + "' is not a size: " + kSizeForm);
  };
  auto too_large = [&] {
    return InvalidArgument("'" + std::string(text) + "' is too large: at most 16777215T");
  };
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  size_t digits = 0;
  uint64_t value = 0;
  for (; digits < text.size() && IsDigit(text[digits]); ++digits) {
    auto digit = static_cast<uint64_t>(text[digits] - '0');
    if (value > (kMax - digit) / 10) return too_large();
    value = value * 10 + digit;
  }
  if (digits == 0) return not_a_size();
  std::string_view unit = text.substr(digits);
  if (unit.empty()) return value;
  int shift = 0;
  switch (Upper(unit[0])) {
    case 'B':
      if (unit.size() != 1) return not_a_size();
      return value;
    case 'K':
      shift = 10;
      break;
    case 'M':
      shift = 20;
      break;
    case 'G':
      shift = 30;
      break;
    case 'T':
      shift = 40;
      break;
    default:
      return not_a_size();
  }
  if (!IsUnitTail(unit.substr(1))) return not_a_size();
  if (value > (kMax >> shift)) return too_large();
  return value << shift;
}

po::options_description RunOptions(const std::string& default_listen) {
  po::options_description o("Options for run (also accepted in the --config file as key = value)");
  o.add_options()("config", po::value<std::string>(), "read options from FILE (command line wins)")(
      "listen", po::value<std::string>()->default_value(default_listen),
      "where to accept the partner: HOST:PORT; [::] takes IPv6 and IPv4, port 0 picks one")(
      "advertise", po::value<std::vector<std::string>>()->composing(),
      "HOST:PORT to tell the partner and put in invites (repeatable), used as given; "
      "default: this machine's addresses another machine can reach, with the listen port "
      "(never a loopback or link-local one)")(
      "log-level", po::value<std::string>()->default_value("info"),
      "debug, info, warning or error")("keepalive-ms", po::value<int64_t>()->default_value(10000),
                                       "send a keepalive when the link was idle this long")(
      "dead-after-ms", po::value<int64_t>()->default_value(30000),
      "declare the link dead when nothing arrived for this long")(
      "backoff-max-ms", po::value<int64_t>()->default_value(30000),
      "cap of the exponential reconnect backoff (starts at 250 ms, doubles, +-25% jitter)")(
      "rehandshake-s", po::value<int64_t>()->default_value(1800),
      "replace the session with a fresh Noise handshake this often (at most 3600)")(
      "quiet-hours", po::value<std::string>(),
      "a daily quiet window in local time, HH:MM-HH:MM, or off; given here, it replaces what "
      "`inmost config quiet-hours` set, at start and at every SIGHUP")(
      "proxy", po::value<std::string>(),
      "dial out (to the partner, and to an inviter when joining) through the SOCKS5 proxy at "
      "socks5://HOST:PORT, e.g. Tor's socks5://127.0.0.1:9050; host names, .onion ones too, "
      "are resolved by the proxy, never locally, and there is no direct fallback. Incoming "
      "connections are unaffected")(
      "port-mapping", po::value<std::string>()->value_name("auto|off")->default_value("auto"),
      "ask the home router (UPnP-IGD, else NAT-PMP) to forward the listen port, and tell the "
      "partner the router's external address; the mapping is renewed while the daemon runs "
      "and dropped when it stops. Off under --tor-only")(
      "lan-discovery", po::value<std::string>()->value_name("on|off")->default_value("on"),
      "while the link is down, find the partner on the same network with beacons only the "
      "partner can recognise (UDP port 7434, multicast and broadcast). Off under --tor-only")(
      "address-check-ms", po::value<int64_t>()->default_value(30000),
      "how often to check this machine's addresses and the router's mapping, telling the "
      "partner at once when they changed")(
      "lan-beacon-ms", po::value<int64_t>()->default_value(20000),
      "how often a LAN beacon goes out while the link is down")(
      "tor", po::value<std::string>()->value_name("MODE")->default_value("auto"),
      "how to get the Tor that runs this daemon's onion service, the address that reaches it "
      "from anywhere: system (a running Tor's control port, --tor-control), launch (start tor "
      "as a child, under the data directory), auto (system if it answers, else launch if tor "
      "is installed, else none) or off")(
      "tor-control",
      po::value<std::string>()->value_name("ADDRESS")->default_value(
          std::string(tor::kSystemControlSocket)),
      "the control port of a running Tor, for --tor system or auto: unix:/PATH or HOST:PORT "
      "(Debian's tor service: unix:/run/tor/control, for members of the group debian-tor)")(
      "tor-torrc", po::value<std::string>()->value_name("FILE"),
      "add this file's lines to the torrc of a launched Tor: bridges and pluggable transports, "
      "or a private test network")(
      "tor-only", po::value<std::string>()->value_name("on|off")->default_value("off"),
      "on: nothing but Tor, ever. The listener binds loopback only, invites and the addresses "
      "told to the partner hold only the onion address, and no direct dial is tried")(
      "max-file-size", po::value<std::string>()->value_name("SIZE")->default_value("4G"),
      "the largest file sent or accepted: a byte count, or a whole number with K, M, G or T "
      "(1K = 1024), such as 512M")(
      "file-quota", po::value<std::string>()->value_name("SIZE")->default_value("20G"),
      "the most bytes of received files kept in the data directory (a size as for "
      "--max-file-size); a file that would go beyond it is refused")(
      "transfer-rate", po::value<std::string>()->value_name("SIZE")->default_value("0"),
      "send files at most this many bytes per second (a size as for --max-file-size, such as "
      "2M); 0: as fast as the link allows. Texts are never held back by it")(
      "incoming-items-per-hour", po::value<uint64_t>()->default_value(50000),
      "the most messages and other items the partner's daemon may make this one store in an "
      "hour; past it (or past any incoming-* limit) it takes no more for now, both of you are "
      "told, and what your partner sends waits on their side until there is room")(
      "incoming-bytes-per-hour",
      po::value<std::string>()->value_name("SIZE")->default_value("256M"),
      "the most bytes of such items in an hour (a size as for --max-file-size; files' own "
      "bytes count against --file-quota instead)")(
      "incoming-unread-items", po::value<uint64_t>()->default_value(100000),
      "the most items from the partner stored and not yet read; reading makes room")(
      "incoming-unread-bytes", po::value<std::string>()->value_name("SIZE")->default_value("1G"),
      "the most bytes of items from the partner stored and not yet read");
  return o;
}

void StoreConfigFile(std::istream& file, const std::string& default_listen, po::variables_map& vm) {
  po::store(po::parse_config_file(file, RunOptions(default_listen)), vm);
}

std::string OptionsErrorMessage(po::error& error) {
  if (auto* named = dynamic_cast<po::error_with_option_name*>(&error)) {
    for (auto& [placeholder, value] : SubstitutionsOf::Get(*named)) {
      if (value.find('%') == std::string::npos) continue;
      std::replace(value.begin(), value.end(), '%', '?');
      named->set_substitute(placeholder, value);
    }
  }
  return error.what();
}

Result<RunSettings> CheckRunOptions(const po::variables_map& vm) {
  RunSettings settings;
  settings.listen = vm["listen"].as<std::string>();
  if (vm.count("advertise")) settings.advertise = vm["advertise"].as<std::vector<std::string>>();
  if (!log::ParseLevel(vm["log-level"].as<std::string>(), &settings.log_level)) {
    return InvalidArgument("--log-level must be debug, info, warning or error");
  }
  auto positive_ms = [&](const char* name) -> Result<std::chrono::milliseconds> {
    int64_t v = vm[name].as<int64_t>();
    if (v <= 0) return InvalidArgument(std::string("--") + name + " must be positive");
    return std::chrono::milliseconds(v);
  };
  auto keepalive = positive_ms("keepalive-ms");
  auto dead_after = positive_ms("dead-after-ms");
  auto backoff_max = positive_ms("backoff-max-ms");
  auto address_check = positive_ms("address-check-ms");
  auto lan_beacon = positive_ms("lan-beacon-ms");
  for (auto* r : {&keepalive, &dead_after, &backoff_max, &address_check, &lan_beacon}) {
    if (!r->ok()) return r->status();
  }
  settings.address_check_interval = *address_check;
  settings.lan_beacon_interval = *lan_beacon;
  const std::string& port_mapping = vm["port-mapping"].as<std::string>();
  if (port_mapping != "auto" && port_mapping != "off") {
    return InvalidArgument("--port-mapping must be auto or off");
  }
  settings.port_mapping = port_mapping == "auto";
  const std::string& lan_discovery = vm["lan-discovery"].as<std::string>();
  if (lan_discovery != "on" && lan_discovery != "off") {
    return InvalidArgument("--lan-discovery must be on or off");
  }
  settings.lan_discovery = lan_discovery == "on";
  int64_t rehandshake = vm["rehandshake-s"].as<int64_t>();
  if (rehandshake <= 0 || rehandshake > 3600) {
    return InvalidArgument("--rehandshake-s must be between 1 and 3600");
  }
  settings.keepalive_interval = *keepalive;
  settings.dead_after = *dead_after;
  settings.backoff_max = *backoff_max;
  settings.rehandshake_after = std::chrono::seconds(rehandshake);
  if (vm.count("quiet-hours")) {
    settings.quiet_hours = vm["quiet-hours"].as<std::string>();
    if (settings.quiet_hours != "off") {
      auto window = core::ParseQuietWindow(settings.quiet_hours);
      if (!window.ok()) return InvalidArgument("--quiet-hours: " + window.status().message());
    }
  }
  if (vm.count("proxy")) {
    settings.proxy_url = vm["proxy"].as<std::string>();
    // An empty value must not quietly mean "dial directly" to someone relying on Tor.
    if (settings.proxy_url.empty()) {
      return InvalidArgument("--proxy must not be empty; leave it out to dial directly");
    }
  }
  auto tor_mode = tor::ParseTorMode(vm["tor"].as<std::string>());
  if (!tor_mode.ok()) return InvalidArgument("--tor " + tor_mode.status().message());
  settings.tor.mode = *tor_mode;
  settings.tor.control = vm["tor-control"].as<std::string>();
  if (vm.count("tor-torrc")) settings.tor.torrc = vm["tor-torrc"].as<std::string>();
  const std::string& tor_only = vm["tor-only"].as<std::string>();
  if (tor_only != "on" && tor_only != "off") return InvalidArgument("--tor-only must be on or off");
  settings.tor.only = tor_only == "on";
  if (settings.tor.only && settings.tor.mode == tor::TorMode::kOff) {
    return InvalidArgument(
        "--tor-only on needs a Tor: leave --tor at auto, or set system or launch");
  }
  auto size = [&](const char* name, bool zero_allowed) -> Result<uint64_t> {
    Result<uint64_t> bytes = ParseByteSize(vm[name].as<std::string>());
    if (!bytes.ok())
      return InvalidArgument(std::string("--") + name + ": " + bytes.status().message());
    if (*bytes == 0 && !zero_allowed) {
      return InvalidArgument(std::string("--") + name + " must be at least 1 byte");
    }
    return bytes;
  };
  auto max_file = size("max-file-size", false);
  auto quota = size("file-quota", false);
  auto rate = size("transfer-rate", true);
  for (auto* r : {&max_file, &quota, &rate}) {
    if (!r->ok()) return r->status();
  }
  settings.max_file_bytes = *max_file;
  settings.file_quota_bytes = *quota;
  settings.transfer_rate_bytes_per_second = *rate;
  auto incoming_bytes = size("incoming-bytes-per-hour", false);
  auto unread_bytes = size("incoming-unread-bytes", false);
  for (auto* r : {&incoming_bytes, &unread_bytes}) {
    if (!r->ok()) return r->status();
  }
  auto count = [&](const char* name) -> Result<uint64_t> {
    uint64_t n = vm[name].as<uint64_t>();
    if (n == 0) return InvalidArgument(std::string("--") + name + " must be at least 1");
    return n;
  };
  auto items = count("incoming-items-per-hour");
  auto unread_items = count("incoming-unread-items");
  for (auto* r : {&items, &unread_items}) {
    if (!r->ok()) return r->status();
  }
  settings.incoming = {*items, *incoming_bytes, *unread_items, *unread_bytes};
  return settings;
}

}  // namespace inmost::config
