// Format 2 appended FAILR and WARNR (fail/warn messages shown without their values). A format-1 file, as the
// previous release wrote it, still loads; a file that says format 1 but uses a format-2 opcode does not.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "bytecode/file.h"
#include "bytecode/reader.h"
#include "bytecode/verifier.h"
#include "bytecode/writer.h"
#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compiled by the format-1 compiler (commit 10f74fe) from data/format1_fail_warn.cw.
const std::string kFormat1File = std::string(CW_TEST_DIR) + "/unit/bytecode/data/format1_fail_warn.cwb";

TEST(FormatVersionTest, PreviousReleaseFileStillLoads) {
  std::string bytes = ReadFile(kFormat1File);
  ASSERT_GT(bytes.size(), kHeaderSize) << kFormat1File;
  ASSERT_EQ(bytes[kVersionOffset], 1) << "the checked-in file is a format-1 file";
  Result<Program> r = ReadProgram(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->maps.size(), 1u);
  EXPECT_EQ(r->maps[0].name, "Check");
  // Its fail and warn are the format-1 opcodes; nothing in it is FAILR/WARNR.
  int fails = 0, warns = 0;
  for (size_t pc = 0; pc < r->code.size(); pc += Length(GetOp(r->code[pc]))) {
    Op op = GetOp(r->code[pc]);
    EXPECT_LT(static_cast<int>(op), kOpCountFormat1);
    fails += op == Op::FAIL;
    warns += op == Op::WARN;
  }
  EXPECT_EQ(fails, 1);
  EXPECT_EQ(warns, 1);
}

// A format-2 program using FAILR, relabelled as format 1.
std::string AsFormat1(std::string bytes) {
  bytes[kVersionOffset] = 1;
  bytes[kVersionOffset + 1] = 0;
  testing::Reseal(bytes);
  return bytes;
}

TEST(FormatVersionTest, Format1FileMayNotUseFormat2Opcodes) {
  for (Op op : {Op::FAILR, Op::WARNR}) {
    SCOPED_TRACE(std::string(Info(op).name));
    Program p;
    p.constants.push_back(testing::Str("bad name ${PID-5.1}"));
    testing::Asm a(p.code);
    a.ABCX(op, 0, 0, 0, 0);
    a.ABC(Op::RET, 0);
    p.functions.push_back({"f", 0, 1, 0, a.pc()});
    std::string v2 = WriteProgram(p);
    ASSERT_TRUE(ReadProgram(v2).ok()) << ReadProgram(v2).status().ToString();
    Result<Program> v1 = ReadProgram(AsFormat1(v2));
    ASSERT_FALSE(v1.ok());
    EXPECT_EQ(v1.status().code(), StatusCode::kCorrupt) << v1.status().ToString();
    EXPECT_NE(v1.status().message().find("not in the file's format version"), std::string::npos)
        << v1.status().ToString();
    EXPECT_FALSE(VerifyProgram(p, 1).ok());
    EXPECT_TRUE(VerifyProgram(p, 2).ok());
    EXPECT_TRUE(VerifyProgram(p, 3).ok());
  }
}

TEST(FormatVersionTest, FormatRangeIsChecked) {
  std::string b = WriteProgram(testing::MinimalProgram());
  EXPECT_EQ(b[kVersionOffset], static_cast<char>(kFormatVersion));
  EXPECT_TRUE(ReadProgram(AsFormat1(b)).ok()) << "a format-1 file without format-2 opcodes loads";
  std::string next = b;
  next[kVersionOffset] = static_cast<char>(kMaxFormatVersion + 1);
  testing::Reseal(next);
  Result<Program> r = ReadProgram(next);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented) << r.status().ToString();
}

// Format 3 appended TRANSLATEX, SUBSUMES and LOOKUPP (terminology calls with a second operand): a file that
// says format 2 (or 1) may not use them.
TEST(FormatVersionTest, OlderFilesMayNotUseFormat3Opcodes) {
  for (Op op : {Op::TRANSLATEX, Op::SUBSUMES, Op::LOOKUPP}) {
    SCOPED_TRACE(std::string(Info(op).name));
    Program p;
    p.term_refs.push_back({op == Op::TRANSLATEX ? TermRef::Type::kConceptMap : TermRef::Type::kCodeSystem, "urn:x", ""});
    testing::Asm a(p.code);
    a.ABCX(op, 0, 0, 0, 0);
    a.ABC(Op::RET, 0);
    p.functions.push_back({"f", 0, 2, 0, a.pc()});
    EXPECT_TRUE(VerifyProgram(p, 3).ok()) << VerifyProgram(p, 3).ToString();
    EXPECT_FALSE(VerifyProgram(p, 2).ok());
    EXPECT_FALSE(VerifyProgram(p, 1).ok());
    std::string v2 = WriteProgram(p);
    v2[kVersionOffset] = 2;
    testing::Reseal(v2);
    Result<Program> r = ReadProgram(v2);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
    // B is a register pair: R0 with one register is out of range; a wrong kind of term ref is refused.
    p.functions[0].num_registers = 1;
    EXPECT_FALSE(VerifyProgram(p).ok());
    p.functions[0].num_registers = 2;
    p.term_refs[0].type = TermRef::Type::kValueSet;
    EXPECT_FALSE(VerifyProgram(p).ok());
  }
}

// FAILR/WARNR's AUX is the shown text: a string constant, checked like SETK's key.
TEST(FormatVersionTest, ShownTextMustBeAStringConstant) {
  Program p;
  p.constants.push_back({Constant::Tag::kInt, 7, 0, ""});
  testing::Asm a(p.code);
  a.ABCX(Op::FAILR, 0, 0, 0, 0);
  p.functions.push_back({"f", 0, 1, 0, a.pc()});
  EXPECT_FALSE(VerifyProgram(p).ok());
  p.constants[0] = testing::Str("shown");
  EXPECT_TRUE(VerifyProgram(p).ok()) << VerifyProgram(p).ToString();
  p.code[1] = 1;  // out of the pool
  EXPECT_FALSE(VerifyProgram(p).ok());
}

}  // namespace
}  // namespace crosswalk::bytecode

namespace crosswalk::bytecode {
namespace {

Program BoundProgram() {
  Program p = testing::MinimalProgram();
  p.term_refs.push_back({TermRef::Type::kConceptMap, "urn:map", ""});
  p.term_refs.push_back({TermRef::Type::kCodeSystem, "urn:cs", "2"});
  p.term_bindings.push_back({"1.0", 0x0123456789ABCDEFull});
  p.term_bindings.push_back({"2", 0xFEDCBA9876543210ull});
  return p;
}

// Format 4 added section 8, the term bindings (version and content hash per term ref), written only for a
// program compiled against a store.
TEST(FormatVersionTest, TermBindingsRoundTripInFormat4) {
  Program p = BoundProgram();
  std::string bytes = WriteProgram(p);
  Result<Program> r = ReadProgram(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, p);
  // An unbound program has no section 8, so it reads as it did in format 3.
  Program unbound = p;
  unbound.term_bindings.clear();
  std::string plain = WriteProgram(unbound);
  EXPECT_EQ(static_cast<uint8_t>(plain[kSectionCountOffset]), 7);
  std::string as3 = plain;
  as3[kVersionOffset] = 3;
  testing::Reseal(as3);
  EXPECT_TRUE(ReadProgram(as3).ok());
  // Section 8 in a file that says format 3 is corrupt.
  std::string bound3 = bytes;
  bound3[kVersionOffset] = 3;
  testing::Reseal(bound3);
  Result<Program> old = ReadProgram(bound3);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(old.status().message().find("(term bindings) in a format 3 file"), std::string::npos)
      << old.status().ToString();
}

TEST(FormatVersionTest, TermBindingsMustMatchTheTermRefs) {
  Program p = BoundProgram();
  p.term_bindings.pop_back();
  Status s = VerifyProgram(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 term bindings for 2 term refs"), std::string::npos) << s.ToString();
  p = BoundProgram();
  p.term_bindings[1].version = "3";  // the ref pins "2"
  s = VerifyProgram(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("term binding B1: version differs"), std::string::npos) << s.ToString();
}

// Format 5 appended APPENDP (arrays a map builds keep HL7 v2 places): a file that says format 4 or older
// may not use it, and a format-4 file without it still loads.
TEST(FormatVersionTest, OlderFilesMayNotUseFormat5Opcodes) {
  Program p;
  testing::Asm a(p.code);
  a.ABC(Op::NEWARR, 0);
  a.ABC(Op::INPUT, 1);
  a.ABC(Op::APPENDP, 0, 1);
  a.ABC(Op::RET, 0);
  p.functions.push_back({"f", 0, 2, 0, a.pc()});
  EXPECT_TRUE(VerifyProgram(p, 5).ok()) << VerifyProgram(p, 5).ToString();
  for (uint16_t older : {1, 2, 3, 4}) {
    SCOPED_TRACE(older);
    Status s = VerifyProgram(p, older);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("opcode APPENDP is not in the file's format version"), std::string::npos)
        << s.ToString();
    std::string bytes = WriteProgram(p);
    bytes[kVersionOffset] = static_cast<char>(older);
    testing::Reseal(bytes);
    Result<Program> r = ReadProgram(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
  }
  // The same program with APPEND is a format-4 program: it loads as one.
  p.code[2] = EncodeABC(Op::APPEND, 0, 1, 0);
  std::string as4 = WriteProgram(p);
  as4[kVersionOffset] = 4;
  testing::Reseal(as4);
  EXPECT_TRUE(ReadProgram(as4).ok());
}

}  // namespace
}  // namespace crosswalk::bytecode

namespace crosswalk::bytecode {
namespace {

// Format 6 appended the fused instructions of the peephole pass (EQK ... SETKK): a file that says format 5
// (or older) may not use them, and V2COMP2's second component number is checked like V2COMP's.
TEST(FormatVersionTest, OlderFilesMayNotUseFormat6Opcodes) {
  for (Op op : {Op::EQK, Op::NEK, Op::JMPEQ, Op::JMPNE, Op::JMPEQK, Op::JMPNEK, Op::V2COMP2, Op::SETKK}) {
    SCOPED_TRACE(std::string(Info(op).name));
    Program p;
    p.constants.push_back(testing::Str("F"));
    testing::Asm a(p.code);
    if (Info(op).format == Format::AD) {
      a.AD(op, 0, 0);
      a.Put(0);
    } else {
      a.ABCX(op, 0, 1, op == Op::V2COMP2 ? 3 : 0, 0);
    }
    a.ABC(Op::RET, 0);
    p.functions.push_back({"f", 0, 2, 0, a.pc()});
    EXPECT_TRUE(VerifyProgram(p, 6).ok()) << VerifyProgram(p, 6).ToString();
    EXPECT_FALSE(VerifyProgram(p, 5).ok());
    EXPECT_FALSE(VerifyProgram(p, 1).ok());
    std::string b = WriteProgram(p);
    b[kVersionOffset] = 5;
    testing::Reseal(b);
    Result<Program> r = ReadProgram(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
  }
}

TEST(FormatVersionTest, FusedInstructionOperandsAreChecked) {
  Program p;
  p.constants.push_back(testing::Str("F"));
  testing::Asm a(p.code);
  a.ABCX(Op::V2COMP2, 0, 1, 3, 255);
  a.ABCX(Op::EQK, 0, 1, 0, 0);
  a.ABC(Op::RET, 0);
  p.functions.push_back({"f", 0, 2, 0, a.pc()});
  EXPECT_TRUE(VerifyProgram(p).ok()) << VerifyProgram(p).ToString();
  p.code[1] = 256;  // a component number V2COMP could not hold
  EXPECT_FALSE(VerifyProgram(p).ok());
  p.code[1] = 1;
  p.code[3] = 1;  // EQK's constant out of the pool
  EXPECT_FALSE(VerifyProgram(p).ok());
  p.code[3] = 0;
  p.code[2] = EncodeABC(Op::JMPEQ, 0, 1, 0);
  p.code[3] = 7;  // a jump out of the function
  EXPECT_FALSE(VerifyProgram(p).ok());
  p.code[3] = 0;
  EXPECT_TRUE(VerifyProgram(p).ok()) << VerifyProgram(p).ToString();
  p.constants.push_back(Constant{Constant::Tag::kInt, 7, 0, {}});
  p.code[2] = EncodeAD(Op::SETKK, 0, 1);  // R0."F" := 7
  EXPECT_TRUE(VerifyProgram(p).ok()) << VerifyProgram(p).ToString();
  p.code[3] = 1;  // the key must be a string constant
  EXPECT_FALSE(VerifyProgram(p).ok());
  p.code[3] = 0;
  p.code[2] = EncodeAD(Op::SETKK, 0, 2);  // the value's constant out of the pool
  EXPECT_FALSE(VerifyProgram(p).ok());
}

}  // namespace
}  // namespace crosswalk::bytecode

namespace crosswalk::bytecode {
namespace {

// LOOKUPP's C = 1 (the display in the language R[B+1], `lookup(code, SYS, { language: L })`) came with
// format 6: a runtime of format 5 would read the language as a property name, so a format-5 file may not
// use it; any other C is refused.
TEST(FormatVersionTest, LookupByLanguageNeedsFormat6) {
  Program p;
  p.term_refs.push_back({TermRef::Type::kCodeSystem, "urn:x", ""});
  testing::Asm a(p.code);
  a.ABCX(Op::LOOKUPP, 0, 0, 1, 0);
  a.ABC(Op::RET, 0);
  p.functions.push_back({"f", 0, 2, 0, a.pc()});
  EXPECT_TRUE(VerifyProgram(p, 6).ok()) << VerifyProgram(p, 6).ToString();
  Status s = VerifyProgram(p, 5);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("lookup by language is not in the file's format version"), std::string::npos)
      << s.ToString();
  p.code[0] = EncodeABC(Op::LOOKUPP, 0, 0, 0);  // the property form is a format-3 instruction
  EXPECT_TRUE(VerifyProgram(p, 5).ok()) << VerifyProgram(p, 5).ToString();
  p.code[0] = EncodeABC(Op::LOOKUPP, 0, 0, 2);
  EXPECT_FALSE(VerifyProgram(p, 6).ok());
}

}  // namespace
}  // namespace crosswalk::bytecode
