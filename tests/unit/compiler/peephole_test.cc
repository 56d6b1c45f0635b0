// The peephole pass (compiler/src/opt/peephole.h), one test per rule on hand-built functions: the words
// it leaves, its counts, and the verifier's acceptance of the result (jumps, function ranges and the
// line table rewritten consistently).
#include "opt/peephole.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "../bytecode/test_programs.h"
#include "bytecode/verifier.h"

namespace crosswalk::compiler {
namespace {

using bytecode::EncodeABC;
using bytecode::EncodeAD;
using bytecode::EncodeE;
using bytecode::Op;
using bytecode::Program;
using bytecode::testing::Asm;

// One function "f" over the whole of `code`, with 4 registers.
Program OneFunction(std::vector<uint32_t> code) {
  Program p;
  p.code = std::move(code);
  p.functions.push_back({"f", 0, 4, 0, static_cast<uint32_t>(p.code.size())});
  return p;
}

PeepholeStats RunPass(Program* p) {
  EXPECT_TRUE(bytecode::VerifyProgram(*p).ok()) << "the test's input is invalid";
  PeepholeStats s = Peephole(p);
  Status v = bytecode::VerifyProgram(*p);
  EXPECT_TRUE(v.ok()) << v.ToString();
  EXPECT_EQ(s.words_after, p->code.size());
  return s;
}

TEST(PeepholeTest, ThreadsAJumpToAJump) {
  Program p = OneFunction({
      EncodeAD(Op::JMPIF, 0, 1),    // 0: -> 2
      EncodeABC(Op::RET, 0, 0, 0),  // 1
      EncodeE(Op::JMP, 1),          // 2: -> 4 (only reached from 0)
      EncodeABC(Op::RET, 1, 0, 0),  // 3: unreachable
      EncodeABC(Op::LOADB, 0, 0, 0),
      EncodeABC(Op::RET, 0, 0, 0),
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.threaded_jumps, 1u);
  EXPECT_EQ(s.removed_unreachable, 2u);  // the JMP nothing reaches any more, and the RET after it
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeAD(Op::JMPIF, 0, 1), EncodeABC(Op::RET, 0, 0, 0),
                                           EncodeABC(Op::LOADB, 0, 0, 0), EncodeABC(Op::RET, 0, 0, 0)}));
}

TEST(PeepholeTest, ThreadsTheExitOfALoop) {
  std::vector<uint32_t> code;
  Asm a(code);
  a.ABC(Op::NEWARR, 0);
  a.ABC(Op::ITERPREP, 1, 0);
  a.ABCX(Op::ITERNEXT, 1, 3, 0, 2);  // 2: exit -> 6
  a.ABC(Op::APPEND, 0, 3);           // 4
  a.E(Op::JMP, -4);                  // 5: -> 2
  a.E(Op::JMP, 0);                   // 6: -> 7
  a.ABC(Op::RET, 0);                 // 7
  Program p = OneFunction(code);
  PeepholeStats s = RunPass(&p);
  // The exit goes straight to RET, and the JMP to the next instruction is gone.
  EXPECT_EQ(s.threaded_jumps, 1u);
  EXPECT_EQ(s.removed_jumps + s.removed_unreachable, 1u);
  ASSERT_EQ(p.code.size(), 7u);
  EXPECT_EQ(p.code[2], EncodeABC(Op::ITERNEXT, 1, 3, 0));
  EXPECT_EQ(static_cast<int32_t>(p.code[3]), 2);  // -> 6, the RET
  EXPECT_EQ(p.code[5], EncodeE(Op::JMP, -4));
  EXPECT_EQ(p.code[6], EncodeABC(Op::RET, 0, 0, 0));
}

TEST(PeepholeTest, JumpToReturnBecomesTheReturn) {
  Program p = OneFunction({
      EncodeAD(Op::JMPIF, 0, 1),  // 0: -> 2
      EncodeE(Op::JMP, 1),        // 1: -> 3, a RET
      EncodeABC(Op::LOADB, 0, 0, 0),
      EncodeABC(Op::RET, 0, 0, 0),
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.jumps_to_ret, 1u);
  EXPECT_EQ(s.inverted_branches, 0u);  // taken first: one dispatch instead of two on that path
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeAD(Op::JMPIF, 0, 1), EncodeABC(Op::RET, 0, 0, 0),
                                           EncodeABC(Op::LOADB, 0, 0, 0), EncodeABC(Op::RET, 0, 0, 0)}));
}

TEST(PeepholeTest, InvertsABranchOverAJump) {
  for (Op op : {Op::JMPIF, Op::JMPIFNOT}) {
    Program p = OneFunction({
        EncodeAD(op, 2, 1),  // 0: -> 2
        EncodeE(Op::JMP, 2),  // 1: -> 4
        EncodeABC(Op::LOADB, 1, 1, 0),
        EncodeABC(Op::RET, 1, 0, 0),
        EncodeABC(Op::LOADB, 1, 0, 0),
        EncodeABC(Op::RET, 1, 0, 0),
    });
    PeepholeStats s = RunPass(&p);
    EXPECT_EQ(s.inverted_branches, 1u);
    Op inverse = op == Op::JMPIF ? Op::JMPIFNOT : Op::JMPIF;
    EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeAD(inverse, 2, 2), EncodeABC(Op::LOADB, 1, 1, 0),
                                             EncodeABC(Op::RET, 1, 0, 0), EncodeABC(Op::LOADB, 1, 0, 0),
                                             EncodeABC(Op::RET, 1, 0, 0)}));
  }
}

TEST(PeepholeTest, CollapsesBranchesThatAllGoTheSameWay) {
  Program p = OneFunction({
      EncodeAD(Op::JMPIFNOT, 0, 2),  // 0: -> 3
      EncodeAD(Op::JMPIF, 1, 1),     // 1: -> 3
      EncodeE(Op::JMP, 2),           // 2: -> 5
      EncodeE(Op::JMP, 1),           // 3: -> 5
      EncodeABC(Op::LOADB, 0, 0, 0),
      EncodeABC(Op::LOADB, 1, 0, 0),  // 5
      EncodeABC(Op::RET, 1, 0, 0),
  });
  PeepholeStats s = RunPass(&p);
  // 0 and 1 are threaded to 5; 3 and 4 are then unreachable; 2, 1 and 0 each become a jump to the next
  // instruction in turn.
  EXPECT_EQ(s.threaded_jumps, 2u);
  EXPECT_EQ(s.removed_unreachable, 2u);
  EXPECT_EQ(s.removed_jumps, 3u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeABC(Op::LOADB, 1, 0, 0), EncodeABC(Op::RET, 1, 0, 0)}));
}

TEST(PeepholeTest, RemovesJumpsToTheNextInstruction) {
  Program p = OneFunction({
      EncodeABC(Op::LOADB, 0, 1, 0),
      EncodeAD(Op::JMPIFNOT, 0, 0),    // -> next
      EncodeAD(Op::JMPPRESENT, 0, 0),  // -> next
      EncodeE(Op::JMP, 0),             // -> next
      EncodeABC(Op::RET, 0, 0, 0),
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.removed_jumps, 3u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeABC(Op::LOADB, 0, 1, 0), EncodeABC(Op::RET, 0, 0, 0)}));
}

TEST(PeepholeTest, RemovesSelfMovesAndJumpsLandOnTheNextInstruction) {
  Program p = OneFunction({
      EncodeAD(Op::JMPIF, 0, 1),      // 0: -> 2, a self move
      EncodeABC(Op::LOADB, 1, 1, 0),  // 1
      EncodeABC(Op::MOVE, 1, 1, 0),   // 2
      EncodeABC(Op::MOVE, 2, 1, 0),   // 3: kept
      EncodeABC(Op::RET, 2, 0, 0),
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.removed_moves, 1u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeAD(Op::JMPIF, 0, 1), EncodeABC(Op::LOADB, 1, 1, 0),
                                           EncodeABC(Op::MOVE, 2, 1, 0), EncodeABC(Op::RET, 2, 0, 0)}));
}

TEST(PeepholeTest, RemovesUnreachableCodeAndMovesLaterFunctionsAndLines) {
  Program p;
  Asm a(p.code);
  a.ABC(Op::LOADB, 0, 1);       // 0
  a.ABC(Op::RET, 0);            // 1
  a.ABC(Op::LOADB, 0, 0);       // 2: unreachable
  a.AD(Op::JMPIF, 0, -2);       // 3: unreachable, a jump back into live code
  a.E(Op::JMP, -5);             // 4: unreachable
  p.functions.push_back({"f", 0, 2, 0, a.pc()});
  uint32_t g = a.ABC(Op::LOADB, 1, 0);  // 5
  a.ABC(Op::RET, 1);                    // 6
  p.functions.push_back({"g", 0, 2, g, a.pc()});
  p.files = {"m.cw"};
  p.lines = {{0, 0, 1, 1}, {2, 0, 2, 1}, {4, 0, 3, 1}, {5, 0, 7, 1}, {6, 0, 8, 1}};
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.removed_unreachable, 3u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeABC(Op::LOADB, 0, 1, 0), EncodeABC(Op::RET, 0, 0, 0),
                                           EncodeABC(Op::LOADB, 1, 0, 0), EncodeABC(Op::RET, 1, 0, 0)}));
  EXPECT_EQ(p.functions[0].code_begin, 0u);
  EXPECT_EQ(p.functions[0].code_end, 2u);
  EXPECT_EQ(p.functions[1].code_begin, 2u);
  EXPECT_EQ(p.functions[1].code_end, 4u);
  // The rows of removed code land on g's first instruction, where g's own row (line 7) wins.
  EXPECT_EQ(p.lines, (std::vector<bytecode::LineEntry>{{0, 0, 1, 1}, {2, 0, 7, 1}, {3, 0, 8, 1}}));
}

TEST(PeepholeTest, DoesNotThreadBeyondTheReachOfAShortJump) {
  // JMPIF (16-bit offset) to a JMP (24-bit offset) whose target is farther than 32767 words away.
  std::vector<uint32_t> code;
  Asm a(code);
  a.AD(Op::JMPIF, 0, 1);  // 0: -> 2
  a.ABC(Op::RET, 0);      // 1
  a.E(Op::JMP, 40000);    // 2: -> 40003
  for (int i = 0; i < 40000; ++i) a.ABC(Op::LOADB, 1, 1);
  a.ABC(Op::LOADB, 1, 0);  // 40003 (not a RET: a JMP to RET would become the RET)
  a.ABC(Op::RET, 1);
  // 1 jumps into the filler (so it stays reachable) or falls through to the JMP; inverting it would
  // need the same long reach.
  code[1] = EncodeAD(Op::JMPIFNOT, 0, 1);  // 1: -> 3
  Program p = OneFunction(code);
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.threaded_jumps, 0u);
  EXPECT_EQ(s.inverted_branches, 0u);
  EXPECT_EQ(p.code.size(), code.size());
  EXPECT_EQ(p.code[0], EncodeAD(Op::JMPIF, 0, 1));
  EXPECT_EQ(p.code[2], EncodeE(Op::JMP, 40000));
}

// ---- fused pairs (format 6) ----

TEST(PeepholeTest, TruthyFeedingABranchIsDropped) {
  // `if a and b`: TRUTHY r2 a; JMPIFNOT r2 end; TRUTHY r2 b; end: JMPIFNOT r2 else; ... else: ...
  // The first test threads to `else` (r2 is falsy there), and each TRUTHY's result is read by its branch only.
  std::vector<uint32_t> code;
  Asm a(code);
  a.ABC(Op::TRUTHY, 2, 0);    // 0
  a.AD(Op::JMPIFNOT, 2, 1);   // 1: -> 3
  a.ABC(Op::TRUTHY, 2, 1);    // 2
  a.AD(Op::JMPIFNOT, 2, 1);   // 3: -> 5
  a.ABC(Op::RET, 0);          // 4
  a.ABC(Op::RET, 1);          // 5
  Program p = OneFunction(code);
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.threaded_jumps, 1u);
  EXPECT_EQ(s.fused, 2u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeAD(Op::JMPIFNOT, 0, 2), EncodeAD(Op::JMPIFNOT, 1, 1),
                                           EncodeABC(Op::RET, 0, 0, 0), EncodeABC(Op::RET, 1, 0, 0)}));
}

TEST(PeepholeTest, NotFeedingABranchInvertsIt) {
  Program p = OneFunction({
      EncodeABC(Op::NOT, 2, 0, 0),  // 0
      EncodeAD(Op::JMPIF, 2, 1),    // 1: -> 3
      EncodeABC(Op::RET, 0, 0, 0),  // 2
      EncodeABC(Op::RET, 1, 0, 0),  // 3
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 1u);
  EXPECT_EQ(p.code[0], EncodeAD(Op::JMPIFNOT, 0, 1));
  EXPECT_EQ(p.code.size(), 3u);
}

TEST(PeepholeTest, ATestWhoseResultIsReadLaterIsKept) {
  // r2 is returned after the branch: the TRUTHY stays.
  Program p = OneFunction({
      EncodeABC(Op::TRUTHY, 2, 0, 0),  // 0
      EncodeAD(Op::JMPIFNOT, 2, 1),    // 1: -> 3
      EncodeABC(Op::RET, 0, 0, 0),     // 2
      EncodeABC(Op::RET, 2, 0, 0),     // 3
  });
  Program before = p;
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 0u);
  EXPECT_EQ(p.code, before.code);
}

TEST(PeepholeTest, NothingFusesAcrossAJumpTarget) {
  // Something jumps to the JMPIFNOT: the TRUTHY before it does not run on that way.
  Program p = OneFunction({
      EncodeAD(Op::JMPIF, 1, 1),       // 0: -> 2
      EncodeABC(Op::TRUTHY, 2, 0, 0),  // 1
      EncodeAD(Op::JMPIFNOT, 2, 1),    // 2: -> 4
      EncodeABC(Op::RET, 0, 0, 0),     // 3
      EncodeABC(Op::RET, 1, 0, 0),     // 4
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 0u);
  EXPECT_EQ(p.code[1], EncodeABC(Op::TRUTHY, 2, 0, 0));
}

TEST(PeepholeTest, MatchArmsBecomeCompareWithAConstantAndBranch) {
  // `match s { "F" => 1, _ => 2 }`: LOADK t K0; EQ t s t; JMPIF t body; ...
  std::vector<uint32_t> code;
  Asm a(code);
  a.AD(Op::LOADK, 2, 0);      // 0
  a.ABC(Op::EQ, 2, 0, 2);     // 1
  a.AD(Op::JMPIF, 2, 2);      // 2: -> 5
  a.AD(Op::LOADI, 1, 2);      // 3
  a.ABC(Op::RET, 1);          // 4
  a.AD(Op::LOADI, 1, 1);      // 5
  a.ABC(Op::RET, 1);          // 6
  Program p = OneFunction(code);
  p.constants.push_back(bytecode::testing::Str("F"));
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 2u);  // LOADK + EQ -> EQK, then EQK + JMPIF -> JMPEQK
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeAD(Op::JMPEQK, 0, 2), 0u, EncodeAD(Op::LOADI, 1, 2),
                                           EncodeABC(Op::RET, 1, 0, 0), EncodeAD(Op::LOADI, 1, 1),
                                           EncodeABC(Op::RET, 1, 0, 0)}));
}

TEST(PeepholeTest, ComparisonsFeedingBranches) {
  // EQ + JMPIFNOT -> JMPNE (AUX jump); NE + JMPIF -> JMPNE; a constant compare kept as EQK when its
  // result is returned.
  std::vector<uint32_t> code;
  Asm a(code);
  a.ABC(Op::EQ, 2, 0, 1);     // 0
  a.AD(Op::JMPIFNOT, 2, 3);   // 1: -> 5
  a.AD(Op::LOADK, 3, 0);      // 2
  a.ABC(Op::NE, 2, 3, 0);     // 3
  a.ABC(Op::RET, 2);          // 4
  a.ABC(Op::RET, 0);          // 5
  Program p = OneFunction(code);
  p.constants.push_back(bytecode::testing::Str("F"));
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 2u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeABC(Op::JMPNE, 0, 1, 0), 3u, EncodeABC(Op::NEK, 2, 0, 0), 0u,
                                           EncodeABC(Op::RET, 2, 0, 0), EncodeABC(Op::RET, 0, 0, 0)}));
}

TEST(PeepholeTest, ComponentChainsBecomeOneInstruction) {
  // obx.3.1 on a segment value: V2COMP t s 3; V2COMP d t 1 -> V2COMP2 d s 3 1, unless t is read again.
  Program p = OneFunction({
      EncodeABC(Op::V2COMP, 2, 0, 3),  // 0
      EncodeABC(Op::V2COMP, 1, 2, 1),  // 1
      EncodeABC(Op::V2COMP, 3, 0, 5),  // 2
      EncodeABC(Op::V2COMP, 2, 3, 2),  // 3: t = R3 is read again below
      EncodeABC(Op::CONCAT, 1, 1, 3),  // 4: R1, R2, R3
      EncodeABC(Op::RET, 1, 0, 0),     // 5
  });
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 1u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeABC(Op::V2COMP2, 1, 0, 3), 1u, EncodeABC(Op::V2COMP, 3, 0, 5),
                                           EncodeABC(Op::V2COMP, 2, 3, 2), EncodeABC(Op::CONCAT, 1, 1, 3),
                                           EncodeABC(Op::RET, 1, 0, 0)}));
}

TEST(PeepholeTest, ConstantMembersBecomeOneInstruction) {
  // `key: "const"`: LOADK t k; SETK o t key -> SETKK o k key, unless t is read again or is the object.
  Program p = OneFunction({
      EncodeABC(Op::NEWOBJ, 0, 0, 0),  // 0
      EncodeAD(Op::LOADK, 1, 1),       // 1
      EncodeABC(Op::SETK, 0, 1, 0),    // 2: R0."K" := "V"
      0u,
      EncodeAD(Op::LOADK, 2, 1),       // 4
      EncodeABC(Op::SETK, 0, 2, 0),    // 5: t = R2 is read again below
      0u,
      EncodeAD(Op::LOADK, 0, 1),       // 7
      EncodeABC(Op::SETK, 0, 0, 0),    // 8: t is the object (a hand-made program)
      0u,
      EncodeABC(Op::CONCAT, 1, 2, 1),  // 10
      EncodeABC(Op::RET, 1, 0, 0),     // 11
  });
  p.constants.push_back(bytecode::testing::Str("K"));
  p.constants.push_back(bytecode::testing::Str("V"));
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 1u);
  EXPECT_EQ(p.code, (std::vector<uint32_t>{EncodeABC(Op::NEWOBJ, 0, 0, 0), EncodeAD(Op::SETKK, 0, 1), 0u,
                                           EncodeAD(Op::LOADK, 2, 1), EncodeABC(Op::SETK, 0, 2, 0), 0u,
                                           EncodeAD(Op::LOADK, 0, 1), EncodeABC(Op::SETK, 0, 0, 0), 0u,
                                           EncodeABC(Op::CONCAT, 1, 2, 1), EncodeABC(Op::RET, 1, 0, 0)}));
}

TEST(PeepholeTest, LiveAcrossALoopIsRespected) {
  // The TRUTHY's result is read on the next turn of the loop (ITERNEXT ... JMP back): not fused.
  std::vector<uint32_t> code;
  Asm a(code);
  a.ABC(Op::LOADB, 2, 0);             // 0
  a.ABC(Op::ITERPREP, 0, 1);          // 1
  a.ABCX(Op::ITERNEXT, 0, 3, 0, 5);   // 2: exit -> 9
  a.ABC(Op::APPEND, 1, 2);            // 4: reads r2 set on the turn before
  a.ABC(Op::TRUTHY, 2, 3);            // 5
  a.AD(Op::JMPIFNOT, 2, -5);          // 6: -> 2
  a.E(Op::JMP, -6);                   // 7: -> 2
  a.ABC(Op::NOP, 0);                  // 8 (unreachable)
  a.ABC(Op::RET, 1);                  // 9
  Program p = OneFunction(code);
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.fused, 0u);
  EXPECT_NE(std::find(p.code.begin(), p.code.end(), EncodeABC(Op::TRUTHY, 2, 3, 0)), p.code.end());
}

TEST(PeepholeTest, EveryOpcodePassesThrough) {
  // The hand-built program that uses every opcode: what the pass keeps still verifies, and it removes
  // exactly what it counts.
  Program p = bytecode::testing::EveryOpcodeProgram();
  Program before = p;
  PeepholeStats s = RunPass(&p);
  EXPECT_EQ(s.words_before, before.code.size());
  EXPECT_LE(s.words_after, s.words_before);
  EXPECT_EQ(p.maps, before.maps);
  EXPECT_EQ(p.functions.size(), before.functions.size());
  EXPECT_EQ(p.code.back(), before.code.back());
}

}  // namespace
}  // namespace crosswalk::compiler
