#include "cli/qr_code.h"

#include <qrencode.h>

#include <memory>

namespace inmost::cli {
namespace {

constexpr int kQuietZoneModules = 2;  // Spec asks for 4; 2 scans fine on screens.
constexpr char kUpperHalf[] = "\u2580";
constexpr char kLowerHalf[] = "\u2584";
constexpr char kFullBlock[] = "\u2588";
constexpr char kBlackOnWhite[] = "\x1b[30;47m";
constexpr char kResetColors[] = "\x1b[0m";

struct QrCodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<std::string> RenderQrCode(const std::string& text, bool ansi_colors) {
  std::unique_ptr<QRcode, QrCodeDeleter> code(QRcode_encodeString(text.c_str(), /*version=*/0,
                                                                  QR_ECLEVEL_L, QR_MODE_8,
                                                                  /*casesensitive=*/1));
  if (!code) return InvalidArgument("the text does not fit in a QR code");
  const int width = code->width;
  const int size = width + 2 * kQuietZoneModules;
  auto dark = [&](int x, int y) {
    x -= kQuietZoneModules;
    y -= kQuietZoneModules;
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (code->data[y * width + x] & 1) != 0;  // Bit 0: the module is dark.
  };
  std::string out;
  for (int y = 0; y < size; y += 2) {
    if (ansi_colors) out += kBlackOnWhite;
    for (int x = 0; x < size; ++x) {
      bool top = dark(x, y);
      bool bottom = y + 1 < size && dark(x, y + 1);
      if (top && bottom) {
        out += kFullBlock;
      } else if (top) {
        out += kUpperHalf;
      } else if (bottom) {
        out += kLowerHalf;
      } else {
        out += ' ';
      }
    }
    if (ansi_colors) out += kResetColors;
    out += '\n';
  }
  return out;
}

}  // namespace inmost::cli
