// Fuzzes inmostd's --config file (key = value lines, Boost.Program_options) as
// `inmostd run --config FILE` reads it: the file is stored, notified and checked.
// A bad file must end in a program_options error or an InvalidArgument, never in a
// crash or another exception, and whatever is accepted must hold the checked bounds.
#include <boost/program_options.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "daemon/codec/config/run_options.h"

namespace {

// inmostd's default listen address (kDefaultListen in daemon/daemon.h, which needs Asio).
constexpr char kDefaultListen[] = "[::]:7433";

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace po = boost::program_options;
  using inmost::config::CheckRunOptions;

  std::istringstream file(std::string(reinterpret_cast<const char*>(data), size));
  po::variables_map vm;
  try {
    inmost::config::StoreConfigFile(file, kDefaultListen, vm);
    po::notify(vm);
  } catch (po::error& e) {
    // ParseCommandLine turns this into InvalidArgument with this message.
    Check(!inmost::config::OptionsErrorMessage(e).empty());
    return 0;
  }
  auto settings = CheckRunOptions(vm);
  if (!settings.ok()) {
    Check(settings.status().code() == inmost::Code::kInvalidArgument);
    return 0;
  }
  Check(settings->keepalive_interval.count() > 0 && settings->dead_after.count() > 0 &&
        settings->backoff_max.count() > 0);
  Check(settings->rehandshake_after.count() >= 1 && settings->rehandshake_after.count() <= 3600);
  Check(settings->max_file_bytes > 0 && settings->file_quota_bytes > 0);
  return 0;
}
