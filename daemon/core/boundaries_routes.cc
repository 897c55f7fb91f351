// What boundaries own: presence and the partner's boundaries, and the requests that
// set this person's own.
#include "daemon/core/boundaries.h"
#include "daemon/core/router.h"

namespace inmost::core {

void Boundaries::Register(Router& router, std::function<void(bool)> on_partner_presence) {
  // The partner says both again at every link up; they are taken even while the
  // store is failing, as they always were.
  router.OnMessage(
      peer::PeerMessage::kPresence, "boundaries",
      [this, on_partner_presence](const peer::PeerMessage& message) {
        const peer::Presence& presence = message.presence();
        OnPartnerPresence(presence);
        on_partner_presence(presence.present() && presence.choice() != peer::Presence::HIDDEN);
      },
      Gate::kAlways);
  router.OnMessage(
      peer::PeerMessage::kBoundaries, "boundaries",
      [this](const peer::PeerMessage& message) { OnPartnerBoundaries(message.boundaries()); },
      Gate::kAlways);
  router.OnRequest(
      control::Request::kPresence, "boundaries", Sync::kBeforeReply,
      [this](const control::Request& request) { return Presence(request.presence()); },
      &control::Response::mutable_presence);
  router.OnRequest(
      control::Request::kConfig, "boundaries", Sync::kBeforeReply,
      [this](const control::Request& request) { return Config(request.config()); },
      &control::Response::mutable_config);
  router.OnRequest(
      control::Request::kQuiet, "boundaries", Sync::kBeforeReply,
      [this](const control::Request& request) { return Quiet(request.quiet()); },
      &control::Response::mutable_quiet);
}

}  // namespace inmost::core
