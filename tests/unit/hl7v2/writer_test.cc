#include "hl7v2/writer.h"

#include <gtest/gtest.h>

#include <string>

namespace crosswalk::hl7v2 {
namespace {

TEST(Hl7v2Writer, EscapesEveryDelimiter) {
  EXPECT_EQ(Escape("a|b^c~d\\e&f"), "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f");
  EXPECT_EQ(Escape("l1\nl2\r\nl3\r"), "l1\\.br\\l2\\X0D\\\\.br\\l3\\X0D\\");
  // Every other control byte is a hex escape: none can end a segment or an MLLP frame.
  EXPECT_EQ(Escape(std::string_view("a\0b\x0b\x1c\x1b[31m\x7f", 11)), "a\\X00\\b\\X0B\\\\X1C\\\\X1B\\[31m\\X7F\\");
  // Bytes that are not UTF-8 become U+FFFD (the reader would refuse them).
  EXPECT_EQ(Escape("M\xFCller"), "M\xEF\xBF\xBDller");
  Encoding trunc;
  trunc.truncation = '#';
  EXPECT_EQ(Escape("a#b", trunc), "a\\P\\b");
  EXPECT_EQ(Escape("a#b"), "a#b");
  EXPECT_EQ(Escape("M\xC3\xBCller \"\""), "M\xC3\xBCller \"\"");
  // Escape then Value gives the input back.
  for (std::string_view v : {"a|b^c~d\\e&f", "x\r\ny\nz\r", "\\Zabc\\", "\\.br\\"}) {
    Writer w;
    ASSERT_TRUE(w.BeginSegment("MSH").ok());
    ASSERT_TRUE(w.BeginSegment("NTE").ok());
    ASSERT_TRUE(w.Set(3, 1, 1, 1, v).ok());
    std::string text(w.Finish());
    Message m;
    ASSERT_TRUE(m.Parse(text).ok());
    std::string scratch;
    EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), v);
  }
}

// A FHIR display holding "\u001c\r" once broke MLLP framing and injected a segment.
TEST(Hl7v2Writer, ControlBytesNeverReachTheOutputRaw) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  const std::string injected = "x\x1c\rMSH|^~\\&|EVIL\rPID|1";
  for (const std::string& v : {all, injected, std::string("\r\n\n\r\x0b")}) {
    Writer w;
    ASSERT_TRUE(w.BeginSegment("MSH").ok());
    ASSERT_TRUE(w.Set(9, 1, 1, 1, "ORU").ok());
    ASSERT_TRUE(w.BeginSegment("OBX").ok());
    ASSERT_TRUE(w.Set(5, 1, 2, 1, v).ok());
    ASSERT_TRUE(w.Set(5, 2, 1, 3, v).ok());
    std::string text(w.Finish());
    size_t terminators = 0;
    for (char c : text) {
      auto u = static_cast<unsigned char>(c);
      if (c == '\r') {
        ++terminators;
        continue;
      }
      EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "raw control byte " << static_cast<int>(u);
    }
    EXPECT_EQ(terminators, 2u);  // two segments, no more
    Message m;
    ASSERT_TRUE(m.Parse(text).ok());
    ASSERT_EQ(m.segment_count(), 2);
    std::string scratch;
    EXPECT_EQ(m.Value(1, 5, 1, 2, 1, &scratch), v);
    EXPECT_EQ(m.Value(1, 5, 2, 1, 3, &scratch), v);
  }
  // SetRaw copies ER7 but escapes control bytes too.
  Writer w;
  ASSERT_TRUE(w.BeginSegment("MSH").ok());
  ASSERT_TRUE(w.SetRaw(10, 0, 0, 0, "ID\x0b" "1^X\x1c\r").ok());
  EXPECT_EQ(std::string(w.Finish()), "MSH|^~\\&||||||||ID\\X0B\\1^X\\X1C\\\\X0D\\\r");
}

TEST(Hl7v2Writer, AssemblesPositionsInAnyOrder) {
  Writer w;
  ASSERT_TRUE(w.BeginSegment("MSH").ok());
  ASSERT_TRUE(w.Set(9, 1, 2, 1, "A01").ok());
  ASSERT_TRUE(w.Set(9, 1, 1, 1, "ADT").ok());
  ASSERT_TRUE(w.Set(3, 1, 1, 1, "APP").ok());
  ASSERT_TRUE(w.BeginSegment("PID").ok());
  ASSERT_TRUE(w.Set(3, 2, 4, 2, "X").ok());
  ASSERT_TRUE(w.Set(3, 1, 1, 1, "111").ok());
  ASSERT_TRUE(w.Set(5, 1, 1, 1, "Old").ok());
  ASSERT_TRUE(w.Set(5, 1, 1, 1, "Smith").ok());  // last wins
  ASSERT_TRUE(w.SetNull(8, 1, 1, 1).ok());
  ASSERT_TRUE(w.SetRaw(11, 0, 0, 0, "A^B~C").ok());
  EXPECT_EQ(w.Finish(), "MSH|^~\\&|APP||||||ADT^A01\rPID|||111~^^^&X||Smith|||\"\"|||A^B~C\r");
  EXPECT_EQ(w.Set(1, 1, 1, 1, "x").code(), StatusCode::kFailedPrecondition);
  w.Reset();
  ASSERT_TRUE(w.BeginSegment("MSH").ok());
  EXPECT_EQ(w.Set(2, 1, 1, 1, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.Set(3, 0, 1, 1, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.BeginSegment("pid").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.Finish(), "MSH|^~\\&\r");
  Encoding e;
  e.field = '#';
  e.truncation = '%';
  w.Reset(e);
  ASSERT_TRUE(w.BeginSegment("MSH").ok());
  ASSERT_TRUE(w.Set(3, 1, 1, 1, "a#b").ok());
  EXPECT_EQ(w.Finish(), "MSH#^~\\&%#a\\F\\b\r");
}

constexpr std::string_view kInbound =
    "MSH|^~\\&|LAB^1.2.3^ISO|LABFAC|EHR|EHRFAC|20240101120000||ORU^R01^ORU_R01|MSG00001|P|2.5.1\r"
    "PID|1||123\rOBR|1\rOBX|1|NM|x||5\r";

TEST(Hl7v2Ack, AcceptSwapsEndpoints) {
  Message in;
  ASSERT_TRUE(in.Parse(kInbound).ok());
  std::string ack;
  AckOptions o;
  o.control_id = "ACK0001";
  o.timestamp = "20240101120001";
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_EQ(ack,
            "MSH|^~\\&|EHR|EHRFAC|LAB^1.2.3^ISO|LABFAC|20240101120001||ACK^R01^ACK|ACK0001|P|2.5.1\r"
            "MSA|AA|MSG00001\r");
  Message parsed;
  ASSERT_TRUE(parsed.Parse(ack).ok());
  EXPECT_EQ(parsed.Raw(1, 2), "MSG00001");
}

// An inbound MSH without processing id or version (both required) still gets an ACK that has them.
TEST(Hl7v2Ack, ProcessingIdAndVersionAreNeverLeftEmpty) {
  Message in;
  ASSERT_TRUE(in.Parse("MSH|^~\\&|A|B|C|D|20240101120000||ORU^R01|M1\rPID|1\r").ok());
  std::string ack;
  AckOptions o;
  o.control_id = "ACK1";
  o.timestamp = "20240101120001";
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_EQ(ack, "MSH|^~\\&|C|D|A|B|20240101120001||ACK^R01^ACK|ACK1|P|2.5.1\rMSA|AA|M1\r");
}

TEST(Hl7v2Ack, ErrorWithLocation) {
  Message in;
  ASSERT_TRUE(in.Parse(kInbound).ok());
  std::string ack;
  AckOptions o;
  o.code = "AE";
  o.control_id = "ACK0002";
  o.timestamp = "20240101120002";
  o.text = "value|not numeric";
  o.error_segment = "OBX";
  o.error_segment_sequence = 1;
  o.error_field = 5;
  o.error_code = "102";
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_EQ(ack,
            "MSH|^~\\&|EHR|EHRFAC|LAB^1.2.3^ISO|LABFAC|20240101120002||ACK^R01^ACK|ACK0002|P|2.5.1\r"
            "MSA|AE|MSG00001|value\\F\\not numeric\r"
            "ERR||OBX^1^5|102^Data type error^HL70357|E||||value\\F\\not numeric\r");
  o.code = "AR";
  o.error_segment = {};
  o.error_code = {};
  o.text = {};
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_NE(ack.find("MSA|AR|MSG00001\rERR|||207^Application internal error^HL70357|E\r"), std::string::npos)
      << ack;
  o.code = "XX";
  EXPECT_EQ(BuildAck(in, o, &ack).code(), StatusCode::kInvalidArgument);
  o.code = "AA";
  o.control_id = {};
  EXPECT_EQ(BuildAck(in, o, &ack).code(), StatusCode::kInvalidArgument);
}

TEST(Hl7v2Ack, KeepsInboundDelimiters) {
  Message in;
  ASSERT_TRUE(in.Parse("MSH#!@%*#S!1#SF#R#RF#20240101##ADT!A01#C1#P#2.5").ok());
  std::string ack;
  AckOptions o;
  o.control_id = "A1";
  o.timestamp = "20240101";
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_EQ(ack, "MSH#!@%*#R#RF#S!1#SF#20240101##ACK!A01!ACK#A1#P#2.5\rMSA#AA#C1\r");
}

TEST(Hl7v2Ack, InboundControlBytesAndLongTextAreMadeSafe) {
  // A 0x0B inside MSH-10 (the parser keeps it: it is not a delimiter) must not reach the ACK raw.
  Message in;
  ASSERT_TRUE(in.Parse("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|ID\x0b\x1c" "1|P|2.5\rPID|1\r").ok());
  AckOptions o;
  o.code = "AE";
  o.control_id = "ACK1";
  o.timestamp = "20240101";
  std::string text(300, 'e');
  text += "\x1c\r";
  o.text = text;
  std::string ack;
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  for (char c : ack) EXPECT_TRUE(c == '\r' || static_cast<unsigned char>(c) >= 0x20) << static_cast<int>(c);
  EXPECT_NE(ack.find("MSA|AE|ID\\X0B\\\\X1C\\1|" + std::string(kDefaultAckTextBytes, 'e') + "\r"), std::string::npos)
      << ack;
  Message parsed;
  ASSERT_TRUE(parsed.Parse(ack).ok());
  EXPECT_EQ(parsed.segment_count(), 3);
  // The text bound at N and N+1, cut on a character boundary.
  o.text = "ab\xC3\xA9";
  o.max_text_bytes = 4;
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_NE(ack.find("|ab\xC3\xA9\r"), std::string::npos);
  o.max_text_bytes = 3;
  ASSERT_TRUE(BuildAck(in, o, &ack).ok());
  EXPECT_NE(ack.find("|ab\r"), std::string::npos);
  o.severity = 'X';
  EXPECT_EQ(BuildAck(in, o, &ack).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crosswalk::hl7v2
