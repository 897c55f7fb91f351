// What `inmost export` writes: the conversation as a readable Markdown document or
// as JSON. An export is a copy that leaves the daemon's encrypted store, so it holds
// only what its reader has read: an envelope that was never opened appears without
// its body, even one of your own, and a forgotten message only as forgotten.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/speakers.h"
#include "proto/control.pb.h"

namespace inmost::cli {

enum class ExportFormat { kMarkdown, kJson };

struct ExportOptions {
  ExportFormat format = ExportFormat::kMarkdown;
  int64_t since_unix_ms = 0;        // Leave out messages from before this (0: none).
  int64_t exported_at_unix_ms = 0;  // Written into the export.
  Speakers speakers;                // Who wrote: your name ("You" if none) and your partner's.
};

// The export of `messages` (the whole history, oldest first):
//  - Markdown: a title, a heading per local day, then a paragraph per message such as
//    "**Sam** 21:04 — text" (or "**You**" without a name), with nudges, moments, questions,
//    envelopes
//    ("✉ sealed message (not opened)"), reactions, 📌 for pins and "(forgotten)", a
//    reply's quoted line above it, "👁 view-once message (viewed)" (never its text),
//    and "edited" or when it disappears among its notes;
//  - JSON: {"exported_at":"2027-02-14T08:00:00Z","messages":[...]}, each message in
//    protobuf's JSON mapping of inmost.control.Message, one per line.
std::string RenderExport(const std::vector<control::Message>& messages,
                         const ExportOptions& options);

}  // namespace inmost::cli
