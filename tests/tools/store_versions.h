// Every version of every record a stopped store's files still hold (store_versions.cc).
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::test {

// Receives one record version: its key and its opened value.
using VersionSink = std::function<void(std::string_view key, std::string_view value)>;

// Calls `sink` with every value in `store_dir`'s table files and logs, live or not,
// that opens with `storage_key`; values that do not open are skipped.
Status ForEachVersion(const std::filesystem::path& store_dir,
                      const crypto::SecretBytes& storage_key, const VersionSink& sink);

}  // namespace inmost::test
