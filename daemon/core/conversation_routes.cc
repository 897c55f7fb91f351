// What the conversation owns: the delivery stream's messages, history and read marks.
#include "daemon/core/conversation.h"
#include "daemon/core/router.h"

namespace inmost::core {

void Conversation::Register(Router& router, std::function<bool()> partner_present) {
  using Kind = peer::PeerMessage::KindCase;
  auto on_message = [this](const peer::PeerMessage& message) { OnPeerMessage(message); };
  for (Kind kind :
       {Kind::kDeliver, Kind::kAck, Kind::kReadReceipt, Kind::kStreamCopies, Kind::kRefusal}) {
    router.OnMessage(kind, "conversation", on_message);
  }
  // Not behind Ready(): without them no stream opens until the next link up.
  router.OnMessage(Kind::kStreamHello, "conversation", on_message, Gate::kAlways);
  router.OnMessage(Kind::kStreamOpen, "conversation", on_message, Gate::kAlways);
  // Texts and what this copy of the store lost are stored here; every other item
  // goes to its owner through the router.
  // OnDeliver stores an unavailable item as its notice before any owner would see it.
  router.OnItem(peer::Deliver::kUnavailable, "conversation", [](const peer::Deliver&) {});
  AddItemHandler([&router](const peer::Deliver& item) { router.DeliverItem(item); });

  router.OnRequest(
      control::Request::kHistory, "conversation", Sync::kNone,
      [this, partner_present](const control::Request& request) {
        return History(request.history().limit(), request.history().before_id(), partner_present());
      },
      &control::Response::mutable_history);
  router.OnRequest(
      control::Request::kMarkRead, "conversation", Sync::kNone,
      [this](const control::Request& request) -> boost::asio::awaitable<Result<control::Response>> {
        auto reply = co_await MarkRead(request.mark_read().up_to_id());
        co_return ReplyAs(std::move(reply), &control::Response::mutable_mark_read);
      });
}

}  // namespace inmost::core
