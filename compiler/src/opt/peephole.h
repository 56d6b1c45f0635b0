// Peephole pass over emitted bytecode (after lowering, before verification): rewrites each function's
// instruction stream with the same meaning and fewer dispatched instructions. Rules, each applied until
// nothing changes:
//
//   thread jumps       a jump (JMP, JMPIF, JMPIFNOT, JMPPRESENT, ITERNEXT's exit) to a JMP goes straight
//                      to that JMP's final target
//   jump to RET        JMP to `RET r` becomes `RET r`
//   inverted branch    JMPIF r L1; JMP L2; L1:   ->  JMPIFNOT r L2; L1:   (and JMPIFNOT -> JMPIF), when
//                      nothing else jumps to the JMP
//   jump to next       a JMP, JMPIF, JMPIFNOT or JMPPRESENT to the instruction after it is removed (the
//                      conditional ones only test a register: no effect, cannot fail)
//   self move          MOVE r r is removed
//   unreachable code   instructions no path from the function's entry reaches are removed
//   same test          a JMPIF/JMPIFNOT to a JMPIF/JMPIFNOT of the same register goes where that one goes
//   fused pairs        two adjacent instructions become one when the register the first writes is read
//                      by the second only (register liveness over the function): TRUTHY/NOT + a branch on
//                      it -> the branch on the operand; EQ/NE + JMPIF/JMPIFNOT -> JMPEQ/JMPNE; LOADK + EQ/NE
//                      -> EQK/NEK; EQK/NEK + a branch -> JMPEQK/JMPNEK; V2COMP + V2COMP -> V2COMP2; LOADK + SETK
//                      -> SETKK
//
// Then the function is compacted: jump offsets, every function's code range and the debug line table
// are rewritten for the new positions (a row whose instruction was removed moves to the next kept
// instruction, and of several rows that land on one instruction the last is kept). A jump is threaded
// only when its new offset fits its operand, so no rewrite can fail. The fused instructions are format 6
// opcodes; the output is ordinary bytecode the same verifier checks.
#pragma once

#include <cstdint>

#include "bytecode/program.h"

namespace crosswalk::compiler {

struct PeepholeStats {
  uint32_t threaded_jumps = 0;
  uint32_t jumps_to_ret = 0;
  uint32_t inverted_branches = 0;
  uint32_t removed_jumps = 0;   // jumps to the next instruction
  uint32_t removed_moves = 0;   // MOVE r r
  uint32_t removed_unreachable = 0;  // instructions
  uint32_t fused = 0;                // pairs fused into one instruction
  uint32_t words_before = 0;
  uint32_t words_after = 0;
};

// Rewrites every function of *program as described above. *program must be lowering's output (every
// function's code is a well-formed instruction stream whose jumps land on instruction starts inside it);
// the verifier checks the result as before.
PeepholeStats Peephole(bytecode::Program* program);

}  // namespace crosswalk::compiler
