// What shared memories own: reactions, pins and forgetting, on the stream and as
// requests, including forgetting the whole history on both sides.
#include "daemon/core/router.h"
#include "daemon/core/shared_memories.h"

namespace inmost::core {
namespace {

// How long forgetting everything waits for the partner's daemon to store the request.
constexpr auto kForgetRequestWait = std::chrono::seconds(5);

}  // namespace

boost::asio::awaitable<Result<control::ForgetReply>> SharedMemories::ForgetAll(bool link_up) {
  control::ForgetReply reply;
  if (link_up) {
    AskToForgetEverything();
    Status synced = co_await commit_.Sync();
    if (!synced.ok()) co_return synced;
    // The request must reach the partner before we stop talking to them.
    const bool asked = co_await conversation_.AllAcknowledged(kForgetRequestWait);
    reply.set_partner_asked(asked);
  }
  auto forgotten = ForgetEverything();
  if (!forgotten.ok()) co_return forgotten.status();
  reply.set_forgotten(*forgotten);
  co_return reply;
}

void SharedMemories::Register(Router& router, std::function<bool()> link_up) {
  auto on_item = [this](const peer::Deliver& item) { OnItem(item); };
  for (auto kind : {peer::Deliver::kReaction, peer::Deliver::kPin, peer::Deliver::kForget,
                    peer::Deliver::kForgetAnswer}) {
    router.OnItem(kind, "memories", on_item);
  }
  using control::Request;
  using control::Response;
  router.OnRequest(
      Request::kReact, "memories", Sync::kBeforeReply,
      [this](const Request& request) { return React(request.react()); }, &Response::mutable_react);
  router.OnRequest(
      Request::kPin, "memories", Sync::kBeforeReply,
      [this](const Request& request) { return Pin(request.pin()); }, &Response::mutable_pin);
  router.OnRequest(
      Request::kMemories, "memories", Sync::kNone, [this](const Request&) { return Memories(); },
      &Response::mutable_memories);
  router.OnRequest(
      Request::kRecall, "memories", Sync::kNone,
      [this](const Request& request) { return Recall(request.recall()); },
      &Response::mutable_recall);
  router.OnRequest(
      Request::kForget, "memories", Sync::kNone,
      [this, link_up](const Request& request) -> boost::asio::awaitable<Result<Response>> {
        const control::ForgetRequest& forget = request.forget();
        if (forget.all()) {
          if (forget.id() != 0 || forget.keep()) {
            co_return InvalidArgument("forget either one message or all of them");
          }
          auto reply = co_await ForgetAll(link_up());
          co_return ReplyAs(std::move(reply), &Response::mutable_forget);
        }
        auto reply = Forget(forget);
        if (!reply.ok()) co_return reply.status();
        Status synced = co_await commit_.Sync();  // ForgetAll syncs as it goes.
        if (!synced.ok()) co_return synced;
        co_return ReplyAs(std::move(reply), &Response::mutable_forget);
      });
}

}  // namespace inmost::core
