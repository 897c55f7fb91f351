// Reads an HTTP request's target ("/qr.svg?text=...&token=..."): its path, exactly
// as sent (never decoded, so "%2e%2e" stays a name no page file has), and its query
// parameters, decoded. It never touches the file system.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace inmost::web {

// The path: everything before '?'.
std::string_view TargetPath(std::string_view target);

// The first query parameter called `name`, percent- and '+'-decoded; nullopt when
// absent or badly encoded.
std::optional<std::string> QueryParameter(std::string_view target, std::string_view name);

// The target without its parameters called `name` ("/?token=x&a=1" → "/?a=1").
std::string TargetWithout(std::string_view target, std::string_view name);

}  // namespace inmost::web
