// What envelopes own: offers, key releases, retractions, open requests and questions
// on the stream, and the requests that ask, answer, open, retract and list them.
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/router.h"

namespace inmost::core {

void Envelopes::Register(Router& router) {
  auto on_item = [this](const peer::Deliver& item) { OnItem(item); };
  for (auto kind :
       {peer::Deliver::kOffer, peer::Deliver::kKeyRelease, peer::Deliver::kRetract,
        peer::Deliver::kOpenRequest, peer::Deliver::kOpened, peer::Deliver::kQuestion}) {
    router.OnItem(kind, "envelopes", on_item);
  }
  using control::Request;
  using control::Response;
  router.OnRequest(
      Request::kAsk, "envelopes", Sync::kBeforeReply,
      [this](const Request& request) { return Ask(request.ask()); }, &Response::mutable_ask);
  router.OnRequest(
      Request::kAnswer, "envelopes", Sync::kBeforeReply,
      [this](const Request& request) { return Answer(request.answer()); },
      &Response::mutable_answer);
  router.OnRequest(
      Request::kToday, "envelopes", Sync::kNone,
      [this](const Request& request) { return Today(request.today()); }, &Response::mutable_today);
  router.OnRequest(
      Request::kOpen, "envelopes", Sync::kBeforeReply,
      [this](const Request& request) { return Open(request.open()); }, &Response::mutable_open);
  router.OnRequest(
      Request::kRetract, "envelopes", Sync::kBeforeReply,
      [this](const Request& request) { return Retract(request.retract()); },
      &Response::mutable_retract);
  router.OnRequest(
      Request::kEnvelopes, "envelopes", Sync::kNone,
      [this](const Request&) { return Result<control::EnvelopesReply>(Pending()); },
      &Response::mutable_envelopes);
}

}  // namespace inmost::core
