// The addresses an invite may carry ("host:port"), checked before an invite is
// written or accepted. Syntax only: it must never resolve a name or open a socket.
#pragma once

#include <cstddef>
#include <string_view>

#include "inmost/status.h"

namespace inmost::identity {

inline constexpr size_t kMaxAddressLength = 255;

// Ok when `address` is "host:port" that an invite may carry: host is a dotted
// IPv4 address, a bracketed IPv6 address ("[2001:db8::1]:4433", no zone), or a
// DNS host name (letters, digits, '-', labels of 1..63 characters, at most 253
// in all; a ".onion" name needs a 56-character v3 label); the port is 1..65535
// without leading zeros; at most kMaxAddressLength characters. Unspecified
// addresses (0.0.0.0, [::]) are refused: nobody can connect to them.
Status ValidateAddress(std::string_view address);

}  // namespace inmost::identity
