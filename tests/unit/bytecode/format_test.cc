// Format stability (Luau's BytecodeIsStable): the numbers that are the encoding of format version 2 (format 1
// is the same without FAILR and WARNR).
// Changing any of them breaks every .cwb file in the field: bump the format version instead.
#include <gtest/gtest.h>

#include "bytecode/builtin_table.h"
#include "bytecode/file.h"
#include "bytecode/format.h"
#include "bytecode/program.h"
#include "bytecode/writer.h"
#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

TEST(FormatTest, VersionAndMagic) {
  EXPECT_EQ(kFormatVersion, 6);
  EXPECT_EQ(kMinFormatVersion, 1);
  EXPECT_EQ(kMaxFormatVersion, 6);
  EXPECT_EQ(kTermBindingsFormat, 4);
  EXPECT_EQ(std::string_view(kMagic, 4), "CWBC");
  EXPECT_EQ(kHeaderSize, 20u);
  EXPECT_EQ(kSectionEntrySize, 12u);
}

TEST(FormatTest, OpcodeNumbersArePinned) {
  const char* expected[] = {"NOP",      "LOADK",  "LOADNIL",  "LOADB",    "LOADI",      "MOVE",     "INPUT",
                            "NEWOBJ",   "NEWARR", "SETK",     "APPEND",   "GETK",       "GETI",     "LEN",
                            "ADD",      "SUB",    "MUL",      "DIV",      "MOD",        "NEG",      "CONCAT",
                            "EQ",       "NE",     "LT",       "LE",       "NOT",        "TRUTHY",   "JMP",
                            "JMPIF",    "JMPIFNOT", "JMPPRESENT", "ITERPREP", "ITERNEXT", "CALL",   "CALLB",
                            "RET",      "FAIL",   "WARN",     "V2SEG",    "V2SEGS",     "V2GROUPS", "V2FIELD",
                            "V2COMP",   "TRANSLATE", "LOOKUP", "MEMBER", "ITERINDEX", "MERGE", "V2DIRECT",
                            // format 2
                            "FAILR",    "WARNR",
                            // format 3
                            "TRANSLATEX", "SUBSUMES", "LOOKUPP",
                            // format 5
                            "APPENDP",
                            // format 6
                            "EQK", "NEK", "JMPEQ", "JMPNE", "JMPEQK", "JMPNEK", "V2COMP2", "SETKK"};
  ASSERT_EQ(std::size(expected), static_cast<size_t>(kOpCount));
  for (int i = 0; i < kOpCount; ++i) EXPECT_EQ(kOpInfo[i].name, expected[i]) << i;
  static_assert(kOpCount <= 256);
  EXPECT_EQ(kOpCountFormat1, 49);
  EXPECT_EQ(OpCountOfFormat(1), 49);
  EXPECT_EQ(OpCountOfFormat(2), 51);
  EXPECT_EQ(OpCountOfFormat(3), 54);
  EXPECT_EQ(OpCountOfFormat(4), 54);
  EXPECT_EQ(OpCountOfFormat(5), 55);
  EXPECT_EQ(OpCountOfFormat(6), kOpCount);
}

TEST(FormatTest, SectionIdsAndTagsArePinned) {
  EXPECT_EQ(static_cast<int>(SectionId::kConstants), 1);
  EXPECT_EQ(static_cast<int>(SectionId::kFunctions), 2);
  EXPECT_EQ(static_cast<int>(SectionId::kCode), 3);
  EXPECT_EQ(static_cast<int>(SectionId::kMaps), 4);
  EXPECT_EQ(static_cast<int>(SectionId::kTermRefs), 5);
  EXPECT_EQ(static_cast<int>(SectionId::kFiles), 6);
  EXPECT_EQ(static_cast<int>(SectionId::kLines), 7);
  EXPECT_EQ(static_cast<int>(SectionId::kTermBindings), 8);
  EXPECT_EQ(kNumSectionIds, 8u);
  EXPECT_EQ(static_cast<int>(Constant::Tag::kNull), 0);
  EXPECT_EQ(static_cast<int>(Constant::Tag::kString), 4);
  EXPECT_EQ(static_cast<int>(Kind::kHl7v2), 2);
  EXPECT_EQ(static_cast<int>(TermRef::Type::kValueSet), 2);
  EXPECT_EQ(kBuiltinCount, 38u);
  EXPECT_EQ(kBuiltinInfo[0].name, "trim");
  EXPECT_EQ(kBuiltinInfo[32].name, "var");  // builtins are appended, never renumbered
  EXPECT_EQ(kBuiltinInfo[33].name, "base64");
  EXPECT_EQ(kBuiltinInfo[34].name, "content_hash");
  EXPECT_EQ(kBuiltinInfo[35].name, "url_encode");
  EXPECT_EQ(kBuiltinInfo[36].name, "fhir_code");
  EXPECT_EQ(kBuiltinInfo[kBuiltinCount - 1].name, "segment_index");
}

TEST(FormatTest, Crc32cKnownAnswers) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the standard CRC-32C check value
  EXPECT_EQ(Crc32c("56789", Crc32c("1234")), 0xE3069283u);
}

// The exact bytes of the smallest program: a change here is a format change.
TEST(FormatTest, MinimalProgramBytesArePinned) {
  std::string b = WriteProgram(testing::MinimalProgram());
  const unsigned char expected_prefix[] = {'C', 'W', 'B', 'C', 6, 0, 0, 0, 7, 0, 0, 0};
  ASSERT_GE(b.size(), sizeof(expected_prefix));
  EXPECT_EQ(b.substr(0, sizeof(expected_prefix)),
            std::string(reinterpret_cast<const char*>(expected_prefix), sizeof(expected_prefix)));
  // sections after the 20-byte header and 7 * 12-byte table: constants "00"; functions
  // "01 01 'f' 00 01 00 01"; code "01 23 00 00 00"; maps, term refs, files, lines "00" each.
  std::string body = b.substr(kHeaderSize + 7 * kSectionEntrySize);
  EXPECT_EQ(body, std::string("\x00" "\x01\x01" "f" "\x00\x01\x00\x01" "\x01\x23\x00\x00\x00" "\x00\x00\x00\x00", 17));
  EXPECT_EQ(b.size(), kHeaderSize + 7 * kSectionEntrySize + 17);
}

// The whole every-opcode file, pinned by size and CRC32C. If this fails and the format did not change on
// purpose, the writer changed the encoding; if the test program changed, update the numbers.
TEST(FormatTest, EveryOpcodeFileIsPinned) {
  std::string b = WriteProgram(testing::EveryOpcodeProgram());
  EXPECT_EQ(b.size(), 708u);
  EXPECT_EQ(Crc32c(b), 0x326893E4u);  // format 6 (the fused instructions and SETKK added to the program)
}

}  // namespace
}  // namespace crosswalk::bytecode
