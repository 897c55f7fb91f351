#include "daemon/core/partner_book.h"

#include <algorithm>

#include "daemon/crypto/bytes.h"
#include "daemon/identity/invite_code.h"

namespace inmost::core {
namespace {

constexpr std::string_view kPartnerKey = "partner";
constexpr std::string_view kInviteMetaKey = "invite/meta";
constexpr std::string_view kInviteSecretKey = "invite/secret";
constexpr std::string_view kEndedKey = "partner/ended";

}  // namespace

Status PartnerBook::Load() {
  if (auto ended = store_.Get(kEndedKey); ended.ok()) {
    records::PairingEndedRecord record;
    if (!record.ParseFromString(*ended))
      return Corruption("the record of the ended pairing is damaged");
    ended_ = std::move(record);
  } else if (ended.status().code() != Code::kNotFound) {
    return ended.status();
  }
  auto value = store_.Get(kPartnerKey);
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) return Status::Ok();
    return value.status();
  }
  records::PartnerRecord record;
  if (!record.ParseFromString(*value) || record.static_key().size() != crypto::kX25519KeySize) {
    return Corruption("the partner record is damaged");
  }
  Partner partner;
  std::copy(record.static_key().begin(), record.static_key().end(), partner.static_key.begin());
  partner.addresses.assign(record.addresses().begin(), record.addresses().end());
  partner_ = std::move(partner);
  paired_at_unix_ms_ = record.paired_at_unix_ms();
  ending_since_unix_ms_ = record.ending_since_unix_ms();
  return Status::Ok();
}

void PartnerBook::WritePartner(const Partner& partner, int64_t paired_at_unix_ms,
                               store::SealedStore::WriteBatch& batch) {
  records::PartnerRecord record;
  record.set_static_key(partner.static_key.data(), partner.static_key.size());
  for (const auto& a : partner.addresses) record.add_addresses(a);
  record.set_paired_at_unix_ms(paired_at_unix_ms);
  record.set_ending_since_unix_ms(ending_since_unix_ms_);
  std::string buf;
  record.SerializeToString(&buf);
  batch.Put(kPartnerKey, crypto::AsBytes(buf));
}

Status PartnerBook::Pair(const Partner& partner, int64_t now_unix_ms) {
  if (partner_ && partner_->static_key != partner.static_key) {
    return FailedPrecondition("already paired; run `inmost unpair --yes` first");
  }
  store::SealedStore::WriteBatch batch(store_);
  ending_since_unix_ms_ = 0;
  WritePartner(partner, now_unix_ms, batch);
  batch.Delete(kInviteMetaKey);
  batch.Delete(kInviteSecretKey);
  batch.Delete(kEndedKey);
  INMOST_RETURN_IF_ERROR(store_.Write(batch));
  partner_ = partner;
  paired_at_unix_ms_ = now_unix_ms;
  ended_.reset();
  return Status::Ok();
}

Status PartnerBook::SetAddresses(const std::vector<std::string>& addresses) {
  if (!partner_) return FailedPrecondition("not paired");
  if (addresses.empty() || addresses == partner_->addresses) return Status::Ok();
  Partner updated = *partner_;
  updated.addresses = addresses;
  store::SealedStore::WriteBatch batch(store_);
  WritePartner(updated, paired_at_unix_ms_, batch);
  INMOST_RETURN_IF_ERROR(store_.Write(batch));
  partner_ = std::move(updated);
  return Status::Ok();
}

Status PartnerBook::Forget(const records::PairingEndedRecord& ended) {
  store::SealedStore::WriteBatch batch(store_);
  batch.Delete(kPartnerKey);
  batch.Put(kEndedKey, crypto::AsBytes(ended.SerializeAsString()));
  INMOST_RETURN_IF_ERROR(store_.Write(batch));
  partner_.reset();
  ending_since_unix_ms_ = 0;
  ended_ = ended;
  return Status::Ok();
}

Status PartnerBook::MarkEnding(int64_t at_unix_ms) {
  if (!partner_) return FailedPrecondition("not paired");
  const int64_t before = ending_since_unix_ms_;
  ending_since_unix_ms_ = at_unix_ms;
  store::SealedStore::WriteBatch batch(store_);
  WritePartner(*partner_, paired_at_unix_ms_, batch);
  Status written = store_.Write(batch);
  if (!written.ok()) ending_since_unix_ms_ = before;
  return written;
}

Result<OpenInvite> PartnerBook::CreateInvite(int64_t expires_at_unix) {
  if (partner_) return FailedPrecondition("already paired; run `inmost unpair --yes` first");
  OpenInvite invite{crypto::SecretBytes::Random(identity::kInviteSecretSize), expires_at_unix};
  records::InviteRecord meta;
  meta.set_expires_at_unix(expires_at_unix);
  std::string buf;
  meta.SerializeToString(&buf);
  store::SealedStore::WriteBatch batch(store_);
  batch.Put(kInviteMetaKey, crypto::AsBytes(buf));
  batch.PutSecret(kInviteSecretKey, invite.secret);
  INMOST_RETURN_IF_ERROR(store_.Write(batch));
  return invite;
}

Result<std::optional<OpenInvite>> PartnerBook::LoadInvite() const {
  auto meta_value = store_.Get(kInviteMetaKey);
  if (!meta_value.ok()) {
    if (meta_value.status().code() == Code::kNotFound) return std::optional<OpenInvite>();
    return meta_value.status();
  }
  records::InviteRecord meta;
  if (!meta.ParseFromString(*meta_value)) return Corruption("the invite record is damaged");
  auto secret = store_.GetSecret(kInviteSecretKey);
  if (!secret.ok()) return secret.status();
  return std::optional<OpenInvite>(OpenInvite{std::move(*secret), meta.expires_at_unix()});
}

}  // namespace inmost::core
