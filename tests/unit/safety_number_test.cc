#include "daemon/identity/safety_number.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "daemon/identity/fingerprint.h"

namespace inmost::identity {
namespace {

crypto::PublicKey KeyFilledWith(uint8_t seed) {
  crypto::PublicKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + i);
  return key;
}

// True when `s` is `groups` groups of `size` characters satisfying `ok`, joined
// by single spaces. (std::regex would do, but trips GCC 12 warnings under ASan.)
bool IsGrouped(const std::string& s, size_t groups, size_t size, int (*ok)(int)) {
  if (s.size() != groups * size + groups - 1) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool separator = (i + 1) % (size + 1) == 0;
    if (separator ? s[i] != ' ' : !ok(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int IsLowerHex(int c) {
  return std::isdigit(c) || (c >= 'a' && c <= 'f');
}

TEST(SafetyNumber, SameWhateverTheOrder) {
  const auto alice = crypto::KeyPair::Generate().public_key;
  const auto bob = crypto::KeyPair::Generate().public_key;
  EXPECT_EQ(SafetyNumber(alice, bob), SafetyNumber(bob, alice));
}

TEST(SafetyNumber, Format) {
  const std::string number = SafetyNumber(KeyFilledWith(1), KeyFilledWith(2));
  EXPECT_EQ(number.size(), 60u + 11u);
  EXPECT_TRUE(IsGrouped(number, 12, 5, [](int c) { return std::isdigit(c); })) << number;
}

TEST(SafetyNumber, DifferentKeysGiveDifferentNumbers) {
  const auto a = KeyFilledWith(1);
  const auto b = KeyFilledWith(2);
  auto c = b;
  c[31] ^= 1;  // One bit of one key.
  std::set<std::string> numbers = {SafetyNumber(a, b), SafetyNumber(a, c), SafetyNumber(b, c),
                                   SafetyNumber(a, a)};
  EXPECT_EQ(numbers.size(), 4u);
}

TEST(SafetyNumber, EachKeyContributesItsOwnHalf) {
  const auto a = KeyFilledWith(1);
  const auto b = KeyFilledWith(2);
  const auto c = KeyFilledWith(3);
  // Digits without spaces; the half of a key is the same in every pair.
  auto digits = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
  };
  const std::string ab = digits(SafetyNumber(a, b));
  const std::string ac = digits(SafetyNumber(a, c));
  const std::string aa = digits(SafetyNumber(a, a));
  const std::string half_a = aa.substr(0, 30);
  EXPECT_EQ(aa.substr(30), half_a);
  EXPECT_TRUE(ab.substr(0, 30) == half_a || ab.substr(30) == half_a);
  EXPECT_TRUE(ac.substr(0, 30) == half_a || ac.substr(30) == half_a);
  EXPECT_LT(ab.substr(0, 30), ab.substr(30));
}

// Computed once from the definition in safety_number.h (with Python hashlib.blake2b, an
// independent implementation); a change here means every
// user's safety number changed, which needs a new version, not a new expectation.
TEST(SafetyNumber, KnownAnswer) {
  EXPECT_EQ(SafetyNumber(KeyFilledWith(0), KeyFilledWith(0x20)),
            "15418 84244 55974 25065 37424 97065 49839 58401 86247 40348 30298 57410");
}

TEST(Fingerprint, Format) {
  const std::string fp = Fingerprint(KeyFilledWith(9));
  EXPECT_EQ(fp.size(), 39u);
  EXPECT_TRUE(IsGrouped(fp, 8, 4, IsLowerHex)) << fp;
}

TEST(Fingerprint, DiffersPerKeyAndIsStable) {
  const auto a = KeyFilledWith(1);
  auto b = a;
  b[0] ^= 0x80;
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
  EXPECT_EQ(Fingerprint(a), Fingerprint(a));
}

// Computed once from the definition in fingerprint.h (with Python hashlib.blake2b).
TEST(Fingerprint, KnownAnswer) {
  EXPECT_EQ(Fingerprint(KeyFilledWith(0)), "bbc1 f625 5d20 88e8 9787 28e2 1060 ce78");
}

}  // namespace
}  // namespace inmost::identity
