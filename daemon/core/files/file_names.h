// What a file is called and what kind it is, as inmost shows, stores and saves it:
// names from the partner become one path component, and one that cannot surprise on
// disk when saved; a media type is guessed from the extension. Pure functions;
// nothing here touches the disk.
#pragma once

#include <filesystem>
#include <string>

namespace inmost::core {

// `name` as history keeps and shows it: the partner's own name made one path
// component: no directories, no C0 control characters, not "." or "..", at most 255
// bytes (a long name loses the end of its stem, not its extension, and is never cut
// inside a UTF-8 sequence); "file" when nothing is left. Dots and invisible
// characters stay, so people see what was sent.
std::string ShownFileName(const std::string& name);

// The name a received file called `name` is saved under when only a directory is
// given: ShownFileName(name) with nothing that could surprise on disk. Leading dots
// go (".bashrc" would be hidden and read by a shell), and so do invisible and
// direction-changing characters (U+202E makes "photo<U+202E>gnp.exe" look like
// "photoexe.png"); C1 controls and bytes that are not UTF-8 become '_'. "file" when
// nothing is left.
std::string SafeFileName(const std::string& name);

// The media type of `path` by its extension ("image/jpeg"), or
// "application/octet-stream" when it is not one people commonly send.
std::string MediaType(const std::filesystem::path& path);

// A save never overwrites: when `path` is taken it goes to "pic (1).png", "pic (2).png"
// ... (NumberedFileName(path, n); a name with no extension, or a dotfile, gets " (n)"
// at the end), up to kMaxNumberedNames, past which the name is refused, not searched on.
inline constexpr int kMaxNumberedNames = 1000;
std::filesystem::path NumberedFileName(const std::filesystem::path& path, int n);

}  // namespace inmost::core
