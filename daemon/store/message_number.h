// Message numbers: the one number both partners show for a message. Each daemon
// numbers what it writes above every number it has used or seen (a Lamport clock),
// in a parity of its own, so the two never give one number to two messages. Pure
// rules, shared by the conversation and the migration that numbered older stores.
#pragma once

#include <cstdint>
#include <span>

namespace inmost::store {

// Which numbers a daemon gives: the side whose public key sorts first takes the odd
// ones, its partner the even ones. Both compute the same from the two keys.
enum class NumberingSide { kOdd, kEven };

// This daemon's side, from its own public key and its partner's.
NumberingSide SideOf(std::span<const uint8_t> own_public_key,
                     std::span<const uint8_t> partner_public_key);

// The other side.
inline NumberingSide Other(NumberingSide side) {
  return side == NumberingSide::kOdd ? NumberingSide::kEven : NumberingSide::kOdd;
}

// The smallest number above `last` that `side` gives.
inline uint64_t NextNumber(uint64_t last, NumberingSide side) {
  const uint64_t parity = side == NumberingSide::kOdd ? 1 : 0;
  uint64_t next = last + 1;
  if (next % 2 != parity) ++next;
  return next;
}

// The number of the item at `seq` on `sender`'s stream when it carries none (sent by
// an older build, or stored before numbers existed): 2·seq−1 or 2·seq, which both
// daemons derive alike from the seq they share.
inline uint64_t NumberFromSeq(uint64_t seq, NumberingSide sender) {
  return sender == NumberingSide::kOdd ? 2 * seq - 1 : 2 * seq;
}

}  // namespace inmost::store
