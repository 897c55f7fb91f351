// The CLI side of files: sizes, progress bars, attachments in history and chat, the
// lines of `inmost transfers`, and `send --file`, `answer --file`, `save` and
// `transfers` against a fake daemon.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cli/file_arg.h"
#include "cli/file_format.h"
#include "cli/message_format.h"
#include "cli/text_format.h"
#include "tests/unit/cli_test_fixture.h"
#include "tests/unit/temp_dir.h"

namespace inmost {
namespace {

using control::Attachment;
using control::Message;
using control::Request;
using control::Response;
using test::UtcTest;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

Attachment File(std::string name, uint64_t size, uint64_t done, Attachment::State state,
                std::string type = "image/jpeg") {
  Attachment file;
  file.set_name(std::move(name));
  file.set_type(std::move(type));
  file.set_size(size);
  file.set_bytes_done(done);
  file.set_state(state);
  return file;
}

Message FileMessage(uint64_t id, Message::Direction direction, Message::State state,
                    Attachment file, std::string caption = "") {
  Message message;
  message.set_id(id);
  message.set_direction(direction);
  message.set_state(state);
  message.set_kind(Message::FILE);
  message.set_text(std::move(caption));
  message.set_sent_at_unix_ms(kNow);
  if (direction == Message::INCOMING) message.set_received_at_unix_ms(kNow);
  *message.mutable_file() = std::move(file);
  return message;
}

std::string Format(const Message& message) {
  return cli::FormatMessage(message, cli::kDateTimeFormat, kNow);
}

TEST(CliFileFormat, Bytes) {
  EXPECT_EQ(cli::FormatBytes(0), "0 B");
  EXPECT_EQ(cli::FormatBytes(1), "1 B");
  EXPECT_EQ(cli::FormatBytes(1023), "1023 B");
  EXPECT_EQ(cli::FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(cli::FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(cli::FormatBytes(1996), "1.9 KiB");      // 1.949...
  EXPECT_EQ(cli::FormatBytes(2047), "2.0 KiB");      // 1.999 rounds up a whole
  EXPECT_EQ(cli::FormatBytes(kMiB - 1), "1.0 MiB");  // Not "1024.0 KiB".
  EXPECT_EQ(cli::FormatBytes(kMiB), "1.0 MiB");
  EXPECT_EQ(cli::FormatBytes(2516582), "2.4 MiB");
  EXPECT_EQ(cli::FormatBytes(256 * kMiB), "256.0 MiB");
  EXPECT_EQ(cli::FormatBytes(4 * kGiB), "4.0 GiB");
  EXPECT_EQ(cli::FormatBytes(20 * kGiB + 400 * kMiB), "20.4 GiB");
  EXPECT_EQ(cli::FormatBytes(3 * 1024 * kGiB), "3.0 TiB");
  EXPECT_EQ(cli::FormatBytes(UINT64_MAX), "16777216.0 TiB");
}

TEST(CliFileFormat, PercentAndBar) {
  EXPECT_EQ(cli::PercentDone(0, 100), 0);
  EXPECT_EQ(cli::PercentDone(37, 100), 37);
  EXPECT_EQ(cli::PercentDone(999, 1000), 99);  // Only done is 100.
  EXPECT_EQ(cli::PercentDone(1000, 1000), 100);
  EXPECT_EQ(cli::PercentDone(0, 0), 100);  // An empty file has all of itself.
  EXPECT_EQ(cli::PercentDone(UINT64_MAX - 1, UINT64_MAX), 99);
  EXPECT_EQ(cli::PercentDone(UINT64_MAX / 2, UINT64_MAX), 49);
  EXPECT_EQ(cli::ProgressBar(0, 100), "[..........]");
  EXPECT_EQ(cli::ProgressBar(37, 100), "[###.......]");
  EXPECT_EQ(cli::ProgressBar(50, 100), "[#####.....]");
  EXPECT_EQ(cli::ProgressBar(99, 100), "[#########.]");
  EXPECT_EQ(cli::ProgressBar(100, 100), "[##########]");
  EXPECT_EQ(cli::ProgressBar(0, 0), "[##########]");
  EXPECT_EQ(cli::ProgressBar(1, 4, 4), "[#...]");
}

TEST(CliFileFormat, NamesAreSafeAndShort) {
  EXPECT_EQ(cli::FileName(File("", 10, 0, Attachment::RECEIVING)), "(sealed)");
  EXPECT_EQ(cli::FileName(File("a\x1b[2Jb\nc.jpg", 10, 0, Attachment::RECEIVED)), "a?[2Jb c.jpg");
  EXPECT_EQ(cli::FileName(File("abcdefghij.txt", 1, 0, Attachment::SENT), 8), "abcde…");
  // "éé…" never cuts the second é (2 bytes) in half.
  EXPECT_EQ(cli::FileName(File("ééééé", 1, 0, Attachment::SENT), 6), "é…");
  EXPECT_EQ(cli::FitColumns("#1 → abc", 8), "#1 → abc");
  EXPECT_EQ(cli::FitColumns("#1 → abcdef", 8), "#1 → ab…");
  EXPECT_EQ(cli::FitColumns("→→→", 1), "…");
  EXPECT_EQ(cli::FitColumns("abc", 0), "");
}

TEST(CliFileFormat, Attachments) {
  EXPECT_EQ(cli::FormatAttachment(File("photo.jpg", 2516582, 2516582, Attachment::RECEIVED)),
            "📎 photo.jpg (2.4 MiB, image/jpeg)");
  EXPECT_EQ(cli::FormatAttachment(File("photo.jpg", 1000, 370, Attachment::SENDING)),
            "📎 photo.jpg (1000 B, image/jpeg, 37%)");
  EXPECT_EQ(cli::FormatAttachment(File("note.ogg", 2048, 0, Attachment::RECEIVING, "")),
            "📎 note.ogg (2.0 KiB, 0%)");
  Attachment failed = File("big.iso", kGiB, 5, Attachment::FAILED, "application/x-iso9660-image");
  failed.set_error("the file changed while being sent");
  EXPECT_EQ(cli::FormatAttachment(failed),
            "📎 big.iso (1.0 GiB, application/x-iso9660-image, failed: the file changed while "
            "being sent)");
  failed.clear_error();
  EXPECT_EQ(cli::FormatAttachment(failed),
            "📎 big.iso (1.0 GiB, application/x-iso9660-image, failed)");
}

TEST(CliFileFormat, FilesInHistory) {
  UtcTest utc;
  EXPECT_EQ(Format(FileMessage(12, Message::INCOMING, Message::DELIVERED,
                               File("photo.jpg", 2516582, 2516582, Attachment::RECEIVED),
                               "the lighthouse at dawn")),
            "[2027-02-14 08:00] partner: 📎 photo.jpg (2.4 MiB, image/jpeg) — the lighthouse at "
            "dawn  (#12 new, save with: inmost save 12)");
  EXPECT_EQ(Format(FileMessage(13, Message::OUTGOING, Message::PENDING,
                               File("photo.jpg", 1000, 370, Attachment::SENDING))),
            "[2027-02-14 08:00] you: 📎 photo.jpg (1000 B, image/jpeg, 37%)  (#13 pending)");
  EXPECT_EQ(Format(FileMessage(14, Message::INCOMING, Message::READ,
                               File("voice.ogg", 4096, 1024, Attachment::RECEIVING, "audio/ogg"),
                               "two\nlines")),
            "[2027-02-14 08:00] partner: 📎 voice.ogg (4.0 KiB, audio/ogg, 25%) — two\n"
            "                            lines  (#14)");
  Attachment failed = File("x.bin", 10, 0, Attachment::FAILED, "");
  failed.set_error("over your file quota");
  EXPECT_EQ(Format(FileMessage(15, Message::INCOMING, Message::READ, failed)),
            "[2027-02-14 08:00] partner: 📎 x.bin (10 B, failed: over your file quota)  (#15)");
}

TEST(CliFileFormat, SealedFilesInHistory) {
  UtcTest utc;
  // The daemon shows a sealed file's size rounded up to a power of two: "up to".
  Message sealed = FileMessage(16, Message::INCOMING, Message::DELIVERED,
                               File("", 4 * kMiB, kMiB, Attachment::RECEIVING, ""));
  sealed.set_kind(Message::ENVELOPE);
  sealed.mutable_envelope()->set_kind(Message::Envelope::GENTLE);
  sealed.mutable_envelope()->set_state(Message::Envelope::WITHHELD);
  EXPECT_EQ(Format(sealed),
            "[2027-02-14 08:00] partner: [gentle message] 📎 (sealed) (up to 4.0 MiB, 25%)  (#16 "
            "gentle — open with: inmost open 16, new)");
  // Opened: its name and caption are here now.
  sealed.mutable_envelope()->set_state(Message::Envelope::OPENED);
  *sealed.mutable_file() =
      File("letter.pdf", 3 * kMiB, 3 * kMiB, Attachment::RECEIVED, "application/pdf");
  sealed.set_text("read it slowly");
  sealed.set_state(Message::READ);
  EXPECT_EQ(Format(sealed),
            "[2027-02-14 08:00] partner: 📎 letter.pdf (3.0 MiB, application/pdf) — read it "
            "slowly  (#16 gentle, opened, save with: inmost save 16)");
  // The sender sees its own file while it is sealed.
  Message mine = FileMessage(17, Message::OUTGOING, Message::DELIVERED,
                             File("us.jpg", kMiB, kMiB, Attachment::SENT));
  mine.set_kind(Message::ENVELOPE);
  mine.mutable_envelope()->set_kind(Message::Envelope::TOGETHER);
  mine.mutable_envelope()->set_state(Message::Envelope::WITHHELD);
  EXPECT_EQ(Format(mine),
            "[2027-02-14 08:00] you: 📎 us.jpg (1.0 MiB, image/jpeg)  (#17 together — opens while "
            "you both have a chat open; your partner has none open)");
}

TEST(CliFileFormat, TransferLines) {
  control::Transfer transfer;
  transfer.set_id(12);
  transfer.set_direction(Message::OUTGOING);
  *transfer.mutable_file() = File("photo.jpg", 2516582, 931136, Attachment::SENDING);
  EXPECT_EQ(cli::FormatTransfer(transfer),
            "#12 → photo.jpg  [###.......]  37%  909.3 KiB / 2.4 MiB  sending");
  transfer.set_direction(Message::INCOMING);
  *transfer.mutable_file() = File("", 2 * kMiB, 2 * kMiB, Attachment::RECEIVED);
  EXPECT_EQ(cli::FormatTransfer(transfer),
            "#12 ← (sealed)  [##########] 100%  2.0 MiB / 2.0 MiB  received");
  Attachment failed = File("a.mov", 100, 50, Attachment::FAILED);
  failed.set_error("refused: larger than your partner accepts");
  *transfer.mutable_file() = failed;
  EXPECT_EQ(cli::FormatTransfer(transfer),
            "#12 ← a.mov  [#####.....]  50%  50 B / 100 B  failed: refused: larger than your "
            "partner accepts");
}

TEST(CliFileFormat, TransferEventsUpdateTheList) {
  std::vector<control::Transfer> transfers(1);
  transfers[0].set_id(12);
  transfers[0].set_chunks(4);
  *transfers[0].mutable_file() = File("a.jpg", 100, 0, Attachment::SENDING);
  control::TransferProgress progress;
  progress.set_id(12);
  progress.set_direction(Message::OUTGOING);
  *progress.mutable_file() = File("a.jpg", 100, 100, Attachment::SENT);
  cli::ApplyTransferProgress(progress, &transfers);
  ASSERT_EQ(transfers.size(), 1u);
  EXPECT_EQ(transfers[0].file().state(), Attachment::SENT);
  EXPECT_EQ(transfers[0].chunks(), 4u);  // What the event does not carry stays.
  EXPECT_FALSE(cli::IsMoving(transfers[0].file()));
  progress.set_id(13);
  progress.set_direction(Message::INCOMING);
  *progress.mutable_file() = File("b.jpg", 100, 10, Attachment::RECEIVING);
  cli::ApplyTransferProgress(progress, &transfers);
  ASSERT_EQ(transfers.size(), 2u);
  EXPECT_EQ(transfers[1].id(), 13u);
  EXPECT_EQ(transfers[1].direction(), Message::INCOMING);
  EXPECT_TRUE(cli::IsMoving(transfers[1].file()));
}

TEST(CliFileFormat, ChatShowsOnlyTheEndOfATransfer) {
  control::Event event;
  control::TransferProgress* progress = event.mutable_transfer();
  progress->set_id(12);
  progress->set_direction(Message::INCOMING);
  *progress->mutable_file() = File("photo.jpg", 2516582, 1000, Attachment::RECEIVING);
  EXPECT_EQ(cli::FormatChatEvent(event), "");
  *progress->mutable_file() = File("photo.jpg", 2516582, 2516582, Attachment::RECEIVED);
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- 📎 #12 photo.jpg (2.4 MiB) received; save it with: inmost save 12");
  *progress->mutable_file() = File("", 4 * kMiB, 4 * kMiB, Attachment::RECEIVED);
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- 📎 #12 (sealed) (up to 4.0 MiB) received, sealed until it opens");
  progress->set_direction(Message::OUTGOING);
  *progress->mutable_file() = File("photo.jpg", 2516582, 2516582, Attachment::SENT);
  EXPECT_EQ(cli::FormatChatEvent(event), "-- 📎 #12 photo.jpg (2.4 MiB) sent");
  Attachment failed = File("photo.jpg", 2516582, 0, Attachment::FAILED);
  failed.set_error("the file changed while being sent");
  *progress->mutable_file() = failed;
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- 📎 #12 photo.jpg (2.4 MiB) failed: the file changed while being sent");
}

TEST(CliFileArg, ChecksTheFile) {
  test::TempDir dir;
  std::string path = (dir.path() / "photo.jpg").string();
  std::ofstream(path) << "12345";
  Result<cli::FileToSend> file = cli::CheckFileToSend(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->path, path);
  EXPECT_EQ(file->name, "photo.jpg");
  EXPECT_EQ(file->size, 5u);

  Result<cli::FileToSend> missing = cli::CheckFileToSend((dir.path() / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("there is no file"), std::string::npos);
  Result<cli::FileToSend> directory = cli::CheckFileToSend(dir.path().string());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.status().message().find("is a directory"), std::string::npos);
  Result<cli::FileToSend> device = cli::CheckFileToSend("/dev/null");
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.status().message().find("not a regular file"), std::string::npos);
  EXPECT_FALSE(cli::CheckFileToSend("").ok());
}

// Answers send, answer, save and transfers as a daemon would.
class FileHandler : public test::RecordingHandler {
 protected:
  Response Answer(const Request& request) override {
    Response response;
    switch (request.body_case()) {
      case Request::kUpload:
        response.mutable_upload()->set_upload_id("u" + std::to_string(uploads_.size()));
        response.mutable_upload()->set_chunk_bytes(kChunkBytes);
        uploads_.push_back(request.upload().name());
        uploaded_.emplace_back();
        break;
      case Request::kUploadChunk: {
        const size_t n = std::stoul(request.upload_chunk().upload_id().substr(1));
        uploaded_.at(n) += request.upload_chunk().data();
        response.mutable_upload_chunk()->set_received_bytes(uploaded_[n].size());
        break;
      }
      case Request::kUploadCancel:
        response.mutable_upload_cancel();
        break;
      case Request::kDownload: {
        const std::string content = "PHOTO BYTES";
        const uint64_t offset = request.download().offset();
        // Three bytes a part, so the CLI must ask again.
        response.mutable_download()->set_data(content.substr(offset, 3));
        response.mutable_download()->set_offset(offset);
        response.mutable_download()->set_size(content.size());
        response.mutable_download()->set_name("photo.jpg");
        response.mutable_download()->set_end(offset + 3 >= content.size());
        break;
      }
      case Request::kSend:
        if (request.send().file_path().find("refused") != std::string::npos ||
            (!request.send().upload_id().empty() &&
             uploads_.at(std::stoul(request.send().upload_id().substr(1))).find("refused") !=
                 std::string::npos)) {
          response.mutable_error()->set_code(static_cast<uint32_t>(Code::kResourceExhausted));
          response.mutable_error()->set_message("the file is larger than 4 GiB (max-file-size)");
          break;
        }
        response.mutable_send()->set_id(next_id_++);
        break;
      case Request::kStatus:
        response.mutable_status()->set_paired(true);  // The link is down.
        break;
      case Request::kAnswer:
        response.mutable_answer()->set_id(40);
        break;
      case Request::kSave:
        response.mutable_save()->set_path(request.save().to() + "/photo.jpg");
        response.mutable_save()->set_size(2516582);
        break;
      case Request::kTransfers: {
        control::Transfer* transfer = response.mutable_transfers()->add_transfers();
        transfer->set_id(12);
        transfer->set_direction(Message::INCOMING);
        *transfer->mutable_file() = File("photo.jpg", 1000, 500, Attachment::RECEIVING);
        if (empty_transfers_) response.mutable_transfers()->clear_transfers();
        break;
      }
      default:
        response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
        response.mutable_error()->set_message("nothing here");
    }
    return response;
  }

 public:
  static constexpr uint32_t kChunkBytes = 1024;
  uint64_t next_id_ = 20;
  bool empty_transfers_ = false;
  std::vector<std::string> uploads_;   // The name of each upload, by number.
  std::vector<std::string> uploaded_;  // ... and its bytes so far.
};

class CliFileCommands : public test::CliFixture {
 protected:
  test::RecordingHandler& handler() override { return handler_; }
  std::vector<Request> Requests() {
    return RunOnLoop([this] { return handler_.requests_; });
  }
  // The send requests alone (each file is uploaded before).
  std::vector<Request> Sends() {
    std::vector<Request> sends;
    for (const Request& r : Requests()) {
      if (r.has_send()) sends.push_back(r);
    }
    return sends;
  }
  // What the daemon got of upload `id`.
  std::string Uploaded(const std::string& id) {
    return RunOnLoop([&] { return handler_.uploaded_.at(std::stoul(id.substr(1))); });
  }
  std::string MakeFile(const std::string& name, const std::string& content) {
    std::string path = (dir_.path() / name).string();
    std::ofstream(path) << content;
    return path;
  }

  FileHandler handler_;
  test::TempDir dir_;
};

TEST_F(CliFileCommands, SendOneRequestPerFileWithTheCaptionOnTheFirst) {
  std::string a = MakeFile("a.jpg", std::string(2048, 'a'));
  std::string b = MakeFile("b.ogg", "bb");
  ASSERT_EQ(Cli({"send", "--file", a, "--file", b, "--caption", "from the beach"}), cli::kExitOk)
      << err_.str();
  std::vector<Request> requests = Requests();
  // Whether the link is up, then each file: uploaded in chunks, then sent.
  ASSERT_EQ(requests.size(), 8u);
  EXPECT_TRUE(requests[0].has_status());
  EXPECT_EQ(requests[1].upload().name(), "a.jpg");
  EXPECT_EQ(requests[1].upload().size(), 2048u);
  EXPECT_EQ(requests[2].upload_chunk().index(), 0u);
  EXPECT_EQ(requests[3].upload_chunk().index(), 1u);
  EXPECT_EQ(requests[4].send().upload_id(), "u0");
  EXPECT_EQ(requests[4].send().file_path(), "");
  EXPECT_EQ(requests[4].send().text(), "from the beach");
  EXPECT_EQ(requests[5].upload().name(), "b.ogg");
  EXPECT_EQ(requests[7].send().upload_id(), "u1");
  EXPECT_EQ(requests[7].send().text(), "");
  EXPECT_EQ(Uploaded("u0"), std::string(2048, 'a'));
  EXPECT_EQ(Uploaded("u1"), "bb");
  EXPECT_EQ(out_.str(),
            "File #20 a.jpg (2.0 KiB) is in the outbox; it is delivered as soon as your partner "
            "is reachable.\n"
            "File #21 b.ogg (2 B) is in the outbox; it is delivered as soon as your partner is "
            "reachable.\n");
}

TEST_F(CliFileCommands, SendFilesSealedLikeTexts) {
  std::string a = MakeFile("a.jpg", "a");
  ASSERT_EQ(Cli({"send", "--gentle", "--note", "for you", "--file", a}), cli::kExitOk)
      << err_.str();
  Request request = LastRequest();
  EXPECT_TRUE(request.send().gentle());
  EXPECT_EQ(request.send().note(), "for you");
  EXPECT_EQ(request.send().upload_id(), "u0");
  EXPECT_TRUE(OutHas("Gentle file #20 a.jpg (1 B) is on its way; your partner sees the note"))
      << out_.str();
  ASSERT_EQ(Cli({"send", "--open-at", "2099-02-14 09:00", "--file", a}), cli::kExitOk);
  EXPECT_EQ(LastRequest().send().open_at_unix_ms(), 4074742800000);
  EXPECT_TRUE(OutHas("Sealed file #21 a.jpg (1 B) is on its way; it opens at 2099-02-14 09:00"))
      << out_.str();
  ASSERT_EQ(Cli({"send", "--together", "--file", a}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().send().together());
  ASSERT_EQ(Cli({"send", "--send-at", "2099-02-14 09:00", "--file", a}), cli::kExitOk);
  EXPECT_TRUE(OutHas("Scheduled file #23 a.jpg (1 B) leaves at 2099-02-14 09:00")) << out_.str();
}

TEST_F(CliFileCommands, SendReadsRelativePaths) {
  MakeFile("rel.txt", "r");
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  int code = Cli({"send", "--file", "rel.txt"});
  std::filesystem::current_path(cwd);
  ASSERT_EQ(code, cli::kExitOk) << err_.str();
  EXPECT_EQ(Uploaded(LastRequest().send().upload_id()), "r");
}

TEST_F(CliFileCommands, SendUsageErrors) {
  std::string a = MakeFile("a.jpg", "a");
  ExpectUsageError({"send", "--file", a, "some", "words"}, "use --caption");
  ExpectUsageError({"send", "--caption", "hi", "words"}, "--caption goes only with --file");
  ExpectUsageError({"send", "--file", (dir_.path() / "missing.jpg").string()},
                   "--file: there is no file");
  // Nothing is sent when any file is wrong, even the ones before it.
  ExpectUsageError({"send", "--file", a, "--file", dir_.path().string()}, "is a directory");
  ExpectUsageError({"send", "--file", a, "--gentle", "--together"}, "cannot be combined");
}

TEST_F(CliFileCommands, SendStopsAtTheFirstRefusal) {
  std::string a = MakeFile("a.jpg", "a");
  std::string refused = MakeFile("refused.iso", "r");
  std::string c = MakeFile("c.jpg", "c");
  EXPECT_EQ(Cli({"send", "--file", a, "--file", refused, "--file", c}), cli::kExitDaemonError);
  std::vector<Request> sends = Sends();
  ASSERT_EQ(sends.size(), 2u);  // a.jpg and the refused one.
  // The refused file's upload is not left in the daemon.
  EXPECT_EQ(LastRequest().upload_cancel().upload_id(), sends[1].send().upload_id());
  EXPECT_TRUE(OutHas("File #20 a.jpg")) << out_.str();
  EXPECT_NE(err_.str().find("larger than 4 GiB"), std::string::npos) << err_.str();
}

TEST_F(CliFileCommands, SendFilesAsJson) {
  std::string a = MakeFile("a.jpg", "a");
  ASSERT_EQ(Cli({"--json", "send", "--file", a, "--file", a}), cli::kExitOk);
  EXPECT_EQ(
      out_.str(),
      "{\"id\":\"20\",\"sent_at_unix_ms\":\"0\"}\n{\"id\":\"21\",\"sent_at_unix_ms\":\"0\"}\n");
}

TEST_F(CliFileCommands, AnswerWithAFile) {
  std::string a = MakeFile("us.jpg", "abc");
  ASSERT_EQ(Cli({"answer", "10", "--file", a, "--caption", "this one"}), cli::kExitOk)
      << err_.str();
  Request request = LastRequest();
  EXPECT_EQ(request.answer().question_id(), 10u);
  EXPECT_EQ(request.answer().file_path(), "");
  EXPECT_EQ(Uploaded(request.answer().upload_id()), "abc");
  EXPECT_EQ(request.answer().text(), "this one");
  EXPECT_TRUE(OutHas("Your answer #40 (the file us.jpg, 3 B) is sealed")) << out_.str();
  ASSERT_EQ(Cli({"answer", "today", "--file", a}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().answer().today());
  EXPECT_EQ(LastRequest().answer().text(), "");
  ExpectUsageError({"answer", "10", "--file", a, "words"}, "use --caption");
  ExpectUsageError({"answer", "10", "--caption", "x", "words"}, "--caption goes only with --file");
  ExpectUsageError({"answer", "10", "--file", "/no/such/file"}, "there is no file");
}

TEST_F(CliFileCommands, Save) {
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  int code = Cli({"save", "12"});
  std::filesystem::current_path(cwd);
  ASSERT_EQ(code, cli::kExitOk) << err_.str();
  // Read over the socket in parts and written here.
  EXPECT_EQ(LastRequest().download().id(), 12u);
  EXPECT_EQ(LastRequest().download().offset(), 9u);
  EXPECT_EQ(out_.str(), "saved photo.jpg (11 B) to " + dir_.path().string() + "/photo.jpg\n");
  std::ifstream saved(dir_.path() / "photo.jpg");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(saved), {}), "PHOTO BYTES");

  // Never over a file: into a folder, the next free name; a named file, refused.
  test::TempDir other;
  ASSERT_EQ(Cli({"save", "#12", "--to", dir_.path().string()}), cli::kExitOk);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "photo (1).jpg"));
  EXPECT_NE(Cli({"save", "12", (dir_.path() / "photo.jpg").string()}), cli::kExitOk);
  EXPECT_NE(err_.str().find("already exists"), std::string::npos) << err_.str();
  ASSERT_EQ(Cli({"save", "12", (other.path() / "mine.jpg").string()}), cli::kExitOk);
  EXPECT_TRUE(std::filesystem::exists(other.path() / "mine.jpg"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(other.path()), {}), 1)
      << "no temporary file is left";
  ExpectUsageError({"save"}, "ID");
  ExpectUsageError({"save", "twelve"}, "invalid message id");
}

TEST_F(CliFileCommands, TransfersPrintOnceWhenNotATerminal) {
  ASSERT_EQ(Cli({"transfers"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "#12 ← photo.jpg  [#####.....]  50%  500 B / 1000 B  receiving\n");
  EXPECT_TRUE(LastRequest().has_transfers());
  ASSERT_EQ(Cli({"transfers", "--once"}), cli::kExitOk);
  EXPECT_EQ(RequestCount(), 2u);  // Never a subscribe.
  RunOnLoop([this] {
    handler_.empty_transfers_ = true;
    return 0;
  });
  ASSERT_EQ(Cli({"transfers"}), cli::kExitOk);
  EXPECT_EQ(out_.str(), "no transfers\n");
}

}  // namespace
}  // namespace inmost
