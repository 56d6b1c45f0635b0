// bytecode/registers.h: the register effects of instructions and the registers a call must clear.
#include "bytecode/registers.h"

#include <gtest/gtest.h>

#include "bytecode/format.h"
#include "bytecode/verifier.h"
#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

TEST(RegistersTest, EffectsOfSomeInstructions) {
  RegSet use, def;
  RegisterEffects(EncodeABC(Op::EQ, 1, 2, 3), &use, &def);
  EXPECT_TRUE(use[2] && use[3] && !use[1]);
  EXPECT_TRUE(def[1] && def.count() == 1);
  RegisterEffects(EncodeABC(Op::SETK, 1, 2, 0), &use, &def);  // changes R1's object in place: a read
  EXPECT_TRUE(use[1] && use[2] && def.none());
  RegisterEffects(EncodeABC(Op::CALL, 0, 4, 3), &use, &def);
  EXPECT_EQ(use.count(), 3u);
  EXPECT_TRUE(use[4] && use[5] && use[6] && def[0]);
  RegisterEffects(EncodeABC(Op::ITERNEXT, 2, 5, 0), &use, &def);  // R5 written only while items remain
  EXPECT_TRUE(use[2] && use[3] && !use[5] && def.none());
  RegisterEffects(EncodeABC(Op::ADD, 1, 2, 3), &use, &def);  // arithmetic: not counted as a definite write
  EXPECT_TRUE(use[1] && def.none());
  RegisterEffects(0xFF, &use, &def);  // not an opcode: reads everything
  EXPECT_TRUE(use.all() && def.none());
}

TEST(RegistersTest, JumpTargetsComeFromTheOpcodeTable) {
  EXPECT_EQ(JumpTarget(EncodeE(Op::JMP, -3), 0, 10), 8);
  EXPECT_EQ(JumpTarget(EncodeAD(Op::JMPIFNOT, 0, 4), 0, 10), 15);
  EXPECT_EQ(JumpTarget(EncodeAD(Op::JMPEQK, 0, 4), 7, 10), 16);  // AD with an AUX word: D is the jump
  EXPECT_EQ(JumpTarget(EncodeABC(Op::JMPNE, 0, 1, 0), static_cast<uint32_t>(-2), 10), 10);
  EXPECT_EQ(JumpTarget(EncodeABC(Op::ITERNEXT, 0, 2, 0), 5, 10), 17);
  EXPECT_EQ(JumpTarget(EncodeABC(Op::MOVE, 0, 1, 0), 0, 10), -1);
}

TEST(RegistersTest, OnlyRegistersReadBeforeAWriteAreCleared) {
  Program p;
  testing::Asm a(p.code);
  // F0 (1 parameter, 4 registers): R2 is read on the way that skips its write; R3 is always written first.
  a.AD(Op::JMPIF, 0, 2);   // 0: -> 3
  a.ABC(Op::LOADB, 2, 1);  // 1
  a.ABC(Op::LOADB, 3, 1);  // 2
  a.ABC(Op::LOADB, 3, 0);  // 3
  a.ABC(Op::CONCAT, 1, 2, 2);  // 4: R2, R3
  a.ABC(Op::RET, 1);       // 5
  p.functions.push_back({"f", 1, 4, 0, a.pc()});
  // F1 (no parameters, 3 registers): every register is written before it is read.
  uint32_t g = a.ABC(Op::LOADB, 0, 1);
  a.ABC(Op::NOT, 1, 0);
  a.ABC(Op::RET, 1);
  p.functions.push_back({"g", 0, 3, g, a.pc()});
  // F2 (no parameters, 4 registers): a loop's iterator pair is read by ITERNEXT after ITERPREP wrote it;
  // the loop variable R3 is read after the loop, where the last ITERNEXT may not have written it.
  uint32_t h = a.ABC(Op::NEWARR, 0);
  a.ABC(Op::ITERPREP, 1, 0);
  a.ABCX(Op::ITERNEXT, 1, 3, 0, 1);  // exit -> RET
  a.E(Op::JMP, -3);
  a.ABC(Op::RET, 3);
  p.functions.push_back({"h", 0, 4, h, a.pc()});
  ASSERT_TRUE(VerifyProgram(p).ok()) << VerifyProgram(p).ToString();
  EXPECT_EQ(RegistersReadBeforeWritten(p), (std::vector<uint32_t>{3, 0, 4}));
}

}  // namespace
}  // namespace crosswalk::bytecode
