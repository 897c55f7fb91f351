// Named scenarios of the hostile partner test tool: canned scripts of its commands
// (hostile_partner_session.h), for running it by hand against a pair. The tests
// write their scripts on standard input instead, to assert each step's reaction.
#include <map>

#include "tests/tools/hostile_partner_session.h"

namespace inmost::hostile {

Result<std::vector<std::string>> ScenarioScript(const std::string& name) {
  static const auto* const kScenarios = new std::map<std::string, std::vector<std::string>>{
      // The partner must close the session: a transport nonce is used twice.
      {"replay", {R"(deliver {"text": "once"})", "replay -1", "pump 3000"}},
      // The partner must close the session: the second message arrives first.
      {"reorder",
       {R"(seal {"deliver": {"seq": 0, "text": "a"}})", R"(seal {"keepalive": {}})", "flush 1 0",
        "pump 3000"}},
      // The partner must ignore an ack for a seq it never sent.
      {"unknown-ack", {R"(send {"ack": {"up_to_seq": "999999999"}})", "pump 3000"}},
      // The partner must keep answering while the flood runs.
      {"flood", {"flood 5000", "pump 5000"}},
  };
  auto it = kScenarios->find(name);
  if (it == kScenarios->end()) return InvalidArgument("no scenario named " + name);
  return it->second;
}

}  // namespace inmost::hostile
