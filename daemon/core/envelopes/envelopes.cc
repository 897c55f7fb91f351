// Envelopes (envelopes.h): loading what is pending, starting and stopping, the
// partner's items handed to the file that owns each kind, presence and a new
// partner. It never releases a key itself: release.cc decides when.
#include "daemon/core/envelopes/envelopes.h"

#include "daemon/core/envelopes/envelope_records.h"
#include "daemon/core/message_view.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

namespace asio = boost::asio;
using records::EnvelopeRecord;
using records::HistoryEntry;

}  // namespace

Envelopes::Envelopes(asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                     Conversation& conversation, EventHub& events, PartnerChannel& channel,
                     FileTransfers& files, const Clock& clock, log::Logger& log)
    : store_(store),
      commit_(commit),
      conversation_(conversation),
      events_(events),
      channel_(channel),
      files_(files),
      clock_(clock),
      log_(log),
      timer_(io, clock) {
  conversation_.AddReloadHook([this] { Reload(); });
}

Status Envelopes::Load() {
  pending_.clear();
  std::vector<uint64_t> ids;
  INMOST_RETURN_IF_ERROR(
      store_.ForEach(kPendingPrefix, [&](std::string_view key, std::string_view) {
        if (auto id = store::DecodeUint64(key.substr(kPendingPrefix.size()))) ids.push_back(*id);
        return true;
      }));
  for (uint64_t id : ids) {
    auto entry = conversation_.Entry(id);
    if (!entry.ok()) return entry.status();
    pending_.emplace(id, std::move(*entry));
  }
  return Status::Ok();
}

void Envelopes::Reload() {
  unwritten_keys_.clear();
  Status status = Load();
  if (!status.ok()) log_.Error("could not reload pending envelopes: " + status.ToString());
  ArmTimer();
}

void Envelopes::Start() {
  ReleaseWhatIsDue();
}

void Envelopes::Stop() {
  stopped_ = true;
  timer_.Cancel();
}

control::EnvelopesReply Envelopes::Pending() const {
  control::EnvelopesReply reply;
  for (const auto& [id, pending] : pending_) {
    auto entry = Lookup(id);
    if (entry.ok()) *reply.add_messages() = MessageView(*entry, partner_present_);
  }
  return reply;
}

// ---- the partner's items ------------------------------------------------------------

void Envelopes::OnItem(const peer::Deliver& item) {
  switch (item.item_case()) {
    case peer::Deliver::kOffer:
      OnOffer(item);
      break;
    case peer::Deliver::kKeyRelease:
      OnKeyRelease(item.key_release());
      break;
    case peer::Deliver::kRetract:
      OnRetract(item.retract());
      break;
    case peer::Deliver::kOpenRequest:
      OnOpenRequest(item.open_request());
      break;
    case peer::Deliver::kOpened:
      OnOpened(item.opened());
      break;
    case peer::Deliver::kQuestion:
      OnQuestion(item);
      break;
    default:
      break;  // From a newer partner: stored as seen, otherwise ignored.
  }
}

// ---- presence ---------------------------------------------------------------------------

void Envelopes::OnLinkUp() {
  ReleaseWhatIsDue();
}

void Envelopes::OnLinkDown() {
  OnPartnerPresence(false);
}

void Envelopes::SetPresent(bool present) {
  if (present == present_) return;
  present_ = present;
  ReleaseWhatIsDue();
}

void Envelopes::OnPartnerPresence(bool present) {
  if (present == partner_present_) return;
  partner_present_ = present;
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  event.mutable_partner_presence()->set_present(present);
  events_.Publish(event);
  ReleaseWhatIsDue();
}

void Envelopes::StartWithNewPartner() {
  std::vector<HistoryEntry> entries;
  for (const auto& [id, pending] : pending_) {
    auto entry = Lookup(id);
    if (entry.ok()) entries.push_back(std::move(*entry));
  }
  for (auto& entry : entries) {
    if (entry.state() == HistoryEntry::SCHEDULED) {
      entry.set_state(HistoryEntry::CANCELLED);
    } else if (entry.has_envelope()) {
      if (IsOutgoing(entry)) DestroyKey(entry.envelope().envelope_id());
      entry.mutable_envelope()->set_state(EnvelopeRecord::WITHDRAWN);
      entry.mutable_envelope()->clear_ciphertext();
      entry.mutable_envelope()->clear_commitment();
    }
    Save(entry);
    // A question for the former partner stays in the history, no longer pending.
    if (pending_.erase(entry.id()) > 0) commit_.batch().Delete(PendingKey(entry.id()));
  }
  partner_present_ = false;
}

}  // namespace inmost::core
