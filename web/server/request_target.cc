#include "web/server/request_target.h"

#include <vector>

namespace inmost::web {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      int high = HexValue(encoded[i + 1]);
      int low = HexValue(encoded[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The query's "name=value" pieces.
std::vector<std::string_view> QueryPieces(std::string_view target) {
  std::vector<std::string_view> pieces;
  size_t question = target.find('?');
  if (question == std::string_view::npos) return pieces;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    pieces.push_back(query.substr(0, amp));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return pieces;
}

std::string_view PieceName(std::string_view piece) {
  return piece.substr(0, piece.find('='));
}

}  // namespace

std::string_view TargetPath(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::optional<std::string> QueryParameter(std::string_view target, std::string_view name) {
  for (std::string_view piece : QueryPieces(target)) {
    if (PieceName(piece) != name) continue;
    size_t equals = piece.find('=');
    if (equals == std::string_view::npos) return std::string();
    return Decode(piece.substr(equals + 1));
  }
  return std::nullopt;
}

std::string TargetWithout(std::string_view target, std::string_view name) {
  std::string kept(TargetPath(target));
  char separator = '?';
  for (std::string_view piece : QueryPieces(target)) {
    if (piece.empty() || PieceName(piece) == name) continue;
    kept.push_back(separator);
    kept.append(piece);
    separator = '&';
  }
  return kept;
}

}  // namespace inmost::web
