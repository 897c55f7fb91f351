// Uploads: the control requests that put a file in chunk by chunk, each sealed at
// once into the upload's blob, and what FileTransfers asks of a finished upload. It
// must never write a chunk it has not checked, nor reply "complete" before a sync.
#include "daemon/core/files/uploads.h"

#include <sodium.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

#include "daemon/core/files/file_names.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/file_cipher.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::core {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kRecordPrefix = "up/";  // records::UploadRecord
constexpr std::string_view kKeyPrefix = "uk/";     // The upload key (PutSecret).
constexpr size_t kIdBytes = 16;
// Uploads in progress at once: enough for a few clients each sending a few files,
// and a bound on what a runaway client can leave in uploads/.
constexpr size_t kMaxUploads = 64;

std::string Key(std::string_view prefix, const std::string& id) {
  return std::string(prefix) + id;
}

// An id this daemon made: lower-case hex, so it is safe as a name in uploads/.
bool WellFormed(const std::string& id) {
  return id.size() == 2 * kIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Bytes(uint64_t n) {
  return std::to_string(n) + " bytes";
}

// The chunks of an upload, opened one at a time under its key.
class UploadSource : public SourceFile {
 public:
  UploadSource(std::shared_ptr<store::BlobFile> blob, crypto::SecretBytes key, std::string id,
               uint64_t size)
      : blob_(std::move(blob)), key_(std::move(key)), id_(std::move(id)), size_(size) {}

  Status ReadChunk(uint64_t index, std::string& out) const override {
    const uint64_t chunks = crypto::ChunkCount(size_);
    auto sealed =
        blob_->ReadChunk(index, crypto::ChunkLength(size_, index) + crypto::kChunkOverhead);
    Status opened = sealed.ok() ? crypto::OpenChunk(key_.span(), id_, index, chunks, *sealed, out)
                                : sealed.status();
    if (!opened.ok()) {
      return FailedPrecondition("the uploaded file can no longer be read (" + opened.message() +
                                "); upload and send it again");
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<store::BlobFile> blob_;
  crypto::SecretBytes key_;
  std::string id_;
  uint64_t size_;
};

}  // namespace

struct Uploads::Upload {
  records::UploadRecord record;
  crypto::SecretBytes key;
  std::shared_ptr<store::BlobFile> blob;
  uint64_t chunks = 0;  // In the whole file.
  uint64_t next = 0;    // The chunk expected next: [0, next) are written.
  std::unique_ptr<Timer> idle;
};

Uploads::Uploads(asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                 BackgroundWork& background, const Clock& clock, log::Logger& log,
                 std::filesystem::path dir, uint64_t max_file_bytes)
    : io_(io),
      store_(store),
      commit_(commit),
      background_(background),
      clock_(clock),
      log_(log),
      dir_(std::move(dir)),
      max_file_bytes_(max_file_bytes) {}

Uploads::~Uploads() = default;

void Uploads::Register(Router& router) {
  router.OnRequest(
      control::Request::kUpload, "uploads", Sync::kBeforeReply,
      [this](const control::Request& request) { return Start(request.upload()); },
      &control::Response::mutable_upload);
  router.OnRequest(
      control::Request::kUploadChunk, "uploads", Sync::kNone,  // The last chunk syncs itself.
      [this](const control::Request& request) -> asio::awaitable<Result<control::Response>> {
        auto reply = co_await Chunk(request.upload_chunk());
        co_return ReplyAs(std::move(reply), &control::Response::mutable_upload_chunk);
      });
  router.OnRequest(
      control::Request::kUploadCancel, "uploads", Sync::kBeforeReply,
      [this](const control::Request& request) { return Cancel(request.upload_cancel()); },
      &control::Response::mutable_upload_cancel);
}

Status Uploads::Load(const std::set<std::string>& in_use) {
  uploads_.clear();
  INMOST_RETURN_IF_ERROR(store::CreateDirectoryDurably(dir_, store::kPrivateDirMode));
  std::vector<std::string> unsent;
  INMOST_RETURN_IF_ERROR(store_.ForEach(kRecordPrefix, [&](std::string_view k, std::string_view) {
    std::string id(k.substr(kRecordPrefix.size()));
    if (!in_use.contains(id)) unsent.push_back(std::move(id));
    return true;
  }));
  for (const std::string& id : unsent) {
    commit_.batch().Delete(Key(kRecordPrefix, id));
    commit_.batch().Delete(Key(kKeyPrefix, id));
  }
  // Blobs of unsent uploads, and any a crash left without a record.
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
    if (in_use.contains(file.path().filename().string())) continue;
    std::error_code ignored;
    std::filesystem::remove(file.path(), ignored);
  }
  if (!unsent.empty()) {
    commit_.AfterSync([](const Status&) {});  // A flush must follow the deletes.
    log_.Info("dropped " + std::to_string(unsent.size()) +
              " upload(s) not sent before the restart");
  }
  return Status::Ok();
}

void Uploads::Stop() {
  for (auto& [id, upload] : uploads_) upload->idle->Cancel();
}

Result<control::UploadReply> Uploads::Start(const control::UploadRequest& request) {
  const std::string& name = request.name();
  if (name.empty()) return InvalidArgument("give the file's name (UploadRequest.name)");
  if (name.find('/') != std::string::npos) {
    return InvalidArgument("give the file's name without folders: " + ShownFileName(name));
  }
  if (request.size() > max_file_bytes_) {
    return InvalidArgument(ShownFileName(name) + " is " + Bytes(request.size()) +
                           ", larger than the largest file this daemon sends (max-file-size " +
                           Bytes(max_file_bytes_) + ")");
  }
  if (request.type().size() > 255) return InvalidArgument("the media type is too long");
  if (uploads_.size() >= kMaxUploads) {
    return ResourceExhausted("already " + std::to_string(kMaxUploads) +
                             " uploads in progress; send or cancel some first");
  }
  std::string raw(kIdBytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  const std::string id = crypto::ToHex(crypto::AsBytes(raw));
  auto blob = store::BlobFile::Open(BlobPath(id), true);
  if (!blob.ok()) return blob.status();

  auto upload = std::make_shared<Upload>();
  upload->record.set_name(ShownFileName(name));
  upload->record.set_type(request.type().empty() ? MediaType(std::filesystem::path(name))
                                                 : request.type());
  upload->record.set_size(request.size());
  upload->chunks = crypto::ChunkCount(request.size());
  upload->key = crypto::NewFileKey();
  upload->blob = std::move(*blob);
  upload->idle = std::make_unique<Timer>(io_, clock_);
  commit_.batch().Put(Key(kRecordPrefix, id), crypto::AsBytes(upload->record.SerializeAsString()));
  commit_.batch().PutSecret(Key(kKeyPrefix, id), upload->key);
  ArmIdle(id, *upload);
  uploads_.emplace(id, std::move(upload));

  control::UploadReply reply;
  reply.set_upload_id(id);
  reply.set_chunk_bytes(crypto::kChunkSize);
  return reply;
}

asio::awaitable<Result<control::UploadChunkReply>> Uploads::Chunk(
    const control::UploadChunkRequest& request) {
  const std::string id = request.upload_id();
  auto found = Find(id);
  if (!found.ok()) co_return found.status();
  std::shared_ptr<Upload> upload = *found;
  if (upload->next == upload->chunks) {
    co_return FailedPrecondition("upload " + id + " is already complete: send it");
  }
  if (request.index() != upload->next) {
    co_return InvalidArgument("chunk " + std::to_string(request.index()) + " of upload " + id +
                              " is out of order: the upload expects chunk " +
                              std::to_string(upload->next) + " next");
  }
  const size_t length = crypto::ChunkLength(upload->record.size(), upload->next);
  if (request.data().size() != length) {
    co_return InvalidArgument("chunk " + std::to_string(request.index()) + " of upload " + id +
                              " holds " + Bytes(request.data().size()) + "; it must hold " +
                              Bytes(length) + " (each chunk but the last holds chunk_bytes)");
  }
  const uint64_t index = upload->next;
  Status written = upload->blob->WriteChunk(
      index, crypto::SealChunk(upload->key.span(), id, index, upload->chunks, request.data()));
  if (!written.ok()) co_return written;
  upload->next = index + 1;
  ArmIdle(id, *upload);

  control::UploadChunkReply reply;
  reply.set_received_bytes(
      std::min<uint64_t>(upload->next * crypto::kChunkSize, upload->record.size()));
  if (upload->next < upload->chunks) co_return reply;

  // The last chunk: the whole blob is synced, then its record says so, before the
  // client hears the upload is complete.
  std::shared_ptr<store::BlobFile> blob = upload->blob;
  std::function<Status()> sync = [blob] { return blob->Sync(); };
  Status synced = co_await background_.Run<Status>(sync);
  if (synced.ok() && !uploads_.contains(id)) {
    co_return FailedPrecondition("upload " + id + " was cancelled");
  }
  if (!synced.ok()) {
    upload->next = index;  // The client may send the last chunk again.
    co_return synced;
  }
  upload->record.set_chunks_synced(upload->chunks);
  commit_.batch().Put(Key(kRecordPrefix, id), crypto::AsBytes(upload->record.SerializeAsString()));
  Status committed = co_await commit_.Sync();
  if (!committed.ok()) co_return committed;
  reply.set_complete(true);
  co_return reply;
}

Result<control::UploadCancelReply> Uploads::Cancel(const control::UploadCancelRequest& request) {
  auto found = Find(request.upload_id());
  if (!found.ok()) return found.status();
  Delete(request.upload_id());
  return control::UploadCancelReply();
}

Result<std::shared_ptr<Uploads::Upload>> Uploads::Find(const std::string& id) const {
  auto it = WellFormed(id) ? uploads_.find(id) : uploads_.end();
  if (it == uploads_.end()) {
    return NotFound("no upload " + (WellFormed(id) ? id : std::string("with that id")) +
                    " in progress: it was sent or cancelled, or dropped after an hour idle or "
                    "a restart of the daemon; upload the file again");
  }
  return it->second;
}

Result<records::UploadRecord> Uploads::Finished(const std::string& id) const {
  INMOST_ASSIGN_OR_RETURN(std::shared_ptr<Upload> upload, Find(id));
  if (upload->record.chunks_synced() != upload->chunks) {
    return FailedPrecondition(
        "upload " + id + " is not complete: " +
        Bytes(std::min<uint64_t>(upload->next * crypto::kChunkSize, upload->record.size())) +
        " of " + Bytes(upload->record.size()) + " are in; send the rest first");
  }
  return upload->record;
}

Result<std::unique_ptr<SourceFile>> Uploads::OpenSource(const std::string& id,
                                                        uint64_t size) const {
  if (!WellFormed(id)) return FailedPrecondition("the upload's id is damaged");
  auto blob = store::BlobFile::Open(BlobPath(id), false);
  auto key = store_.GetSecret(Key(kKeyPrefix, id));
  if (!blob.ok() || !key.ok()) {
    return FailedPrecondition("the uploaded file is no longer in the daemon (" +
                              (blob.ok() ? key.status() : blob.status()).message() +
                              "); upload and send it again");
  }
  return std::unique_ptr<SourceFile>(
      std::make_unique<UploadSource>(std::move(*blob), std::move(*key), id, size));
}

void Uploads::Claim(const std::string& id) {
  auto it = uploads_.find(id);
  if (it == uploads_.end()) return;
  it->second->idle->Cancel();
  uploads_.erase(it);
}

void Uploads::Delete(const std::string& id) {
  if (!WellFormed(id)) return;
  Claim(id);
  commit_.batch().Delete(Key(kRecordPrefix, id));
  commit_.batch().Delete(Key(kKeyPrefix, id));
  // The blob goes once nothing on disk names it: a crash before leaves it to Load.
  commit_.AfterSync([path = BlobPath(id)](const Status& synced) {
    if (!synced.ok()) return;
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  });
}

void Uploads::ArmIdle(const std::string& id, Upload& upload) {
  upload.idle->AsyncWaitFor(kUploadIdleLimit, [this, id](bool fired) {
    if (!fired) return;
    // Posted: Delete destroys this timer, which must not happen inside its handler.
    asio::post(io_, [this, id] {
      if (!uploads_.contains(id)) return;
      log_.Info("dropped an upload idle for an hour");
      Delete(id);
    });
  });
}

}  // namespace inmost::core
