#include "web/server/socket_bridge.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <exception>

#include "web/server/owner_only_methods.h"

namespace inmost::web {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;

// Only whitespace can hold a raw newline in JSON (strings escape theirs), so a
// message becomes one line by turning its newlines into spaces.
void MakeOneLine(std::string& message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  message.push_back('\n');
}

}  // namespace

SocketBridge::SocketBridge(PageSocket page, DaemonSocket daemon, std::shared_ptr<WebSite> site,
                           uint64_t id)
    : page_(std::move(page)),
      daemon_(std::move(daemon)),
      site_(std::move(site)),
      id_(id),
      wake_writer_(page_.get_executor()) {
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
}

awaitable<void> SocketBridge::Run(std::shared_ptr<SocketBridge> self) {
  auto log_failure = [site = self->site_](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      site->Log(std::string("a WebSocket failed: ") + e.what());
    }
  };
  asio::co_spawn(self->page_.get_executor(), DaemonToPage(self), log_failure);
  asio::co_spawn(self->page_.get_executor(), WriteToPage(self), log_failure);
  co_await self->PageToDaemon();
}

awaitable<void> SocketBridge::PageToDaemon() {
  boost::beast::flat_buffer buffer;
  while (!stopped_) {
    boost::system::error_code ec;
    co_await page_.async_read(buffer, redirect_error(use_awaitable, ec));
    if (ec) {
      // Closed by the page, or refused by Beast (1009 past read_message_max; it sends
      // the close frame itself).
      if (ec != websocket::error::closed && ec != boost::asio::error::operation_aborted) {
        site_->Log("WebSocket " + std::to_string(id_) + " ended: " + ec.message());
      }
      Stop();
      co_return;
    }
    std::string message = boost::beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (close_) continue;  // Closing: what the page still sends is dropped.
    if (!page_.got_text()) {
      CloseWith(websocket::close_code::policy_error, "binary messages are not accepted", false);
      continue;
    }
    size_t first = message.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) continue;
    // The daemon chooses its encoding by a connection's first byte: only JSON may pass.
    if (message[first] != '{' && message[first] != '[') {
      CloseWith(websocket::close_code::policy_error,
                "each message must be one JSON-RPC request (an object) or a batch (an array)",
                false);
      continue;
    }
    MakeOneLine(message);
    if (OwnerOnlyMethod(message)) {
      CloseWith(websocket::close_code::policy_error,
                "the web onion and its devices are managed with `inmost web devices` on the "
                "server, not from the page",
                false);
      continue;
    }
    co_await asio::async_write(daemon_, asio::buffer(message), redirect_error(use_awaitable, ec));
    // A daemon gone is told by DaemonToPage, which sees its end of input.
    if (ec) continue;
  }
}

awaitable<void> SocketBridge::DaemonToPage(std::shared_ptr<SocketBridge> self) {
  std::string input;
  while (!self->stopped_) {
    boost::system::error_code ec;
    size_t n =
        co_await asio::async_read_until(self->daemon_, asio::dynamic_buffer(input, kMaxQueuedBytes),
                                        '\n', redirect_error(use_awaitable, ec));
    if (self->stopped_ || self->close_) co_return;  // Closing already: nothing to add.
    if (ec == asio::error::not_found) {
      self->CloseWith(websocket::close_code::too_big, "a reply too large for inmost web", false);
      co_return;
    }
    if (ec) {
      // The page reconnects with backoff: the daemon is restarting, or will be started.
      self->site_->Log("the daemon closed WebSocket " + std::to_string(self->id_) +
                       "'s connection");
      self->CloseWith(websocket::close_code::service_restart, "daemon restarting", true);
      co_return;
    }
    std::string line = input.substr(0, n - 1);
    input.erase(0, n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) self->Queue(std::move(line));
  }
}

awaitable<void> SocketBridge::WriteToPage(std::shared_ptr<SocketBridge> self) {
  while (!self->stopped_) {
    boost::system::error_code ec;
    if (self->close_ && (!self->close_after_queued_ || self->queue_.empty())) {
      websocket::close_reason reason = *self->close_;
      self->queue_.clear();
      co_await self->page_.async_close(reason, redirect_error(use_awaitable, ec));
      self->Stop();
      co_return;
    }
    if (self->queue_.empty()) {
      co_await self->wake_writer_.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    self->page_.text(true);
    co_await self->page_.async_write(asio::buffer(self->queue_.front()),
                                     redirect_error(use_awaitable, ec));
    if (ec) {
      self->Stop();
      co_return;
    }
    self->queued_bytes_ -= self->queue_.front().size();
    self->queue_.pop_front();
  }
}

void SocketBridge::Queue(std::string message) {
  if (stopped_ || close_) return;
  queued_bytes_ += message.size();
  queue_.push_back(std::move(message));
  if (queued_bytes_ > kMaxQueuedBytes) {
    site_->Log("WebSocket " + std::to_string(id_) + " reads too slowly; closing it");
    CloseWith(websocket::close_code::try_again_later, "the page reads too slowly", false);
    return;
  }
  wake_writer_.cancel();
}

void SocketBridge::CloseWith(websocket::close_code code, const char* reason, bool after_queued) {
  if (stopped_ || close_) return;
  close_ = websocket::close_reason(code, reason);
  close_after_queued_ = after_queued;
  if (!after_queued) {
    queue_.clear();
    queued_bytes_ = 0;
  }
  boost::system::error_code ignored;
  daemon_.close(ignored);
  wake_writer_.cancel();
}

void SocketBridge::Stop() {
  if (stopped_) return;
  stopped_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  boost::system::error_code ignored;
  daemon_.close(ignored);
  wake_writer_.cancel();
  // Ends a read still waiting on a page that never answered the close.
  boost::beast::get_lowest_layer(page_).close();
}

}  // namespace inmost::web
