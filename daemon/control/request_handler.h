// What the control server asks of the daemon: answer one request. The server owns
// sockets and encodings; the handler owns meaning. Replies carry errors as values.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "inmost/status.h"
#include "proto/control.pb.h"

namespace inmost::control {

// A reply that carries `status` as its error (code, code name and message), no body.
inline Response ErrorResponse(const Status& status) {
  Response response;
  Error* error = response.mutable_error();
  error->set_code(static_cast<uint32_t>(status.code()));
  error->set_code_name(std::string(CodeName(status.code())));
  error->set_message(status.message());
  return response;
}

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers `request` (its body is set). The returned Response has either a body
  // or an error; the server fills in the id. May suspend, e.g. until a write is synced.
  virtual boost::asio::awaitable<Response> Handle(const Request& request) = 0;
  // The same for a request that came on control connection `session` (the server's
  // id for it): for the few requests whose effect lasts as long as that connection.
  virtual boost::asio::awaitable<Response> HandleFrom(uint64_t /*session*/,
                                                      const Request& request) {
    return Handle(request);
  }
  // Control connection `session` closed: what lasted as long as it ends.
  virtual void SessionClosed(uint64_t /*session*/) {}
};

}  // namespace inmost::control
