#include "daemon/core/files/received_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/core/files/file_names.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/file_cipher.h"
#include "daemon/store/blob_file.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::core {

Status ReadReceivedFile(const std::filesystem::path& blob_path, std::span<const uint8_t> key,
                        const records::FileRecord& file,
                        const std::function<Status(std::string_view plaintext)>& sink) {
  auto blob = store::BlobFile::Open(blob_path, false);
  if (!blob.ok()) {
    return NotFound("the file's contents are not in this daemon's data directory (" +
                    blob.status().message() + ")");
  }
  const uint64_t chunks = crypto::ChunkCount(file.size());
  crypto::FileHash hash(key);
  std::string plain;
  Status status;
  for (uint64_t i = 0; i < chunks && status.ok(); ++i) {
    auto sealed =
        (*blob)->ReadChunk(i, crypto::ChunkLength(file.size(), i) + crypto::kChunkOverhead);
    status = sealed.ok() ? crypto::OpenChunk(key, file.transfer_id(), i, chunks, *sealed, plain)
                         : sealed.status();
    if (status.ok()) {
      hash.Update(plain);
      status = sink(plain);
    }
  }
  sodium_memzero(plain.data(), plain.size());
  if (!status.ok()) return status;
  const std::string whole = hash.Final();
  if (file.file_hash().size() != whole.size() ||
      sodium_memcmp(whole.data(), file.file_hash().data(), whole.size()) != 0) {
    return Corruption("the file does not match the hash its sender sent");
  }
  return Status::Ok();
}

namespace {

// Creates a new file at `to`, or at the first free numbered name beside it.
Result<store::UniqueFd> CreateNew(std::filesystem::path& to, NameTaken taken) {
  const std::filesystem::path asked = to;
  for (int n = 1;; ++n) {
    store::UniqueFd out(
        ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, store::kPrivateFileMode));
    if (out.get() >= 0) return out;
    const int err = errno;
    if (err != EEXIST) return IoError("cannot create " + store::DescribeFileError(to, err));
    if (taken == NameTaken::kRefuse || n > kMaxNumberedNames) {
      return AlreadyExists(asked.string() + " already exists; choose another name");
    }
    to = NumberedFileName(asked, n);
  }
}

}  // namespace

Result<std::filesystem::path> SaveReceivedFile(const std::filesystem::path& blob_path,
                                               std::span<const uint8_t> key,
                                               const records::FileRecord& file,
                                               const std::filesystem::path& asked,
                                               NameTaken taken) {
  std::filesystem::path to = asked;
  INMOST_ASSIGN_OR_RETURN(store::UniqueFd out, CreateNew(to, taken));
  Status status = ReadReceivedFile(blob_path, key, file, [&](std::string_view plaintext) {
    return store::WriteAll(out.get(), crypto::AsBytes(plaintext), to);
  });
  if (status.ok() && ::fsync(out.get()) != 0) {
    status = IoError("cannot sync " + store::DescribeFileError(to, errno));
  }
  // Its name in the folder is durable too before the save is reported.
  if (status.ok()) status = store::SyncParentDirectory(to);
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(to, ignored);
    if (status.code() == Code::kCorruption) {
      return Corruption(status.message() + "; nothing was saved");
    }
    return status;
  }
  return to;
}

}  // namespace inmost::core
