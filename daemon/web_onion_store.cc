#include "daemon/web_onion_store.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "daemon/codec/tor/client_auth.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/crypto/bytes.h"

namespace inmost {
namespace {

constexpr std::string_view kKeyRecord = "tor/web_onion_service_key";
constexpr std::string_view kServiceIdRecord = "tor/web_onion_service_id";
constexpr std::string_view kDevicesRecord = "tor/web_onion_devices";

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

Status CheckWebDeviceName(const std::string& name) {
  if (name.empty() || name.size() > kMaxWebDeviceName ||
      !std::all_of(name.begin(), name.end(), IsNameCharacter)) {
    return InvalidArgument("a device name is 1 to " + std::to_string(kMaxWebDeviceName) +
                           " letters, digits, '-', '_' or '.' (such as phone or laptop)");
  }
  return Status::Ok();
}

Result<std::optional<crypto::SecretBytes>> WebOnionStore::Load() {
  auto key = db_.GetSecret(kKeyRecord);
  if (!key.ok()) {
    if (key.status().code() == Code::kNotFound) return std::optional<crypto::SecretBytes>();
    return key.status();
  }
  if (key->size() != tor::kOnionKeyBytes) {
    return Corruption("the web onion key record holds " + std::to_string(key->size()) +
                      " bytes, not " + std::to_string(tor::kOnionKeyBytes));
  }
  return std::optional<crypto::SecretBytes>(std::move(*key));
}

Status WebOnionStore::Save(const crypto::SecretBytes& key) {
  if (key.size() != tor::kOnionKeyBytes) {
    return InvalidArgument("Tor gave an onion key of " + std::to_string(key.size()) + " bytes");
  }
  return db_.PutSecret(kKeyRecord, key);  // Synced before it returns.
}

Result<std::string> WebOnionStore::ServiceId() const {
  auto id = db_.Get(kServiceIdRecord);
  if (!id.ok() && id.status().code() == Code::kNotFound) return std::string();
  if (id.ok() && !tor::IsServiceId(*id)) {
    return Corruption("the web onion's service ID record is not a v3 service ID");
  }
  return id;
}

Status WebOnionStore::SaveServiceId(const std::string& service_id) {
  if (!tor::IsServiceId(service_id)) return InvalidArgument("not a v3 onion service ID");
  return db_.Put(kServiceIdRecord, crypto::AsBytes(service_id));
}

Result<records::WebOnionDevices> WebOnionStore::LoadDevices() const {
  records::WebOnionDevices devices;
  auto bytes = db_.Get(kDevicesRecord);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound) return devices;
    return bytes.status();
  }
  if (!devices.ParseFromString(*bytes)) {
    return Corruption("the record of the web client's devices does not parse");
  }
  for (const auto& device : devices.devices()) {
    if (device.public_key().size() != tor::kClientAuthKeyBytes) {
      return Corruption("the web device " + device.name() + " has a public key of " +
                        std::to_string(device.public_key().size()) + " bytes");
    }
  }
  return devices;
}

Status WebOnionStore::SaveDevices(const records::WebOnionDevices& devices) {
  const std::string bytes = devices.SerializeAsString();
  return db_.Put(kDevicesRecord, crypto::AsBytes(bytes));
}

Result<std::vector<records::WebOnionDevice>> WebOnionStore::Devices() const {
  auto devices = LoadDevices();
  if (!devices.ok()) return devices.status();
  return std::vector<records::WebOnionDevice>(devices->devices().begin(), devices->devices().end());
}

Result<std::vector<std::string>> WebOnionStore::ClientKeys() const {
  auto devices = LoadDevices();
  if (!devices.ok()) return devices.status();
  std::vector<std::string> keys;
  for (const auto& device : devices->devices()) {
    keys.push_back(tor::Base32(crypto::AsBytes(device.public_key())));
  }
  return keys;
}

Result<NewWebDevice> WebOnionStore::AddDevice(const std::string& name, int64_t now_unix_ms) {
  if (Status valid = CheckWebDeviceName(name); !valid.ok()) return valid;
  auto devices = LoadDevices();
  if (!devices.ok()) return devices.status();
  for (const auto& device : devices->devices()) {
    if (device.name() == name) {
      return AlreadyExists("there is a device called " + name +
                           " already: remove it first (inmost web devices remove " + name +
                           ") or choose another name");
    }
  }
  if (static_cast<size_t>(devices->devices_size()) >= kMaxWebDevices) {
    return ResourceExhausted("the web client has " + std::to_string(kMaxWebDevices) +
                             " devices, the most it takes: remove one first");
  }
  // X25519, which is what crypto_box's keys are: the private half straight into
  // secret memory.
  NewWebDevice added;
  added.private_key = crypto::SecretBytes(crypto_box_SECRETKEYBYTES);
  std::string public_key(crypto_box_PUBLICKEYBYTES, '\0');
  crypto_box_keypair(reinterpret_cast<uint8_t*>(public_key.data()), added.private_key.data());
  records::WebOnionDevice* device = devices->add_devices();
  device->set_name(name);
  device->set_public_key(public_key);
  device->set_added_unix_ms(now_unix_ms);
  added.device = *device;
  if (Status saved = SaveDevices(*devices); !saved.ok()) return saved;
  return added;
}

Status WebOnionStore::RemoveDevice(const std::string& name) {
  auto devices = LoadDevices();
  if (!devices.ok()) return devices.status();
  auto* list = devices->mutable_devices();
  auto found = std::find_if(list->begin(), list->end(),
                            [&](const records::WebOnionDevice& d) { return d.name() == name; });
  if (found == list->end()) {
    return NotFound("no device called " + name + " (inmost web devices lists them)");
  }
  list->erase(found);
  return SaveDevices(*devices);
}

}  // namespace inmost
