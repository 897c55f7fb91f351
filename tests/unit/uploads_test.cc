// Files put in over the control socket (core/files/uploads.h) and read back
// (DownloadRequest), across a pair with no sockets: an upload takes its chunks in
// order and within its size, is sent plain or in an envelope and then deleted, is
// dropped when cancelled, an hour idle or unsent at a restart, and a sender killed
// mid-transfer goes on from it; a download reads exactly the file's bytes.
#include <gtest/gtest.h>

#include <fstream>

#include "daemon/crypto/file_cipher.h"
#include "daemon/store/data_dir.h"
#include "tests/unit/core_fixture.h"

namespace inmost::test {
namespace {

using control::Attachment;
using control::Message;

std::string Bytes(size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : bytes) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return bytes;
}

class UploadsTest : public CorePairTest {
 protected:
  Result<std::string> Start(const std::string& name, uint64_t size) {
    control::Request request;
    request.mutable_upload()->set_name(name);
    request.mutable_upload()->set_size(size);
    INMOST_ASSIGN_OR_RETURN(control::Response response, a().Call(request));
    EXPECT_EQ(response.upload().chunk_bytes(), crypto::kChunkSize);
    return response.upload().upload_id();
  }
  Result<control::UploadChunkReply> Chunk(const std::string& id, uint64_t index,
                                          const std::string& data) {
    control::Request request;
    request.mutable_upload_chunk()->set_upload_id(id);
    request.mutable_upload_chunk()->set_index(index);
    request.mutable_upload_chunk()->set_data(data);
    INMOST_ASSIGN_OR_RETURN(control::Response response, a().Call(request));
    return response.upload_chunk();
  }
  // Uploads all of `bytes`; the upload's id.
  std::string Upload(const std::string& name, const std::string& bytes) {
    auto id = Start(name, bytes.size());
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    const uint64_t chunks = crypto::ChunkCount(bytes.size());
    for (uint64_t i = 0; i < chunks; ++i) {
      auto reply = Chunk(*id, i, bytes.substr(i * crypto::kChunkSize, crypto::kChunkSize));
      EXPECT_TRUE(reply.ok()) << reply.status().ToString();
      EXPECT_EQ(reply.ok() && reply->complete(), i + 1 == chunks);
    }
    return *id;
  }
  Result<control::SendReply> SendUpload(const std::string& id) {
    control::SendRequest send;
    send.set_upload_id(id);
    return a().Send(send);
  }
  Result<control::Response> Cancel(const std::string& id) {
    control::Request request;
    request.mutable_upload_cancel()->set_upload_id(id);
    return a().Call(request);
  }
  Result<control::DownloadReply> Download(CoreSide& side, uint64_t id, uint64_t offset,
                                          uint32_t max_bytes = 0) {
    control::Request request;
    request.mutable_download()->set_id(id);
    request.mutable_download()->set_offset(offset);
    request.mutable_download()->set_max_bytes(max_bytes);
    INMOST_ASSIGN_OR_RETURN(control::Response response, side.Call(request));
    return response.download();
  }
  // The whole file `id` at `side`, read in parts of `part` bytes.
  std::string DownloadAll(CoreSide& side, uint64_t id, uint32_t part) {
    std::string all;
    while (true) {
      auto reply = Download(side, id, all.size(), part);
      EXPECT_TRUE(reply.ok()) << reply.status().ToString();
      if (!reply.ok()) return all;
      EXPECT_EQ(reply->offset(), all.size());
      all += reply->data();
      if (reply->end()) return all;
    }
  }
  uint64_t ReceivedId() {
    auto history = b().History();
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (it->direction() == Message::INCOMING && it->has_file()) return it->id();
    }
    ADD_FAILURE() << "no file at b";
    return 0;
  }
  Attachment::State StateAt(CoreSide& side, uint64_t id) {
    auto m = side.Message(id);
    return m ? m->file().state() : Attachment::STATE_UNSPECIFIED;
  }
  bool Done(uint64_t id) {
    auto state = StateAt(a(), id);
    return state == Attachment::SENT || state == Attachment::FAILED;
  }
  // Whether a holds nothing of any upload: no blob, no record, no key.
  bool NothingUploaded() {
    std::error_code ec;
    const auto dir = store::DataDir(a().dir()).uploads_path();
    bool empty = std::filesystem::is_empty(dir, ec) || !std::filesystem::exists(dir);
    for (const char* prefix : {"up/", "uk/"}) {
      (void)a().store().ForEach(prefix, [&](std::string_view, std::string_view) {
        empty = false;
        return false;
      });
    }
    return empty;
  }
};

TEST_F(UploadsTest, AnUploadIsSentByteForByteThenDeleted) {
  const std::string bytes = Bytes(6 * crypto::kChunkSize + 321, 1);
  const std::string id = Upload("sea.jpg", bytes);
  auto sent = SendUpload(id);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  // While it is being sent the sender reads it back from the upload.
  EXPECT_EQ(DownloadAll(a(), sent->id(), 100000), bytes);
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENT);
  auto got = b().Message(ReceivedId());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->file().name(), "sea.jpg");
  EXPECT_EQ(got->file().type(), "image/jpeg");
  EXPECT_EQ(DownloadAll(b(), got->id(), 0), bytes);
  EXPECT_EQ(DownloadAll(b(), got->id(), 1000), bytes);
  a().RunUntilIdle();
  EXPECT_TRUE(pair_.SettleUntil([&] { return NothingUploaded(); }));
  // The upload went with its transfer.
  EXPECT_EQ(SendUpload(id).status().code(), Code::kNotFound);
}

TEST_F(UploadsTest, AnUploadGoesInsideAGentleEnvelope) {
  const std::string bytes = Bytes(2 * crypto::kChunkSize + 5, 2);
  control::SendRequest send;
  send.set_upload_id(Upload("note.txt", bytes));
  send.set_gentle(true);
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  const uint64_t at_b = ReceivedId();
  auto sealed = Download(b(), at_b, 0);
  EXPECT_EQ(sealed.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(sealed.status().message().find("sealed"), std::string::npos);
  EXPECT_TRUE(pair_.SettleUntil([&] { return NothingUploaded(); }));
}

TEST_F(UploadsTest, ChunksComeInOrderAndWithinTheSize) {
  const std::string bytes = Bytes(2 * crypto::kChunkSize + 10, 3);
  auto id = Start("f.bin", bytes.size());
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(Chunk(*id, 1, bytes.substr(0, crypto::kChunkSize)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Chunk(*id, 0, bytes.substr(0, 100)).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(Chunk(*id, 0, bytes.substr(0, crypto::kChunkSize)).ok());
  // A chunk sent again is refused; nothing accepted is lost.
  EXPECT_EQ(Chunk(*id, 0, bytes.substr(0, crypto::kChunkSize)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(SendUpload(*id).status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(Chunk(*id, 1, bytes.substr(crypto::kChunkSize, crypto::kChunkSize)).ok());
  // The last chunk is exactly what is left: not one byte more.
  EXPECT_EQ(Chunk(*id, 2, bytes.substr(2 * crypto::kChunkSize) + "x").status().code(),
            Code::kInvalidArgument);
  auto last = Chunk(*id, 2, bytes.substr(2 * crypto::kChunkSize));
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->complete());
  EXPECT_EQ(last->received_bytes(), bytes.size());
  EXPECT_EQ(Chunk(*id, 3, "x").status().code(), Code::kFailedPrecondition);
  // A path and an upload at once is refused.
  control::SendRequest both;
  both.set_upload_id(*id);
  both.set_file_path("/etc/hostname");
  EXPECT_EQ(a().Send(both).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(SendUpload(*id).ok());
}

TEST_F(UploadsTest, BadUploadsAreRefusedClearly) {
  EXPECT_EQ(Start("", 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Start("a/b", 10).status().code(), Code::kInvalidArgument);
  auto huge = Start("huge", CoreOptions().max_file_bytes + 1);
  EXPECT_EQ(huge.status().code(), Code::kInvalidArgument);
  EXPECT_NE(huge.status().message().find("max-file-size"), std::string::npos);
  EXPECT_EQ(Chunk("0123456789abcdef0123456789abcdef", 0, "x").status().code(), Code::kNotFound);
  EXPECT_EQ(Chunk("../../etc/passwd", 0, "x").status().code(), Code::kNotFound);
  EXPECT_EQ(Cancel("nope").status().code(), Code::kNotFound);
  // The daemon keeps serving.
  EXPECT_TRUE(a().Send("still here").ok());
  EXPECT_TRUE(NothingUploaded());
}

TEST_F(UploadsTest, ACancelledUploadLeavesNothing) {
  const std::string bytes = Bytes(3 * crypto::kChunkSize, 4);
  auto id = Start("c", bytes.size());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Chunk(*id, 0, bytes.substr(0, crypto::kChunkSize)).ok());
  ASSERT_TRUE(Cancel(*id).ok());
  a().RunUntilIdle();
  EXPECT_TRUE(NothingUploaded());
  EXPECT_EQ(Chunk(*id, 1, bytes.substr(crypto::kChunkSize, crypto::kChunkSize)).status().code(),
            Code::kNotFound);
}

TEST_F(UploadsTest, AnIdleUploadIsDroppedAfterAnHour) {
  auto id = Start("idle", 2 * crypto::kChunkSize);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Chunk(*id, 0, std::string(crypto::kChunkSize, 'x')).ok());
  pair_.Advance(std::chrono::minutes(59));
  a().RunUntilIdle();
  // A chunk restarts the hour.
  ASSERT_TRUE(Chunk(*id, 1, std::string(crypto::kChunkSize, 'y')).ok());
  pair_.Advance(std::chrono::minutes(59));
  a().RunUntilIdle();
  EXPECT_FALSE(NothingUploaded());
  pair_.Advance(std::chrono::minutes(2));
  ASSERT_TRUE(a().RunUntil([&] { return NothingUploaded(); }));
  EXPECT_EQ(SendUpload(*id).status().code(), Code::kNotFound);
}

TEST_F(UploadsTest, AnUnsentUploadDoesNotOutliveARestart) {
  const std::string done = Upload("done", Bytes(100, 5));
  auto partial = Start("partial", 2 * crypto::kChunkSize);
  ASSERT_TRUE(partial.ok());
  ASSERT_TRUE(Chunk(*partial, 0, std::string(crypto::kChunkSize, 'x')).ok());
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  a().RunUntilIdle();
  EXPECT_TRUE(a().RunUntil([&] { return NothingUploaded(); }));
  EXPECT_EQ(SendUpload(done).status().code(), Code::kNotFound);
}

TEST_F(UploadsTest, AKilledSenderGoesOnFromTheUpload) {
  const std::string bytes = Bytes(12 * crypto::kChunkSize + 9, 6);
  auto sent = SendUpload(Upload("k", bytes));
  ASSERT_TRUE(sent.ok());
  a().RunUntilIdle();
  pair_.Flow(a());
  b().RunUntilIdle();
  pair_.Flow(b());
  a().RunUntilIdle();
  pair_.LinkDown();
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  EXPECT_FALSE(NothingUploaded());  // The transfer still needs it.
  pair_.LinkUp();
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  EXPECT_EQ(StateAt(a(), sent->id()), Attachment::SENT);
  EXPECT_EQ(DownloadAll(b(), ReceivedId(), 0), bytes);
  EXPECT_TRUE(pair_.SettleUntil([&] { return NothingUploaded(); }));
}

TEST_F(UploadsTest, DownloadsSayWhyTheyCannotRead) {
  auto text = a().Send("just words");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(Download(a(), text->id(), 0).status().code(), Code::kFailedPrecondition);
  const std::string bytes = Bytes(1000, 7);
  auto sent = SendUpload(Upload("small", bytes));
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(pair_.SettleUntil([&] { return Done(sent->id()); }));
  const uint64_t at_b = ReceivedId();
  EXPECT_EQ(Download(b(), at_b, 1001).status().code(), Code::kInvalidArgument);
  auto at_end = Download(b(), at_b, 1000);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->end());
  EXPECT_TRUE(at_end->data().empty());
  // The sender no longer has a file it finished sending from an upload.
  EXPECT_EQ(Download(a(), sent->id(), 0).status().code(), Code::kFailedPrecondition);
  // A damaged chunk is an error, never data.
  auto got = b().Message(at_b);
  ASSERT_TRUE(got);
  std::filesystem::path blob;
  for (const auto& f : std::filesystem::directory_iterator(b().files_path())) blob = f.path();
  ASSERT_FALSE(blob.empty());
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(40);
    f.get(c);
    f.seekp(40);
    f.put(static_cast<char>(c ^ 1));
  }
  auto damaged = Download(b(), at_b, 0);
  EXPECT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace inmost::test
