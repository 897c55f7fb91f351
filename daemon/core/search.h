// The Search request: finds the history entries that hold every word, off the io
// thread (core/history_search.h does the reading), and shows them as messages. It
// only reads; it never logs what was searched for.
#pragma once

#include <functional>

#include "daemon/core/background_work.h"
#include "daemon/core/router.h"
#include "daemon/store/sealed_store.h"

namespace inmost::core {

class Search {
 public:
  // `partner_present` says whether the partner is here (for the messages' views).
  // All references must outlive this object.
  Search(const store::SealedStore& store, BackgroundWork& background,
         std::function<bool()> partner_present)
      : store_(store), background_(background), partner_present_(std::move(partner_present)) {}

  // Registers the Search request with `router`.
  void Register(Router& router);

  boost::asio::awaitable<Result<control::SearchReply>> Find(const control::SearchRequest& request);

 private:
  const store::SealedStore& store_;
  BackgroundWork& background_;
  std::function<bool()> partner_present_;
};

}  // namespace inmost::core
