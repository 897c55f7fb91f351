#include "daemon/core/stream_copy.h"

#include "daemon/core/conversation.h"

namespace inmost::core {
namespace {

constexpr size_t kMaxWhatBytes = 80;

}  // namespace

std::string NotPlainText(const records::HistoryEntry& entry) {
  if (entry.forget() != records::HistoryEntry::FORGET_NONE) return "a message since forgotten";
  if (entry.has_envelope()) {
    return entry.envelope().kind() == records::EnvelopeRecord::ANSWER ? "an answer" : "an envelope";
  }
  if (entry.has_view_once()) return "a view-once message";
  if (entry.has_file()) return "a file";
  if (entry.has_question()) return "a question";
  if (entry.has_nudge()) return "a nudge";
  if (entry.moment() || !entry.notice().empty() || entry.text().empty()) return "an item";
  return "";
}

std::string ShownWords(std::string_view partner_words, std::string_view otherwise) {
  if (!ValidateText(partner_words, "it", kMaxWhatBytes).ok()) return std::string(otherwise);
  for (char c : partner_words) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::string(otherwise);
  }
  return std::string(partner_words);
}

}  // namespace inmost::core
