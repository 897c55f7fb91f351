// Drafts (drafts.h): one text kept sealed under "draft", replaced whole by each set.
// It is never sent anywhere and never announced before it is on disk.
#include "daemon/core/drafts.h"

#include "daemon/crypto/bytes.h"

namespace inmost::core {
namespace {

constexpr std::string_view kDraftKey = "draft";

control::DraftReply ReplyFor(const records::Draft& draft) {
  control::DraftReply reply;
  reply.set_text(draft.text());
  reply.set_updated_at_unix_ms(draft.updated_at_unix_ms());
  return reply;
}

}  // namespace

Drafts::Drafts(store::SealedStore& store, GroupCommit& commit, Conversation& conversation,
               EventHub& events, const Clock& clock, log::Logger& log)
    : store_(store), commit_(commit), events_(events), clock_(clock), log_(log) {
  // After a failed write, the draft is the one that reached the disk.
  conversation.AddReloadHook([this] {
    if (Status status = Load(); !status.ok()) {
      log_.Error("could not re-read the draft: " + status.ToString());
    }
  });
}

void Drafts::Register(Router& router) {
  router.OnRequest(
      control::Request::kDraft, "drafts", Sync::kBeforeReply,
      [this](const control::Request& request) { return Answer(request.draft()); },
      &control::Response::mutable_draft);
}

Status Drafts::Load() {
  draft_.Clear();
  auto stored = store_.Get(kDraftKey);
  if (stored.ok()) {
    if (!draft_.ParseFromString(*stored)) return Corruption("the draft does not parse");
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  return Status::Ok();
}

Result<control::DraftReply> Drafts::Answer(const control::DraftRequest& request) {
  if (!request.set()) {
    if (!request.text().empty()) {
      return InvalidArgument("a draft's text is given only with set (set it, or leave it out)");
    }
    return ReplyFor(draft_);
  }
  if (!request.text().empty()) {
    INMOST_RETURN_IF_ERROR(ValidateText(request.text(), "the draft"));
  }
  if (request.text() != draft_.text()) Replace(request.text());
  return ReplyFor(draft_);
}

void Drafts::StartWithNewPartner() {
  if (!draft_.text().empty()) Replace("");
}

void Drafts::Replace(const std::string& text) {
  if (text.empty()) {
    draft_.Clear();
    commit_.batch().Delete(kDraftKey);
  } else {
    draft_.set_text(text);
    draft_.set_updated_at_unix_ms(clock_.NowUnixMs());
    commit_.batch().Put(kDraftKey, crypto::AsBytes(draft_.SerializeAsString()));
  }
  commit_.AfterSync([this, draft = draft_](const Status& written) {
    if (!written.ok()) return;  // The reply says so; the reload hook re-reads the draft.
    control::Event event;
    event.set_at_unix_ms(clock_.NowUnixMs());
    event.mutable_draft()->set_text(draft.text());
    event.mutable_draft()->set_updated_at_unix_ms(draft.updated_at_unix_ms());
    events_.Publish(event);
  });
}

}  // namespace inmost::core
