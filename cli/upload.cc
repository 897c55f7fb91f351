#include "cli/upload.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ostream>

#include "cli/exit_code.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads up to `length` bytes at `offset` into `out`; fewer only at the end of the file.
bool ReadAt(int fd, uint64_t offset, size_t length, std::string& out) {
  out.resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return true;
}

}  // namespace

std::optional<std::string> UploadFile(CommandContext& context, Client& client,
                                      const FileToSend& file, int* exit_code) {
  auto local_error = [&](const std::string& message) {
    context.err() << "inmost: " << message << '\n';
    *exit_code = kExitDaemonError;
    return std::nullopt;
  };
  FdCloser in{::open(file.path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0)
    return local_error("cannot read " + OneLine(file.path) + ": " + std::strerror(errno));

  control::Request start;
  start.mutable_upload()->set_name(file.name);
  start.mutable_upload()->set_size(file.size);
  control::Response started;
  if (auto failed = context.Call(client, start, &started)) {
    *exit_code = *failed;
    return std::nullopt;
  }
  const std::string id = started.upload().upload_id();
  const uint64_t chunk_bytes = started.upload().chunk_bytes();
  if (chunk_bytes == 0) return local_error("the daemon gave no chunk size for the upload");

  // On any failure below, the daemon is told to drop what it has.
  auto give_up = [&](int code) {
    DropUpload(client, id);
    *exit_code = code;
    return std::nullopt;
  };
  const bool show_progress = !context.json() && ::isatty(STDERR_FILENO) == 1;
  const uint64_t chunks = file.size == 0 ? 1 : (file.size + chunk_bytes - 1) / chunk_bytes;
  control::Request request;
  control::UploadChunkRequest* chunk = request.mutable_upload_chunk();
  chunk->set_upload_id(id);
  int shown_percent = -1;
  for (uint64_t i = 0; i < chunks; ++i) {
    const uint64_t offset = i * chunk_bytes;
    const size_t length = static_cast<size_t>(std::min<uint64_t>(chunk_bytes, file.size - offset));
    std::string* data = chunk->mutable_data();
    if (!ReadAt(in.fd, offset, length, *data)) {
      context.err() << "inmost: cannot read " << OneLine(file.path) << ": " << std::strerror(errno)
                    << '\n';
      return give_up(kExitDaemonError);
    }
    if (data->size() != length) {
      context.err() << "inmost: " << OneLine(file.path)
                    << " changed while it was being uploaded; send it again once it is complete\n";
      return give_up(kExitDaemonError);
    }
    chunk->set_index(i);
    control::Response reply;
    if (auto failed = context.Call(client, request, &reply)) return give_up(*failed);
    if (show_progress) {
      const int percent = static_cast<int>((i + 1) * 100 / chunks);
      if (percent != shown_percent) {
        shown_percent = percent;
        context.err() << "\ruploading " << OneLine(file.name) << ": " << percent << "%"
                      << std::flush;
      }
    }
  }
  if (show_progress) context.err() << '\n';
  // The file must not have grown meanwhile: the daemon would send a truncated copy.
  std::string beyond;
  if (ReadAt(in.fd, file.size, 1, beyond) && !beyond.empty()) {
    context.err() << "inmost: " << OneLine(file.path)
                  << " changed while it was being uploaded; send it again once it is complete\n";
    return give_up(kExitDaemonError);
  }
  return id;
}

void DropUpload(Client& client, const std::string& id) {
  control::Request cancel;
  cancel.mutable_upload_cancel()->set_upload_id(id);
  (void)client.Exchange(cancel);
}

}  // namespace inmost::cli
