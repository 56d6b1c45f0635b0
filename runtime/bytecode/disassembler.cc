#include "bytecode/disassembler.h"

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bytecode/builtin_table.h"
#include "bytecode/format.h"

namespace crosswalk::bytecode {
namespace {

// Quoted, with control characters escaped; `max` bytes at most (then "...").
std::string Quoted(std::string_view s, size_t max = SIZE_MAX) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == max) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string DecimalText(int64_t mantissa, uint16_t scale) {
  uint64_t mag = mantissa < 0 ? 0 - static_cast<uint64_t>(mantissa) : static_cast<uint64_t>(mantissa);
  std::string digits = std::to_string(mag);
  if (scale > 0) {
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, ".");
  }
  return (mantissa < 0 ? "-" : "") + digits;
}

std::string ConstantText(const Constant& k, size_t max = SIZE_MAX) {
  switch (k.tag) {
    case Constant::Tag::kNull: return "null";
    case Constant::Tag::kBool: return k.i == 0 ? "false" : k.i == 1 ? "true" : "bool(" + std::to_string(k.i) + ")";
    case Constant::Tag::kInt: return std::to_string(k.i);
    case Constant::Tag::kDecimal: return DecimalText(k.i, k.scale);
    case Constant::Tag::kString: return Quoted(k.s, max);
  }
  return "<tag " + std::to_string(static_cast<int>(k.tag)) + ">";
}

const char* ConstantTagName(Constant::Tag t) {
  switch (t) {
    case Constant::Tag::kNull: return "null";
    case Constant::Tag::kBool: return "bool";
    case Constant::Tag::kInt: return "int";
    case Constant::Tag::kDecimal: return "decimal";
    case Constant::Tag::kString: return "string";
  }
  return "?";
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kJson: return "json";
    case Kind::kFhir: return "fhir";
    case Kind::kHl7v2: return "hl7v2";
  }
  return "?";
}

const char* TermTypeName(TermRef::Type t) {
  switch (t) {
    case TermRef::Type::kConceptMap: return "conceptmap";
    case TermRef::Type::kCodeSystem: return "codesystem";
    case TermRef::Type::kValueSet: return "valueset";
  }
  return "?";
}

void Pad(std::string& s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
}

class Lister {
 public:
  explicit Lister(const Program& p) : p_(p) {
    for (size_t i = 0; i < p.lines.size(); ++i) line_at_[p.lines[i].pc] = i;  // the last row for a pc wins
  }

  std::string Run() {
    out_ += "; crosswalk bytecode format " + std::to_string(kFormatVersion) + "\n";
    if (!p_.files.empty()) {
      out_ += "files:\n";
      for (size_t i = 0; i < p_.files.size(); ++i) out_ += "  " + std::to_string(i) + "  " + Quoted(p_.files[i]) + "\n";
    }
    if (!p_.constants.empty()) {
      out_ += "constants:\n";
      for (size_t i = 0; i < p_.constants.size(); ++i) {
        std::string line = "  K" + std::to_string(i);
        Pad(line, 10);
        line += ConstantTagName(p_.constants[i].tag);
        Pad(line, 19);
        out_ += line + ConstantText(p_.constants[i]) + "\n";
      }
    }
    if (!p_.term_refs.empty()) {
      out_ += "term refs:\n";
      for (size_t i = 0; i < p_.term_refs.size(); ++i) {
        const TermRef& t = p_.term_refs[i];
        std::string line = "  T" + std::to_string(i);
        Pad(line, 10);
        line += TermTypeName(t.type);
        Pad(line, 22);
        line += Quoted(t.url);
        if (!t.version.empty()) line += " version " + Quoted(t.version);
        if (i < p_.term_bindings.size()) {
          char hash[17];
          std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(p_.term_bindings[i].content_hash));
          line += " bound " + Quoted(p_.term_bindings[i].version) + " hash " + hash;
        }
        out_ += line + "\n";
      }
    }
    if (!p_.maps.empty()) {
      out_ += "maps:\n";
      for (const MapEntry& m : p_.maps) {
        out_ += "  map " + Quoted(m.name) + " " + KindName(m.source) +
                (m.message_type.empty() ? "" : " " + Quoted(m.message_type)) + " -> " + KindName(m.target) +
                " F" + std::to_string(m.function) + "\n";
      }
    }
    for (size_t i = 0; i < p_.functions.size(); ++i) Function(i);
    return std::move(out_);
  }

 private:
  void Function(size_t index) {
    const struct Function& f = p_.functions[index];
    out_ += "function F" + std::to_string(index) + " " + Quoted(f.name) + " params " + std::to_string(f.num_params) +
            " registers " + std::to_string(f.num_registers) + " code [" + std::to_string(f.code_begin) + ", " +
            std::to_string(f.code_end) + ")\n";
    uint32_t end = f.code_end < p_.code.size() ? f.code_end : static_cast<uint32_t>(p_.code.size());
    for (uint32_t pc = f.code_begin; pc < end;) pc = Instruction(pc, end);
  }

  // Prints the instruction at pc; returns the pc of the next one.
  uint32_t Instruction(uint32_t pc, uint32_t end) {
    uint32_t w = p_.code[pc];
    std::string line = std::to_string(pc);
    if (line.size() < 6) line.insert(0, 6 - line.size(), ' ');
    line += "  ";
    comments_.clear();
    if ((w & 0xFF) >= static_cast<uint32_t>(kOpCount)) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "???        0x%08X", w);
      Emit(line + buf, pc);
      return pc + 1;
    }
    Op op = GetOp(w);
    const OpInfo& info = Info(op);
    line += info.name;
    Pad(line, 8 + 11);
    bool has_aux = HasAux(op);
    bool aux_present = !has_aux || pc + 1 < end;
    uint32_t aux = has_aux && aux_present ? p_.code[pc + 1] : 0;
    uint32_t next = pc + (has_aux ? 2 : 1);
    std::vector<std::string> ops;
    switch (info.format) {
      case Format::ABC:
        Operand_(ops, op, info.a, GetA(w), next);
        Operand_(ops, op, info.b, GetB(w), next);
        Operand_(ops, op, info.c, GetC(w), next);
        break;
      case Format::AD:
        Operand_(ops, op, info.a, GetA(w), next);
        Operand_(ops, op, info.b,
                 (info.b == Operand::kJump || info.b == Operand::kImm) ? static_cast<uint32_t>(GetSD(w)) : GetD(w), next);
        break;
      case Format::E: Operand_(ops, op, info.a, static_cast<uint32_t>(GetSE(w)), next); break;
    }
    if (has_aux) {
      if (aux_present) {
        Operand_(ops, op, info.aux, aux, next);
      } else {
        ops.push_back("<AUX missing>");
      }
    }
    for (size_t i = 0; i < ops.size(); ++i) line += (i ? " " : "") + ops[i];
    Emit(line, pc);
    return aux_present ? next : end;
  }

  // The instruction line, preceded by a "; file:line:col" line where a debug-table row starts.
  void Emit(std::string line, uint32_t pc) {
    auto it = line_at_.find(pc);
    if (it != line_at_.end()) {
      const LineEntry& e = p_.lines[it->second];
      std::string file = e.file < p_.files.size() ? p_.files[e.file] : "<file " + std::to_string(e.file) + ">";
      out_ += "        ; " + file + ":" + std::to_string(e.line) + ":" + std::to_string(e.col) + "\n";
    }
    if (!comments_.empty()) {
      Pad(line, 48);
      line += ";";
      for (size_t i = 0; i < comments_.size(); ++i) line += (i ? ", " : " ") + comments_[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out_ += line + "\n";
  }

  // Appends the text of one operand (nothing for kNone unless it is non-zero) and its comment.
  void Operand_(std::vector<std::string>& ops, Op op, Operand kind, uint32_t v, uint32_t next) {
    switch (kind) {
      case Operand::kNone:
        if (v != 0) ops.push_back("<" + std::to_string(v) + "?>");
        return;
      case Operand::kReg:
      case Operand::kReg2:
      case Operand::kRegN: ops.push_back("R" + std::to_string(v)); return;
      case Operand::kCount: ops.push_back(std::to_string(v)); return;
      case Operand::kImm:
        ops.push_back(std::to_string(static_cast<int32_t>(v)));
        if (op == Op::TRANSLATE || op == Op::TRANSLATEX) {
          static constexpr const char* kPolicy[] = {"absent", "keep", "warn", "error"};
          comments_.push_back(std::string("unmapped=") + kPolicy[v & 3] + ((v & kTranslateWantCoding) ? " coding" : ""));
        }
        return;
      case Operand::kConst:
      case Operand::kStr:
        ops.push_back("K" + std::to_string(v));
        comments_.push_back(v < p_.constants.size() ? ConstantText(p_.constants[v], 40) : "K?");
        return;
      case Operand::kFunc:
        ops.push_back("F" + std::to_string(v));
        comments_.push_back(v < p_.functions.size() ? Quoted(p_.functions[v].name, 40) : "F?");
        return;
      case Operand::kBuiltin:
        ops.push_back("B" + std::to_string(v));
        comments_.push_back(v < kBuiltinCount ? std::string(kBuiltinInfo[v].name) : "B?");
        return;
      case Operand::kJump: {
        int32_t offset = static_cast<int32_t>(v);
        ops.push_back((offset >= 0 ? "+" : "") + std::to_string(offset));
        comments_.push_back("-> " + std::to_string(int64_t{next} + offset));
        return;
      }
      case Operand::kV2Path: {
        V2Path path = UnpackV2Path(v);
        std::string s = "#" + std::to_string(path.field);
        if (path.rep) s += "[" + std::to_string(path.rep) + "]";
        if (path.comp || path.sub) s += "." + std::to_string(path.comp);
        if (path.sub) s += "." + std::to_string(path.sub);
        ops.push_back(s);
        return;
      }
      case Operand::kTerm:
        ops.push_back("T" + std::to_string(v));
        comments_.push_back(v < p_.term_refs.size() ? Quoted(p_.term_refs[v].url, 60) : "T?");
        return;
    }
  }

  const Program& p_;
  std::map<uint32_t, size_t> line_at_;
  std::vector<std::string> comments_;
  std::string out_;
};

}  // namespace

std::string Disassemble(const Program& program) { return Lister(program).Run(); }

}  // namespace crosswalk::bytecode
