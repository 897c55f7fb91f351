// How the CLI shows files: sizes, an attachment in `history` and `chat`, a transfer
// in `inmost transfers` with its progress bar. Pure functions: names, types and
// errors come from the partner, so they reach the terminal only through OneLine().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/control.pb.h"

namespace inmost::cli {

// A size for people, in binary units: "0 B", "512 B", "1.0 KiB", "2.4 MiB", "3.7 GiB",
// "1.2 TiB"; one decimal from KiB on, rounded to the nearest tenth (and moving up a
// unit when that rounds to 1024).
std::string FormatBytes(uint64_t bytes);

// A file's size as FormatBytes(), "up to 4.0 MiB" while it is sealed (no name yet),
// when the daemon shows it rounded up.
std::string FileSize(const control::Attachment& file);

// How much of `total` `done` is, in whole percent, rounded down so that only a
// finished transfer shows 100; an empty total counts as done (100).
int PercentDone(uint64_t done, uint64_t total);

// A bar of `width` cells for `done` of `total`: "[#####.....]" (cells filled rounded
// down, like PercentDone).
std::string ProgressBar(uint64_t done, uint64_t total, size_t width = 10);

// What a file is called: its name on one line, shortened to at most `max_bytes`
// bytes of UTF-8 (ending in "…"), or "(sealed)" while it is inside a withheld
// envelope (no name yet).
std::string FileName(const control::Attachment& file, size_t max_bytes = 64);

// "sending", "sent", "receiving", "received", "failed: <error>".
std::string AttachmentStateWords(const control::Attachment& file);

// An attachment as `history` and `chat` show it:
// "📎 photo.jpg (2.4 MiB, image/jpeg)", with ", 37%" in the parentheses while it is
// sending or receiving and ", failed: <error>" when it failed.
std::string FormatAttachment(const control::Attachment& file);

// One line of `inmost transfers`:
// "#12 → photo.jpg  [###.......]  37%  912.0 KiB / 2.4 MiB  sending"
// (→ outgoing, ← incoming).
std::string FormatTransfer(const control::Transfer& transfer);

// `line` cut to at most `columns` characters (UTF-8 code points), ending in "…" when
// cut, so that it stays on one terminal line.
std::string FitColumns(std::string_view line, size_t columns);

// Whether a file is still moving (SENDING or RECEIVING).
bool IsMoving(const control::Attachment& file);

// Puts a transfer event into `transfers`: the entry with its id gets the new
// direction and attachment, or a new entry is added at the end.
void ApplyTransferProgress(const control::TransferProgress& progress,
                           std::vector<control::Transfer>* transfers);

// A line for `chat` when a transfer finished or failed: "-- 📎 #12 photo.jpg (2.4 MiB)
// received: save it with: inmost save 12", "... sent", "... failed: <error>"; empty
// while it is still moving.
std::string FormatTransferDone(const control::TransferProgress& progress);

}  // namespace inmost::cli
