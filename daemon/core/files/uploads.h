// Files put into the daemon over the control socket (UploadRequest), for a client
// that is not on the daemon's machine: their chunks arrive in order and are sealed
// at once under a key of the upload's own, into uploads/<id> (store/blob_file.h), so
// plaintext never rests on disk and memory holds one chunk at a time. An upload is
// sent as a file (FileTransfers reads it through OpenSource) or dropped: cancelled,
// an hour idle, or found unsent at start. It must never accept a chunk out of order
// or past the announced size, nor keep the upload key outside secret memory.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "daemon/core/background_work.h"
#include "daemon/core/clock.h"
#include "daemon/core/files/source_file.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/router.h"
#include "daemon/core/timer.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/log/logger.h"
#include "daemon/store/blob_file.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// An upload not sent is dropped this long after its last chunk.
inline constexpr auto kUploadIdleLimit = std::chrono::hours(1);

class Uploads {
 public:
  // `dir` is the data directory's uploads/; `max_file_bytes` the largest file sent.
  // All references must outlive this object.
  Uploads(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
          BackgroundWork& background, const Clock& clock, log::Logger& log,
          std::filesystem::path dir, uint64_t max_file_bytes);
  ~Uploads();
  Uploads(const Uploads&) = delete;
  Uploads& operator=(const Uploads&) = delete;

  // Registers upload, upload_chunk and upload_cancel with `router`.
  void Register(Router& router);

  // At start: creates uploads/ and drops every upload (record, key, blob) that no
  // transfer in `in_use` is sending: an unsent upload does not outlive a restart.
  Status Load(const std::set<std::string>& in_use);

  // ---- for FileTransfers: writes go into the batch being filled ----
  // The record of upload `id` when it is complete and not yet sent; otherwise an
  // error saying why it cannot be sent.
  Result<records::UploadRecord> Finished(const std::string& id) const;
  // Reads the chunks of upload `id` (of `size` bytes), decrypted and authenticated.
  Result<std::unique_ptr<SourceFile>> OpenSource(const std::string& id, uint64_t size) const;
  // Upload `id` is being sent: it is the transfer's now, no longer idle or cancellable.
  void Claim(const std::string& id);
  // Deletes upload `id`: its record and key with the batch, its blob once that is synced.
  void Delete(const std::string& id);

  // Stops the idle timers.
  void Stop();

 private:
  struct Upload;

  Result<control::UploadReply> Start(const control::UploadRequest& request);
  boost::asio::awaitable<Result<control::UploadChunkReply>> Chunk(
      const control::UploadChunkRequest& request);
  Result<control::UploadCancelReply> Cancel(const control::UploadCancelRequest& request);
  // The upload `id` in progress, or NotFound saying what may have happened to it.
  Result<std::shared_ptr<Upload>> Find(const std::string& id) const;
  void ArmIdle(const std::string& id, Upload& upload);
  std::filesystem::path BlobPath(const std::string& id) const { return dir_ / id; }

  boost::asio::io_context& io_;
  store::SealedStore& store_;
  GroupCommit& commit_;
  BackgroundWork& background_;
  const Clock& clock_;
  log::Logger& log_;
  const std::filesystem::path dir_;
  const uint64_t max_file_bytes_;
  std::map<std::string, std::shared_ptr<Upload>> uploads_;  // Not yet sent, by id.
};

}  // namespace inmost::core
