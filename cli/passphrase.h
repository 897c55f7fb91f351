// Reads the secrets a person hands the CLI: a new passphrase (for a backup), typed
// twice without echo at a terminal or one line from a pipe, and an invite code piped
// in, so scripts need not put them on the command line where other users could see
// them. Standard input is read with read(2) into wiped memory (inmost/secret_input.h),
// never through std::cin's buffer, which would keep a copy.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <string>

#include "cli/context.h"
#include "inmost/secret_input.h"
#include "inmost/status.h"

namespace inmost::cli {

// The longest passphrase accepted.
inline constexpr size_t kMaxPassphraseBytes = 4096;

// A new passphrase: when context.InIsTerminal(), prompted for on err() twice with
// echo off (the two must match); otherwise the first line of in(). InvalidArgument
// when there is none, when the two differ, or when it is shorter than `min_bytes`
// or longer than kMaxPassphraseBytes.
Result<SecretBuffer> ReadNewPassphrase(CommandContext& context, size_t min_bytes);

// A secret from context.in(), up to `end`: with ReadSecret() on standard input when
// in() is std::cin, otherwise from the stream itself (a test's). InvalidArgument when
// it is longer than `max_bytes`.
Result<SecretBuffer> ReadSecretInput(CommandContext& context, size_t max_bytes, SecretEnd end);

// Wipes `copy`, a secret's copy in a request, when it goes out of scope: the request
// needs it only until it is sent.
class WipedOnExit {
 public:
  explicit WipedOnExit(std::string& copy) : copy_(copy) {}
  ~WipedOnExit() { sodium_memzero(copy_.data(), copy_.size()); }
  WipedOnExit(const WipedOnExit&) = delete;
  WipedOnExit& operator=(const WipedOnExit&) = delete;

 private:
  std::string& copy_;
};

}  // namespace inmost::cli
