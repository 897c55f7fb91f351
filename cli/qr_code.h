// Draws a QR code in the terminal with Unicode half blocks (two modules per
// character cell), so an invite can be scanned off the screen. It only draws text
// it is given; it never decides what goes into the code.
#pragma once

#include <string>

#include "inmost/status.h"

namespace inmost::cli {

// The QR code of `text` as lines of half-block characters with a quiet zone.
// With `ansi_colors` the code is painted black on white, so it scans the same on
// dark and light terminals; without, it assumes dark text on a light background.
Result<std::string> RenderQrCode(const std::string& text, bool ansi_colors);

}  // namespace inmost::cli
