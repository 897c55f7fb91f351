// `inmost send TEXT` and `inmost send --file PATH`: queues a text or files for the
// partner, plain, as withheld-key envelopes (--open-at, --open-in, --gentle,
// --together) or scheduled (--send-at), perhaps urgent, as a reply (--reply-to) or
// to be viewed once (--view-once).
#include <algorithm>
#include <chrono>
#include <limits>
#include <ostream>
#include <typeinfo>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_code.h"
#include "cli/file_arg.h"
#include "cli/file_format.h"
#include "cli/text_format.h"
#include "cli/time.h"
#include "cli/upload.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "send",
    "[options] TEXT... | -\n       inmost send [options] --file PATH [--file PATH ...] [--caption "
    "TEXT]",
    "Sends a text to your partner. Several TEXT arguments are joined with single\n"
    "spaces; '-' reads the text from standard input instead (one trailing newline is\n"
    "dropped). Put '--' before a text that starts with '-'.\n"
    "The message is safely in this daemon's outbox when the command returns; the\n"
    "daemon delivers it exactly once, as soon as your partner is reachable. While the\n"
    "link is up, a plain text waits a moment for your partner's daemon to confirm it\n"
    "and says whether it was delivered.\n"
    "\n"
    "With --file it sends files instead, each as a message of its own, with --caption\n"
    "on the first. Each file is first copied into the daemon over its socket (kept\n"
    "encrypted there; the daemon may be on another machine), so it may change or go\n"
    "once the command returns; then it travels in encrypted chunks that resume after\n"
    "a lost link ('inmost transfers' shows the progress). The options below apply to\n"
    "every file.\n"
    "\n"
    "With --open-at, --open-in, --gentle or --together the text travels sealed: your\n"
    "partner sees at once that it is waiting (with its --note), but its key stays with\n"
    "this daemon until it may open: at a time by your clock (--open-at, --open-in),\n"
    "when your partner chooses to open it (--gentle), or while you are both here with\n"
    "'inmost chat' open (--together). Until then 'inmost retract ID' withdraws it.\n"
    "With --send-at nothing of the message leaves this daemon before the time;\n"
    "'inmost cancel ID' cancels it until then. Use at most one of these five options.\n"
    "With --urgent a plain text (no --file, none of those five options) reaches your\n"
    "partner even in their quiet hours; keep it for what cannot wait.\n"
    "\n"
    "With --reply-to ID a text (no --file, none of the five options above) answers\n"
    "message ID: both of you see that message's first words quoted above it (never\n"
    "the text of an envelope not yet opened).\n"
    "With --view-once a text or a --file (no --caption, --urgent or any of the five\n"
    "options) can be viewed once: your partner sees that it is there (a file's name,\n"
    "type and size) and shows it with 'inmost view ID' or the web page; then its key\n"
    "and contents are destroyed on both sides and you see it viewed. Nobody can see\n"
    "it twice, but nothing stops a screenshot or a camera.\n"
    "\n"
    "TIME is local time, \"2027-02-14 09:00\" or 2027-02-14T09:00[:SS], or ISO 8601\n"
    "with an offset, such as 2027-02-14T09:00:00+01:00 or 2027-02-14T08:00:00Z.\n"};

constexpr size_t kMaxNoteBytes = 200;

// The options that choose how a message travels; at most one may be given.
constexpr const char* kModes[] = {"open-at", "open-in", "gentle", "together", "send-at"};

bool Given(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return false;
  const po::variable_value& value = vm[name];
  if (value.value().type() == typeid(bool)) return value.as<bool>();
  return true;
}

// What the confirmation calls a message: "message #12", or "file #12 photo.jpg (2.4 MiB)".
struct Sent {
  std::string noun;  // "message" or "file".
  std::string label;
  std::string Capitalized() const {
    std::string text = noun + ' ' + label;
    text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
  }
  std::string Named() const { return noun + ' ' + label; }
};

// How long a plain text sent over a live link waits for the partner's daemon to
// confirm it, so the answer can say "delivered" instead of a guess: a round trip
// takes milliseconds on a live link; past this the message is still on its way.
constexpr int kDeliveryWaitMs = 2000;

// Whether the link to the partner is up, asked before sending so the confirmation
// can say what happens next. A daemon's error counts as down: the answer only
// chooses words, and "in the outbox" is true either way. nullopt with *exit_code
// set when the connection failed.
std::optional<bool> LinkUp(CommandContext& context, Client& client, int* exit_code) {
  control::Request request;
  request.mutable_status();
  Result<control::Response> reply = client.Exchange(request);
  if (!reply.ok()) {
    *exit_code = context.ReportUnreachable(reply.status());
    return std::nullopt;
  }
  return reply->has_status() && reply->status().link_up();
}

// Waits up to kDeliveryWaitMs on a subscribed `client` for the event saying message
// `id` was delivered. False when it did not come in time or the connection failed:
// the message stays safe in the outbox either way.
bool WaitForDelivery(Client& client, uint64_t id) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeliveryWaitMs);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !client.has_buffered_event()) return false;
    Result<control::Event> event =
        client.NextEvent(static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (!event.ok()) return false;
    if (event->has_delivered() && event->delivered().id() == id) return true;
  }
}

// "at 2027-02-14 09:00 (in 80d 21h)", or "now" when `unix_ms` is not ahead.
std::string WhenFromNow(int64_t unix_ms) {
  int64_t left = unix_ms - NowUnixMs();
  if (left <= 0) return "now (" + LocalTime(unix_ms, kDateTimeFormat) + " has passed)";
  return "at " + LocalTime(unix_ms, kDateTimeFormat) + " (in " + FormatCountdown(left) + ")";
}

}  // namespace

int RunSend(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("open-at", po::value<std::string>()->value_name("TIME"),
       "Sealed until TIME, by this daemon's clock.")
      ("open-in", po::value<std::string>()->value_name("DURATION"),
       "Sealed for DURATION from now: a number with a unit s, m, h, d or w, such as 90m, "
       "7d or 3d12h.")
      ("gentle", po::bool_switch(),
       "Your partner sees the note, not the text, and opens it when ready "
       "('inmost open ID'); you are told when.")
      ("together", po::bool_switch(),
       "Opens only while you are both here (both have 'inmost chat' open).")
      ("note", po::value<std::string>()->value_name("TEXT"),
       "A note your partner sees on the sealed message (at most 200 bytes); only with "
       "--open-at, --open-in, --gentle or --together.")
      ("send-at", po::value<std::string>()->value_name("TIME"),
       "Keep the message here and send it at TIME; until then 'inmost cancel ID' "
       "cancels it.")
      ("urgent", po::bool_switch(),
       "A plain text that reaches your partner even in their quiet hours.")
      ("reply-to", po::value<std::string>()->value_name("ID"),
       "A text that answers message ID (yours or your partner's): its first words show "
       "above it.")
      ("view-once", po::bool_switch(),
       "A text your partner can view once ('inmost view ID'); then it is gone on both "
       "sides.")
      ("file", po::value<std::vector<std::string>>()->composing()->value_name("PATH"),
       "Send the file at PATH instead of a text (repeatable: one message per file).")
      ("caption", po::value<std::string>()->value_name("TEXT"),
       "A caption for the (first) file.");
  // clang-format on
  po::options_description text_option;
  text_option.add_options()("text", po::value<std::vector<std::string>>(), "The text.");
  po::positional_options_description positional;
  positional.add("text", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, text_option, positional, &vm)) {
    return *done;
  }

  // The options first: a usage error must not swallow standard input.
  std::vector<std::string> modes;
  for (const char* mode : kModes) {
    if (Given(vm, mode)) modes.push_back(std::string("--") + mode);
  }
  if (modes.size() > 1) {
    return context.ReportUsageError(
        kUsage, modes[0] + " and " + modes[1] +
                    " cannot be combined: choose one of --open-at, --open-in, --gentle, "
                    "--together and --send-at");
  }
  const std::string mode = modes.empty() ? std::string() : modes[0].substr(2);
  if (vm["urgent"].as<bool>() && (!mode.empty() || vm.count("file"))) {
    return context.ReportUsageError(kUsage,
                                    "--urgent goes only with a plain text, not with " +
                                        (mode.empty() ? std::string("--file") : "--" + mode));
  }
  const bool view_once = vm["view-once"].as<bool>();
  // The option, other than --note and --caption, that makes this more than a plain
  // text; empty for none.
  const std::string not_plain = !mode.empty()      ? "--" + mode
                                : vm.count("file") ? std::string("--file")
                                                   : std::string();
  const std::string not_once = !mode.empty()             ? "--" + mode
                               : vm["urgent"].as<bool>() ? std::string("--urgent")
                               : vm.count("caption")     ? std::string("--caption")
                                                         : std::string();
  if (view_once && !not_once.empty()) {
    return context.ReportUsageError(
        kUsage, "--view-once goes only with a plain text or --file, not with " + not_once +
                    ": a view-once message is sent now, never sealed, and has no caption");
  }
  uint64_t reply_to = 0;
  if (vm.count("reply-to")) {
    if (!not_plain.empty()) {
      return context.ReportUsageError(
          kUsage, "--reply-to goes only with a text sent now, not with " + not_plain);
    }
    Result<uint64_t> id = ParseMessageId(vm["reply-to"].as<std::string>());
    if (!id.ok()) {
      return context.ReportUsageError(kUsage, "--reply-to: " + id.status().message());
    }
    reply_to = *id;
  }
  std::string note;
  if (vm.count("note")) {
    if (mode.empty() || mode == "send-at") {
      return context.ReportUsageError(
          kUsage,
          "--note goes only with a sealed message: --open-at, --open-in, --gentle or "
          "--together");
    }
    note = vm["note"].as<std::string>();
    if (note.size() > kMaxNoteBytes) {
      return context.ReportUsageError(kUsage, "--note is " + std::to_string(note.size()) +
                                                  " bytes long; at most 200 are allowed");
    }
  }

  control::Request request;
  control::SendRequest* send = request.mutable_send();
  if (mode == "open-at" || mode == "send-at") {
    Result<int64_t> at = ParseTimeUnixMs(vm[mode].as<std::string>());
    if (!at.ok()) {
      return context.ReportUsageError(kUsage, "--" + mode + ": " + at.status().message());
    }
    if (*at <= 0) {
      return context.ReportUsageError(kUsage, "--" + mode + ": TIME must be after 1970");
    }
    if (mode == "open-at") {
      send->set_open_at_unix_ms(*at);
    } else {
      send->set_send_at_unix_ms(*at);
    }
  } else if (mode == "open-in") {
    Result<uint64_t> seconds = ParseDurationSeconds(vm["open-in"].as<std::string>());
    if (!seconds.ok()) {
      return context.ReportUsageError(kUsage, "--open-in: " + seconds.status().message());
    }
    int64_t now = NowUnixMs();
    if (*seconds > static_cast<uint64_t>((std::numeric_limits<int64_t>::max() - now) / 1000)) {
      return context.ReportUsageError(kUsage, "--open-in: the duration is too long");
    }
    send->set_open_at_unix_ms(now + static_cast<int64_t>(*seconds) * 1000);
  } else if (mode == "gentle") {
    send->set_gentle(true);
  } else if (mode == "together") {
    send->set_together(true);
  }
  if (vm.count("note")) send->set_note(note);
  send->set_urgent(vm["urgent"].as<bool>());
  send->set_reply_to(reply_to);
  send->set_view_once(view_once);

  std::vector<std::string> words;
  if (vm.count("text")) words = vm["text"].as<std::vector<std::string>>();
  std::vector<std::string> paths;
  if (vm.count("file")) paths = vm["file"].as<std::vector<std::string>>();
  if (vm.count("caption") && paths.empty()) {
    return context.ReportUsageError(kUsage, "--caption goes only with --file");
  }
  if (!paths.empty() && !words.empty()) {
    return context.ReportUsageError(
        kUsage, "a TEXT cannot go with --file: use --caption TEXT for words with the file");
  }

  // Whether a plain text or file goes out now, over a live link: then "in the outbox
  // until your partner is reachable" would be the wrong thing to say. --json answers
  // with the reply alone, and a sealed or scheduled message does not go out now.
  auto goes_out_now = [&](Client& client, int* exit_code) -> std::optional<bool> {
    if (context.json() || !mode.empty()) return false;
    return LinkUp(context, client, exit_code);
  };
  // What became of a plain text or file sent now, as far as this command knows.
  enum class Outcome { kQueued, kOnItsWay, kDelivered };
  auto print = [&](const control::Response& response, const Sent& sent, Outcome outcome) {
    std::ostream& out = context.out();
    if (send->open_at_unix_ms() != 0) {
      out << "Sealed " << sent.Named() << " is on its way; it opens "
          << WhenFromNow(send->open_at_unix_ms()) << ".\n";
    } else if (send->gentle()) {
      out << "Gentle " << sent.Named() << " is on its way; your partner sees "
          << (note.empty() ? "that it is waiting" : "the note") << " and opens it when ready.\n";
    } else if (send->together()) {
      out << "Together " << sent.Named()
          << " is on its way; it opens while you both have 'inmost chat' open.\n";
    } else if (send->send_at_unix_ms() != 0) {
      out << "Scheduled " << sent.Named() << " leaves " << WhenFromNow(send->send_at_unix_ms())
          << "; cancel with: inmost cancel " << response.send().id() << '\n';
    } else if (outcome == Outcome::kDelivered) {
      out << sent.Capitalized() << " is delivered.\n";
    } else if (outcome == Outcome::kOnItsWay) {
      out << sent.Capitalized() << " is on its way; "
          << (sent.noun.ends_with("file") ? "'inmost transfers' shows the progress.\n"
                                          : "'inmost history' shows when it is delivered.\n");
    } else {
      out << sent.Capitalized()
          << " is in the outbox; it is delivered as soon as your partner is reachable.\n";
    }
  };
  const char kUrgent[] = "It is urgent: your partner is told even in their quiet hours.\n";
  const char kViewOnce[] =
      "Your partner can view it once; then it is gone on both sides and you see it viewed.\n";
  // " (a reply to #12)", after the message's number.
  const std::string replying =
      reply_to == 0 ? std::string() : " (a reply to #" + std::to_string(reply_to) + ")";

  if (paths.empty()) {
    std::string text = context.TextFromWords(words);
    if (text.empty()) return context.ReportUsageError(kUsage, "there is no text to send");
    send->set_text(text);
    int exit_code = kExitOk;
    std::optional<Client> client = context.Connect(&exit_code);
    if (!client) return exit_code;
    std::optional<bool> up = goes_out_now(*client, &exit_code);
    if (!up) return exit_code;
    const bool link_up = *up;
    if (link_up) {
      // Subscribed before sending, so the delivered event cannot be missed.
      control::Request subscribe;
      subscribe.mutable_subscribe();
      control::Response subscribed;
      if (auto failed = context.Call(*client, subscribe, &subscribed)) return *failed;
    }
    return context.Exchange(*client, request, [&](const control::Response& response) {
      const uint64_t id = response.send().id();
      Outcome outcome = Outcome::kQueued;
      if (link_up) {
        outcome = WaitForDelivery(*client, id) ? Outcome::kDelivered : Outcome::kOnItsWay;
      }
      print(response,
            Sent{view_once ? "view-once message" : "message", "#" + std::to_string(id) + replying},
            outcome);
      if (view_once) context.out() << kViewOnce;
      if (send->urgent()) context.out() << kUrgent;
    });
  }

  // Every file is checked before the first is sent.
  std::vector<FileToSend> files;
  for (const std::string& path : paths) {
    Result<FileToSend> file = CheckFileToSend(path);
    if (!file.ok()) return context.ReportUsageError(kUsage, "--file: " + file.status().message());
    files.push_back(*file);
  }
  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  std::optional<bool> up = goes_out_now(*client, &exit_code);
  if (!up) return exit_code;
  // A file takes its time over the link; its progress is in 'inmost transfers'.
  const Outcome outcome = *up ? Outcome::kOnItsWay : Outcome::kQueued;
  for (size_t i = 0; i < files.size(); ++i) {
    // Uploaded over the socket, so the daemon may be on another machine.
    std::optional<std::string> upload_id = UploadFile(context, *client, files[i], &exit_code);
    if (!upload_id) return exit_code;  // The files before it stay sent.
    send->set_upload_id(*upload_id);
    send->set_text(i == 0 && vm.count("caption") ? vm["caption"].as<std::string>() : "");
    exit_code = context.Exchange(*client, request, [&](const control::Response& response) {
      print(response,
            Sent{view_once ? "view-once file" : "file", "#" + std::to_string(response.send().id()) +
                                                            ' ' + OneLine(files[i].name) + " (" +
                                                            FormatBytes(files[i].size) + ")"},
            outcome);
      if (view_once && !context.json()) context.out() << kViewOnce;
    });
    if (exit_code != kExitOk) {
      DropUpload(*client, *upload_id);
      return exit_code;  // The files before it stay sent.
    }
  }
  if (send->urgent() && !context.json()) context.out() << kUrgent;
  return kExitOk;
}

}  // namespace inmost::cli
