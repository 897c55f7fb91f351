#include "daemon/store/message_number.h"

#include <algorithm>

namespace inmost::store {

NumberingSide SideOf(std::span<const uint8_t> own_public_key,
                     std::span<const uint8_t> partner_public_key) {
  // Public keys are not secret: an ordinary comparison is fine.
  bool first = std::lexicographical_compare(own_public_key.begin(), own_public_key.end(),
                                            partner_public_key.begin(), partner_public_key.end());
  return first ? NumberingSide::kOdd : NumberingSide::kEven;
}

}  // namespace inmost::store
