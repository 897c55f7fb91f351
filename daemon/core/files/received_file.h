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

// What a save does when its target name is taken.
enum class NameTaken {
  kRefuse,    // The caller chose the path: AlreadyExists.
  kNextFree,  // The file's own name in a folder: "pic (1).png", "pic (2).png", ...
};

// Writes `file` decrypted and verified to `to`, a new file (mode 0600), synced along
// with its folder, and returns the path written (another name with kNextFree).
// AlreadyExists when the name is taken (kRefuse) or no free one is found; on any
// error nothing is left behind.
Result<std::filesystem::path> SaveReceivedFile(const std::filesystem::path& blob_path,
                                               std::span<const uint8_t> key,
                                               const records::FileRecord& file,
                                               const std::filesystem::path& to, NameTaken taken);

}  // namespace inmost::core
