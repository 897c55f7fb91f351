#include "daemon/core/file_transfers.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <limits>
#include <utility>

#include "daemon/core/file_names.h"
#include "daemon/core/message_view.h"
#include "daemon/core/received_file.h"
#include "daemon/core/send_window.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::core {

namespace asio = boost::asio;
using records::FileRecord;
using records::HistoryEntry;

namespace {

constexpr std::string_view kOutgoingPrefix = "xo/";  // records::OutgoingTransfer
constexpr std::string_view kIncomingPrefix = "xi/";  // records::IncomingTransfer
constexpr std::string_view kFileKeyPrefix = "fk/";   // The file key (PutSecret).
// Chunks go out only while fewer bytes than this wait in the link's queue: a text
// queued behind them waits for at most a few frames.
constexpr size_t kBulkQueueBytes = 4 * crypto::kSealedChunkSize;
// Chunks sent beyond what the recipient has synced: enough to keep the link busy
// while it syncs (about 32 MiB).
constexpr uint64_t kWindowChunks = 512;
// The recipient says what arrived every kReceivedEvery chunks; how many may be on
// their way beyond that is the transfer's SendWindow (send_window.h).
constexpr uint64_t kReceivedEvery = 8;
// Progress is written and announced at most this often per transfer.
constexpr auto kProgressInterval = std::chrono::milliseconds(250);

std::string Key(std::string_view prefix, const std::string& transfer_id) {
  return std::string(prefix) + transfer_id;
}

std::string Hex(const std::string& bytes) {
  return crypto::ToHex(crypto::AsBytes(bytes));
}

std::string Describe(uint64_t id) {
  return "#" + std::to_string(id);
}

std::string Size(uint64_t bytes) {
  return std::to_string(bytes) + " bytes";
}

bool SameHash(const std::string& a, const std::string& b) {
  return a.size() == crypto::kFileHashSize && b.size() == crypto::kFileHashSize &&
         sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

struct FileTransfers::Outgoing {
  std::string id;
  uint64_t history_id = 0;
  records::OutgoingTransfer record;
  crypto::SecretBytes key;
  uint64_t chunks = 0;
  std::unique_ptr<SourceFile> source;  // Opened again after a restart.
  uint64_t acked = 0;                  // The recipient has chunks [0, acked) synced,
  uint64_t received = 0;               // ... and [0, received) arrived.
  uint64_t next = 0;                   // The next chunk to send.
  SendWindow window{crypto::kSealedChunkSize};
  bool wanted = false;        // The recipient asked for chunks on this link.
  bool asked_before = false;  // ... at least once since the daemon started.
  // The whole-file hash over chunks [0, hashed), kept in step with chunks sent in
  // order; recomputed from the file when the last chunk finds it behind.
  std::optional<crypto::FileHash> hash;
  uint64_t hashed = 0;
  control::Transfer stats;
  std::chrono::steady_clock::time_point last_progress{};
};

struct FileTransfers::Incoming {
  std::string id;
  uint64_t history_id = 0;
  uint64_t size = 0;
  uint64_t chunks = 0;
  crypto::SecretBytes key;  // Empty while inside a withheld envelope.
  std::shared_ptr<store::BlobFile> blob;
  uint64_t written = 0;  // Chunks [0, written) are written to the blob.
  uint64_t durable = 0;  // ... and [0, durable) synced and recorded.
  bool syncing = false;
  // Plain files: the hash of chunks [0, written), checked as they arrive.
  std::optional<crypto::FileHash> hash;
  std::string file_hash;                                     // The sender's, from the last chunk.
  uint64_t gap_want = std::numeric_limits<uint64_t>::max();  // Resend asked from here.
  control::Transfer stats;
  std::chrono::steady_clock::time_point last_progress{};
};

FileTransfers::FileTransfers(asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                             Conversation& conversation, PartnerChannel& channel,
                             const Boundaries& boundaries, BackgroundWork& background,
                             const Clock& clock, log::Logger& log, std::filesystem::path files_dir,
                             FileLimits limits)
    : io_(io),
      store_(store),
      commit_(commit),
      conversation_(conversation),
      channel_(channel),
      boundaries_(boundaries),
      background_(background),
      clock_(clock),
      log_(log),
      files_dir_(std::move(files_dir)),
      limits_(limits),
      rate_timer_(io),
      sync_signal_(io, asio::steady_timer::time_point::max()) {
  conversation_.AddReloadHook([this] { Reload(); });
  conversation_.SetEraseHook([this](const HistoryEntry& entry) {
    if (!entry.has_file()) return;
    HistoryEntry forgotten = entry;
    Discard(forgotten);
  });
}

FileTransfers::~FileTransfers() = default;

// ---- loading ------------------------------------------------------------------------

Status FileTransfers::Load() {
  outgoing_.clear();
  incoming_.clear();
  // A new files/ is durable in the data directory before any received file in it.
  INMOST_RETURN_IF_ERROR(store::CreateDirectoryDurably(files_dir_, store::kPrivateDirMode));
  std::error_code ec;
  std::filesystem::permissions(files_dir_, std::filesystem::perms::owner_all, ec);

  std::vector<std::pair<std::string, std::string>> outgoing;
  std::vector<std::pair<std::string, std::string>> incoming;
  INMOST_RETURN_IF_ERROR(
      store_.ForEach(kOutgoingPrefix, [&](std::string_view k, std::string_view v) {
        outgoing.emplace_back(std::string(k.substr(kOutgoingPrefix.size())), std::string(v));
        return true;
      }));
  INMOST_RETURN_IF_ERROR(
      store_.ForEach(kIncomingPrefix, [&](std::string_view k, std::string_view v) {
        incoming.emplace_back(std::string(k.substr(kIncomingPrefix.size())), std::string(v));
        return true;
      }));

  for (const auto& [id, value] : outgoing) {
    auto transfer = std::make_unique<Outgoing>();
    transfer->id = id;
    auto entry = transfer->record.ParseFromString(value)
                     ? conversation_.Entry(transfer->record.history_id())
                     : Result<HistoryEntry>(Corruption("unreadable transfer record"));
    auto key = store_.GetSecret(Key(kFileKeyPrefix, id));
    if (!entry.ok() || !key.ok() || entry->file().state() != control::Attachment::SENDING) {
      log_.Warning("dropping a file transfer that cannot go on");
      DeleteTransfer(id);
      continue;
    }
    transfer->history_id = entry->id();
    transfer->key = std::move(*key);
    transfer->chunks = crypto::ChunkCount(transfer->record.size());
    transfer->acked = entry->file().chunks_done();
    transfer->stats.set_id(entry->id());
    transfer->stats.set_direction(control::Message::OUTGOING);
    transfer->stats.set_chunks(transfer->chunks);
    outgoing_.emplace(id, std::move(transfer));
  }

  for (const auto& [id, value] : incoming) {
    records::IncomingTransfer record;
    auto entry = record.ParseFromString(value)
                     ? conversation_.Entry(record.history_id())
                     : Result<HistoryEntry>(Corruption("unreadable transfer record"));
    if (!entry.ok() || entry->file().state() != control::Attachment::RECEIVING) {
      DeleteTransfer(id);
      continue;
    }
    auto transfer = std::make_unique<Incoming>();
    transfer->id = id;
    transfer->history_id = entry->id();
    transfer->size = entry->file().size();
    transfer->chunks = crypto::ChunkCount(transfer->size);
    auto key = store_.GetSecret(Key(kFileKeyPrefix, id));
    if (key.ok()) transfer->key = std::move(*key);
    transfer->stats.set_id(entry->id());
    transfer->stats.set_direction(control::Message::INCOMING);
    transfer->stats.set_chunks(transfer->chunks);
    Status resumed = ResumeIncoming(*transfer, entry->file());
    if (!resumed.ok()) {
      // A damaged or unreadable blob costs this file, not the daemon.
      log_.Error("cannot resume receiving file " + Describe(transfer->history_id) + ": " +
                 resumed.ToString());
      FinishIncoming(
          *transfer,
          "the recipient's daemon could not store it: its partly received copy was lost or "
          "damaged; it must be sent again");
      continue;
    }
    incoming_.emplace(id, std::move(transfer));
  }
  return Status::Ok();
}

Status FileTransfers::ResumeIncoming(Incoming& t, const FileRecord& file) {
  const uint64_t durable = std::min(file.chunks_done(), t.chunks);
  auto blob = store::BlobFile::Open(files_dir_ / Hex(t.id), durable == 0);
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

void FileTransfers::Reload() {
  // A failed write dropped whatever the transfers had in it: go on from the disk.
  Status loaded = Load();
  if (!loaded.ok()) log_.Error("could not reload the file transfers: " + loaded.ToString());
  for (auto& [id, t] : outgoing_) {
    // From what the partner last acknowledged; it asks again if that is not where it is.
    t->wanted = channel_.IsUp();
    t->next = t->received = t->acked;
    t->window.Restart(t->acked);
  }
  if (channel_.IsUp()) {
    for (auto& [id, t] : incoming_) SendWant(*t, WantKind::kRewind);
  }
  Pump();
}

void FileTransfers::Start() {
  asio::co_spawn(io_, SyncLoop(), asio::detached);
}

void FileTransfers::Stop() {
  stopped_ = true;
  rate_timer_.cancel();
  sync_signal_.cancel();
}

// ---- sending ------------------------------------------------------------------------

Result<PreparedFile> FileTransfers::Prepare(const std::string& path) const {
  std::filesystem::path file(path);
  if (!file.is_absolute()) return InvalidArgument("give the file as an absolute path");
  PreparedFile prepared;
  auto source = SourceFile::Open(file, prepared.record);
  if (!source.ok()) return source.status();
  prepared.source = std::move(*source);
  const uint64_t size = prepared.record.size();
  if (size > limits_.max_file_bytes) {
    return InvalidArgument(path + " is " + Size(size) +
                           ", larger than the largest file this daemon sends (max-file-size " +
                           Size(limits_.max_file_bytes) + ")");
  }
  const uint64_t partner_max = boundaries_.partner_max_file_bytes();
  if (partner_max != 0 && size > partner_max) {
    return FailedPrecondition(path + " is " + Size(size) +
                              ", larger than your partner's daemon accepts (" + Size(partner_max) +
                              ")");
  }
  prepared.name = ShownFileName(file.filename().string());
  prepared.type = MediaType(file);
  return prepared;
}

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

Result<control::SendReply> FileTransfers::Send(PreparedFile file, const std::string& caption) {
  if (!caption.empty()) INMOST_RETURN_IF_ERROR(ValidateText(caption, "the caption"));
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::PENDING);
  entry.set_text(caption);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  const FileRecord* record = DescribeOutgoing(file, entry);
  conversation_.AppendEntry(entry);

  crypto::SecretBytes key = crypto::NewFileKey();
  peer::Deliver item;
  item.set_text(caption);
  item.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  peer::FileOffer* offer = item.mutable_file();
  offer->set_transfer_id(record->transfer_id());
  offer->set_size(record->size());
  offer->set_chunk_size(record->chunk_size());
  offer->set_name(record->name());
  offer->set_type(record->type());
  offer->set_key(key.data(), key.size());
  entry.set_seq(conversation_.EnqueueItem(std::move(item), entry.id()));
  conversation_.PutEntry(entry);
  StartOutgoing(entry, std::move(file), std::move(key));

  control::SendReply reply;
  reply.set_id(entry.id());
  reply.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  return reply;
}

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

void FileTransfers::StartOutgoing(const HistoryEntry& entry, PreparedFile file,
                                  crypto::SecretBytes key) {
  auto transfer = std::make_unique<Outgoing>();
  transfer->id = entry.file().transfer_id();
  transfer->history_id = entry.id();
  transfer->record = std::move(file.record);
  transfer->record.set_history_id(entry.id());
  transfer->source = std::move(file.source);
  transfer->chunks = crypto::ChunkCount(transfer->record.size());
  transfer->stats.set_id(entry.id());
  transfer->stats.set_direction(control::Message::OUTGOING);
  transfer->stats.set_chunks(transfer->chunks);
  commit_.batch().Put(Key(kOutgoingPrefix, transfer->id),
                      crypto::AsBytes(transfer->record.SerializeAsString()));
  PutKey(transfer->id, key);
  transfer->key = std::move(key);
  outgoing_.emplace(transfer->id, std::move(transfer));
  // The first chunks go when the recipient, having stored the offer, asks for them.
}

void FileTransfers::Pump() {
  while (!stopped_ && channel_.IsUp() && channel_.QueuedBytes() < kBulkQueueBytes) {
    Outgoing* transfer = NextToSend();
    if (transfer == nullptr) return;
    if (limits_.rate_bytes_per_second != 0) {
      const auto now = std::chrono::steady_clock::now();
      const double rate = static_cast<double>(limits_.rate_bytes_per_second);
      const double elapsed = std::chrono::duration<double>(now - rate_updated_).count();
      const double burst = std::max(rate / 4, 2.0 * crypto::kSealedChunkSize);
      rate_allowance_ = std::min(burst, rate_allowance_ + elapsed * rate);
      rate_updated_ = now;
      if (rate_allowance_ < static_cast<double>(crypto::kSealedChunkSize)) {
        if (!rate_timer_armed_) {
          rate_timer_armed_ = true;
          const double wait = (crypto::kSealedChunkSize - rate_allowance_) / rate;
          rate_timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::duration<double>(wait)));
          rate_timer_.async_wait([this](const boost::system::error_code& ec) {
            rate_timer_armed_ = false;
            if (!ec) Pump();
          });
        }
        return;
      }
      rate_allowance_ -= static_cast<double>(crypto::kSealedChunkSize);
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
    auto source = SourceFile::Reopen(t.record);
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
  t.window.OnSent(t.next, std::chrono::steady_clock::now());
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
  const auto now = std::chrono::steady_clock::now();
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
  log_.Warning("stopped sending file " + Describe(transfer.history_id) + ": " + reason);
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

void FileTransfers::StartWithNewPartner() {
  auto stop = [this](uint64_t history_id, const std::string& id) {
    UpdateEntry(history_id, [](HistoryEntry& e) {
      e.mutable_file()->set_state(control::Attachment::FAILED);
      e.mutable_file()->set_error("not finished before the pairing ended");
    });
    DeleteTransfer(id);
    std::error_code ec;
    std::filesystem::remove(files_dir_ / Hex(id), ec);
  };
  for (const auto& [id, t] : outgoing_) stop(t->history_id, id);
  for (const auto& [id, t] : incoming_) stop(t->history_id, id);
  outgoing_.clear();
  incoming_.clear();
}

void FileTransfers::OnLinkUp() {
  for (auto& [id, t] : incoming_) SendWant(*t, WantKind::kResend);
}

void FileTransfers::OnLinkDown() {
  // What was in flight is lost: nothing goes until the recipient says where it is.
  for (auto& [id, t] : outgoing_) t->wanted = false;
}

// ---- receiving ----------------------------------------------------------------------

void FileTransfers::OnItem(const peer::Deliver& item) {
  switch (item.item_case()) {
    case peer::Deliver::kFile:
      OnOffer(item);
      break;
    case peer::Deliver::kFileDone:
      OnDone(item.file_done());
      break;
    case peer::Deliver::kFileCancel:
      OnCancel(item.file_cancel());
      break;
    default:
      break;
  }
}

void FileTransfers::OnPeerMessage(const peer::PeerMessage& message) {
  if (message.has_file_chunk()) {
    OnChunk(message.file_chunk());
  } else if (message.has_file_want()) {
    OnWant(message.file_want());
  }
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
  conversation_.AppendEntry(entry);
  StartIncoming(entry, offer, crypto::SecretBytes::CopyOf(crypto::AsBytes(offer.key())));
  control::Event event;
  event.set_at_unix_ms(entry.received_at_unix_ms());
  *event.mutable_message_received()->mutable_message() = MessageView(entry, false);
  conversation_.PublishWhenWritten(std::move(event));
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

void FileTransfers::StartIncoming(HistoryEntry& entry, const peer::FileOffer& offer,
                                  crypto::SecretBytes key) {
  FileRecord* file = entry.mutable_file();
  std::string refusal = RefusalFor(offer.size());
  std::shared_ptr<store::BlobFile> blob;
  if (refusal.empty()) {
    auto opened = store::BlobFile::Open(files_dir_ / Hex(offer.transfer_id()), true);
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
    PutKey(transfer->id, key);
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
  if (index > t.written || index >= t.chunks) {
    // A chunk was lost with a session: ask again from the first missing one, once.
    if (t.gap_want != t.written && index < t.chunks) {
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
  const auto now = std::chrono::steady_clock::now();
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

void FileTransfers::FinishIncoming(Incoming& t, const std::string& failure) {
  std::string reason = failure;
  if (reason.empty() && t.hash && !SameHash(t.hash->Final(), t.file_hash)) {
    reason =
        "it does not match the hash its sender sent: it changed while being sent, or was "
        "damaged";
  }
  const bool ok = reason.empty();
  if (!ok) log_.Warning("gave up receiving file " + Describe(t.history_id) + ": " + reason);
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
    commit_.batch().Delete(Key(kFileKeyPrefix, t.id));
    std::error_code ec;
    std::filesystem::remove(files_dir_ / Hex(t.id), ec);
  }
  finished_[t.history_id] = t.stats;
  const std::string id = t.id;  // `t` goes with its map entry.
  incoming_.erase(id);
  commit_.AfterSync([](const Status&) {});
}

void FileTransfers::OnDone(const peer::FileDone& done) {
  FinishOutgoing(done.transfer_id(), done.ok(),
                 done.ok() ? "" : "your partner's daemon did not take it: " + done.reason());
}

void FileTransfers::OnCancel(const peer::FileCancel& cancel) {
  auto it = incoming_.find(cancel.transfer_id());
  if (it == incoming_.end()) return;
  Incoming& t = *it->second;
  log_.Info("the partner stopped sending file " + Describe(t.history_id));
  UpdateEntry(t.history_id, [&](HistoryEntry& e) {
    e.mutable_file()->set_state(control::Attachment::FAILED);
    e.mutable_file()->set_error("your partner stopped sending it: " + cancel.reason());
  });
  DeleteTransfer(t.id);
  std::error_code ec;
  std::filesystem::remove(files_dir_ / Hex(t.id), ec);
  finished_[t.history_id] = t.stats;
  incoming_.erase(it);
}

// ---- envelopes ----------------------------------------------------------------------

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
  PutKey(file->transfer_id(), key);
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
  const std::filesystem::path blob_path = files_dir_ / Hex(file.transfer_id());
  std::function<Status()> work = [key, blob_path, file] {
    return ReadReceivedFile(blob_path, key->span(), file,
                            [](std::string_view) { return Status::Ok(); });
  };
  Status verified = co_await background_.Run<Status>(work);
  if (stopped_ || verified.ok()) co_return;
  log_.Warning("file " + Describe(history_id) + " opened but is damaged: " + verified.message());
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
  DeleteTransfer(id);
  std::error_code ec;
  std::filesystem::remove(files_dir_ / Hex(id), ec);
  if (entry.file().state() == control::Attachment::SENDING ||
      entry.file().state() == control::Attachment::RECEIVING) {
    entry.mutable_file()->set_state(control::Attachment::FAILED);
    entry.mutable_file()->set_error(reason);
  }
}

// ---- views and saving ---------------------------------------------------------------

control::TransfersReply FileTransfers::Transfers() const {
  std::map<uint64_t, control::Transfer> all = finished_;
  for (const auto& [id, t] : outgoing_) {
    control::Transfer& view = all[t->history_id] = t->stats;
    view.set_chunks_done(t->acked);
  }
  for (const auto& [id, t] : incoming_) {
    control::Transfer& view = all[t->history_id] = t->stats;
    view.set_chunks_done(t->durable);
  }
  control::TransfersReply reply;
  for (auto& [history_id, transfer] : all) {
    auto entry = conversation_.Entry(history_id);
    if (!entry.ok()) continue;
    *transfer.mutable_file() = MessageView(*entry, false).file();
    *reply.add_transfers() = std::move(transfer);
  }
  return reply;
}

asio::awaitable<Result<control::SaveReply>> FileTransfers::Save(
    const control::SaveRequest& request) {
  const uint64_t id = request.id();
  std::filesystem::path to(request.to());
  auto entry = conversation_.Entry(id);
  if (!entry.ok()) co_return entry.status();
  const std::string what = "message " + Describe(id);
  if (!entry->has_file()) co_return FailedPrecondition(what + " is not a file");
  const FileRecord file = entry->file();
  if (entry->direction() != HistoryEntry::INCOMING) {
    co_return FailedPrecondition(what + " is a file you sent; only received files can be saved");
  }
  if (entry->has_envelope() && !file.sealed_meta().empty()) {
    co_return FailedPrecondition(what + " is sealed in an envelope: it can be saved once it opens");
  }
  switch (file.state()) {
    case control::Attachment::RECEIVED:
      break;
    case control::Attachment::RECEIVING:
      co_return FailedPrecondition(
          what + " is still arriving (" +
          std::to_string(file.chunks_done() * 100 /
                         std::max<uint64_t>(1, crypto::ChunkCount(file.size()))) +
          "%); see inmost transfers");
    default:
      co_return FailedPrecondition(what + " did not arrive: " + file.error());
  }
  auto key = store_.GetSecret(Key(kFileKeyPrefix, file.transfer_id()));
  if (!key.ok()) {
    co_return key.status().code() == Code::kNotFound
        ? FailedPrecondition(what + " is sealed: it can be saved once it opens")
        : key.status();
  }
  if (!to.is_absolute()) co_return InvalidArgument("give where to save it as an absolute path");
  std::error_code ec;
  if (std::filesystem::is_directory(to, ec)) to /= SafeFileName(file.name());

  auto shared_key = std::make_shared<crypto::SecretBytes>(std::move(*key));
  const std::filesystem::path blob_path = files_dir_ / Hex(file.transfer_id());
  std::function<Status()> work = [shared_key, blob_path, to, file] {
    return SaveReceivedFile(blob_path, shared_key->span(), file, to);
  };
  Status saved = co_await background_.Run<Status>(work);
  if (!saved.ok()) co_return saved;
  control::SaveReply reply;
  reply.set_path(to.string());
  reply.set_size(file.size());
  co_return reply;
}

// ---- bookkeeping --------------------------------------------------------------------

void FileTransfers::UpdateEntry(uint64_t history_id,
                                const std::function<void(HistoryEntry&)>& update, bool announce) {
  auto entry = conversation_.Entry(history_id);
  if (!entry.ok()) {
    log_.Warning("file " + Describe(history_id) + " is gone from the history");
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

void FileTransfers::PutKey(const std::string& transfer_id, const crypto::SecretBytes& key) {
  commit_.batch().PutSecret(Key(kFileKeyPrefix, transfer_id), key);
}

void FileTransfers::DeleteTransfer(const std::string& transfer_id) {
  commit_.batch().Delete(Key(kOutgoingPrefix, transfer_id));
  commit_.batch().Delete(Key(kIncomingPrefix, transfer_id));
  commit_.batch().Delete(Key(kFileKeyPrefix, transfer_id));
}

}  // namespace inmost::core
