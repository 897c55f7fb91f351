#include "daemon/crypto/envelope_seal.h"

#include <gtest/gtest.h>

#include "daemon/crypto/bytes.h"

namespace inmost::crypto {
namespace {

TEST(EnvelopeSeal, OpensWithTheReleasedKey) {
  std::string id = NewEnvelopeId();
  SealedBody sealed = SealBody(id, "I have wanted to tell you this for a long time");
  EXPECT_EQ(sealed.key.size(), kContentKeySize);
  EXPECT_EQ(sealed.commitment.size(), kCommitmentSize);
  EXPECT_EQ(sealed.ciphertext.find("wanted"), std::string::npos);
  auto body = OpenBody(id, sealed.key.span(), sealed.ciphertext, sealed.commitment);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, "I have wanted to tell you this for a long time");
}

TEST(EnvelopeSeal, FreshKeyAndIdEachTime) {
  std::string id = NewEnvelopeId();
  EXPECT_EQ(id.size(), kEnvelopeIdSize);
  EXPECT_NE(id, NewEnvelopeId());
  SealedBody a = SealBody(id, "same");
  SealedBody b = SealBody(id, "same");
  EXPECT_FALSE(a.key.Equals(b.key.span()));
  EXPECT_NE(a.ciphertext, b.ciphertext);
  EXPECT_NE(a.commitment, b.commitment);  // The commitment hides the body.
}

TEST(EnvelopeSeal, AnotherKeyDoesNotOpen) {
  std::string id = NewEnvelopeId();
  SealedBody sealed = SealBody(id, "answer");
  SecretBytes other = SecretBytes::Random(kContentKeySize);
  auto body = OpenBody(id, other.span(), sealed.ciphertext, sealed.commitment);
  EXPECT_EQ(body.status().code(), Code::kAuthenticationFailed);
}

TEST(EnvelopeSeal, CiphertextMovedToAnotherEnvelopeDoesNotOpen) {
  SealedBody sealed = SealBody(NewEnvelopeId(), "answer");
  auto body = OpenBody(NewEnvelopeId(), sealed.key.span(), sealed.ciphertext, sealed.commitment);
  EXPECT_EQ(body.status().code(), Code::kAuthenticationFailed);
}

TEST(EnvelopeSeal, ChangedCommitmentIsDetected) {
  std::string id = NewEnvelopeId();
  SealedBody sealed = SealBody(id, "my honest answer");
  std::string tampered = sealed.commitment;
  tampered[0] = static_cast<char>(tampered[0] ^ 1);
  auto body = OpenBody(id, sealed.key.span(), sealed.ciphertext, tampered);
  EXPECT_EQ(body.status().code(), Code::kAuthenticationFailed);
  EXPECT_NE(body.status().message().find("commitment"), std::string::npos);
}

TEST(EnvelopeSeal, ABodyOtherThanTheCommittedOneIsDetected) {
  // A sender that re-seals a different answer under a new key after committing:
  // the AEAD opens, the commitment does not match.
  std::string id = NewEnvelopeId();
  SealedBody committed = SealBody(id, "yes");
  SealedBody changed = SealBody(id, "no");
  auto body = OpenBody(id, changed.key.span(), changed.ciphertext, committed.commitment);
  EXPECT_EQ(body.status().code(), Code::kAuthenticationFailed);
}

TEST(EnvelopeSeal, TruncatedOrEmptyInputsFailCleanly) {
  std::string id = NewEnvelopeId();
  SealedBody sealed = SealBody(id, "x");
  EXPECT_FALSE(OpenBody(id, sealed.key.span(), "", sealed.commitment).ok());
  EXPECT_FALSE(
      OpenBody(id, sealed.key.span(), sealed.ciphertext.substr(0, 10), sealed.commitment).ok());
  EXPECT_FALSE(
      OpenBody(id, sealed.key.span().subspan(0, 16), sealed.ciphertext, sealed.commitment).ok());
  EXPECT_FALSE(OpenBody(id, sealed.key.span(), sealed.ciphertext, "").ok());
}

}  // namespace
}  // namespace inmost::crypto
