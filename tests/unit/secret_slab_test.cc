// Small secrets' slots (daemon/crypto/secret_slab.h): zeroed when handed out, wiped the
// moment they are freed, never shared by two live secrets, safe from two threads.
#include "daemon/crypto/secret_slab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "daemon/crypto/secret_bytes.h"

namespace inmost::crypto {
namespace {

bool AllZero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

TEST(SecretSlab, SlotsAreZeroedDistinctAndWipedWhenFreed) {
  SecretSlab& slab = SecretSlab::ForProcess();
  std::vector<uint8_t*> slots;
  std::set<uint8_t*> distinct;
  // More than one slab's worth, so a new slab is made on the way.
  for (size_t i = 0; i < kSecretSlotsPerSlab + 10; ++i) {
    uint8_t* slot = slab.Allocate();
    ASSERT_TRUE(AllZero(slot, kSecretSlotSize));
    std::memset(slot, 0xa5, kSecretSlotSize);
    slots.push_back(slot);
    distinct.insert(slot);
  }
  EXPECT_EQ(distinct.size(), slots.size());
  for (uint8_t* slot : slots) {
    slab.Free(slot);
    // The slab stays mapped, so the freed slot can be read: nothing is left in it.
    EXPECT_TRUE(AllZero(slot, kSecretSlotSize));
  }
}

TEST(SecretSlab, SecretBytesUseSlotsUpToTheirSizeAndKeepTheirContents) {
  const SecretBytes small = SecretBytes::Random(kSecretSlotSize);
  const SecretBytes large = SecretBytes::Random(kSecretSlotSize + 1);
  const SecretBytes copy = SecretBytes::CopyOf(small.span());
  EXPECT_TRUE(copy.Equals(small.span()));
  EXPECT_EQ(large.size(), kSecretSlotSize + 1);
  SecretBytes moved = SecretBytes::CopyOf(large.span());
  SecretBytes target = std::move(moved);
  EXPECT_TRUE(target.Equals(large.span()));
}

TEST(SecretSlab, TwoThreadsAllocateAndFreeAtOnce) {
  auto work = [] {
    for (int i = 0; i < 2000; ++i) {
      SecretBytes a = SecretBytes::Random(32);
      SecretBytes b = SecretBytes::CopyOf(a.span());
      ASSERT_TRUE(b.Equals(a.span()));
    }
  };
  std::thread other(work);
  work();
  other.join();
}

}  // namespace
}  // namespace inmost::crypto
