// The text conventions of Tor's control protocol (control-spec section 2.1): quoted
// strings with C-style escapes, and reply lines made of words and KEY=VALUE pairs.
// Asio-free, for the fuzzer. It must never accept an unterminated or badly escaped
// string, nor produce a quoted string that ends early or spans lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "inmost/status.h"

namespace inmost::tor {

// `text` as a QuotedString: '"' and '\\' escaped with '\\', every byte outside
// printable ASCII as a 3-digit octal escape, so it is always one line. For messages and
// arguments that hold no secret; Unquote() reads it back.
std::string Quote(std::string_view text);

// A QuotedString at the start of `text`: its decoded value and how many bytes of
// `text` it took. Escapes as Tor writes them: \\ \" \' \n \r \t, \xHH and octal \o,
// \oo or \ooo (at most 255). Corruption when it is unterminated or badly escaped.
struct Unquoted {
  std::string value;
  size_t length = 0;
};
Result<Unquoted> UnquotePrefix(std::string_view text);
// `text` must be exactly one QuotedString.
Result<std::string> Unquote(std::string_view text);

// One space-separated item of a reply line: KEY=VALUE (VALUE unquoted if it was a
// QuotedString) or, with an empty key, a plain word.
struct ReplyField {
  std::string key;
  std::string value;
};
// Splits `text` into fields. A word with '=' is KEY=VALUE, its key the part before the
// first '='; an empty key, or a quoted value followed by anything but a space, is
// Corruption.
Result<std::vector<ReplyField>> SplitFields(std::string_view text);

// The value of the first field named `key`, or nullptr.
const std::string* FindField(const std::vector<ReplyField>& fields, std::string_view key);

// Whether `word` is a non-empty run of the characters a command argument may hold
// without quoting (letters, digits and "-_./:,=$~[]"): no space, quote or line break.
bool IsPlainArgument(std::string_view word);

}  // namespace inmost::tor
