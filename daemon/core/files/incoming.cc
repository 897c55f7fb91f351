// The recipient: a file offered (taken or refused), its chunks checked and written in
// order to a sealed blob in files/, the wants that say where the sender goes on from,
// and the end of the transfer; after a restart, a transfer resumes from its last
// synced chunk. It must never write a file's plaintext to disk.
#include <sodium.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "daemon/core/files/file_names.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/transfer_state.h"
#include "daemon/core/message_view.h"

namespace inmost::core {

namespace asio = boost::asio;
using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

namespace {

// The recipient says what arrived every kReceivedEvery chunks; how many may be on
// their way beyond that is the transfer's SendWindow (send_window.h).
constexpr uint64_t kReceivedEvery = 8;

bool SameHash(const std::string& a, const std::string& b) {
  return a.size() == crypto::kFileHashSize && b.size() == crypto::kFileHashSize &&
         sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Status FileTransfers::ResumeIncoming(Incoming& t, const FileRecord& file) {
  const uint64_t durable = std::min(file.chunks_done(), t.chunks);
  auto blob = store::BlobFile::Open(BlobPath(files_dir_, t.id, t.view_once), durable == 0);
  if (!blob.ok()) return blob.status();
  t.blob = std::move(*blob);
  if (durable > 0) {
    // Lost with a write that failed (a full disk) while its record stayed: not
    // zeros to be made up for, but a copy to give up.
    const uint64_t recorded = (durable - 1) * crypto::kSealedChunkSize +
                              crypto::ChunkLength(t.size, durable - 1) + crypto::kChunkOverhead;
    if (t.blob->size() < recorded)
      return Corruption("the partly received copy is shorter than recorded");
  }
  // What a crash left beyond the last recorded chunk goes; the sender sends it again.
  INMOST_RETURN_IF_ERROR(t.blob->Truncate(durable));
  t.written = t.durable = durable;
  t.file_hash = file.file_hash();
  t.stats.set_chunks_at_start(durable);
  if (t.key.empty()) return Status::Ok();
  // The running hash is rebuilt from what is already here.
  t.hash.emplace(t.key.span());
  std::string plain;
  Status status;
  for (uint64_t i = 0; i < durable && status.ok(); ++i) {
    auto sealed = t.blob->ReadChunk(i, crypto::ChunkLength(t.size, i) + crypto::kChunkOverhead);
    status = sealed.ok() ? crypto::OpenChunk(t.key.span(), t.id, i, t.chunks, *sealed, plain)
                         : sealed.status();
    if (status.ok()) t.hash->Update(plain);
  }
  sodium_memzero(plain.data(), plain.size());
  return status;
}

std::string FileTransfers::RefusalFor(uint64_t size) const {
  if (size > limits_.max_file_bytes) {
    return "it is " + Size(size) + ", larger than the largest file your partner accepts (" +
           Size(limits_.max_file_bytes) + ")";
  }
  // What received files take now, and what those still arriving will take.
  uint64_t used = 0;
  std::error_code ec;
  for (const auto& blob : std::filesystem::directory_iterator(files_dir_, ec)) {
    used += blob.is_regular_file(ec) ? blob.file_size(ec) : 0;
  }
  for (const auto& [id, t] : incoming_) {
    used += (t->chunks - t->written) * crypto::kSealedChunkSize;
  }
  if (used + size > limits_.quota_bytes) {
    return "your partner's daemon has no room for it (" + Size(used) + " of its file quota of " +
           Size(limits_.quota_bytes) + " in use)";
  }
  return "";
}

void FileTransfers::OnOffer(const peer::Deliver& item) {
  const peer::FileOffer& offer = item.file();
  if (offer.transfer_id().size() != crypto::kTransferIdSize) {
    log_.Warning("ignoring a malformed file offer from the partner");
    return;
  }
  if (offer.key().size() != crypto::kFileKeySize || offer.chunk_size() != crypto::kChunkSize) {
    // A newer or broken sender: tell it, so it does not wait for ever.
    log_.Warning("refused a file offer this daemon cannot take");
    peer::Deliver done;
    done.mutable_file_done()->set_transfer_id(offer.transfer_id());
    done.mutable_file_done()->set_reason(
        "its daemon does not understand this file offer (another inmost version?)");
    conversation_.EnqueueItem(std::move(done), 0);
    return;
  }
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::INCOMING);
  entry.set_state(HistoryEntry::DELIVERED);
  entry.set_seq(item.seq());
  entry.set_text(item.text());
  entry.set_sent_at_unix_ms(item.sent_at_unix_ms());
  entry.set_received_at_unix_ms(clock_.NowUnixMs());
  FileRecord* file = entry.mutable_file();
  file->set_transfer_id(offer.transfer_id());
  file->set_name(ShownFileName(offer.name()));
  file->set_type(offer.type().empty() ? "application/octet-stream" : offer.type());
  file->set_size(offer.size());
  file->set_chunk_size(offer.chunk_size());
  if (offer.view_once()) {
    entry.clear_text();  // A view-once file has no caption: one sent anyway is dropped.
    entry.mutable_view_once();
  }
  conversation_.AppendEntry(entry);
  StartIncoming(entry, offer, crypto::SecretBytes::CopyOf(crypto::AsBytes(offer.key())));
  control::Event event;
  event.set_at_unix_ms(entry.received_at_unix_ms());
  *event.mutable_message_received()->mutable_message() = MessageView(entry, false);
  conversation_.PublishWhenWritten(std::move(event));
}

void FileTransfers::StartIncoming(HistoryEntry& entry, const peer::FileOffer& offer,
                                  crypto::SecretBytes key) {
  FileRecord* file = entry.mutable_file();
  std::string refusal = RefusalFor(offer.size());
  std::error_code exists_ec;
  if (incoming_.count(offer.transfer_id()) != 0 ||
      std::filesystem::exists(
          BlobPath(files_dir_, offer.transfer_id(), ViewOnce{offer.view_once()}), exists_ec)) {
    // Random ids never meet: a reused one would write over another file's bytes.
    refusal = "its transfer id is already in use here";
  }
  std::shared_ptr<store::BlobFile> blob;
  if (refusal.empty()) {
    auto opened = store::BlobFile::Open(
        BlobPath(files_dir_, offer.transfer_id(), ViewOnce{offer.view_once()}), true);
    if (opened.ok()) {
      blob = std::move(*opened);
    } else {
      log_.Error("cannot store a received file: " + opened.status().ToString());
      refusal = "the recipient's daemon could not store it";
    }
  }
  if (!refusal.empty()) {
    log_.Info("refused a file: " + refusal);
    file->set_state(control::Attachment::FAILED);
    file->set_error("refused: " + refusal);
    conversation_.PutEntry(entry);
    peer::Deliver done;
    done.mutable_file_done()->set_transfer_id(offer.transfer_id());
    done.mutable_file_done()->set_reason(refusal);
    conversation_.EnqueueItem(std::move(done), 0);
    return;
  }
  file->set_state(control::Attachment::RECEIVING);
  conversation_.PutEntry(entry);
  auto transfer = std::make_unique<Incoming>();
  transfer->id = offer.transfer_id();
  transfer->history_id = entry.id();
  transfer->view_once = ViewOnce{offer.view_once()};
  transfer->size = offer.size();
  transfer->chunks = crypto::ChunkCount(offer.size());
  transfer->blob = std::move(blob);
  transfer->stats.set_id(entry.id());
  transfer->stats.set_direction(control::Message::INCOMING);
  transfer->stats.set_chunks(transfer->chunks);
  records::IncomingTransfer record;
  record.set_history_id(entry.id());
  commit_.batch().Put(Key(kIncomingPrefix, transfer->id),
                      crypto::AsBytes(record.SerializeAsString()));
  if (!key.empty()) {
    PutKey(transfer->id, key, offer.view_once());
    transfer->hash.emplace(key.span());
    transfer->key = std::move(key);
  }
  const std::string id = transfer->id;
  incoming_.emplace(id, std::move(transfer));
  // Chunks are asked for once the offer is on disk, so none arrives for a file a
  // crash could forget.
  commit_.AfterSync([this, id](const Status& status) {
    auto it = incoming_.find(id);
    if (status.ok() && it != incoming_.end()) SendWant(*it->second, WantKind::kResend);
  });
}

void FileTransfers::SendWant(const Incoming& transfer, WantKind kind) {
  const bool resend = kind != WantKind::kProgress;
  peer::PeerMessage message;
  peer::FileWant* want = message.mutable_file_want();
  want->set_transfer_id(transfer.id);
  want->set_stored(resend ? transfer.written : transfer.durable);
  want->set_resend(resend);
  want->set_rewind(kind == WantKind::kRewind);
  want->set_received(transfer.written);
  channel_.SendToPartner(message);
}

void FileTransfers::OnChunk(const peer::FileChunk& chunk) {
  auto it = incoming_.find(chunk.transfer_id());
  if (it == incoming_.end()) return;
  Incoming& t = *it->second;
  t.stats.set_chunks_received(t.stats.chunks_received() + 1);
  const uint64_t index = chunk.index();
  if (index < t.written) {
    t.stats.set_chunks_duplicate(t.stats.chunks_duplicate() + 1);
    return;
  }
  if (index >= t.chunks) {
    // No honest sender has such a chunk: the file is not what its offer said.
    return FinishIncoming(t, "chunk " + std::to_string(index) + " is past the file's size");
  }
  if (index > t.written) {
    // A chunk was lost with a session: ask again from the first missing one, once.
    if (t.gap_want != t.written) {
      t.gap_want = t.written;
      SendWant(t, WantKind::kRewind);
    }
    return;
  }
  if (chunk.data().size() != crypto::ChunkLength(t.size, index) + crypto::kChunkOverhead) {
    return FinishIncoming(t, "chunk " + std::to_string(index) + " has the wrong size");
  }
  if (t.hash) {
    std::string plain;
    Status opened = crypto::OpenChunk(t.key.span(), t.id, index, t.chunks, chunk.data(), plain);
    if (!opened.ok()) return FinishIncoming(t, opened.message());
    t.hash->Update(plain);
    sodium_memzero(plain.data(), plain.size());
  }
  if (index + 1 == t.chunks) {
    if (chunk.file_hash().size() != crypto::kFileHashSize) {
      return FinishIncoming(t, "the last chunk has no hash of the whole file");
    }
    t.file_hash = chunk.file_hash();
  }
  Status written = t.blob->WriteChunk(index, chunk.data());
  if (!written.ok()) {
    log_.Error("cannot store a received file: " + written.ToString());
    return FinishIncoming(t, "the recipient's daemon could not store it");
  }
  ++t.written;
  t.gap_want = std::numeric_limits<uint64_t>::max();
  if (t.written % kReceivedEvery == 0) SendWant(t, WantKind::kProgress);
  sync_signal_.cancel();
}

void FileTransfers::FinishIncoming(Incoming& t, const std::string& failure) {
  std::string reason = failure;
  if (reason.empty() && t.hash && !SameHash(t.hash->Final(), t.file_hash)) {
    reason =
        "it does not match the hash its sender sent: it changed while being sent, or was "
        "damaged";
  }
  const bool ok = reason.empty();
  if (!ok)
    log_.Warning("gave up receiving file " + conversation_.Describe(t.history_id) + ": " + reason);
  // A file whose envelope opened while it arrived is checked as a whole now.
  if (ok && !t.hash && !t.key.empty()) VerifyOpened(t.history_id, std::move(t.key));
  UpdateEntry(t.history_id, [&](HistoryEntry& e) {
    FileRecord* file = e.mutable_file();
    file->set_state(ok ? control::Attachment::RECEIVED : control::Attachment::FAILED);
    file->set_error(reason);
  });
  peer::Deliver done;
  done.mutable_file_done()->set_transfer_id(t.id);
  done.mutable_file_done()->set_ok(ok);
  done.mutable_file_done()->set_reason(reason);
  conversation_.EnqueueItem(std::move(done), 0);
  commit_.batch().Delete(Key(kIncomingPrefix, t.id));
  if (!ok) {
    commit_.batch().Delete(FileKeyName(t.id, t.view_once));
    std::error_code ec;
    std::filesystem::remove(BlobPath(files_dir_, t.id, t.view_once), ec);
  }
  finished_[t.history_id] = t.stats;
  const std::string id = t.id;  // `t` goes with its map entry.
  incoming_.erase(id);
  commit_.AfterSync([](const Status&) {});
}

void FileTransfers::OnCancel(const peer::FileCancel& cancel) {
  auto it = incoming_.find(cancel.transfer_id());
  if (it == incoming_.end()) return;
  Incoming& t = *it->second;
  log_.Info("the partner stopped sending file " + conversation_.Describe(t.history_id));
  UpdateEntry(t.history_id, [&](HistoryEntry& e) {
    e.mutable_file()->set_state(control::Attachment::FAILED);
    e.mutable_file()->set_error("your partner stopped sending it: " + cancel.reason());
  });
  DeleteTransfer(t.id);
  std::error_code ec;
  std::filesystem::remove(BlobPath(files_dir_, t.id, t.view_once), ec);
  finished_[t.history_id] = t.stats;
  incoming_.erase(it);
}

}  // namespace inmost::core
