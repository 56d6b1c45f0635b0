// The corrupt-program corpus: one targeted violation per case, each with its expected error. Every case
// is checked twice: on the Program (VerifyProgram) and through a written file (ReadProgram).
#include "bytecode/verifier.h"

#include <gtest/gtest.h>

#include <functional>

#include "bytecode/builtin_table.h"
#include "bytecode/reader.h"
#include "bytecode/writer.h"
#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

using testing::Asm;
using testing::EveryOpcodeProgram;
using testing::MinimalProgram;
using testing::Str;

void ExpectInvalid(const Program& p, std::string_view text) {
  Status s = VerifyProgram(p);
  ASSERT_FALSE(s.ok()) << "expected: " << text;
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find(text), std::string_view::npos) << s.ToString();
  Result<Program> r = ReadProgram(WriteProgram(p));
  ASSERT_FALSE(r.ok()) << "loaded from bytes; expected: " << text;
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find(text), std::string_view::npos) << r.status().ToString();
}

// A one-function program `f` with `regs` registers and the given code (no maps).
Program OneFunction(uint32_t regs, const std::function<void(Asm&)>& body, uint32_t params = 0) {
  Program p;
  p.constants = {Str("key"), {Constant::Tag::kInt, 1, 0, ""}};
  p.term_refs = {{TermRef::Type::kConceptMap, "http://x/cm", ""}, {TermRef::Type::kCodeSystem, "http://x/cs", ""}};
  Asm a(p.code);
  body(a);
  p.functions.push_back({"f", params, regs, 0, a.pc()});
  return p;
}

TEST(VerifierTest, ValidProgramsPass) {
  EXPECT_TRUE(VerifyProgram(EveryOpcodeProgram()).ok()) << VerifyProgram(EveryOpcodeProgram()).ToString();
  EXPECT_TRUE(VerifyProgram(MinimalProgram()).ok());
  EXPECT_TRUE(VerifyProgram(Program{}).ok());
}

TEST(VerifierTest, ErrorContextNamesFunctionAndPc) {
  Program p = OneFunction(2, [](Asm& a) {
    a.ABC(Op::NOP, 0);
    a.ABC(Op::MOVE, 0, 2);
    a.ABC(Op::RET, 0);
  });
  Status s = VerifyProgram(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.context().function, "f");
  EXPECT_EQ(s.context().pc, 1);
  EXPECT_EQ(s.message(), "invalid program: function 0 'f' pc 1 MOVE: operand B register R2 out of range (registers 2)");
}

// ---- registers ----

TEST(VerifierTest, RegisterOutOfRange) {
  ExpectInvalid(OneFunction(3, [](Asm& a) { a.ABC(Op::RET, 3); }), "register R3 out of range");
  EXPECT_TRUE(VerifyProgram(OneFunction(3, [](Asm& a) { a.ABC(Op::RET, 2); })).ok());
  ExpectInvalid(OneFunction(3, [](Asm& a) {
                  a.ABC(Op::ADD, 0, 1, 3);
                  a.ABC(Op::RET, 0);
                }),
                "operand C register R3");
}

TEST(VerifierTest, RegisterPairAtTheEdge) {
  auto iter = [](uint32_t a_reg) {
    return [a_reg](Asm& a) {
      a.ABC(Op::ITERPREP, a_reg, 0);
      a.ABC(Op::RET, 0);
    };
  };
  EXPECT_TRUE(VerifyProgram(OneFunction(4, iter(2))).ok());
  ExpectInvalid(OneFunction(4, iter(3)), "register pair R3 out of range");
}

TEST(VerifierTest, RegisterRunAtTheEdge) {
  auto concat = [](uint32_t first, uint32_t count) {
    return [=](Asm& a) {
      a.ABC(Op::CONCAT, 0, first, count);
      a.ABC(Op::RET, 0);
    };
  };
  EXPECT_TRUE(VerifyProgram(OneFunction(5, concat(2, 3))).ok());
  ExpectInvalid(OneFunction(5, concat(2, 4)), "registers R2 .. +4 out of range");
  EXPECT_TRUE(VerifyProgram(OneFunction(5, concat(5, 0))).ok());  // an empty run
}

TEST(VerifierTest, RegisterAndParamCounts) {
  auto ret = [](Asm& a) { a.ABC(Op::RET, 0); };
  EXPECT_TRUE(VerifyProgram(OneFunction(kMaxRegisters, ret)).ok());
  ExpectInvalid(OneFunction(kMaxRegisters + 1, ret), "registers > kMaxRegisters");
  EXPECT_TRUE(VerifyProgram(OneFunction(kMaxParams, ret, kMaxParams)).ok());
  ExpectInvalid(OneFunction(kMaxParams + 1, ret, kMaxParams + 1), "params > kMaxParams");
  ExpectInvalid(OneFunction(2, ret, 3), "more params than registers");
}

// ---- operands by kind ----

TEST(VerifierTest, NonZeroUnusedOperand) {
  ExpectInvalid(OneFunction(2, [](Asm& a) { a.ABC(Op::RET, 0, 1); }), "operand B must be 0");
  ExpectInvalid(OneFunction(2, [](Asm& a) { a.ABC(Op::NOP, 1); }), "operand A must be 0");
}

TEST(VerifierTest, ConstantOperands) {
  ExpectInvalid(OneFunction(2, [](Asm& a) {
                  a.AD(Op::LOADK, 0, 2);
                  a.ABC(Op::RET, 0);
                }),
                "constant K2 out of range");
  ExpectInvalid(OneFunction(2, [](Asm& a) {
                  a.ABCX(Op::GETK, 0, 1, 0, 1);  // K1 is an int
                  a.ABC(Op::RET, 0);
                }),
                "constant K1 is not a string");
  ExpectInvalid(OneFunction(2, [](Asm& a) {
                  a.ABCX(Op::SETK, 0, 1, 0, 7);
                  a.ABC(Op::RET, 0);
                }),
                "operand AUX constant K7 out of range");
}

TEST(VerifierTest, UnknownOpcode) {
  ExpectInvalid(OneFunction(2, [](Asm& a) { a.ABC(static_cast<Op>(kOpCount), 0); }), "unknown opcode");
  Program p = OneFunction(2, [](Asm& a) { a.ABC(Op::RET, 0); });
  p.code[0] = 0xFF;
  ExpectInvalid(p, "unknown opcode 255");
}

TEST(VerifierTest, AuxWordMissing) {
  Program p = OneFunction(2, [](Asm& a) {
    a.ABC(Op::RET, 0);
    a.ABC(Op::GETK, 0, 1, 0);  // its AUX word would be past the end of the function
  });
  ExpectInvalid(p, "AUX word missing");
}

TEST(VerifierTest, CallArity) {
  auto two_functions = [](uint32_t argc) {
    Program p;
    Asm a(p.code);
    a.ABCX(Op::CALL, 0, 1, argc, 1);
    a.ABC(Op::RET, 0);
    p.functions.push_back({"main", 0, 4, 0, a.pc()});
    uint32_t at = a.ABC(Op::RET, 0);
    p.functions.push_back({"callee", 2, 2, at, a.pc()});
    return p;
  };
  EXPECT_TRUE(VerifyProgram(two_functions(2)).ok());
  ExpectInvalid(two_functions(1), "with 1 arguments, it takes 2");
  ExpectInvalid(two_functions(3), "with 3 arguments, it takes 2");
  Program p = two_functions(2);
  p.code[1] = 2;  // F2
  ExpectInvalid(p, "function F2 out of range");
}

TEST(VerifierTest, BuiltinArity) {
  auto callb = [](uint32_t id, uint32_t argc) {
    return OneFunction(20, [=](Asm& a) {
      a.ABCX(Op::CALLB, 0, 1, argc, id);
      a.ABC(Op::RET, 0);
    });
  };
  uint32_t substring = static_cast<uint32_t>(BuiltinId::kSubstring);  // 2..3
  EXPECT_TRUE(VerifyProgram(callb(substring, 2)).ok());
  EXPECT_TRUE(VerifyProgram(callb(substring, 3)).ok());
  ExpectInvalid(callb(substring, 1), "builtin substring called with 1 arguments, takes 2..3");
  ExpectInvalid(callb(substring, 4), "builtin substring called with 4 arguments");
  uint32_t now = static_cast<uint32_t>(BuiltinId::kNow);  // 0..0
  EXPECT_TRUE(VerifyProgram(callb(now, 0)).ok());
  ExpectInvalid(callb(now, 1), "builtin now called with 1");
  ExpectInvalid(callb(kBuiltinCount, 1), "unknown");
}

TEST(VerifierTest, V2PathField) {
  auto field = [](uint32_t f) {
    return OneFunction(2, [=](Asm& a) {
      a.ABCX(Op::V2FIELD, 0, 1, 0, PackV2Path({f, 0, 0, 0}));
      a.ABC(Op::RET, 0);
    });
  };
  EXPECT_TRUE(VerifyProgram(field(1)).ok());
  EXPECT_TRUE(VerifyProgram(field(kMaxV2Field)).ok());
  ExpectInvalid(field(0), "HL7 v2 field 0 out of 1..4095");
}

TEST(VerifierTest, TermRefs) {
  auto term = [](Op op, uint32_t t) {
    return OneFunction(3, [=](Asm& a) {
      a.ABCX(op, 0, 1, 0, t);
      a.ABC(Op::RET, 0);
    });
  };
  EXPECT_TRUE(VerifyProgram(term(Op::TRANSLATE, 0)).ok());
  EXPECT_TRUE(VerifyProgram(term(Op::LOOKUP, 1)).ok());
  ExpectInvalid(term(Op::TRANSLATE, 2), "term ref T2 out of range");
  ExpectInvalid(term(Op::LOOKUP, 0), "term ref T0 is of the wrong type");
  ExpectInvalid(term(Op::MEMBER, 0), "wrong type");
  ExpectInvalid(OneFunction(3,
                            [](Asm& a) {
                              a.ABCX(Op::TRANSLATE, 0, 1, 8, 0);
                              a.ABC(Op::RET, 0);
                            }),
                "translate flags 8 unknown");
  Program p = term(Op::TRANSLATE, 0);
  p.term_refs[0].url.clear();
  ExpectInvalid(p, "empty url");
  p = term(Op::TRANSLATE, 0);
  p.term_refs[1].type = static_cast<TermRef::Type>(3);
  ExpectInvalid(p, "T1: unknown type");
}

// ---- control flow ----

TEST(VerifierTest, JumpIntoAuxWord) {
  ExpectInvalid(OneFunction(2,
                            [](Asm& a) {
                              a.E(Op::JMP, 1);  // skips GETK's first word, lands on its AUX
                              a.ABCX(Op::GETK, 0, 1, 0, 0);
                              a.ABC(Op::RET, 0);
                            }),
                "jump target 2 is not an instruction start");
}

TEST(VerifierTest, JumpOutside) {
  ExpectInvalid(OneFunction(2,
                            [](Asm& a) {
                              a.AD(Op::JMPIF, 0, 5);
                              a.ABC(Op::RET, 0);
                            }),
                "jump target 6 outside the function");
  ExpectInvalid(OneFunction(2,
                            [](Asm& a) {
                              a.ABC(Op::NOP, 0);
                              a.E(Op::JMP, -3);
                            }),
                "jump target -1 outside the function");
  // Into the next function: outside this one, even though it is an instruction start there.
  Program p = OneFunction(2, [](Asm& a) { a.E(Op::JMP, 0); });
  p.code.push_back(EncodeABC(Op::RET, 0, 0, 0));
  p.functions.push_back({"g", 0, 1, 1, 2});
  ExpectInvalid(p, "jump target 1 outside the function");
  // ITERNEXT's AUX jump.
  ExpectInvalid(OneFunction(3,
                            [](Asm& a) {
                              a.ABCX(Op::ITERNEXT, 0, 2, 0, 100);
                              a.ABC(Op::RET, 0);
                            }),
                "jump target 102 outside the function");
}

TEST(VerifierTest, BackwardJumpToStartIsFine) {
  EXPECT_TRUE(VerifyProgram(OneFunction(2, [](Asm& a) { a.E(Op::JMP, -1); })).ok());
}

TEST(VerifierTest, MissingTerminator) {
  ExpectInvalid(OneFunction(2,
                            [](Asm& a) {
                              a.ABC(Op::RET, 0);
                              a.ABC(Op::MOVE, 0, 1);
                            }),
                "pc 1 MOVE: last instruction is not a terminator");
  ExpectInvalid(OneFunction(2,
                            [](Asm& a) {
                              a.ABC(Op::RET, 0);
                              a.AD(Op::JMPIF, 0, -2);  // conditional: can fall through
                            }),
                "not a terminator");
}

// ---- functions ----

TEST(VerifierTest, FunctionRanges) {
  Program p = MinimalProgram();
  p.functions[0].code_end = 2;
  ExpectInvalid(p, "code range ends past the code");
  p = MinimalProgram();
  p.functions[0].code_end = 0;
  ExpectInvalid(p, "empty code range");
  p = MinimalProgram();
  p.code.push_back(EncodeABC(Op::RET, 0, 0, 0));
  p.functions[0].code_end = 2;
  p.functions.push_back({"g", 0, 1, 1, 2});
  ExpectInvalid(p, "functions 0 and 1 overlap");
}

// ---- maps ----

TEST(VerifierTest, Maps) {
  Program p = EveryOpcodeProgram();
  p.maps[0].function = 2;
  ExpectInvalid(p, "function 2 out of range");
  p = EveryOpcodeProgram();
  p.maps[0].function = 1;  // helper takes 2 params
  ExpectInvalid(p, "entry function takes parameters");
  p = EveryOpcodeProgram();
  p.maps[0].source = static_cast<Kind>(3);
  ExpectInvalid(p, "unknown source kind");
  p = EveryOpcodeProgram();
  p.maps[0].target = static_cast<Kind>(200);
  ExpectInvalid(p, "unknown target kind");
}

// ---- pools ----

TEST(VerifierTest, InvalidUtf8) {
  const char* bad[] = {"\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "ab\x80"};
  for (const char* s : bad) {
    SCOPED_TRACE(s);
    Program p = EveryOpcodeProgram();
    p.constants[1].s = s;
    ExpectInvalid(p, "constant K1 is not valid UTF-8");
  }
  Program p = EveryOpcodeProgram();
  p.files[0] = "\xFE.cw";
  ExpectInvalid(p, "file 0 is not valid UTF-8");
  p = EveryOpcodeProgram();
  p.functions[1].name = "\xC3(";
  ExpectInvalid(p, "name is not valid UTF-8");
  p = EveryOpcodeProgram();
  p.maps[0].message_type = "ADT\xE2\x82";
  ExpectInvalid(p, "message type is not valid UTF-8");
  p = EveryOpcodeProgram();
  p.constants[1].s = std::string("a\0b", 3);  // U+0000 is valid UTF-8
  EXPECT_TRUE(VerifyProgram(p).ok());
}

TEST(VerifierTest, ConstantValues) {
  Program p = MinimalProgram();
  p.constants.push_back({Constant::Tag::kDecimal, 1, kMaxDecimalScale, ""});
  EXPECT_TRUE(VerifyProgram(p).ok());
  p.constants.back().scale = kMaxDecimalScale + 1;
  ExpectInvalid(p, "decimal scale 19 > 18");
  p = MinimalProgram();
  p.constants.push_back({Constant::Tag::kBool, 2, 0, ""});
  EXPECT_FALSE(VerifyProgram(p).ok());
  p.constants.back().tag = static_cast<Constant::Tag>(7);
  EXPECT_FALSE(VerifyProgram(p).ok());
}

// ---- debug lines ----

TEST(VerifierTest, DebugLines) {
  Program p = EveryOpcodeProgram();
  std::swap(p.lines[1], p.lines[2]);
  ExpectInvalid(p, "line entry 2: pc goes backwards");
  p = EveryOpcodeProgram();
  p.lines.push_back({static_cast<uint32_t>(p.code.size()), 0, 1, 1});
  ExpectInvalid(p, "outside the code");
  p = EveryOpcodeProgram();
  p.lines[0].file = 1;
  ExpectInvalid(p, "line entry 0: file 1 out of range");
  p = EveryOpcodeProgram();
  p.lines.insert(p.lines.begin() + 1, p.lines[1]);  // a repeated pc is allowed; the later row wins
  EXPECT_TRUE(VerifyProgram(p).ok());
}

}  // namespace
}  // namespace crosswalk::bytecode
