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

  // Registers `sink` for every later event; returns a handle for Unsubscribe. A
  // `present` subscriber (a chat window) makes this person present while it lasts.
  uint64_t Subscribe(Sink sink, bool present = false) {
    uint64_t id = next_id_++;
    sinks_.emplace(id, Subscriber{std::move(sink), present});
    if (present && ++present_count_ == 1) NotifyPresence();
    return id;
  }
  // Stops delivering to the sink registered under `id`; unknown ids are ignored.
  void Unsubscribe(uint64_t id) {
    auto it = sinks_.find(id);
    if (it == sinks_.end()) return;
    bool present = it->second.present;
    sinks_.erase(it);
    if (present && --present_count_ == 0) NotifyPresence();
  }

  // Called whenever presence turns on or off. It may run inside Publish or
  // Unsubscribe, so it must only note the change (post the work), not publish.
  void SetPresenceObserver(std::function<void(bool)> observer) {
    presence_observer_ = std::move(observer);
  }
  bool present() const { return present_count_ > 0; }

  // `hold` may keep an event from the subscribers (quiet hours): it returns true
  // for an event it holds back. Null: every event goes out.
  void SetHold(std::function<bool(const control::Event&)> hold) { hold_ = std::move(hold); }

  // `rewrite` turns each event that goes out into what subscribers read (the core's
  // history ids into message numbers). Null: events go out as published.
  void SetRewrite(std::function<void(control::Event&)> rewrite) { rewrite_ = std::move(rewrite); }

  // Calls every sink with `event`. Sinks must not block; they may unsubscribe.
  void Publish(const control::Event& event) {
    if (hold_ && hold_(event)) return;
    control::Event rewritten;
    if (rewrite_) {
      rewritten = event;
      rewrite_(rewritten);
    }
    const control::Event& out = rewrite_ ? rewritten : event;
    for (auto it = sinks_.begin(); it != sinks_.end();) {
      auto current = it++;  // A sink may unsubscribe itself.
      current->second.sink(out);
    }
  }

  size_t subscriber_count() const { return sinks_.size(); }

 private:
  struct Subscriber {
    Sink sink;
    bool present;
  };
  void NotifyPresence() {
    if (presence_observer_) presence_observer_(present());
  }

  uint64_t next_id_ = 1;
  std::map<uint64_t, Subscriber> sinks_;
  size_t present_count_ = 0;
  std::function<void(bool)> presence_observer_;
  std::function<bool(const control::Event&)> hold_;
  std::function<void(control::Event&)> rewrite_;
};

}  // namespace inmost::core
