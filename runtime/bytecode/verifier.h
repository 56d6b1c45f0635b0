// The bytecode verifier: every fact the VM relies on, checked once. ReadProgram calls it on every
// loaded file; the compiler may call it on its own output (debug builds, tests). The list of checks
// and what is deliberately not checked: runtime/bytecode/LOADING.md.
#pragma once

#include "bytecode/program.h"
#include "crosswalk/status.h"

namespace crosswalk::bytecode {

// Returns Ok when `program` is safe for the VM to run without further checks, otherwise kCorrupt with a
// message naming the first violation (and, for code, ErrorContext::function and ::pc).
// Thread-safety: pure function.
// `format_version` is the version of the file the program was read from: a file may not use the opcodes
// appended in a later format (OpCountOfFormat).
Status VerifyProgram(const Program& program, uint16_t format_version = kFormatVersion);

}  // namespace crosswalk::bytecode
