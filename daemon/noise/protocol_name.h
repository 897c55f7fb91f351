// Parses a full Noise protocol name (spec 8), "Noise_<pattern>_<DH>_<cipher>_<hash>", into
// the pattern and hash to run. Must never accept a name it cannot run exactly as named:
// the name is hashed into every handshake, so a loose match would break interoperability.
#pragma once

#include <string>
#include <string_view>

#include "daemon/noise/handshake_pattern.h"
#include "daemon/noise/hash_function.h"
#include "inmost/status.h"

namespace inmost::noise {

struct Protocol {
  std::string name;  // The full name, as passed to InitializeSymmetric.
  HandshakePattern pattern;
  HashFunction hash;
};

// Supported: DH "25519", cipher "ChaChaPoly", hash "BLAKE2b" or "SHA256", and the patterns
// of HandshakePatternFromName. Malformed names are InvalidArgument, others Unsupported.
Result<Protocol> ParseProtocolName(std::string_view protocol_name);

}  // namespace inmost::noise
