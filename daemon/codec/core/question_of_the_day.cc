#include "daemon/codec/core/question_of_the_day.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace inmost::core {

// Generated from data/questions.txt at build time (question_set.cc.in).
extern const char kQuestionSetText[];

namespace {

constexpr std::string_view kSecretLabel = "inmost question of the day v1";
constexpr size_t kSecretSize = 32;
constexpr int64_t kMsPerDay = int64_t{86400} * 1000;

// Howard Hinnant's days_from_civil: proleptic Gregorian, valid far beyond our range.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

uint64_t Keyed64(const crypto::SecretBytes& key, std::string_view label, uint64_t n) {
  std::string input(label);
  for (int i = 0; i < 8; ++i) input.push_back(static_cast<char>(n >> (8 * i)));
  uint8_t out[8];
  crypto_generichash(out, sizeof out, reinterpret_cast<const uint8_t*>(input.data()), input.size(),
                     key.data(), key.size());
  uint64_t v = 0;
  for (uint8_t b : out) v = (v << 8) | b;
  return v;
}

std::vector<std::string> ParseQuestionSet(std::string_view text) {
  std::vector<std::string> questions;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    questions.emplace_back(line);
  }
  return questions;
}

}  // namespace

Result<int64_t> ParseUtcDate(std::string_view date) {
  unsigned y = 0, m = 0, d = 0;
  char tail = 0;
  std::string s(date);
  if (date.size() != 10 || std::sscanf(s.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
      m < 1 || m > 12 || d < 1 || y < 1970) {
    return InvalidArgument("a date must be YYYY-MM-DD, for example 2027-02-14");
  }
  int64_t day = DaysFromCivil(y, m, d);
  if (FormatUtcDate(day) != date) return InvalidArgument("there is no such date: " + s);
  return day;
}

std::string FormatUtcDate(int64_t day) {
  // civil_from_days, the inverse of DaysFromCivil.
  day += 719468;
  const int64_t era = (day >= 0 ? day : day - 146096) / 146097;
  const auto doe = static_cast<unsigned>(day - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const long long year = y + (m <= 2 ? 1 : 0);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", year, m, d);
  return buf;
}

int64_t UtcDay(int64_t unix_ms) {
  return (unix_ms >= 0 ? unix_ms : unix_ms - kMsPerDay + 1) / kMsPerDay;
}

const std::vector<std::string>& QuestionSet() {
  static const std::vector<std::string> questions = ParseQuestionSet(kQuestionSetText);
  return questions;
}

Result<QuestionOfTheDay> QuestionOfTheDay::ForPair(const crypto::KeyPair& identity,
                                                   const crypto::PublicKey& partner_key) {
  crypto::SecretBytes shared(crypto::kX25519KeySize);
  INMOST_RETURN_IF_ERROR(crypto::X25519(identity.private_key, partner_key, shared));
  crypto::SecretBytes secret(kSecretSize);
  crypto_generichash(secret.data(), secret.size(),
                     reinterpret_cast<const uint8_t*>(kSecretLabel.data()), kSecretLabel.size(),
                     shared.data(), shared.size());
  std::vector<uint32_t> order(QuestionSet().size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<uint64_t> rank(order.size());
  for (uint32_t i : order) rank[i] = Keyed64(secret, "order", i);
  std::sort(order.begin(), order.end(),
            [&rank](uint32_t a, uint32_t b) { return rank[a] < rank[b]; });
  return QuestionOfTheDay(std::move(secret), std::move(order));
}

const std::string& QuestionOfTheDay::Question(int64_t day) const {
  const auto n = static_cast<int64_t>(order_.size());
  const auto start = static_cast<int64_t>(Keyed64(secret_, "start", 0) % order_.size());
  int64_t position = ((day + start) % n + n) % n;
  return QuestionSet()[order_[static_cast<size_t>(position)]];
}

std::string QuestionOfTheDay::QuestionId(int64_t day) const {
  std::string id;
  for (std::string_view half : {"id-a", "id-b"}) {
    uint64_t v = Keyed64(secret_, half, static_cast<uint64_t>(day));
    for (int i = 0; i < 8; ++i) id.push_back(static_cast<char>(v >> (8 * i)));
  }
  return id;
}

}  // namespace inmost::core
