// What the sender and the recipient keep of each file transfer in progress, and the
// store keys and small wording shared by the files that make up FileTransfers. Private
// to daemon/core/files/: nothing outside it may include this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/send_window.h"
#include "daemon/core/files/source_file.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/file_cipher.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/backup_format.h"
#include "daemon/store/blob_file.h"
#include "proto/control.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

namespace files {

inline constexpr std::string_view kOutgoingPrefix = "xo/";  // records::OutgoingTransfer
inline constexpr std::string_view kIncomingPrefix = "xi/";  // records::IncomingTransfer
inline constexpr std::string_view kFileKeyPrefix = "fk/";   // The file key (PutSecret).
// Progress is written and announced at most this often per transfer.
inline constexpr auto kProgressInterval = std::chrono::milliseconds(250);

inline std::string Key(std::string_view prefix, const std::string& transfer_id) {
  return std::string(prefix) + transfer_id;
}

inline std::string Hex(const std::string& bytes) {
  return crypto::ToHex(crypto::AsBytes(bytes));
}

// Whether a transfer's file is view-once: its key and blob are then kept where
// backups never look (store/backup_format.h), so no backup holds it.
enum class ViewOnce : bool { kNo = false, kYes = true };

inline ViewOnce ViewOnceOf(const records::HistoryEntry& entry) {
  return entry.has_view_once() ? ViewOnce::kYes : ViewOnce::kNo;
}

// The store key of a file's key (PutSecret).
inline std::string FileKeyName(const std::string& transfer_id, ViewOnce view_once) {
  return view_once == ViewOnce::kYes
             ? std::string(store::backup::kViewOnceKeyPrefix) + "f/" + transfer_id
             : Key(kFileKeyPrefix, transfer_id);
}

// A received file's blob in files/: 32 hex digits, which backups archive, or for a
// view-once file with ".once" after them, which they skip.
inline std::filesystem::path BlobPath(const std::filesystem::path& files_dir,
                                      const std::string& transfer_id, ViewOnce view_once) {
  return files_dir / (Hex(transfer_id) + (view_once == ViewOnce::kYes ? ".once" : ""));
}

inline std::string Size(uint64_t bytes) {
  return std::to_string(bytes) + " bytes";
}

}  // namespace files

struct FileTransfers::Outgoing {
  std::string id;
  uint64_t history_id = 0;
  files::ViewOnce view_once = files::ViewOnce::kNo;
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
  SteadyTime last_progress{};  // On the clock given to FileTransfers.
};

struct FileTransfers::Incoming {
  std::string id;
  uint64_t history_id = 0;
  files::ViewOnce view_once = files::ViewOnce::kNo;
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
  SteadyTime last_progress{};  // On the clock given to FileTransfers.
};

}  // namespace inmost::core
