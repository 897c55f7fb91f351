#include "daemon/config/test_hooks.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace inmost::config {

bool TestHooksBuilt() {
#ifdef INMOST_TEST_HOOKS
  return true;
#else
  return false;
#endif
}

Result<int64_t> TestClockOffsetMs(const std::function<const char*(const char*)>& getenv) {
  if (!TestHooksBuilt()) return int64_t{0};
  const char* value = getenv(kTestClockOffsetVariable);
  if (value == nullptr || *value == '\0') return int64_t{0};
  // Far enough for any test, near enough that the shifted clock cannot overflow.
  constexpr int64_t kMaxOffsetMs = int64_t{100} * 366 * 24 * 3600 * 1000;
  std::string_view text(value);
  int64_t offset = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (error != std::errc() || end != text.data() + text.size() || offset > kMaxOffsetMs ||
      offset < -kMaxOffsetMs) {
    return InvalidArgument(std::string("$") + kTestClockOffsetVariable + " is '" +
                           std::string(text) +
                           "'; it must be a whole number of milliseconds within 100 years");
  }
  return offset;
}

void AppendNoiseKeyLog([[maybe_unused]] const noise::TransportKeys& keys) {
#ifdef INMOST_TEST_HOOKS
  const char* path = std::getenv(kTestNoiseKeyLogVariable);
  if (path == nullptr || *path == '\0') return;
  std::FILE* file = std::fopen(path, "a");
  if (file == nullptr) return;
  for (const noise::CipherState* cipher : {&keys.send, &keys.receive}) {
    for (uint8_t byte : NoiseKeyLog::KeyOf(*cipher)) std::fprintf(file, "%02x", byte);
    std::fputc(cipher == &keys.send ? ' ' : '\n', file);
  }
  std::fclose(file);
#endif
}

}  // namespace inmost::config
