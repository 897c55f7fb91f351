// The responder's checks of a hello before any DH work (PartnerLink::Impl::Screen):
// mac1, then mac2, the stamp and the rate limit for a session, or the rate limit and an
// open invite for a pairing. Synchronous, so a refused hello costs no coroutine, timer
// or socket object. It must never do DH work, nor let a hello that failed a check on.
#include <utility>

#include "daemon/peer/address.h"
#include "daemon/peer/hello.h"
#include "daemon/peer/partner_link_impl.h"

namespace inmost::peer {

using boost::asio::ip::tcp;

void PartnerLink::Impl::DebugDrop(const tcp::endpoint& remote, std::string_view why) {
  if (!DebugOn()) return;
  std::string line = "dropped a hello from " + FormatEndpoint(remote) + ": ";
  line += why;
  Debug(line);
}

std::optional<std::string> PartnerLink::Impl::WhyNoPairing() const {
  if (partner_) return "this daemon is already paired (the invite was used)";
  if (!invite_) return "there is no open invite (it was used, or none was made)";
  if (!InviteOpen()) return "the invite has expired";
  return std::nullopt;
}

PartnerLink::Impl::Screened PartnerLink::Impl::Screen(std::span<const uint8_t> frame,
                                                      const tcp::endpoint& remote) {
  Screened screened;
  // mac1 first: a stranger who does not know our public key costs us no DH.
  auto hello = ParseHello(frame, own_mac1_key_);
  if (!hello.ok()) {
    // Only a partner whose inmost is older or newer than ours sends a hello of another
    // type with our mac1: that one the user can act on.
    if (hello.status().code() == Code::kUnsupported) {
      WarnRefused("dropped a hello from " + FormatEndpoint(remote) + ": " +
                  hello.status().message());
    } else {
      DebugDrop(remote, hello.status().message());
    }
    return screened;
  }
  if (hello->type == HelloType::kSession) {
    // mac2 and the stamp before the rate limit, so that neither a stranger who knows
    // our key nor a replay drains the budget the partner's own hellos need.
    screened.session = OpenPartnerHello(hello->message, remote);
    if (!screened.session) return screened;
    if (!rate_limiter_.Allow(remote.address(), clock_.SteadyNow())) {
      DebugDrop(remote, "too many handshakes from that address");
      screened.session.reset();
      return screened;
    }
    screened.next = Screened::Next::kRespondSession;
    screened.partner_key = partner_->static_key;
    return screened;
  }
  if (!rate_limiter_.Allow(remote.address(), clock_.SteadyNow())) {
    DebugDrop(remote, "too many handshakes from that address");
    // A joiner who knows our key hears why, instead of taking us for someone else.
    screened.next = Screened::Next::kRefusePairing;
    screened.refusal = PairingRefusal::kBusy;
    return screened;
  }
  // Refused before any DH work, with a frame that does not say why (pairing.h).
  if (auto why = WhyNoPairing()) {
    LogRefusedJoin(FormatEndpoint(remote), *why);
    screened.next = Screened::Next::kRefusePairing;
    screened.refusal = PairingRefusal::kNoOpenInvite;
    return screened;
  }
  screened.next = Screened::Next::kRespondPairing;
  screened.pairing_message1 = std::move(hello->message);
  return screened;
}

std::optional<SessionHello> PartnerLink::Impl::OpenPartnerHello(std::span<const uint8_t> inner,
                                                                const tcp::endpoint& remote) {
  if (!partner_ || !partner_hello_keys_) {
    if (DebugOn()) Debug("refused a session from " + FormatEndpoint(remote) + ": not paired");
    return std::nullopt;
  }
  auto opened = OpenSessionHello(static_cast<uint8_t>(HelloType::kSession), inner,
                                 partner_hello_keys_->from_partner);
  if (!opened.ok()) {
    DebugDrop(remote, opened.status().message());
    return std::nullopt;
  }
  // After mac2, so only the partner's own hellos (fresh or replayed) move the window.
  if (!partner_stamps_.AcceptIfNewer(opened->stamp)) {
    DebugDrop(remote, "replayed (its stamp is not newer than the partner's last hello)");
    return std::nullopt;
  }
  return std::move(*opened);
}

}  // namespace inmost::peer
