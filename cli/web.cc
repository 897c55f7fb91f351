// `inmost web`: serves the web client (web/) to a browser on this machine, or
// through an SSH tunnel, and prints the one URL that opens it. The server lives in
// inmost_web; this file only reads the options, checks the daemon and runs it.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "web/server/web_server.h"
#include "web/server/web_token_file.h"

namespace inmost::cli {
namespace {

constexpr char kDefaultListen[] = "127.0.0.1:0";

constexpr CommandUsage kUsage{
    "web",
    "[--listen ADDRESS:PORT] [--token-file PATH] [--onion]\n"
    "       inmost web devices [add NAME [--token-file PATH] | remove NAME]",
    "Serves the web client: a page for your browser that talks to your daemon through\n"
    "this process. Prints one line, the URL to open (http://127.0.0.1:PORT/?token=...);\n"
    "the token in it is the only key to the page, so keep the URL to yourself. The\n"
    "token is new at every run, unless --token-file keeps it in a file (made on the\n"
    "first run, yours alone) so that a service serves the same URL after a restart;\n"
    "remove the file for a new token. It never opens a browser. Runs until\n"
    "interrupted (Ctrl-C).\n"
    "\n"
    "By default it listens on 127.0.0.1 and a port the system chooses. For a daemon on\n"
    "a home server, run `inmost web --listen 127.0.0.1:8080` there and reach it through\n"
    "an SSH tunnel: ssh -L 8080:127.0.0.1:8080 home-server.\n"
    "\n"
    "A --listen address other than loopback lets anyone who can reach that port and\n"
    "has the URL read and write your conversation, over unencrypted HTTP that others on\n"
    "the network can watch; prefer the SSH tunnel.\n"
    "\n"
    "--onion also publishes the page on an onion service of the daemon's own Tor, for\n"
    "your phone anywhere: only the devices you add with `inmost web devices add NAME`\n"
    "(which prints the key to put into Tor Browser or Orbot) can even find it, and the\n"
    "token still guards the page. A second line gives its URL, http://<onion>/?token=...\n"
    "The service lasts as long as this process; `inmost web devices --help` says more.\n"};

}  // namespace

int RunWeb(CommandContext& context, const CommandArgs& args) {
  if (!args.empty() && args.front() == "devices") {
    return RunWebDevices(context, CommandArgs(args.begin() + 1, args.end()));
  }
  po::options_description options("Options");
  options.add_options()("listen", po::value<std::string>()->default_value(kDefaultListen),
                        "The address and port to serve on (port 0: the system chooses). Only "
                        "loopback unless you name another address.")(
      "token-file", po::value<std::string>()->value_name("PATH"),
      "Keep the token in this file (mode 0600) so the URL stays the same across runs.")(
      "onion", po::bool_switch(),
      "Also publish the page on the daemon's Tor, for the devices of `inmost web devices`.");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  Result<web::ListenAddress> listen = web::ParseListenAddress(vm["listen"].as<std::string>());
  if (!listen.ok()) return context.ReportUsageError(kUsage, listen.status().message());
  Result<std::string> socket = context.SocketPath();
  if (!socket.ok()) return context.ReportUsageError(kUsage, socket.status().message());
  Result<web::WebToken> token = vm.count("token-file")
                                    ? web::LoadOrCreateTokenFile(vm["token-file"].as<std::string>())
                                    : web::WebToken::Fresh();
  if (!token.ok()) return context.ReportUsageError(kUsage, token.status().message());
  {
    // Told now rather than at the page's first connection: a daemon that is not
    // running is the usual mistake.
    int exit_code = kExitOk;
    if (!context.Connect(&exit_code)) return exit_code;
  }

  boost::asio::io_context io;
  web::WebServerOptions server_options{*listen, *socket};
  Result<std::unique_ptr<web::WebServer>> server =
      web::WebServer::Bind(io, server_options, std::move(*token), context.err());
  if (!server.ok()) return context.ReportUnreachable(server.status());
  // The web onion lasts as long as this connection to the daemon: kept open until
  // the process ends.
  std::optional<Client> onion_client;
  std::string onion_address;
  if (vm["onion"].as<bool>()) {
    int exit_code = kExitOk;
    onion_client = context.Connect(&exit_code);
    if (!onion_client) return exit_code;
    control::Request request;
    request.mutable_web_onion()->set_port((*server)->endpoint().port());
    control::Response response;
    if (auto failed = context.Call(*onion_client, request, &response)) return *failed;
    const control::WebOnionReply& onion = response.web_onion();
    onion_address = onion.onion_address();
    (*server)->AllowHost(onion_address);
    if (onion.devices() == 0) {
      context.err() << "inmost web: no device may reach " << onion.onion_address()
                    << " yet: add one with `inmost web devices add phone`; it is published "
                       "then, while this runs\n";
    } else if (!onion.published()) {
      context.err() << "inmost web: the daemon's Tor is not ready; " << onion.onion_address()
                    << " is published once it is (see `inmost status`)\n";
    } else {
      context.err() << "inmost web: published " << onion.onion_address() << " for "
                    << onion.devices() << " device(s) (`inmost web devices` lists them)\n";
    }
  }
  const std::string address = web::HostAndPort((*server)->endpoint());
  context.err() << "inmost web: serving the web client on " << address << " for the daemon at "
                << *socket << "; Ctrl-C stops it\n";
  if (!listen->loopback) {
    context.err() << "inmost web: WARNING: " << address
                  << " is not loopback: anyone who can reach this port and has the URL can read "
                     "and write your conversation, and the traffic is unencrypted HTTP; prefer "
                     "127.0.0.1 and an SSH tunnel (ssh -L)\n";
  }
  context.err().flush();

  int exit_code_at_end = kExitOk;
  std::optional<boost::asio::posix::stream_descriptor> onion_watch;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    context.err() << "inmost web: stopped\n";
    if (onion_watch) onion_watch->cancel();
    (*server)->Stop();
    io.stop();
  });
  // The daemon sends nothing on the onion's connection unasked: readable means it
  // closed (it restarted, and the service went with it). Ending with an error lets a
  // service manager (Restart=on-failure) start us again, which publishes it again.
  if (onion_client) {
    const int watched = ::dup(onion_client->fd());
    if (watched < 0) {
      return context.ReportUnreachable(
          Status(Code::kIoError, "cannot watch the daemon's connection"));
    }
    onion_watch.emplace(io, watched);
    onion_watch->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [&](const boost::system::error_code& ec) {
                              if (ec) return;
                              context.err() << "inmost web: the daemon closed the connection "
                                               "that holds the web onion (did it restart?); "
                                               "stopping, so that `inmost web --onion` can be "
                                               "started again\n";
                              exit_code_at_end = kExitUnreachable;
                              (*server)->Stop();
                              io.stop();
                            });
  }
  (*server)->Start();
  (*server)->WriteUrl(context.out());
  if (!onion_address.empty()) (*server)->WriteUrlAt(context.out(), onion_address);
  io.run();
  return exit_code_at_end;
}

}  // namespace inmost::cli
