#include "daemon/config/reload.h"

namespace inmost::config {

ReloadPlan PlanReload(const Command& running, const Command& reread) {
  ReloadPlan plan;
  plan.log_level = reread.log_level;
  plan.advertise = reread.daemon.advertise;
  plan.quiet_hours = reread.daemon.quiet_hours;
  const DaemonOptions& a = running.daemon;
  const DaemonOptions& b = reread.daemon;
  auto note = [&](bool changed, const char* option) {
    if (changed) plan.needs_restart.emplace_back(option);
  };
  note(a.data_dir != b.data_dir, "data-dir");
  note(a.listen != b.listen, "listen");
  note(a.link.proxy != b.link.proxy, "proxy");
  note(a.tor.mode != b.tor.mode, "tor");
  note(a.tor.control != b.tor.control, "tor-control");
  note(a.tor.torrc != b.tor.torrc, "tor-torrc");
  note(a.tor.only != b.tor.only, "tor-only");
  note(a.link.keepalive_interval != b.link.keepalive_interval, "keepalive-ms");
  note(a.link.dead_after != b.link.dead_after, "dead-after-ms");
  note(a.link.backoff_max != b.link.backoff_max, "backoff-max-ms");
  note(a.link.rehandshake_after != b.link.rehandshake_after, "rehandshake-s");
  note(a.max_file_bytes != b.max_file_bytes, "max-file-size");
  note(a.file_quota_bytes != b.file_quota_bytes, "file-quota");
  note(a.transfer_rate_bytes_per_second != b.transfer_rate_bytes_per_second, "transfer-rate");
  const core::IncomingLimits& x = a.incoming;
  const core::IncomingLimits& y = b.incoming;
  note(x.items_per_hour != y.items_per_hour, "incoming-items-per-hour");
  note(x.bytes_per_hour != y.bytes_per_hour, "incoming-bytes-per-hour");
  note(x.unread_items != y.unread_items, "incoming-unread-items");
  note(x.unread_bytes != y.unread_bytes, "incoming-unread-bytes");
  return plan;
}

}  // namespace inmost::config
