// The partnership: owns the requests that begin and end it (invite, join, unpair)
// and the partner's addresses, and tells every part when a partner arrives or
// leaves. It holds no protocol: pairing itself is the peer link's (peer/pairing.h);
// the end of a pairing travels as the last item of the stream (partnership_end.cc).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/drafts.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/nudges.h"
#include "daemon/core/partner_book.h"
#include "daemon/core/router.h"
#include "daemon/core/shared_memories.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/log/logger.h"
#include "daemon/peer/partner_link.h"

namespace inmost {

// Where an invite made without explicit addresses reaches us, and what the user should
// know about that (InviteReply.note): empty, or why it holds less than it could.
struct InviteAddressing {
  std::vector<std::string> addresses;
  std::string note;
};
// Gives InviteAddressing, or why an invite cannot be made; it may wait (for Tor).
using InviteAddresser = std::function<boost::asio::awaitable<Result<InviteAddressing>>()>;

// The parts whose state belongs to one partner.
struct PartnerState {
  core::Conversation& conversation;
  core::Boundaries& boundaries;
  core::FileTransfers& files;
  core::Envelopes& envelopes;
  core::Nudges& nudges;
  core::SharedMemories& memories;
  core::Drafts& drafts;
  core::GroupCommit& commit;
};

class Partnership {
 public:
  // `advertised` gives the addresses to tell the inviter when we join; `for_invite`
  // those an invite carries when the request names none (with a note for the user), or
  // why there are none. All references must outlive this object.
  Partnership(boost::asio::io_context& io, core::PartnerBook& partners, peer::PartnerLink& link,
              PartnerState parts, const crypto::KeyPair& identity, core::EventHub& events,
              const core::Clock& clock, log::Logger& log,
              std::function<std::vector<std::string>()> advertised, InviteAddresser for_invite);

  // Registers the invite, join, unpair and partner-addresses requests, and the
  // partner's PairingEnded item, with `router`.
  void Register(core::Router& router);

  // A partner was paired through the link: every part starts afresh with them.
  Status OnPaired(const core::Partner& partner);
  // What follows from who the partner is (nullopt: not paired): the question of the
  // day, and which message numbers this side gives.
  void FollowPartner(const std::optional<core::Partner>& partner);

  // ---- the end of a pairing (partnership_end.cc) ----
  // Everything we sent is acknowledged: if we are ending the pairing, the partner
  // now knows, and the partner is forgotten.
  void OnAllAcknowledged();
  // The link went down: once the partner ended the pairing, we stop dialing them.
  void OnLinkDown();
  // Ok while requests that reach the partner may be made; otherwise why not (the
  // pairing ended, or we are ending it).
  Status CanReachPartner() const;
  // How the last pairing ended, for the status (nullopt: it did not, or a new began).
  std::optional<control::PairingEnded> EndedView() const;

  boost::asio::awaitable<Result<control::InviteReply>> MakeInvite(
      const control::InviteRequest& request);
  boost::asio::awaitable<Result<control::JoinReply>> Join(const control::JoinRequest& request);
  boost::asio::awaitable<Result<control::UnpairReply>> Unpair(
      const control::UnpairRequest& request);
  Result<control::PartnerAddressesReply> PartnerAddresses(
      const control::PartnerAddressesRequest& request);

 private:
  boost::asio::io_context& io_;
  core::PartnerBook& partners_;
  peer::PartnerLink& link_;
  PartnerState parts_;
  const crypto::KeyPair& identity_;
  core::EventHub& events_;
  const core::Clock& clock_;
  log::Logger& log_;
  std::function<std::vector<std::string>()> advertised_;
  InviteAddresser for_invite_;

  // The invite for `addresses`, valid `seconds`, replacing any earlier one.
  Result<control::InviteReply> Issue(const std::vector<std::string>& addresses, int64_t seconds);
  // Forgets the partner we are ending the pairing with; `told`: their daemon knows.
  Status FinishEnding(bool told);
  // The partner's PairingEnded item, stored in the batch being filled (or, when we
  // ended it too, not stored: both ended it at once).
  void OnPairingEnded(const peer::Deliver& item);
  // After that item is on disk: the partner is forgotten here too; what they kept
  // of our stream (nullopt: not told) is delivered, the rest not.
  void EndedByPartner(int64_t at_unix_ms, const std::string& name,
                      std::optional<uint64_t> kept_up_to_seq);
};

}  // namespace inmost
