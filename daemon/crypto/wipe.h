// Wiping secrets out of ordinary memory: a std::string, or every string and bytes
// field of a protobuf message (control requests and replies, peer messages carry keys,
// passphrases and invite codes). Must never free or shrink a buffer before wiping it.
#pragma once

#include <cstddef>
#include <string>

namespace google::protobuf {
class Message;
}

namespace inmost::crypto {

// Zeroes every byte `text` has allocated (its capacity, where an earlier, longer value
// may linger), then empties it.
void WipeString(std::string& text);

// text.erase(0, count), zeroing the bytes the move left behind past the new end.
void EraseFront(std::string& text, size_t count);

// Wipes every string and bytes field of `message` and of the messages in it, set or
// repeated, in place (WipeString); the message then holds only empty strings.
void WipeMessage(google::protobuf::Message& message);

// Zeroes the stack below the caller and the vector registers, where libsodium's SIMD
// code (and memcpy) leave words of the last key and plaintext they handled: call it
// right after a cipher call with a key that must not outlive its session.
void WipeCpuScratch();

// Wipes a string or a message when it goes out of scope, however the scope ends.
class WipedOnExit {
 public:
  explicit WipedOnExit(std::string& text) : text_(&text) {}
  explicit WipedOnExit(google::protobuf::Message& message) : message_(&message) {}
  ~WipedOnExit() {
    if (text_ != nullptr) WipeString(*text_);
    if (message_ != nullptr) WipeMessage(*message_);
  }
  WipedOnExit(const WipedOnExit&) = delete;
  WipedOnExit& operator=(const WipedOnExit&) = delete;

 private:
  std::string* text_ = nullptr;
  google::protobuf::Message* message_ = nullptr;
};

}  // namespace inmost::crypto
