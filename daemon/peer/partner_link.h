// The peer link: the daemon's one authenticated, encrypted connection to its partner,
// and first pairing by invite. It implements core::PartnerChannel and reports to a
// core::LinkListener. It must never talk to anyone but the partner once paired, never
// do DH work for a stranger, and never log keys, secrets or message content.
//
// Protocol "inmost/1" over TCP. Every message travels in a frame (wire/frame.h: 2-byte
// big-endian length, then at most 65535 bytes).
//
// 1. Hello (hello.h). The dialer's first frame: type byte (1 = session, 2 = pairing),
//    Noise handshake message 1, and mac1 (handshake_mac.h), a keyed BLAKE2b-128 that
//    only someone who knows the responder's static public key can compute. A hello
//    with a bad mac1 is dropped before any X25519 work; hellos that pass are then
//    rate-limited per source address (rate_limiter.h) before the DH work. Noise
//    prologue: "inmost/1" || type byte.
// 2. Session (type 1, session_handshake.h): Noise_KK_25519_ChaChaPoly_BLAKE2b. The
//    responder answers only while paired, expecting the partner's static key; any other
//    key fails message 1 ("refused session from an unknown key"). Message 2 comes back
//    in one frame; then every frame is one transport message whose plaintext is one
//    peer::PeerMessage (session.h). The initiator's first transport message is a
//    Keepalive that confirms the keys: the responder uses its session only after
//    decrypting something, so a replayed message 1 cannot displace the live session.
//    A frame that fails to decrypt or parse closes the session; a PeerMessage of an
//    unknown or unset kind goes to the listener. Each direction is rekeyed after every
//    rekey_after_messages messages.
// 3. Liveness. A Keepalive goes out when nothing was sent for keepalive_interval; a
//    session that received no bytes for dead_after is closed. While paired and not up
//    the link dials the partner's addresses in order with exponential backoff
//    (dialer.h); a session the partner dials in is taken at once.
// 4. One live session. When a new session is confirmed while another is live:
//    - if the two were established within handshake_timeout of each other (both sides
//      dialed at the same moment), the session whose initiator has the lower static
//      public key (bytewise) wins, and with the same initiator the newer one;
//    - otherwise the newer wins (the partner evidently lost the old one, e.g. it
//      restarted before we noticed the old connection was dead).
//    Before both: a session through Tor (dialled to an onion address, or come in on
//    the Tor listener) loses to one that is not, so the link moves to a direct path
//    as soon as one works (the dialer keeps trying them, dialer.h).
//    The losing session is retired, not cut (session.h): it drains what the partner
//    already sent, so switching sessions loses no message in flight.
//    The side with the lower key opens a fresh KK session every rehandshake_after,
//    which wins by the same rules. Each time a session becomes the live one the
//    listener hears OnLinkUp (so the core re-sends what is unacknowledged) and the
//    partner is sent peer::Addresses; OnLinkDown when no live session is left.
// 5. Pairing (type 2, pairing.h): Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b with the
//    invite's secret as psk. The joiner sends pair_confirm{addresses}, the inviter makes
//    the pairing durable (LinkListener::OnPaired), answers pair_welcome{addresses},
//    burns the invite and closes; then the partners open a KK session.
//
// Bounds: frames <= 65535 bytes, every handshake step within handshake_timeout, at
// most max_pending_handshakes unauthenticated inbound connections, a bounded write
// queue per session (session.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/link_listener.h"
#include "daemon/core/partner.h"
#include "daemon/core/partner_channel.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/identity/invite_code.h"
#include "daemon/log/logger.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/candidate_history.h"
#include "inmost/status.h"
#include "proto/peer.pb.h"

namespace inmost::peer {

struct LinkOptions {
  std::chrono::milliseconds keepalive_interval{10000};  // Send a Keepalive when idle this long.
  std::chrono::milliseconds dead_after{30000};          // No bytes received this long: dead.
  std::chrono::milliseconds handshake_timeout{5000};    // Bound on every handshake.
  std::chrono::milliseconds backoff_initial{250};       // Redial delay: doubles up to
  std::chrono::milliseconds backoff_max{30000};         // backoff_max, +-25% jitter.
  std::chrono::milliseconds rehandshake_after{std::chrono::minutes(30)};  // Fresh KK keys.
  uint64_t rekey_after_messages = 1 << 16;  // CipherState::Rekey cadence per direction.
  size_t max_pending_handshakes = 64;       // Unauthenticated inbound connections cap.
  double hello_rate_per_second = 20.0;      // Per source address, after mac1, before DH.
  double hello_burst = 40.0;
  // "host:port" of a SOCKS5 proxy for every outbound dial (partner and invite), which
  // resolves names itself (socks5.h); empty = dial directly. Inbound is unaffected.
  std::string proxy;
  // tor-only: dial onion addresses alone, and tell the partner only the onion address.
  bool tor_only = false;
};

// The inviter's one open invite.
struct PendingInvite {
  crypto::SecretBytes secret;   // The invite's psk, 32 bytes.
  int64_t expires_at_unix = 0;  // Refused from this second on.
};

// What the link reports about its live session (status displays and tests).
struct SessionSummary {
  crypto::PublicKey initiator_key{};  // Whose dial it was.
  std::string local_address;          // This end of the TCP connection.
  std::string remote_address;         // The partner's end.
};

class PartnerLink : public core::PartnerChannel {
 public:
  // `identity` is copied. `listener`, `clock` and `logger` must outlive the link; after
  // Stop (or destruction) the link never calls them again.
  PartnerLink(boost::asio::io_context& io, const crypto::KeyPair& identity,
              core::LinkListener& listener, const core::Clock& clock, log::Logger& logger,
              LinkOptions options = {});
  // Stops the link. Coroutines still pending finish (or are destroyed with the
  // io_context) without touching the listener, clock or logger.
  ~PartnerLink() override;
  PartnerLink(const PartnerLink&) = delete;
  PartnerLink& operator=(const PartnerLink&) = delete;

  // Listens on "host:port" ("127.0.0.1:0", "[::]:7433"; port 0 picks one; "[::]" also
  // takes IPv4). IoError when the address cannot be bound.
  Status Listen(const std::string& host_port);
  // The actual "host:port" after Listen, or "" when not listening.
  std::string listen_address() const;
  // Opens a second listener on loopback, for this daemon's onion service alone, so a
  // session that came in through Tor is known as one. Its "127.0.0.1:port".
  Result<std::string> ListenForTor();
  // Addresses to tell the partner (Addresses on link up, pair_welcome). Without them the
  // link advertises its listen address, or, when listening on every interface, the
  // local address of the connection with the listen port.
  void SetAdvertisedAddresses(std::vector<std::string> addresses);
  // The daemon's onion service as "<id>.onion:port" ("" while it has none): told to the
  // partner after the direct addresses (alone under tor_only), at once when up.
  void SetOnionAddress(std::string address);
  // The SOCKS5 "host:port" of the daemon's own Tor ("" while none): onion addresses are
  // dialled through it, unless `proxy` takes every dial. Dials at once when set.
  void SetTorSocks(std::string socks);

  // The partner was seen at "host:port" (a LAN beacon, reach/lan_discovery.h): while the
  // link is down, that address goes first among the partner's (and to the store) and
  // the dialer dials at once. Whether it did; false when up, stopped or unpaired.
  bool PartnerSeenAt(const std::string& address);

  // The partner to keep a session with: starts dialing. nullopt = unpaired: closes the
  // session and refuses sessions. A different key closes the old partner's sessions.
  void SetPartner(std::optional<core::Partner> partner);
  // Inviter side: the one open invite, or nullopt to withdraw it.
  void SetInvite(std::optional<PendingInvite> invite);

  // Joiner side: pairs with the inviter of `invite`, telling it `my_addresses`. Calls
  // listener.OnPaired, adopts the partner (SetPartner) and returns it. Errors:
  // Expired (the invite is past its time), FailedPrecondition (already paired),
  // PermissionDenied (the inviter refused: wrong secret, used or expired invite),
  // Unavailable (unreachable, or no answer within handshake_timeout). co_await it from a
  // coroutine on the link's io_context (co_spawn with a value handler would need a
  // default-constructible result).
  boost::asio::awaitable<Result<core::Partner>> Join(const identity::Invite& invite,
                                                     std::vector<std::string> my_addresses);

  bool SendToPartner(const PeerMessage& message) override;
  bool IsUp() const override;
  size_t QueuedBytes() const override;

  // Closes the listener, every connection and session; no more listener calls.
  void Stop();

  // Introspection for status displays and tests.
  std::optional<SessionSummary> live_session() const;
  // Authenticated sessions in use (open, confirmed, not retired); 1 when up and settled.
  size_t session_count() const;
  // Unauthenticated inbound connections, responder sessions awaiting confirmation included.
  size_t pending_handshakes() const;
  // When the link was last up (now while it is; 0: not since the link was made).
  int64_t last_up_unix_ms() const;
  // The partner's addresses the dialer failed to reach, each with its last failure.
  std::vector<DialFailureReport> dial_failures() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // Shared with the link's coroutines.
};

}  // namespace inmost::peer
