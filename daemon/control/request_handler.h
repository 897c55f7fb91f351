// What the control server asks of the daemon: answer one request. The server owns
// sockets and encodings; the handler owns meaning. Replies carry errors as values.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "proto/control.pb.h"

namespace inmost::control {

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers `request` (its body is set). The returned Response has either a body
  // or an error; the server fills in the id. May suspend, e.g. until a write is synced.
  virtual boost::asio::awaitable<Response> Handle(const Request& request) = 0;
};

}  // namespace inmost::control
