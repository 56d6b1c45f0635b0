// Golden listing of the every-opcode program. The format is pinned: compiler golden tests depend on it.
#include "bytecode/disassembler.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

constexpr std::string_view kEveryOpcodeListing = R"(; crosswalk bytecode format 6
files:
  0  "maps/adt_a01.cw"
constants:
  K0      string   "resourceType"
  K1      string   "Patient"
  K2      int      42
  K3      decimal  1.50
  K4      bool     true
  K5      null     null
  K6      string   "PID"
  K7      string   "Müller € 😀"
  K8      int      -9223372036854775808
  K9      decimal  -0.005
term refs:
  T0      conceptmap  "http://example.org/cm/sex"
  T1      codesystem  "http://loinc.org" version "2.77"
  T2      valueset    "http://example.org/vs/x"
maps:
  map "adt_a01_patient" hl7v2 "ADT^A01" -> fhir F0
function F0 "main" params 0 registers 10 code [0, 91)
        ; maps/adt_a01.cw:1:1
     0  NOP
     1  LOADK      R0 K1                        ; "Patient"
     2  LOADNIL    R1
     3  LOADB      R2 1
     4  LOADI      R3 -7
     5  MOVE       R4 R0
     6  INPUT      R5
     7  NEWOBJ     R6
     8  NEWARR     R7
        ; maps/adt_a01.cw:2:5
     9  SETK       R6 R0 K0                     ; "resourceType"
    11  APPEND     R7 R0
    12  APPENDP    R7 R0
    13  GETK       R1 R5 K0                     ; "resourceType"
    15  GETI       R1 R7 R3
    16  LEN        R1 R7
    17  ADD        R1 R3 R3
    18  SUB        R1 R3 R3
    19  MUL        R1 R3 R3
    20  DIV        R1 R3 R3
    21  MOD        R1 R3 R3
    22  NEG        R1 R3
    23  CONCAT     R1 R2 3
    24  EQ         R1 R3 R3
    25  NE         R1 R3 R3
    26  LT         R1 R3 R3
    27  LE         R1 R3 R3
    28  NOT        R1 R2
    29  TRUTHY     R1 R2
    30  JMPIF      R2 +0                        ; -> 31
    31  JMPIFNOT   R2 +0                        ; -> 32
    32  JMPPRESENT R2 +0                        ; -> 33
    33  ITERPREP   R8 R7
    34  ITERINDEX  R1 R8
    35  MERGE      R6 R6
    36  ITERNEXT   R8 R1 +1                     ; -> 39
    38  JMP        -3                           ; -> 36
        ; maps/adt_a01.cw:4:3
    39  CALL       R1 R2 2 F1                   ; "helper"
    41  CALLB      R1 R0 1 B0                   ; trim
    43  WARN       R0
    44  WARNR      R0 K1                        ; "Patient"
    46  V2SEG      R1 R5 K6                     ; "PID"
    48  V2SEGS     R1 R5 K6                     ; "PID"
    50  V2GROUPS   R1 R5 K6                     ; "PID"
    52  V2DIRECT   R1 R5 K6                     ; "PID"
    54  V2FIELD    R1 R1 #3[1].1
    56  V2COMP     R1 R1 2
    57  TRANSLATE  R1 R0 6 T0                   ; unmapped=warn coding, "http://example.org/cm/sex"
    59  LOOKUP     R1 R0 T1                     ; "http://loinc.org"
    61  MEMBER     R1 R0 R0 T2                  ; "http://example.org/vs/x"
    63  TRANSLATEX R1 R0 1 T0                   ; unmapped=keep, "http://example.org/cm/sex"
    65  SUBSUMES   R1 R0 T1                     ; "http://loinc.org"
    67  LOOKUPP    R1 R0 0 T1                   ; "http://loinc.org"
    69  EQK        R1 R0 K1                     ; "Patient"
    71  NEK        R1 R0 K2                     ; 42
    73  JMPEQ      R0 R1 +0                     ; -> 75
    75  JMPNE      R0 R1 +0                     ; -> 77
    77  JMPEQK     R0 +0 K1                     ; -> 79, "Patient"
    79  JMPNEK     R0 +0 K2                     ; -> 81, 42
    81  V2COMP2    R1 R1 3 1
    83  SETKK      R6 K1 K0                     ; "Patient", "resourceType"
    85  JMPIFNOT   R2 +2                        ; -> 88
    86  FAILR      R0 K1                        ; "Patient"
    88  JMPIFNOT   R2 +1                        ; -> 90
    89  FAIL       R0
        ; maps/adt_a01.cw:9:1
    90  RET        R6
function F1 "helper" params 2 registers 3 code [91, 92)
        ; maps/adt_a01.cw:12:3
    91  RET        R0
)";

TEST(DisassemblerTest, EveryOpcodeGolden) {
  std::string listing = Disassemble(testing::EveryOpcodeProgram());
  if (const char* dump = std::getenv("CW_DUMP_DISASM")) std::ofstream(dump) << listing;
  EXPECT_EQ(listing, kEveryOpcodeListing);
}

TEST(DisassemblerTest, UnverifiedProgramsDoNotCrash) {
  Program p = testing::EveryOpcodeProgram();
  p.functions[0].code_end = 1000;  // past the code
  p.code[5] = 0xFE;                // unknown opcode
  p.code[1] = EncodeAD(Op::LOADK, 0, 900);
  p.lines.push_back({3, 42, 1, 1});
  std::string listing = Disassemble(p);
  EXPECT_NE(listing.find("???"), std::string::npos);
  EXPECT_NE(listing.find("K?"), std::string::npos);
  EXPECT_NE(listing.find("<file 42>"), std::string::npos);
  // A function whose last word is an AUX opcode with the AUX missing.
  Program q = testing::MinimalProgram();
  q.code[0] = EncodeABC(Op::GETK, 0, 0, 0);
  EXPECT_NE(Disassemble(q).find("<AUX missing>"), std::string::npos);
}

TEST(DisassemblerTest, EscapesAndDecimals) {
  Program p = testing::MinimalProgram();
  p.constants.push_back(testing::Str("a\"b\\c\n\x01"));
  p.constants.push_back({Constant::Tag::kDecimal, -5, 3, ""});
  p.constants.push_back({Constant::Tag::kDecimal, INT64_MIN, 2, ""});
  std::string listing = Disassemble(p);
  EXPECT_NE(listing.find(R"("a\"b\\c\n\x01")"), std::string::npos) << listing;
  EXPECT_NE(listing.find("-0.005"), std::string::npos) << listing;
  EXPECT_NE(listing.find("-92233720368547758.08"), std::string::npos) << listing;
}

}  // namespace
}  // namespace crosswalk::bytecode
