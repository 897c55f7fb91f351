// How `inmost chat` words messages, nudge runs and its JSON lines. The hints it
// rewrites are only in the state part of a line, never in the text a person wrote.
#include "cli/chat_lines.h"

#include <google/protobuf/struct.pb.h>

#include "cli/context.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {

std::string ChatMessageLine(const control::Message& message, const Speakers& speakers) {
  int64_t now = NowUnixMs();
  bool today = LocalTime(MessageTimeUnixMs(message), "%Y-%m-%d") == LocalTime(now, "%Y-%m-%d");
  std::string line = FormatMessage(message, today ? "%H:%M" : kDateTimeFormat, now, speakers);
  // The state is the last "  (...)"; the body and reactions come before it.
  size_t state = line.rfind("  (");
  if (state == std::string::npos) return line;
  const std::string from = "inmost ";
  for (size_t at = line.find(from, state); at != std::string::npos; at = line.find(from, at)) {
    line.replace(at, from.size(), "/");
  }
  return line;
}

std::string NudgeRunLine(const control::Message& last, uint32_t count, const Speakers& speakers) {
  control::Message run = last;
  run.mutable_nudge()->set_count(count);
  return ChatMessageLine(run, speakers);
}

std::string JsonMessageLine(const control::Message& message) {
  return "{\"message\":" + ToJsonLine(message) + "}";
}

std::string JsonNoticeLine(const std::string& text) {
  google::protobuf::Struct notice;
  (*notice.mutable_fields())["notice"].set_string_value(text);
  return ToJsonLine(notice);
}

}  // namespace inmost::cli
