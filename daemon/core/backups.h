// The Backup request: writes everything accepted so far (the store and the received
// files) to one archive sealed under a passphrase, off the io thread. The
// passphrase never reaches a log or an error message.
#pragma once

#include <filesystem>

#include "daemon/core/background_work.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/router.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"

namespace inmost::core {

class Backups {
 public:
  // `files_dir` holds the received files. All references must outlive this object.
  Backups(const store::SealedStore& store, GroupCommit& commit, BackgroundWork& background,
          std::filesystem::path files_dir, log::Logger& log)
      : store_(store),
        commit_(commit),
        background_(background),
        files_dir_(std::move(files_dir)),
        log_(log) {}

  // Registers the Backup request with `router`.
  void Register(Router& router);

  boost::asio::awaitable<Result<control::BackupReply>> Write(const control::BackupRequest& request);

 private:
  const store::SealedStore& store_;
  GroupCommit& commit_;
  BackgroundWork& background_;
  std::filesystem::path files_dir_;
  log::Logger& log_;
};

}  // namespace inmost::core
