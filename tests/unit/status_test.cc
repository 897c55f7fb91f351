#include "inmost/status.h"

#include <gtest/gtest.h>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/secret_bytes.h"

namespace inmost {
namespace {

TEST(Status, OkAndError) {
  EXPECT_TRUE(Status().ok());
  Status s = NotFound("no partner");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: no partner");
}

TEST(Result, HoldsValueOrError) {
  Result<int> v = 7;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
  Result<int> e = InvalidArgument("bad");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
}

TEST(Hex, RoundTripAndErrors) {
  auto b = crypto::FromHex("00ff10Ab");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(crypto::ToHex(*b), "00ff10ab");
  EXPECT_FALSE(crypto::FromHex("abc").ok());
  EXPECT_FALSE(crypto::FromHex("zz").ok());
  // Nothing to decode is an empty result (a Tor reply's empty SERVERHASH= was handed
  // to libsodium as a null buffer, which UBSan caught in the fuzzer).
  auto empty = crypto::FromHex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SecretBytes, CompareMoveAndReset) {
  auto a = crypto::SecretBytes::Random(32);
  auto b = crypto::SecretBytes::CopyOf(a.span());
  EXPECT_TRUE(a.Equals(b.span()));
  b.data()[0] ^= 1;
  EXPECT_FALSE(a.Equals(b.span()));
  crypto::SecretBytes c = std::move(a);
  EXPECT_EQ(c.size(), 32u);
  EXPECT_TRUE(a.empty());
  c.Reset();
  EXPECT_TRUE(c.empty());
}

}  // namespace
}  // namespace inmost
