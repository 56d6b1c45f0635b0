// The verifier: steps 4-7 of runtime/bytecode/LOADING.md (pools, per-function code pass, control flow,
// maps, debug line table). Works on a Program from ReadProgram or straight from the compiler.
#include "bytecode/verifier.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "bytecode/builtin_table.h"
#include "bytecode/file.h"
#include "bytecode/format.h"

namespace crosswalk::bytecode {
namespace {

Status Bad(std::string what) { return Status(StatusCode::kCorrupt, "invalid program: " + what); }

std::string Quote(std::string_view s) {
  // Names only (function, map); limit the length so a hostile name cannot flood the log.
  std::string out = "'";
  for (char ch : s.substr(0, 64)) out += (static_cast<unsigned char>(ch) < 0x20 || ch == '\'') ? '?' : ch;
  if (s.size() > 64) out += "...";
  return out + "'";
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool ValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Status CheckString(std::string_view s, const std::string& what) {
  if (s.size() > kMaxStringBytes) return Bad(what + " longer than kMaxStringBytes");
  if (!ValidUtf8(s)) return Bad(what + " is not valid UTF-8");
  return Status::Ok();
}

Status CheckCount(size_t n, uint32_t max, const char* what) {
  if (n > max) return Bad(std::string("too many ") + what + ": " + std::to_string(n) + " > " + std::to_string(max));
  return Status::Ok();
}

// ---- the per-function code pass ----

class FunctionVerifier {
 public:
  FunctionVerifier(const Program& p, uint32_t index, int op_count)
      : p_(p), index_(index), f_(p.functions[index]), op_count_(op_count) {}

  Status Run() {
    const uint32_t begin = f_.code_begin, end = f_.code_end;
    is_start_.assign(end - begin, false);
    uint32_t last = begin;
    for (uint32_t pc = begin; pc < end;) {
      pc_ = pc;
      uint32_t w = p_.code[pc];
      if ((w & 0xFF) >= static_cast<uint32_t>(kOpCount)) return Fail("unknown opcode " + std::to_string(w & 0xFF));
      if ((w & 0xFF) >= static_cast<uint32_t>(op_count_)) {
        return Fail("opcode " + std::string(Info(GetOp(w)).name) + " is not in the file's format version");
      }
      op_ = GetOp(w);
      if (pc + static_cast<uint32_t>(Length(op_)) > end) return Fail("AUX word missing at the end of the function");
      is_start_[pc - begin] = true;
      CW_RETURN_IF_ERROR(CheckInstruction(w, HasAux(op_) ? p_.code[pc + 1] : 0));
      last = pc;
      pc += static_cast<uint32_t>(Length(op_));
    }
    pc_ = last;
    op_ = GetOp(p_.code[last]);
    if (!(Info(op_).flags & kTerminator)) return Fail("last instruction is not a terminator (control falls off the end)");
    for (const auto& [pc, target] : jumps_) {
      pc_ = pc;
      op_ = GetOp(p_.code[pc]);
      if (target < begin || target >= end) return Fail("jump target " + std::to_string(target) + " outside the function");
      if (!is_start_[target - begin]) return Fail("jump target " + std::to_string(target) + " is not an instruction start");
    }
    return Status::Ok();
  }

 private:
  Status Fail(std::string what) const {
    ErrorContext ctx;
    ctx.function = f_.name;
    ctx.pc = pc_;
    return Status(StatusCode::kCorrupt, "invalid program: function " + std::to_string(index_) + " " + Quote(f_.name) +
                                            " pc " + std::to_string(pc_) + " " + std::string(Info(op_).name) + ": " + what,
                  std::move(ctx));
  }

  Status CheckInstruction(uint32_t w, uint32_t aux) {
    const OpInfo& info = Info(op_);
    const uint32_t next = pc_ + static_cast<uint32_t>(Length(op_));
    switch (info.format) {
      case Format::ABC:
        CW_RETURN_IF_ERROR(Check(info.a, GetA(w), "A", w));
        CW_RETURN_IF_ERROR(Check(info.b, GetB(w), "B", w));
        CW_RETURN_IF_ERROR(Check(info.c, GetC(w), "C", w));
        break;
      case Format::AD:
        CW_RETURN_IF_ERROR(Check(info.a, GetA(w), "A", w));
        if (info.b == Operand::kJump) {
          jumps_.emplace_back(pc_, int64_t{next} + GetSD(w));
        } else {
          CW_RETURN_IF_ERROR(Check(info.b, GetD(w), "D", w));
        }
        break;
      case Format::E:
        if (info.a == Operand::kJump) {
          jumps_.emplace_back(pc_, int64_t{next} + GetSE(w));
        } else {
          CW_RETURN_IF_ERROR(Check(info.a, w >> 8, "E", w));
        }
        break;
    }
    if (info.aux == Operand::kJump) {
      jumps_.emplace_back(pc_, int64_t{next} + static_cast<int32_t>(aux));
    } else if (info.aux != Operand::kNone) {
      CW_RETURN_IF_ERROR(Check(info.aux, aux, "AUX", w));
    }
    return Status::Ok();
  }

  Status Check(Operand kind, uint32_t v, const char* field, uint32_t w) const {
    const uint32_t nregs = f_.num_registers;
    auto at = [&](std::string what) { return Fail("operand " + std::string(field) + " " + what); };
    switch (kind) {
      case Operand::kNone:
        if (v != 0) return at("must be 0, is " + std::to_string(v));
        return Status::Ok();
      case Operand::kReg:
        if (v >= nregs) return at("register R" + std::to_string(v) + " out of range (registers " + std::to_string(nregs) + ")");
        return Status::Ok();
      case Operand::kReg2:
        if (v + 1 >= nregs) return at("register pair R" + std::to_string(v) + " out of range (registers " + std::to_string(nregs) + ")");
        return Status::Ok();
      case Operand::kRegN:
        if (v + GetC(w) > nregs) {
          return at("registers R" + std::to_string(v) + " .. +" + std::to_string(GetC(w)) + " out of range (registers " +
                    std::to_string(nregs) + ")");
        }
        return Status::Ok();
      case Operand::kCount:
        if (v > 255) return at("count " + std::to_string(v) + " > 255");
        return Status::Ok();
      case Operand::kImm:
        // TRANSLATE's C packs the unmapped policy (2 bits) and want_coding (1 bit); nothing else is defined.
        if ((op_ == Op::TRANSLATE || op_ == Op::TRANSLATEX) && v > (kTranslateWantCoding | 3)) {
          return at("translate flags " + std::to_string(v) + " unknown");
        }
        // LOOKUPP's C: 0 = property or designation R[B+1], 1 = display in language R[B+1] (format 6 on:
        // an older runtime would read the language as a property name).
        if (op_ == Op::LOOKUPP && v > 1) return at("lookup mode " + std::to_string(v) + " unknown");
        if (op_ == Op::LOOKUPP && v == 1 && op_count_ <= kOpCountFormat5) {
          return at("lookup by language is not in the file's format version");
        }
        // V2COMP2's component numbers are V2COMP's C operand: 8 bits each.
        if (op_ == Op::V2COMP2 && v > 255) return at("component " + std::to_string(v) + " > 255");
        return Status::Ok();
      case Operand::kConst:
        if (v >= p_.constants.size()) return at("constant K" + std::to_string(v) + " out of range");
        return Status::Ok();
      case Operand::kStr:
        if (v >= p_.constants.size()) return at("constant K" + std::to_string(v) + " out of range");
        if (p_.constants[v].tag != Constant::Tag::kString) return at("constant K" + std::to_string(v) + " is not a string");
        return Status::Ok();
      case Operand::kFunc:
        if (v >= p_.functions.size()) return at("function F" + std::to_string(v) + " out of range");
        if (op_ == Op::CALL && GetC(w) != p_.functions[v].num_params) {
          return at("calls F" + std::to_string(v) + " with " + std::to_string(GetC(w)) + " arguments, it takes " +
                    std::to_string(p_.functions[v].num_params));
        }
        return Status::Ok();
      case Operand::kBuiltin: {
        if (v >= kBuiltinCount) return at("builtin " + std::to_string(v) + " unknown");
        const BuiltinInfo& b = kBuiltinInfo[v];
        if (GetC(w) < b.min_args || GetC(w) > b.max_args) {
          return at("builtin " + std::string(b.name) + " called with " + std::to_string(GetC(w)) + " arguments, takes " +
                    std::to_string(b.min_args) + ".." + std::to_string(b.max_args));
        }
        return Status::Ok();
      }
      case Operand::kJump: return Status::Ok();  // collected by the caller, checked after the pass
      case Operand::kV2Path: {
        V2Path path = UnpackV2Path(v);
        if (path.field < 1 || path.field > kMaxV2Field) return at("HL7 v2 field " + std::to_string(path.field) + " out of 1..4095");
        return Status::Ok();
      }
      case Operand::kTerm: {
        if (v >= p_.term_refs.size()) return at("term ref T" + std::to_string(v) + " out of range");
        TermRef::Type want = op_ == Op::TRANSLATE || op_ == Op::TRANSLATEX ? TermRef::Type::kConceptMap
                             : op_ == Op::MEMBER                            ? TermRef::Type::kValueSet
                                                                            : TermRef::Type::kCodeSystem;
        if (p_.term_refs[v].type != want) return at("term ref T" + std::to_string(v) + " is of the wrong type");
        return Status::Ok();
      }
    }
    return at("unknown operand kind");
  }

  const Program& p_;
  uint32_t index_;
  const Function& f_;
  int op_count_;  // opcodes the file's format version has
  uint32_t pc_ = 0;
  Op op_ = Op::NOP;
  std::vector<bool> is_start_;
  std::vector<std::pair<uint32_t, int64_t>> jumps_;  // (pc, absolute target)
};

Status VerifyFunctions(const Program& p) {
  for (size_t i = 0; i < p.functions.size(); ++i) {
    const Function& f = p.functions[i];
    std::string what = "function " + std::to_string(i) + " " + Quote(f.name);
    CW_RETURN_IF_ERROR(CheckString(f.name, what + " name"));
    if (f.num_params > kMaxParams) return Bad(what + ": " + std::to_string(f.num_params) + " params > kMaxParams");
    if (f.num_registers > kMaxRegisters) return Bad(what + ": " + std::to_string(f.num_registers) + " registers > kMaxRegisters");
    if (f.num_params > f.num_registers) return Bad(what + ": more params than registers");
    if (f.code_begin >= f.code_end) return Bad(what + ": empty code range");
    if (f.code_end > p.code.size()) return Bad(what + ": code range ends past the code");
  }
  std::vector<uint32_t> order(p.functions.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return p.functions[a].code_begin < p.functions[b].code_begin; });
  for (size_t k = 1; k < order.size(); ++k) {
    if (p.functions[order[k]].code_begin < p.functions[order[k - 1]].code_end) {
      return Bad("functions " + std::to_string(order[k - 1]) + " and " + std::to_string(order[k]) + " overlap");
    }
  }
  return Status::Ok();
}

}  // namespace

Status VerifyProgram(const Program& p, uint16_t format_version) {
  // Counts (the reader has already capped them by LoadLimits; a compiler's Program has not).
  CW_RETURN_IF_ERROR(CheckCount(p.constants.size(), kMaxConstants, "constants"));
  CW_RETURN_IF_ERROR(CheckCount(p.functions.size(), kMaxFunctions, "functions"));
  CW_RETURN_IF_ERROR(CheckCount(p.code.size(), kMaxCodeWords, "code words"));
  CW_RETURN_IF_ERROR(CheckCount(p.maps.size(), kMaxMaps, "maps"));
  CW_RETURN_IF_ERROR(CheckCount(p.term_refs.size(), kMaxTermRefs, "term refs"));
  CW_RETURN_IF_ERROR(CheckCount(p.files.size(), kMaxFiles, "files"));
  CW_RETURN_IF_ERROR(CheckCount(p.lines.size(), kMaxLineEntries, "line entries"));

  // Pools.
  for (size_t i = 0; i < p.constants.size(); ++i) {
    const Constant& k = p.constants[i];
    std::string what = "constant K" + std::to_string(i);
    switch (k.tag) {
      case Constant::Tag::kNull: break;
      case Constant::Tag::kBool:
        if (k.i != 0 && k.i != 1) return Bad(what + ": bool is not 0 or 1");
        break;
      case Constant::Tag::kInt: break;
      case Constant::Tag::kDecimal:
        if (k.scale > kMaxDecimalScale) return Bad(what + ": decimal scale " + std::to_string(k.scale) + " > 18");
        break;
      case Constant::Tag::kString: CW_RETURN_IF_ERROR(CheckString(k.s, what)); break;
      default: return Bad(what + ": unknown tag " + std::to_string(static_cast<int>(k.tag)));
    }
  }
  for (size_t i = 0; i < p.term_refs.size(); ++i) {
    const TermRef& t = p.term_refs[i];
    std::string what = "term ref T" + std::to_string(i);
    if (static_cast<uint8_t>(t.type) > static_cast<uint8_t>(TermRef::Type::kValueSet)) return Bad(what + ": unknown type");
    if (t.url.empty()) return Bad(what + ": empty url");
    CW_RETURN_IF_ERROR(CheckString(t.url, what + " url"));
    CW_RETURN_IF_ERROR(CheckString(t.version, what + " version"));
  }
  if (!p.term_bindings.empty() && p.term_bindings.size() != p.term_refs.size()) {
    return Bad(std::to_string(p.term_bindings.size()) + " term bindings for " + std::to_string(p.term_refs.size()) +
               " term refs (must be none or one each)");
  }
  for (size_t i = 0; i < p.term_bindings.size(); ++i) {
    CW_RETURN_IF_ERROR(CheckString(p.term_bindings[i].version, "term binding B" + std::to_string(i) + " version"));
    if (!p.term_refs[i].version.empty() && p.term_bindings[i].version != p.term_refs[i].version) {
      return Bad("term binding B" + std::to_string(i) + ": version differs from term ref T" + std::to_string(i) +
                 "'s pinned version");
    }
  }
  for (size_t i = 0; i < p.files.size(); ++i) CW_RETURN_IF_ERROR(CheckString(p.files[i], "file " + std::to_string(i)));

  // Functions and their code.
  CW_RETURN_IF_ERROR(VerifyFunctions(p));
  for (uint32_t i = 0; i < p.functions.size(); ++i) CW_RETURN_IF_ERROR(FunctionVerifier(p, i, OpCountOfFormat(format_version)).Run());

  // Maps.
  for (size_t i = 0; i < p.maps.size(); ++i) {
    const MapEntry& m = p.maps[i];
    std::string what = "map " + std::to_string(i) + " " + Quote(m.name);
    CW_RETURN_IF_ERROR(CheckString(m.name, what + " name"));
    CW_RETURN_IF_ERROR(CheckString(m.message_type, what + " message type"));
    if (static_cast<uint8_t>(m.source) > static_cast<uint8_t>(Kind::kHl7v2)) return Bad(what + ": unknown source kind");
    if (static_cast<uint8_t>(m.target) > static_cast<uint8_t>(Kind::kHl7v2)) return Bad(what + ": unknown target kind");
    if (m.function >= p.functions.size()) return Bad(what + ": function " + std::to_string(m.function) + " out of range");
    if (p.functions[m.function].num_params != 0) return Bad(what + ": entry function takes parameters");
  }

  // Debug line table.
  for (size_t i = 0; i < p.lines.size(); ++i) {
    const LineEntry& e = p.lines[i];
    std::string what = "line entry " + std::to_string(i);
    if (i > 0 && e.pc < p.lines[i - 1].pc) return Bad(what + ": pc goes backwards");
    if (e.pc >= p.code.size()) return Bad(what + ": pc " + std::to_string(e.pc) + " outside the code");
    if (e.file >= p.files.size()) return Bad(what + ": file " + std::to_string(e.file) + " out of range");
  }
  return Status::Ok();
}

}  // namespace crosswalk::bytecode
