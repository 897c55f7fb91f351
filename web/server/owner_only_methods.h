// The control-API methods the page may not call through `inmost web`: managing the web
// onion and its devices (web_onion, web_devices) stays with the owner at the server's
// shell, so a page, even one reached over the onion, cannot let in a device of its own.
// It only reads a message to decide; it never changes or logs one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace inmost::web {

// The first owner-only method that `line` (one JSON-RPC request or batch, as it goes
// to the daemon) calls, if any. It parses the line as the daemon does (protobuf's JSON
// parser into a google.protobuf.Value, "method" of the object or of each element), so
// a method the daemon would run is never missed; a line that does not parse is one the
// daemon refuses too.
std::optional<std::string> OwnerOnlyMethod(std::string_view line);

}  // namespace inmost::web
