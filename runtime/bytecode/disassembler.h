// Human-readable listing of a Program (`crosswalk disasm`, golden tests). The format is stable: golden
// tests pin it, so change it only together with them.
#pragma once

#include <string>

#include "bytecode/program.h"

namespace crosswalk::bytecode {

// Listing of `program`: files, constants, term refs, maps, then each function with a header line and
// one line per instruction:
//
//   function 1 'patient' params 0 registers 6 code [4, 19)
//     4  NEWOBJ     R0                     ; main.cw:3
//     5  LOADK      R1 K0                  ; "Patient"
//     6  SETK       R0 R1 K1               ; "resourceType"
//
// The column after the pc is absolute (a word index into Program::code). A "; file:line" comment
// appears where the debug line table starts a new row. Works on unverified programs too (operands
// out of range are printed as they are, marked "?"), so it can show why a file was rejected.
// Constants and names are printed escaped; it is the caller's job to keep PHI out of maps.
// Thread-safety: pure function.
std::string Disassemble(const Program& program);

}  // namespace crosswalk::bytecode
