// The recipient's sync loop: received chunks are synced one blob at a time off the io
// thread, then recorded and acknowledged, so the sender hears of a chunk only once a
// crash cannot lose it. It must never acknowledge a chunk before its sync.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/transfer_state.h"

namespace inmost::core {

namespace asio = boost::asio;
using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

asio::awaitable<void> FileTransfers::SyncLoop() {
  while (!stopped_) {
    Incoming* dirty = nullptr;
    for (auto& [id, t] : incoming_) {
      if (t->written > t->durable && !t->syncing) {
        dirty = t.get();
        break;
      }
    }
    if (dirty == nullptr) {
      boost::system::error_code ec;
      sync_signal_.expires_at(asio::steady_timer::time_point::max());
      co_await sync_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const std::string id = dirty->id;
    const uint64_t chunks = dirty->written;
    std::shared_ptr<store::BlobFile> blob = dirty->blob;
    dirty->syncing = true;
    std::function<Status()> sync = [blob] { return blob->Sync(); };
    Status synced = co_await background_.Run<Status>(sync);
    if (stopped_) co_return;
    OnIncomingSynced(id, chunks, synced);
  }
}

void FileTransfers::OnIncomingSynced(const std::string& transfer_id, uint64_t chunks,
                                     const Status& synced) {
  auto it = incoming_.find(transfer_id);
  if (it == incoming_.end()) return;
  Incoming& t = *it->second;
  t.syncing = false;
  if (!synced.ok()) {
    log_.Error("cannot sync a received file: " + synced.ToString());
    return FinishIncoming(t, "the recipient's daemon could not store it");
  }
  t.durable = chunks;
  const std::string file_hash = chunks == t.chunks ? t.file_hash : std::string();
  const SteadyTime now = clock_.SteadyNow();
  const bool announce = now - t.last_progress >= kProgressInterval;
  if (announce) t.last_progress = now;
  UpdateEntry(
      t.history_id,
      [&](HistoryEntry& e) {
        e.mutable_file()->set_chunks_done(chunks);
        if (!file_hash.empty()) e.mutable_file()->set_file_hash(file_hash);
      },
      announce);
  commit_.AfterSync([this, transfer_id, chunks](const Status& status) {
    auto found = incoming_.find(transfer_id);
    if (!status.ok() || found == incoming_.end()) return;
    Incoming& transfer = *found->second;
    transfer.stats.set_chunks_done(chunks);
    SendWant(transfer, WantKind::kProgress);
    if (chunks == transfer.chunks) FinishIncoming(transfer, "");
  });
}

}  // namespace inmost::core
