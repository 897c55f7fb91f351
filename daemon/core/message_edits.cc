#include "daemon/core/message_edits.h"

#include "daemon/core/message_view.h"

namespace inmost::core {
namespace {

using records::EnvelopeRecord;
using records::HistoryEntry;

// Why `entry` cannot take a new text (empty: it can); `ours` says whose it is meant
// to be. The same rules hold for our own edits and the partner's.
std::string CannotEdit(const HistoryEntry& entry, bool ours) {
  const auto mine = ours ? HistoryEntry::OUTGOING : HistoryEntry::INCOMING;
  if (entry.direction() != mine || !entry.notice().empty()) {
    return "only its author can edit a message";
  }
  if (!HasContent(entry)) return "it is forgotten";
  if (entry.has_view_once()) return "a view-once message cannot be edited";
  if (entry.has_nudge() || entry.moment() || entry.has_question()) return "it has no text to edit";
  if (entry.state() == HistoryEntry::SCHEDULED || entry.state() == HistoryEntry::CANCELLED)
    return "it has not been sent: cancel it and send the new text instead";
  if (entry.has_envelope()) {
    if (entry.envelope().kind() == EnvelopeRecord::ANSWER)
      return "an answer stays as it was revealed";
    if (entry.envelope().state() != EnvelopeRecord::OPENED) {
      return "your partner has not opened it yet: an edit would change what is sealed; "
             "withdraw it (retract) and send it again instead";
    }
  }
  if (entry.has_file() && entry.text().empty()) return "it has no caption to edit";
  return "";
}

void AddVersion(HistoryEntry& entry, std::string text, int64_t at_unix_ms) {
  auto* old = entry.add_versions();
  old->set_text(entry.text());
  old->set_at_unix_ms(entry.versions_size() > 1 ? entry.edited_at_unix_ms()
                                                : entry.sent_at_unix_ms());
  entry.set_text(std::move(text));
  entry.set_edited_at_unix_ms(at_unix_ms);
}

}  // namespace

void MessageEdits::Register(Router& router) {
  using control::Request;
  using control::Response;
  router.OnRequest(
      Request::kEdit, "edits", Sync::kBeforeReply,
      [this](const Request& request) { return Edit(request.edit()); }, &Response::mutable_edit);
  router.OnRequest(
      Request::kVersions, "edits", Sync::kNone,
      [this](const Request& request) { return Versions(request.versions()); },
      &Response::mutable_versions);
  router.OnItem(peer::Deliver::kEdit, "edits", [this](const peer::Deliver& item) { OnEdit(item); });
}

Result<control::EditReply> MessageEdits::Edit(const control::EditRequest& request) {
  INMOST_RETURN_IF_ERROR(ValidateText(request.text(), "the new text"));
  auto entry = conversation_.Entry(request.id());
  if (!entry.ok()) return entry.status();
  const std::string who = "message " + conversation_.Describe(entry->id());
  if (std::string why = CannotEdit(*entry, true); !why.empty()) {
    return FailedPrecondition(who + " cannot be edited: " + why);
  }
  if (entry->text() == request.text()) return InvalidArgument(who + " already says that");
  if (entry->versions_size() >= kMaxVersions) {
    return ResourceExhausted(who + " was edited " + std::to_string(kMaxVersions) +
                             " times already; send a new message instead");
  }
  auto ref = conversation_.RefFor(*entry);
  if (!ref.ok()) return ref.status();
  AddVersion(*entry, request.text(), clock_.NowUnixMs());
  conversation_.PutEntry(*entry);
  peer::Deliver item;
  *item.mutable_edit()->mutable_message() = *ref;
  item.mutable_edit()->set_text(request.text());
  item.set_sent_at_unix_ms(entry->edited_at_unix_ms());
  conversation_.EnqueueItem(std::move(item), 0);
  control::EditReply reply;
  *reply.mutable_message() = MessageView(*entry, false);
  control::Event event;
  event.set_at_unix_ms(entry->edited_at_unix_ms());
  *event.mutable_changed()->mutable_message() = *reply.mutable_message();
  conversation_.PublishWhenWritten(std::move(event));
  return reply;
}

Result<control::VersionsReply> MessageEdits::Versions(
    const control::VersionsRequest& request) const {
  auto entry = conversation_.Entry(request.id());
  if (!entry.ok()) return entry.status();
  if (entry->text().empty()) {
    return FailedPrecondition("message " + conversation_.Describe(entry->id()) +
                              " has no text here");
  }
  control::VersionsReply reply;
  for (const auto& version : entry->versions()) {
    auto* out = reply.add_versions();
    out->set_text(version.text());
    out->set_at_unix_ms(version.at_unix_ms());
  }
  auto* now = reply.add_versions();
  now->set_text(entry->text());
  now->set_at_unix_ms(entry->versions_size() > 0 ? entry->edited_at_unix_ms()
                                                 : entry->sent_at_unix_ms());
  return reply;
}

void MessageEdits::OnEdit(const peer::Deliver& item) {
  const peer::Edit& edit = item.edit();
  if (!edit.message().by_sender()) {
    log_.Warning("ignoring the partner's edit of a message they did not write");
    return;
  }
  auto entry = conversation_.Resolve(edit.message());
  if (!entry.ok()) return;  // Forgotten here, or never was.
  if (std::string why = CannotEdit(*entry, false); !why.empty()) {
    log_.Warning("ignoring the partner's edit of " + conversation_.Describe(entry->id()) + ": " +
                 why);
    return;
  }
  if (!ValidateText(edit.text(), "an edit").ok() || entry->versions_size() >= kMaxVersions) {
    log_.Warning("ignoring a malformed edit, or one past " + std::to_string(kMaxVersions) +
                 " versions, from the partner");
    return;
  }
  AddVersion(*entry, edit.text(), item.sent_at_unix_ms());
  conversation_.PutEntry(*entry);
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_changed()->mutable_message() = MessageView(*entry, false);
  conversation_.PublishWhenWritten(std::move(event));
}

}  // namespace inmost::core
