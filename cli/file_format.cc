#include "cli/file_format.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "cli/text_format.h"

namespace inmost::cli {

std::string FormatBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  size_t unit = 0;
  uint64_t scale = 1024;
  while (unit + 1 < std::size(kUnits) && bytes / scale >= 1024) {
    ++unit;
    scale *= 1024;
  }
  uint64_t whole = bytes / scale;
  // The remainder is below 2^40, so ten times it cannot overflow.
  uint64_t tenths = (bytes % scale * 10 + scale / 2) / scale;
  if (tenths == 10) {
    ++whole;
    tenths = 0;
  }
  if (whole == 1024 && unit + 1 < std::size(kUnits)) {  // 1023.96 KiB is 1.0 MiB.
    ++unit;
    whole = 1;
  }
  return std::to_string(whole) + '.' + std::to_string(tenths) + ' ' + kUnits[unit];
}

int PercentDone(uint64_t done, uint64_t total) {
  if (total == 0 || done >= total) return 100;
  // done < total, so this is below 100; 128 bits hold done * 100 for any size.
  return static_cast<int>(static_cast<unsigned __int128>(done) * 100 / total);
}

std::string ProgressBar(uint64_t done, uint64_t total, size_t width) {
  size_t filled = width;
  if (total != 0 && done < total) {
    filled = static_cast<size_t>(PercentDone(done, total)) * width / 100;
  }
  return '[' + std::string(filled, '#') + std::string(width - filled, '.') + ']';
}

std::string FileName(const control::Attachment& file, size_t max_bytes) {
  if (file.name().empty()) return "(sealed)";
  std::string name = OneLine(file.name());
  constexpr std::string_view kEllipsis = "…";
  if (name.size() <= max_bytes || max_bytes <= kEllipsis.size()) return name;
  size_t cut = max_bytes - kEllipsis.size();
  // Never cut a UTF-8 sequence in two: back up to the start of a character.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) --cut;
  return name.substr(0, cut) + std::string(kEllipsis);
}

std::string FitColumns(std::string_view line, size_t columns) {
  auto starts_character = [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; };
  size_t characters =
      static_cast<size_t>(std::count_if(line.begin(), line.end(), starts_character));
  if (characters <= columns) return std::string(line);
  if (columns == 0) return "";
  // Keep columns - 1 characters, then the ellipsis.
  size_t kept = 0, end = 0;
  for (; end < line.size(); ++end) {
    if (starts_character(line[end]) && kept++ == columns - 1) break;
  }
  return std::string(line.substr(0, end)) + "…";
}

std::string AttachmentStateWords(const control::Attachment& file) {
  switch (file.state()) {
    case control::Attachment::SENDING:
      return "sending";
    case control::Attachment::SENT:
      return "sent";
    case control::Attachment::RECEIVING:
      return "receiving";
    case control::Attachment::RECEIVED:
      return "received";
    case control::Attachment::FAILED:
      return file.error().empty() ? "failed" : "failed: " + OneLine(file.error());
    default:
      return "";
  }
}

bool IsMoving(const control::Attachment& file) {
  return file.state() == control::Attachment::SENDING ||
         file.state() == control::Attachment::RECEIVING;
}

std::string FileSize(const control::Attachment& file) {
  // While sealed the daemon gives the size rounded up (message_view.h): say so.
  return (file.name().empty() ? "up to " : "") + FormatBytes(file.size());
}

std::string FormatAttachment(const control::Attachment& file) {
  std::string text = "📎 " + FileName(file) + " (" + FileSize(file);
  if (!file.type().empty()) text += ", " + OneLine(file.type());
  if (IsMoving(file)) {
    text += ", " + std::to_string(PercentDone(file.bytes_done(), file.size())) + '%';
  } else if (file.state() == control::Attachment::FAILED) {
    text += ", " + AttachmentStateWords(file);
  }
  return text + ')';
}

std::string FormatTransfer(const control::Transfer& transfer) {
  const control::Attachment& file = transfer.file();
  const char* arrow = transfer.direction() == control::Message::INCOMING ? "←" : "→";
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", PercentDone(file.bytes_done(), file.size()));
  std::string line = '#' + std::to_string(transfer.id()) + ' ' + arrow + ' ' + FileName(file, 40) +
                     "  " + ProgressBar(file.bytes_done(), file.size()) + ' ' + percent + "  " +
                     FormatBytes(file.bytes_done()) + " / " + FormatBytes(file.size());
  std::string state = AttachmentStateWords(file);
  if (!state.empty()) line += "  " + state;
  return line;
}

void ApplyTransferProgress(const control::TransferProgress& progress,
                           std::vector<control::Transfer>* transfers) {
  auto it = std::find_if(transfers->begin(), transfers->end(),
                         [&](const control::Transfer& t) { return t.id() == progress.id(); });
  if (it == transfers->end()) {
    it = transfers->insert(transfers->end(), control::Transfer());
    it->set_id(progress.id());
  }
  it->set_direction(progress.direction());
  *it->mutable_file() = progress.file();
}

std::string FormatTransferDone(const control::TransferProgress& progress) {
  const control::Attachment& file = progress.file();
  std::string head = "-- 📎 #" + std::to_string(progress.id()) + ' ' + FileName(file) + " (" +
                     FileSize(file) + ") ";
  switch (file.state()) {
    case control::Attachment::SENT:
      return head + "sent";
    case control::Attachment::RECEIVED:
      if (file.name().empty()) return head + "received, sealed until it opens";
      return head + "received; save it with: inmost save " + std::to_string(progress.id());
    case control::Attachment::FAILED:
      return head + AttachmentStateWords(file);
    default:
      return "";
  }
}

}  // namespace inmost::cli
