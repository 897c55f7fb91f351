// A web token kept in a file, so that `inmost web` run as a service serves the same
// URL after every restart. The file holds the token's 64 hex digits and nothing
// else readable by anyone but its owner: it must never be created, or read, open
// to others, and its content never appears in an error message.
#pragma once

#include <filesystem>

#include "inmost/status.h"
#include "web/server/web_token.h"

namespace inmost::web {

// The token in `path`, or a fresh one written there (mode 0600, synced with its
// directory entry) when no file is there yet. Refused: a file that is not a regular
// file owned by this user, one that group or others may read or write, and one
// that does not hold exactly a token (64 lowercase hex digits, then an optional
// newline).
Result<WebToken> LoadOrCreateTokenFile(const std::filesystem::path& path);

}  // namespace inmost::web
