// A QR code as a square of dark and light modules, made with libqrencode: the one
// encoder behind the terminal's QR code (cli/qr_code.h) and the web page's SVG
// (web/server/qr_svg.h). It only encodes the text it is given; it never draws.
#pragma once

#include <string>
#include <vector>

#include "inmost/status.h"

namespace inmost::qr {

class QrMatrix {
 public:
  // The QR code of `text` (byte mode, error correction level L, the smallest version
  // that holds it). InvalidArgument when it does not fit in any version.
  static Result<QrMatrix> Encode(const std::string& text);

  // Modules per side, without a quiet zone.
  int width() const { return width_; }
  // Whether the module at column x, row y is dark; false outside the code, so
  // callers may ask about their quiet zone too.
  bool Dark(int x, int y) const {
    if (x < 0 || y < 0 || x >= width_ || y >= width_) return false;
    return dark_[static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)];
  }

 private:
  QrMatrix(int width, std::vector<bool> dark) : width_(width), dark_(std::move(dark)) {}

  int width_ = 0;
  std::vector<bool> dark_;
};

}  // namespace inmost::qr
