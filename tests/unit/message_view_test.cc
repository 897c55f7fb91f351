// How a history entry looks to control clients (daemon/core/message_view.h): here, that
// a received file still sealed shows only a rounded size, and its exact one once open.
// Built from records by hand: no store, no partner.
#include "daemon/core/message_view.h"

#include <gtest/gtest.h>

namespace inmost {
namespace {

using records::EnvelopeRecord;
using records::HistoryEntry;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;

TEST(SealedFileSize, RoundsUpToAPowerOfTwoFromOneKiB) {
  EXPECT_EQ(core::SealedFileSize(0), kKiB);
  EXPECT_EQ(core::SealedFileSize(11), kKiB);
  EXPECT_EQ(core::SealedFileSize(kKiB), kKiB);
  EXPECT_EQ(core::SealedFileSize(kKiB + 1), 2 * kKiB);
  EXPECT_EQ(core::SealedFileSize(2 * kMiB + 7), 4 * kMiB);
  EXPECT_EQ(core::SealedFileSize(uint64_t{1} << 63), uint64_t{1} << 63);
  // Beyond the largest power of two there is nothing to round up to.
  EXPECT_EQ(core::SealedFileSize(UINT64_MAX), UINT64_MAX);
}

// A file of `size` bytes, `chunks_done` of 64 KiB each stored, inside a sealed
// envelope in `state`.
HistoryEntry SealedFile(HistoryEntry::Direction direction, EnvelopeRecord::State state,
                        uint64_t size, uint64_t chunks_done) {
  HistoryEntry entry;
  entry.set_id(16);
  entry.set_direction(direction);
  entry.mutable_envelope()->set_kind(EnvelopeRecord::SEALED);
  entry.mutable_envelope()->set_state(state);
  records::FileRecord* file = entry.mutable_file();
  file->set_size(size);
  file->set_chunk_size(64 * kKiB);
  file->set_chunks_done(chunks_done);
  file->set_state(chunks_done * 64 * kKiB >= size ? control::Attachment::RECEIVED
                                                  : control::Attachment::RECEIVING);
  return entry;
}

TEST(MessageView, AReceivedSealedFileShowsOnlyItsRoundedSize) {
  // 11 bytes, all in: "1.0 KiB" until it opens, never "11 B".
  control::Message view =
      core::MessageView(SealedFile(HistoryEntry::INCOMING, EnvelopeRecord::WITHHELD, 11, 1), false);
  EXPECT_EQ(view.file().size(), kKiB);
  EXPECT_EQ(view.file().bytes_done(), kKiB);
  // Half of 3 MiB in: half of the 4 MiB shown, so the progress stays true.
  view = core::MessageView(
      SealedFile(HistoryEntry::INCOMING, EnvelopeRecord::RELEASED, 3 * kMiB, 24), false);
  EXPECT_EQ(view.file().size(), 4 * kMiB);
  EXPECT_EQ(view.file().bytes_done(), 2 * kMiB);
  // Withdrawn before it opened: it never will, and stays rounded.
  view = core::MessageView(SealedFile(HistoryEntry::INCOMING, EnvelopeRecord::WITHDRAWN, 11, 1),
                           false);
  EXPECT_EQ(view.file().size(), kKiB);
}

TEST(MessageView, AnOpenedOrOwnSealedFileShowsItsExactSize) {
  control::Message view =
      core::MessageView(SealedFile(HistoryEntry::INCOMING, EnvelopeRecord::OPENED, 11, 1), false);
  EXPECT_EQ(view.file().size(), 11u);
  EXPECT_EQ(view.file().bytes_done(), 11u);
  // The sender knows what it sent.
  view = core::MessageView(
      SealedFile(HistoryEntry::OUTGOING, EnvelopeRecord::WITHHELD, 3 * kMiB, 24), false);
  EXPECT_EQ(view.file().size(), 3 * kMiB);
  EXPECT_EQ(view.file().bytes_done(), 24 * 64 * kKiB);
  // A file outside any envelope, as sent.
  HistoryEntry plain = SealedFile(HistoryEntry::INCOMING, EnvelopeRecord::WITHHELD, 11, 1);
  plain.clear_envelope();
  EXPECT_EQ(core::MessageView(plain, false).file().size(), 11u);
}

}  // namespace
}  // namespace inmost
