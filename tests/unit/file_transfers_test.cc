// File transfers across a pair with no sockets (test_files.py end to end): a file
// arrives byte for byte, resumes from what the recipient synced after either side
// is killed, is refused at the exact size limits, fails on both sides when it
// changes while sent, opens inside an envelope only with its key, and never keeps
// a text waiting behind its chunks.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/file_cipher.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Attachment;
using control::Message;
using peer::PeerMessage;

std::string Bytes(size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : bytes) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return bytes;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FilesTest : public ::testing::Test {
 protected:
  explicit FilesTest(CoreOptions b_options = {}) : pair_(CoreOptions(), std::move(b_options)) {}
  void SetUp() override {
    ASSERT_TRUE(pair_.Open().ok());
    pair_.LinkUp();
  }
  CoreSide& a() { return pair_.a(); }
  CoreSide& b() { return pair_.b(); }

  // A file of `size` bytes in the test's own directory.
  std::filesystem::path Write(const std::string& name, const std::string& bytes) {
    auto path = files_.path() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  Result<control::SendReply> SendFile(const std::filesystem::path& path,
                                      const std::string& caption = "") {
    control::SendRequest send;
    send.set_file_path(path.string());
    send.set_text(caption);
    return a().Send(send);
  }
  Attachment::State StateAt(CoreSide& side, uint64_t id) {
    auto m = side.Message(id);
    return m ? m->file().state() : Attachment::STATE_UNSPECIFIED;
  }
  // b's newest incoming entry with a file.
  Message Received() {
    auto history = b().History();
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (it->direction() == Message::INCOMING && it->has_file()) return *it;
    }
    ADD_FAILURE() << "no file at b";
    return Message();
  }
  bool Done(uint64_t id) {
    auto state = StateAt(a(), id);
    return state == Attachment::SENT || state == Attachment::FAILED;
  }
  Result<control::Response> Save(uint64_t id, const std::filesystem::path& to) {
    control::Request request;
    request.mutable_save()->set_id(id);
    request.mutable_save()->set_to(to.string());
    return b().Call(request);
  }
  control::Transfer TransferAt(CoreSide& side, uint64_t id) {
    control::Request request;
    request.mutable_transfers();
    auto reply = side.Call(request);
    if (reply.ok()) {
      for (const auto& t : reply->transfers().transfers()) {
        if (t.id() == id) return t;
      }
    }
    ADD_FAILURE() << "no transfer " << id << " at " << side.name();
    return control::Transfer();
  }
  // Steps the pair until a has sent its first chunks (and b holds the offer).
  void StartTransfer() {
    a().RunUntilIdle();
    pair_.Flow(a());  // The offer: b stores it and asks for the chunks.
    b().RunUntilIdle();
    pair_.Flow(b());
    a().RunUntilIdle();
  }
  // Hands b the first `chunks` of a's queued chunks (and everything else a sent),
  // dropping the rest, as a session that ends mid-transfer would; then waits until
  // b has synced them.
  void FlowChunks(size_t chunks) {
    const size_t wanted = chunks;
    for (const auto& m : a().channel().Take()) {
      if (m.has_file_chunk() && chunks == 0) continue;
      if (m.has_file_chunk()) --chunks;
      b().Receive(m);
    }
    ASSERT_EQ(chunks, 0u) << "a sent fewer chunks";
    uint64_t id = Received().id();
    b().RunUntil([&] {
      control::TransfersReply transfers = b()->files.Transfers();
      for (const auto& t : transfers.transfers()) {
        if (t.id() == id) return t.chunks_done() >= wanted;
      }
      return false;
    });
    b().RunUntilIdle();  // What was synced is recorded.
  }

  TempDir files_;
  CorePair pair_;
};

TEST_F(FilesTest, AFileArrivesByteForByteAndIsSavedUnderItsName) {
  const std::string bytes = Bytes(5 * crypto::kChunkSize + 123, 1);
  auto sent = SendFile(Write("photo.jpg", bytes), "the sea");
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENT);
  Message got = Received();
  EXPECT_EQ(got.kind(), Message::FILE);
  EXPECT_EQ(got.text(), "the sea");
  EXPECT_EQ(got.file().name(), "photo.jpg");
  EXPECT_EQ(got.file().size(), bytes.size());
  EXPECT_EQ(got.file().state(), Attachment::RECEIVED);
  TempDir out;
  auto saved = Save(got.id(), out.path());
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->save().path(), (out.path() / "photo.jpg").string());
  EXPECT_EQ(ReadAll(out.path() / "photo.jpg"), bytes);
  EXPECT_EQ(TransferAt(b(), got.id()).chunks_duplicate(), 0u);
  // Saving never overwrites.
  EXPECT_FALSE(Save(got.id(), out.path() / "photo.jpg").ok());
}

// ---- view once (view_once.h) -------------------------------------------------------

TEST_F(FilesTest, AViewOnceFileIsViewedOnceThenDestroyedOnBothSides) {
  const std::string bytes = "marker-once-file" + Bytes(5 * crypto::kChunkSize, 12);
  control::SendRequest send;
  send.set_file_path(Write("once.png", bytes).string());
  send.set_view_once(true);
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  Message got = Received();
  ASSERT_EQ(got.view_once(), Message::NOT_VIEWED);
  ASSERT_EQ(got.file().state(), Attachment::RECEIVED);
  auto entry = b()->conversation.Entry(got.id());
  ASSERT_TRUE(entry.ok());
  const std::string key_name = "vk/f/" + entry->file().transfer_id();
  auto key = b().store().GetSecret(key_name);
  ASSERT_TRUE(key.ok()) << "the key is where backups never look";
  const std::string key_bytes(reinterpret_cast<const char*>(key->data()), key->size());
  const auto blob =
      b().files_path() / (crypto::ToHex(crypto::AsBytes(entry->file().transfer_id())) + ".once");
  ASSERT_TRUE(std::filesystem::exists(blob));

  TempDir out;
  EXPECT_EQ(Save(got.id(), out.path()).status().code(), Code::kFailedPrecondition);
  control::Request download;
  download.mutable_download()->set_id(got.id());
  EXPECT_EQ(b().Call(download).status().code(), Code::kFailedPrecondition);

  std::string seen;
  control::Request view;
  view.mutable_view()->set_id(got.id());
  for (bool end = false; !end;) {
    view.mutable_view()->set_offset(seen.size());
    auto piece = b().Call(view);
    ASSERT_TRUE(piece.ok()) << piece.status().ToString();
    seen += piece->view().file().data();
    end = piece->view().file().end();
    EXPECT_EQ(piece->view().message().view_once(), end ? Message::VIEWED : Message::NOT_VIEWED);
  }
  EXPECT_EQ(seen, bytes);
  view.mutable_view()->set_offset(0);
  EXPECT_EQ(b().Call(view).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(b().store().GetSecret(key_name).status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(blob));
  pair_.Settle();
  EXPECT_EQ(a().Message(sent->id())->view_once(), Message::VIEWED);
  for (CoreSide* side : {&a(), &b()}) {
    EXPECT_TRUE(StoreLacks(*side, "marker-once-file")) << side->name();
    EXPECT_TRUE(StoreLacks(*side, key_bytes)) << side->name();
  }
}

TEST_F(FilesTest, AViewOnceItemWaitsApartAndARestoredCopySendsItAsUnavailable) {
  pair_.LinkDown();
  control::SendRequest send;
  send.set_text("marker-apart");
  send.set_view_once(true);
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  // The outbox index names the item; the item (key and body) is under vk/o/.
  const uint64_t seq = a()->conversation.Entry(sent->id())->seq();
  auto index_bytes = a().store().Get(core::OutgoingKey(seq));
  ASSERT_TRUE(index_bytes.ok());
  records::OutgoingIndex index;
  ASSERT_TRUE(index.ParseFromString(*index_bytes));
  EXPECT_TRUE(index.item().empty());
  ASSERT_EQ(index.apart_id().size(), 16u);
  const std::string apart = core::ApartItemKey(index.apart_id());
  ASSERT_TRUE(a().store().Get(apart).ok());
  // As a copy restored from a backup, which never holds it.
  store::SealedStore::WriteBatch batch(a().store());
  batch.Delete(apart);
  ASSERT_TRUE(a().store().Write(batch).ok());
  ASSERT_TRUE(a().Restart(/*crash=*/false).ok());
  pair_.LinkUp();
  pair_.Settle();
  auto notice = Newest(b(), Message::INCOMING, Message::NOTICE);
  ASSERT_TRUE(notice.has_value());
  EXPECT_NE(notice->text().find("a view-once message"), std::string::npos) << notice->text();
  EXPECT_EQ(a().Message(sent->id())->state(), Message::DELIVERED);
}

TEST_F(FilesTest, ATextIsNeverQueuedBehindMoreThanAFewChunks) {
  auto sent = SendFile(Write("big", Bytes(40 * crypto::kChunkSize, 2)));
  ASSERT_TRUE(sent.ok());
  StartTransfer();
  ASSERT_TRUE(a().Send("a text meanwhile").ok());
  size_t before_text = 0;
  for (const auto& m : a().channel().sent()) {
    if (m.has_deliver() && m.deliver().text() == "a text meanwhile") break;
    before_text += m.has_file_chunk() ? 1 : 0;
  }
  EXPECT_GT(before_text, 0u);
  EXPECT_LE(before_text, 4u);
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENT);
}

TEST_F(FilesTest, AKilledSenderResumesFromWhatTheRecipientSynced) {
  const std::string bytes = Bytes(12 * crypto::kChunkSize, 3);
  auto sent = SendFile(Write("f", bytes));
  ASSERT_TRUE(sent.ok());
  StartTransfer();
  FlowChunks(3);
  uint64_t at_b = Received().id();
  pair_.LinkDown();
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  pair_.LinkUp();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENT);
  control::Transfer there = TransferAt(b(), at_b);
  EXPECT_EQ(there.chunks_duplicate(), 0u);
  EXPECT_EQ(TransferAt(a(), sent->id()).chunks_at_start(), 3u);
  TempDir out;
  ASSERT_TRUE(Save(at_b, out.path() / "f").ok());
  EXPECT_EQ(ReadAll(out.path() / "f"), bytes);
}

TEST_F(FilesTest, AKilledRecipientResumesFromWhatItSynced) {
  const std::string bytes = Bytes(10 * crypto::kChunkSize + 7, 4);
  auto sent = SendFile(Write("g", bytes));
  ASSERT_TRUE(sent.ok());
  StartTransfer();
  FlowChunks(4);
  uint64_t at_b = Received().id();
  pair_.LinkDown();
  ASSERT_TRUE(b().Restart(/*crash=*/true).ok());
  EXPECT_EQ(TransferAt(b(), at_b).chunks_at_start(), 4u);
  pair_.LinkUp();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(Received().file().state(), Attachment::RECEIVED);
  EXPECT_EQ(TransferAt(b(), at_b).chunks_duplicate(), 0u);
  TempDir out;
  ASSERT_TRUE(Save(at_b, out.path() / "g").ok());
  EXPECT_EQ(ReadAll(out.path() / "g"), bytes);
}

TEST_F(FilesTest, AFileChangedWhileSentFailsOnBothSides) {
  auto path = Write("changing", Bytes(30 * crypto::kChunkSize, 5));
  auto sent = SendFile(path);
  ASSERT_TRUE(sent.ok());
  std::ofstream(path, std::ios::binary | std::ios::app) << "more";
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::FAILED);
  ASSERT_TRUE(pair_.SettleUntil([&] { return Received().file().state() == Attachment::FAILED; }));
  EXPECT_FALSE(Received().file().error().empty());
  EXPECT_EQ(ReadAll(path).size(), 30 * crypto::kChunkSize + 4);  // Never touched.
}

TEST_F(FilesTest, AGentleFileOpensOnlyWithItsKey) {
  const std::string bytes = Bytes(3 * crypto::kChunkSize, 6);
  control::SendRequest send;
  send.set_file_path(Write("secret.png", bytes).string());
  send.set_gentle(true);
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  Message sealed = Received();
  EXPECT_EQ(sealed.kind(), Message::ENVELOPE);
  EXPECT_EQ(sealed.file().name(), "");
  TempDir out;
  EXPECT_FALSE(Save(sealed.id(), out.path() / "x").ok());
  control::Request open;
  open.mutable_open()->set_id(sealed.id());
  ASSERT_TRUE(b().Call(open).ok());
  ASSERT_TRUE(pair_.SettleUntil([&] { return Received().file().name() == "secret.png"; }));
  ASSERT_TRUE(Save(sealed.id(), out.path()).ok());
  EXPECT_EQ(ReadAll(out.path() / "secret.png"), bytes);
}

TEST_F(FilesTest, AFileWhoseEnvelopeIsWithdrawnIsDiscardedOnBothSides) {
  control::SendRequest send;
  send.set_file_path(Write("gone", Bytes(2 * crypto::kChunkSize, 7)).string());
  send.set_gentle(true);
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  control::Request retract;
  retract.mutable_retract()->set_id(sent->id());
  ASSERT_TRUE(a().Call(retract).ok());
  pair_.Settle();
  EXPECT_EQ(Received().envelope().state(), Message::Envelope::WITHDRAWN);
  EXPECT_TRUE(std::filesystem::is_empty(b().files_path()));
}

TEST_F(FilesTest, ChunksArrivingOnAFullDiskAreTakenAgainOnceThereIsRoom) {
  const std::string bytes = Bytes(10 * crypto::kChunkSize, 12);
  auto sent = SendFile(Write("h", bytes));
  ASSERT_TRUE(sent.ok());
  StartTransfer();
  {
    DiskLimit full;  // b can store neither the chunks nor that it gave the file up.
    pair_.Flow(a());
    b().RunUntilIdle();
    pair_.Settle();
  }
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENDING);
  // The next thing to reach b's conversation finds its store readable again: the
  // transfer goes on from what b synced, and texts go on too.
  ASSERT_TRUE(a().Send("still talking").ok());
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENT);
  EXPECT_EQ(b().Texts(Message::INCOMING).back(), "still talking");
  TempDir out;
  ASSERT_TRUE(Save(Received().id(), out.path() / "h").ok());
  EXPECT_EQ(ReadAll(out.path() / "h"), bytes);
}

class FileLimitsTest : public FilesTest {
 protected:
  FileLimitsTest() : FilesTest(Limits()) {}
  static CoreOptions Limits() {
    CoreOptions options;
    options.max_file_bytes = 3 * crypto::kChunkSize;
    options.file_quota_bytes = 4 * crypto::kChunkSize;
    return options;
  }
};

TEST_F(FileLimitsTest, TheRecipientsLargestFileHoldsToTheByte) {
  EXPECT_EQ(a()->boundaries.partner_max_file_bytes(), 3 * crypto::kChunkSize);
  auto over = SendFile(Write("over", Bytes(3 * crypto::kChunkSize + 1, 8)));
  EXPECT_EQ(over.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(over.status().message().find("larger than your partner's daemon accepts"),
            std::string::npos);
  auto exact = SendFile(Write("exact", Bytes(3 * crypto::kChunkSize, 9)));
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(exact->id()); }));
  EXPECT_EQ(StateAt(a(), exact->id()), Attachment::SENT);
}

TEST_F(FileLimitsTest, TheRecipientsQuotaRefusesWhatWouldNotFit) {
  auto first = SendFile(Write("first", Bytes(3 * crypto::kChunkSize, 10)));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(first->id()); }));
  auto second = SendFile(Write("second", Bytes(2 * crypto::kChunkSize, 11)));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(second->id()); }));
  EXPECT_EQ(StateAt(a(), second->id()), Attachment::FAILED);
  EXPECT_NE(a().Message(second->id())->file().error().find("no room"), std::string::npos);
  EXPECT_EQ(Received().file().state(), Attachment::FAILED);
  // Texts go on.
  ASSERT_TRUE(a().Send("after the refusal").ok());
  pair_.Settle();
  EXPECT_EQ(b().Texts(Message::INCOMING).back(), "after the refusal");
}

}  // namespace
}  // namespace inmost::test
