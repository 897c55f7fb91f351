// The web page's files, built into the program from web/page/ (web/embed_page.cmake
// writes the table): looked up by exact name only, so no request can reach a file
// outside them. It never reads the file system.
#pragma once

#include <span>
#include <string_view>

namespace inmost::web {

struct PageFile {
  std::string_view name;  // Relative to web/page/: "index.html", "icons/192.png".
  std::span<const unsigned char> bytes;
};

// Every embedded file (generated at build time).
std::span<const PageFile> EmbeddedPageFiles();

// The file called exactly `name`, or null.
const PageFile* FindPageFile(std::string_view name);

// The Content-Type for a file name, by its extension.
std::string_view ContentTypeOf(std::string_view name);

}  // namespace inmost::web
