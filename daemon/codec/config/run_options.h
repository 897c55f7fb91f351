// The options of `inmostd run`, which a --config file may also set (key = value
// lines), and the checks of their values. Apart from daemon/config/command_line.cc,
// which needs daemon.h and so Asio, so that clang can build the config-file parser
// for fuzzing.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/codec/core/incoming_limits.h"
#include "daemon/codec/tor/tor_options.h"
#include "daemon/log/logger.h"
#include "inmost/status.h"

namespace inmost::config {

// The run options' values, checked.
struct RunSettings {
  std::string listen;
  std::vector<std::string> advertise;  // Empty when none was given.
  log::Level log_level = log::Level::kInfo;
  std::chrono::milliseconds keepalive_interval{0};
  std::chrono::milliseconds dead_after{0};
  std::chrono::milliseconds backoff_max{0};
  std::chrono::seconds rehandshake_after{0};
  std::string quiet_hours;        // "HH:MM-HH:MM" or "off" (checked); empty: not given.
  std::string proxy_url;          // --proxy as given, empty for none; command_line.cc checks it
                                  // with peer::ParseProxyUrl, which needs Asio (see above).
  uint64_t max_file_bytes = 0;    // --max-file-size
  uint64_t file_quota_bytes = 0;  // --file-quota
  uint64_t transfer_rate_bytes_per_second = 0;  // --transfer-rate; 0: unlimited.
  core::IncomingLimits incoming;                // --incoming-*
  tor::TorOptions tor;                          // --tor, --tor-control, --tor-torrc, --tor-only
  bool port_mapping = true;                     // --port-mapping auto
  bool lan_discovery = true;                    // --lan-discovery on
  std::chrono::milliseconds address_check_interval{0};  // --address-check-ms
  std::chrono::milliseconds lan_beacon_interval{0};     // --lan-beacon-ms
};

// A size as the options take it: a byte count ("1048576"), or a whole number with
// a binary unit K, M, G or T (1K = 1024), in either case and optionally followed by
// "iB" or "B": "512M", "4G", "64KiB". InvalidArgument for anything else, and for a
// size beyond 2^64 - 1 bytes.
Result<uint64_t> ParseByteSize(std::string_view text);

// The run options, with `default_listen` as --listen's default.
boost::program_options::options_description RunOptions(const std::string& default_listen);

// Adds the options a config file sets to `vm`; options already in `vm` (from the
// command line) win. Throws boost::program_options::error for a file that is not
// run options (an unknown key, a bad value, a malformed line).
void StoreConfigFile(std::istream& file, const std::string& default_listen,
                     boost::program_options::variables_map& vm);

// The message of a Program_options error (its what()), safe for any input. Boost
// 1.74's what() replaces each placeholder ("%value%", "%original_token%", ...) until
// none is left, so a token holding its own placeholder ("%value% = 1" in a config
// file) made inmostd spin for ever; '%' in the quoted input is shown as '?' instead.
// Takes the error by reference because it rewrites those quotes in place.
std::string OptionsErrorMessage(boost::program_options::error& error);

// Reads and checks the run options in `vm` (stored and notified). InvalidArgument
// naming the option for a bad value.
Result<RunSettings> CheckRunOptions(const boost::program_options::variables_map& vm);

}  // namespace inmost::config
