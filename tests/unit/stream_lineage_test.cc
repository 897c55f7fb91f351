#include "daemon/core/stream_lineage.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

namespace inmost::core {
namespace {

Lineage Make(std::initializer_list<std::pair<const char*, uint64_t>> epochs) {
  Lineage lineage;
  for (const auto& [id, first] : epochs) {
    auto* e = lineage.Add();
    e->set_id(id);
    e->set_first_seq(first);
  }
  return lineage;
}

TEST(StreamLineage, AStreamAgreesWithWhatThePartnerHoldsOfIt) {
  Lineage mine = Make({{"A", 1}, {"B", 5}, {"C", 9}});
  // The partner has seen the first two incarnations and up to seq 8.
  EXPECT_EQ(AgreedSeq(mine, 12, Make({{"A", 1}, {"B", 5}}), 8), 8u);
  // It holds less than was written (messages in flight): still agreed.
  EXPECT_EQ(AgreedSeq(mine, 12, Make({{"A", 1}}), 3), 3u);
  // A new pair: nothing on either side.
  EXPECT_EQ(AgreedSeq(Lineage(), 0, Lineage(), 0), 0u);
}

TEST(StreamLineage, ARestoredCopyIsBehindWhatThePartnerHolds) {
  // The backup was made at seq 1 while incarnation A ran; A went on to seq 3.
  Lineage held = Make({{"A", 1}});
  // The restored copy holds A up to seq 1 only.
  EXPECT_EQ(AgreedSeq(Make({{"A", 1}}), 1, held, 3), 1u);
  // ... and once it wrote seq 2 under its own new incarnation, it still agrees only
  // up to 1: seq 2 is not the seq 2 the partner holds.
  EXPECT_EQ(AgreedSeq(Make({{"A", 1}, {"R", 2}}), 2, held, 3), 1u);
  // Even when it wrote as many items as the partner holds.
  EXPECT_EQ(AgreedSeq(Make({{"A", 1}, {"R", 2}}), 3, held, 3), 1u);
}

TEST(StreamLineage, ACopyMadeWhileRunningDivergesAtItsFirstOwnSeq) {
  // Original: A from 1, then restarted as B at 4 and wrote to 7 (partner holds 7).
  Lineage held = Make({{"A", 1}, {"B", 4}});
  // The copy was taken while B ran at seq 5; it starts as C and writes 6.
  EXPECT_EQ(AgreedSeq(Make({{"A", 1}, {"B", 4}, {"C", 6}}), 6, held, 7), 5u);
}

TEST(StreamLineage, ListsThatNoLongerReachBackCannotDisagreeThere) {
  // The partner's record was trimmed to the last incarnation only.
  EXPECT_EQ(AgreedSeq(Make({{"A", 1}, {"B", 10}}), 20, Make({{"B", 10}}), 15), 15u);
  EXPECT_EQ(AgreedSeq(Make({{"A", 1}, {"X", 10}}), 20, Make({{"B", 10}}), 15), 9u);
}

TEST(StreamLineage, SpliceTakesThePartnersRecordForWhatTheCopyMissed) {
  Lineage held = Make({{"A", 1}, {"B", 4}});
  Lineage mine = Make({{"A", 1}, {"B", 4}, {"C", 6}});
  Lineage spliced = Splice(mine, 5, held, 7);
  // A and B as both knew them; C's items move after 7 under a new incarnation
  // that the caller appends.
  ASSERT_EQ(spliced.size(), 2);
  EXPECT_EQ(spliced[0].id(), "A");
  EXPECT_EQ(spliced[1].id(), "B");
  EXPECT_EQ(spliced[1].first_seq(), 4u);
  EXPECT_EQ(AgreedSeq(spliced, 7, held, 7), 7u);
}

TEST(StreamLineage, SpliceAddsTheIncarnationsTheCopyNeverSaw) {
  // The original restarted twice after the backup (B at 3, C at 6).
  Lineage held = Make({{"A", 1}, {"B", 3}, {"C", 6}});
  Lineage mine = Make({{"A", 1}, {"R", 3}});
  Lineage spliced = Splice(mine, 2, held, 8);
  ASSERT_EQ(spliced.size(), 3);
  EXPECT_EQ(spliced[1].id(), "B");
  EXPECT_EQ(spliced[1].first_seq(), 3u);
  EXPECT_EQ(spliced[2].id(), "C");
  EXPECT_EQ(AgreedSeq(spliced, 8, held, 8), 8u);
}

TEST(StreamLineage, SpliceStartsThePartnersIncarnationAfterTheAgreedSeq) {
  // The partner's X started before the agreed point but differs after it.
  Lineage held = Make({{"A", 1}, {"X", 2}});
  Lineage mine = Make({{"A", 1}, {"Y", 4}});
  // Here A wrote 1..3; there A wrote only 1 and X went on from 2.
  EXPECT_EQ(AgreedSeq(mine, 5, held, 6), 1u);
  Lineage spliced = Splice(mine, 1, held, 6);
  ASSERT_EQ(spliced.size(), 2);
  EXPECT_EQ(spliced[1].id(), "X");
  EXPECT_EQ(spliced[1].first_seq(), 2u);
  EXPECT_EQ(AgreedSeq(spliced, 6, held, 6), 6u);
}

TEST(StreamLineage, TrimKeepsTheNewest) {
  Lineage lineage;
  for (int i = 0; i < kMaxLineageEpochs + 10; ++i) {
    auto* e = lineage.Add();
    e->set_id(std::to_string(i));
    e->set_first_seq(static_cast<uint64_t>(i) + 1);
  }
  Trim(lineage);
  ASSERT_EQ(lineage.size(), kMaxLineageEpochs);
  EXPECT_EQ(lineage[0].id(), "10");
}

TEST(StreamLineage, NewIdsAreRandomAndFullSize) {
  std::string a = NewEpochId();
  std::string b = NewEpochId();
  EXPECT_EQ(a.size(), kEpochIdBytes);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace inmost::core
