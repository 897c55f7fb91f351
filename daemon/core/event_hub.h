// Fans events (message received, delivered, read, link up/down, ...) out to the
// control clients that subscribed. The core publishes; it never knows who listens.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "proto/control.pb.h"

namespace inmost::core {

class EventHub {
 public:
  using Sink = std::function<void(const control::Event&)>;

  // Registers `sink` for every later event; returns a handle for Unsubscribe.
  uint64_t Subscribe(Sink sink) {
    uint64_t id = next_id_++;
    sinks_.emplace(id, std::move(sink));
    return id;
  }
  // Stops delivering to the sink registered under `id`; unknown ids are ignored.
  void Unsubscribe(uint64_t id) { sinks_.erase(id); }

  // Calls every sink with `event`. Sinks must not block; they may unsubscribe.
  void Publish(const control::Event& event) {
    for (auto it = sinks_.begin(); it != sinks_.end();) {
      auto current = it++;  // A sink may unsubscribe itself.
      current->second(event);
    }
  }

  size_t subscriber_count() const { return sinks_.size(); }

 private:
  uint64_t next_id_ = 1;
  std::map<uint64_t, Sink> sinks_;
};

}  // namespace inmost::core
