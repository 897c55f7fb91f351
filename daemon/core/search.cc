#include "daemon/core/search.h"

#include <algorithm>
#include <thread>

#include "daemon/core/history_index.h"
#include "daemon/core/history_search.h"
#include "daemon/core/message_view.h"

namespace inmost::core {
namespace {

constexpr uint32_t kDefaultSearchLimit = 50;
constexpr uint32_t kMaxSearchLimit = 1000;
// A search opens the history in this many ranges at once, at most.
constexpr unsigned kMaxSearchThreads = 4;

}  // namespace

void Search::Register(Router& router) {
  router.OnRequest(
      control::Request::kSearch, "search", Sync::kNone,
      [this](const control::Request& request) -> boost::asio::awaitable<Result<control::Response>> {
        auto reply = co_await Find(request.search());
        co_return ReplyAs(std::move(reply), &control::Response::mutable_search);
      });
  router.OnRequest(
      control::Request::kRebuildSearchIndex, "search", Sync::kNone,
      [this](const control::Request&) -> Result<control::RebuildSearchIndexReply> {
        if (index_ == nullptr) return FailedPrecondition("this daemon keeps no search index");
        Result<uint64_t> messages = index_->Rebuild();
        if (!messages.ok()) return messages.status();
        control::RebuildSearchIndexReply reply;
        reply.set_messages(*messages);
        return reply;
      },
      &control::Response::mutable_rebuild_search_index);
}

boost::asio::awaitable<Result<control::SearchReply>> Search::Find(
    const control::SearchRequest& request) {
  uint32_t limit =
      request.limit() == 0 ? kDefaultSearchLimit : std::min(request.limit(), kMaxSearchLimit);
  const store::SealedStore& store = store_;
  const HistoryIndex* index = index_ != nullptr && index_->complete() ? index_ : nullptr;
  std::string words = request.words();
  const uint64_t before_id = request.before_id();
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxSearchThreads);
  // Named, not a temporary in the co_await: GCC 12 destroys those twice.
  std::function<Result<SearchResult>()> search = [&store, index, words, limit, before_id,
                                                  threads]() -> Result<SearchResult> {
    if (index == nullptr) return SearchHistory(store, words, limit, threads, before_id);
    Result<IndexedSearch> found = index->Find(words, limit, before_id);
    if (!found.ok()) return found.status();
    return SearchResult{std::move(found->matches), found->looked_at, found->more};
  };
  auto found = co_await background_.Run(search);
  if (!found.ok()) co_return found.status();
  control::SearchReply reply;
  const bool present = partner_present_();
  for (const auto& entry : found->matches) *reply.add_messages() = MessageView(entry, present);
  reply.set_searched(found->searched);
  reply.set_more(found->more);
  reply.set_indexed(index != nullptr);
  co_return reply;
}

}  // namespace inmost::core
