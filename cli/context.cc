#include "cli/context.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli/exit_code.h"
#include "inmost/data_dir.h"

namespace inmost::cli {

po::options_description GlobalOptionsDescription() {
  po::options_description options("Global options (before or after the command)");
  // clang-format off
  options.add_options()
      ("data-dir", po::value<std::string>()->value_name("DIR"),
       "The daemon's data directory. Default: $INMOST_DATA_DIR, else $XDG_DATA_HOME/inmost, "
       "else $HOME/.local/share/inmost.")
      ("socket", po::value<std::string>()->value_name("PATH"),
       "The daemon's control socket. Default: DIR/control.sock.")
      ("json", po::bool_switch(),
       "Print the daemon's reply as one line of JSON (protobuf's JSON mapping: proto field "
       "names, every field; 64-bit integers are strings) instead of text.");
  // clang-format on
  return options;
}

void ReadGlobalOptions(const po::variables_map& vm, GlobalOptions* globals) {
  if (vm.count("data-dir")) globals->data_dir = vm["data-dir"].as<std::string>();
  if (vm.count("socket")) globals->socket = vm["socket"].as<std::string>();
  if (vm.count("json") && vm["json"].as<bool>()) globals->json = true;
}

std::string ToJsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

Result<uint64_t> ParseMessageId(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '#') digits.remove_prefix(1);
  uint64_t id = 0;
  bool ok = !digits.empty() && digits.size() <= 19;
  for (char c : digits) {
    if (c < '0' || c > '9') ok = false;
    if (ok) id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || id == 0) {
    return InvalidArgument("invalid message id '" + std::string(text) +
                           "': use the number shown as #ID, such as 12");
  }
  return id;
}

std::string UsageLine(const CommandUsage& usage) {
  std::string line = "Usage: inmost " + std::string(usage.name);
  if (!usage.synopsis.empty()) line += " " + std::string(usage.synopsis);
  return line;
}

CommandContext::CommandContext(GlobalOptions globals, std::istream& in, std::ostream& out,
                               std::ostream& err)
    : globals_(std::move(globals)), in_(in), out_(out), err_(err) {}

std::optional<int> CommandContext::ParseArgs(const CommandUsage& usage,
                                             const std::vector<std::string>& args,
                                             const po::options_description& options,
                                             po::variables_map* vm) {
  return ParseArgs(usage, args, options, po::options_description(),
                   po::positional_options_description(), vm);
}

std::optional<int> CommandContext::ParseArgs(const CommandUsage& usage,
                                             const std::vector<std::string>& args,
                                             const po::options_description& options,
                                             const po::options_description& positional_options,
                                             const po::positional_options_description& positional,
                                             po::variables_map* vm) {
  po::options_description help("");
  help.add_options()("help,h", "Show this help.");
  po::options_description all;
  all.add(options).add(positional_options).add(help).add(GlobalOptionsDescription());
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), *vm);
    if (vm->count("help")) {
      out_ << UsageLine(usage) << "\n\n" << usage.description << '\n';
      if (!options.options().empty()) out_ << options << '\n';
      out_ << help << '\n' << GlobalOptionsDescription() << '\n';
      return kExitOk;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    return ReportUsageError(usage, e.what());
  }
  ReadGlobalOptions(*vm, &globals_);
  return std::nullopt;
}

std::optional<int> CommandContext::ParseIdArgs(const CommandUsage& usage,
                                               const std::vector<std::string>& args, uint64_t* id) {
  po::options_description id_option;
  id_option.add_options()("id", po::value<std::string>(), "The message's id.");
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto done = ParseArgs(usage, args, po::options_description(), id_option, positional, &vm)) {
    return done;
  }
  return ReadIdArg(usage, vm, id);
}

std::optional<int> CommandContext::ReadIdArg(const CommandUsage& usage, const po::variables_map& vm,
                                             uint64_t* id) {
  if (!vm.count("id")) return ReportUsageError(usage, "give the message's ID");
  Result<uint64_t> parsed = ParseMessageId(vm["id"].as<std::string>());
  if (!parsed.ok()) return ReportUsageError(usage, parsed.status().message());
  *id = *parsed;
  return std::nullopt;
}

Result<std::string> CommandContext::SocketPath() const {
  if (!globals_.socket.empty()) return globals_.socket;
  if (!globals_.data_dir.empty()) return ControlSocketPath(globals_.data_dir);
  INMOST_ASSIGN_OR_RETURN(std::string data_dir, DefaultDataDir());
  return ControlSocketPath(data_dir);
}

std::optional<Client> CommandContext::Connect(int* exit_code) {
  Result<std::string> path = SocketPath();
  if (!path.ok()) {
    err_ << "inmost: " << path.status().message() << '\n';
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  Result<Client> client = Client::Connect(*path);
  if (!client.ok()) {
    *exit_code = ReportUnreachable(client.status());
    return std::nullopt;
  }
  return std::move(client).value();
}

bool CommandContext::InIsTerminal() const {
  return &in_ == &std::cin && ::isatty(STDIN_FILENO) == 1;
}

bool CommandContext::OutIsStdout() const {
  return &out_ == &std::cout;
}

bool CommandContext::OutIsTerminal() const {
  return &out_ == &std::cout && ::isatty(STDOUT_FILENO) == 1;
}

std::optional<int> CommandContext::Call(Client& client, const control::Request& request,
                                        control::Response* reply) {
  Result<control::Response> response = client.Exchange(request);
  if (!response.ok()) return ReportUnreachable(response.status());
  if (response->has_error()) return ReportDaemonError(response->error());
  *reply = std::move(response).value();
  return std::nullopt;
}

int CommandContext::Exchange(Client& client, const control::Request& request,
                             const std::function<void(const control::Response&)>& print_text) {
  control::Response response;
  if (auto failed = Call(client, request, &response)) return *failed;
  if (json()) {
    // The body alone, like a JSON-RPC "result".
    const auto* oneof = control::Response::descriptor()->FindOneofByName("body");
    const auto* reflection = response.GetReflection();
    const auto* field = reflection->GetOneofFieldDescriptor(response, oneof);
    if (field == nullptr) {
      out_ << "{}\n";
    } else {
      PrintJsonLine(reflection->GetMessage(response, field));
    }
  } else if (print_text) {
    print_text(response);
  }
  return kExitOk;
}

int CommandContext::ConnectAndExchange(
    const control::Request& request,
    const std::function<void(const control::Response&)>& print_text) {
  int exit_code = kExitOk;
  std::optional<Client> client = Connect(&exit_code);
  if (!client) return exit_code;
  return Exchange(*client, request, print_text);
}

int CommandContext::ConnectAndShow(
    const control::Request& request,
    const std::function<void(const control::Response&, const Speakers&)>& print_text) {
  int exit_code = kExitOk;
  std::optional<Client> client = Connect(&exit_code);
  if (!client) return exit_code;
  Speakers speakers = json() ? Speakers{} : AskSpeakers(*client);
  return Exchange(*client, request,
                  [&](const control::Response& response) { print_text(response, speakers); });
}

Speakers CommandContext::AskSpeakers(Client& client) {
  control::Request status;
  status.mutable_status();
  auto reply = client.Call(status);
  if (!reply.ok() || reply->has_error()) return Speakers{};
  return SpeakersOf(reply->status());
}

int CommandContext::ReportUnreachable(const Status& status) {
  err_ << "inmost: " << status.message() << '\n';
  return kExitUnreachable;
}

int CommandContext::ReportDaemonError(const control::Error& error) {
  if (json()) {
    // {"error":{...}} keeps stdout parseable for scripts.
    out_ << R"({"error":)" << ToJsonLine(error) << "}\n";
  }
  std::string name = error.code_name();
  if (name.empty()) name = std::string(CodeName(static_cast<Code>(error.code())));
  err_ << "inmost: " << error.message() << " (" << name << ")\n";
  return kExitDaemonError;
}

int CommandContext::ReportUsageError(const CommandUsage& usage, std::string_view message) {
  err_ << "inmost " << usage.name << ": " << message << '\n'
       << UsageLine(usage) << '\n'
       << "Run 'inmost " << usage.name << " --help' for details.\n";
  return kExitUsage;
}

std::string CommandContext::TextFromWords(const std::vector<std::string>& words) {
  std::string text;
  if (words.size() == 1 && words[0] == "-") {
    text.assign(std::istreambuf_iterator<char>(in_), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return text;
  }
  for (const auto& word : words) {
    if (!text.empty()) text.push_back(' ');
    text += word;
  }
  return text;
}

void CommandContext::PrintJsonLine(const google::protobuf::Message& message) {
  out_ << ToJsonLine(message) << '\n';
  out_.flush();
}

}  // namespace inmost::cli
