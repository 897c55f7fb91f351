// crypto/wipe.h: strings and protobuf messages are wiped in place, every allocated
// byte of them, and the stale tail an erase leaves behind is zeroed.
#include "daemon/crypto/wipe.h"

#include <google/protobuf/unknown_field_set.h>
#include <gtest/gtest.h>

#include <string>

#include "proto/peer.pb.h"

namespace inmost::crypto {
namespace {

// Whether the `size` bytes allocated at `data` are all zero. The string still owns
// them: it is read through its own buffer, not after a free.
bool AllZero(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != '\0') return false;
  }
  return true;
}

TEST(WipeStringTest, ZeroesTheWholeCapacityAndEmptiesIt) {
  std::string text(100, 'k');
  text.resize(10);  // The other 90 bytes of 'k' stay in the buffer.
  const char* buffer = text.data();
  const size_t capacity = text.capacity();
  WipeString(text);
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(text.data(), buffer) << "wiping must not reallocate";
  EXPECT_TRUE(AllZero(buffer, capacity));
}

TEST(WipeStringTest, EraseFrontZeroesTheVacatedTail) {
  std::string input = "{\"passphrase\":\"secret one\"}\n{\"next\":1}";
  const size_t old_size = input.size();
  const size_t line = input.find('\n') + 1;
  EraseFront(input, line);
  EXPECT_EQ(input, "{\"next\":1}");
  EXPECT_TRUE(AllZero(input.data() + input.size(), old_size - input.size()));
}

TEST(WipeMessageTest, WipesNestedSingularAndRepeatedStrings) {
  peer::PeerMessage message;
  auto* release = message.mutable_deliver()->mutable_key_release();
  release->set_key(std::string(32, 'K'));
  release->set_envelope_id(std::string(16, 'E'));
  message.mutable_deliver()->set_text(std::string(40, 'T'));
  peer::PeerMessage addresses;
  addresses.mutable_addresses()->add_addresses(std::string(30, 'A'));
  const std::string& key = release->key();
  const char* key_buffer = key.data();
  const size_t key_capacity = key.capacity();
  const char* address_buffer = addresses.addresses().addresses(0).data();

  WipeMessage(message);
  WipeMessage(addresses);
  EXPECT_TRUE(message.deliver().key_release().key().empty());
  EXPECT_TRUE(message.deliver().text().empty());
  EXPECT_TRUE(AllZero(key_buffer, key_capacity));
  EXPECT_TRUE(AllZero(address_buffer, 30));
}

TEST(WipeMessageTest, WipesFieldsThisBuildDoesNotKnow) {
  // A KeyRelease read as a Retract: its key (field 2) is a field Retract lacks, kept
  // as a newer partner's unknown field.
  peer::KeyRelease release;
  release.set_envelope_id(std::string(16, 'E'));
  release.set_key(std::string(32, 'K'));
  peer::Retract newer;
  ASSERT_TRUE(newer.ParseFromString(release.SerializeAsString()));
  const google::protobuf::UnknownFieldSet& fields = newer.GetReflection()->GetUnknownFields(newer);
  ASSERT_EQ(fields.field_count(), 1);
  const std::string& unknown = fields.field(0).length_delimited();
  const char* buffer = unknown.data();
  const size_t capacity = unknown.capacity();
  WipeMessage(newer);
  EXPECT_TRUE(fields.field(0).length_delimited().empty());
  EXPECT_TRUE(AllZero(buffer, capacity));
}

TEST(WipedOnExitTest, WipesWhenTheScopeEnds) {
  std::string code(64, 'c');
  const char* buffer = code.data();
  const size_t capacity = code.capacity();
  { WipedOnExit wipe(code); }
  EXPECT_TRUE(code.empty());
  EXPECT_TRUE(AllZero(buffer, capacity));
}

}  // namespace
}  // namespace inmost::crypto
