// inmost_tor_probe: drives a real tor's control port with inmost's TorController, for
// tests/integration/test_tor_controller.py on the private network (tor_privnet.py).
// It authenticates (SAFECOOKIE, then COOKIE and a password when asked), waits for
// bootstrap, adds an onion service with a new key, then with the same key again, and
// waits for its descriptor to be uploaded each time. Prints one line per step; exits 1
// with the reason on the first failure. It must never be built into the daemon.
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/codec/tor/reply_fields.h"
#include "daemon/tor/tor_controller.h"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using inmost::Result;
using inmost::Status;
using namespace inmost::tor;

constexpr auto kPollInterval = 250ms;
constexpr auto kEventWait = 1s;
// The onion port, as the daemon's will be.
constexpr uint16_t kVirtualPort = 7433;

struct Options {
  std::string control;   // The control port, as TorController::Connect takes it.
  std::string target;    // Where the onion port leads ("127.0.0.1:PORT").
  std::string password;  // Also try password authentication when not empty.
  std::chrono::seconds timeout{90};
};

std::chrono::steady_clock::time_point Now() {
  return std::chrono::steady_clock::now();
}

std::string Seconds(std::chrono::steady_clock::duration d) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << std::chrono::duration<double>(d).count();
  return out.str();
}

// Stops the probe with `what` when `status` is not ok.
#define PROBE_CHECK(status, what)                                                        \
  do {                                                                                   \
    const Status probe_status_ = (status);                                               \
    if (!probe_status_.ok()) {                                                           \
      std::cout << "FAILED " << (what) << ": " << probe_status_.ToString() << std::endl; \
      co_return 1;                                                                       \
    }                                                                                    \
  } while (0)

asio::awaitable<Status> Open(TorController& tor, const Options& options, const AuthOptions& auth) {
  Status connected = co_await tor.Connect(options.control);
  if (!connected.ok()) co_return connected;
  co_return co_await tor.Authenticate(auth);
}

asio::awaitable<Status> WaitForBootstrap(TorController& tor, const Options& options) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto end = Now() + options.timeout;
  int last = -1;
  while (Now() < end) {
    auto phase = co_await tor.GetBootstrapPhase();
    if (!phase.ok()) co_return phase.status();
    if (phase->progress != last) std::cout << "bootstrap " << phase->progress << "%" << std::endl;
    last = phase->progress;
    if (phase->progress == 100) co_return Status::Ok();
    timer.expires_after(kPollInterval);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return inmost::Unavailable("tor did not bootstrap within the timeout (last " +
                                std::to_string(last) + "%)");
}

// Waits for HS_DESC UPLOADED for `service_id`; returns how many came before the
// first one and a short settling time.
asio::awaitable<Result<int>> WaitForUpload(TorController& tor, const std::string& service_id,
                                           const Options& options) {
  const auto end = Now() + options.timeout;
  std::optional<std::chrono::steady_clock::time_point> settle;
  int uploaded = 0;
  while (Now() < end && (!settle || Now() < *settle)) {
    auto event = co_await tor.NextEvent(kEventWait);
    if (!event.ok()) co_return event.status();
    if (!event->has_value() || EventName(**event) != "HS_DESC") continue;
    auto hs = ParseHsDescEvent(**event);
    if (!hs.ok()) co_return hs.status();
    if (hs->address != service_id) continue;
    if (hs->action == "FAILED") std::cout << "upload failed at " << hs->hs_dir << std::endl;
    if (hs->action != "UPLOADED") continue;
    if (++uploaded == 1) settle = Now() + kEventWait;
  }
  if (uploaded == 0) co_return inmost::Unavailable("no HS_DESC UPLOADED for the service");
  co_return uploaded;
}

asio::awaitable<int> Probe(asio::io_context& io, const inmost::core::Clock& clock,
                           Options options) {
  const auto start = Now();
  // Braced temporaries inside co_await expressions trip GCC 12: named values instead.
  const AuthOptions safe_cookie{AuthMethod::kSafeCookie, nullptr, ""};
  const AuthOptions cookie{AuthMethod::kCookie, nullptr, ""};
  const AuthOptions automatic;
  TorController tor(io, clock);
  PROBE_CHECK(co_await Open(tor, options, safe_cookie), "SAFECOOKIE authentication");
  std::cout << "authenticated SAFECOOKIE" << std::endl;
  if (!options.password.empty()) {
    TorController by_cookie(io, clock);
    PROBE_CHECK(co_await Open(by_cookie, options, cookie), "COOKIE authentication");
    std::cout << "authenticated COOKIE" << std::endl;
    const auto password =
        inmost::crypto::SecretBytes::CopyOf(inmost::crypto::AsBytes(options.password));
    const AuthOptions by_password_options{AuthMethod::kPassword, &password, ""};
    TorController by_password(io, clock);
    PROBE_CHECK(co_await Open(by_password, options, by_password_options),
                "password authentication");
    std::cout << "authenticated HASHEDPASSWORD" << std::endl;
  }
  std::vector<std::string> events = {"HS_DESC"};
  PROBE_CHECK(co_await tor.SetEvents(std::move(events)), "SETEVENTS");
  PROBE_CHECK(co_await WaitForBootstrap(tor, options), "bootstrap");
  std::cout << "bootstrapped after " << Seconds(Now() - start) << " s" << std::endl;

  AddOnionRequest request;
  request.ports.push_back(OnionPort{kVirtualPort, options.target});
  auto t = Now();
  auto made = co_await tor.AddOnion(request);
  PROBE_CHECK(made.status(), "ADD_ONION NEW");
  std::cout << "service " << made->service_id << std::endl;
  auto uploaded = co_await WaitForUpload(tor, made->service_id, options);
  PROBE_CHECK(uploaded.status(), "descriptor upload");
  std::cout << "uploaded " << *uploaded << " after " << Seconds(Now() - t) << " s" << std::endl;

  // The same key again, after DEL_ONION on this connection: the same address.
  PROBE_CHECK(co_await tor.DelOnion(made->service_id), "DEL_ONION");
  request.key = &made->private_key;
  t = Now();
  auto again = co_await tor.AddOnion(request);
  PROBE_CHECK(again.status(), "ADD_ONION with the key");
  if (again->service_id != made->service_id) {
    std::cout << "FAILED: the same key gave " << again->service_id << std::endl;
    co_return 1;
  }
  std::cout << "same service " << again->service_id << std::endl;
  uploaded = co_await WaitForUpload(tor, again->service_id, options);
  PROBE_CHECK(uploaded.status(), "descriptor upload with the key");
  std::cout << "uploaded again " << *uploaded << " after " << Seconds(Now() - t) << " s"
            << std::endl;

  // Not detached: the service ends with the connection, so another one can add it anew.
  tor.Close();
  TorController next(io, clock);
  PROBE_CHECK(co_await Open(next, options, automatic), "authentication on a second connection");
  std::vector<std::string> keys = {"onions/detached"};
  auto detached = co_await next.GetInfo(std::move(keys));
  PROBE_CHECK(detached.status(), "GETINFO onions/detached");
  if ((*detached)["onions/detached"].find(made->service_id) != std::string::npos) {
    std::cout << "FAILED: the service was detached" << std::endl;
    co_return 1;
  }
  auto readded = co_await next.AddOnion(request);
  PROBE_CHECK(readded.status(), "ADD_ONION on a second connection");
  std::cout << "not detached; re-added on a new connection as " << readded->service_id << std::endl;
  std::cout << "OK after " << Seconds(Now() - start) << " s" << std::endl;
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--control") {
      options.control = args[i + 1];
    } else if (args[i] == "--target") {
      options.target = args[i + 1];
    } else if (args[i] == "--password-env") {
      const char* value = std::getenv(args[i + 1].c_str());
      options.password = value != nullptr ? value : "";
    } else if (args[i] == "--timeout-s") {
      options.timeout = std::chrono::seconds(std::stoi(args[i + 1]));
    }
  }
  if (options.control.empty() || options.target.empty() || args.size() % 2 != 0) {
    std::cerr << "usage: inmost_tor_probe --control ADDRESS --target HOST:PORT "
                 "[--password-env VAR] [--timeout-s N]\n";
    return 2;
  }
  asio::io_context io;
  const inmost::core::SystemClock clock;
  int result = 1;
  asio::co_spawn(io, Probe(io, clock, options), [&](std::exception_ptr error, int code) {
    if (error) std::rethrow_exception(error);
    result = code;
  });
  io.run();
  return result;
}
