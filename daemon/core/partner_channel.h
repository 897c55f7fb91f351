// What the core asks of the peer link: send one message to the partner over the
// live session. The core never sees sockets or Noise; the link implements this.
#pragma once

#include <cstddef>

#include "proto/peer.pb.h"

namespace inmost::core {

class PartnerChannel {
 public:
  virtual ~PartnerChannel() = default;
  // Queues `message` on the live session. Returns false, sending nothing, when the
  // link is down: the core keeps the message durable and sends it on the next LinkUp.
  virtual bool SendToPartner(const peer::PeerMessage& message) = 0;
  // True while an authenticated session with the partner is live.
  virtual bool IsUp() const = 0;
  // Bytes queued on the live session and not yet written to the socket: bulk data
  // (file chunks) is sent only while this is small, so a text never waits long.
  virtual size_t QueuedBytes() const = 0;
};

}  // namespace inmost::core
