// Fuzzes ParseInvite with arbitrary text: it must never crash, and whatever it
// accepts must survive EncodeInvite and ParseInvite again with equal fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/identity/invite_code.h"

namespace {

// Judge every invite at the epoch so expiry rarely hides the rest of the parser.
constexpr int64_t kNow = 0;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using inmost::identity::EncodeInvite;
  using inmost::identity::ParseInvite;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseInvite(text, kNow);
  if (!parsed.ok()) {
    Check(!parsed.status().message().empty());
    return 0;
  }
  const std::string encoded = EncodeInvite(*parsed);  // Throws if parse let junk in.
  auto again = ParseInvite(encoded, kNow);
  Check(again.ok());
  Check(again->inviter_key == parsed->inviter_key);
  Check(again->secret.Equals(parsed->secret.span()));
  Check(again->addresses == parsed->addresses);
  Check(again->expires_at_unix == parsed->expires_at_unix);
  Check(EncodeInvite(*again) == encoded);
  return 0;
}
