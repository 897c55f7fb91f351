#include "web/server/page_assets.h"

#include <array>
#include <utility>

namespace inmost::web {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kContentTypes = {{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webmanifest", "application/manifest+json"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".wasm", "application/wasm"},
}};

}  // namespace

const PageFile* FindPageFile(std::string_view name) {
  for (const PageFile& file : EmbeddedPageFiles()) {
    if (file.name == name) return &file;
  }
  return nullptr;
}

std::string_view ContentTypeOf(std::string_view name) {
  for (const auto& [extension, type] : kContentTypes) {
    if (name.size() > extension.size() && name.ends_with(extension)) return type;
  }
  // With nosniff, a browser neither runs nor renders this.
  return "application/octet-stream";
}

}  // namespace inmost::web
