// The most the partner may make this daemon store (see core::IncomingBudget, which
// enforces it). Apart from the budget so that the config file's parser, which sets
// it, needs nothing from daemon/core/.
#pragma once

#include <cstdint>

namespace inmost::core {

struct IncomingLimits {
  uint64_t items_per_hour = 50'000;
  uint64_t bytes_per_hour = uint64_t{256} << 20;
  uint64_t unread_items = 100'000;
  uint64_t unread_bytes = uint64_t{1} << 30;
};

}  // namespace inmost::core
