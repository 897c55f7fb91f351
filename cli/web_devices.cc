// `inmost web devices [add NAME | remove NAME]`: the devices that may reach the web
// client's onion service (`inmost web --onion`). It shows a new device's key once, as
// text and QR code, and never writes it anywhere else: no file, no log.
#include <filesystem>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/passphrase.h"
#include "cli/qr_code.h"
#include "cli/text_format.h"
#include "web/server/web_token_file.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "web devices", "[add NAME [--token-file PATH] | remove NAME]",
    "Lists, adds or removes the devices (a phone, a laptop) that may reach the web\n"
    "client over Tor, through the onion service `inmost web --onion` publishes. Only a\n"
    "device holding its key can even find that service (Tor's client authorization).\n"
    "\n"
    "add NAME makes the device's key and prints, once, the onion URL and the key as an\n"
    ".auth_private line and bare, with QR codes: in Tor Browser, open the URL and paste\n"
    "the bare key when it asks; in Orbot, add the .auth_private line under the onion\n"
    "services' client authorization. inmost keeps no copy: if it is lost, remove the\n"
    "device and add it again. With --token-file (the file `inmost web --token-file`\n"
    "uses), the URL carries the token too; without, open the URL `inmost web --onion`\n"
    "printed. Needs the daemon's Tor.\n"
    "\n"
    "remove NAME shuts the device out at once: the daemon publishes the service again,\n"
    "same address, without its key.\n"};

void PrintQr(CommandContext& context, const std::string& label, const std::string& text) {
  Result<std::string> drawing = RenderQrCode(text, context.OutIsTerminal());
  if (!drawing.ok()) {
    context.err() << "inmost: cannot draw the QR code: " << drawing.status().message() << '\n';
    return;
  }
  WipedOnExit wipe(*drawing);  // It encodes the key.
  context.out() << label << ":\n" << *drawing << '\n';
}

void PrintAdded(CommandContext& context, const std::string& name, control::WebDevicesReply& reply,
                const std::string& token) {
  WipedOnExit wipe_line(*reply.mutable_auth_private());
  WipedOnExit wipe_key(*reply.mutable_private_key());
  std::string url = "http://" + reply.onion_address() + "/";
  if (!token.empty()) url += "?token=" + token;
  std::ostream& out = context.out();
  out << "Device " << TerminalSafe(name)
      << " added. Shown once; inmost keeps no copy of its key.\n\n"
      << "URL:\n  " << url << "\n"
      << "Client authorization (.auth_private line, for Orbot or ClientOnionAuthDir):\n  "
      << reply.auth_private() << "\n"
      << "Private key (what Tor Browser asks for):\n  " << reply.private_key() << "\n\n";
  PrintQr(context, "The URL", url);
  PrintQr(context, "The .auth_private line", reply.auth_private());
  if (token.empty()) {
    out << "The page also asks for the token: open the URL `inmost web --onion` printed, or "
           "give --token-file to print it here.\n";
  }
  if (!reply.published()) {
    out << "No web onion is served right now: run `inmost web --onion` (it keeps the service "
           "up while it runs).\n";
  }
}

void PrintList(CommandContext& context, const control::WebDevicesReply& reply) {
  std::ostream& out = context.out();
  if (reply.devices().empty()) {
    out << "No devices may reach the web client over Tor. Add one: inmost web devices add "
           "phone\n";
    return;
  }
  if (!reply.onion_address().empty()) {
    out << "Web onion " << reply.onion_address() << " ("
        << (reply.published() ? "served now" : "not served now: run inmost web --onion") << "); "
        << Count(reply.devices_size(), "device") << ":\n";
  }
  for (const control::WebDevice& device : reply.devices()) {
    out << "  " << TerminalSafe(device.name()) << "  added "
        << LocalTime(device.added_unix_ms(), "%Y-%m-%d %H:%M") << "  key "
        << device.public_key().substr(0, 8) << "...\n";
  }
}

}  // namespace

int RunWebDevices(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("token-file", po::value<std::string>()->value_name("PATH"),
                        "With add: the token file of `inmost web --token-file`, so the URL "
                        "printed carries the token.");
  po::options_description positional_options;
  positional_options.add_options()("action", po::value<std::string>(), "add or remove")(
      "name", po::value<std::string>(), "The device's name.");
  po::positional_options_description positional;
  positional.add("action", 1).add("name", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, positional_options, positional, &vm)) {
    return *done;
  }
  const std::string action = vm.count("action") ? vm["action"].as<std::string>() : "";
  const std::string name = vm.count("name") ? vm["name"].as<std::string>() : "";
  control::Request request;
  control::WebDevicesRequest* devices = request.mutable_web_devices();
  if (action == "add" || action == "remove") {
    if (name.empty()) return context.ReportUsageError(kUsage, action + " needs the device's NAME");
    if (action == "add") {
      devices->set_add(name);
    } else {
      devices->set_remove(name);
    }
  } else if (!action.empty()) {
    return context.ReportUsageError(kUsage, "unknown action " + TerminalSafe(action) +
                                                ": give add NAME, remove NAME or nothing");
  }
  if (vm.count("token-file") && action != "add") {
    return context.ReportUsageError(kUsage, "--token-file goes with add");
  }
  std::string token;
  if (vm.count("token-file")) {
    const std::filesystem::path path = vm["token-file"].as<std::string>();
    std::error_code error;
    // Read, never made here: a mistyped path would print a token no server has.
    if (!std::filesystem::exists(path, error)) {
      return context.ReportUsageError(kUsage, "no token file at " + path.string() +
                                                  ": give the file `inmost web --token-file` uses");
    }
    Result<web::WebToken> kept = web::LoadOrCreateTokenFile(path);
    if (!kept.ok()) return context.ReportUsageError(kUsage, kept.status().message());
    token = std::string(kept->text());
  }
  WipedOnExit wipe_token(token);

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  control::Response response;
  if (auto failed = context.Call(*client, request, &response)) return *failed;
  control::WebDevicesReply& reply = *response.mutable_web_devices();
  if (context.json()) {
    context.PrintJsonLine(reply);
    sodium_memzero(reply.mutable_auth_private()->data(), reply.auth_private().size());
    sodium_memzero(reply.mutable_private_key()->data(), reply.private_key().size());
    return kExitOk;
  }
  if (action == "add") {
    PrintAdded(context, name, reply, token);
  } else if (action == "remove") {
    context.out() << "Device " << TerminalSafe(name)
                  << " removed: it can no longer reach the web client.\n";
  } else {
    PrintList(context, reply);
  }
  return kExitOk;
}

}  // namespace inmost::cli
