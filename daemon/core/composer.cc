#include "daemon/core/composer.h"

namespace inmost::core {
namespace {

// Nothing asks for an envelope: no time to open at, no gentleness, no reveal.
bool IsPlainText(const control::SendRequest& send) {
  return send.open_at_unix_ms() == 0 && !send.gentle() && !send.together() &&
         send.send_at_unix_ms() == 0 && send.note().empty();
}

}  // namespace

void Composer::Register(Router& router) {
  router.OnRequest(
      control::Request::kSend, "composer", Sync::kNone,
      [this](const control::Request& request) -> boost::asio::awaitable<Result<control::Response>> {
        auto reply = co_await Send(request.send());
        co_return ReplyAs(std::move(reply), &control::Response::mutable_send);
      });
}

boost::asio::awaitable<Result<control::SendReply>> Composer::Send(
    const control::SendRequest& request) {
  const bool has_file = !request.file_path().empty() || !request.upload_id().empty();
  const bool plain = IsPlainText(request) && !has_file;
  if (request.view_once() && (!IsPlainText(request) || request.urgent())) {
    co_return InvalidArgument(
        "a view-once message is a plain text or file: not sealed, gentle, together, scheduled "
        "or urgent");
  }
  if (request.reply_to() != 0 && !plain) {
    co_return InvalidArgument(
        "a reply is a plain text: not an envelope, a scheduled message or a file");
  }
  if (plain && !request.view_once()) {
    TextOptions options;
    options.urgent = request.urgent();
    options.reply_to_id = request.reply_to();
    auto sent = co_await conversation_.Send(request.text(), options);  // Syncs itself.
    co_return sent;
  }
  if (request.urgent()) co_return InvalidArgument("only a plain text can be urgent");
  Result<control::SendReply> reply = InvalidArgument("nothing to send");
  if (request.view_once() && !has_file) {
    reply = view_once_.Send(request.text(), request.reply_to());
  } else if (IsPlainText(request)) {
    auto file = files_.Prepare(request.file_path(), request.upload_id());
    if (!file.ok()) co_return file.status();
    reply = files_.Send(std::move(*file), request.text(), request.view_once());
  } else {
    reply = envelopes_.Send(request);
  }
  if (!reply.ok()) co_return reply;
  Status synced = co_await commit_.Sync();
  if (!synced.ok()) co_return synced;
  co_return reply;
}

}  // namespace inmost::core
