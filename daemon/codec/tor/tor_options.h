// How inmostd gets a Tor for its onion service (the `tor`, `tor-control`, `tor-torrc`
// and `tor-only` options) and how those options read. Asio-free, so the config parser
// that fills it stays fuzzable. It holds choices only: it must never start or dial Tor.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "inmost/status.h"

namespace inmost::tor {

enum class TorMode {
  kOff,     // No Tor: direct addresses only.
  kSystem,  // A running Tor's control port (tor-control).
  kLaunch,  // A tor the daemon starts as its child, under the data directory.
  kAuto,    // kSystem if its control port answers, else kLaunch if tor is installed.
};

// Debian's tor service: its control socket, readable by the group debian-tor.
inline constexpr std::string_view kSystemControlSocket = "unix:/run/tor/control";

struct TorOptions {
  // kOff unless asked: a daemon built into a test or a program does not start Tor on
  // its own. inmostd's command line defaults to kAuto.
  TorMode mode = TorMode::kOff;
  std::string control{kSystemControlSocket};  // For kSystem (and kAuto).
  std::filesystem::path torrc;                 // Lines added to a launched Tor's torrc.
  bool only = false;                           // tor-only: nothing but Tor, ever.
  std::string binary = "tor";                  // Found on PATH when it has no '/'.
};

// "auto", "system", "launch" or "off". InvalidArgument naming the choices otherwise.
Result<TorMode> ParseTorMode(std::string_view text);
std::string_view TorModeName(TorMode mode);

// Whether "host:port" (or a bare host) names a .onion address, in any case.
bool IsOnionAddress(std::string_view address);

}  // namespace inmost::tor
