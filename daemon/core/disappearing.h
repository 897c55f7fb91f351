// Disappearing messages: the setting both partners share (`config disappear-after`),
// told to the partner and recorded as a line in both histories, and the timer that
// deletes each opened message here, text and file alike, when its time comes. It
// never deletes a message before it was opened, nor keeps one past its time.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/router.h"
#include "daemon/core/timer.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"

namespace inmost::core {

inline constexpr int64_t kMinDisappearAfterMs = 5'000;
inline constexpr int64_t kMaxDisappearAfterMs = 365LL * 24 * 3600 * 1000;

// "off" (0), or a whole number of seconds, minutes, hours or days ("30s", "10m",
// "12h", "7d"), between 5 seconds and a year.
Result<int64_t> ParseDisappearAfter(std::string_view text);
// The setting as ParseDisappearAfter reads it, in the largest whole unit ("1d", "off").
std::string DisappearAfterText(int64_t ms);

class Disappearing {
 public:
  // All references must outlive this object.
  Disappearing(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
               Conversation& conversation, Boundaries& boundaries, const Clock& clock,
               log::Logger& log);

  // Registers the partner's setting changes (peer.Disappearing) with `router`, and
  // hears our own from the boundaries.
  void Register(Router& router);
  // Deletes what fell due while the daemon was down, then wakes for the next.
  void Start();
  void Stop();

 private:
  void OnOwnChange(int64_t ms);
  void OnItem(const peer::Deliver& item);
  // Wakes at `at_unix_ms` unless already due to wake sooner.
  void WakeBy(int64_t at_unix_ms);
  // Deletes every message whose time has come, then sleeps until the next one's.
  void DeleteDue();

  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  Boundaries& boundaries_;
  const Clock& clock_;
  log::Logger& log_;
  Timer timer_;
  int64_t wake_at_ = 0;  // Unix ms the timer waits for (0: not waiting).
  bool stopped_ = true;
};

}  // namespace inmost::core
