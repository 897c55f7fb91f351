// The sender: a file registered for sending, its chunks pumped out while the link's
// queue is short and the windows and the rate allow, the recipient's wants, and the
// end of the transfer. It must never change the user's file, only read it.
#include <sodium.h>

#include <algorithm>
#include <utility>

#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/transfer_state.h"
#include "daemon/crypto/envelope_seal.h"

namespace inmost::core {

namespace asio = boost::asio;
using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

namespace {

// Chunks go out only while fewer bytes than this wait in the link's queue: a text
// queued behind them waits for at most a few frames.
constexpr size_t kBulkQueueBytes = 4 * crypto::kSealedChunkSize;
// Chunks sent beyond what the recipient has synced: enough to keep the link busy
// while it syncs (about 32 MiB).
constexpr uint64_t kWindowChunks = 512;

}  // namespace

const FileRecord* FileTransfers::DescribeOutgoing(const PreparedFile& file, HistoryEntry& entry) {
  FileRecord* record = entry.mutable_file();
  record->set_transfer_id(crypto::NewEnvelopeId());
  record->set_name(file.name);
  record->set_type(file.type);
  record->set_size(file.record.size());
  record->set_chunk_size(crypto::kChunkSize);
  record->set_state(control::Attachment::SENDING);
  return record;
}

void FileTransfers::StartOutgoing(const HistoryEntry& entry, PreparedFile file,
                                  crypto::SecretBytes key) {
  auto transfer = std::make_unique<Outgoing>();
  transfer->id = entry.file().transfer_id();
  transfer->history_id = entry.id();
  transfer->record = std::move(file.record);
  transfer->record.set_history_id(entry.id());
  transfer->source = std::move(file.source);
  uploads_.Claim(transfer->record.upload_id());
  transfer->chunks = crypto::ChunkCount(transfer->record.size());
  transfer->stats.set_id(entry.id());
  transfer->stats.set_direction(control::Message::OUTGOING);
  transfer->stats.set_chunks(transfer->chunks);
  commit_.batch().Put(Key(kOutgoingPrefix, transfer->id),
                      crypto::AsBytes(transfer->record.SerializeAsString()));
  transfer->view_once = ViewOnceOf(entry);
  PutKey(transfer->id, key, entry.has_view_once());
  transfer->key = std::move(key);
  outgoing_.emplace(transfer->id, std::move(transfer));
  // The first chunks go when the recipient, having stored the offer, asks for them.
}

void FileTransfers::Pump() {
  while (!stopped_ && channel_.IsUp() && channel_.QueuedBytes() < kBulkQueueBytes) {
    Outgoing* transfer = NextToSend();
    if (transfer == nullptr) return;
    if (rate_) {
      const SteadyTime now = clock_.SteadyNow();
      if (!rate_->TryTake(crypto::kSealedChunkSize, now)) {
        if (!rate_timer_armed_) {
          rate_timer_armed_ = true;
          rate_timer_.AsyncWaitFor(rate_->TimeUntil(crypto::kSealedChunkSize, now),
                                   [this](bool fired) {
                                     rate_timer_armed_ = false;
                                     if (fired) Pump();
                                   });
        }
        return;
      }
    }
    Status sent = SendChunk(*transfer);
    if (!sent.ok()) FailOutgoing(*transfer, sent.message());
  }
}

FileTransfers::Outgoing* FileTransfers::NextToSend() {
  auto ready = [](const Outgoing& t) {
    return t.wanted && t.next < t.chunks && t.next < t.acked + kWindowChunks &&
           t.next < t.received + t.window.chunks();
  };
  // Round robin: the transfer after the one that sent last, then from the start.
  for (auto it = outgoing_.upper_bound(last_sent_); it != outgoing_.end(); ++it) {
    if (ready(*it->second)) return (last_sent_ = it->first, it->second.get());
  }
  for (auto& [id, transfer] : outgoing_) {
    if (ready(*transfer)) return (last_sent_ = id, transfer.get());
  }
  return nullptr;
}

Status FileTransfers::SendChunk(Outgoing& t) {
  if (!t.source) {
    auto source = t.record.upload_id().empty()
                      ? SourceFile::Reopen(t.record)
                      : uploads_.OpenSource(t.record.upload_id(), t.record.size());
    if (!source.ok()) return source.status();
    t.source = std::move(*source);
  }
  std::string plain;
  INMOST_RETURN_IF_ERROR(t.source->ReadChunk(t.next, plain));
  if (t.next == 0) {
    t.hash.emplace(t.key.span());
    t.hashed = 0;
  }
  if (t.hash && t.hashed == t.next) {
    t.hash->Update(plain);
    ++t.hashed;
  }
  peer::PeerMessage message;
  peer::FileChunk* chunk = message.mutable_file_chunk();
  chunk->set_transfer_id(t.id);
  chunk->set_index(t.next);
  chunk->set_data(crypto::SealChunk(t.key.span(), t.id, t.next, t.chunks, plain));
  if (t.next + 1 == t.chunks) {
    if (!t.hash || t.hashed != t.chunks) {
      // Resent out of order (a reconnect or a restart): hash the file again.
      t.hash.emplace(t.key.span());
      for (t.hashed = 0; t.hashed < t.chunks; ++t.hashed) {
        INMOST_RETURN_IF_ERROR(t.source->ReadChunk(t.hashed, plain));
        t.hash->Update(plain);
      }
    }
    chunk->set_file_hash(t.hash->Final());
    t.hash.reset();
  }
  sodium_memzero(plain.data(), plain.size());
  if (!channel_.SendToPartner(message)) {
    // A link that went down resumes at the next link up; one that stays up cannot
    // take this chunk at all.
    return channel_.IsUp() ? ResourceExhausted("a chunk does not fit the link") : Status::Ok();
  }
  t.window.OnSent(t.next, clock_.SteadyNow());
  ++t.next;
  t.stats.set_chunks_sent(t.stats.chunks_sent() + 1);
  return Status::Ok();
}

void FileTransfers::OnWant(const peer::FileWant& want) {
  auto it = outgoing_.find(want.transfer_id());
  if (it == outgoing_.end()) return;  // Finished or given up: the partner hears by stream.
  Outgoing& t = *it->second;
  const uint64_t stored = std::min(want.stored(), t.chunks);
  // A sender already going on this link keeps going: a new session that replaced the
  // last one without a down still delivers what is in flight, and resending it from
  // `stored` would send it twice. One that sent everything goes back all the same: a
  // lost tail shows no gap to the recipient, so this want is its only way to ask.
  const bool going = t.wanted && t.next < t.chunks;
  if (want.resend() && (!going || want.rewind())) {
    if (!t.asked_before) t.stats.set_chunks_at_start(stored);
    t.asked_before = true;
    t.wanted = true;
    t.next = stored;
    t.acked = stored;
    t.received = stored;
    t.window.Restart(stored);
  } else if (!want.resend()) {
    t.acked = std::max(t.acked, stored);
  }
  t.received = std::max({t.received, t.acked, std::min(want.received(), t.chunks)});
  const SteadyTime now = clock_.SteadyNow();
  t.window.OnArrived(t.received, now);
  if (now - t.last_progress >= kProgressInterval) {
    t.last_progress = now;
    const uint64_t acked = t.acked;
    UpdateEntry(t.history_id,
                [acked](HistoryEntry& e) { e.mutable_file()->set_chunks_done(acked); });
    commit_.AfterWrite([](const Status&) {});
  }
  Pump();
}

void FileTransfers::FailOutgoing(Outgoing& transfer, const std::string& reason) {
  log_.Warning("stopped sending file " + conversation_.Describe(transfer.history_id) + ": " +
               reason);
  peer::Deliver item;
  item.mutable_file_cancel()->set_transfer_id(transfer.id);
  item.mutable_file_cancel()->set_reason(reason);
  conversation_.EnqueueItem(std::move(item), 0);
  FinishOutgoing(transfer.id, false, reason);
}

void FileTransfers::FinishOutgoing(const std::string& transfer_id, bool ok,
                                   const std::string& reason) {
  auto it = outgoing_.find(transfer_id);
  if (it == outgoing_.end()) return;
  Outgoing& t = *it->second;
  const uint64_t done = ok ? t.chunks : t.acked;
  UpdateEntry(t.history_id, [&](HistoryEntry& e) {
    FileRecord* file = e.mutable_file();
    file->set_state(ok ? control::Attachment::SENT : control::Attachment::FAILED);
    file->set_error(reason);
    file->set_chunks_done(done);
  });
  t.stats.set_chunks_done(done);
  finished_[t.history_id] = t.stats;
  DeleteTransfer(transfer_id);
  outgoing_.erase(it);
  commit_.AfterSync([](const Status&) {});
}

void FileTransfers::OnDone(const peer::FileDone& done) {
  FinishOutgoing(done.transfer_id(), done.ok(),
                 done.ok() ? "" : "your partner's daemon did not take it: " + done.reason());
}

}  // namespace inmost::core
