// The AST of a Crosswalk module. Nodes live in an AstArena (stable addresses) owned by the compilation;
// the parse adapter builds them, sema resolves and checks them and annotates them (Ref, slot, type), lower
// reads the annotations and emits.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "crosswalk/compiler/diagnostic.h"

namespace crosswalk::compiler {

struct Block;
struct Expr;

enum class ExprKind : uint8_t {
  kInt,        // ival
  kDecimal,    // ival = mantissa, scale
  kString,     // text (escapes resolved)
  kTemplate,   // kids: parts (kString pieces and expressions), concatenated; text: the template as written,
               // text pieces unescaped and `${expr}` for each expression (shown instead of the values)
  kBool,       // ival 0/1
  kNull,
  kName,       // text
  kMember,     // kids[0].text
  kField,      // HL7 v2 field: text = segment id, field; kids[0] = scope or none (implicit input)
  kComponent,  // kids[0].ival (1-based)
  kIndex,      // kids[0][kids[1]]
  kCall,       // ns.text(kids...)
  kNeg,        // -kids[0]
  kNot,        // not kids[0]
  kBinary,     // kids[0] op kids[1]
  kAnd,
  kOr,
  kCoalesce,   // kids[0] ?? kids[1]
  kCond,       // if kids[0] then kids[1] else kids[2]
  kFor,        // for text[, ns] in kids[0] [where kids[2]] => kids[1]  (ns: the index variable, or empty)
  kMatch,      // match kids[0] { arms }
  kArray,      // [kids...]
  kObject,     // { block }
};

enum class BinOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod, kEq, kNe, kLt, kLe, kGt, kGe };

struct MatchArm {
  std::vector<Expr*> patterns;  // literal expressions; empty = `_`
  Expr* value = nullptr;
  SourceLocation loc;
};

// What sema learns of an expression's value at compile time.
enum class StaticType : uint8_t {
  kUnknown, kString, kNumber, kBool, kNull, kObject, kArray,
  kV2Scope,    // the HL7 v2 message or a group instance
  kV2Segment,  // a segment reference
  kV2Node,     // a field / repetition / component reference
  kV2Groups,   // an array of group instances
  kV2Segments, // an array of segments
};

// What sema resolved a name, member, path or call to (lower emits from it; see sema/sema.h).
enum class Ref : uint8_t {
  kNone,       // not a name, member or call, or not resolved (an error was reported)
  kLocal,      // a parameter, `let` or loop variable: slot = its binding in the function
  kConst,      // a module constant: constant = its literal
  kInput,      // the map's input (`input`, `msg`, the source type's name)
  kSegment,    // the first segment of id `text` in the scope (V2SEG)
  kSegments,   // every segment of id `text` in the scope: a segment name read as a collection (V2SEGS)
  kGroups,     // the instances of group `text` in the scope (V2GROUPS)
  kObjectKey,  // a member of an object (GETK)
  kFunction,   // a call of a user function: slot = its function index
  kBuiltin,    // a call of a built-in: slot = its bytecode::BuiltinId
  kIntrinsic,  // a call that compiles to its own instruction: slot = its bytecode::IntrinsicId
};

struct Expr {
  ExprKind kind = ExprKind::kNull;
  SourceLocation loc;
  std::string text;   // names, string values, segment ids, function names
  std::string ns;     // call namespace (module alias), or empty
  int64_t ival = 0;   // ints, decimal mantissa, bools, components, HL7 field number
  uint16_t scale = 0; // decimal scale
  BinOp op = BinOp::kAdd;
  std::vector<Expr*> kids;
  std::vector<MatchArm> arms;
  Block* block = nullptr;  // kObject
  // Made up by the parser's error recovery: no type errors are reported about it.
  bool recovered = false;
  // Set by sema.
  StaticType type = StaticType::kUnknown;
  Ref ref = Ref::kNone;
  uint32_t slot = 0;        // see Ref; kFor: the loop variable's binding
  uint32_t index_slot = 0;  // kFor with a position variable: its binding
  const Expr* constant = nullptr;  // Ref::kConst: the constant's literal
  // Ref::kIntrinsic: the terminology resource bound when the program loads ("url" or "url|version"), and
  // the instruction's immediate operand (translate: unmapped policy and flags).
  std::string bound;
  uint32_t imm = 0;
};

enum class StmtKind : uint8_t { kField, kLet, kIf, kFor, kWarn, kFail, kReturn, kSpread };

struct Stmt {
  StmtKind kind = StmtKind::kField;
  SourceLocation loc;
  std::string name;        // field key, let/for variable
  std::string index_name;  // for: the position variable (`for x, i in xs`), or empty
  bool append = false;     // `key[]:`
  Expr* value = nullptr;   // field value, let value, for iterable, warn/fail message, return value
  Expr* cond = nullptr;    // trailing `if`, if condition, for `where` filter
  Block* then_block = nullptr;  // if / for body
  Block* else_block = nullptr;  // else (an `else if` is a block holding one kIf)
  std::string source;      // warn/fail: the message expression as written (shown instead of its value)
  // Set by sema: the binding of a `let` or loop variable, and of a loop's position variable.
  uint32_t slot = 0;
  uint32_t index_slot = 0;
};

struct Block {
  SourceLocation loc;
  std::vector<Stmt*> stmts;
};

enum class DataKind : uint8_t { kJson = 0, kFhir = 1, kHl7v2 = 2 };

struct MapDecl {
  SourceLocation loc;
  std::string name;
  DataKind source = DataKind::kJson;
  std::string source_type;  // "ADT^A01", "Patient", or empty
  DataKind target = DataKind::kJson;
  std::string target_type;
  Block* body = nullptr;
};

struct DefDecl {
  SourceLocation loc;
  std::string name;
  std::vector<std::string> params;
  std::vector<SourceLocation> param_locs;
  Block* body = nullptr;  // either body
  Expr* expr = nullptr;   // or expression
};

// `const NAME = literal-expression` at module level.
struct ConstDecl {
  SourceLocation loc;
  std::string name;
  Expr* value = nullptr;  // folded to a literal by sema
};

// `segment ZPI { 1: set_id, 2: vip_flag }` at module level: a Z-segment's fields.
struct SegmentDecl {
  struct Field {
    SourceLocation loc;
    int64_t number = 0;
    std::string name;
  };
  SourceLocation loc;       // of the segment id
  std::string word;         // the leading word, which must be `segment` (checked by sema)
  SourceLocation word_loc;
  std::string name;         // "ZPI"
  std::vector<Field> fields;
};

struct ImportDecl {
  SourceLocation loc;
  std::string path;   // "hl7v2.datatypes"
  std::string alias;  // `as x`, or empty
};

struct Module {
  uint32_t file = 0;
  std::vector<ImportDecl> imports;
  std::vector<MapDecl*> maps;
  std::vector<DefDecl*> defs;
  std::vector<ConstDecl> consts;
  std::vector<SegmentDecl> segments;
};

// One source file of a program: its module and its resolved imports (the driver fills it).
struct ModuleUnit {
  Module module;
  std::string path;                  // file path, for messages
  std::vector<int> imports;          // indices of imported units (resolved by the driver)
  std::vector<std::string> aliases;  // per import: alias (or last path part) for qualified calls
  bool root = false;                 // maps of root units become entry points
};

// Owns every node; addresses are stable.
class AstArena {
 public:
  Expr* NewExpr(ExprKind kind, SourceLocation loc) {
    Expr& e = exprs_.emplace_back();
    e.kind = kind;
    e.loc = loc;
    return &e;
  }
  Stmt* NewStmt(StmtKind kind, SourceLocation loc) {
    Stmt& s = stmts_.emplace_back();
    s.kind = kind;
    s.loc = loc;
    return &s;
  }
  Block* NewBlock(SourceLocation loc) {
    Block& b = blocks_.emplace_back();
    b.loc = loc;
    return &b;
  }
  MapDecl* NewMap() { return &maps_.emplace_back(); }
  DefDecl* NewDef() { return &defs_.emplace_back(); }

 private:
  std::deque<Expr> exprs_;
  std::deque<Stmt> stmts_;
  std::deque<Block> blocks_;
  std::deque<MapDecl> maps_;
  std::deque<DefDecl> defs_;
};

}  // namespace crosswalk::compiler
