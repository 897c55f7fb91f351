// What `inmost web --onion` keeps in the sealed store: the web onion service's key
// (so its address never changes), that address, and the devices allowed to reach it
// (name and X25519 public key). It must never store or return a device's private
// key, except once, from AddDevice, which makes the pair and forgets its half.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/sealed_store.h"
#include "daemon/tor/onion_host.h"
#include "proto/web_onion_records.pb.h"

namespace inmost {

// The most devices: each is a ClientAuthV3 line of the service's one ADD_ONION, and
// each client key makes the descriptor bigger (Tor pads it for up to 16 a block).
inline constexpr size_t kMaxWebDevices = 32;
inline constexpr size_t kMaxWebDeviceName = 32;

// A device just added: its record and, once only, its private key.
struct NewWebDevice {
  records::WebOnionDevice device;
  crypto::SecretBytes private_key;  // X25519, 32 bytes.
};

// InvalidArgument, saying what a name may hold, unless `name` is 1 to 32 letters,
// digits, '-', '_' or '.'.
Status CheckWebDeviceName(const std::string& name);

class WebOnionStore final : public tor::OnionKeyVault {
 public:
  // `db` must outlive this.
  explicit WebOnionStore(store::SealedStore& db) : db_(db) {}

  // The service's key (OnionKeyVault): nullopt before the first publication.
  Result<std::optional<crypto::SecretBytes>> Load() override;
  Status Save(const crypto::SecretBytes& key) override;

  // The service ID Tor gave for the key ("" before the first publication).
  Result<std::string> ServiceId() const;
  Status SaveServiceId(const std::string& service_id);

  // Every device, in the order they were added.
  Result<std::vector<records::WebOnionDevice>> Devices() const;
  // The devices' public keys, base32, for ClientAuthV3.
  Result<std::vector<std::string>> ClientKeys() const;
  // Makes a key pair for a new device `name` and keeps its public half, synced.
  // AlreadyExists for a name in use, ResourceExhausted past kMaxWebDevices.
  Result<NewWebDevice> AddDevice(const std::string& name, int64_t now_unix_ms);
  // Forgets the device `name`, synced; NotFound when there is none.
  Status RemoveDevice(const std::string& name);

 private:
  Status SaveDevices(const records::WebOnionDevices& devices);
  Result<records::WebOnionDevices> LoadDevices() const;

  store::SealedStore& db_;
};

}  // namespace inmost
