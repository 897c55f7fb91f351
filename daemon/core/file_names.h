// What a file is called and what kind it is, as inmost shows and stores it: names
// from the partner become one safe path component, and a media type is guessed
// from the extension. Pure functions; nothing here touches the disk.
#pragma once

#include <filesystem>
#include <string>

namespace inmost::core {

// `name` as one safe path component: no directories, no control characters, not
// "." or "..", at most 255 bytes of valid UTF-8 ("file" when nothing is left).
std::string SafeFileName(const std::string& name);

// The media type of `path` by its extension ("image/jpeg"), or
// "application/octet-stream" when it is not one people commonly send.
std::string MediaType(const std::filesystem::path& path);

}  // namespace inmost::core
