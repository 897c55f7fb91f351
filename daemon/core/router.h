// The router: sends each control request, each peer message and each delivered item
// to the one part that owns its kind. Parts register at start-up; Check() then finds
// a kind with no owner or two, so no request is ever silently unanswered. The router
// holds no feature logic and never touches the store itself.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"

namespace inmost::core {

// What a request needs before its reply goes out.
enum class Sync {
  kNone,         // Reads only, or syncs by itself.
  kBeforeReply,  // It wrote to the batch being filled: reply once that is on disk.
};

// Whether a kind is handled while the store is failing (Ready() not ok).
enum class Gate {
  kWhenReady,  // Only on a healthy store: a request fails, a message is dropped
               // (unacknowledged, so the partner sends it again).
  kAlways,
};

// `reply` as the body `field` of a Response, or its error.
template <typename Reply>
Result<control::Response> ReplyAs(Result<Reply> reply, Reply* (control::Response::*field)()) {
  if (!reply.ok()) return reply.status();
  control::Response response;
  *(response.*field)() = std::move(*reply);
  return response;
}

class Router {
 public:
  using RequestCase = control::Request::BodyCase;
  using MessageCase = peer::PeerMessage::KindCase;
  using ItemCase = peer::Deliver::ItemCase;
  using RequestHandler =
      std::function<boost::asio::awaitable<Result<control::Response>>(const control::Request&)>;
  using MessageHandler = std::function<void(const peer::PeerMessage&)>;
  using ItemHandler = std::function<void(const peer::Deliver&)>;

  // `ready` says whether the store is healthy (the conversation's Ready()); `sync`
  // waits until the batch being filled is on disk (GroupCommit::Sync).
  Router(std::function<Status()> ready, std::function<boost::asio::awaitable<Status>()> sync);

  // Registers `owner` as the one handler of a control request kind.
  void OnRequest(RequestCase kind, std::string_view owner, Sync sync, RequestHandler handler,
                 Gate gate = Gate::kWhenReady);
  // The same for a request answered without suspending: `answer` returns the reply
  // that `field` of the Response holds.
  template <typename Reply, typename Answer>
  void OnRequest(RequestCase kind, std::string_view owner, Sync sync, Answer answer,
                 Reply* (control::Response::*field)(), Gate gate = Gate::kWhenReady);
  // A request kind answered before it reaches the router (the control server
  // answers Subscribe itself), with its owner like every other kind.
  void AnsweredBy(RequestCase kind, std::string_view owner);
  // Registers `owner` as the one handler of a peer message kind.
  void OnMessage(MessageCase kind, std::string_view owner, MessageHandler handler,
                 Gate gate = Gate::kWhenReady);
  // A kind the peer link consumes below the core (keepalive, pairing...): it never
  // reaches Deliver(), but it has its owner like every other kind.
  void HandledByLink(MessageCase kind);
  // Registers `owner` as the one handler of an item delivered on the conversation's
  // stream (after it is stored: Conversation delivers it here).
  void OnItem(ItemCase kind, std::string_view owner, ItemHandler handler);

  // Ok when every kind in the three schemas has exactly one owner; otherwise says
  // which kinds lack one or have two.
  Status Check() const;

  // Answers `request` through its owner (Unsupported when the kind is unknown).
  boost::asio::awaitable<Result<control::Response>> Handle(const control::Request& request);
  // Hands `message` to its owner; kinds this build does not know are ignored.
  void Deliver(const peer::PeerMessage& message) const;
  // Hands a stored item to its owner.
  void DeliverItem(const peer::Deliver& item) const;

 private:
  struct RequestRoute {
    std::string owner;
    Sync sync;
    Gate gate;
    RequestHandler handler;  // Empty: answered before the router.
  };
  struct MessageRoute {
    std::string owner;
    Gate gate;
    MessageHandler handler;  // Empty: handled by the link.
  };
  struct ItemRoute {
    std::string owner;
    ItemHandler handler;
  };

  // Remembers `kind` registered twice, for Check().
  void Twice(std::string_view schema, int kind, std::string_view first, std::string_view second);

  std::function<Status()> ready_;
  std::function<boost::asio::awaitable<Status>()> sync_;
  std::map<int, RequestRoute> requests_;
  std::map<int, MessageRoute> messages_;
  std::map<int, ItemRoute> items_;
  std::vector<std::string> twice_;
};

template <typename Reply, typename Answer>
void Router::OnRequest(RequestCase kind, std::string_view owner, Sync sync, Answer answer,
                       Reply* (control::Response::*field)(), Gate gate) {
  OnRequest(
      kind, owner, sync,
      [answer = std::move(answer), field](
          const control::Request& request) -> boost::asio::awaitable<Result<control::Response>> {
        co_return ReplyAs(Result<Reply>(answer(request)), field);
      },
      gate);
}

}  // namespace inmost::core
