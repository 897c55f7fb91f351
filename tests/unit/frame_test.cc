#include "daemon/wire/frame.h"

#include <gtest/gtest.h>

#include <vector>

namespace inmost::wire {
namespace {

Bytes Body(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// Drains every complete frame; fails the test on a decoder error.
std::vector<Bytes> Drain(FrameDecoder& decoder) {
  std::vector<Bytes> out;
  while (true) {
    auto next = decoder.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

TEST(Frame, EncodeWritesBigEndianLength) {
  auto frame = EncodeFrame(Bytes{0xaa, 0xbb, 0xcc});
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(*frame, (Bytes{0x00, 0x03, 0xaa, 0xbb, 0xcc}));
  auto big = EncodeFrame(Body(0x1234, 1));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)[0], 0x12);
  EXPECT_EQ((*big)[1], 0x34);
  EXPECT_EQ(big->size(), 0x1234u + 2);
}

TEST(Frame, RoundTrip) {
  const Bytes body = Body(100, 3);
  auto frame = EncodeFrame(body);
  ASSERT_TRUE(frame.ok());
  FrameDecoder decoder;
  decoder.Feed(*frame);
  auto frames = Drain(decoder);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], body);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Frame, ByteAtATime) {
  Bytes stream;
  std::vector<Bytes> bodies = {Body(1, 1), Body(300, 2), Body(5, 3)};
  for (const auto& b : bodies) ASSERT_TRUE(AppendFrame(b, stream).ok());
  FrameDecoder decoder;
  std::vector<Bytes> got;
  for (uint8_t byte : stream) {
    decoder.Feed(std::span<const uint8_t>(&byte, 1));
    for (auto& f : Drain(decoder)) got.push_back(std::move(f));
  }
  EXPECT_EQ(got, bodies);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Frame, ManyFramesInOneFeed) {
  Bytes stream;
  std::vector<Bytes> bodies;
  for (int i = 0; i < 50; ++i) {
    bodies.push_back(Body(1 + i * 13, static_cast<uint8_t>(i)));
    ASSERT_TRUE(AppendFrame(bodies.back(), stream).ok());
  }
  // Half a frame more, which must wait.
  const Bytes last = *EncodeFrame(Body(40, 9));
  stream.insert(stream.end(), last.begin(), last.begin() + 20);
  FrameDecoder decoder;
  decoder.Feed(stream);
  EXPECT_EQ(Drain(decoder), bodies);
  EXPECT_EQ(decoder.buffered(), 20u);
  decoder.Feed(std::span<const uint8_t>(last).subspan(20));
  auto rest = Drain(decoder);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0], Body(40, 9));
}

TEST(Frame, MaximumSizeIsAccepted) {
  const Bytes body = Body(kMaxFrameBody, 5);
  auto frame = EncodeFrame(body);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->size(), kMaxFrameSize);
  FrameDecoder decoder;
  decoder.Feed(*frame);
  auto frames = Drain(decoder);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], body);
}

TEST(Frame, OversizedAndEmptyBodiesAreRefusedOnEncode) {
  auto too_big = EncodeFrame(Body(kMaxFrameBody + 1, 0));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(too_big.status().message(), "a frame body of 65536 bytes exceeds the maximum of 65535");

  auto empty = EncodeFrame({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);

  Bytes out = {1, 2};
  EXPECT_FALSE(AppendFrame(Body(kMaxFrameBody + 1, 0), out).ok());
  EXPECT_EQ(out, (Bytes{1, 2}));
}

TEST(Frame, ZeroLengthIsAnErrorAndSticky) {
  FrameDecoder decoder;
  Bytes stream = *EncodeFrame(Bytes{7});
  stream.insert(stream.end(), {0x00, 0x00, 0x00, 0x01, 0x09});
  decoder.Feed(stream);
  auto first = decoder.Next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, Bytes{7});

  auto bad = decoder.Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_NE(bad.status().message().find("empty frame"), std::string::npos);

  decoder.Feed(*EncodeFrame(Bytes{1, 2, 3}));
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.Next().status().code(), Code::kCorruption);
}

TEST(Frame, TruncatedStreamWaitsWithoutError) {
  const Bytes frame = *EncodeFrame(Body(1000, 4));
  for (size_t cut : {size_t{0}, size_t{1}, size_t{2}, size_t{500}, frame.size() - 1}) {
    FrameDecoder decoder;
    decoder.Feed(std::span<const uint8_t>(frame).first(cut));
    auto next = decoder.Next();
    ASSERT_TRUE(next.ok()) << cut;
    EXPECT_FALSE(next->has_value()) << cut;
    EXPECT_EQ(decoder.buffered(), cut);
  }
}

TEST(Frame, BufferStaysWithinDocumentedBound) {
  // Maximal frames delivered in reads of N bytes: after draining, never more than
  // one unfinished frame plus the last read is held.
  constexpr size_t kReadSize = 4096;
  Bytes stream;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendFrame(Body(kMaxFrameBody, 1), stream).ok());
  FrameDecoder decoder;
  size_t frames = 0;
  for (size_t off = 0; off < stream.size(); off += kReadSize) {
    const size_t n = std::min(kReadSize, stream.size() - off);
    decoder.Feed(std::span<const uint8_t>(stream).subspan(off, n));
    EXPECT_LE(decoder.buffered(), kMaxFrameSize - 1 + n);
    frames += Drain(decoder).size();
    EXPECT_LT(decoder.buffered(), kMaxFrameSize);
  }
  EXPECT_EQ(frames, 5u);
}

}  // namespace
}  // namespace inmost::wire
