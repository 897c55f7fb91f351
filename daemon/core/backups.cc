#include "daemon/core/backups.h"

#include "daemon/crypto/bytes.h"
#include "daemon/store/backup_archive.h"

namespace inmost::core {

void Backups::Register(Router& router) {
  router.OnRequest(
      control::Request::kBackup, "backups", Sync::kNone,
      [this](const control::Request& request) -> boost::asio::awaitable<Result<control::Response>> {
        auto reply = co_await Write(request.backup());
        co_return ReplyAs(std::move(reply), &control::Response::mutable_backup);
      });
}

boost::asio::awaitable<Result<control::BackupReply>> Backups::Write(
    const control::BackupRequest& request) {
  std::filesystem::path path(request.path());
  if (!path.is_absolute()) co_return InvalidArgument("give the backup file as an absolute path");
  if (request.passphrase().size() < store::kMinBackupPassphraseSize) {
    co_return InvalidArgument("the backup passphrase needs at least " +
                              std::to_string(store::kMinBackupPassphraseSize) + " bytes");
  }
  // Everything accepted so far is in the backup.
  Status synced = co_await commit_.Sync();
  if (!synced.ok()) co_return synced;
  auto passphrase = std::make_shared<crypto::SecretBytes>(
      crypto::SecretBytes::CopyOf(crypto::AsBytes(request.passphrase())));
  const store::SealedStore& store = store_;
  const std::filesystem::path files = files_dir_;
  std::function<Result<store::BackupStats>()> backup = [&store, path, passphrase, files] {
    return store::WriteBackup(store, path, *passphrase, store::KdfLimits::Interactive(), files);
  };
  auto written = co_await background_.Run(backup);
  if (!written.ok()) co_return written.status();
  log_.Info("backup written: " + std::to_string(written->records) + " records, " +
            std::to_string(written->files) + " files");
  control::BackupReply reply;
  reply.set_path(path.string());
  reply.set_records(written->records);
  reply.set_bytes(written->bytes);
  reply.set_files(written->files);
  co_return reply;
}

}  // namespace inmost::core
