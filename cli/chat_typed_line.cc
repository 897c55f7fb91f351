// What a line typed in `inmost chat` means. Anything that starts with a single slash
// is a command and is never sent as text, even when no such command exists, so a
// mistyped command does not reach the partner. `/reply ID TEXT` is the chat's short
// form of `inmost send --reply-to ID TEXT`.
#include "cli/chat_typed_line.h"

#include <optional>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

// The commands that make no sense inside a chat: they never end, or they are chat.
bool RunsInChat(std::string_view name) {
  return name != "chat" && name != "watch";
}

// Splits shell-like words; nullopt when a quote is left open.
std::optional<std::vector<std::string>> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        word.push_back(text[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word.push_back(text[++i]);
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

// `/reply ID TEXT` and `/edit ID TEXT`: the text is a message, taken as typed (an
// apostrophe is not a quote), so only the ID is split off. They run as `inmost send
// --reply-to ID -- TEXT` and `inmost edit ID -- TEXT`.
TypedLine IdAndText(std::string_view name, std::string_view rest) {
  TypedLine typed;
  typed.name = name;
  size_t start = rest.find_first_not_of(" \t");
  size_t end = start == std::string_view::npos ? start : rest.find_first_of(" \t", start);
  std::string_view id = start == std::string_view::npos ? "" : rest.substr(start, end - start);
  size_t text_start = end == std::string_view::npos ? end : rest.find_first_not_of(" \t", end);
  if (id.empty() || text_start == std::string_view::npos) {
    typed.kind = TypedLine::kMalformed;
    typed.text = "/" + std::string(name) + " takes a message's number and your text, such as /" +
                 std::string(name) + " 12 " + (name == "reply" ? "yes!" : "the right words");
    return typed;
  }
  typed.kind = TypedLine::kCommand;
  std::string text(rest.substr(text_start));
  if (name == "reply") {
    typed.name = "send";
    typed.args = {"--reply-to", std::string(id), "--", text};
  } else {
    typed.args = {std::string(id), "--", text};
  }
  return typed;
}

}  // namespace

TypedLine ParseTypedLine(std::string_view line) {
  TypedLine typed;
  if (line.find_first_not_of(" \t") == std::string_view::npos) return typed;
  if (line[0] != '/') {
    typed.kind = TypedLine::kText;
    typed.text = line;
    return typed;
  }
  if (line.starts_with("//")) {  // A literal leading slash: "//x" sends "/x".
    typed.kind = TypedLine::kText;
    typed.text = line.substr(1);
    return typed;
  }
  for (std::string_view name : {"reply", "edit"}) {
    std::string_view rest = line.substr(1);
    if (rest.starts_with(name) &&
        (rest.size() == name.size() || rest[name.size()] == ' ' || rest[name.size()] == '\t')) {
      return IdAndText(name, rest.substr(name.size()));
    }
  }
  std::optional<std::vector<std::string>> words = SplitWords(line.substr(1));
  if (!words) {
    typed.kind = TypedLine::kMalformed;
    typed.text = "a quote is left open";
    return typed;
  }
  if (words->empty()) {
    typed.kind = TypedLine::kUnknown;
    return typed;
  }
  typed.name = words->front();
  typed.args.assign(words->begin() + 1, words->end());
  if (typed.name == "help" || typed.name == "?") {
    typed.kind = TypedLine::kHelp;
  } else if (typed.name == "quit" || typed.name == "exit") {
    typed.kind = TypedLine::kQuit;
  } else {
    typed.kind = TypedLine::kUnknown;
    for (const Command& command : Commands()) {
      if (command.name == typed.name && RunsInChat(command.name)) typed.kind = TypedLine::kCommand;
    }
  }
  return typed;
}

}  // namespace inmost::cli
