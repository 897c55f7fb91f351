// Telling copies of one outgoing stream apart. Each start of a daemon that sends
// anything opens a new incarnation of its stream (a random id and the first seq it
// wrote), so a restored, copied or rolled-back store, which goes on from an older
// point under a new id, disagrees with what its partner holds at the first seq the
// two wrote differently. Pure functions over the incarnation lists; no I/O here.
#pragma once

#include <cstdint>
#include <string>

#include "proto/peer.pb.h"

namespace inmost::core {

using Lineage = google::protobuf::RepeatedPtrField<peer::StreamEpoch>;

// Incarnations kept per stream: one per start that sent something. Older ones are
// dropped; seqs they wrote are then taken to agree (a fork older than this many
// starts goes unnoticed).
inline constexpr int kMaxLineageEpochs = 256;
// The size of an incarnation id.
inline constexpr size_t kEpochIdBytes = 16;

// The largest seq s <= min(last_seq, held_seq) such that every seq up to s was
// written by the same incarnation in `mine` (the stream's own list, up to
// `last_seq`) and in `held` (the partner's record of it, up to `held_seq`). The
// stream is consistent with what the partner holds when this equals `held_seq`.
uint64_t AgreedSeq(const Lineage& mine, uint64_t last_seq, const Lineage& held, uint64_t held_seq);

// The lineage of a stream that found itself behind (agreed < held_seq): up to
// `agreed` its own, then the partner's record up to `held_seq` (items this copy
// never wrote, but which are the stream's now). Items after `agreed` that this copy
// wrote move after `held_seq`, under a new incarnation the caller appends.
Lineage Splice(const Lineage& mine, uint64_t agreed, const Lineage& held, uint64_t held_seq);

// Drops the oldest incarnations beyond kMaxLineageEpochs.
void Trim(Lineage& lineage);

// A fresh random incarnation id.
std::string NewEpochId();

}  // namespace inmost::core
