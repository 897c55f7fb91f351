// inmost_hostile_partner: a test tool that plays one side of a real pair as a broken
// or hostile daemon would. It must never be built into anything but the tests.
//
//   inmost_hostile_partner DATA_DIR PARTNER_HOST:PORT [--scenario NAME]
//
// DATA_DIR is a stopped daemon's data directory (its storage key file, no
// passphrase): the tool takes that daemon's identity and partner from its store, dials
// the partner, runs the real session handshake (hostile_handshake.cc), sends the
// key-confirmation Keepalive and the stream's StreamHello/StreamOpen as an honest
// daemon would, then runs a script of commands, one a line, from standard input (or
// the named scenario's, hostile_scenarios.cc). What the partner sends is printed to
// standard output as JSON lines; so is each step's outcome. See hostile_session.h for
// the commands.
//
// Exit status 0 when the script ran (the partner closing the session is an outcome,
// not an error), 1 on an error (explained on standard error), 2 on a usage error.
#include <iostream>
#include <string>
#include <vector>

#include "tests/tools/hostile_partner_session.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string scenario;
  if (args.size() == 4 && args[2] == "--scenario") {
    scenario = args[3];
    args.resize(2);
  }
  if (args.size() != 2) {
    std::cerr << "usage: inmost_hostile_partner DATA_DIR PARTNER_HOST:PORT [--scenario NAME]\n";
    return 2;
  }
  inmost::hostile::HostileSession session;
  inmost::Status status = session.Connect(args[0], args[1]);
  if (!status.ok()) {
    std::cerr << "inmost_hostile_partner: " << status.ToString() << "\n";
    return 1;
  }
  if (!scenario.empty()) {
    auto script = inmost::hostile::ScenarioScript(scenario);
    if (!script.ok()) {
      std::cerr << "inmost_hostile_partner: " << script.status().ToString() << "\n";
      return 2;
    }
    status = session.RunScript(*script);
  } else {
    status = session.RunStdin();
  }
  if (!status.ok()) {
    std::cerr << "inmost_hostile_partner: " << status.ToString() << "\n";
    return 1;
  }
  return 0;
}
