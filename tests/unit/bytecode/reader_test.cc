// Round trip, header and section-table checks, sanity caps, and LoadLimits at N and N+1.
#include "bytecode/reader.h"

#include <gtest/gtest.h>

#include <set>

#include "bytecode/verifier.h"
#include "bytecode/writer.h"
#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

using testing::Body;
using testing::BuildFile;
using testing::EveryOpcodeProgram;
using testing::GetU32;
using testing::MinimalProgram;
using testing::PutU32;
using testing::Reseal;
using testing::Sections;
using testing::Varint;

// Expects `r` to fail with `code`, a message containing `text`, and (if given) the byte offset.
template <typename T>
void ExpectError(const Result<T>& r, StatusCode code, std::string_view text, uint64_t offset = UINT64_MAX) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << text;
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(text), std::string_view::npos) << r.status().ToString();
  if (offset != UINT64_MAX) EXPECT_EQ(r.status().context().byte_offset, offset) << r.status().ToString();
}

TEST(ReaderTest, EveryOpcodeProgramIsValidAndUsesEveryOpcode) {
  Program p = EveryOpcodeProgram();
  ASSERT_TRUE(VerifyProgram(p).ok()) << VerifyProgram(p).ToString();
  std::set<int> seen;
  for (const Function& f : p.functions) {
    for (uint32_t pc = f.code_begin; pc < f.code_end; pc += Length(GetOp(p.code[pc]))) {
      seen.insert(static_cast<int>(GetOp(p.code[pc])));
    }
  }
  for (int op = 0; op < kOpCount; ++op) EXPECT_TRUE(seen.count(op)) << "unused opcode " << kOpInfo[op].name;
}

TEST(ReaderTest, RoundTrip) {
  for (const Program& p : {EveryOpcodeProgram(), MinimalProgram()}) {
    std::string bytes = WriteProgram(p);
    Result<Program> r = ReadProgram(bytes);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, p);
    EXPECT_EQ(WriteProgram(*r), bytes);  // deterministic
  }
}

TEST(ReaderTest, MissingSectionsAreEmpty) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  std::vector<testing::RawSection> kept;
  for (auto& s : sections) {
    if (s.id == static_cast<uint32_t>(SectionId::kFunctions) || s.id == static_cast<uint32_t>(SectionId::kCode)) {
      kept.push_back(s);
    }
  }
  Result<Program> r = ReadProgram(BuildFile(kept));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, MinimalProgram());
}

TEST(ReaderTest, EmptyProgramLoads) {
  Result<Program> r = ReadProgram(WriteProgram(Program{}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

// ---- header ----

TEST(ReaderTest, BadMagic) {
  std::string b = WriteProgram(MinimalProgram());
  b[0] = 'X';
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "bad magic", 0);
  ExpectError(ReadProgram(""), StatusCode::kCorrupt, "bad magic", 0);
  ExpectError(ReadProgram("CWB"), StatusCode::kCorrupt, "bad magic", 0);
}

TEST(ReaderTest, FutureAndPastVersions) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  ExpectError(ReadProgram(BuildFile(sections, kMaxFormatVersion + 1)), StatusCode::kUnimplemented,
              "format version " + std::to_string(kMaxFormatVersion + 1) + " is not supported", kVersionOffset);
  ExpectError(ReadProgram(BuildFile(sections, 0)), StatusCode::kUnimplemented, "format version 0", kVersionOffset);
  EXPECT_TRUE(ReadProgram(BuildFile(sections, kFormatVersion)).ok());
}

TEST(ReaderTest, BadChecksum) {
  std::string b = WriteProgram(EveryOpcodeProgram());
  b[b.size() / 2] ^= 0x10;
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "checksum mismatch", kChecksumOffset);
  std::string c = WriteProgram(EveryOpcodeProgram());
  c[kChecksumOffset] ^= 1;
  ExpectError(ReadProgram(c), StatusCode::kCorrupt, "checksum mismatch", kChecksumOffset);
}

TEST(ReaderTest, UnknownFlags) {
  std::string b = WriteProgram(MinimalProgram());
  b[kFlagsOffset] = 1;
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "unknown flags", kFlagsOffset);
}

TEST(ReaderTest, FileSizeMismatch) {
  std::string b = WriteProgram(MinimalProgram());
  b += '\0';
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "truncated or padded", kFileSizeOffset);
}

TEST(ReaderTest, TruncatedAtEveryOffset) {
  std::string b = WriteProgram(EveryOpcodeProgram());
  for (size_t n = 0; n < b.size(); ++n) {
    std::string t = b.substr(0, n);
    EXPECT_FALSE(ReadProgram(t).ok()) << "truncated at " << n;
    // Resealed, so the deeper layers (section table, counts, varints) meet the truncation themselves.
    Reseal(t);
    Result<Program> r = ReadProgram(t, LoadLimits{.verify_checksum = false});
    ASSERT_FALSE(r.ok()) << "resealed truncation at " << n;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << n << ": " << r.status().ToString();
  }
}

// ---- section table ----

TEST(ReaderTest, SectionCountTooLarge) {
  std::string b = WriteProgram(MinimalProgram());
  PutU32(b, kSectionCountOffset, kNumSectionIds + 1);
  Reseal(b);
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "section count " + std::to_string(kNumSectionIds + 1),
              kSectionCountOffset);
  PutU32(b, kSectionCountOffset, 0xFFFFFFFF);
  Reseal(b);
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "section count", kSectionCountOffset);
}

TEST(ReaderTest, SectionOverlap) {
  std::string b = WriteProgram(EveryOpcodeProgram());
  size_t second = kHeaderSize + kSectionEntrySize;
  PutU32(b, second + 4, GetU32(b, second + 4) - 1);
  Reseal(b);
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "overlaps", second + 4);
}

TEST(ReaderTest, SectionGap) {
  std::string b = WriteProgram(EveryOpcodeProgram());
  size_t second = kHeaderSize + kSectionEntrySize;
  PutU32(b, second + 4, GetU32(b, second + 4) + 1);
  Reseal(b);
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "gap before section 2", second + 4);
}

TEST(ReaderTest, SectionPastEnd) {
  std::string b = WriteProgram(EveryOpcodeProgram());
  size_t last = kHeaderSize + 6 * kSectionEntrySize;
  PutU32(b, last + 8, 0xFFFFFFF0u);
  Reseal(b);
  ExpectError(ReadProgram(b), StatusCode::kCorrupt, "runs past the end", last + 8);
}

TEST(ReaderTest, DuplicateUnknownAndUnorderedSections) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  auto dup = sections;
  dup[1].id = dup[0].id;
  ExpectError(ReadProgram(BuildFile(dup)), StatusCode::kCorrupt, "duplicated or out of order", kHeaderSize + 12);
  auto swapped = sections;
  std::swap(swapped[1], swapped[2]);
  ExpectError(ReadProgram(BuildFile(swapped)), StatusCode::kCorrupt, "duplicated or out of order");
  auto unknown = sections;
  unknown.back().id = 99;
  ExpectError(ReadProgram(BuildFile(unknown)), StatusCode::kCorrupt, "unknown section id 99");
  auto zero = sections;
  zero[0].id = 0;
  ExpectError(ReadProgram(BuildFile(zero)), StatusCode::kCorrupt, "unknown section id 0", kHeaderSize);
}

TEST(ReaderTest, TrailingBytesInASection) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  Body(sections, SectionId::kFiles) += '\0';
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "trailing bytes in the files section");
}

// ---- encodings and sanity caps ----

TEST(ReaderTest, HugeCountsAreRejectedBeforeAllocation) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  Body(sections, SectionId::kConstants) = Varint(1000);  // 1000 constants in 0 bytes
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "constant count 1000 exceeds the 0 bytes left");
  Body(sections, SectionId::kConstants) = Varint(0xFFFFFFFFu);
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kLimitExceeded, "max_constants");
  Body(sections, SectionId::kConstants) = Varint(uint64_t{1} << 40);
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "does not fit 32 bits");
  Body(sections, SectionId::kConstants) = std::string(11, '\x80');
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "varint");
}

TEST(ReaderTest, StringLengthPastSectionEnd) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  Body(sections, SectionId::kConstants) = Varint(1) + '\x04' + Varint(50) + "abc";
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "truncated string constant");
}

TEST(ReaderTest, UnknownConstantTag) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  Body(sections, SectionId::kConstants) = Varint(1) + '\x09';
  std::string b = BuildFile(sections);
  auto r = ReadProgram(b);
  ExpectError(r, StatusCode::kCorrupt, "unknown constant tag 9");
}

TEST(ReaderTest, BadBoolAndDecimalScale) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  Body(sections, SectionId::kConstants) = Varint(1) + '\x01' + '\x02';
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "bool is not 0 or 1");
  Body(sections, SectionId::kConstants) = Varint(1) + '\x03' + Varint(2) + Varint(19);
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "decimal scale 19");
  Body(sections, SectionId::kConstants) = Varint(1) + '\x03' + Varint(2) + Varint(18);
  EXPECT_TRUE(ReadProgram(BuildFile(sections)).ok());
  Body(sections, SectionId::kConstants) = Varint(1) + '\x03' + Varint(2) + Varint(70000);
  ExpectError(ReadProgram(BuildFile(sections)), StatusCode::kCorrupt, "does not fit 16 bits");
}

TEST(ReaderTest, ExtremeIntegersRoundTrip) {
  Program p = MinimalProgram();
  for (int64_t v : {INT64_MIN, INT64_MAX, int64_t{-1}, int64_t{0}, int64_t{63}, int64_t{-64}}) {
    p.constants.push_back({Constant::Tag::kInt, v, 0, ""});
  }
  Result<Program> r = ReadProgram(WriteProgram(p));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, p);
}

// ---- LoadLimits: each at N (loads) and N+1 (kLimitExceeded, naming the limit) ----

struct LimitCase {
  const char* name;
  uint32_t LoadLimits::*field;
  void (*grow)(Program&, uint32_t n);  // makes the program have exactly n of the limited thing
};

void AddConstants(Program& p, uint32_t n) { p.constants.assign(n, Constant{}); }
void AddFunctions(Program& p, uint32_t n) {
  p.functions.clear();
  p.code.clear();
  for (uint32_t i = 0; i < n; ++i) {
    p.code.push_back(EncodeABC(Op::RET, 0, 0, 0));
    p.functions.push_back({"f", 0, 1, i, i + 1});
  }
}
void AddCodeWords(Program& p, uint32_t n) {
  p.code.assign(n - 1, EncodeABC(Op::NOP, 0, 0, 0));
  p.code.push_back(EncodeABC(Op::RET, 0, 0, 0));
  p.functions = {{"f", 0, 1, 0, n}};
}
void AddStringBytes(Program& p, uint32_t n) { p.constants = {testing::Str(std::string(n, 'x'))}; }
void AddTermRefs(Program& p, uint32_t n) { p.term_refs.assign(n, TermRef{TermRef::Type::kValueSet, "u", ""}); }
void AddMaps(Program& p, uint32_t n) { p.maps.assign(n, MapEntry{"m", Kind::kJson, Kind::kJson, "", 0}); }
void AddLines(Program& p, uint32_t n) {
  AddCodeWords(p, n);
  p.files = {"a.cw"};
  p.lines.clear();
  for (uint32_t i = 0; i < n; ++i) p.lines.push_back({i, 0, i + 1, 1});
}
void AddFiles(Program& p, uint32_t n) { p.files.assign(n, "a.cw"); }

TEST(ReaderTest, LoadLimitsAtNAndNPlusOne) {
  const LimitCase cases[] = {
      {"max_constants", &LoadLimits::max_constants, AddConstants},
      {"max_functions", &LoadLimits::max_functions, AddFunctions},
      {"max_code_words", &LoadLimits::max_code_words, AddCodeWords},
      {"max_string_bytes", &LoadLimits::max_string_bytes, AddStringBytes},
      {"max_term_refs", &LoadLimits::max_term_refs, AddTermRefs},
      {"max_maps", &LoadLimits::max_maps, AddMaps},
      {"max_line_entries", &LoadLimits::max_line_entries, AddLines},
      {"max_files", &LoadLimits::max_files, AddFiles},
  };
  constexpr uint32_t kN = 5;
  for (const LimitCase& c : cases) {
    SCOPED_TRACE(c.name);
    LoadLimits limits;
    limits.*c.field = kN;
    Program at = MinimalProgram();
    c.grow(at, kN);
    ASSERT_TRUE(VerifyProgram(at).ok()) << VerifyProgram(at).ToString();
    Result<Program> ok = ReadProgram(WriteProgram(at), limits);
    EXPECT_TRUE(ok.ok()) << ok.status().ToString();
    Program over = MinimalProgram();
    c.grow(over, kN + 1);
    ExpectError(ReadProgram(WriteProgram(over), limits), StatusCode::kLimitExceeded, c.name);
  }
}

TEST(ReaderTest, MaxFileBytesAtNAndNPlusOne) {
  std::string b = WriteProgram(EveryOpcodeProgram());
  EXPECT_TRUE(ReadProgram(b, LoadLimits{.max_file_bytes = b.size()}).ok());
  ExpectError(ReadProgram(b, LoadLimits{.max_file_bytes = b.size() - 1}), StatusCode::kLimitExceeded,
              "max_file_bytes", 0);
}

TEST(ReaderTest, DefaultLimitsAreTheFormatCaps) {
  LoadLimits l;
  EXPECT_EQ(l.max_constants, kMaxConstants);
  EXPECT_EQ(l.max_functions, kMaxFunctions);
  EXPECT_EQ(l.max_code_words, kMaxCodeWords);
  EXPECT_EQ(l.max_string_bytes, kMaxStringBytes);
  EXPECT_EQ(l.max_term_refs, kMaxTermRefs);
  EXPECT_EQ(l.max_maps, kMaxMaps);
  EXPECT_EQ(l.max_line_entries, kMaxLineEntries);
  EXPECT_EQ(l.max_files, kMaxFiles);
  EXPECT_EQ(l.max_file_bytes, uint64_t{256} << 20);
  EXPECT_TRUE(l.verify_checksum);
}

TEST(ReaderTest, LimitsAboveTheFormatCapAreClamped) {
  auto sections = Sections(WriteProgram(MinimalProgram()));
  Body(sections, SectionId::kFiles) = Varint(kMaxFiles + 1) + std::string(kMaxFiles + 1, '\0');
  LoadLimits l;
  l.max_files = UINT32_MAX;
  ExpectError(ReadProgram(BuildFile(sections), l), StatusCode::kLimitExceeded, "max_files");
  Body(sections, SectionId::kFiles) = Varint(kMaxFiles) + std::string(kMaxFiles, '\0');
  EXPECT_TRUE(ReadProgram(BuildFile(sections), l).ok());
}

}  // namespace
}  // namespace crosswalk::bytecode
