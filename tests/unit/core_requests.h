// Control requests the core feature tests make, through a CoreSide's router, and
// what they look for in its history.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/core_fixture.h"

namespace inmost::test {

inline Result<control::Response> Config(CoreSide& side, const std::string& key,
                                        const std::string& value) {
  control::Request request;
  request.mutable_config()->set_key(key);
  request.mutable_config()->set_value(value);
  return side.Call(request);
}

inline Result<control::Response> MarkRead(CoreSide& side, uint64_t up_to_id = 0) {
  control::Request request;
  request.mutable_mark_read()->set_up_to_id(up_to_id);
  return side.Call(request);
}

// `from` sends `text` and `pair` settles: its id on `from` and on the other side
// (0 where it is missing, which fails the test).
inline std::pair<uint64_t, uint64_t> Exchange(CorePair& pair, CoreSide& from,
                                              const std::string& text);

// The newest history entry with `direction` and `kind`.
inline std::optional<control::Message> Newest(CoreSide& side, control::Message::Direction direction,
                                              control::Message::Kind kind) {
  auto history = side.History();
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->direction() == direction && it->kind() == kind) return *it;
  }
  return std::nullopt;
}

// The entries of `side`'s history with `direction` and `kind`, oldest first.
inline std::vector<control::Message> All(CoreSide& side, control::Message::Direction direction,
                                         control::Message::Kind kind) {
  std::vector<control::Message> found;
  for (auto& m : side.History()) {
    if (m.direction() == direction && m.kind() == kind) found.push_back(std::move(m));
  }
  return found;
}

// True when no value in `side`'s store (as opened with the storage key) holds `text`.
inline bool StoreLacks(CoreSide& side, const std::string& text) {
  bool found = false;
  Status scanned = side.store().ForEach("", [&](std::string_view, std::string_view value) {
    found = found || value.find(text) != std::string_view::npos;
    return true;
  });
  EXPECT_TRUE(scanned.ok()) << scanned.ToString();
  return !found;
}

// The messages of `kind` among `messages`.
inline std::vector<peer::PeerMessage> OfKind(const std::vector<peer::PeerMessage>& messages,
                                             peer::PeerMessage::KindCase kind) {
  std::vector<peer::PeerMessage> found;
  for (const auto& m : messages) {
    if (m.kind_case() == kind) found.push_back(m);
  }
  return found;
}

inline std::pair<uint64_t, uint64_t> Exchange(CorePair& pair, CoreSide& from,
                                              const std::string& text) {
  auto sent = from.Send(text);
  EXPECT_TRUE(sent.ok());
  pair.Settle();
  auto there = Newest(pair.other(from), control::Message::INCOMING, control::Message::TEXT);
  EXPECT_TRUE(there && there->text() == text);
  return {sent.ok() ? sent->id() : 0, there ? there->id() : 0};
}

}  // namespace inmost::test
