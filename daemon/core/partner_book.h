// Remembers, durably, who the partner is and the one open invite. It decides
// nothing about the network; it only makes pairing state survive restarts.
// The invite's secret is kept as key material and never leaves SecretBytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/partner.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The inviter's half of an open invite: the one-time secret and when it expires.
struct OpenInvite {
  crypto::SecretBytes secret;
  int64_t expires_at_unix = 0;
};

class PartnerBook {
 public:
  // `store` must outlive the book.
  explicit PartnerBook(store::SealedStore& store) : store_(store) {}

  // Reads the partner from the store; call once before anything else.
  Status Load();

  // The partner, if paired.
  const std::optional<Partner>& partner() const { return partner_; }

  // Makes `partner` the partner and burns any open invite, synced. Refused while
  // already paired with someone else.
  Status Pair(const Partner& partner, int64_t now_unix_ms);
  // Replaces the partner's addresses, synced.
  Status SetAddresses(const std::vector<std::string>& addresses);
  // Forgets the partner (synced); the history stays. `ended` says how the pairing
  // ended, kept until a new one begins.
  Status Forget(const records::PairingEndedRecord& ended);

  // We ended the pairing at `at_unix_ms` and are telling the partner: synced.
  Status MarkEnding(int64_t at_unix_ms);
  // When we ended the pairing, while the partner's daemon is still to be told (0: not ending).
  int64_t ending_since() const { return ending_since_unix_ms_; }
  // How the last pairing ended, until a new one begins.
  const std::optional<records::PairingEndedRecord>& ended() const { return ended_; }

  // Creates a fresh one-time invite secret expiring at `expires_at_unix`, replacing
  // any earlier open invite, synced; returns a copy of it.
  Result<OpenInvite> CreateInvite(int64_t expires_at_unix);
  // The open invite, if any (expired ones too: the link checks the time).
  Result<std::optional<OpenInvite>> LoadInvite() const;

 private:
  void WritePartner(const Partner& partner, int64_t paired_at_unix_ms,
                    store::SealedStore::WriteBatch& batch);

  store::SealedStore& store_;
  std::optional<Partner> partner_;
  int64_t paired_at_unix_ms_ = 0;
  int64_t ending_since_unix_ms_ = 0;
  std::optional<records::PairingEndedRecord> ended_;
};

}  // namespace inmost::core
