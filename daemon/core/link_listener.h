// What the peer link tells the core: the session came up or went down, a peer
// message arrived, a pairing completed. Calls arrive on the io_context thread, in
// the order the events happened; the core must not block in them.
#pragma once

#include <string>

#include "daemon/core/partner.h"
#include "inmost/status.h"
#include "proto/peer.pb.h"

namespace inmost::core {

class LinkListener {
 public:
  virtual ~LinkListener() = default;
  // An authenticated session with the partner is live, reached at `address`.
  virtual void OnLinkUp(const std::string& address) = 0;
  // The live session ended (closed, timed out, replaced by none).
  virtual void OnLinkDown(const std::string& reason) = 0;
  // One transport message from the partner. Unknown kinds are passed on too (the
  // core ignores them).
  virtual void OnPeerMessage(const peer::PeerMessage& message) = 0;
  // A pairing handshake completed (either side). The listener makes the partner
  // durable and burns the invite before returning ok; only then does the link
  // confirm the pairing to the other side. A non-ok status aborts the pairing.
  virtual Status OnPaired(const Partner& partner) = 0;
  // Where to dial the partner changed, in the order to try: the partner told us
  // where it listens now, or another address than the first one worked. To be saved.
  virtual void OnPartnerAddresses(const std::vector<std::string>& addresses) = 0;
  // The live session has written everything queued: a moment to send bulk data.
  virtual void OnLinkWritable() {}
};

}  // namespace inmost::core
