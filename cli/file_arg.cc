#include "cli/file_arg.h"

#include <filesystem>
#include <system_error>

#include "cli/text_format.h"

namespace inmost::cli {

Result<FileToSend> CheckFileToSend(std::string_view path) {
  namespace fs = std::filesystem;
  if (path.empty()) return InvalidArgument("the file's path is empty");
  const std::string shown = OneLine(path);
  std::error_code ec;
  fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) return InvalidArgument("cannot make " + shown + " absolute: " + ec.message());
  fs::file_status status = fs::status(absolute, ec);
  if (status.type() == fs::file_type::not_found) {
    return InvalidArgument("there is no file " + shown);
  }
  if (ec) return InvalidArgument("cannot look at " + shown + ": " + ec.message());
  if (status.type() == fs::file_type::directory) {
    return InvalidArgument(shown + " is a directory; send the files in it one by one");
  }
  if (status.type() != fs::file_type::regular) {
    return InvalidArgument(shown + " is not a regular file");
  }
  FileToSend file;
  file.size = fs::file_size(absolute, ec);
  if (ec) return InvalidArgument("cannot read the size of " + shown + ": " + ec.message());
  file.path = absolute.string();
  file.name = absolute.filename().string();
  return file;
}

}  // namespace inmost::cli
