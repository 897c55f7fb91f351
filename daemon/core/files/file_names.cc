#include "daemon/core/files/file_names.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

namespace inmost::core {
namespace {

constexpr size_t kMaxNameBytes = 255;
// A longer "extension" is part of the name: a cut name keeps only a short one.
constexpr size_t kMaxKeptExtensionBytes = 32;

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The first `max_bytes` bytes of `text` or fewer, never ending inside a UTF-8 sequence.
std::string_view CutAt(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && IsContinuationByte(text[end])) --end;
  return text.substr(0, end);
}

// `name` in at most kMaxNameBytes bytes: the stem is cut, a short extension is kept.
std::string FitLength(const std::string& name) {
  if (name.size() <= kMaxNameBytes) return name;
  const size_t dot = name.rfind('.');
  if (dot != std::string::npos && dot > 0 && name.size() - dot <= kMaxKeptExtensionBytes) {
    std::string_view extension = std::string_view(name).substr(dot);
    return std::string(
               CutAt(std::string_view(name).substr(0, dot), kMaxNameBytes - extension.size())) +
           std::string(extension);
  }
  return std::string(CutAt(name, kMaxNameBytes));
}

// Code points that show nothing (or nothing where they stand) yet change how a name
// reads: Unicode 15.0's Default_Ignorable_Code_Point (DerivedCoreProperties.txt),
// every format character (General_Category Cf, UnicodeData.txt: the bidi embeddings,
// overrides, isolates and marks among them) and the line and paragraph separators.
// A table of our own rather than ICU: ICU would be a large dependency for this one
// question, its Cf category alone misses the default-ignorable fillers and variation
// selectors, and Unicode adds such characters rarely. Code points unassigned in 15.0
// count as visible, except within the default-ignorable ranges Unicode reserves.
constexpr std::pair<char32_t, char32_t> kInvisible[] = {
    {0x00AD, 0x00AD},    // soft hyphen
    {0x034F, 0x034F},    // combining grapheme joiner
    {0x0600, 0x0605},    // Arabic number signs
    {0x061C, 0x061C},    // Arabic letter mark (bidi)
    {0x06DD, 0x06DD},    // Arabic end of ayah
    {0x070F, 0x070F},    // Syriac abbreviation mark
    {0x0890, 0x0891},    // Arabic pound and piastre marks above
    {0x08E2, 0x08E2},    // Arabic disputed end of ayah
    {0x115F, 0x1160},    // Hangul fillers
    {0x17B4, 0x17B5},    // Khmer inherent vowels
    {0x180B, 0x180F},    // Mongolian variation selectors and vowel separator
    {0x200B, 0x200F},    // zero-width space, non-joiner, joiner; LRM, RLM
    {0x2028, 0x202E},    // line and paragraph separators; bidi embeddings, overrides
    {0x2060, 0x206F},    // word joiner, invisible operators, bidi isolates, deprecated
    {0x3164, 0x3164},    // Hangul filler
    {0xFE00, 0xFE0F},    // variation selectors
    {0xFEFF, 0xFEFF},    // zero-width no-break space (byte order mark)
    {0xFFA0, 0xFFA0},    // halfwidth Hangul filler
    {0xFFF0, 0xFFFB},    // reserved default-ignorables, interlinear annotation
    {0x110BD, 0x110BD},  // Kaithi number sign
    {0x110CD, 0x110CD},  // Kaithi number sign above
    {0x13430, 0x1343F},  // Egyptian hieroglyph format controls
    {0x1BCA0, 0x1BCA3},  // shorthand format controls
    {0x1D173, 0x1D17A},  // musical symbol beams and phrases
    {0xE0000, 0xE0FFF},  // tags, variation selectors supplement, reserved
};

bool IsInvisible(char32_t c) {
  return std::any_of(std::begin(kInvisible), std::end(kInvisible),
                     [c](const auto& range) { return c >= range.first && c <= range.second; });
}

// The code point whose UTF-8 encoding starts at text[i] and the encoding's length,
// or length 0 when the bytes there are not well-formed UTF-8 (overlong forms and
// surrogates included).
std::pair<char32_t, size_t> DecodeAt(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {lead, 1};
  size_t length = 0;
  char32_t c = 0;
  unsigned char low = 0x80, high = 0xBF;  // The allowed range of the second byte.
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    c = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    c = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    c = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {0, 0};
  }
  if (i + length > text.size()) return {0, 0};
  for (size_t k = 1; k < length; ++k) {
    const unsigned char next = byte(i + k);
    if (k == 1 ? (next < low || next > high) : !IsContinuationByte(static_cast<char>(next))) {
      return {0, 0};
    }
    c = (c << 6) | (next & 0x3F);
  }
  return {c, length};
}

}  // namespace

std::string ShownFileName(const std::string& name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    bool unsafe = c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
    out.push_back(unsafe ? '_' : c);
  }
  out = FitLength(out);
  if (out.empty() || out == "." || out == "..") return "file";
  return out;
}

std::string SafeFileName(const std::string& name) {
  const std::string shown = ShownFileName(name);
  std::string out;
  for (size_t i = 0; i < shown.size();) {
    auto [c, length] = DecodeAt(shown, i);
    if (length == 0) {
      out.push_back('_');  // Not UTF-8: one byte at a time.
      ++i;
      continue;
    }
    if (c >= 0x80 && c <= 0x9F) {
      out.push_back('_');  // A C1 control.
    } else if (!IsInvisible(c)) {
      out.append(shown, i, length);
    }
    i += length;
  }
  out.erase(0, out.find_first_not_of('.'));
  return out.empty() ? "file" : out;
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

std::filesystem::path NumberedFileName(const std::filesystem::path& path, int n) {
  std::filesystem::path name = path.stem();
  name += " (" + std::to_string(n) + ")";
  name += path.extension();
  return path.parent_path() / name;
}

}  // namespace inmost::core
