#include "daemon/core/router.h"

#include <google/protobuf/descriptor.h>

namespace inmost::core {
namespace {

// The field numbers of a oneof are its case values.
std::vector<int> CasesOf(const google::protobuf::Descriptor* message, std::string_view oneof) {
  std::vector<int> cases;
  const auto* one = message->FindOneofByName(std::string(oneof));
  for (int i = 0; one != nullptr && i < one->field_count(); ++i) {
    cases.push_back(one->field(i)->number());
  }
  return cases;
}

std::string NameOf(const google::protobuf::Descriptor* message, int number) {
  const auto* field = message->FindFieldByNumber(number);
  return field != nullptr ? field->name() : std::to_string(number);
}

template <typename Routes>
void ListUnowned(const google::protobuf::Descriptor* message, std::string_view oneof,
                 const Routes& routes, std::vector<std::string>& unowned) {
  for (int kind : CasesOf(message, oneof)) {
    if (!routes.contains(kind)) {
      unowned.push_back(message->name() + "." + NameOf(message, kind));
    }
  }
}

}  // namespace

Router::Router(std::function<Status()> ready, std::function<boost::asio::awaitable<Status>()> sync)
    : ready_(std::move(ready)), sync_(std::move(sync)) {}

void Router::Twice(std::string_view schema, int kind, std::string_view first,
                   std::string_view second) {
  twice_.push_back(std::string(schema) + " kind " + std::to_string(kind) + " has two owners (" +
                   std::string(first) + ", " + std::string(second) + ")");
}

void Router::OnRequest(RequestCase kind, std::string_view owner, Sync sync, RequestHandler handler,
                       Gate gate) {
  auto [it, added] =
      requests_.try_emplace(kind, RequestRoute{std::string(owner), sync, gate, std::move(handler)});
  if (!added) Twice("Request", kind, it->second.owner, owner);
}

void Router::AnsweredBy(RequestCase kind, std::string_view owner) {
  OnRequest(kind, owner, Sync::kNone, RequestHandler(), Gate::kAlways);
}

void Router::OnMessage(MessageCase kind, std::string_view owner, MessageHandler handler,
                       Gate gate) {
  auto [it, added] =
      messages_.try_emplace(kind, MessageRoute{std::string(owner), gate, std::move(handler)});
  if (!added) Twice("PeerMessage", kind, it->second.owner, owner);
}

void Router::HandledByLink(MessageCase kind) {
  auto [it, added] = messages_.try_emplace(kind, MessageRoute{"the peer link", Gate::kAlways, {}});
  if (!added) Twice("PeerMessage", kind, it->second.owner, "the peer link");
}

void Router::OnItem(ItemCase kind, std::string_view owner, ItemHandler handler) {
  auto [it, added] = items_.try_emplace(kind, ItemRoute{std::string(owner), std::move(handler)});
  if (!added) Twice("Deliver", kind, it->second.owner, owner);
}

Status Router::Check() const {
  std::vector<std::string> problems = twice_;
  ListUnowned(control::Request::descriptor(), "body", requests_, problems);
  ListUnowned(peer::PeerMessage::descriptor(), "kind", messages_, problems);
  ListUnowned(peer::Deliver::descriptor(), "item", items_, problems);
  if (problems.empty()) return Status::Ok();
  std::string message = "the router is incomplete:";
  for (const auto& problem : problems) {
    message +=
        (problem.find("two owners") != std::string::npos ? " " : " no owner for ") + problem + ";";
  }
  return FailedPrecondition(message);
}

boost::asio::awaitable<Result<control::Response>> Router::Handle(const control::Request& request) {
  auto it = requests_.find(request.body_case());
  if (it == requests_.end() || !it->second.handler) {
    co_return Unsupported("this daemon does not know that request; is the CLI newer?");
  }
  const RequestRoute& route = it->second;
  if (route.gate == Gate::kWhenReady) {
    // After a failed write, nothing is answered from (or built on) stale state.
    Status ready = ready_();
    if (!ready.ok()) co_return ready;
  }
  Result<control::Response> response = co_await route.handler(request);
  if (route.sync == Sync::kBeforeReply && response.ok()) {
    Status synced = co_await sync_();
    if (!synced.ok()) co_return synced;
  }
  co_return response;
}

void Router::Deliver(const peer::PeerMessage& message) const {
  auto it = messages_.find(message.kind_case());
  if (it == messages_.end() || !it->second.handler) return;
  // A failing store: not acknowledged, so the partner sends it again.
  if (it->second.gate == Gate::kWhenReady && !ready_().ok()) return;
  it->second.handler(message);
}

void Router::DeliverItem(const peer::Deliver& item) const {
  auto it = items_.find(item.item_case());
  if (it != items_.end()) it->second.handler(item);
}

}  // namespace inmost::core
