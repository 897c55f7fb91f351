// Gradual disclosure: withheld-key envelopes (sealed until a time, answers to a
// shared question, gentle, together), questions, scheduled messages and
// retraction, on both sides of the pair. One component persists every pending
// envelope and evaluates every release condition (release_condition.h) when time
// passes, the link comes up, presence changes or the partner's items arrive.
// A content key leaves this daemon only when its condition holds; the partner's
// envelopes stay unreadable here until their key arrives. It talks to the partner
// only through the Conversation's ordered stream.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "daemon/codec/core/question_of_the_day.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "daemon/core/timer.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The longest note an envelope may show while sealed.
inline constexpr size_t kMaxNoteBytes = 200;

// Its member functions live in the files of core/envelopes/, one job each:
// envelopes.cc (load, start, presence, the partner's items handed on),
// seal_and_open.cc, questions.cc, retract.cc, release.cc and storage.cc.
class Envelopes {
 public:
  // All references must outlive this object. The partner's stream items reach it
  // through the router (Register).
  Envelopes(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
            Conversation& conversation, EventHub& events, PartnerChannel& channel,
            FileTransfers& files, const Clock& clock, log::Logger& log);

  // Registers with `router` the items and requests envelopes own.
  void Register(Router& router);

  // Reads the pending envelopes, questions and scheduled messages.
  Status Load();
  // Releases what fell due while the daemon was down and starts the timer.
  void Start();
  void Stop();
  // The pair's question of the day; nullopt while not paired.
  void SetQuestionOfTheDay(std::optional<QuestionOfTheDay> daily) { daily_ = std::move(daily); }

  // ---- requests: each adds its writes to the batch being filled; the caller
  // must sync before it replies. An error means nothing was written. ----
  // An envelope (open_at, gentle or together), with a file or not, or a scheduled
  // message (send_at).
  Result<control::SendReply> Send(const control::SendRequest& request);
  Result<control::AskReply> Ask(const control::AskRequest& request);
  Result<control::AnswerReply> Answer(const control::AnswerRequest& request);
  Result<control::TodayReply> Today(const control::TodayRequest& request) const;
  Result<control::OpenReply> Open(const control::OpenRequest& request);
  Result<control::RetractReply> Retract(const control::RetractRequest& request);
  // Every pending envelope, question and scheduled message, ours and the partner's.
  control::EnvelopesReply Pending() const;

  // ---- what happens around it ----
  void OnLinkUp();
  void OnLinkDown();
  // Whether someone is present here (a chat is open). Telling the partner is the
  // Boundaries' part: what they see of us is ours to choose.
  void SetPresent(bool present);
  void OnPartnerPresence(bool present);
  bool present() const { return present_; }
  bool partner_present() const { return partner_present_; }
  // A new partner: nothing pending for the former one is ever released to anyone.
  void StartWithNewPartner();

 private:
  // The partner's stream items that are not texts (envelopes.cc).
  void OnItem(const peer::Deliver& item);

  // ---- sealing and opening (seal_and_open.cc) ----
  void OnOffer(const peer::Deliver& item);
  void OnKeyRelease(const peer::KeyRelease& release);
  void OnOpenRequest(const peer::OpenRequest& request);
  void OnOpened(const peer::Opened& opened);
  // Seals `entry.text()` as a new outgoing envelope (entry.envelope() already says
  // what kind) and sends its offer; `question` is the question an answer answers,
  // `file` a file the envelope carries (its body is then the caption).
  void SendEnvelope(records::HistoryEntry& entry, const records::HistoryEntry* question,
                    PreparedFile* file = nullptr);
  // Checks the body (text or caption) of a new envelope and prepares its file (by
  // path or upload id), if any. `what` names the body in errors ("the message").
  Result<std::optional<PreparedFile>> PrepareBody(const std::string& text,
                                                  const std::string& file_path,
                                                  const std::string& upload_id,
                                                  std::string_view what) const;
  // A new incoming history entry for the partner's stream item `item`.
  records::HistoryEntry Received(const peer::Deliver& item) const;

  // ---- questions (questions.cc) ----
  void OnQuestion(const peer::Deliver& item);
  Result<records::HistoryEntry> DailyQuestion(int64_t day);
  // True when our answer to the question that `their_answer` answers stands.
  bool HasStandingAnswer(const records::EnvelopeRecord& their_answer) const;

  // ---- withdrawing (retract.cc) ----
  void OnRetract(const peer::Retract& retract);

  // ---- release (release.cc) ----
  Result<control::SendReply> Schedule(const control::SendRequest& request);
  // Releases the key of our withheld envelope `entry`.
  void Release(records::HistoryEntry& entry);
  void ReleaseWhatIsDue();
  // Sleeps until the next timed release (at least `at_least`).
  void ArmTimer(std::chrono::milliseconds at_least = std::chrono::milliseconds(0));

  // ---- storage (storage.cc) ----
  // Writes `entry` (giving it an id when it has none) and keeps the pending index.
  void Save(records::HistoryEntry& entry);
  void PublishChanged(const records::HistoryEntry& entry);
  void PublishReceived(const records::HistoryEntry& entry);
  // The current entry `id`: the pending copy first, as it may not be written yet.
  Result<records::HistoryEntry> Lookup(uint64_t id) const;
  // The entry indexed under `prefix` + `id` ("e/" envelopes, "q/" questions).
  Result<records::HistoryEntry> Find(std::string_view prefix, const std::string& id) const;
  void Index(std::string_view prefix, const std::string& id, uint64_t history_id);
  void PutKey(const std::string& envelope_id, const crypto::SecretBytes& key);
  // Deletes a withheld key for ever (retraction): its range is compacted once the
  // delete is on disk, so no old copy stays in LevelDB's files.
  void DestroyKey(const std::string& envelope_id);
  // Deletes a key that is no longer a secret (it was released).
  void ForgetKey(const std::string& envelope_id);
  void Reload();

  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  EventHub& events_;
  PartnerChannel& channel_;
  FileTransfers& files_;
  const Clock& clock_;
  log::Logger& log_;
  Timer timer_;
  std::optional<QuestionOfTheDay> daily_;

  std::map<uint64_t, records::HistoryEntry> pending_;  // By history id.
  // Content keys in the batch being filled: not readable from the store yet.
  std::map<std::string, crypto::SecretBytes> unwritten_keys_;
  bool present_ = false;
  bool partner_present_ = false;
  bool stopped_ = false;
};

}  // namespace inmost::core
