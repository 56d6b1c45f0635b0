// What each instruction does to registers, and the registers a function may read before it writes them.
// Shared by the compiler's peephole pass (register liveness, compiler/src/opt/peephole.h) and the loader
// (which registers a CALL must clear: runtime/src/vm/vm.cc).
#pragma once

#include <bitset>
#include <cstdint>
#include <vector>

#include "bytecode/program.h"

namespace crosswalk::bytecode {

// A set of register numbers (an operand names at most 256 registers).
using RegSet = std::bitset<256>;

// The registers instruction `word` reads (*use), and the ones it always overwrites when it completes
// (*def: every way it can continue wrote the register, without reading it first unless it is in *use too),
// from the REGS column of opcodes.def. Conservative where the two differ: a register written on some paths
// only (ITERNEXT's loop variable, the result of arithmetic), or changed in place (SETK, APPEND, MERGE on
// R[A]), is never in *def, so liveness built on it keeps more registers live, never fewer. An opcode
// outside the table reads every register.
void RegisterEffects(uint32_t word, RegSet* use, RegSet* def);

// The target of jump instruction `word` at `pc` (its AUX word `aux`), or -1 for an instruction that does
// not jump. Read from the opcode table: a D, E or AUX operand of kind kJump.
int64_t JumpTarget(uint32_t word, uint32_t aux, uint32_t pc);

// For each function of a verified program: one more than the highest register, other than a parameter,
// that some path from the function's entry may read before any instruction writes it; 0 when there is
// none. A call must clear the callee's registers below it (stale values from an earlier call could be
// read there); the ones above it are written before every read, on every path.
std::vector<uint32_t> RegistersReadBeforeWritten(const Program& p);

}  // namespace crosswalk::bytecode
