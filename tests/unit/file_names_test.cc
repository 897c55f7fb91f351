// File names from the partner: as history shows them (ShownFileName, the name as
// sent, made one path component) and as a received file is saved (SafeFileName: no
// hidden dot-file, nothing invisible or reordering), and media types.
#include "daemon/core/files/file_names.h"

#include <gtest/gtest.h>

#include <string>

namespace inmost {
namespace {

TEST(FileNames, AShownNameIsOneComponentAsSent) {
  EXPECT_EQ(core::ShownFileName("photo.jpg"), "photo.jpg");
  EXPECT_EQ(core::ShownFileName("../../etc/passwd"), ".._.._etc_passwd");
  EXPECT_EQ(core::ShownFileName("a\\b"), "a_b");
  EXPECT_EQ(core::ShownFileName(".."), "file");
  EXPECT_EQ(core::ShownFileName("."), "file");
  EXPECT_EQ(core::ShownFileName(""), "file");
  EXPECT_EQ(core::ShownFileName("a\nb"), "a_b");
  EXPECT_EQ(core::ShownFileName(std::string("a\0b", 3)), "a_b");
  // What the partner chose stays visible in history, surprising or not.
  EXPECT_EQ(core::ShownFileName(".bashrc"), ".bashrc");
  EXPECT_EQ(core::ShownFileName("photo\u202Egnp.exe"), "photo\u202Egnp.exe");
}

TEST(FileNames, ALongNameIsCutInItsStemAtACharacter) {
  std::string long_name(300, 'x');
  long_name += "é";
  EXPECT_EQ(core::ShownFileName(long_name), std::string(255, 'x'));
  std::string accents(254, 'x');
  accents += "é";  // Two bytes: cut before it rather than in the middle.
  EXPECT_EQ(core::ShownFileName(accents), std::string(254, 'x'));
  // The extension survives the cut, so the file still opens as what it is.
  EXPECT_EQ(core::ShownFileName(std::string(300, 'x') + ".jpg"), std::string(251, 'x') + ".jpg");
  EXPECT_EQ(core::SafeFileName(std::string(300, 'x') + ".jpg"), std::string(251, 'x') + ".jpg");
  std::string accented_stem;
  for (int i = 0; i < 150; ++i) accented_stem += "é";
  std::string cut = core::ShownFileName(accented_stem + ".png");
  EXPECT_EQ(cut, accented_stem.substr(0, 250) + ".png");
  // A long "extension" is part of the name: the end goes.
  std::string odd = "a." + std::string(300, 'y');
  EXPECT_EQ(core::ShownFileName(odd), odd.substr(0, 255));
}

TEST(FileNames, ASavedNameIsNeverHidden) {
  EXPECT_EQ(core::SafeFileName("photo.jpg"), "photo.jpg");
  EXPECT_EQ(core::SafeFileName(".bashrc"), "bashrc");
  EXPECT_EQ(core::SafeFileName(".ssh"), "ssh");
  EXPECT_EQ(core::SafeFileName("...profile"), "profile");
  EXPECT_EQ(core::SafeFileName(".tar.gz"), "tar.gz");
  EXPECT_EQ(core::SafeFileName("../../etc/passwd"), "_.._etc_passwd");
  EXPECT_EQ(core::SafeFileName("notes.v2.txt"), "notes.v2.txt");
  for (const char* nothing_left : {"", ".", "..", "...", ".\u200B.", "\u200B\u2060\uFEFF"}) {
    EXPECT_EQ(core::SafeFileName(nothing_left), "file") << nothing_left;
  }
  // An invisible character cannot shield the leading dot.
  EXPECT_EQ(core::SafeFileName("\u200B.bashrc"), "bashrc");
  EXPECT_EQ(core::SafeFileName("\uFEFF.ssh"), "ssh");
}

TEST(FileNames, ASavedNameReadsAsItIs) {
  // U+202E shows "photo<RLO>gnp.exe" as "photoexe.png": saved, it ends in .exe.
  EXPECT_EQ(core::SafeFileName("photo\u202Egnp.exe"), "photognp.exe");
  EXPECT_EQ(core::SafeFileName("\u2067txt.exe\u2069.pdf"), "txt.exe.pdf");
  // Every bidi control, zero-width and other invisible character goes.
  for (const char* invisible :
       {"\u202A",     "\u202B", "\u202C", "\u202D", "\u202E", "\u2066",     "\u2067",
        "\u2068",     "\u2069", "\u200E", "\u200F", "\u061C", "\u200B",     "\u200C",
        "\u200D",     "\u2060", "\uFEFF", "\u00AD", "\u2061", "\u2064",     "\u206A",
        "\u206F",     "\u034F", "\u180E", "\u3164", "\uFE0F", "\U000E0001", "\U000E0041",
        "\U000E0100", "\u2028", "\u2029", "\uFFF9", "\u0600", "\U0001D173"}) {
    EXPECT_EQ(core::SafeFileName(std::string("a") + invisible + "b.txt"), "ab.txt")
        << ::testing::PrintToString(std::string(invisible));
  }
  // Controls show as '_', C1 ones (U+0080..U+009F) included.
  EXPECT_EQ(core::SafeFileName("a\nb"), "a_b");
  EXPECT_EQ(core::SafeFileName("a\u0085b\u009B"), "a_b_");
  EXPECT_EQ(core::SafeFileName("a\x7f"), "a_");
  // Bytes that are not UTF-8 (stray, cut short, overlong, a surrogate) each become '_'.
  EXPECT_EQ(core::SafeFileName("a\xff"
                               "b"),
            "a_b");
  EXPECT_EQ(core::SafeFileName("a\xc3"), "a_");
  EXPECT_EQ(core::SafeFileName("\xc0\xae\xc0\xae"
                               "x"),
            "____x");
  EXPECT_EQ(core::SafeFileName("\xed\xa0\x80"), "___");
  EXPECT_EQ(core::SafeFileName("\xf4\x90\x80\x80"), "____");
  // Visible characters of every script stay, spaces and emoji too.
  for (const char* visible : {"Café – 日本.jpg", "Фото 2024.png", "صورة.jpg", "we 😀🏖.heic",
                              "a\u00A0b.txt", "\U0010FFFD.bin"}) {
    EXPECT_EQ(core::SafeFileName(visible), visible);
  }
}

TEST(FileNames, MediaTypeByExtension) {
  EXPECT_EQ(core::MediaType("/a/b/Our Day.JPG"), "image/jpeg");
  EXPECT_EQ(core::MediaType("note.m4a"), "audio/mp4");
  EXPECT_EQ(core::MediaType("archive.tar.xz"), "application/octet-stream");
  EXPECT_EQ(core::MediaType("README"), "application/octet-stream");
}

}  // namespace
}  // namespace inmost
