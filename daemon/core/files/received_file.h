// Reading a received file back out of its blob (store/blob_file.h): every chunk is
// opened under the file key and the whole plaintext checked against the sender's
// hash. Plaintext only ever goes to the caller's sink, or to the file `save` names,
// which is removed again if anything fails. Runs off the io thread (it reads and
// decrypts the whole file) and touches nothing but its arguments.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

#include "inmost/status.h"
#include "proto/records.pb.h"

namespace inmost::core {

// Opens every chunk of `file` from `blob_path` in order and hands the plaintext to
// `sink`. AuthenticationFailed for a damaged chunk, Corruption when the whole does
// not match file.file_hash(), NotFound when the blob is missing.
Status ReadReceivedFile(const std::filesystem::path& blob_path, std::span<const uint8_t> key,
                        const records::FileRecord& file,
                        const std::function<Status(std::string_view plaintext)>& sink);

// Writes `file` decrypted and verified to `to`, a new file (mode 0600), synced along
// with its folder.
// AlreadyExists when `to` exists; on any error `to` is left absent.
Status SaveReceivedFile(const std::filesystem::path& blob_path, std::span<const uint8_t> key,
                        const records::FileRecord& file, const std::filesystem::path& to);

}  // namespace inmost::core
