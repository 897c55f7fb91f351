// The record keeping shared by the sender and the recipient: a transfer's file entry
// in the history (updated and its progress announced), its key and its records in
// the store. Writes only go into the batch being filled; it must never sync.
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/transfer_state.h"
#include "daemon/core/message_view.h"

namespace inmost::core {

namespace asio = boost::asio;
using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

void FileTransfers::UpdateEntry(uint64_t history_id,
                                const std::function<void(HistoryEntry&)>& update, bool announce) {
  auto entry = conversation_.Entry(history_id);
  if (!entry.ok()) {
    log_.Warning("file " + conversation_.Describe(history_id) + " is gone from the history");
    return;
  }
  update(*entry);
  conversation_.PutEntry(*entry);
  if (announce) PublishProgress(*entry);
}

void FileTransfers::PublishProgress(const HistoryEntry& entry) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  control::TransferProgress* progress = event.mutable_transfer();
  progress->set_id(entry.id());
  progress->set_direction(static_cast<control::Message::Direction>(entry.direction()));
  *progress->mutable_file() = MessageView(entry, false).file();
  conversation_.PublishWhenWritten(std::move(event));
}

void FileTransfers::PutKey(const std::string& transfer_id, const crypto::SecretBytes& key,
                           bool view_once) {
  commit_.batch().PutSecret(FileKeyName(transfer_id, ViewOnce{view_once}), key);
}

Result<crypto::SecretBytes> FileTransfers::GetKey(const HistoryEntry& entry) const {
  return store_.GetSecret(FileKeyName(entry.file().transfer_id(), ViewOnceOf(entry)));
}

void FileTransfers::DeleteTransfer(const std::string& transfer_id) {
  // A file sent from an upload is done with it, however the transfer ended.
  auto sending = outgoing_.find(transfer_id);
  if (sending != outgoing_.end() && !sending->second->record.upload_id().empty()) {
    uploads_.Delete(sending->second->record.upload_id());
  }
  commit_.batch().Delete(Key(kOutgoingPrefix, transfer_id));
  commit_.batch().Delete(Key(kIncomingPrefix, transfer_id));
  commit_.batch().Delete(FileKeyName(transfer_id, ViewOnce::kNo));
  commit_.batch().Delete(FileKeyName(transfer_id, ViewOnce::kYes));
}

}  // namespace inmost::core
