// Files inside envelopes (the envelopes' part): the sender seals the file's name
// and key under the envelope's content key; the recipient takes the bytes sealed and
// opens the name, checking the whole file, once the key is released. It must never
// let a file open before its envelope does.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

#include "daemon/core/files/file_names.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/received_file.h"
#include "daemon/core/files/transfer_state.h"
#include "daemon/crypto/envelope_seal.h"

namespace inmost::core {

namespace asio = boost::asio;
using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

void FileTransfers::AttachToEnvelope(HistoryEntry& entry, PreparedFile file,
                                     std::span<const uint8_t> content_key, peer::FileOffer& offer) {
  crypto::SecretBytes key = crypto::FileKeyFromContentKey(content_key);
  const FileRecord* record = DescribeOutgoing(file, entry);
  peer::FileMeta meta;
  meta.set_name(file.name);
  meta.set_type(file.type);
  offer.set_transfer_id(record->transfer_id());
  offer.set_size(record->size());
  offer.set_chunk_size(record->chunk_size());
  offer.set_sealed_meta(
      crypto::SealFileMeta(key.span(), record->transfer_id(), meta.SerializeAsString()));
  StartOutgoing(entry, std::move(file), std::move(key));
}

void FileTransfers::AcceptEnvelopeFile(HistoryEntry& entry, const peer::FileOffer& offer) {
  if (offer.transfer_id().size() != crypto::kTransferIdSize ||
      offer.chunk_size() != crypto::kChunkSize) {
    log_.Warning("ignoring a malformed file in an envelope from the partner");
    return;
  }
  FileRecord* file = entry.mutable_file();
  file->set_transfer_id(offer.transfer_id());
  file->set_size(offer.size());
  file->set_chunk_size(offer.chunk_size());
  file->set_sealed_meta(offer.sealed_meta());
  StartIncoming(entry, offer, crypto::SecretBytes());
}

void FileTransfers::OpenEnvelopeFile(HistoryEntry& entry, std::span<const uint8_t> content_key) {
  FileRecord* file = entry.mutable_file();
  crypto::SecretBytes key = crypto::FileKeyFromContentKey(content_key);
  auto meta_bytes = crypto::OpenFileMeta(key.span(), file->transfer_id(), file->sealed_meta());
  peer::FileMeta meta;
  if (!meta_bytes.ok() || !meta.ParseFromString(*meta_bytes)) {
    file->set_state(control::Attachment::FAILED);
    file->set_error("its name and type do not open with the released key");
    return;
  }
  file->set_name(ShownFileName(meta.name()));
  file->set_type(meta.type().empty() ? "application/octet-stream" : meta.type());
  file->clear_sealed_meta();
  PutKey(file->transfer_id(), key, false);
  auto it = incoming_.find(file->transfer_id());
  if (it != incoming_.end()) {
    it->second->key = std::move(key);  // Checked once it has all arrived.
  } else if (file->state() == control::Attachment::RECEIVED) {
    VerifyOpened(entry.id(), std::move(key));
  }
}

void FileTransfers::VerifyOpened(uint64_t history_id, crypto::SecretBytes key) {
  verify_keys_[history_id] = std::make_shared<crypto::SecretBytes>(std::move(key));
  asio::co_spawn(io_, VerifyInBackground(history_id), asio::detached);
}

asio::awaitable<void> FileTransfers::VerifyInBackground(uint64_t history_id) {
  auto found = verify_keys_.find(history_id);
  if (found == verify_keys_.end()) co_return;
  std::shared_ptr<crypto::SecretBytes> key = std::move(found->second);
  verify_keys_.erase(found);
  auto entry = conversation_.Entry(history_id);
  if (!entry.ok()) co_return;
  const FileRecord file = entry->file();
  const std::filesystem::path blob_path = BlobPath(files_dir_, file.transfer_id(), ViewOnce::kNo);
  std::function<Status()> work = [key, blob_path, file] {
    return ReadReceivedFile(blob_path, key->span(), file,
                            [](std::string_view) { return Status::Ok(); });
  };
  Status verified = co_await background_.Run<Status>(work);
  if (stopped_ || verified.ok()) co_return;
  log_.Warning("file " + conversation_.Describe(history_id) +
               " opened but is damaged: " + verified.message());
  UpdateEntry(history_id, [&](HistoryEntry& e) {
    e.mutable_file()->set_state(control::Attachment::FAILED);
    e.mutable_file()->set_error("it opened, but " + verified.message());
  });
  commit_.AfterSync([](const Status&) {});
}

void FileTransfers::Discard(HistoryEntry& entry) {
  if (!entry.has_file()) return;
  const std::string id = entry.file().transfer_id();
  const std::string reason = "it was withdrawn or deleted";
  DeleteTransfer(id);  // While outgoing_ still says which upload it was sending.
  if (outgoing_.erase(id) != 0) {
    peer::Deliver cancel;
    cancel.mutable_file_cancel()->set_transfer_id(id);
    cancel.mutable_file_cancel()->set_reason(reason);
    conversation_.EnqueueItem(std::move(cancel), 0);
  }
  if (incoming_.erase(id) != 0) {
    peer::Deliver done;
    done.mutable_file_done()->set_transfer_id(id);
    done.mutable_file_done()->set_reason(reason);
    conversation_.EnqueueItem(std::move(done), 0);
  }
  std::error_code ec;
  std::filesystem::remove(BlobPath(files_dir_, id, ViewOnceOf(entry)), ec);
  if (entry.file().state() == control::Attachment::SENDING ||
      entry.file().state() == control::Attachment::RECEIVING) {
    entry.mutable_file()->set_state(control::Attachment::FAILED);
    entry.mutable_file()->set_error(reason);
  }
}

}  // namespace inmost::core
