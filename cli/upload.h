// Puts a file the CLI can read into the daemon over the control socket (UploadRequest
// and its chunks), so `send --file` and `answer --file` work with a daemon on another
// machine (its socket forwarded over `ssh -L`). It reads one chunk at a time and
// never leaves a half-finished upload behind when it fails.
#pragma once

#include <optional>
#include <string>

#include "cli/context.h"
#include "cli/file_arg.h"
#include "inmost/client.h"

namespace inmost::cli {

// Uploads `file` through `client` and returns its upload id; on failure prints why
// and returns nullopt with *exit_code set. Progress goes to stderr only when stderr
// is a terminal.
std::optional<std::string> UploadFile(CommandContext& context, Client& client,
                                      const FileToSend& file, int* exit_code);

// Tells the daemon to drop upload `id` (its send was refused); a failure is ignored:
// the daemon drops an unsent upload after an hour anyway.
void DropUpload(Client& client, const std::string& id);

}  // namespace inmost::cli
