// Hand-built programs and .cwb byte surgery shared by the bytecode tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytecode/file.h"
#include "bytecode/format.h"
#include "bytecode/program.h"

namespace crosswalk::bytecode::testing {

// A tiny assembler: appends instruction words and returns the pc of each.
class Asm {
 public:
  explicit Asm(std::vector<uint32_t>& code) : code_(code) {}
  uint32_t pc() const { return static_cast<uint32_t>(code_.size()); }
  uint32_t ABC(Op op, uint32_t a, uint32_t b = 0, uint32_t c = 0) { return Put(EncodeABC(op, a, b, c)); }
  uint32_t ABCX(Op op, uint32_t a, uint32_t b, uint32_t c, uint32_t aux) {
    uint32_t at = Put(EncodeABC(op, a, b, c));
    Put(aux);
    return at;
  }
  uint32_t AD(Op op, uint32_t a, int32_t d) { return Put(EncodeAD(op, a, d)); }
  uint32_t E(Op op, int32_t e) { return Put(EncodeE(op, e)); }
  uint32_t Put(uint32_t w) {
    code_.push_back(w);
    return static_cast<uint32_t>(code_.size() - 1);
  }

 private:
  std::vector<uint32_t>& code_;
};

inline Constant Str(std::string s) {
  Constant k;
  k.tag = Constant::Tag::kString;
  k.s = std::move(s);
  return k;
}

// A valid program that uses every opcode at least once (F0 'main'), plus a two-parameter helper (F1).
inline Program EveryOpcodeProgram() {
  Program p;
  p.files = {"maps/adt_a01.cw"};
  p.constants.push_back(Str("resourceType"));                          // K0
  p.constants.push_back(Str("Patient"));                               // K1
  p.constants.push_back({Constant::Tag::kInt, 42, 0, ""});             // K2
  p.constants.push_back({Constant::Tag::kDecimal, 150, 2, ""});        // K3  1.50
  p.constants.push_back({Constant::Tag::kBool, 1, 0, ""});             // K4
  p.constants.push_back({Constant::Tag::kNull, 0, 0, ""});             // K5
  p.constants.push_back(Str("PID"));                                   // K6
  p.constants.push_back(Str("M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80"));  // K7 UTF-8
  p.constants.push_back({Constant::Tag::kInt, INT64_MIN, 0, ""});      // K8
  p.constants.push_back({Constant::Tag::kDecimal, -5, 3, ""});         // K9  -0.005
  p.term_refs.push_back({TermRef::Type::kConceptMap, "http://example.org/cm/sex", ""});
  p.term_refs.push_back({TermRef::Type::kCodeSystem, "http://loinc.org", "2.77"});
  p.term_refs.push_back({TermRef::Type::kValueSet, "http://example.org/vs/x", ""});

  Asm a(p.code);
  a.ABC(Op::NOP, 0);
  a.AD(Op::LOADK, 0, 1);
  a.ABC(Op::LOADNIL, 1);
  a.ABC(Op::LOADB, 2, 1);
  a.AD(Op::LOADI, 3, -7);
  a.ABC(Op::MOVE, 4, 0);
  a.ABC(Op::INPUT, 5);
  a.ABC(Op::NEWOBJ, 6);
  a.ABC(Op::NEWARR, 7);
  uint32_t setk = a.ABCX(Op::SETK, 6, 0, 0, 0);
  a.ABC(Op::APPEND, 7, 0);
  a.ABC(Op::APPENDP, 7, 0);
  a.ABCX(Op::GETK, 1, 5, 0, 0);
  a.ABC(Op::GETI, 1, 7, 3);
  a.ABC(Op::LEN, 1, 7);
  for (Op op : {Op::ADD, Op::SUB, Op::MUL, Op::DIV, Op::MOD}) a.ABC(op, 1, 3, 3);
  a.ABC(Op::NEG, 1, 3);
  a.ABC(Op::CONCAT, 1, 2, 3);
  for (Op op : {Op::EQ, Op::NE, Op::LT, Op::LE}) a.ABC(op, 1, 3, 3);
  a.ABC(Op::NOT, 1, 2);
  a.ABC(Op::TRUTHY, 1, 2);
  a.AD(Op::JMPIF, 2, 0);
  a.AD(Op::JMPIFNOT, 2, 0);
  a.AD(Op::JMPPRESENT, 2, 0);
  a.ABC(Op::ITERPREP, 8, 7);
  a.ABC(Op::ITERINDEX, 1, 8);
  a.ABC(Op::MERGE, 6, 6);
  uint32_t iter = a.ABCX(Op::ITERNEXT, 8, 1, 0, 1);  // exhausted: skip the back jump
  a.E(Op::JMP, static_cast<int32_t>(iter) - static_cast<int32_t>(a.pc() + 1));
  uint32_t call = a.ABCX(Op::CALL, 1, 2, 2, 1);
  a.ABCX(Op::CALLB, 1, 0, 1, 0);  // trim
  a.ABC(Op::WARN, 0);
  a.ABCX(Op::WARNR, 0, 0, 0, 1);  // shown without values: K1
  a.ABCX(Op::V2SEG, 1, 5, 0, 6);
  a.ABCX(Op::V2SEGS, 1, 5, 0, 6);
  a.ABCX(Op::V2GROUPS, 1, 5, 0, 6);
  a.ABCX(Op::V2DIRECT, 1, 5, 0, 6);
  a.ABCX(Op::V2FIELD, 1, 1, 0, PackV2Path({3, 1, 1, 0}));
  a.ABC(Op::V2COMP, 1, 1, 2);
  a.ABCX(Op::TRANSLATE, 1, 0, static_cast<uint32_t>(UnmappedPolicy::kWarn) | kTranslateWantCoding, 0);
  a.ABCX(Op::LOOKUP, 1, 0, 0, 1);
  a.ABCX(Op::MEMBER, 1, 0, 0, 2);
  a.ABCX(Op::TRANSLATEX, 1, 0, static_cast<uint32_t>(UnmappedPolicy::kKeep), 0);
  a.ABCX(Op::SUBSUMES, 1, 0, 0, 1);
  a.ABCX(Op::LOOKUPP, 1, 0, 0, 1);
  a.ABCX(Op::EQK, 1, 0, 0, 1);
  a.ABCX(Op::NEK, 1, 0, 0, 2);
  a.ABCX(Op::JMPEQ, 0, 1, 0, 0);
  a.ABCX(Op::JMPNE, 0, 1, 0, 0);
  a.Put(EncodeAD(Op::JMPEQK, 0, 0));
  a.Put(1);
  a.Put(EncodeAD(Op::JMPNEK, 0, 0));
  a.Put(2);
  a.ABCX(Op::V2COMP2, 1, 1, 3, 1);
  a.Put(EncodeAD(Op::SETKK, 6, 1));
  a.Put(0);
  a.AD(Op::JMPIFNOT, 2, 2);
  a.ABCX(Op::FAILR, 0, 0, 0, 1);
  a.AD(Op::JMPIFNOT, 2, 1);
  a.ABC(Op::FAIL, 0);
  uint32_t ret = a.ABC(Op::RET, 6);
  p.functions.push_back({"main", 0, 10, 0, a.pc()});
  uint32_t helper = a.ABC(Op::RET, 0);
  p.functions.push_back({"helper", 2, 3, helper, a.pc()});

  p.maps.push_back({"adt_a01_patient", Kind::kHl7v2, Kind::kFhir, "ADT^A01", 0});
  p.lines = {{0, 0, 1, 1}, {setk, 0, 2, 5}, {call, 0, 4, 3}, {ret, 0, 9, 1}, {helper, 0, 12, 3}};
  return p;
}

// The smallest valid program: one function that returns R0.
inline Program MinimalProgram() {
  Program p;
  p.code.push_back(EncodeABC(Op::RET, 0, 0, 0));
  p.functions.push_back({"f", 0, 1, 0, 1});
  return p;
}

// ---- byte surgery on .cwb files ----

inline uint32_t GetU32(std::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8 | static_cast<uint8_t>(b[at + 2]) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}
inline void PutU32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
// Makes the header's file size and checksum match the (edited) bytes again.
inline void Reseal(std::string& b) {
  if (b.size() < kHeaderSize) return;
  PutU32(b, kFileSizeOffset, static_cast<uint32_t>(b.size()));
  PutU32(b, kChecksumOffset, Crc32c(std::string_view(b).substr(kHeaderSize)));
}

struct RawSection {
  uint32_t id;
  std::string body;
};
// Splits a well-formed file into its sections.
inline std::vector<RawSection> Sections(std::string_view b) {
  std::vector<RawSection> out;
  uint32_t n = GetU32(b, kSectionCountOffset);
  for (uint32_t i = 0; i < n; ++i) {
    size_t e = kHeaderSize + i * kSectionEntrySize;
    out.push_back({GetU32(b, e), std::string(b.substr(GetU32(b, e + 4), GetU32(b, e + 8)))});
  }
  return out;
}
// Builds a sealed file from sections, in the given order.
inline std::string BuildFile(const std::vector<RawSection>& sections, uint16_t version = kFormatVersion) {
  std::string b(kMagic, sizeof(kMagic));
  b += static_cast<char>(version & 0xFF);
  b += static_cast<char>(version >> 8);
  b.append(14, '\0');
  PutU32(b, kSectionCountOffset, static_cast<uint32_t>(sections.size()));
  uint32_t offset = static_cast<uint32_t>(kHeaderSize + sections.size() * kSectionEntrySize);
  for (const RawSection& s : sections) {
    std::string e(12, '\0');
    PutU32(e, 0, s.id);
    PutU32(e, 4, offset);
    PutU32(e, 8, static_cast<uint32_t>(s.body.size()));
    b += e;
    offset += static_cast<uint32_t>(s.body.size());
  }
  for (const RawSection& s : sections) b += s.body;
  Reseal(b);
  return b;
}
inline std::string& Body(std::vector<RawSection>& sections, SectionId id) {
  for (RawSection& s : sections) {
    if (s.id == static_cast<uint32_t>(id)) return s.body;
  }
  sections.push_back({static_cast<uint32_t>(id), ""});
  return sections.back().body;
}
inline std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
  return s;
}

}  // namespace crosswalk::bytecode::testing
