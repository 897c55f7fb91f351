#include "tests/tools/hostile_partner_session.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/core/history_keys.h"
#include "daemon/core/partner_book.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"

namespace inmost::hostile {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// As the daemon's Session: each direction rekeys after this many messages.
constexpr uint64_t kRekeyAfter = uint64_t{1} << 16;
// A daemon declares a link dead after --dead-after-ms of silence (the tests run with
// 1500 ms): an idle session here talks far more often than that.
constexpr milliseconds kKeepaliveEvery{200};
// Frames kept for `replay`.
constexpr size_t kKeptFrames = 4096;
// The flood writes while fewer bytes than this wait to go out.
constexpr size_t kFloodBacklog = size_t{1} << 20;
constexpr char kIdentityKey[] = "identity/static_private";

std::string Json(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "null";
  return json;
}

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void Print(const std::string& key, const std::string& json_value) {
  std::cout << "{\"" << key << "\": " << json_value << "}\n" << std::flush;
}

template <typename M>
Status ParseJson(const std::string& json, M& message) {
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  if (!status.ok()) return InvalidArgument("not a " + message.GetTypeName() + ": " + json);
  return Status::Ok();
}

Result<crypto::Bytes> FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("odd hex length");
  crypto::Bytes bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

}  // namespace

HostileSession::~HostileSession() {
  if (fd_ >= 0) ::close(fd_);
}

Status HostileSession::LoadDataDir(const std::string& data_dir) {
  store::DataDir dir(data_dir);
  auto key = store::LoadKeyFile(dir.key_file_path());
  if (!key.ok()) return key.status();
  auto db = store::SealedStore::Open(dir.store_path(), std::move(*key), store::OpenMode::kExisting);
  if (!db.ok()) return db.status();
  auto secret = (*db)->GetSecret(kIdentityKey);
  if (!secret.ok()) return secret.status();
  auto identity = crypto::KeyPair::FromPrivate(secret->span());
  if (!identity.ok()) return identity.status();
  identity_ = std::move(*identity);
  core::PartnerBook partners(**db);
  Status loaded = partners.Load();
  if (!loaded.ok()) return loaded;
  if (!partners.partner()) return FailedPrecondition("this data directory has no partner");
  partner_key_ = partners.partner()->static_key;
  if (auto counters = (*db)->Get(core::kCountersKey); counters.ok()) {
    counters_.ParseFromString(*counters);
  }
  if (auto lineage = (*db)->Get(core::kLineageKey); lineage.ok()) {
    lineage_.ParseFromString(*lineage);
  }
  return Status::Ok();
}

Status HostileSession::Dial(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("want HOST:PORT, got " + address);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr) != 1) {
    return InvalidArgument("not an IPv4 address: " + address);
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    return Unavailable("cannot connect to " + address + ": " + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return Status::Ok();
}

Status HostileSession::Connect(const std::string& data_dir, const std::string& address) {
  Status status = LoadDataDir(data_dir);
  if (!status.ok()) return status;
  status = Dial(address);
  if (!status.ok()) return status;
  auto keys = HandshakeAsInitiator(fd_, identity_, partner_key_);
  if (!keys.ok()) return keys.status();
  keys_ = std::move(*keys);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  open_ = true;
  peer::PeerMessage keepalive;
  keepalive.mutable_keepalive();
  status = SendMessage(keepalive);  // Key confirmation.
  if (!status.ok()) return status;
  SendStreamHello();
  const auto deadline = Clock::now() + milliseconds(10000);
  while (open_ && !stream_open_ && Clock::now() < deadline) Pump(milliseconds(100), false);
  if (!stream_open_) return Unavailable("the partner never opened its stream");
  return Status::Ok();
}

void HostileSession::SendStreamHello() {
  // What the stopped daemon holds of the partner's stream, as it would say it.
  peer::PeerMessage message;
  auto* hello = message.mutable_stream_hello();
  hello->set_held_seq(counters_.in_stored());
  *hello->mutable_held_lineage() = lineage_.theirs();
  hello->set_last_number(counters_.last_number());
  hello->set_version("hostile partner");
  SendOrSay(message);
}

Result<crypto::Bytes> HostileSession::Seal(std::span<const uint8_t> plaintext) {
  auto ciphertext = keys_.send.EncryptWithAd({}, plaintext);
  if (!ciphertext.ok()) return ciphertext.status();
  if (++sent_messages_ % kRekeyAfter == 0) keys_.send.Rekey();
  return wire::EncodeFrame(*ciphertext);
}

Status HostileSession::SendMessage(const peer::PeerMessage& message) {
  std::string plaintext;
  message.SerializeToString(&plaintext);
  auto frame = Seal(crypto::AsBytes(plaintext));
  if (!frame.ok()) return frame.status();
  WriteFrame(std::move(*frame));
  return Status::Ok();
}

void HostileSession::SendOrSay(const peer::PeerMessage& message) {
  Status sent = SendMessage(message);
  if (!sent.ok()) Print("error", Quoted(sent.message()));
}

void HostileSession::WriteFrame(crypto::Bytes frame) {
  out_.append(reinterpret_cast<const char*>(frame.data()), frame.size());
  if (sent_frames_.size() < kKeptFrames) sent_frames_.push_back(std::move(frame));
  last_sent_ = Clock::now();
}

void HostileSession::MarkClosed(const std::string& why) {
  if (!open_) return;
  open_ = false;
  out_.clear();
  Print("closed", Quoted(why));
}

void HostileSession::ReadSocket() {
  uint8_t buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      MarkClosed(n == 0 ? "the partner closed the connection" : std::strerror(errno));
      return;
    }
    decoder_.Feed(std::span<const uint8_t>(buffer, static_cast<size_t>(n)));
  }
  while (open_) {
    auto next = decoder_.Next();
    if (!next.ok()) {
      MarkClosed("malformed frame from the partner");
      return;
    }
    if (!next->has_value()) return;
    auto message = peer::OpenPeerMessage(keys_.receive, **next);
    if (!message.ok()) {
      MarkClosed("cannot open the partner's message: " + message.status().ToString());
      return;
    }
    if (++received_messages_ % kRekeyAfter == 0) keys_.receive.Rekey();
    OnMessage(*message);
  }
}

void HostileSession::WriteSocket() {
  while (open_ && !out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      MarkClosed(std::string("write failed: ") + std::strerror(errno));
      return;
    }
    out_.erase(0, static_cast<size_t>(n));
  }
}

void HostileSession::OnMessage(const peer::PeerMessage& message) {
  if (message.has_keepalive()) return;
  Print("recv", Json(message));
  if (message.has_stream_hello() && !stream_open_) {
    // Our stream goes on exactly where the partner holds it.
    const auto& hello = message.stream_hello();
    peer::PeerMessage open;
    *open.mutable_stream_open()->mutable_lineage() = hello.held_lineage();
    open.mutable_stream_open()->set_last_seq(hello.held_seq());
    SendOrSay(open);
    next_seq_ = hello.held_seq() + 1;
    stream_open_ = true;
    Print("up", "{\"next_seq\": " + std::to_string(next_seq_) + "}");
  }
  if (message.has_deliver()) {
    partner_seq_ = std::max(partner_seq_, message.deliver().seq());
    if (honest_) {
      peer::PeerMessage ack;
      ack.mutable_ack()->set_up_to_seq(partner_seq_);
      SendOrSay(ack);
    }
  }
}

void HostileSession::Pump(milliseconds timeout, bool with_stdin) {
  const auto deadline = Clock::now() + timeout;
  do {
    if (open_ && Clock::now() - last_sent_ >= kKeepaliveEvery) {
      peer::PeerMessage keepalive;
      keepalive.mutable_keepalive();
      SendOrSay(keepalive);
    }
    pollfd fds[2] = {
        {open_ ? fd_ : -1, static_cast<short>(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0},
        {with_stdin && !stdin_done_ ? 0 : -1, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const int wait =
        static_cast<int>(std::clamp<int64_t>(left.count(), 0, kKeepaliveEvery.count()));
    if (::poll(fds, 2, wait) < 0 && errno != EINTR) return;
    if (open_ && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) ReadSocket();
    if (open_ && (fds[0].revents & POLLOUT)) WriteSocket();
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char buffer[65536];
      const ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n <= 0) {
        stdin_done_ = true;
      } else {
        stdin_buffer_.append(buffer, static_cast<size_t>(n));
      }
      size_t end;
      while ((end = stdin_buffer_.find('\n')) != std::string::npos) {
        pending_lines_.push_back(stdin_buffer_.substr(0, end));
        stdin_buffer_.erase(0, end + 1);
      }
      if (!pending_lines_.empty() || stdin_done_) return;
    }
  } while (Clock::now() < deadline);
}

void HostileSession::FlushOut(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (open_ && !out_.empty() && Clock::now() < deadline) Pump(milliseconds(50), false);
}

Status HostileSession::RunStdin() {
  while (!stdin_done_ || !pending_lines_.empty()) {
    Pump(milliseconds(1000), true);
    auto lines = std::move(pending_lines_);
    pending_lines_.clear();
    for (const auto& line : lines) {
      Status status = Command(line);
      if (!status.ok()) Print("error", Quoted(status.message()));
    }
  }
  FlushOut(milliseconds(10000));
  return Status::Ok();
}

Status HostileSession::RunScript(const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    Status status = Command(line);
    if (!status.ok()) Print("error", Quoted(status.message()));
  }
  FlushOut(milliseconds(10000));
  return Status::Ok();
}

Status HostileSession::Command(const std::string& line) {
  std::istringstream words(line);
  std::string verb;
  words >> verb;
  std::string rest;
  std::getline(words, rest);
  rest.erase(0, rest.find_first_not_of(' ') == std::string::npos ? rest.size()
                                                                 : rest.find_first_not_of(' '));
  if (verb.empty() || verb[0] == '#') return Status::Ok();
  if (verb == "pump") {
    Pump(milliseconds(std::stoll(rest)), false);
    return Status::Ok();
  }
  if (verb == "honest") {
    honest_ = rest == "on";
    return Status::Ok();
  }
  if (!open_) return FailedPrecondition(verb + ": not connected");
  if (verb == "send" || verb == "seal") {
    peer::PeerMessage message;
    Status parsed = ParseJson(rest, message);
    if (!parsed.ok()) return parsed;
    if (verb == "send") return SendMessage(message);
    std::string plaintext;
    message.SerializeToString(&plaintext);
    auto frame = Seal(crypto::AsBytes(plaintext));
    if (!frame.ok()) return frame.status();
    held_frames_.push_back(std::move(*frame));
    return Status::Ok();
  }
  if (verb == "deliver") {
    peer::PeerMessage message;
    Status parsed = ParseJson(rest, *message.mutable_deliver());
    if (!parsed.ok()) return parsed;
    if (message.deliver().seq() == 0) message.mutable_deliver()->set_seq(next_seq_);
    next_seq_ = std::max(next_seq_, message.deliver().seq() + 1);
    Print("sent_seq", std::to_string(message.deliver().seq()));
    return SendMessage(message);
  }
  if (verb == "flush") {
    std::istringstream order(rest);
    std::vector<crypto::Bytes> held = std::move(held_frames_);
    held_frames_.clear();
    for (size_t index; order >> index;) {
      if (index >= held.size()) return InvalidArgument("no held message " + std::to_string(index));
      WriteFrame(held[index]);
    }
    return Status::Ok();
  }
  if (verb == "replay") {
    const long index = std::stol(rest);
    const long count = static_cast<long>(sent_frames_.size());
    const long at = index < 0 ? count + index : index;
    if (at < 0 || at >= count) return InvalidArgument("no sent frame " + rest);
    WriteFrame(sent_frames_[static_cast<size_t>(at)]);
    return Status::Ok();
  }
  if (verb == "plaintext") {
    auto bytes = FromHex(rest);
    if (!bytes.ok()) return bytes.status();
    auto frame = Seal(*bytes);
    if (!frame.ok()) return frame.status();
    WriteFrame(std::move(*frame));
    return Status::Ok();
  }
  if (verb == "flood") {
    const uint64_t count = std::stoull(rest);
    const uint64_t first = next_seq_;
    for (uint64_t i = 0; i < count && open_; ++i) {
      peer::PeerMessage message;
      auto* deliver = message.mutable_deliver();
      deliver->set_seq(next_seq_++);
      deliver->set_text("flood " + std::to_string(deliver->seq()));
      deliver->set_sent_at_unix_ms(std::chrono::duration_cast<milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
      Status sent = SendMessage(message);
      if (!sent.ok()) return sent;
      if (out_.size() > kFloodBacklog) {
        while (open_ && out_.size() > kFloodBacklog / 2) Pump(milliseconds(50), false);
      }
    }
    Print("flooded", "{\"first\": " + std::to_string(first) +
                         ", \"last\": " + std::to_string(next_seq_ - 1) + "}");
    return Status::Ok();
  }
  if (verb == "close") {
    FlushOut(milliseconds(10000));
    ::shutdown(fd_, SHUT_RDWR);
    MarkClosed("closed here");
    return Status::Ok();
  }
  return InvalidArgument("unknown command: " + verb);
}

}  // namespace inmost::hostile
