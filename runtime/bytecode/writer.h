// Serialises a Program to the .cwb format (README.md in this folder). Used by the compiler's emitter;
// links only crosswalk_bytecode + crosswalk_common, never the VM.
#pragma once

#include <string>

#include "bytecode/program.h"

namespace crosswalk::bytecode {

// Returns the .cwb bytes of `program`: header, section table, the seven sections, CRC32C.
// Deterministic: equal Programs give identical bytes. Does not verify; a compiler should call
// VerifyProgram (verifier.h) on its output in debug builds and tests. ReadProgram(WriteProgram(p)) == p
// for every Program that passes VerifyProgram and whose counts fit the format.
// Thread-safety: pure function.
std::string WriteProgram(const Program& program);

}  // namespace crosswalk::bytecode
