// Readiness for a service manager: under systemd (Type=notify) the daemon says
// "READY=1" once it serves and "STOPPING=1" when it stops, on the datagram socket
// named by $NOTIFY_SOCKET. Without that variable it does nothing. It never sends
// anything but these state lines.
#pragma once

#include <string_view>

namespace inmost {

// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET if it is set; errors are ignored,
// as a service manager that stopped listening is no reason to fail.
void NotifyServiceManager(std::string_view state);

}  // namespace inmost
