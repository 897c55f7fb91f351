#include "cli/passphrase.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

namespace inmost::cli {
namespace {

// Turns the terminal's echo off for as long as it lives.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // Enter still moves to the next line.
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// A line of in(); empty at the end of input.
Result<SecretBuffer> ReadLine(CommandContext& context) {
  Result<SecretBuffer> line = ReadSecretInput(context, kMaxPassphraseBytes, SecretEnd::kLine);
  if (!line.ok()) return Status(line.status().code(), "the passphrase: " + line.status().message());
  return line;
}

Result<SecretBuffer> Prompt(CommandContext& context, const char* prompt) {
  context.err() << prompt << std::flush;
  EchoOff echo_off;
  return ReadLine(context);
}

}  // namespace

Result<SecretBuffer> ReadSecretInput(CommandContext& context, size_t max_bytes, SecretEnd end) {
  if (&context.in() == &std::cin) return ReadSecret(STDIN_FILENO, max_bytes, end);
  std::istream& in = context.in();
  auto read_byte = [&in](uint8_t* byte) {
    char c = 0;
    if (!in.get(c)) return 0;
    *byte = static_cast<uint8_t>(c);
    return 1;
  };
  return ReadSecretFrom(read_byte, max_bytes, end);
}

Result<SecretBuffer> ReadNewPassphrase(CommandContext& context, size_t min_bytes) {
  const bool terminal = context.InIsTerminal();
  INMOST_ASSIGN_OR_RETURN(SecretBuffer passphrase,
                          terminal ? Prompt(context, "Passphrase: ") : ReadLine(context));
  if (passphrase.empty()) {
    return InvalidArgument("no passphrase given: type it, or pass it as a line on standard input");
  }
  if (terminal) {
    INMOST_ASSIGN_OR_RETURN(SecretBuffer again, Prompt(context, "The same again: "));
    if (!passphrase.Equals(again)) return InvalidArgument("the two passphrases differ");
  }
  if (passphrase.size() < min_bytes) {
    return InvalidArgument("the passphrase is " + std::to_string(passphrase.size()) +
                           " bytes long; it must have at least " + std::to_string(min_bytes));
  }
  return passphrase;
}

}  // namespace inmost::cli
