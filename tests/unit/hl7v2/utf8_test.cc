// Invalid UTF-8 in HL7 v2 input: rejected with its position by default, U+FFFD on request, never copied
// into JSON output.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"
#include "hl7v2/message.h"
#include "hl7v2/text.h"

namespace crosswalk::hl7v2 {
namespace {

// PID-5 holds "M\xFCller": Latin-1 bytes in a message that does not say 8859/1.
const std::string kBadPid = "MSH|^~\\&|SND|FAC|RCV|FAC|20240102||ADT^A01|1|P|2.5.1\rPID|1||123||M\xFCller^Hans\r";

TEST(Hl7v2Utf8, InvalidBytesRejectedWithPositionAndNoContent) {
  Message m;
  Status st = m.Parse(kBadPid);
  ASSERT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(st.context().input_position, "segment 2 (PID), field 5");
  EXPECT_EQ(st.context().byte_offset, kBadPid.find('\xFC'));
  EXPECT_EQ(st.ToString().find("ller"), std::string::npos) << st.ToString();
  EXPECT_EQ(m.segment_count(), 0);
  // MSH-18 saying UTF-8 is the same; an MSH field is located too.
  std::string utf8 = "MSH|^~\\&|S\xC3|FAC|RCV|FAC|20240102||ADT^A01|1|P|2.5.1||||||UNICODE UTF-8\r";
  st = m.Parse(utf8);
  ASSERT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(st.context().input_position, "segment 1 (MSH), field 3");
  EXPECT_EQ(st.context().byte_offset, utf8.find('\xC3'));
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 either.
  for (std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "\xE2\x82"}) {
    EXPECT_EQ(m.Parse("MSH|^~\\&|A\rNTE|1||" + bad + "\r").code(), StatusCode::kParseError);
  }
  EXPECT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1||\xE2\x82\xAC \xF0\x9F\x98\x80\r").ok());
}

TEST(Hl7v2Utf8, ReplaceOptionReadsEachBadByteAsReplacementCharacter) {
  ParseOptions o;
  o.invalid_utf8 = InvalidUtf8::kReplace;
  Message m;
  ASSERT_TRUE(m.Parse(kBadPid, o).ok());
  EXPECT_TRUE(m.replaced_invalid_utf8());
  std::string scratch;
  EXPECT_EQ(m.Value(1, 5, 1, 1, 1, &scratch), "M\xEF\xBF\xBDller");
  EXPECT_EQ(m.Value(1, 5, 1, 2, 1, &scratch), "Hans");  // good values are still views
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch).data(), m.text().data() + kBadPid.find("123"));
  // With escapes to decode as well.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1||a\\T\\\xFF\r", o).ok());
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "a&\xEF\xBF\xBD");
  // A clean message is not marked.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1||ok\r", o).ok());
  EXPECT_FALSE(m.replaced_invalid_utf8());
}

TEST(Hl7v2Utf8, HexEscapesMustSpellUtf8) {
  Message m;
  std::string scratch;
  // Two escapes that together spell é are fine.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1||caf\\XC3\\\\XA9\\\r").ok());
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "caf\xC3\xA9");
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1||caf\\XC3A9\\\r").ok());
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "caf\xC3\xA9");
  // One lone byte is not.
  std::string text = "MSH|^~\\&|A\rNTE|1||caf\\XE9\\|x\r";
  Status st = m.Parse(text);
  ASSERT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(st.context().input_position, "segment 2 (NTE), field 3");
  ParseOptions o;
  o.invalid_utf8 = InvalidUtf8::kReplace;
  ASSERT_TRUE(m.Parse(text, o).ok());
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "caf\xEF\xBF\xBD");
  // In an ISO-8859-1 message, \XE9\ is é, whether or not the rest is plain ASCII.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A|||||||||||||||8859/1\rNTE|1||caf\\XE9\\\r").ok());
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "caf\xC3\xA9");
  // And its raw Latin-1 bytes are converted, never rejected.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A|||||||||||||||8859/1\rNTE|1||M\xFCller\r").ok());
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "M\xC3\xBCller");
}

TEST(Hl7v2Utf8, Helpers) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii text, long enough for words"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("0123456789\xC3"), 10u);
  std::string out;
  AppendUtf8Replacing("a\xFF\xFE" "b\xC3\xA9", &out);
  EXPECT_EQ(out, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xC3\xA9");
  EXPECT_EQ(Utf8Prefix("ab\xC3\xA9", 3), "ab");
  EXPECT_EQ(Utf8Prefix("ab\xC3\xA9", 4), "ab\xC3\xA9");
  EXPECT_EQ(Utf8Prefix("ab\xE2\x82\xAC", 4), "ab");
}

// End to end: the JSON output is always JSON.
TEST(Hl7v2Utf8, RunRejectsByDefaultAndReplacesOnRequest) {
  compiler::CompileResult r = compiler::CompileSource(
      "t.cw", "map A : hl7v2 \"ADT^A01\" -> json {\n"
              "  family: PID-5.1\n  cut: substring(\"\xC3\xA9t\xC3\xA9\", 1)\n}\n");
  ASSERT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
  auto rt = Runtime::Create();
  ASSERT_TRUE(rt.ok());
  auto program = (*rt)->Load(*r.bytecode);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  RunContext ctx(**rt);
  RunOutput out;
  Status st = ctx.Run(**program, kBadPid, {}, &out);
  EXPECT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(st.context().input_position, "segment 2 (PID), field 5");
  RunOptions replace;
  replace.invalid_utf8 = InvalidUtf8::kReplace;
  ASSERT_TRUE(ctx.Run(**program, kBadPid, replace, &out).ok());
  EXPECT_TRUE(IsValidUtf8(out.json)) << out.json;
  EXPECT_NE(out.json.find("\"family\":\"M\xEF\xBF\xBDller\""), std::string::npos) << out.json;
  // substring() counts bytes and cut "é" in half: the writer puts U+FFFD for the stray byte.
  EXPECT_NE(out.json.find("\"cut\":\"\xEF\xBF\xBDt\xC3\xA9\""), std::string::npos) << out.json;
}

}  // namespace
}  // namespace crosswalk::hl7v2

namespace crosswalk::hl7v2 {
namespace {

// Found by fuzz.hl7v2_split under ASan: a text of whole 64-byte ASCII blocks, in a buffer of exactly that
// size, made the check read one byte past its end. (A std::string hides it: its buffer has a NUL after.)
TEST(Hl7v2Utf8, WholeAsciiBlocksAreNotReadPastTheirEnd) {
  for (size_t n : {64u, 128u, 72u, 65u, 8u, 1u}) {
    std::unique_ptr<char[]> exact(new char[n]);
    std::memset(exact.get(), 'A', n);
    EXPECT_EQ(FindInvalidUtf8(std::string_view(exact.get(), n)), std::string_view::npos) << n;
    exact[n - 1] = '\xFF';
    EXPECT_EQ(FindInvalidUtf8(std::string_view(exact.get(), n)), n - 1) << n;
  }
}

}  // namespace
}  // namespace crosswalk::hl7v2
