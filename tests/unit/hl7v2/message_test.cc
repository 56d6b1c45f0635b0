#include "hl7v2/message.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hl7v2/framing.h"

namespace crosswalk::hl7v2 {
namespace {

constexpr std::string_view kAdt =
    "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20240101120000||ADT^A01^ADT_A01|CTRL1|P|2.5.1\r"
    "EVN|A01|20240101120000\r"
    "PID|1||111^^^HOSP^MR~222^^^SSA^SS&X&Y||Smith^John^Q||19800101|M|||1 Main St^^Town^ST^12345\r"
    "PV1|1|I|W^1^2\r";

std::string V(const Message& m, int seg, int f, int r, int c, int s) {
  std::string scratch;
  return std::string(m.Value(seg, f, r, c, s, &scratch));
}

// The first piece of s split at c (all of s when there is no c).
std::string PlainPieceOrAll(const std::string& s, char c) { return s.substr(0, s.find(c)); }

TEST(Hl7v2Message, FieldNumberingFollowsHl7) {
  Message m;
  ASSERT_TRUE(m.Parse(kAdt).ok());
  ASSERT_EQ(m.segment_count(), 4);
  EXPECT_EQ(m.segment_id(0), "MSH");
  EXPECT_EQ(m.Raw(0, 1), "|");
  EXPECT_EQ(m.Raw(0, 2), "^~\\&");
  EXPECT_EQ(m.Raw(0, 3), "SENDAPP");
  EXPECT_EQ(m.Raw(0, 9, 1, 2), "A01");
  EXPECT_EQ(m.Raw(0, 10), "CTRL1");
  EXPECT_EQ(m.field_count(0), 12);
  EXPECT_EQ(m.Raw(2, 1), "1");
  EXPECT_EQ(m.Raw(2, 5, 1, 1), "Smith");
  EXPECT_EQ(m.Raw(2, 5, 1, 2), "John");
  EXPECT_EQ(m.field_count(2), 11);
  EXPECT_EQ(m.repetition_count(2, 3), 2);
  EXPECT_EQ(m.Raw(2, 3, 2, 1), "222");
  EXPECT_EQ(m.Raw(2, 3, 2, 5), "SS&X&Y");
  EXPECT_EQ(m.Raw(2, 3, 2, 5, 2), "X");
  EXPECT_EQ(m.subcomponent_count(2, 3, 2, 5), 3);
  EXPECT_EQ(m.component_count(2, 3, 1), 5);
  EXPECT_EQ(m.Raw(2, 3, 3, 1), "");  // absent repetition
  EXPECT_EQ(m.Raw(2, 99), "");
  EXPECT_EQ(m.Raw(99, 1), "");
  EXPECT_EQ(m.Raw(-1, 1), "");
  EXPECT_EQ(m.repetition_count(2, 2), 0);
  EXPECT_EQ(m.FindSegment("PV1"), 3);
  EXPECT_EQ(m.FindSegment("PV1", 0, 3), -1);
  EXPECT_EQ(m.FindSegment("OBX"), -1);
}

TEST(Hl7v2Message, SegmentTerminators) {
  for (std::string_view eol : {"\r", "\n", "\r\n"}) {
    std::string text = "MSH|^~\\&|A\rPID|1\rPV1|1\r";
    std::string replaced;
    for (char c : text) {
      if (c == '\r') {
        replaced += eol;
      } else {
        replaced += c;
      }
    }
    Message m;
    ASSERT_TRUE(m.Parse(replaced).ok()) << eol.size();
    EXPECT_EQ(m.segment_count(), 3);
    EXPECT_EQ(m.Raw(2, 1), "1");
  }
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\r\nPID|1\nPV1|1\r\r\nOBX|1").ok());  // mixed, blank line, no final EOL
  EXPECT_EQ(m.segment_count(), 4);
  EXPECT_EQ(m.segment_id(3), "OBX");
  EXPECT_EQ(m.Raw(3, 1), "1");
}

TEST(Hl7v2Message, BomAndMllp) {
  Message m;
  ASSERT_TRUE(m.Parse("\xEF\xBB\xBFMSH|^~\\&|A\rPID|1\r").ok());
  EXPECT_EQ(m.segment_count(), 2);
  ASSERT_TRUE(m.Parse("\x0BMSH|^~\\&|A\rPID|1\r\x1C\r").ok());
  EXPECT_EQ(m.segment_count(), 2);
  EXPECT_EQ(m.Raw(1, 1), "1");
  Status st = m.Parse("\x0BMSH|^~\\&|A\rPID|1\r");
  EXPECT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(m.segment_count(), 0);
  EXPECT_EQ(m.Parse("\x0BMSH|^~\\&|A\r\x1C\rPID").code(), StatusCode::kParseError);
}

TEST(Hl7v2Message, CustomDelimitersAndTruncationChar) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH#!@%*#S#F\rPID#1##A!B@C*D%E\\S\\").ok());
  EXPECT_EQ(m.encoding().field, '#');
  EXPECT_EQ(m.encoding().component, '!');
  EXPECT_EQ(m.encoding().repetition, '@');
  EXPECT_EQ(m.encoding().escape, '%');
  EXPECT_EQ(m.encoding().subcomponent, '*');
  EXPECT_EQ(m.Raw(1, 3, 1, 1), "A");
  EXPECT_EQ(m.Raw(1, 3, 1, 2), "B");
  EXPECT_EQ(m.Raw(1, 3, 2, 1, 1), "C");
  EXPECT_EQ(m.Raw(1, 3, 2, 1, 2), "D%E\\S\\");
  EXPECT_EQ(V(m, 1, 3, 2, 1, 2), "D%E\\S\\");  // '%' starts "%E\\S\\" - no closing '%': kept literally

  ASSERT_TRUE(m.Parse("MSH|^~\\&#|A\rOBX|1|ST|||a\\P\\b#c").ok());
  EXPECT_EQ(m.encoding().truncation, '#');
  EXPECT_EQ(m.Raw(0, 2), "^~\\&#");
  EXPECT_EQ(V(m, 1, 5, 1, 1, 1), "a#b#c");
}

TEST(Hl7v2Message, DoubledEscapeQuirk) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\\\&|A\rPID|1||a&b").ok());
  EXPECT_EQ(m.encoding().escape, '\\');
  EXPECT_EQ(m.encoding().subcomponent, '&');
  EXPECT_EQ(m.encoding().truncation, '\0');
  EXPECT_EQ(m.Raw(1, 3, 1, 1, 2), "b");
}

TEST(Hl7v2Message, BrokenEncodingCharacters) {
  Message m;
  for (std::string_view bad : {"MSH|&&&&|A", "MSH|^~\\|A", "MSH|^~\\&|", "MSH|^~\\&#$|A", "MSH|^~|&|A",
                               "MSH|^A\\&|x", "MSHA^~\\&|x", "MSH", "MSH|", "MSH|^~\\ &|x"}) {
    if (bad == "MSH|^~\\&|") continue;  // valid: empty MSH-3
    Status st = m.Parse(bad);
    EXPECT_EQ(st.code(), StatusCode::kParseError) << bad;
    EXPECT_NE(st.context().input_position.find("segment 1"), std::string::npos) << bad;
  }
}

TEST(Hl7v2Message, EscapeSequences) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1||"
                      "F\\F\\S\\S\\T\\T\\R\\R\\E\\E\\|"                    // NTE-3
                      "\\X41\\\\X4243\\\\Xc3a9\\|"                         // NTE-4
                      "a\\.br\\b\\.sp\\c\\.sp 3\\d\\.sk 2\\e\\.ce\\f|"     // NTE-5
                      "\\H\\bold\\N\\ \\.fi\\\\.nf\\\\.in +4\\\\.ti -2\\x|"  // NTE-6
                      "\\Zlocal\\ \\Xzz\\ \\P\\ \\Q\\ \\C2842\\k|"         // NTE-7
                      "unterminated \\F|"                                  // NTE-8
                      "\\\\|")                                             // NTE-9
                  .ok());
  EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "F|S^T&R~E\\");
  EXPECT_EQ(V(m, 1, 4, 1, 1, 1), "ABC\xC3\xA9");
  EXPECT_EQ(V(m, 1, 5, 1, 1, 1), "a\nb\nc\n\n\nd  e\nf");
  EXPECT_EQ(V(m, 1, 6, 1, 1, 1), "bold x");
  EXPECT_EQ(V(m, 1, 7, 1, 1, 1), "\\Zlocal\\ \\Xzz\\ \\P\\ \\Q\\ k");
  EXPECT_EQ(V(m, 1, 8, 1, 1, 1), "unterminated \\F");
  EXPECT_EQ(V(m, 1, 9, 1, 1, 1), "\\\\");
  // No escape: a view into the message, scratch untouched.
  std::string scratch = "keep";
  std::string_view v = m.Value(0, 3, 1, 1, 1, &scratch);
  EXPECT_EQ(v, "A");
  EXPECT_EQ(scratch, "keep");
  EXPECT_GE(v.data(), m.text().data());
  EXPECT_LT(v.data(), m.text().data() + m.text().size());
}

// Values that lie before a message's first escape character or after its last one are returned as views
// without a scan; everything between, and text from elsewhere, is decoded as before.
TEST(Hl7v2Message, EscapesAmongPlainSegments) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rOBX|1|ST|a^b||x\\T\\y|u\rNTE|1|L|p\\S\\q\rOBX|2|ST|c||plain|v\r"
                      "NTE|2|L|r\\F\\s|after\rOBX|3|ST|d||z\\E\\|w\rPID|1||tail^\\T\\")
                  .ok());
  std::string scratch;
  auto in_text = [&](std::string_view v) { return v.data() >= m.text().data() && v.data() < m.text().data() + m.text().size(); };
  std::string_view before = m.Value(1, 3, 1, 2, 1, &scratch);
  EXPECT_EQ(before, "b");
  EXPECT_TRUE(in_text(before));
  EXPECT_EQ(V(m, 1, 5, 1, 1, 1), "x&y");
  EXPECT_EQ(V(m, 1, 6, 1, 1, 1), "u");
  EXPECT_EQ(V(m, 2, 3, 1, 1, 1), "p^q");
  EXPECT_EQ(V(m, 3, 5, 1, 1, 1), "plain");
  EXPECT_EQ(V(m, 4, 3, 1, 1, 1), "r|s");
  EXPECT_EQ(V(m, 4, 4, 1, 1, 1), "after");
  EXPECT_EQ(V(m, 5, 5, 1, 1, 1), "z\\");
  EXPECT_EQ(V(m, 6, 3, 1, 1, 1), "tail");
  EXPECT_EQ(V(m, 6, 3, 1, 2, 1), "&");
  // Text that is not the message's is decoded whatever the message holds.
  const std::string outside = "o\\T\\k";
  EXPECT_EQ(m.Decode(outside, &scratch), "o&k");
  // The same object parsed again: a message whose only escapes are in MSH-2 reads every value as a view;
  // the next one has an escape in its first value.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rOBX|1|ST|a||text").ok());
  std::string_view text = m.Value(1, 5, 1, 1, 1, &scratch);
  EXPECT_EQ(text, "text");
  EXPECT_TRUE(in_text(text));
  EXPECT_EQ(m.Decode(outside, &scratch), "o&k");
  ASSERT_TRUE(m.Parse("MSH|^~\\&|\\T\\A\rOBX|1|ST|a||text").ok());
  EXPECT_EQ(V(m, 0, 3, 1, 1, 1), "&A");
  EXPECT_EQ(V(m, 1, 5, 1, 1, 1), "text");
  // Text right before the message, and overlapping its start, in the same buffer: decoded.
  const std::string buffer = "o\\T\\kMSH|^~\\&|A\rOBX|1|ST|a||text";
  ASSERT_TRUE(m.Parse(std::string_view(buffer).substr(5)).ok());
  EXPECT_EQ(m.Decode(std::string_view(buffer).substr(0, 5), &scratch), "o&k");
  EXPECT_EQ(m.Decode(std::string_view(buffer).substr(0, 8), &scratch), "o&kMSH");
}

TEST(Hl7v2Message, EmptyVersusExplicitNull) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rPID|1||\"\"|^\"\"").ok());
  EXPECT_EQ(m.Raw(1, 2), "");
  EXPECT_FALSE(Message::IsExplicitNull(m.Raw(1, 2)));
  EXPECT_EQ(m.repetition_count(1, 2), 0);
  EXPECT_TRUE(Message::IsExplicitNull(m.Raw(1, 3)));
  EXPECT_EQ(m.repetition_count(1, 3), 1);
  EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "\"\"");
  EXPECT_EQ(m.Raw(1, 4, 1, 1), "");
  EXPECT_TRUE(Message::IsExplicitNull(m.Raw(1, 4, 1, 2)));
  EXPECT_FALSE(Message::IsExplicitNull("\"x\""));
}

TEST(Hl7v2Message, ZSegmentsAnyField) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A\rZPD|1|||||||||||||||||||||||||||||||||||||||||||||||||z\r").ok());
  EXPECT_EQ(m.segment_id(1), "ZPD");
  EXPECT_EQ(m.Raw(1, m.field_count(1)), "z");
}

TEST(Hl7v2Message, Latin1ConvertedWhenRead) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||M\xFCller\\S\\\\XE9\\").ok());
  EXPECT_EQ(m.charset(), Charset::kLatin1);
  EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "M\xC3\xBCller^\xC3\xA9");
  EXPECT_EQ(m.Raw(1, 3), "M\xFCller\\S\\\\XE9\\");
  // Labelled 8859/1 but valid UTF-8: taken as UTF-8.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||M\xC3\xBCller").ok());
  EXPECT_EQ(m.charset(), Charset::kUtf8);
  EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "M\xC3\xBCller");
  EXPECT_EQ(m.Parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||UNICODE UTF-16\rPID|1").code(),
            StatusCode::kUnimplemented);
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1").ok());
}

// MSH-18 as the HL7 null `""` (engines that fill every empty field with it) names no character set: read
// as an empty MSH-18 is, not refused as an unknown set.
TEST(Hl7v2Message, NullCharsetIsNoCharset) {
  Message m;
  for (const char* msh18 : {"\"\"", "\"\"~\"\"", " \"\" "}) {
    SCOPED_TRACE(msh18);
    // The message reads its text in place: the text lives as long as the reads.
    const std::string text = std::string("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||") + msh18 + "\rPID|1||M\xC3\xBCller";
    ASSERT_TRUE(m.Parse(text).ok());
    EXPECT_EQ(m.charset(), Charset::kUtf8);
    EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "M\xC3\xBCller");
  }
  // Quotes around a name are no alias of it.
  EXPECT_EQ(m.Parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||\"UTF-8\"\rPID|1").code(), StatusCode::kUnimplemented);
}

// 8859/15 (Latin-9, HL7 table 0211): Latin-1 but for eight positions, e.g. 0xA4 is the euro sign, not the
// currency sign; the other bytes >= 0x80 read as in Latin-1, in the text and in \X..\ escapes.
TEST(Hl7v2Message, Latin9ConvertedWhenRead) {
  Message m;
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A09|1|P|2.5||||||8859/15\rPID|1||\xA4 \xA6\xE9\\XBC\\").ok());
  EXPECT_EQ(m.charset(), Charset::kLatin9);
  EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "\xE2\x82\xAC \xC5\xA0\xC3\xA9\xC5\x92");
  // The same bytes labelled 8859/1 keep their Latin-1 meaning.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A09|1|P|2.5||||||8859/1\rPID|1||\xA4 \xA6").ok());
  EXPECT_EQ(V(m, 1, 3, 1, 1, 1), "\xC2\xA4 \xC2\xA6");
  // Its other names; valid UTF-8 labelled 8859/15 is taken as UTF-8, as for 8859/1.
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A09|1|P|2.5||||||iso-8859-15\rPID|1").ok());
  EXPECT_EQ(m.charset(), Charset::kLatin9);
  ASSERT_TRUE(m.Parse("MSH|^~\\&|A||||||ADT^A09|1|P|2.5||||||8859/15\rPID|1||\xE2\x82\xAC").ok());
  EXPECT_EQ(m.charset(), Charset::kUtf8);
  // A set that is no alias of these stays a clear rejection.
  EXPECT_EQ(m.Parse("MSH|^~\\&|A||||||ADT^A09|1|P|2.5||||||8859/2\rPID|1").code(), StatusCode::kUnimplemented);
}

TEST(Hl7v2Message, MalformedInputGivesCleanErrorsWithoutData) {
  Message m;
  const std::string secret = "SECRETNAME";
  struct Case {
    std::string text;
    StatusCode code;
  };
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) & 0xFF));
  const Case cases[] = {
      {"", StatusCode::kParseError},
      {"PID|1||" + secret, StatusCode::kParseError},
      {garbage, StatusCode::kParseError},
      {"MSH|^~\\&|A\r" + garbage, StatusCode::kParseError},
      {"MSH|^~\\&|A\rPI", StatusCode::kParseError},
      {"MSH|^~\\&|A\rpid|" + secret, StatusCode::kParseError},
      {"MSH|^~\\&|A\rPID|" + secret + std::string(1, '\0') + "x", StatusCode::kParseError},
      {"MSH|^~\\&|A\rPID" + std::string(1, '\0'), StatusCode::kParseError},
      {"MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B", StatusCode::kParseError},
      {"FHS|^~\\&\rMSH|^~\\&|A", StatusCode::kParseError},
      {"MSH|^~\\&|" + secret + "\rPIDX|" + secret, StatusCode::kParseError},
  };
  for (const Case& c : cases) {
    Status st = m.Parse(c.text);
    EXPECT_EQ(st.code(), c.code) << st.ToString();
    EXPECT_EQ(st.ToString().find(secret), std::string::npos) << st.ToString();
    EXPECT_EQ(m.segment_count(), 0);
  }
  Status st = m.Parse("MSH|^~\\&|A\rPID|1\rOBX|1|" + secret + std::string(1, '\0'));
  EXPECT_NE(st.ToString().find("segment 3 (OBX), field 2"), std::string::npos) << st.ToString();
}

TEST(Hl7v2Message, DeepDelimiterNestingAndHugeFields) {
  Message m;
  std::string nested = "MSH|^~\\&|A\rOBX|1|";
  for (int i = 0; i < 200000; ++i) nested += "^&~\\";
  ASSERT_TRUE(m.Parse(nested, ParseOptions{.max_repetitions = 1'000'000}).ok());
  EXPECT_EQ(m.repetition_count(1, 2), 200001);
  std::string scratch;
  EXPECT_EQ(m.Value(1, 2, 100000, 1, 1, &scratch), "\\");  // a lone escape char, kept
  std::string big = "MSH|^~\\&|A\rOBX|1|ED|||" + std::string(10u << 20, 'A');
  EXPECT_EQ(m.Parse(big).code(), StatusCode::kLimitExceeded);
  ParseOptions roomy;
  roomy.max_field_bytes = 11u << 20;
  ASSERT_TRUE(m.Parse(big, roomy).ok());
  EXPECT_EQ(m.Raw(1, 5).size(), 10u << 20);
}

// Each named limit at N (accepted) and N + 1 (kLimitExceeded).
TEST(Hl7v2Limits, MaxMessageBytes) {
  std::string text = "MSH|^~\\&|A\rPID|1";
  ParseOptions o;
  o.max_message_bytes = text.size();
  Message m;
  EXPECT_TRUE(m.Parse(text, o).ok());
  o.max_message_bytes = text.size() - 1;
  EXPECT_EQ(m.Parse(text, o).code(), StatusCode::kLimitExceeded);
}

TEST(Hl7v2Limits, MaxSegments) {
  std::string text = "MSH|^~\\&|A";
  for (int i = 0; i < 9; ++i) text += "\rNTE|1";
  ParseOptions o;
  o.max_segments = 10;
  Message m;
  EXPECT_TRUE(m.Parse(text, o).ok());
  EXPECT_EQ(m.segment_count(), 10);
  text += "\rNTE|1";
  Status st = m.Parse(text, o);
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(st.ToString().find("segment 11"), std::string::npos) << st.ToString();
}

TEST(Hl7v2Limits, MaxFieldsPerSegment) {
  ParseOptions o;
  o.max_fields_per_segment = 5;
  Message m;
  EXPECT_TRUE(m.Parse("MSH|^~\\&|A\rPID|1|2|3|4|5", o).ok());
  Status st = m.Parse("MSH|^~\\&|A\rPID|1|2|3|4|5|6", o);
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(st.ToString().find("segment 2 (PID), field 6"), std::string::npos) << st.ToString();
  // MSH counts MSH-1 and MSH-2.
  EXPECT_TRUE(m.Parse("MSH|^~\\&|3|4|5", o).ok());
  EXPECT_EQ(m.Parse("MSH|^~\\&|3|4|5|6", o).code(), StatusCode::kLimitExceeded);
}

TEST(Hl7v2Limits, MaxRepetitions) {
  ParseOptions o;
  o.max_repetitions = 10'000;
  std::string field;
  for (int i = 0; i < 10'000; ++i) field += (i ? "~x" : "x");
  Message m;
  const std::string text = "MSH|^~\\&|A\rPID|1||" + field;  // must outlive m's views
  ASSERT_TRUE(m.Parse(text, o).ok());
  EXPECT_EQ(m.repetition_count(1, 3), 10'000);
  Status st = m.Parse("MSH|^~\\&|A\rPID|1||" + field + "~x", o);
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(st.ToString().find("segment 2 (PID), field 3"), std::string::npos) << st.ToString();
  // The default rejects 10,000 repetitions.
  EXPECT_EQ(m.Parse("MSH|^~\\&|A\rPID|1||" + field).code(), StatusCode::kLimitExceeded);
}

TEST(Hl7v2Limits, MaxFieldBytes) {
  ParseOptions o;
  o.max_field_bytes = 8;
  Message m;
  EXPECT_TRUE(m.Parse("MSH|^~\\&|A\rNTE|1|12345678", o).ok());
  EXPECT_EQ(m.Parse("MSH|^~\\&|A\rNTE|1|123456789", o).code(), StatusCode::kLimitExceeded);
}

// The index splits a segment's fields on the first read of one of them. Reads in any order, of segments
// split or not, and of long segments (split while parsing, for the limits), agree with a plain split.
TEST(Hl7v2Message, LazyIndexReadsLikeAPlainSplit) {
  std::vector<std::string> segs = {"MSH|^~\\&|A|B||D|20240101||ORU^R01|X1|P|2.5.1"};
  for (int s = 0; s < 40; ++s) {
    std::string seg = s % 7 == 3 ? "NTE" : "OBX";
    int fields = (s * 5) % 13;
    for (int f = 1; f <= fields; ++f) {
      seg += "|";
      if ((s + f) % 4 != 0) seg += std::to_string(s) + "." + std::to_string(f) + "^c~r" + std::to_string(f);
    }
    if (s == 17) seg += "|" + std::string(1500, 'L');  // longer than the default limits: split while parsing
    segs.push_back(seg);
  }
  std::string text;
  for (const std::string& seg : segs) text += seg + (segs.size() % 2 ? "\r" : "\r\n");
  Message m;
  ASSERT_TRUE(m.Parse(text).ok());
  ASSERT_EQ(m.segment_count(), static_cast<int>(segs.size()));
  for (int k = 0; k < m.segment_count(); ++k) {
    const int s = (k * 17 + 5) % m.segment_count();  // not in order
    std::vector<std::string> fields;
    for (size_t b = 0, e;; b = e + 1) {
      e = segs[s].find('|', b);
      fields.push_back(segs[s].substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
    }
    const int first = s == 0 ? 3 : 1;  // MSH-3 is the piece after the encoding characters
    const int offset = s == 0 ? 1 : 0;
    EXPECT_EQ(m.segment_text(s), segs[s]);
    EXPECT_EQ(m.field_count(s), static_cast<int>(fields.size()) - 1 + offset) << s;
    for (int f = first; f < m.field_count(s) + 3; ++f) {
      const size_t piece = static_cast<size_t>(f - offset);
      EXPECT_EQ(m.Raw(s, f), piece < fields.size() ? fields[piece] : "") << s << " " << f;
    }
  }
  EXPECT_EQ(m.Raw(2, 2, 2), "r2");
  EXPECT_EQ(m.Raw(2, 2, 1, 2), "c");
}

// Counts of repetitions, components and subcomponents (16 bytes at a time, the last block masked) match a
// plain count for fields of every length from 0 to 40 with delimiters at every position mod 16, both inside
// the message and as its very last bytes (no block may be read past the text).
TEST(Hl7v2Message, PieceCountsMatchAPlainCount) {
  auto plain = [](const std::string& s, char c) {
    if (s.empty()) return 0;
    int n = 1;
    for (char x : s) n += x == c;
    return n;
  };
  for (int len = 0; len <= 40; ++len) {
    for (int step = 1; step <= 17; step += 4) {
      std::string field;
      for (int i = 0; i < len; ++i) field += i % step == step - 1 ? (i % 3 == 0 ? '~' : i % 3 == 1 ? '^' : '&') : 'x';
      for (bool last : {false, true}) {
        std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rZZZ|" + field;
        if (!last) text += "|y~^&\rZZY|1~2^3&4\r";  // delimiters just past the field
        Message m;
        ASSERT_TRUE(m.Parse(text).ok()) << len << " " << step;
        const std::string rep1 = PlainPieceOrAll(field, '~');
        const std::string comp1 = PlainPieceOrAll(rep1, '^');
        EXPECT_EQ(m.repetition_count(1, 1), plain(field, '~')) << len << " " << step << " " << last;
        EXPECT_EQ(m.component_count(1, 1, 1), plain(rep1, '^')) << len << " " << step << " " << last;
        EXPECT_EQ(m.subcomponent_count(1, 1, 1, 1), plain(comp1, '&')) << len << " " << step << " " << last;
      }
    }
  }
}

// The n-th (1-based) piece of s split at c, or "" (and *found false) when there are fewer.
std::string PlainPiece(const std::string& s, char c, int n, bool* found) {
  size_t b = 0;
  for (int k = 1; k < n; ++k) {
    size_t e = s.find(c, b);
    if (e == std::string::npos) {
      *found = false;
      return "";
    }
    b = e + 1;
  }
  size_t e = s.find(c, b);
  return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

// Raw() remembers the last component it found and scans on from there for a later component of the same
// repetition: reads in every order (forwards, backwards, the same one twice, past the last component,
// interleaved with other fields, repetitions and a new message) must give what a plain split gives.
TEST(Hl7v2Message, ComponentReadsInAnyOrderReadLikeAPlainSplit) {
  const std::vector<std::string> fields = {"a1^b1&s2^^d1~a2^b2^c2",
                                           "x^y^z",
                                           "",
                                           "^^^^e5&f&g~~h1",
                                           "only",
                                           "p^q^r^s^t^u^v^w^x^y^z^0^1^2^3^4^5^6^7^8^9^10^11^12^13^14^15^16^17^18"};
  std::string text = "MSH|^~\\&|A|B^C^D|||20240101||ADT^A01|X|P|2.5.1\rPID";
  for (const std::string& f : fields) text += "|" + f;
  text += "\r";
  Message m;
  ASSERT_TRUE(m.Parse(text).ok());
  uint32_t state = 12345;
  auto next = [&state](uint32_t n) {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % n;
  };
  for (int round = 0; round < 20000; ++round) {
    if (round == 10000) ASSERT_TRUE(m.Parse(text).ok());  // a new parse forgets what was read
    const int f = 1 + static_cast<int>(next(static_cast<uint32_t>(fields.size()) + 1));
    const int r = 1 + static_cast<int>(next(4));
    const int c = 1 + static_cast<int>(next(32));
    const int sub = static_cast<int>(next(4));
    bool found = true;
    std::string expected;
    if (static_cast<size_t>(f) <= fields.size()) {
      std::string rep = PlainPiece(fields[static_cast<size_t>(f - 1)], '~', r, &found);
      std::string comp = found ? PlainPiece(rep, '^', c, &found) : "";
      expected = found && sub > 0 ? PlainPiece(comp, '&', sub, &found) : comp;
    }
    ASSERT_EQ(m.Raw(1, f, r, c, sub), found ? expected : "") << "PID-" << f << "." << r << "." << c << "." << sub;
    // MSH-4 components between the PID reads: a different segment and field.
    if (round % 7 == 0) {
      ASSERT_EQ(m.Raw(0, 4, 1, 2), "C");
    }
  }
}

// Errors found in a segment after many unread ones name the same position as an eager index would.
TEST(Hl7v2Message, LazyIndexKeepsErrorPositions) {
  std::string text = "MSH|^~\\&|A";
  for (int i = 0; i < 20; ++i) text += "\rNTE|" + std::to_string(i) + "|x^y";
  Message m;
  Status st = m.Parse(text + "\rOBX|1|2|a" + std::string(1, '\0') + "b|4\rPID|1");
  EXPECT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_NE(st.ToString().find("segment 22 (OBX), field 3"), std::string::npos) << st.ToString();
  ParseOptions o;
  o.max_fields_per_segment = 40;
  st = m.Parse(text + "\rOBX" + std::string(41, '|') + "\rPID|1", o);
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(st.ToString().find("segment 22 (OBX), field 41"), std::string::npos) << st.ToString();
  // A NUL before a limit in the same segment is the error, as it comes first.
  st = m.Parse(text + "\rOBX|" + std::string(1, '\0') + std::string(41, '|'), o);
  EXPECT_NE(st.ToString().find("NUL"), std::string::npos) << st.ToString();
}

TEST(Hl7v2Message, ReuseKeepsCapacity) {
  Message m;
  ASSERT_TRUE(m.Parse(kAdt).ok());
  ASSERT_TRUE(m.Parse("MSH|^~\\&|B\rPID|7").ok());
  EXPECT_EQ(m.segment_count(), 2);
  EXPECT_EQ(m.Raw(1, 1), "7");
  ASSERT_TRUE(m.Parse(kAdt).ok());
  EXPECT_EQ(m.Raw(2, 5, 1, 1), "Smith");
}

TEST(Hl7v2Framing, SplitsBatchesMllpAndConcatenation) {
  Batch b;
  ASSERT_TRUE(SplitMessages("FHS|^~\\&|F\nBHS|^~\\&|B\nMSH|^~\\&|1\nPID|1\nMSH|^~\\&|2\nPID|2\nBTS|2\nFTS|1\n",
                            &b)
                  .ok());
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0], "MSH|^~\\&|1\nPID|1\n");
  EXPECT_EQ(b.messages[1], "MSH|^~\\&|2\nPID|2\n");
  EXPECT_EQ(b.fhs, "FHS|^~\\&|F");
  EXPECT_EQ(b.bts, "BTS|2");
  ASSERT_TRUE(SplitMessages("\xEF\xBB\xBFMSH|^~\\&|1\rPID|1\r\r\nMSH|^~\\&|2\rPID|2", &b).ok());
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[1], "MSH|^~\\&|2\rPID|2");
  ASSERT_TRUE(SplitMessages("\x0BMSH|^~\\&|1\rPID|1\r\x1C\r\x0BMSH|^~\\&|2\r\x1C\r", &b).ok());
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[1], "MSH|^~\\&|2\r");
  Message m;
  for (auto msg : b.messages) EXPECT_TRUE(m.Parse(msg).ok());
  EXPECT_EQ(SplitMessages("PID|1\rMSH|^~\\&|1", &b).code(), StatusCode::kParseError);
  EXPECT_EQ(SplitMessages("", &b).code(), StatusCode::kParseError);
  EXPECT_EQ(SplitMessages("\x0BMSH|^~\\&|1\r", &b).code(), StatusCode::kParseError);
  EXPECT_EQ(SplitMessages("\x0BMSH|^~\\&|1\r\x1C\rjunk", &b).code(), StatusCode::kParseError);
}

}  // namespace
}  // namespace crosswalk::hl7v2
