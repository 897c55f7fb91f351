// The secret of one `inmost web` run: 32 random bytes from libsodium as 64 hex
// digits, which the URL carries once and the cookie after. It lives in sodium_malloc
// memory, wiped when freed; it must never be logged nor compared in variable time.
#pragma once

#include <cstddef>
#include <string_view>

#include "inmost/status.h"

namespace inmost::web {

class WebToken {
 public:
  static constexpr size_t kHexSize = 64;

  // A fresh random token. Aborts when secret memory cannot be had.
  static WebToken Fresh();
  // The token whose text is `hex` (kHexSize lowercase hex digits, as text() gives);
  // InvalidArgument for anything else, with a message that never quotes it.
  static Result<WebToken> FromText(std::string_view hex);

  WebToken(WebToken&& other) noexcept;
  WebToken& operator=(WebToken&&) = delete;
  WebToken(const WebToken&) = delete;
  WebToken& operator=(const WebToken&) = delete;
  ~WebToken();

  // Whether `candidate` is this token: a length check, then constant time.
  bool Matches(std::string_view candidate) const;
  // The token's text, for the URL printed once and the cookie set once.
  std::string_view text() const;

 private:
  explicit WebToken(char* hex) : hex_(hex) {}

  char* hex_ = nullptr;  // kHexSize digits and a NUL, in sodium_malloc memory.
};

}  // namespace inmost::web
