// The question of the day: both daemons derive it on their own from the pair's
// shared secret and the UTC date, so both partners see the same question on the
// same day with nothing sent. The questions come from data/questions.txt, built in.
// It never touches the network or the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::core {

// Days since 1970-01-01 for "YYYY-MM-DD"; InvalidArgument for anything else.
Result<int64_t> ParseUtcDate(std::string_view date);
// "YYYY-MM-DD" for a day number.
std::string FormatUtcDate(int64_t day);
// The UTC day number of a time.
int64_t UtcDay(int64_t unix_ms);

// The built-in question set, in file order (light to deep).
const std::vector<std::string>& QuestionSet();

class QuestionOfTheDay {
 public:
  // The pair's secret is X25519 of our private key and the partner's public key,
  // hashed: both sides compute the same one.
  static Result<QuestionOfTheDay> ForPair(const crypto::KeyPair& identity,
                                          const crypto::PublicKey& partner_key);

  // The question for `day`. Each pair walks its own order through the whole set,
  // so a question returns only after QuestionSet().size() (> 366) days.
  const std::string& Question(int64_t day) const;
  // An id for `day`'s question, the same on both sides (16 bytes).
  std::string QuestionId(int64_t day) const;

 private:
  QuestionOfTheDay(crypto::SecretBytes secret, std::vector<uint32_t> order)
      : secret_(std::move(secret)), order_(std::move(order)) {}

  crypto::SecretBytes secret_;
  std::vector<uint32_t> order_;  // A permutation of the question set's indices.
};

}  // namespace inmost::core
