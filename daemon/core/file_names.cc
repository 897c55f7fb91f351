#include "daemon/core/file_names.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace inmost::core {
namespace {

constexpr size_t kMaxNameBytes = 255;

}  // namespace

std::string SafeFileName(const std::string& name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    bool unsafe = c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
    out.push_back(unsafe ? '_' : c);
  }
  if (out.size() > kMaxNameBytes) {
    size_t end = kMaxNameBytes;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
    out.resize(end);
  }
  if (out.empty() || out == "." || out == "..") return "file";
  return out;
}

std::string MediaType(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".jpg", "image/jpeg"},       {".jpeg", "image/jpeg"},     {".png", "image/png"},
      {".gif", "image/gif"},        {".webp", "image/webp"},     {".heic", "image/heic"},
      {".svg", "image/svg+xml"},    {".mp4", "video/mp4"},       {".mov", "video/quicktime"},
      {".webm", "video/webm"},      {".m4a", "audio/mp4"},       {".mp3", "audio/mpeg"},
      {".ogg", "audio/ogg"},        {".opus", "audio/opus"},     {".wav", "audio/wav"},
      {".flac", "audio/flac"},      {".pdf", "application/pdf"}, {".txt", "text/plain"},
      {".md", "text/markdown"},     {".html", "text/html"},      {".zip", "application/zip"},
      {".json", "application/json"}};
  for (const auto& [extension, type] : kTypes) {
    if (ext == extension) return std::string(type);
  }
  return "application/octet-stream";
}

}  // namespace inmost::core
