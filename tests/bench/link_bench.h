// scripts/bench's figures of two paired daemons on loopback (issue 24): durable
// messages per second at a number of sends in flight, one message's latency, a due
// envelope's, the Noise KK handshake's CPU, a bot's pipelined JSON-RPC sends, memory;
// each beside the ceiling model or primitive that bounds it. It asserts nothing.
#pragma once

#include <string>
#include <vector>

#include "tests/bench/figures.h"

namespace inmost::bench {

inline constexpr size_t kMessageBytes = 256;

// The name of the durable-rate figure of `who` ("model" or "inmost") at `in_flight`.
std::string DurableRateName(const std::string& who, int in_flight);

struct LinkBudget {
  int latency_samples;        // Messages sent one at a time on an idle link.
  double throughput_seconds;  // How long sends are posted for a rate.
  double model_seconds;       // How long each model run lasts.
  int pipelined;              // Sends in flight for the headline rate.
};

// One repetition of the model at 1 and at `budget.pipelined` in flight: run before
// inmost's figures, which it bounds.
void MeasureModel(const LinkBudget& budget, Figures& figures);

// One repetition of the link's figures, with two new daemons.
void MeasureLink(const std::string& inmostd, const LinkBudget& budget, Figures& figures);

// One repetition of the sweep (the plot): the model's and inmost's durable rates at
// each number in flight.
void MeasureSweep(const std::string& inmostd, const LinkBudget& budget,
                  const std::vector<int>& in_flight, Figures& figures);

}  // namespace inmost::bench
