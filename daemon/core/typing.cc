// Typing (typing.h): the throttle on what we tell, and reciprocity on what we show.
// It never stores anything and never sends a signal while hidden or not sharing.
#include "daemon/core/typing.h"

namespace inmost::core {

Typing::Typing(EventHub& events, PartnerChannel& channel, const Boundaries& boundaries,
               const Clock& clock)
    : events_(events), channel_(channel), boundaries_(boundaries), clock_(clock) {}

void Typing::Register(Router& router) {
  // Neither touches the store: both go on while it is failing.
  router.OnRequest(
      control::Request::kTyping, "typing", Sync::kNone,
      [this](const control::Request& request) { return Tell(request.typing()); },
      &control::Response::mutable_typing, Gate::kAlways);
  router.OnMessage(
      peer::PeerMessage::kTyping, "typing",
      [this](const peer::PeerMessage& message) { OnPartnerTyping(message.typing()); },
      Gate::kAlways);
}

bool Typing::Shares() const {
  return boundaries_.share_typing() && boundaries_.choice() != control::Presence::HIDDEN;
}

Result<control::TypingReply> Typing::Tell(const control::TypingRequest& request) {
  control::TypingReply reply;
  // Hidden or not sharing: nothing at all, not even a stop (a "writing" sent before
  // the change ends on the partner's side by itself).
  if (!Shares() || !channel_.IsUp()) {
    told_writing_ = false;
    return reply;
  }
  SteadyTime now = clock_.SteadyNow();
  if (request.stopped()) {
    // A stop is worth sending only when the partner may be showing a "writing".
    if (!told_writing_) return reply;
    told_writing_ = false;
  } else {
    if (told_writing_ && now - told_at_ < kTypingSendEvery) return reply;  // Still showing.
    told_writing_ = true;
    told_at_ = now;
  }
  peer::PeerMessage message;
  message.mutable_typing()->set_stopped(request.stopped());
  if (!channel_.SendToPartner(message)) {
    told_writing_ = false;
    return reply;
  }
  reply.set_told(true);
  return reply;
}

void Typing::OnPartnerTyping(const peer::Typing& typing) {
  // Reciprocity: we see theirs only while we share ours.
  if (!Shares()) return;
  if (typing.stopped()) {
    HidePartnerTyping();
    return;
  }
  int64_t until = clock_.NowUnixMs() + kTypingShownFor.count();
  shown_until_unix_ms_ = until;
  PublishPartnerTyping(true, until);
}

void Typing::OnLinkDown() {
  told_writing_ = false;
  HidePartnerTyping();
}

void Typing::OnSharingChanged() {
  if (!Shares()) {
    told_writing_ = false;
    HidePartnerTyping();
  }
}

void Typing::HidePartnerTyping() {
  if (shown_until_unix_ms_ == 0) return;
  bool still_shown = clock_.NowUnixMs() < shown_until_unix_ms_;
  shown_until_unix_ms_ = 0;
  if (still_shown) PublishPartnerTyping(false, 0);
}

void Typing::PublishPartnerTyping(bool typing, int64_t until_unix_ms) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  control::PartnerTyping* partner_typing = event.mutable_partner_typing();
  partner_typing->set_typing(typing);
  partner_typing->set_until_unix_ms(until_unix_ms);
  events_.Publish(event);
}

}  // namespace inmost::core
