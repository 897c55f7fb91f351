// One session of the hostile partner test tool: a real pair's side speaking the peer
// protocol after a valid handshake, and breaking its rules on command. It must never
// be linked into the daemon; it exists so the tests can face the daemon with a partner.
//
// Commands, one a line (bytes fields in JSON are base64, as protobuf's JSON mapping):
//   send JSON        one PeerMessage (protobuf JSON), sealed and framed as a session does
//   deliver JSON     one Deliver item; seq 0 takes the next seq of our stream
//   seal JSON        seals a PeerMessage now (its nonce is used) but holds it back
//   flush I J ...    writes the held messages in that order (a reordering), then forgets them
//   replay K         writes the K-th frame sent again, byte for byte (negative: from the end)
//   plaintext HEX    seals raw bytes as a transport message's plaintext
//   flood N          N Deliver texts "flood <seq>" on our next seqs, as fast as the link takes
//   honest on|off    acknowledge the partner's Deliver items as they arrive (default on)
//   pump MS          only reads (and prints) for MS milliseconds
//   close            closes the connection
// Output, one JSON object a line: {"up": {...}} once the streams are open, {"recv": M} for
// every PeerMessage but keepalives, {"sent_seq": N} for each deliver, {"closed": why} when
// the partner hangs up, {"error": why} for a command that could not run.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/wire/frame.h"
#include "inmost/status.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::hostile {

// The keys of a session with `partner`, dialled on connected socket `fd` (blocking):
// the one place that runs the session handshake (hostile_partner_handshake.cc).
Result<noise::TransportKeys> HandshakeAsInitiator(int fd, const crypto::KeyPair& identity,
                                                  const crypto::PublicKey& partner);

// The script of the named scenario (hostile_partner_scenarios.cc).
Result<std::vector<std::string>> ScenarioScript(const std::string& name);

class HostileSession {
 public:
  HostileSession() = default;
  ~HostileSession();
  HostileSession(const HostileSession&) = delete;
  HostileSession& operator=(const HostileSession&) = delete;

  // Opens `data_dir`'s store for its identity and stream state, dials `address`,
  // handshakes and opens both streams.
  Status Connect(const std::string& data_dir, const std::string& address);
  // Runs commands from standard input until it ends, reading the partner meanwhile.
  Status RunStdin();
  // Runs `lines` as commands.
  Status RunScript(const std::vector<std::string>& lines);

 private:
  Status Command(const std::string& line);
  Status LoadDataDir(const std::string& data_dir);
  Status Dial(const std::string& address);
  Result<crypto::Bytes> Seal(std::span<const uint8_t> plaintext);
  Status SendMessage(const peer::PeerMessage& message);
  // As SendMessage, printing {"error": ...} when it cannot.
  void SendOrSay(const peer::PeerMessage& message);
  void WriteFrame(crypto::Bytes frame);
  // Reads and writes for up to `timeout` (stdin too when `with_stdin`); returns early
  // once `stop()` holds.
  void Pump(std::chrono::milliseconds timeout, bool with_stdin);
  void FlushOut(std::chrono::milliseconds timeout);
  void ReadSocket();
  void WriteSocket();
  void OnMessage(const peer::PeerMessage& message);
  void MarkClosed(const std::string& why);
  void SendStreamHello();

  int fd_ = -1;
  bool open_ = false;
  bool stream_open_ = false;  // The partner's StreamHello came and we answered.
  bool honest_ = true;
  bool stdin_done_ = false;
  noise::TransportKeys keys_;
  uint64_t sent_messages_ = 0;
  uint64_t received_messages_ = 0;
  wire::FrameDecoder decoder_;
  std::string out_;  // Framed bytes not yet written.
  std::vector<crypto::Bytes> sent_frames_;
  std::vector<crypto::Bytes> held_frames_;
  std::string stdin_buffer_;
  std::vector<std::string> pending_lines_;
  uint64_t next_seq_ = 1;
  uint64_t partner_seq_ = 0;  // The highest seq of the partner's items we saw.
  std::chrono::steady_clock::time_point last_sent_{};
  crypto::KeyPair identity_;
  crypto::PublicKey partner_key_{};
  records::ConversationCounters counters_;
  records::StreamLineage lineage_;
};

}  // namespace inmost::hostile
