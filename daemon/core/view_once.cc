#include "daemon/core/view_once.h"

#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"
#include "daemon/store/backup_format.h"

namespace inmost::core {
namespace {

using records::HistoryEntry;

std::string KeyOf(const std::string& envelope_id) {
  return std::string(store::backup::kViewOnceKeyPrefix) + envelope_id;
}

void Publish(Conversation& conversation, const HistoryEntry& entry, int64_t now, bool received) {
  control::Event event;
  event.set_at_unix_ms(now);
  auto* message = received ? event.mutable_message_received()->mutable_message()
                           : event.mutable_changed()->mutable_message();
  *message = MessageView(entry, false);
  conversation.PublishWhenWritten(std::move(event));
}

}  // namespace

void ViewOnceMessages::Register(Router& router) {
  router.OnRequest(
      control::Request::kView, "view once", Sync::kBeforeReply,
      [this](const control::Request& request) { return View(request.view()); },
      &control::Response::mutable_view);
  router.OnItem(peer::Deliver::kViewOnce, "view once",
                [this](const peer::Deliver& item) { OnViewOnce(item); });
  router.OnItem(peer::Deliver::kViewed, "view once",
                [this](const peer::Deliver& item) { OnViewed(item); });
}

Result<control::SendReply> ViewOnceMessages::Send(const std::string& text, uint64_t reply_to_id) {
  INMOST_RETURN_IF_ERROR(ValidateText(text, "the message"));
  HistoryEntry entry;
  peer::Deliver item;
  if (reply_to_id != 0) {
    auto answered = conversation_.Entry(reply_to_id);
    if (!answered.ok()) return answered.status();
    auto ref = conversation_.RefFor(*answered);
    if (!ref.ok()) return ref.status();
    entry.set_reply_to_id(reply_to_id);
    *item.mutable_reply_to() = *ref;
  }
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::PENDING);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  // The sender keeps no body: it leaves in the stream item alone.
  std::string envelope_id = crypto::NewEnvelopeId();
  entry.mutable_view_once()->set_envelope_id(envelope_id);
  conversation_.AppendEntry(entry);

  crypto::SealedBody sealed = crypto::SealBody(envelope_id, text);
  auto* once = item.mutable_view_once();
  once->set_envelope_id(envelope_id);
  once->set_key(std::string(reinterpret_cast<const char*>(sealed.key.data()), sealed.key.size()));
  once->set_ciphertext(std::move(sealed.ciphertext));
  once->set_commitment(std::move(sealed.commitment));
  item.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  entry.set_seq(
      conversation_.EnqueueItem(std::move(item), entry.id(), Conversation::InBackups::kNever));
  conversation_.PutEntry(entry);
  control::SendReply reply;
  reply.set_id(entry.id());
  reply.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  return reply;
}

void ViewOnceMessages::OnViewOnce(const peer::Deliver& item) {
  const peer::ViewOnce& once = item.view_once();
  if (once.envelope_id().size() != crypto::kEnvelopeIdSize ||
      once.key().size() != crypto::kContentKeySize ||
      once.commitment().size() != crypto::kCommitmentSize || once.ciphertext().empty() ||
      once.ciphertext().size() > kMaxTextBytes + 64) {
    log_.Warning("ignoring a malformed view-once message from the partner");
    return;
  }
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::INCOMING);
  entry.set_state(HistoryEntry::DELIVERED);
  entry.set_seq(item.seq());
  entry.set_sent_at_unix_ms(item.sent_at_unix_ms());
  entry.set_received_at_unix_ms(clock_.NowUnixMs());
  if (item.has_reply_to()) {
    auto answered = conversation_.Resolve(item.reply_to());
    if (answered.ok()) {
      entry.set_reply_to_id(answered->id());
    } else {
      entry.set_reply_to_missing(true);
    }
  }
  auto* record = entry.mutable_view_once();
  record->set_envelope_id(once.envelope_id());
  record->set_ciphertext(once.ciphertext());
  record->set_commitment(once.commitment());
  conversation_.AppendEntry(entry);
  commit_.batch().PutSecret(KeyOf(once.envelope_id()),
                            crypto::SecretBytes::CopyOf(crypto::AsBytes(once.key())));
  Publish(conversation_, entry, entry.received_at_unix_ms(), true);
}

Result<control::ViewReply> ViewOnceMessages::View(const control::ViewRequest& request) {
  auto entry = conversation_.Entry(request.id());
  if (!entry.ok()) return entry.status();
  const std::string what = "message " + conversation_.Describe(entry->id());
  if (!entry->has_view_once() || entry->direction() != HistoryEntry::INCOMING) {
    return FailedPrecondition(what + " is not a view-once message from your partner");
  }
  if (entry->view_once().viewed()) {
    return FailedPrecondition(what + " was viewed already: it is gone on both sides");
  }
  if (request.what_only()) {
    control::ViewReply reply;
    *reply.mutable_message() = MessageView(*entry, false);
    return reply;
  }
  if (entry->has_file()) return ViewFile(*entry, request);
  const records::ViewOnceRecord& once = entry->view_once();
  auto key = store_.GetSecret(KeyOf(once.envelope_id()));
  if (!key.ok()) {
    if (key.status().code() != Code::kNotFound) return key.status();
    return FailedPrecondition(what +
                              " can no longer be viewed: this copy of the store does not hold "
                              "its key (restored from a backup, which never keeps one)");
  }
  auto body =
      crypto::OpenBody(once.envelope_id(), key->span(), once.ciphertext(), once.commitment());
  if (!body.ok()) return body.status();
  EndView(*entry);
  control::ViewReply reply;
  reply.set_text(std::move(*body));
  *reply.mutable_message() = MessageView(*entry, false);
  return reply;
}

Result<control::ViewReply> ViewOnceMessages::ViewFile(HistoryEntry& entry,
                                                      const control::ViewRequest& request) {
  auto piece = files_.ReadFile(entry, request.offset(), request.max_bytes());
  if (!piece.ok()) return piece.status();
  if (piece->end()) EndView(entry);
  control::ViewReply reply;
  *reply.mutable_file() = std::move(*piece);
  *reply.mutable_message() = MessageView(entry, false);
  return reply;
}

void ViewOnceMessages::EndView(HistoryEntry& entry) {
  Destroy(entry, 0);
  if (auto ref = conversation_.RefFor(entry); ref.ok()) {
    peer::Deliver item;
    *item.mutable_viewed()->mutable_message() = *ref;
    conversation_.EnqueueItem(std::move(item), 0);
  }
}

void ViewOnceMessages::OnViewed(const peer::Deliver& item) {
  if (item.viewed().message().by_sender()) return;  // Only ours are viewed by the partner.
  auto entry = conversation_.Resolve(item.viewed().message());
  if (!entry.ok() || !entry->has_view_once() || entry->view_once().viewed()) return;
  Destroy(*entry, entry->seq());
}

void ViewOnceMessages::Destroy(HistoryEntry& entry, uint64_t outbox_seq) {
  auto* once = entry.mutable_view_once();
  once->set_viewed(true);
  once->set_viewed_at_unix_ms(clock_.NowUnixMs());
  once->clear_ciphertext();
  once->clear_commitment();
  if (entry.has_file()) {
    files_.Discard(entry);  // Its key and blob (here, or still being sent).
  } else if (entry.direction() == HistoryEntry::INCOMING) {
    commit_.batch().Delete(KeyOf(once->envelope_id()));
  }
  conversation_.PutEntry(entry);
  Publish(conversation_, entry, once->viewed_at_unix_ms(), false);
  // LevelDB keeps overwritten and deleted values in older files until compacted: the
  // entry's, our outbox copy's, and under "vk/" every view-once key and outbox item
  // (few and small, so the whole range is cheap).
  std::vector<std::string> keys = {HistoryKey(entry.id())};
  if (outbox_seq != 0) keys.push_back(OutgoingKey(outbox_seq));
  commit_.AfterSync([this, keys = std::move(keys)](const Status& status) {
    if (!status.ok()) return;
    Status compacted = store_.CompactPrefix(store::backup::kViewOnceKeyPrefix);
    for (const std::string& key : keys) {
      if (compacted.ok()) compacted = store_.CompactKey(key);
    }
    if (!compacted.ok()) {
      log_.Warning("could not compact a viewed message away: " + compacted.ToString());
    }
  });
}

}  // namespace inmost::core
