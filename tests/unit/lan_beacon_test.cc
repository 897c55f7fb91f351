// The LAN beacon (daemon/codec/peer/lan_beacon.h): only the partner opens one, only
// from the address it was sent from, only for the sender's side and a slot within
// one; anything else, a flipped bit included, is refused the same way.
#include "daemon/codec/peer/lan_beacon.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

namespace inmost::peer {
namespace {

constexpr uint16_t kPort = 7433;
constexpr std::array<uint8_t, 4> kSource = {192, 168, 1, 20};

bool SameBytes(const crypto::SecretBytes& a, const crypto::SecretBytes& b) {
  return std::ranges::equal(a.span(), b.span());
}

class LanBeaconTest : public ::testing::Test {
 protected:
  crypto::SecretBytes Secret(const crypto::KeyPair& own, const crypto::PublicKey& partner) {
    auto secret = BeaconSecret(own, partner);
    EXPECT_TRUE(secret.ok()) << secret.status().message();
    return std::move(*secret);
  }

  crypto::KeyPair alice_ = crypto::KeyPair::Generate();
  crypto::KeyPair bob_ = crypto::KeyPair::Generate();
  crypto::SecretBytes secret_ = Secret(alice_, bob_.public_key);
  const int64_t slot_ = BeaconSlotAt(1'700'000'000'000);
  const BeaconBytes beacon_ = SealBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, kPort);
};

TEST_F(LanBeaconTest, ASealedBeaconOpensToItsPortAndNonce) {
  auto opened = OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, beacon_);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->port, kPort);
  EXPECT_TRUE(std::equal(opened->nonce.begin(), opened->nonce.end(), beacon_.begin()));
  // The partner opens it with the secret it derived on its own side.
  crypto::SecretBytes bobs = Secret(bob_, alice_.public_key);
  EXPECT_TRUE(OpenBeacon(bobs, BeaconSide::kLowerKey, slot_, kSource, beacon_).has_value());
}

TEST_F(LanBeaconTest, TheOtherSideIsRefused) {
  // Multicast loops a daemon's own beacons back: they must not pass for the partner's.
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kHigherKey, slot_, kSource, beacon_));
}

TEST_F(LanBeaconTest, AnotherSourceAddressIsRefused) {
  const std::array<uint8_t, 4> neighbour = {192, 168, 1, 21};
  const std::array<uint8_t, 3> truncated = {192, 168, 1};
  std::array<uint8_t, 16> mapped{};  // ::ffff:192.168.1.20, the same host spelled in IPv6.
  mapped[10] = mapped[11] = 0xff;
  std::copy(kSource.begin(), kSource.end(), mapped.begin() + 12);
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, neighbour, beacon_));
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, truncated, beacon_));
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, mapped, beacon_));
}

TEST_F(LanBeaconTest, ANeighbouringSlotIsAcceptedAndNoFartherOne) {
  // The two clocks may straddle a slot's boundary, by a slot at most.
  EXPECT_TRUE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_ + 1, kSource, beacon_));
  EXPECT_TRUE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_ - 1, kSource, beacon_));
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_ + 2, kSource, beacon_));
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_ - 2, kSource, beacon_));
}

TEST_F(LanBeaconTest, AnotherPairsSecretIsRefused) {
  crypto::KeyPair carol = crypto::KeyPair::Generate();
  crypto::SecretBytes other = Secret(alice_, carol.public_key);
  EXPECT_FALSE(OpenBeacon(other, BeaconSide::kLowerKey, slot_, kSource, beacon_));
  crypto::SecretBytes short_secret = crypto::SecretBytes::CopyOf(secret_.span().first(31));
  EXPECT_FALSE(OpenBeacon(short_secret, BeaconSide::kLowerKey, slot_, kSource, beacon_));
}

TEST_F(LanBeaconTest, EveryFlippedBitIsRefused) {
  for (size_t bit = 0; bit < kBeaconSize * 8; ++bit) {
    BeaconBytes forged = beacon_;
    forged[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, forged)) << bit;
  }
}

TEST_F(LanBeaconTest, AWrongSizeIsRefused) {
  std::vector<uint8_t> longer(beacon_.begin(), beacon_.end());
  longer.push_back(0);
  const std::span<const uint8_t> all(beacon_);
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, all.first(41)));
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, longer));
  EXPECT_FALSE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, all.first(0)));
}

TEST_F(LanBeaconTest, TwoBeaconsOfTheSamePortAndSlotShareNothing) {
  // A random nonce: a listener cannot link one beacon to the next.
  const BeaconBytes again = SealBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, kPort);
  ASSERT_EQ(kBeaconSize, 42u);
  EXPECT_FALSE(std::equal(beacon_.begin(), beacon_.begin() + kBeaconNonceSize, again.begin()));
  EXPECT_FALSE(std::equal(beacon_.begin() + kBeaconNonceSize, beacon_.end(),
                          again.begin() + kBeaconNonceSize))
      << "the sealed port and tag differ too";
  EXPECT_TRUE(OpenBeacon(secret_, BeaconSide::kLowerKey, slot_, kSource, again));
}

TEST_F(LanBeaconTest, TheSecretIsTheSameOnBothSidesAndDiffersPerPair) {
  crypto::SecretBytes bobs = Secret(bob_, alice_.public_key);
  EXPECT_EQ(secret_.size(), kBeaconSecretSize);
  EXPECT_TRUE(SameBytes(secret_, bobs));
  crypto::KeyPair carol = crypto::KeyPair::Generate();
  EXPECT_FALSE(SameBytes(secret_, Secret(alice_, carol.public_key)));
  EXPECT_FALSE(SameBytes(secret_, Secret(carol, bob_.public_key)));
  // A low-order key would make the shared secret all zeros, known to anyone.
  const crypto::PublicKey zero{};
  EXPECT_FALSE(BeaconSecret(alice_, zero).ok());
}

TEST_F(LanBeaconTest, TheTwoSidesAreOpposite) {
  const BeaconSide a = SideOf(alice_.public_key, bob_.public_key);
  const BeaconSide b = SideOf(bob_.public_key, alice_.public_key);
  EXPECT_NE(a, b);
  EXPECT_EQ(a,
            alice_.public_key < bob_.public_key ? BeaconSide::kLowerKey : BeaconSide::kHigherKey);
}

TEST(BeaconSlotTest, SlotsAreTenMinutesFlooredAlsoBeforeTheEpoch) {
  EXPECT_EQ(BeaconSlotAt(0), 0);
  EXPECT_EQ(BeaconSlotAt(599'999), 0);
  EXPECT_EQ(BeaconSlotAt(600'000), 1);
  EXPECT_EQ(BeaconSlotAt(1'199'999), 1);
  EXPECT_EQ(BeaconSlotAt(-1), -1);
  EXPECT_EQ(BeaconSlotAt(-600'000), -1);
  EXPECT_EQ(BeaconSlotAt(-600'001), -2);
}

}  // namespace
}  // namespace inmost::peer
