// Crosswalk bytecode: instruction encoding, operand kinds, the opcode table, and the .cwb file layout.
// Shared by the compiler (writer) and the runtime (loader, verifier, VM). Not installed for integrators.
// The file format is specified in runtime/bytecode/README.md.
#pragma once

#include <cstdint>
#include <string_view>

namespace crosswalk::bytecode {

// ---- instructions ----
enum class Format : uint8_t { ABC, AD, E };

enum class Operand : uint8_t {
  kNone, kReg, kReg2, kRegN, kCount, kImm, kConst, kStr, kFunc, kBuiltin, kJump, kV2Path, kTerm,
};

enum OpFlags : uint8_t { kTerminator = 1, kMayFail = 2 };

// What an instruction does to registers: the REGS column of opcodes.def (meanings there).
enum RegRoles : uint16_t {
  kDefA = 1 << 0,
  kDefA2 = 1 << 1,
  kResultA = 1 << 2,
  kUseA = 1 << 3,
  kUseA2 = 1 << 4,
  kUseB = 1 << 5,
  kUseB2 = 1 << 6,
  kUseBN = 1 << 7,
  kUseC = 1 << 8,
  kSomeB = 1 << 9,
  kPlace = 1 << 10,
};

enum class Op : uint8_t {
#define CW_OP(name, fmt, a, b, c, aux, flags, regs) name,
#include "bytecode/opcodes.def"
#undef CW_OP
  kCount_
};

inline constexpr int kOpCount = static_cast<int>(Op::kCount_);

struct OpInfo {
  std::string_view name;
  Format format;
  Operand a, b, c, aux;  // for AD, b is the D operand; for E, a is the E operand
  uint8_t flags;
  uint16_t regs;  // RegRoles
};

inline constexpr OpInfo kOpInfo[] = {
#define CW_OP(name, fmt, a, b, c, aux, flags, regs)                                                          \
  {#name, Format::fmt, Operand::a, Operand::b, Operand::c, Operand::aux, static_cast<uint8_t>(flags), \
   static_cast<uint16_t>(regs)},
#include "bytecode/opcodes.def"
#undef CW_OP
};
static_assert(sizeof(kOpInfo) / sizeof(kOpInfo[0]) == kOpCount);

inline constexpr const OpInfo& Info(Op op) { return kOpInfo[static_cast<int>(op)]; }

// The REGS column names exactly the register operands of each opcode, in roles their kinds allow.
inline constexpr bool RegRolesMatchOperands(const OpInfo& op) {
  const uint16_t r = op.regs;
  const bool a_reg = op.format != Format::E && (op.a == Operand::kReg || op.a == Operand::kReg2);
  const bool a_pair = (r & (kDefA2 | kUseA2)) != 0;
  const bool a_role = (r & (kDefA | kDefA2 | kResultA | kUseA | kUseA2)) != 0;
  const bool b_reg = op.format == Format::ABC;  // an AD instruction's b is its D operand: never a register
  const bool b_ok = !b_reg ? (r & (kUseB | kUseB2 | kUseBN | kSomeB | kPlace)) == 0
                    : op.b == Operand::kReg    ? (r & (kUseB | kSomeB)) != 0 && (r & (kUseB2 | kUseBN)) == 0
                    : op.b == Operand::kReg2   ? (r & (kUseB | kUseB2 | kUseBN | kSomeB)) == kUseB2
                    : op.b == Operand::kRegN   ? (r & (kUseB | kUseB2 | kUseBN | kSomeB)) == kUseBN
                                               : (r & (kUseB | kUseB2 | kUseBN | kSomeB)) == 0;
  const bool c_ok = ((r & kUseC) != 0) == (op.format == Format::ABC && op.c == Operand::kReg);
  const bool place_ok = (r & kPlace) == 0 || ((r & kDefA) != 0 && (r & kUseB) != 0);
  return a_role == a_reg && a_pair == (a_reg && op.a == Operand::kReg2) && b_ok && c_ok && place_ok;
}
inline constexpr bool AllRegRolesMatchOperands() {
  for (const OpInfo& op : kOpInfo) {
    if (!RegRolesMatchOperands(op)) return false;
  }
  return true;
}
static_assert(AllRegRolesMatchOperands(), "opcodes.def: an opcode's REGS do not match its register operands");
inline constexpr bool HasAux(Op op) { return Info(op).aux != Operand::kNone; }
inline constexpr int Length(Op op) { return HasAux(op) ? 2 : 1; }  // words

// Encoding / decoding.
inline constexpr uint32_t EncodeABC(Op op, uint32_t a, uint32_t b, uint32_t c) {
  return static_cast<uint32_t>(op) | (a & 0xFF) << 8 | (b & 0xFF) << 16 | (c & 0xFF) << 24;
}
inline constexpr uint32_t EncodeAD(Op op, uint32_t a, int32_t d) {
  return static_cast<uint32_t>(op) | (a & 0xFF) << 8 | (static_cast<uint32_t>(d) & 0xFFFF) << 16;
}
inline constexpr uint32_t EncodeE(Op op, int32_t e) {
  return static_cast<uint32_t>(op) | (static_cast<uint32_t>(e) & 0xFFFFFF) << 8;
}
inline constexpr Op GetOp(uint32_t w) { return static_cast<Op>(w & 0xFF); }
inline constexpr uint32_t GetA(uint32_t w) { return (w >> 8) & 0xFF; }
inline constexpr uint32_t GetB(uint32_t w) { return (w >> 16) & 0xFF; }
inline constexpr uint32_t GetC(uint32_t w) { return w >> 24; }
inline constexpr uint32_t GetD(uint32_t w) { return w >> 16; }
inline constexpr int32_t GetSD(uint32_t w) { return static_cast<int16_t>(w >> 16); }
inline constexpr int32_t GetSE(uint32_t w) { return static_cast<int32_t>(w) >> 8; }

inline constexpr int32_t kMaxJumpD = INT16_MAX;
inline constexpr int32_t kMinJumpD = INT16_MIN;
inline constexpr int32_t kMaxJumpE = (1 << 23) - 1;
inline constexpr int32_t kMinJumpE = -(1 << 23);

// Packed HL7 v2 path (kV2Path AUX word).
struct V2Path {
  uint32_t field;  // 1..4095
  uint32_t rep;    // 0..255, 0 = not chosen
  uint32_t comp;   // 0..63, 0 = whole
  uint32_t sub;    // 0..63, 0 = whole
};
inline constexpr uint32_t kMaxV2Field = 4095, kMaxV2Rep = 255, kMaxV2Comp = 63, kMaxV2Sub = 63;
inline constexpr uint32_t PackV2Path(V2Path p) {
  return (p.field & 0xFFF) | (p.rep & 0xFF) << 12 | (p.comp & 0x3F) << 20 | (p.sub & 0x3F) << 26;
}
inline constexpr V2Path UnpackV2Path(uint32_t w) {
  return {w & 0xFFF, (w >> 12) & 0xFF, (w >> 20) & 0x3F, (w >> 26) & 0x3F};
}

// TRANSLATE's C operand.
enum class UnmappedPolicy : uint8_t { kAbsent = 0, kKeep = 1, kWarn = 2, kError = 3 };
inline constexpr uint32_t kTranslateWantCoding = 4;

// The ConceptMap equivalence codes a `translate` options object may name (R4 ConceptMapEquivalence, the
// pseudo-code "unmapped" for answers of a group's unmapped rule, and R5 relationship codes); the runtime
// gives each its bit (term::EquivalenceBit).
inline constexpr std::string_view kEquivalenceCodes[] = {
    "equal",   "equivalent", "wider",     "subsumes",  "narrower", "specializes", "inexact", "relatedto",
    "unmapped", "unmapped-provided", "unmapped-fixed", "related-to", "source-is-narrower-than-target",
    "source-is-broader-than-target"};
inline constexpr bool IsEquivalenceCode(std::string_view code) {
  for (std::string_view c : kEquivalenceCodes) {
    if (c == code) return true;
  }
  return false;
}

// ---- limits of the encoding (checked by the compiler, re-checked by the verifier) ----
inline constexpr uint32_t kMaxRegisters = 255;  // per function; 255 is "no register"
inline constexpr uint32_t kMaxParams = 64;
inline constexpr uint32_t kMaxConstants = 1u << 20;
inline constexpr uint32_t kMaxFunctions = 1u << 16;
inline constexpr uint32_t kMaxCodeWords = 1u << 24;
inline constexpr uint32_t kMaxStringBytes = 1u << 24;
inline constexpr uint32_t kMaxTermRefs = 1u << 16;
inline constexpr uint32_t kMaxMaps = 1u << 12;
inline constexpr uint32_t kMaxLineEntries = 1u << 24;
inline constexpr uint32_t kMaxFiles = 1u << 12;

// ---- file ----
inline constexpr char kMagic[4] = {'C', 'W', 'B', 'C'};
inline constexpr uint16_t kFormatVersion = 6;
inline constexpr uint16_t kMinFormatVersion = 1;
inline constexpr uint16_t kMaxFormatVersion = 6;

// Opcodes a file of each format version may use: format 1 ends before FAILR, format 2 before TRANSLATEX,
// formats 3 and 4 before APPENDP, format 5 before EQK (README.md, version history).
inline constexpr int kOpCountFormat1 = static_cast<int>(Op::FAILR);
inline constexpr int kOpCountFormat2 = static_cast<int>(Op::TRANSLATEX);
inline constexpr int kOpCountFormat4 = static_cast<int>(Op::APPENDP);
inline constexpr int kOpCountFormat5 = static_cast<int>(Op::EQK);
inline constexpr int OpCountOfFormat(uint16_t version) {
  return version >= 6   ? kOpCount
         : version == 5 ? kOpCountFormat5
         : version >= 3 ? kOpCountFormat4
         : version == 2 ? kOpCountFormat2
                        : kOpCountFormat1;
}
static_assert(kOpCountFormat1 == 49, "format 1 has exactly the opcodes NOP..V2DIRECT");
static_assert(kOpCountFormat2 == 51, "format 2 has exactly the opcodes NOP..WARNR");
static_assert(kOpCountFormat4 == 54, "formats 3 and 4 have exactly the opcodes NOP..LOOKUPP");
static_assert(kOpCountFormat5 == 55, "format 5 has exactly the opcodes NOP..APPENDP");

}  // namespace crosswalk::bytecode
