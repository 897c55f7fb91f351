// Every committed peer message of an earlier build (tests/data/fixtures/*/peer-messages,
// made by tests/tools/make_fixtures) is still accepted by this build's codec and parses
// to the kind its file name says: <kind>[.<deliver item>].bin. A change to peer.proto
// that breaks a partner still running the older build fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/noise/cipher_state.h"

namespace inmost::peer {
namespace {

const std::filesystem::path kFixtures = std::filesystem::path(INMOST_TEST_DATA_DIR) / "fixtures";

// Every corpus file of every fixture set.
std::vector<std::filesystem::path> CorpusFiles() {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(kFixtures)) return files;
  for (const auto& set : std::filesystem::directory_iterator(kFixtures)) {
    const auto dir = set.path() / "peer-messages";
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& file : std::filesystem::directory_iterator(dir)) {
      if (file.path().extension() == ".bin") files.push_back(file.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The names a message's file must start with: its kind, and for a Deliver its item
// ("text" without one).
std::vector<std::string> NamesOf(const PeerMessage& message) {
  const auto* kind = PeerMessage::descriptor()->FindFieldByNumber(message.kind_case());
  if (kind == nullptr) return {"unknown"};
  if (message.kind_case() != PeerMessage::kDeliver) return {kind->name()};
  const auto* item = Deliver::descriptor()->FindFieldByNumber(message.deliver().item_case());
  return {kind->name(), item == nullptr ? "text" : item->name()};
}

// "deliver.offer.answer" -> {"deliver", "offer", "answer"}.
std::vector<std::string> Split(const std::string& stem) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = stem.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(stem.substr(start, dot - start));
  }
  parts.push_back(stem.substr(start));
  return parts;
}

crypto::SecretBytes TransportKey() {
  crypto::SecretBytes key(noise::kKeySize);
  for (size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<uint8_t>(0x40 + i);
  return key;
}

TEST(PeerMessageCorpus, EveryMessageOpensAsTheKindItsNameSays) {
  const auto files = CorpusFiles();
  ASSERT_FALSE(files.empty()) << "no corpus under " << kFixtures;
  noise::CipherState send(TransportKey());
  noise::CipherState receive(TransportKey());
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const auto bytes = ReadBytes(file);
    ASSERT_LE(bytes.size(), kMaxPeerMessageSize);
    auto sealed = send.EncryptWithAd({}, bytes);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    auto opened = OpenPeerMessage(receive, *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    const auto expected = Split(file.stem().string());
    const auto names = NamesOf(*opened);
    ASSERT_LE(names.size(), expected.size());
    EXPECT_TRUE(std::equal(names.begin(), names.end(), expected.begin()))
        << "parses as " << names.back();
    // Nothing in it is unknown to this build: an older build's fields all still exist.
    EXPECT_TRUE(opened->GetReflection()->GetUnknownFields(*opened).empty());
  }
}

TEST(PeerMessageCorpus, HoldsEveryKindThisBuildKnows) {
  std::set<std::string> covered;
  for (const auto& file : CorpusFiles()) {
    const auto parts = Split(file.stem().string());
    covered.insert(parts[0]);
    if (parts.size() > 1) covered.insert(parts[0] + "." + parts[1]);
  }
  const auto* kinds = PeerMessage::descriptor()->FindOneofByName("kind");
  for (int i = 0; i < kinds->field_count(); ++i) {
    EXPECT_TRUE(covered.contains(kinds->field(i)->name()))
        << kinds->field(i)->name() << ": add one to the newest fixture set's corpus";
  }
  const auto* items = Deliver::descriptor()->FindOneofByName("item");
  EXPECT_TRUE(covered.contains("deliver.text"));
  for (int i = 0; i < items->field_count(); ++i) {
    EXPECT_TRUE(covered.contains("deliver." + items->field(i)->name()))
        << items->field(i)->name() << ": add one to the newest fixture set's corpus";
  }
}

}  // namespace
}  // namespace inmost::peer
