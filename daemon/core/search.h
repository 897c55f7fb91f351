// The Search and RebuildSearchIndex requests: finds the history entries that hold
// every word, off the io thread, through the word index once it is complete
// (history_index.h) and by reading the whole history until then, and shows them as
// messages. It only reads; it never logs what was searched for.
#pragma once

#include <functional>

#include "daemon/core/background_work.h"
#include "daemon/core/router.h"
#include "daemon/store/sealed_store.h"

namespace inmost::core {

class HistoryIndex;

class Search {
 public:
  // `partner_present` says whether the partner is here (for the messages' views).
  // All references must outlive this object.
  Search(const store::SealedStore& store, BackgroundWork& background,
         std::function<bool()> partner_present)
      : store_(store), background_(background), partner_present_(std::move(partner_present)) {}

  // The word index to search through (null: read the whole history). It must outlive
  // this object, or be unset first.
  void SetIndex(HistoryIndex* index) { index_ = index; }

  // Registers the Search and RebuildSearchIndex requests with `router`.
  void Register(Router& router);

  boost::asio::awaitable<Result<control::SearchReply>> Find(const control::SearchRequest& request);

 private:
  const store::SealedStore& store_;
  BackgroundWork& background_;
  std::function<bool()> partner_present_;
  HistoryIndex* index_ = nullptr;
};

}  // namespace inmost::core
