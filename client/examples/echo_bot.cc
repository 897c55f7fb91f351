// The smallest C++ program that drives an inmost daemon through the client library
// (include/inmost/client.h): it subscribes to the daemon's events and answers each
// text from the partner with "echo: TEXT". Build target: inmost_example_echo_bot.
//
//   inmost_example_echo_bot [DATA_DIR] [--once]
//
// DATA_DIR defaults to the CLI's rule ($INMOST_DATA_DIR, $XDG_DATA_HOME/inmost, ...).
// With --once it exits after its first reply.
#include <cstdlib>
#include <iostream>
#include <string>

#include "inmost/client.h"
#include "inmost/data_dir.h"

namespace {

int Fail(const inmost::Status& status) {
  std::cerr << "echo_bot: " << status.message() << '\n';
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  bool once = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--once") {
      once = true;
    } else if (data_dir.empty() && arg[0] != '-') {
      data_dir = arg;
    } else {
      std::cerr << "usage: inmost_example_echo_bot [DATA_DIR] [--once]\n";
      return 2;
    }
  }
  if (data_dir.empty()) {
    auto found = inmost::DefaultDataDir();
    if (!found.ok()) return Fail(found.status());
    data_dir = *found;
  }

  // One connection listens; replies go over a second one, so a reply's response
  // never has to be told apart from the events.
  auto events = inmost::Client::Connect(inmost::ControlSocketPath(data_dir));
  if (!events.ok()) return Fail(events.status());
  auto replies = inmost::Client::Connect(inmost::ControlSocketPath(data_dir));
  if (!replies.ok()) return Fail(replies.status());

  inmost::control::Request subscribe;
  subscribe.mutable_subscribe();
  if (auto subscribed = events->Call(subscribe); !subscribed.ok()) {
    return Fail(subscribed.status());
  }
  std::cout << "echo_bot: listening" << std::endl;

  for (;;) {
    auto event = events->NextEvent();
    if (!event.ok()) return Fail(event.status());  // The daemon stopped.
    if (!event->has_message_received()) continue;
    const inmost::control::Message& message = event->message_received().message();
    if (message.kind() != inmost::control::Message::TEXT || message.text().empty()) continue;

    inmost::control::Request send;
    send.mutable_send()->set_text("echo: " + message.text());
    auto sent = replies->Call(send);
    if (!sent.ok()) return Fail(sent.status());
    std::cout << "echo_bot: answered message #" << message.id() << std::endl;
    if (once) return 0;
  }
}
