// DownloadRequest: part of a file message's content read back over the control
// socket, for a client that is not on the daemon's machine (and a view-once file's,
// for its view). A received file is read
// from its blob, every chunk opened and authenticated; a file being sent, from its
// source. It must never hand out a byte that failed authentication.
#include <algorithm>

#include "daemon/core/files/file_transfers.h"
#include "daemon/core/files/transfer_state.h"
#include "daemon/store/blob_file.h"

namespace inmost::core {

using namespace files;  // The helpers every part shares (transfer_state.h).
using records::FileRecord;
using records::HistoryEntry;

namespace {

// The most (and default) bytes one DownloadRequest returns.
constexpr uint64_t kMaxDownloadBytes = 4 * crypto::kChunkSize;

// The chunks of a received file, in its blob under the file key.
class ReceivedSource : public SourceFile {
 public:
  ReceivedSource(std::shared_ptr<store::BlobFile> blob, crypto::SecretBytes key, FileRecord file)
      : blob_(std::move(blob)), key_(std::move(key)), file_(std::move(file)) {}
  Status ReadChunk(uint64_t index, std::string& out) const override {
    auto sealed =
        blob_->ReadChunk(index, crypto::ChunkLength(file_.size(), index) + crypto::kChunkOverhead);
    if (!sealed.ok()) return sealed.status();
    return crypto::OpenChunk(key_.span(), file_.transfer_id(), index,
                             crypto::ChunkCount(file_.size()), *sealed, out);
  }

 private:
  std::shared_ptr<store::BlobFile> blob_;
  crypto::SecretBytes key_;
  FileRecord file_;
};

}  // namespace

Result<std::string> FileTransfers::ReadRange(const SourceFile& source, uint64_t offset,
                                             uint64_t length) {
  std::string out;
  out.reserve(length);
  std::string plain;
  uint64_t at = offset;
  while (at < offset + length) {
    const uint64_t index = at / crypto::kChunkSize;
    INMOST_RETURN_IF_ERROR(source.ReadChunk(index, plain));
    const uint64_t start = at - index * crypto::kChunkSize;
    const uint64_t take = std::min<uint64_t>(plain.size() - start, offset + length - at);
    if (plain.size() <= start || take == 0) break;
    out.append(plain, start, take);
    at += take;
  }
  return out;
}

Result<control::DownloadReply> FileTransfers::Download(
    const control::DownloadRequest& request) const {
  INMOST_ASSIGN_OR_RETURN(HistoryEntry entry, conversation_.Entry(request.id()));
  if (entry.has_view_once() && entry.direction() == HistoryEntry::INCOMING) {
    return FailedPrecondition("message " + conversation_.Describe(entry.id()) +
                              " is a view-once file: it is never downloaded, only viewed once "
                              "(inmost view, or the web page)");
  }
  return ReadFile(entry, request.offset(), request.max_bytes());
}

Result<control::DownloadReply> FileTransfers::ReadFile(const HistoryEntry& entry, uint64_t offset,
                                                       uint32_t max_bytes) const {
  const std::string what = "message " + conversation_.Describe(entry.id());
  if (!entry.has_file()) return FailedPrecondition(what + " is not a file");
  const FileRecord& file = entry.file();
  if (offset > file.size()) {
    return InvalidArgument("offset " + std::to_string(offset) + " is past the end of " + what +
                           " (" + Size(file.size()) + ")");
  }
  std::unique_ptr<SourceFile> opened;
  const SourceFile* source = nullptr;
  if (entry.direction() == HistoryEntry::INCOMING) {
    if (entry.has_envelope() && !file.sealed_meta().empty()) {
      return FailedPrecondition(what +
                                " is sealed in an envelope: it can be downloaded once it opens");
    }
    if (file.state() == control::Attachment::RECEIVING) {
      return FailedPrecondition(what + " is still arriving; see inmost transfers");
    }
    if (file.state() != control::Attachment::RECEIVED) {
      return FailedPrecondition(what + " did not arrive: " + file.error());
    }
    auto key = GetKey(entry);
    if (!key.ok()) {
      if (key.status().code() != Code::kNotFound) return key.status();
      return FailedPrecondition(
          entry.has_view_once()
              ? what +
                    " can no longer be viewed: this copy of the store does not hold its key "
                    "(restored from a backup, which never keeps one)"
              : what + " is sealed: it can be downloaded once it opens");
    }
    auto blob =
        store::BlobFile::Open(BlobPath(files_dir_, file.transfer_id(), ViewOnceOf(entry)), false);
    if (!blob.ok()) {
      return NotFound("the contents of " + what + " are not in this daemon's data directory (" +
                      blob.status().message() + ")");
    }
    opened = std::make_unique<ReceivedSource>(std::move(*blob), std::move(*key), file);
    source = opened.get();
  } else {
    auto sending = outgoing_.find(file.transfer_id());
    if (sending == outgoing_.end()) {
      return FailedPrecondition(what +
                                " is a file you sent, and the daemon no longer has it: it reads "
                                "a sent file only while sending it");
    }
    const Outgoing& t = *sending->second;
    if (t.source) {
      source = t.source.get();
    } else {
      auto reopened = t.record.upload_id().empty()
                          ? SourceFile::Reopen(t.record)
                          : uploads_.OpenSource(t.record.upload_id(), t.record.size());
      if (!reopened.ok()) return reopened.status();
      opened = std::move(*reopened);
      source = opened.get();
    }
  }

  const uint64_t most =
      max_bytes == 0 ? kMaxDownloadBytes : std::min<uint64_t>(max_bytes, kMaxDownloadBytes);
  const uint64_t length = std::min(most, file.size() - offset);
  auto data = ReadRange(*source, offset, length);
  if (!data.ok()) {
    return data.status().code() == Code::kAuthenticationFailed
               ? Corruption(what + " is damaged in this daemon's data directory (" +
                            data.status().message() + "); nothing was read")
               : data.status();
  }
  control::DownloadReply reply;
  reply.set_offset(offset);
  reply.set_size(file.size());
  reply.set_name(file.name());
  reply.set_type(file.type());
  reply.set_end(offset + data->size() >= file.size());
  reply.set_data(std::move(*data));
  return reply;
}

}  // namespace inmost::core
