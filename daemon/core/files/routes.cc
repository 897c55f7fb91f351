// What file transfers own: chunks and wants on the link, offers and their outcome on
// the stream, the requests that list, save and download files, and (through
// uploads.h) those that put files in over the control socket.
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/router.h"

namespace inmost::core {

void FileTransfers::Register(Router& router) {
  auto on_message = [this](const peer::PeerMessage& message) { OnPeerMessage(message); };
  router.OnMessage(peer::PeerMessage::kFileChunk, "files", on_message);
  router.OnMessage(peer::PeerMessage::kFileWant, "files", on_message);
  auto on_item = [this](const peer::Deliver& item) { OnItem(item); };
  for (auto kind : {peer::Deliver::kFile, peer::Deliver::kFileDone, peer::Deliver::kFileCancel}) {
    router.OnItem(kind, "files", on_item);
  }
  router.OnRequest(
      control::Request::kTransfers, "files", Sync::kNone,
      [this](const control::Request&) { return Result<control::TransfersReply>(Transfers()); },
      &control::Response::mutable_transfers);
  router.OnRequest(
      control::Request::kSave, "files", Sync::kNone,
      [this](const control::Request& request) -> boost::asio::awaitable<Result<control::Response>> {
        auto reply = co_await Save(request.save());
        co_return ReplyAs(std::move(reply), &control::Response::mutable_save);
      });
  router.OnRequest(
      control::Request::kDownload, "files", Sync::kNone,
      [this](const control::Request& request) { return Download(request.download()); },
      &control::Response::mutable_download);
  uploads_.Register(router);
}

}  // namespace inmost::core
