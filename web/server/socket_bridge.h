// One page's WebSocket joined to its own connection to the daemon's control socket:
// each text message (one JSON-RPC request or batch) becomes one line to the daemon,
// each line the daemon writes becomes one text message. It never reads the JSON-RPC
// inside, and never lets one page hold unbounded memory (read and queue limits).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "web/server/web_site.h"

namespace inmost::web {

// The largest message a page may send: a request of the daemon's own limit (1 MiB),
// which holds a base64 upload chunk of 63 KiB with room to spare.
inline constexpr size_t kMaxPageMessageBytes = 1 << 20;
// What may wait for a page that reads too slowly (it is then closed with 1013), and
// the longest line taken from the daemon.
inline constexpr size_t kMaxQueuedBytes = 16 << 20;

class SocketBridge : public std::enable_shared_from_this<SocketBridge> {
 public:
  using PageSocket = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using DaemonSocket = boost::asio::local::stream_protocol::socket;

  SocketBridge(PageSocket page, DaemonSocket daemon, std::shared_ptr<WebSite> site, uint64_t id);

  // Carries messages both ways until either side closes.
  static boost::asio::awaitable<void> Run(std::shared_ptr<SocketBridge> self);

 private:
  boost::asio::awaitable<void> PageToDaemon();
  static boost::asio::awaitable<void> DaemonToPage(std::shared_ptr<SocketBridge> self);
  static boost::asio::awaitable<void> WriteToPage(std::shared_ptr<SocketBridge> self);

  void Queue(std::string message);
  // Ends the WebSocket with `code`: after what is queued (`after_queued`) or at once.
  void CloseWith(boost::beast::websocket::close_code code, const char* reason, bool after_queued);
  // The page is gone: stops everything.
  void Stop();

  PageSocket page_;
  DaemonSocket daemon_;
  std::shared_ptr<WebSite> site_;
  uint64_t id_;
  boost::asio::steady_timer wake_writer_;  // Parked at max; cancelled to wake the writer.
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::optional<boost::beast::websocket::close_reason> close_;
  bool close_after_queued_ = false;
  bool stopped_ = false;
};

}  // namespace inmost::web
