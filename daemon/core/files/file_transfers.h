// Files between the partners: photos, voice notes, anything up to the size each
// allows. A file message travels in the conversation's ordered stream as a FileOffer
// (with its caption); its bytes travel beside it as FileChunk messages, each sealed
// under the file key, which the recipient asks for (FileWant) from what it has
// synced, so a transfer resumes after a disconnect or a kill -9 of either side from
// the last durable chunk. Chunks go out only while the link's queue is short, so a
// text is never stuck behind a file. The sender reads the user's file where it lies
// and fails the transfer cleanly if it changes; the recipient keeps the chunks sealed
// in files/ (blob_file.h) and writes plaintext only where `save` is told to.
// Inside an envelope the file key is derived from the envelope's content key, so the
// file stays as unreadable as the envelope until the sender releases it.
// One class over several files, named for their part (the private section below says
// which holds what); transfer_state.h holds what each side keeps of a transfer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "daemon/core/background_work.h"
#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/files/source_file.h"
#include "daemon/core/files/uploads.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "daemon/core/timer.h"
#include "daemon/core/token_bucket.h"
#include "daemon/crypto/file_cipher.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/log/logger.h"
#include "daemon/store/blob_file.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

struct FileLimits {
  uint64_t max_file_bytes = 0;         // The largest file sent or accepted.
  uint64_t quota_bytes = 0;            // The most bytes of received files kept.
  uint64_t rate_bytes_per_second = 0;  // Sending cap; 0: as fast as the link goes.
};

// A file checked and opened for sending, not yet part of the history.
struct PreparedFile {
  records::OutgoingTransfer record;  // Path and what the file looked like.
  std::string name;
  std::string type;
  std::unique_ptr<SourceFile> source;
};

class FileTransfers {
 public:
  // All references must outlive this object; the partner's messages and items reach
  // it through the router (Register). `files_dir` holds received files, `uploads_dir`
  // files put in over the control socket (uploads.h).
  FileTransfers(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                Conversation& conversation, PartnerChannel& channel, const Boundaries& boundaries,
                BackgroundWork& background, const Clock& clock, log::Logger& log,
                std::filesystem::path files_dir, std::filesystem::path uploads_dir,
                FileLimits limits);

  // Registers with `router` the messages, items and requests file transfers own,
  // and the uploads' requests.
  void Register(Router& router);
  ~FileTransfers();
  FileTransfers(const FileTransfers&) = delete;
  FileTransfers& operator=(const FileTransfers&) = delete;

  // Reads the transfers in progress and readies their files.
  Status Load();
  // Re-reads the transfers after a failed write (the conversation's reload hook).
  void Reload();
  // Starts syncing received chunks; Stop ends it.
  void Start();
  void Stop();

  // ---- requests: writes go into the batch being filled; the caller syncs before
  // it replies. An error means nothing was written. ----
  // Checks the file at `path`, or the finished upload `upload_id` (one of them, not
  // both), against the limits and opens it for sending.
  Result<PreparedFile> Prepare(const std::string& path, const std::string& upload_id) const;
  // Sends `file` as a plain file message with `caption`; a view-once one
  // (view_once.h) with none.
  Result<control::SendReply> Send(PreparedFile file, const std::string& caption,
                                  bool view_once = false);
  // Puts `file` into the outgoing envelope `entry` (which has its id), whose body is
  // sealed under `content_key`, and fills the offer's `offer`.
  void AttachToEnvelope(records::HistoryEntry& entry, PreparedFile file,
                        std::span<const uint8_t> content_key, peer::FileOffer& offer);
  // Transfers in progress, and those finished since the daemon started.
  control::TransfersReply Transfers() const;
  // Writes received file `request.id` out, decrypted and verified.
  boost::asio::awaitable<Result<control::SaveReply>> Save(const control::SaveRequest& request);
  // Reads part of file message `request.id`, decrypted and verified (download.cc);
  // not a view-once file the partner sent (ViewOnceMessages reads that).
  Result<control::DownloadReply> Download(const control::DownloadRequest& request) const;
  // Reads up to `max_bytes` (0: the most) of file message `entry` from `offset`,
  // decrypted and verified.
  Result<control::DownloadReply> ReadFile(const records::HistoryEntry& entry, uint64_t offset,
                                          uint32_t max_bytes) const;

  // ---- envelopes (the envelopes' part) ----
  // Recipient: the envelope `entry` (which has its id) carries `offer`.
  void AcceptEnvelopeFile(records::HistoryEntry& entry, const peer::FileOffer& offer);
  // Recipient: the envelope's content key arrived: the file's name and bytes open.
  void OpenEnvelopeFile(records::HistoryEntry& entry, std::span<const uint8_t> content_key);
  // Either side: the envelope holding `entry`'s file was withdrawn, or the message
  // is being forgotten: stops the transfer (telling the partner) and deletes the file.
  void Discard(records::HistoryEntry& entry);

  // A new partner (or none): what was moving to or from the former one stops for
  // good; what was received stays.
  void StartWithNewPartner();

  // ---- the link ----
  // Recipient: says where each transfer goes on from.
  void OnLinkUp();
  // Sender: stops until the recipient says where to go on from. A session replaced
  // without a down keeps going: what it had in flight still arrives.
  void OnLinkDown();
  // The link's queue drained: more chunks may go.
  void OnLinkWritable() { Pump(); }
  // FileChunk and FileWant messages.
  void OnPeerMessage(const peer::PeerMessage& message);

 private:
  struct Outgoing;  // transfer_state.h
  struct Incoming;

  // ---- file_transfers.cc: the partner's file items (the stream) ----
  void OnItem(const peer::Deliver& item);

  // ---- file_transfers.cc ----
  // Refuses a file of `size` bytes (called `what`) larger than either side takes.
  Status CheckSize(const std::string& what, uint64_t size) const;

  // ---- download.cc ----
  // Plaintext bytes [offset, offset + length) of `source` (chunk by chunk).
  static Result<std::string> ReadRange(const SourceFile& source, uint64_t offset, uint64_t length);

  // ---- outgoing.cc: the sender ----
  // Sender: `entry`'s record of `file`, with a fresh transfer id, about to be sent.
  static const records::FileRecord* DescribeOutgoing(const PreparedFile& file,
                                                     records::HistoryEntry& entry);
  // Sender: registers `entry`'s file (already in `entry.file()`) for sending.
  void StartOutgoing(const records::HistoryEntry& entry, PreparedFile file,
                     crypto::SecretBytes key);
  // Sends chunks while the link's queue is short, the windows and the rate allow.
  void Pump();
  Outgoing* NextToSend();
  Status SendChunk(Outgoing& transfer);
  void OnWant(const peer::FileWant& want);
  // Sender: gives the transfer up, telling the partner why.
  void FailOutgoing(Outgoing& transfer, const std::string& reason);
  void FinishOutgoing(const std::string& transfer_id, bool ok, const std::string& reason);
  void OnDone(const peer::FileDone& done);

  // ---- incoming.cc: the recipient ----
  // Recipient: reopens the blob of a transfer found at start, drops what was not
  // recorded as synced, and rebuilds the running hash.
  Status ResumeIncoming(Incoming& transfer, const records::FileRecord& file);
  // Recipient: why a new file may not be taken (too large, over quota), or "".
  std::string RefusalFor(uint64_t size) const;
  void OnOffer(const peer::Deliver& item);
  // Recipient: registers the file of the new incoming `entry`; `key` empty while sealed.
  void StartIncoming(records::HistoryEntry& entry, const peer::FileOffer& offer,
                     crypto::SecretBytes key);
  // `resend`: go on from `stored`, at the start of a link; `rewind` too: even when
  // already going, because what followed was lost.
  enum class WantKind { kProgress, kResend, kRewind };
  void SendWant(const Incoming& transfer, WantKind kind);
  void OnChunk(const peer::FileChunk& chunk);
  void FinishIncoming(Incoming& transfer, const std::string& failure);
  void OnCancel(const peer::FileCancel& cancel);

  // ---- incoming_sync.cc: the recipient's sync loop ----
  // Recipient: syncs the blobs that have chunks written and not yet synced, one at a
  // time off the io thread, then records and acknowledges them.
  boost::asio::awaitable<void> SyncLoop();
  void OnIncomingSynced(const std::string& transfer_id, uint64_t chunks, const Status& synced);

  // ---- envelope_files.cc: files inside envelopes (also the public envelope part) ----
  // Recipient: checks a whole file that arrived sealed, once its key is here, and
  // marks it FAILED if it does not match (off the io thread).
  void VerifyOpened(uint64_t history_id, crypto::SecretBytes key);
  boost::asio::awaitable<void> VerifyInBackground(uint64_t history_id);

  // ---- transfer_records.cc: the history entry and the store records ----
  // The history entry `id`; `update` changes it, and it is written (and, with
  // `announce`, its progress published) with the batch being filled.
  void UpdateEntry(uint64_t history_id, const std::function<void(records::HistoryEntry&)>& update,
                   bool announce = true);
  void PublishProgress(const records::HistoryEntry& entry);
  void PutKey(const std::string& transfer_id, const crypto::SecretBytes& key, bool view_once);
  // The file's key, wherever it is kept (NotFound: not here, or not yet).
  Result<crypto::SecretBytes> GetKey(const records::HistoryEntry& entry) const;
  void DeleteTransfer(const std::string& transfer_id);

  boost::asio::io_context& io_;
  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  PartnerChannel& channel_;
  const Boundaries& boundaries_;
  BackgroundWork& background_;
  const Clock& clock_;
  log::Logger& log_;
  const std::filesystem::path files_dir_;
  const FileLimits limits_;
  Uploads uploads_;
  bool uploads_loaded_ = false;  // Unsent uploads are dropped at start only.

  std::map<std::string, std::unique_ptr<Outgoing>> outgoing_;  // By transfer id.
  std::map<std::string, std::unique_ptr<Incoming>> incoming_;
  std::map<uint64_t, control::Transfer> finished_;  // Since start, by history id.
  // Keys of opened files waiting for VerifyInBackground, by history id.
  std::map<uint64_t, std::shared_ptr<crypto::SecretBytes>> verify_keys_;
  std::string last_sent_;  // Round robin: the transfer id that sent last.
  // Sending rate in bytes (none without a cap); the timer wakes Pump when it refills.
  std::optional<TokenBucket> rate_;
  Timer rate_timer_;
  boost::asio::steady_timer sync_signal_;  // Cancelled when a blob has chunks to sync.
  bool rate_timer_armed_ = false;
  bool stopped_ = false;
};

}  // namespace inmost::core
