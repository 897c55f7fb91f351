#include "cli/qr_code.h"

#include "web/qr/qr_matrix.h"

namespace inmost::cli {
namespace {

constexpr int kQuietZoneModules = 2;  // Spec asks for 4; 2 scans fine on screens.
constexpr char kUpperHalf[] = "\u2580";
constexpr char kLowerHalf[] = "\u2584";
constexpr char kFullBlock[] = "\u2588";
constexpr char kBlackOnWhite[] = "\x1b[30;47m";
constexpr char kResetColors[] = "\x1b[0m";

}  // namespace

Result<std::string> RenderQrCode(const std::string& text, bool ansi_colors) {
  INMOST_ASSIGN_OR_RETURN(qr::QrMatrix code, qr::QrMatrix::Encode(text));
  const int size = code.width() + 2 * kQuietZoneModules;
  auto dark = [&](int x, int y) { return code.Dark(x - kQuietZoneModules, y - kQuietZoneModules); };
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
