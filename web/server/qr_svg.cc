#include "web/server/qr_svg.h"

#include "web/qr/qr_matrix.h"

namespace inmost::web {
namespace {

constexpr int kQuietZoneModules = 4;  // What the QR specification asks for.

}  // namespace

Result<std::string> QrSvg(const std::string& text) {
  if (text.size() > kMaxQrTextBytes) {
    return InvalidArgument("the text is over " + std::to_string(kMaxQrTextBytes) + " bytes");
  }
  INMOST_ASSIGN_OR_RETURN(qr::QrMatrix code, qr::QrMatrix::Encode(text));
  const std::string size = std::to_string(code.width() + 2 * kQuietZoneModules);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size +
                    "\" shape-rendering=\"crispEdges\">";
  svg += "<rect width=\"" + size + "\" height=\"" + size +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < code.width(); ++y) {
    for (int x = 0; x < code.width(); ++x) {
      if (!code.Dark(x, y)) continue;
      svg += "M" + std::to_string(x + kQuietZoneModules) + " " +
             std::to_string(y + kQuietZoneModules) + "h1v1h-1z";
    }
  }
  svg += "\"/></svg>\n";
  return svg;
}

}  // namespace inmost::web
