// The in-memory form of a compiled program, produced by the compiler (and written to .cwb by
// WriteProgram) or by the loader (ReadProgram, which verifies it). Shared by compiler and runtime;
// not installed for integrators.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bytecode/format.h"

namespace crosswalk::bytecode {

struct Constant {
  enum class Tag : uint8_t { kNull = 0, kBool = 1, kInt = 2, kDecimal = 3, kString = 4 };
  Tag tag = Tag::kNull;
  int64_t i = 0;      // bool (0/1), int, decimal mantissa
  uint16_t scale = 0; // decimal digits after the point
  std::string s;      // string (valid UTF-8)
  bool operator==(const Constant&) const = default;
};

struct Function {
  std::string name;
  uint32_t num_params = 0;
  uint32_t num_registers = 0;  // >= num_params, <= kMaxRegisters
  uint32_t code_begin = 0;     // word index into Program::code
  uint32_t code_end = 0;       // one past the last word
  bool operator==(const Function&) const = default;
};

enum class Kind : uint8_t { kJson = 0, kFhir = 1, kHl7v2 = 2 };

// An entry point: `map NAME : SOURCE "TYPE" -> TARGET`.
struct MapEntry {
  std::string name;
  Kind source = Kind::kJson;
  Kind target = Kind::kJson;
  std::string message_type;  // HL7 v2 "ADT^A01" (or "ADT^*", "ADT"), FHIR resourceType, or empty = any
  uint32_t function = 0;     // takes no parameters
  bool operator==(const MapEntry&) const = default;
};

// A terminology resource the program uses (bound against the store at load).
struct TermRef {
  enum class Type : uint8_t { kConceptMap = 0, kCodeSystem = 1, kValueSet = 2 };
  Type type = Type::kConceptMap;
  std::string url;
  std::string version;  // empty = the store's current version
  bool operator==(const TermRef&) const = default;
};

// What a term ref resolved to in the store the program was compiled against (`crosswalk compile --term`):
// the version (the current one, for a ref without a version) and that version's content hash
// (term::Store::Bind). Loading checks the store against it (docs/terminology.md, "Reproducible binding").
struct TermBinding {
  std::string version;
  uint64_t content_hash = 0;
  bool operator==(const TermBinding&) const = default;
};

// pc -> source position. Rows sorted by pc; a row covers pcs up to the next row.
struct LineEntry {
  uint32_t pc = 0;
  uint32_t file = 0;  // index into files
  uint32_t line = 0;
  uint32_t col = 0;
  bool operator==(const LineEntry&) const = default;
};

struct Program {
  std::vector<Constant> constants;
  std::vector<Function> functions;
  std::vector<uint32_t> code;
  std::vector<MapEntry> maps;
  std::vector<TermRef> term_refs;
  std::vector<std::string> files;
  std::vector<LineEntry> lines;
  // Empty (compiled without a store) or one per term ref, in the same order.
  std::vector<TermBinding> term_bindings;
  bool operator==(const Program&) const = default;
};

}  // namespace crosswalk::bytecode
