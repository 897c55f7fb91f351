#include "client/cli_passphrase.h"

#include <termios.h>
#include <unistd.h>

#include <istream>
#include <optional>
#include <ostream>

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

std::optional<std::string> ReadLine(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> Prompt(CommandContext& context, const char* prompt) {
  context.err() << prompt << std::flush;
  EchoOff echo_off;
  return ReadLine(context.in());
}

}  // namespace

Result<std::string> ReadNewPassphrase(CommandContext& context, size_t min_bytes) {
  std::optional<std::string> passphrase;
  if (context.InIsTerminal()) {
    passphrase = Prompt(context, "Passphrase: ");
    std::optional<std::string> again;
    if (passphrase) again = Prompt(context, "The same again: ");
    if (passphrase && again && *passphrase != *again) {
      return InvalidArgument("the two passphrases differ");
    }
    if (!again) passphrase.reset();
  } else {
    passphrase = ReadLine(context.in());
  }
  if (!passphrase || passphrase->empty()) {
    return InvalidArgument("no passphrase given: type it, or pass it as a line on standard input");
  }
  if (passphrase->size() < min_bytes) {
    return InvalidArgument("the passphrase is " + std::to_string(passphrase->size()) +
                           " bytes long; it must have at least " + std::to_string(min_bytes));
  }
  return std::move(*passphrase);
}

}  // namespace inmost::cli
