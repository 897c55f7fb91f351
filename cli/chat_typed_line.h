// What a line typed in `inmost chat` means: a message to send, or a slash command
// (`/open 4`, `/react 4 ❤`, `/help`), with `//` for a message that starts with a
// slash. It only reads the line; it never runs or sends anything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace inmost::cli {

struct TypedLine {
  enum Kind {
    kNothing,    // Blank: nothing to do.
    kText,       // A message: `text`.
    kCommand,    // One of the CLI's commands: `name` and `args`, as `inmost NAME ARGS...`.
    kHelp,       // /help
    kQuit,       // /quit
    kUnknown,    // A slash command that does not exist: `name`. Never sent as text.
    kMalformed,  // A command line that cannot be split (an open quote): `text` says why.
  };
  Kind kind = kNothing;
  std::string text;
  std::string name;
  std::vector<std::string> args;
};

// Reads `line` (without its newline). Words after a slash split at spaces, as a shell
// would, with '…' and "…" quoting and \ escaping, so `/send --gentle "a note"` works.
// `/reply ID TEXT` and `/edit ID TEXT` take TEXT as typed, quotes and all: the first
// is `send --reply-to ID -- TEXT`, the second `edit ID -- TEXT`.
TypedLine ParseTypedLine(std::string_view line);

}  // namespace inmost::cli
