// The invite's QR code as an SVG image for the web page (GET /qr.svg), drawn from
// web/qr/qr_matrix.h. It draws only the text it is given, escaping nothing into the
// markup: the text never appears in the SVG, only its modules.
#pragma once

#include <string>

#include "inmost/status.h"

namespace inmost::web {

// At most this many bytes of text are encoded.
inline constexpr size_t kMaxQrTextBytes = 1024;

// The SVG document of `text`'s QR code, black on white with a quiet zone.
// InvalidArgument when the text is too long.
Result<std::string> QrSvg(const std::string& text);

}  // namespace inmost::web
