// What nudges own: the nudge item and the request that sends one.
#include "daemon/core/nudges.h"
#include "daemon/core/router.h"

namespace inmost::core {

void Nudges::Register(Router& router) {
  router.OnItem(peer::Deliver::kNudge, "nudges",
                [this](const peer::Deliver& item) { OnItem(item); });
  router.OnRequest(
      control::Request::kNudge, "nudges", Sync::kBeforeReply,
      [this](const control::Request& request) { return Send(request.nudge()); },
      &control::Response::mutable_nudge);
}

}  // namespace inmost::core
