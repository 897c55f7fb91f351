// FileTransfers' front: construction, loading what was in progress, the control
// requests (send, list, save) and where the partner's file items and messages come
// in, handed on to the sender (outgoing.cc) and the recipient (incoming.cc). It must
// never send or take chunks itself.
#include "daemon/core/files/file_transfers.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <set>
#include <utility>

#include "daemon/core/files/file_names.h"
#include "daemon/core/files/received_file.h"
#include "daemon/core/files/transfer_state.h"
#include "daemon/core/message_view.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::core {

namespace asio = boost::asio;
using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

FileTransfers::FileTransfers(asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                             Conversation& conversation, PartnerChannel& channel,
                             const Boundaries& boundaries, BackgroundWork& background,
                             const Clock& clock, log::Logger& log, std::filesystem::path files_dir,
                             std::filesystem::path uploads_dir, FileLimits limits)
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
      uploads_(io, store, commit, background, clock, log, std::move(uploads_dir),
               limits.max_file_bytes),
      rate_timer_(io, clock),
      sync_signal_(io, asio::steady_timer::time_point::max()) {
  if (limits_.rate_bytes_per_second != 0) {
    // Bursts of a quarter of a second's bytes, and always room for two chunks.
    const double rate = static_cast<double>(limits_.rate_bytes_per_second);
    rate_.emplace(rate, std::max(rate / 4, 2.0 * crypto::kSealedChunkSize), clock_.SteadyNow());
  }
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
    auto key = entry.ok() ? GetKey(*entry) : Result<crypto::SecretBytes>(entry.status());
    if (!entry.ok() || !key.ok() || entry->file().state() != control::Attachment::SENDING) {
      log_.Warning("dropping a file transfer that cannot go on");
      DeleteTransfer(id);
      continue;
    }
    transfer->history_id = entry->id();
    transfer->view_once = ViewOnceOf(*entry);
    transfer->key = std::move(*key);
    transfer->chunks = crypto::ChunkCount(transfer->record.size());
    transfer->acked = entry->file().chunks_done();
    transfer->stats.set_id(entry->id());
    transfer->stats.set_direction(control::Message::OUTGOING);
    transfer->stats.set_chunks(transfer->chunks);
    outgoing_.emplace(id, std::move(transfer));
  }
  if (!uploads_loaded_) {
    std::set<std::string> in_use;
    for (const auto& [id, t] : outgoing_) {
      if (!t->record.upload_id().empty()) in_use.insert(t->record.upload_id());
    }
    INMOST_RETURN_IF_ERROR(uploads_.Load(in_use));
    uploads_loaded_ = true;
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
    transfer->view_once = ViewOnceOf(*entry);
    auto key = GetKey(*entry);
    if (key.ok()) transfer->key = std::move(*key);
    transfer->stats.set_id(entry->id());
    transfer->stats.set_direction(control::Message::INCOMING);
    transfer->stats.set_chunks(transfer->chunks);
    Status resumed = ResumeIncoming(*transfer, entry->file());
    if (!resumed.ok()) {
      // A damaged or unreadable blob costs this file, not the daemon.
      log_.Error("cannot resume receiving file " + conversation_.Describe(transfer->history_id) +
                 ": " + resumed.ToString());
      FinishIncoming(
          *transfer,
          "the recipient's daemon could not store it: its partly received copy was lost or "
          "damaged; it must be sent again");
      continue;
    }
    if (transfer->durable == transfer->chunks) {
      // Every chunk was recorded, but the daemon stopped (a crash, a power cut) before
      // it finished the file: no chunk will come again, so finish it now.
      FinishIncoming(*transfer, "");
      continue;
    }
    incoming_.emplace(id, std::move(transfer));
  }
  return Status::Ok();
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
  uploads_.Stop();
  rate_timer_.Cancel();
  sync_signal_.cancel();
}

void FileTransfers::StartWithNewPartner() {
  auto stop = [this](uint64_t history_id, const std::string& id, ViewOnce view_once) {
    UpdateEntry(history_id, [](HistoryEntry& e) {
      e.mutable_file()->set_state(control::Attachment::FAILED);
      e.mutable_file()->set_error("not finished before the pairing ended");
    });
    DeleteTransfer(id);
    std::error_code ec;
    std::filesystem::remove(BlobPath(files_dir_, id, view_once), ec);
  };
  for (const auto& [id, t] : outgoing_) stop(t->history_id, id, ViewOnce::kNo);
  for (const auto& [id, t] : incoming_) stop(t->history_id, id, t->view_once);
  outgoing_.clear();
  incoming_.clear();
}

// ---- requests -----------------------------------------------------------------------

Status FileTransfers::CheckSize(const std::string& what, uint64_t size) const {
  if (size > limits_.max_file_bytes) {
    return InvalidArgument(what + " is " + Size(size) +
                           ", larger than the largest file this daemon sends (max-file-size " +
                           Size(limits_.max_file_bytes) + ")");
  }
  const uint64_t partner_max = boundaries_.partner_max_file_bytes();
  if (partner_max != 0 && size > partner_max) {
    return FailedPrecondition(what + " is " + Size(size) +
                              ", larger than your partner's daemon accepts (" + Size(partner_max) +
                              ")");
  }
  return Status::Ok();
}

Result<PreparedFile> FileTransfers::Prepare(const std::string& path,
                                            const std::string& upload_id) const {
  PreparedFile prepared;
  if (!upload_id.empty()) {
    if (!path.empty()) return InvalidArgument("give a file path or an upload id, not both");
    INMOST_ASSIGN_OR_RETURN(records::UploadRecord upload, uploads_.Finished(upload_id));
    INMOST_RETURN_IF_ERROR(CheckSize(upload.name(), upload.size()));
    INMOST_ASSIGN_OR_RETURN(prepared.source, uploads_.OpenSource(upload_id, upload.size()));
    prepared.record.set_upload_id(upload_id);
    prepared.record.set_size(upload.size());
    prepared.name = upload.name();
    prepared.type = upload.type();
    return prepared;
  }
  std::filesystem::path file(path);
  if (!file.is_absolute()) return InvalidArgument("give the file as an absolute path");
  auto source = SourceFile::Open(file, prepared.record);
  if (!source.ok()) return source.status();
  prepared.source = std::move(*source);
  INMOST_RETURN_IF_ERROR(CheckSize(path, prepared.record.size()));
  prepared.name = ShownFileName(file.filename().string());
  prepared.type = MediaType(file);
  return prepared;
}

Result<control::SendReply> FileTransfers::Send(PreparedFile file, const std::string& caption,
                                               bool view_once) {
  if (!caption.empty()) INMOST_RETURN_IF_ERROR(ValidateText(caption, "the caption"));
  if (view_once && !caption.empty()) {
    return InvalidArgument(
        "a view-once file goes without a caption, which would stay when the file is gone: send "
        "the words as a message of their own");
  }
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::PENDING);
  entry.set_text(caption);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  const FileRecord* record = DescribeOutgoing(file, entry);
  if (view_once) entry.mutable_view_once();
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
  offer->set_view_once(view_once);
  entry.set_seq(conversation_.EnqueueItem(
      std::move(item), entry.id(),
      view_once ? Conversation::InBackups::kNever : Conversation::InBackups::kYes));
  conversation_.PutEntry(entry);
  StartOutgoing(entry, std::move(file), std::move(key));

  control::SendReply reply;
  reply.set_id(entry.id());
  reply.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  return reply;
}

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
  const std::string what = "message " + conversation_.Describe(id);
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
  if (entry->has_view_once()) {
    co_return FailedPrecondition(what +
                                 " is a view-once file: it is never saved, only viewed once "
                                 "(inmost view, or the web page)");
  }
  auto key = GetKey(*entry);
  if (!key.ok()) {
    co_return key.status().code() == Code::kNotFound
        ? FailedPrecondition(what + " is sealed: it can be saved once it opens")
        : key.status();
  }
  if (!to.is_absolute()) co_return InvalidArgument("give where to save it as an absolute path");
  // Into a folder, under the file's own name: a name already there is kept, and
  // this copy gets the next free one, as a browser's downloads do.
  std::error_code ec;
  NameTaken taken = NameTaken::kRefuse;
  if (std::filesystem::is_directory(to, ec)) {
    to /= SafeFileName(file.name());
    taken = NameTaken::kNextFree;
  }

  auto shared_key = std::make_shared<crypto::SecretBytes>(std::move(*key));
  const std::filesystem::path blob_path = BlobPath(files_dir_, file.transfer_id(), ViewOnce::kNo);
  std::function<Result<std::filesystem::path>()> work = [shared_key, blob_path, to, file, taken] {
    return SaveReceivedFile(blob_path, shared_key->span(), file, to, taken);
  };
  auto saved = co_await background_.Run<Result<std::filesystem::path>>(work);
  if (!saved.ok()) co_return saved.status();
  control::SaveReply reply;
  reply.set_path(saved->string());
  reply.set_size(file.size());
  co_return reply;
}

// ---- the link and the partner's items ----------------------------------------------

void FileTransfers::OnLinkUp() {
  for (auto& [id, t] : incoming_) SendWant(*t, WantKind::kResend);
}

void FileTransfers::OnLinkDown() {
  // What was in flight is lost: nothing goes until the recipient says where it is.
  for (auto& [id, t] : outgoing_) t->wanted = false;
}

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

}  // namespace inmost::core
