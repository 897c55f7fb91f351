// The files `send --file` and `answer --file` name: checked here before anything is
// sent, so a typo is a usage error and not half a conversation. The CLI reads and
// uploads it (upload.h), so the path is made absolute only to name it in errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "inmost/status.h"

namespace inmost::cli {

struct FileToSend {
  std::string path;  // Absolute.
  std::string name;  // Its last component, as the partner will see it.
  uint64_t size = 0;
};

// `path` made absolute (against the current directory) and checked: it must exist
// and be a regular file (a symbolic link to one will do). InvalidArgument naming the
// path otherwise.
Result<FileToSend> CheckFileToSend(std::string_view path);

}  // namespace inmost::cli
