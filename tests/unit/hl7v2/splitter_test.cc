// crosswalk::MessageSplitter (public header crosswalk/hl7v2.h): chunking, garbage, frames, batches, limits.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "crosswalk/hl7v2.h"
#include "hl7v2/framing.h"
#include "hl7v2/message.h"

namespace crosswalk {
namespace {

std::string Fixture(const std::string& rel) {
  std::ifstream in(std::string(CW_TEST_DIR) + "/fixtures/hl7v2/" + rel, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << rel;
  return ss.str();
}

struct Got {
  SplitItem::Kind kind;
  uint64_t offset, length;
  std::string text;
  StatusCode code;
  bool operator==(const Got& o) const {
    return kind == o.kind && offset == o.offset && length == o.length && text == o.text && code == o.code;
  }
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{kind " << static_cast<int>(g.kind) << " @" << g.offset << "+" << g.length << " code "
            << static_cast<int>(g.code) << "}";
}

void Drain(MessageSplitter* s, std::string_view stream, std::vector<Got>* out) {
  SplitItem item;
  while (s->Next(&item)) {
    // The text is always the stream's own bytes at [offset, offset + length), and errors have none.
    if (item.kind == SplitItem::Kind::kError) {
      EXPECT_TRUE(item.text.empty());
      EXPECT_FALSE(item.error.ok());
      EXPECT_EQ(item.error.context().byte_offset, item.offset);
    } else {
      EXPECT_EQ(item.text, stream.substr(item.offset, item.length));
      EXPECT_TRUE(item.error.ok());
    }
    out->push_back(Got{item.kind, item.offset, item.length, std::string(item.text), item.error.code()});
  }
}

// Splits `stream` fed in the chunks that `cuts` (increasing offsets) delimit.
std::vector<Got> SplitAt(std::string_view stream, const std::vector<size_t>& cuts,
                         const SplitterOptions& options = {}) {
  MessageSplitter s(options);
  std::vector<Got> got;
  size_t from = 0;
  for (size_t cut : cuts) {
    s.Feed(stream.substr(from, cut - from));
    Drain(&s, stream, &got);
    from = cut;
  }
  s.Feed(stream.substr(from));
  Drain(&s, stream, &got);
  s.Finish();
  Drain(&s, stream, &got);
  EXPECT_EQ(s.bytes_fed(), stream.size());
  return got;
}

std::vector<Got> SplitWhole(std::string_view stream, const SplitterOptions& options = {}) {
  return SplitAt(stream, {}, options);
}

std::vector<Got> Messages(const std::vector<Got>& items) {
  std::vector<Got> m;
  for (const Got& g : items) {
    if (g.kind == SplitItem::Kind::kMessage) m.push_back(g);
  }
  return m;
}

std::vector<Got> Errors(const std::vector<Got>& items) {
  std::vector<Got> m;
  for (const Got& g : items) {
    if (g.kind == SplitItem::Kind::kError) m.push_back(g);
  }
  return m;
}

std::string Frame(std::string_view message) { return "\x0b" + std::string(message) + "\x1c\r"; }

// Every way of cutting the stream in two, and byte by byte, gives the same items as the whole.
void ExpectChunkingInvariant(const std::string& stream) {
  const std::vector<Got> whole = SplitWhole(stream);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    ASSERT_EQ(SplitAt(stream, {cut}), whole) << "cut at " << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  ASSERT_EQ(SplitAt(stream, every), whole) << "byte by byte";
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<size_t> cuts;
    for (size_t at = 0; at < stream.size();) {
      at += 1 + rng() % 40;
      if (at < stream.size()) cuts.push_back(at);
    }
    ASSERT_EQ(SplitAt(stream, cuts), whole) << "random round " << round;
  }
}

TEST(MessageSplitter, MllpFramesSplitAtEveryByteGiveTheSameMessages) {
  std::string a = Fixture("rethinkhealth/mllp-sample-oru-r01.hl7");
  std::string b = Fixture("rethinkhealth/mllp-sample-orm-o01.hl7");
  std::string stream = Frame(a) + Frame(b) + "\r\n" + Frame(a);
  const std::vector<Got> whole = SplitWhole(stream);
  ASSERT_EQ(whole.size(), 3u);
  for (const Got& g : whole) {
    EXPECT_EQ(g.kind, SplitItem::Kind::kMessage);
    EXPECT_EQ(g.text.substr(0, 4), "MSH|");
    hl7v2::Message m;
    EXPECT_TRUE(m.Parse(g.text).ok());
  }
  EXPECT_EQ(whole[0].offset, 1u);  // after the 0x0B
  ExpectChunkingInvariant(stream);
}

TEST(MessageSplitter, BatchFileWithEnvelopesAtEveryByte) {
  std::string stream = Fixture("reportstream/batch/batch_message.hl7");
  const std::vector<Got> whole = SplitWhole(stream);
  std::vector<std::string> envelope_ids;
  for (const Got& g : whole) {
    if (g.kind == SplitItem::Kind::kEnvelope) envelope_ids.push_back(g.text.substr(0, 3));
  }
  EXPECT_EQ(envelope_ids, (std::vector<std::string>{"FHS", "BHS", "BTS", "FTS"}));
  EXPECT_EQ(Messages(whole).size(), 2u);
  EXPECT_TRUE(Errors(whole).empty());
  ExpectChunkingInvariant(stream);
}

TEST(MessageSplitter, BomCrlfAndGarbageAtEveryByte) {
  // A BOM, LF and CRLF terminators, blank lines, a stray line before the first MSH, a frame in the middle,
  // garbage between frames and a frame left open at the end.
  std::string stream =
      "\xEF\xBB\xBFjunk line\r\nMSH|^~\\&|A|B\r\nPID|1\r\n\r\n  \nMSH|^~\\&|C\nPID|2\n" +
      Frame("\xEF\xBB\xBFMSH|^~\\&|D\rPID|3\r") + "XY\r" + Frame("MSH|^~\\&|E\r") + "\x0bMSH|^~\\&|F\rPID|4\r";
  const std::vector<Got> whole = SplitWhole(stream);
  std::vector<Got> m = Messages(whole), e = Errors(whole);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].text, "MSH|^~\\&|A|B\r\nPID|1\r\n\r\n");
  EXPECT_EQ(m[1].text, "MSH|^~\\&|C\nPID|2\n");
  EXPECT_EQ(m[2].text, "MSH|^~\\&|D\rPID|3\r");
  EXPECT_EQ(m[3].text, "MSH|^~\\&|E\r");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].offset, 3u);  // "junk line" after the BOM
  EXPECT_EQ(e[0].length, 9u);
  EXPECT_EQ(e[0].code, StatusCode::kParseError);
  EXPECT_EQ(stream.substr(e[1].offset, e[1].length), "XY");
  EXPECT_EQ(stream.substr(e[2].offset, 4), "MSH|");  // the message of the open frame
  EXPECT_EQ(e[2].offset + e[2].length, stream.size());
  ExpectChunkingInvariant(stream);
}

// The reported defect: one stray byte after 1,000 good frames rejected the whole file.
TEST(MessageSplitter, StrayByteAfterAThousandFramesIsOneRejection) {
  std::string one = Frame(Fixture("rethinkhealth/mllp-sample-oru-r01.hl7"));
  std::string stream;
  for (int i = 0; i < 1000; ++i) stream += one;
  const size_t stray_at = stream.size();
  stream += "X";
  std::vector<Got> items = SplitAt(stream, {4096, 8192, stream.size() - 1});
  EXPECT_EQ(Messages(items).size(), 1000u);
  std::vector<Got> e = Errors(items);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].offset, stray_at);
  EXPECT_EQ(e[0].length, 1u);
  // The old strict splitter still refuses the file as a whole (its callers count one rejection).
  hl7v2::Batch batch;
  Status st = hl7v2::SplitMessages(stream, &batch);
  EXPECT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(st.context().byte_offset, stray_at);
}

TEST(MessageSplitter, GarbageBetweenFramesOnTheSameLine) {
  std::string stream = Frame("MSH|^~\\&|A\rPID|1\r") + "JUNK" + Frame("MSH|^~\\&|B\r") + "\x1c\r" +
                       Frame("MSH|^~\\&|C\r");
  std::vector<Got> items = SplitWhole(stream);
  std::vector<Got> m = Messages(items), e = Errors(items);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].text, "MSH|^~\\&|B\r");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(stream.substr(e[0].offset, e[0].length), "JUNK");
  EXPECT_EQ(stream.substr(e[1].offset, e[1].length), "\x1c");  // a stray end byte outside a frame
  // Error texts name positions, never bytes of the stream.
  MessageSplitter s;
  s.Feed(stream);
  s.Finish();
  SplitItem item;
  while (s.Next(&item)) {
    if (item.kind == SplitItem::Kind::kError) {
      EXPECT_EQ(item.error.ToString().find("JUNK"), std::string::npos) << item.error.ToString();
    }
  }
}

TEST(MessageSplitter, FrameWithoutEndBeforeTheNextFrame) {
  std::string stream = "\x0bMSH|^~\\&|A\rPID|1\r" + Frame("MSH|^~\\&|B\r");
  std::vector<Got> items = SplitWhole(stream);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].kind, SplitItem::Kind::kError);
  EXPECT_EQ(items[0].offset, 1u);
  EXPECT_EQ(items[0].length, 17u);  // the open message up to the next 0x0B
  EXPECT_EQ(items[1].kind, SplitItem::Kind::kMessage);
  EXPECT_EQ(items[1].text, "MSH|^~\\&|B\r");
  // An open frame that holds no message loses nothing: no error. Whitespace alone is nothing either.
  items = SplitWhole(Frame("MSH|^~\\&|A\r") + "\x0b\r\n");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, SplitItem::Kind::kMessage);
  // A message closed by an envelope inside a frame that never ends is delivered; only the open one fails.
  std::string batch = "\x0bMSH|^~\\&|A\rBTS|1\rMSH|^~\\&|B\r";
  items = SplitWhole(batch);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].text, "MSH|^~\\&|A\r");
  EXPECT_EQ(items[1].kind, SplitItem::Kind::kEnvelope);
  EXPECT_EQ(items[2].kind, SplitItem::Kind::kError);
  EXPECT_EQ(batch.substr(items[2].offset), "MSH|^~\\&|B\r");
  EXPECT_TRUE(SplitWhole(" \r\n\t\r\n").empty());
  EXPECT_TRUE(SplitWhole("").empty());
}

TEST(MessageSplitter, ConcatenatedMessagesInsideOneFrameAndBatchInFrame) {
  std::string stream = Frame("FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\rBTS|2\rFTS|1\r");
  std::vector<Got> items = SplitWhole(stream);
  std::vector<std::string> kinds;
  for (const Got& g : items) kinds.push_back(g.kind == SplitItem::Kind::kMessage ? g.text.substr(0, 10) : g.text);
  EXPECT_EQ(kinds, (std::vector<std::string>{"FHS|^~\\&", "BHS|^~\\&", "MSH|^~\\&|A", "MSH|^~\\&|B", "BTS|2",
                                             "FTS|1"}));
}

TEST(MessageSplitter, NextBeforeFinishWaitsForTheEndOfAPlainMessage) {
  MessageSplitter s;
  SplitItem item;
  s.Feed("MSH|^~\\&|A\rPID|1\r");
  EXPECT_FALSE(s.Next(&item));  // more segments may follow
  s.Feed("MSH|^~\\&|B\r");
  ASSERT_TRUE(s.Next(&item));
  EXPECT_EQ(item.text, "MSH|^~\\&|A\rPID|1\r");
  EXPECT_FALSE(s.Next(&item));
  s.Finish();
  ASSERT_TRUE(s.Next(&item));
  EXPECT_EQ(item.text, "MSH|^~\\&|B\r");
  EXPECT_FALSE(s.Next(&item));
  s.Feed("MSH|^~\\&|C\r");  // ignored after Finish
  EXPECT_FALSE(s.Next(&item));
  s.Reset();
  s.Feed(Frame("MSH|^~\\&|D\r"));
  ASSERT_TRUE(s.Next(&item));  // a frame's end ends its message without Finish
  EXPECT_EQ(item.text, "MSH|^~\\&|D\r");
  EXPECT_EQ(item.offset, 1u);
}

// Random streams built from the pieces that matter (segments, envelopes, frame bytes, BOMs, blanks,
// junk): chunking never changes the items, items never overlap, and every byte outside them is framing
// or blank space.
TEST(MessageSplitter, RandomStreamsKeepEveryByteAccountedFor) {
  static const char* const kPieces[] = {
      "MSH|^~\\&|A|B\r", "PID|1||X\r", "OBX|1|TX|||v\n", "MSH|^~\\&|C\r\n", "FHS|^~\\&\r", "BHS|^~\\&\r",
      "BTS|1\r", "FTS|1\r", "\x0b", "\x1c", "\x1c\r", "\r", "\n", "\r\n", "  ", "\t", "junk", "MSHX|no\r",
      "\xEF\xBB\xBF", "MS", "H|^~\\&|D", "\x0bMSH|^~\\&|E\rPID|2\r\x1c\r"};
  std::mt19937 rng(2024);
  for (int round = 0; round < 300; ++round) {
    std::string stream;
    int pieces = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < pieces; ++i) stream += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
    const std::vector<Got> whole = SplitWhole(stream);
    std::vector<size_t> cuts;
    for (size_t at = 0; at < stream.size();) {
      at += 1 + rng() % 7;
      if (at < stream.size()) cuts.push_back(at);
    }
    ASSERT_EQ(SplitAt(stream, cuts), whole) << "round " << round;
    // With a small message limit (some messages dropped), chunking still changes nothing.
    SplitterOptions small;
    small.max_message_bytes = 20;
    std::vector<Got> limited = SplitWhole(stream, small);
    ASSERT_EQ(SplitAt(stream, cuts, small), limited) << "round " << round << " " << testing::PrintToString(stream);
    for (size_t i = 1; i < limited.size(); ++i) ASSERT_GE(limited[i].offset, limited[i - 1].offset + limited[i - 1].length);
    std::vector<bool> covered(stream.size(), false);
    uint64_t last_end = 0;
    for (const Got& g : whole) {
      ASSERT_GE(g.offset, last_end) << "round " << round << " " << testing::PrintToString(stream);  // no overlap
      ASSERT_LE(g.offset + g.length, stream.size());
      last_end = g.offset + g.length;
      for (uint64_t k = g.offset; k < last_end; ++k) covered[k] = true;
      if (g.kind == SplitItem::Kind::kMessage) EXPECT_EQ(g.text.substr(0, 3), "MSH");
    }
    for (size_t k = 0; k < stream.size(); ++k) {
      if (covered[k]) continue;
      const std::string_view kFree("\r\n \t\x0b\x1c\xEF\xBB\xBF", 9);
      EXPECT_NE(kFree.find(stream[k]), std::string_view::npos)
          << "round " << round << ": byte " << k << " (" << static_cast<int>(static_cast<unsigned char>(stream[k]))
          << ") is in no item";
    }
  }
}

TEST(MessageSplitterLimits, MaxMessageBytesAtNAndNPlusOne) {
  const std::string msg = "MSH|^~\\&|A\rPID|1|2|3\r";
  const std::string stream = msg + "MSH|^~\\&|B\r";
  SplitterOptions at;
  at.max_message_bytes = msg.size();
  std::vector<Got> ok = SplitWhole(stream, at);
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[0].text, msg);
  SplitterOptions over;
  over.max_message_bytes = msg.size() - 1;
  std::vector<Got> items = SplitWhole(stream, over);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].kind, SplitItem::Kind::kError);
  EXPECT_EQ(items[0].code, StatusCode::kLimitExceeded);
  EXPECT_EQ(items[0].offset, 0u);
  EXPECT_EQ(items[1].text, "MSH|^~\\&|B\r");  // the next message is intact
  // Byte by byte, the result is the same: the limit does not depend on how the bytes arrive.
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  EXPECT_EQ(SplitAt(stream, every, at), ok);
  std::vector<Got> chunked = SplitAt(stream, every, over);
  ASSERT_EQ(chunked.size(), 2u);
  EXPECT_EQ(chunked[0].code, StatusCode::kLimitExceeded);
  EXPECT_EQ(chunked[1].text, "MSH|^~\\&|B\r");
}

TEST(MessageSplitterLimits, AnEndlessMessageIsDroppedInBoundedMemory) {
  SplitterOptions options;
  options.max_message_bytes = 1000;
  MessageSplitter s(options);
  SplitItem item;
  const std::string head = "MSH|^~\\&|A\rOBX|1|TX|||";
  s.Feed(head);
  std::string block(100, 'x');
  for (int i = 0; i < 1000; ++i) {  // 100 kB of one line
    s.Feed(block);
    EXPECT_FALSE(s.Next(&item));  // its error comes when the message ends
    EXPECT_LE(s.buffered_bytes(), options.max_message_bytes + block.size());
  }
  s.Feed("\rOBX|2\rMSH|^~\\&|B\r");
  s.Finish();
  std::vector<Got> rest;
  while (s.Next(&item)) rest.push_back(Got{item.kind, item.offset, item.length, std::string(item.text), item.error.code()});
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].kind, SplitItem::Kind::kError);  // one error for the whole message, its later lines included
  EXPECT_EQ(rest[0].code, StatusCode::kLimitExceeded);
  EXPECT_EQ(rest[0].offset, 0u);
  EXPECT_EQ(rest[0].length, head.size() + 100'000 + 7);  // up to "OBX|2\r"
  EXPECT_EQ(rest[1].text, "MSH|^~\\&|B\r");
}

TEST(Hl7v2Framing, SplitMessagesOnFixturesMatchesTheSplitter) {
  for (const char* rel : {"reportstream/batch/test-0001-input-covid-19.hl7",
                          "cdc-dex/fns-hl7-pipeline_fn-receiver-debatcher_genV1_GenV1_Batch_No_headers_eightMSHs.hl7",
                          "cdc-dex/fns-hl7-pipeline_fn-receiver-debatcher_Genv2_2-0-1_TC08.hl7"}) {
    std::string data = Fixture(rel);
    hl7v2::Batch batch;
    ASSERT_TRUE(hl7v2::SplitMessages(data, &batch).ok()) << rel;
    std::vector<Got> m = Messages(SplitAt(data, {data.size() / 3, data.size() / 2}));
    ASSERT_EQ(m.size(), batch.messages.size()) << rel;
    for (size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m[i].text, batch.messages[i]);
  }
}

TEST(MessageHeader, ReadsTypeStructureAndControlIdWithoutTheBody) {
  MessageHeader h;
  ASSERT_TRUE(ReadMessageHeader("\x0bMSH|^~\\&|SND|FAC|RCV|FAC|20240102||ADT^A04|MSG\\T\\1|P|2.5.1\r"
                                "PID|1\rbroken segment\r\x1c\r",
                                &h)
                  .ok());
  EXPECT_EQ(h.message_code, "ADT");
  EXPECT_EQ(h.trigger_event, "A04");
  EXPECT_EQ(h.structure, "ADT_A01");  // from the event table
  EXPECT_EQ(h.control_id, "MSG&1");
  EXPECT_EQ(h.processing_id, "P");
  EXPECT_EQ(h.version, "2.5.1");
  ASSERT_TRUE(ReadMessageHeader("MSH|^~\\&|||||||ZZZ^Z01^ZZZ_Z01|1", &h).ok());
  EXPECT_EQ(h.structure, "ZZZ_Z01");
  Status st = ReadMessageHeader("PID|1|secret\r", &h);
  EXPECT_EQ(st.code(), StatusCode::kParseError);
  EXPECT_EQ(st.ToString().find("secret"), std::string::npos);
}

TEST(PublicAck, RejectsAMessageWhoseBodyDoesNotParse) {
  // The body has a bad segment id and bytes that are not UTF-8: only MSH is needed for the ACK.
  std::string inbound = "\x0bMSH|^~\\&|LAB|LF|EHR|EF|20240101||ORU^R01|C42|P|2.5.1\rP!D|\xFF\r\x1c\r";
  AckOptions o;
  o.code = AckCode::kReject;
  o.control_id = "A42";
  o.timestamp = "20240101120000+0000";
  o.text = "segment 2: invalid segment id\x1c\rMSH|";
  std::string ack;
  ASSERT_TRUE(BuildAck(inbound, o, &ack).ok());
  EXPECT_EQ(ack,
            "MSH|^~\\&|EHR|EF|LAB|LF|20240101120000+0000||ACK^R01^ACK|A42|P|2.5.1\r"
            "MSA|AR|C42|segment 2: invalid segment id\\X1C\\\\X0D\\MSH\\F\\\r"
            "ERR|||207^Application internal error^HL70357|E||||segment 2: invalid segment id\\X1C\\\\X0D\\MSH\\F\\\r");
  o.code = AckCode::kAccept;
  o.text.clear();
  ASSERT_TRUE(BuildAck(inbound, o, &ack).ok());
  EXPECT_EQ(ack.substr(ack.find("MSA")), "MSA|AA|C42\r");
  o.timestamp.clear();
  EXPECT_EQ(BuildAck(inbound, o, &ack).code(), StatusCode::kInvalidArgument);
  o.timestamp = "20240101";
  EXPECT_EQ(BuildAck("not hl7", o, &ack).code(), StatusCode::kParseError);
}

}  // namespace
}  // namespace crosswalk
