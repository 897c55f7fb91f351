// The web onion's records in a real sealed store: devices added with a fresh X25519
// key pair whose public half alone is kept, names checked, removal, the limit, and
// the service's key and address kept across reopening.
#include "daemon/web_onion_store.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "daemon/codec/tor/client_auth.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/temp_dir.h"

namespace inmost {
namespace {

using test::TempDir;

class WebOnionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SealedStore::Open(dir_.path() / "store",
                                           crypto::SecretBytes::Random(store::kStorageKeySize),
                                           store::OpenMode::kCreate);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::move(*opened);
    store_ = std::make_unique<WebOnionStore>(*db_);
  }

  TempDir dir_;
  std::unique_ptr<store::SealedStore> db_;
  std::unique_ptr<WebOnionStore> store_;
};

TEST_F(WebOnionStoreTest, ADeviceKeepsOnlyThePublicHalfOfItsKeyPair) {
  auto added = store_->AddDevice("phone", 1234);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->private_key.size(), tor::kClientAuthKeyBytes);
  // The public half is the private half's X25519 public key.
  uint8_t derived[crypto_scalarmult_BYTES];
  ASSERT_EQ(crypto_scalarmult_base(derived, added->private_key.data()), 0);
  EXPECT_EQ(added->device.public_key(), std::string(reinterpret_cast<char*>(derived), 32));
  EXPECT_EQ(added->device.added_unix_ms(), 1234);

  auto devices = store_->Devices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].name(), "phone");
  EXPECT_EQ((*devices)[0].public_key(), added->device.public_key());
  auto keys = store_->ClientKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0], tor::Base32(crypto::AsBytes(added->device.public_key())));
  EXPECT_TRUE(tor::IsClientAuthKey((*keys)[0]));

  // Nothing the store holds contains the private key.
  const std::string secret(reinterpret_cast<const char*>(added->private_key.data()),
                           added->private_key.size());
  const std::string secret_text =
      tor::Base32(std::span<const uint8_t>(added->private_key.data(), added->private_key.size()));
  Status scanned = db_->ForEach("", [&](std::string_view key, std::string_view value) {
    EXPECT_EQ(value.find(secret), std::string_view::npos) << key;
    EXPECT_EQ(value.find(secret_text), std::string_view::npos) << key;
    return true;
  });
  EXPECT_TRUE(scanned.ok()) << scanned.ToString();
}

TEST_F(WebOnionStoreTest, NamesAreCheckedAndUnique) {
  for (const std::string& bad : {std::string(), std::string("my phone"), std::string("a/b"),
                                 std::string(kMaxWebDeviceName + 1, 'x'), std::string("ph\none")}) {
    EXPECT_EQ(store_->AddDevice(bad, 0).status().code(), Code::kInvalidArgument) << bad;
  }
  ASSERT_TRUE(store_->AddDevice("phone", 0).ok());
  ASSERT_TRUE(store_->AddDevice("laptop.home_2-b", 0).ok());
  EXPECT_EQ(store_->AddDevice("phone", 0).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(store_->Devices()->size(), 2u);
}

TEST_F(WebOnionStoreTest, RemovingADeviceLeavesTheOthersInOrder) {
  ASSERT_TRUE(store_->AddDevice("phone", 1).ok());
  ASSERT_TRUE(store_->AddDevice("tablet", 2).ok());
  ASSERT_TRUE(store_->AddDevice("laptop", 3).ok());
  auto before = store_->ClientKeys();
  ASSERT_TRUE(store_->RemoveDevice("tablet").ok());
  EXPECT_EQ(store_->RemoveDevice("tablet").code(), Code::kNotFound);
  auto devices = store_->Devices();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].name(), "phone");
  EXPECT_EQ((*devices)[1].name(), "laptop");
  auto after = store_->ClientKeys();
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0], (*before)[0]);
  EXPECT_EQ((*after)[1], (*before)[2]);
}

TEST_F(WebOnionStoreTest, TheNumberOfDevicesIsBounded) {
  for (size_t i = 0; i < kMaxWebDevices; ++i) {
    ASSERT_TRUE(store_->AddDevice("d" + std::to_string(i), 0).ok());
  }
  EXPECT_EQ(store_->AddDevice("one-more", 0).status().code(), Code::kResourceExhausted);
}

TEST_F(WebOnionStoreTest, TheServiceKeyAndAddressAreKept) {
  auto none = store_->Load();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(*store_->ServiceId(), "");
  const auto key = crypto::SecretBytes::Random(tor::kOnionKeyBytes);
  ASSERT_TRUE(store_->Save(key).ok());
  EXPECT_EQ(store_->Save(crypto::SecretBytes(3)).code(), Code::kInvalidArgument);
  const std::string id = "s7a62co6hp3y43fks75ptujka3j25tvyrrejczxljffyiswtfea2hmyd";
  ASSERT_TRUE(store_->SaveServiceId(id).ok());
  EXPECT_EQ(store_->SaveServiceId("not-an-id").code(), Code::kInvalidArgument);
  auto kept = store_->Load();
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_TRUE((*kept)->Equals(key.span()));
  EXPECT_EQ(*store_->ServiceId(), id);
}

}  // namespace
}  // namespace inmost
