#include "core/user_text.h"

#include <string>

#include "gtest/gtest.h"

namespace strads::core {
namespace {

TEST(QuoteUserText, KeepsPrintableTextAndEscapesEveryOtherByte) {
  EXPECT_EQ(QuoteUserText("abc 1:2"), "'abc 1:2'");
  EXPECT_EQ(QuoteUserText(std::string("\x1f\x8b\x08", 3)), "'\\x1f\\x8b\\x08'");
  EXPECT_EQ(QuoteUserText("caf\xC3\xA9"), "'caf\\xc3\\xa9'");
  EXPECT_EQ(QuoteUserText(std::string("a\0b", 3)), "'a\\x00b'");
}

TEST(QuoteUserText, CutsLongTextAndSaysHowLongItWas) {
  const std::string line(5000, 'x');
  EXPECT_EQ(QuoteUserText(line, 4), "'xxxx'... (5000 bytes)");
  EXPECT_EQ(QuoteUserText("abcd", 4), "'abcd'");
}

TEST(ValidUtf8, KeepsWellFormedTextAndEscapesEveryStrayByte) {
  EXPECT_EQ(ValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(ValidUtf8("gz \x1f\x8b\x08"), "gz \x1f\\x8b\x08");
  EXPECT_EQ(ValidUtf8("cut \xC3"), "cut \\xc3");                     // truncated sequence
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(StripUtf8Bom, RemovesOnlyALeadingMark) {
  EXPECT_EQ(StripUtf8Bom("\xEF\xBB\xBF"
                         "1 1:2"),
            "1 1:2");
  EXPECT_EQ(StripUtf8Bom("1 1:2"), "1 1:2");
  EXPECT_EQ(StripUtf8Bom("1 \xEF\xBB\xBF"), "1 \xEF\xBB\xBF");
  EXPECT_EQ(StripUtf8Bom(""), "");
}

}  // namespace
}  // namespace strads::core
