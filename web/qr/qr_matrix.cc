#include "web/qr/qr_matrix.h"

#include <qrencode.h>

#include <memory>

namespace inmost::qr {
namespace {

struct QrCodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<QrMatrix> QrMatrix::Encode(const std::string& text) {
  std::unique_ptr<QRcode, QrCodeDeleter> code(QRcode_encodeString(text.c_str(), /*version=*/0,
                                                                  QR_ECLEVEL_L, QR_MODE_8,
                                                                  /*casesensitive=*/1));
  if (!code) return InvalidArgument("the text does not fit in a QR code");
  const int width = code->width;
  std::vector<bool> dark(static_cast<size_t>(width) * static_cast<size_t>(width));
  for (size_t i = 0; i < dark.size(); ++i) {
    dark[i] = (code->data[i] & 1) != 0;  // Bit 0: the module is dark.
  }
  return QrMatrix(width, std::move(dark));
}

}  // namespace inmost::qr
