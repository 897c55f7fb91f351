// The one error type of inmost. Every fallible call at a module boundary returns
// a Status or a Result<T>; exceptions are reserved for programmer errors.
// A Status never carries a key, a secret or message content in its message.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace inmost {

// Stable error codes. Their numeric values are part of the control API: add new
// ones at the end, never renumber.
enum class Code : int {
  kOk = 0,
  kInvalidArgument = 1,       // The caller's input is malformed or out of range.
  kNotFound = 2,              // The named thing does not exist.
  kAlreadyExists = 3,         // The thing to create is already there.
  kPermissionDenied = 4,      // Not allowed: file modes, wrong partner, refused pairing.
  kAuthenticationFailed = 5,  // A MAC or AEAD tag did not verify; wrong key or passphrase.
  kCorruption = 6,            // Stored or received data is damaged.
  kIoError = 7,               // The operating system refused a read, write or sync.
  kExpired = 8,               // An invite or other time-limited thing is past its time.
  kUnsupported = 9,           // A version or feature this build does not know.
  kFailedPrecondition = 10,   // The system is not in a state that allows the call.
  kResourceExhausted = 11,    // A size, count, nonce or quota limit was reached.
  kUnavailable = 12,          // The daemon or partner cannot be reached right now.
};

// Returns the short lowercase name of `code`, such as "invalid_argument".
constexpr std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kAuthenticationFailed:
      return "authentication_failed";
    case Code::kCorruption:
      return "corruption";
    case Code::kIoError:
      return "io_error";
    case Code::kExpired:
      return "expired";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kResourceExhausted:
      return "resource_exhausted";
    case Code::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

// The outcome of an operation: ok, or a code with a message a user can act on.
class [[nodiscard]] Status {
 public:
  // Creates an ok status.
  Status() = default;
  // Creates a status with `code` and a human-readable `message`.
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns "ok" or "<code name>: <message>".
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(CodeName(code_)) + ": " + message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string msg) {
  return {Code::kInvalidArgument, std::move(msg)};
}
inline Status NotFound(std::string msg) {
  return {Code::kNotFound, std::move(msg)};
}
inline Status AlreadyExists(std::string msg) {
  return {Code::kAlreadyExists, std::move(msg)};
}
inline Status PermissionDenied(std::string msg) {
  return {Code::kPermissionDenied, std::move(msg)};
}
inline Status AuthenticationFailed(std::string msg) {
  return {Code::kAuthenticationFailed, std::move(msg)};
}
inline Status Corruption(std::string msg) {
  return {Code::kCorruption, std::move(msg)};
}
inline Status IoError(std::string msg) {
  return {Code::kIoError, std::move(msg)};
}
inline Status Expired(std::string msg) {
  return {Code::kExpired, std::move(msg)};
}
inline Status Unsupported(std::string msg) {
  return {Code::kUnsupported, std::move(msg)};
}
inline Status FailedPrecondition(std::string msg) {
  return {Code::kFailedPrecondition, std::move(msg)};
}
inline Status ResourceExhausted(std::string msg) {
  return {Code::kResourceExhausted, std::move(msg)};
}
inline Status Unavailable(std::string msg) {
  return {Code::kUnavailable, std::move(msg)};
}

// A value of type T, or the Status that explains why there is none.
// A small stand-in for C++23's std::expected<T, Status>.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Holds a value.
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // Holds an error; `status` must not be ok.
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  // Returns the error, or an ok status when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // The held value; calling these without a value is a programmer error.
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace inmost

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define INMOST_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::inmost::Status inmost_status_ = (expr);        \
    if (!inmost_status_.ok()) return inmost_status_; \
  } while (0)

// Declares `lhs` from the value of `rexpr`, a Result, or returns its error from the
// enclosing function: INMOST_ASSIGN_OR_RETURN(auto entry, store.Get(key));
#define INMOST_ASSIGN_OR_RETURN(lhs, rexpr) \
  INMOST_ASSIGN_OR_RETURN_IMPL_(INMOST_STATUS_CONCAT_(inmost_result_, __LINE__), lhs, rexpr)
#define INMOST_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                                  \
  if (!result.ok()) return result.status();               \
  lhs = std::move(*result)
// The same inside a coroutine (co_return).
#define INMOST_CO_ASSIGN_OR_RETURN(lhs, rexpr) \
  INMOST_CO_ASSIGN_OR_RETURN_IMPL_(INMOST_STATUS_CONCAT_(inmost_result_, __LINE__), lhs, rexpr)
#define INMOST_CO_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                                     \
  if (!result.ok()) co_return result.status();               \
  lhs = std::move(*result)
#define INMOST_STATUS_CONCAT_(a, b) INMOST_STATUS_CONCAT_INNER_(a, b)
#define INMOST_STATUS_CONCAT_INNER_(a, b) a##b
