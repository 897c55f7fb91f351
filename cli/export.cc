// `inmost export`: the whole conversation as a Markdown document or as JSON.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <unordered_set>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/export_format.h"
#include "cli/text_format.h"
#include "cli/time.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "export", "[--format markdown|json] [--since YYYY-MM-DD] [--out FILE]",
    "Writes the whole conversation, oldest first, to FILE or to standard output:\n"
    "  markdown  a readable document: a heading per day, each message with who said\n"
    "            it and when, nudges, same moments, questions, reactions, pins.\n"
    "  json      {\"exported_at\": ..., \"messages\": [...]}, each message as\n"
    "            'inmost --json history' shows it.\n"
    "An export is a copy outside the daemon's encrypted store, so it holds only what\n"
    "has been read: a sealed message that was never opened appears without its text,\n"
    "even one of yours, and a forgotten message only as \"(forgotten)\". A view-once\n"
    "message is never in it, only that there was one. Disappearing messages are, with\n"
    "when they disappear from the store: the export keeps them, so keep it safe. FILE\n"
    "is created readable by you alone and is never overwritten.\n"};

// Every page of the history, oldest first.
std::optional<int> FetchHistory(CommandContext& context, Client& client,
                                std::vector<control::Message>* messages) {
  constexpr uint32_t kPage = 1000;           // The daemon's largest page.
  std::vector<control::HistoryReply> pages;  // Newest page first.
  uint64_t before_id = 0;
  std::unordered_set<uint64_t> oldest_seen;
  while (true) {
    control::Request request;
    request.mutable_history()->set_limit(kPage);
    request.mutable_history()->set_before_id(before_id);
    control::Response response;
    if (auto failed = context.Call(client, request, &response)) return failed;
    pages.push_back(std::move(*response.mutable_history()));
    const control::HistoryReply& page = pages.back();
    if (!page.more() || page.messages_size() == 0) break;
    uint64_t oldest = page.messages(0).id();
    // Ids are message numbers, which each side gives from its own run: they do not
    // grow with the history, so only a page that starts where one did before (and
    // would repeat for ever) ends the export early.
    if (!oldest_seen.insert(oldest).second) break;
    before_id = oldest;
  }
  for (auto page = pages.rbegin(); page != pages.rend(); ++page) {
    for (control::Message& message : *page->mutable_messages()) {
      messages->push_back(std::move(message));
    }
  }
  return std::nullopt;
}

// Syncs the folder holding `path`, so a file just created there survives a power cut
// (the client's counterpart of the daemon's store::SyncParentDirectory).
Status SyncParentDirectory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return IoError("cannot open directory " + dir.string() + ": " + std::strerror(errno));
  }
  const bool synced = ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!synced) {
    return IoError("cannot sync directory " + dir.string() + ": " + std::strerror(error));
  }
  return Status::Ok();
}

// Writes `content` to a new file at `path`, readable by its owner alone, and syncs it
// and its folder; fails rather than replace a file that exists.
Status WriteNewFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + path + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return IoError("cannot write " + path + ": " + std::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return IoError("cannot sync " + path + ": " + std::strerror(error));
  }
  if (::close(fd) != 0) return IoError("cannot write " + path + ": " + std::strerror(errno));
  return SyncParentDirectory(path);
}

}  // namespace

int RunExport(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("format", po::value<std::string>()->value_name("FORMAT"),
       "markdown or json. Default: markdown (json with --json).")
      ("since", po::value<std::string>()->value_name("YYYY-MM-DD"),
       "Only messages from this day on (local time).")
      ("out", po::value<std::string>()->value_name("FILE"),
       "Write to FILE, which must not exist, instead of standard output.");
  // clang-format on
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  ExportOptions export_options;
  std::string format = vm.count("format") ? vm["format"].as<std::string>()
                       : context.json()   ? "json"
                                          : "markdown";
  if (format == "json") {
    export_options.format = ExportFormat::kJson;
  } else if (format != "markdown") {
    return context.ReportUsageError(kUsage,
                                    "unknown --format '" + format + "': use markdown or json");
  }
  if (vm.count("since")) {
    const std::string& since = vm["since"].as<std::string>();
    if (Status valid = CheckDate(since); !valid.ok()) {
      return context.ReportUsageError(kUsage, "--since: " + valid.message());
    }
    Result<int64_t> midnight = ParseTimeUnixMs(since);
    if (!midnight.ok()) {
      return context.ReportUsageError(kUsage, "--since: " + midnight.status().message());
    }
    export_options.since_unix_ms = *midnight;
  }
  std::string out_path = vm.count("out") ? vm["out"].as<std::string>() : "";
  std::error_code error;
  if (vm.count("out") && (out_path.empty() || std::filesystem::exists(out_path, error))) {
    return context.ReportUsageError(
        kUsage, out_path.empty() ? "--out needs a FILE" : out_path + " exists; it is not replaced");
  }

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  std::vector<control::Message> messages;
  if (auto failed = FetchHistory(context, *client, &messages)) return *failed;
  export_options.exported_at_unix_ms = NowUnixMs();
  export_options.speakers = context.AskSpeakers(*client);
  std::string exported = RenderExport(messages, export_options);
  if (out_path.empty()) {
    context.out() << exported;
    context.out().flush();
    return kExitOk;
  }
  if (Status written = WriteNewFile(out_path, exported); !written.ok()) {
    context.err() << "inmost: " << written.message() << '\n';
    return kExitUsage;  // --out names a place that cannot take the file.
  }
  context.out() << "Exported the conversation to " << out_path << ".\n";
  return kExitOk;
}

}  // namespace inmost::cli
