#include "opt/peephole.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <numeric>
#include <vector>

#include "bytecode/format.h"
#include "bytecode/registers.h"

namespace crosswalk::compiler {
namespace {

using bytecode::GetA;
using bytecode::GetB;
using bytecode::GetC;
using bytecode::GetOp;
using bytecode::Op;

constexpr int kNone = -1;
// Hops followed when threading one jump (chains of JMPs are short; cycles stop here too).
constexpr int kMaxThreadHops = 32;
// Rounds of all the rules; each round only removes or retargets, so few are ever needed.
constexpr int kMaxRounds = 8;

struct Insn {
  uint32_t pc = 0;  // position in the original code
  Op op = Op::NOP;
  uint32_t word = 0;
  uint32_t aux = 0;
  int len = 1;
  int orig_len = 1;    // words it took in the original code (a fused instruction may be longer)
  int target = kNone;  // for jumps: index of the instruction jumped to
  bool keep = true;
};

// Jumps whose offset is the D operand (16 bits), the E operand (JMP, 24 bits) or the AUX word (32 bits).
bool IsJumpD(Op op) {
  return op == Op::JMPIF || op == Op::JMPIFNOT || op == Op::JMPPRESENT || op == Op::JMPEQK || op == Op::JMPNEK;
}
bool IsJumpAux(Op op) { return op == Op::ITERNEXT || op == Op::JMPEQ || op == Op::JMPNE; }
bool IsJump(Op op) { return op == Op::JMP || IsJumpD(op) || IsJumpAux(op); }
// Jumps whose only effect is the jump: removable when they go to the next instruction (the comparing
// ones only compare: no effect, cannot fail).
bool IsPureBranch(Op op) { return IsJump(op) && op != Op::ITERNEXT; }
bool IsTerminator(Op op) { return (bytecode::Info(op).flags & bytecode::kTerminator) != 0; }

using Regs = bytecode::RegSet;

void Effects(const Insn& in, Regs* use, Regs* def) { bytecode::RegisterEffects(in.word, use, def); }

class FunctionPass {
 public:
  FunctionPass(const std::vector<uint32_t>& code, uint32_t begin, uint32_t end, PeepholeStats* stats)
      : stats_(*stats) {
    std::vector<int> index_of(end - begin + 1, kNone);
    for (uint32_t pc = begin; pc < end;) {
      Insn in;
      in.pc = pc;
      in.word = code[pc];
      in.op = GetOp(in.word);
      in.len = in.orig_len = bytecode::Length(in.op);
      if (in.len == 2) in.aux = code[pc + 1];
      index_of[pc - begin] = static_cast<int>(insns_.size());
      insns_.push_back(in);
      pc += static_cast<uint32_t>(in.orig_len);
    }
    for (Insn& in : insns_) {
      if (!IsJump(in.op)) continue;
      int64_t next = int64_t{in.pc} + in.orig_len;
      int64_t offset = in.op == Op::JMP      ? bytecode::GetSE(in.word)
                       : IsJumpAux(in.op)    ? static_cast<int32_t>(in.aux)
                                             : bytecode::GetSD(in.word);
      int64_t at = next + offset - begin;
      assert(at >= 0 && at < static_cast<int64_t>(end - begin) && index_of[at] != kNone);
      in.target = index_of[at];
    }
  }

  void Run() {
    for (int round = 0; round < kMaxRounds; ++round) {
      changed_ = false;
      for (Insn& in : insns_) {
        if (in.keep && in.target != kNone) in.target = Resolve(in.target);
      }
      // Jumps to the next instruction go first: threading or turning them into RET would keep them.
      RemoveSelfMoves();
      RemoveJumpsToNext();
      ThreadJumps();
      JumpsToRet();
      InvertBranches();
      RemoveUnreachable();
      Fuse();
      if (!changed_) break;
    }
  }

  // Appends the kept instructions to *out with their jumps re-encoded; remap[pc - begin] receives each
  // original position's new one (a removed instruction's is its next kept instruction's).
  void Emit(std::vector<uint32_t>* out, uint32_t begin, uint32_t end, std::vector<uint32_t>* remap) {
    std::vector<uint32_t> new_pc(insns_.size() + 1);
    uint32_t at = static_cast<uint32_t>(out->size());
    for (size_t i = 0; i < insns_.size(); ++i) {
      new_pc[i] = at;
      if (insns_[i].keep) at += static_cast<uint32_t>(insns_[i].len);
    }
    new_pc[insns_.size()] = at;
    // A removed instruction's position is taken by the next kept one (new_pc already says so: it was
    // not advanced past the removed one).
    for (size_t i = 0; i < insns_.size(); ++i) {
      const Insn& in = insns_[i];
      (*remap)[in.pc] = new_pc[i];
      if (in.orig_len == 2) (*remap)[in.pc + 1] = new_pc[i];
      if (!in.keep) continue;
      uint32_t word = in.word, aux = in.aux;
      if (in.target != kNone) {
        int64_t offset = int64_t{new_pc[in.target]} - (int64_t{new_pc[i]} + in.len);
        if (in.op == Op::JMP) {
          assert(offset >= bytecode::kMinJumpE && offset <= bytecode::kMaxJumpE);
          word = bytecode::EncodeE(Op::JMP, static_cast<int32_t>(offset));
        } else if (IsJumpAux(in.op)) {
          aux = static_cast<uint32_t>(static_cast<int32_t>(offset));
        } else {
          assert(offset >= bytecode::kMinJumpD && offset <= bytecode::kMaxJumpD);
          word = bytecode::EncodeAD(in.op, GetA(in.word), static_cast<int32_t>(offset));
        }
      }
      out->push_back(word);
      if (in.len == 2) out->push_back(aux);
    }
    (void)begin;
    (*remap)[end] = new_pc[insns_.size()];
  }

 private:
  // The first kept instruction at or after i (the function ends with a kept terminator).
  int Resolve(int i) const {
    while (i < static_cast<int>(insns_.size()) && !insns_[i].keep) ++i;
    assert(i < static_cast<int>(insns_.size()));
    return i;
  }
  int NextKept(int i) const {
    for (++i; i < static_cast<int>(insns_.size()); ++i) {
      if (insns_[i].keep) return i;
    }
    return kNone;
  }

  // Whether jump i can reach instruction t. Compacting only removes words between two instructions (a
  // fused instruction never takes more words than the run it replaces), so a distance measured in the
  // original code, with a few words of slack for where a fused instruction ends, fits after.
  bool Fits(const Insn& in, int t) const {
    constexpr int64_t kSlack = 4;
    int64_t offset = int64_t{insns_[t].pc} - (int64_t{in.pc} + in.orig_len);
    if (in.op == Op::JMP) return offset >= bytecode::kMinJumpE + kSlack && offset <= bytecode::kMaxJumpE - kSlack;
    if (IsJumpAux(in.op)) return true;
    return offset >= bytecode::kMinJumpD + kSlack && offset <= bytecode::kMaxJumpD - kSlack;
  }

  void ThreadJumps() {
    for (size_t i = 0; i < insns_.size(); ++i) {
      Insn& in = insns_[i];
      if (!in.keep || in.target == kNone) continue;
      const bool tests = in.op == Op::JMPIF || in.op == Op::JMPIFNOT;
      int t = in.target;
      for (int hop = 0; hop < kMaxThreadHops; ++hop) {
        const Insn& j = insns_[t];
        if (t == static_cast<int>(i)) break;
        int next;
        if (j.op == Op::JMP) {
          next = Resolve(j.target);
        } else if (tests && (j.op == Op::JMPIF || j.op == Op::JMPIFNOT) && GetA(j.word) == GetA(in.word)) {
          // A test of the register this jump just tested (nothing ran in between): it goes the same way
          // every time, to its target when it jumps on the same outcome, else to the instruction after it.
          next = j.op == in.op ? Resolve(j.target) : NextKept(t);
          if (next == kNone) break;
        } else {
          break;
        }
        if (next == t || !Fits(in, next)) break;
        t = next;
      }
      if (t != in.target) {
        in.target = t;
        ++stats_.threaded_jumps;
        changed_ = true;
      }
    }
  }

  void JumpsToRet() {
    for (Insn& in : insns_) {
      if (!in.keep || in.op != Op::JMP || insns_[in.target].op != Op::RET) continue;
      in.op = Op::RET;
      in.word = insns_[in.target].word;
      in.target = kNone;
      ++stats_.jumps_to_ret;
      changed_ = true;
    }
  }

  void RemoveSelfMoves() {
    for (Insn& in : insns_) {
      if (in.keep && in.op == Op::MOVE && GetA(in.word) == bytecode::GetB(in.word)) {
        in.keep = false;
        ++stats_.removed_moves;
        changed_ = true;
      }
    }
  }

  void RemoveJumpsToNext() {
    for (size_t i = 0; i < insns_.size(); ++i) {
      Insn& in = insns_[i];
      if (!in.keep || !IsPureBranch(in.op)) continue;
      if (in.target == NextKept(static_cast<int>(i))) {
        in.keep = false;
        ++stats_.removed_jumps;
        changed_ = true;
      }
    }
  }

  // JMPIF r L1; JMP L2; L1:  ->  JMPIFNOT r L2; L1:   (the JMP has no other way in).
  void InvertBranches() {
    std::vector<int> incoming(insns_.size(), 0);
    for (const Insn& in : insns_) {
      if (in.keep && in.target != kNone) ++incoming[Resolve(in.target)];
    }
    for (size_t i = 0; i < insns_.size(); ++i) {
      Insn& in = insns_[i];
      if (!in.keep || (in.op != Op::JMPIF && in.op != Op::JMPIFNOT)) continue;
      int j = NextKept(static_cast<int>(i));
      if (j == kNone || insns_[j].op != Op::JMP || incoming[j] != 0) continue;
      int after = NextKept(j);
      int t2 = Resolve(insns_[j].target);
      if (after == kNone || Resolve(in.target) != after || !Fits(in, t2)) continue;
      in.op = in.op == Op::JMPIF ? Op::JMPIFNOT : Op::JMPIF;
      in.word = bytecode::EncodeAD(in.op, GetA(in.word), 0);  // the offset is written by Emit
      in.target = t2;
      insns_[j].keep = false;
      ++incoming[t2];
      ++stats_.inverted_branches;
      changed_ = true;
    }
  }

  // live_out_[i]: the registers some path from after kept instruction i reads before it overwrites them
  // (backward data flow over the kept instructions, to a fixed point).
  void ComputeLiveness() {
    const int n = static_cast<int>(insns_.size());
    std::vector<Regs> use(n), def(n), live_in(n);
    std::vector<std::array<int, 2>> succ(n, {kNone, kNone});
    for (int i = 0; i < n; ++i) {
      const Insn& in = insns_[i];
      if (!in.keep) continue;
      Effects(in, &use[i], &def[i]);
      if (in.target != kNone) succ[i][0] = Resolve(in.target);
      if (!IsTerminator(in.op)) succ[i][1] = NextKept(i);
    }
    live_out_.assign(n, Regs());
    for (bool changed = true; changed;) {
      changed = false;
      for (int i = n - 1; i >= 0; --i) {
        if (!insns_[i].keep) continue;
        Regs out;
        for (int s : succ[i]) {
          if (s != kNone) out |= live_in[s];
        }
        Regs in = use[i] | (out & ~def[i]);
        if (out != live_out_[i] || in != live_in[i]) {
          live_out_[i] = out;
          live_in[i] = in;
          changed = true;
        }
      }
    }
  }

  // Two adjacent instructions (nothing jumps to the second) become one when the register the first
  // writes is read only by the second:
  //
  //   TRUTHY t x; JMPIF t L      ->  JMPIF x L        (JMPIF/JMPIFNOT test truthiness themselves;
  //   NOT t x;    JMPIF t L      ->  JMPIFNOT x L      and the same with JMPIFNOT)
  //   EQ t a b;   JMPIF t L      ->  JMPEQ a b L      (NE, JMPIFNOT: JMPNE or JMPEQ as they combine)
  //   LOADK t k;  EQ d a t       ->  EQK d a k        (either operand; NE -> NEK)
  //   LOADK t k;  SETK o t "key" ->  SETKK o k "key"  (a constant member: `system: "http://loinc.org"`)
  //   EQK t a k;  JMPIF t L      ->  JMPEQK a k L     (NEK, JMPIFNOT: JMPNEK or JMPEQK)
  //   V2COMP t s m; V2COMP d t n ->  V2COMP2 d s m n
  //
  // The first instruction is removed and the second rewritten in its place (a jump to the first now
  // lands on the fused instruction, which does the work of both).
  void Fuse() {
    ComputeLiveness();
    std::vector<int> incoming(insns_.size(), 0);
    for (const Insn& in : insns_) {
      if (in.keep && in.target != kNone) ++incoming[Resolve(in.target)];
    }
    for (size_t i = 0; i < insns_.size(); ++i) {
      Insn& first = insns_[i];
      if (!first.keep) continue;
      const int j = NextKept(static_cast<int>(i));
      if (j == kNone || incoming[j] != 0) continue;
      if (FusePair(first, j)) {
        first.keep = false;
        incoming[j] += incoming[i];
        ++stats_.fused;
        changed_ = true;
      }
    }
  }

  bool FusePair(const Insn& first, int j) {
    Insn& second = insns_[j];
    const uint32_t t = GetA(first.word);
    Regs use, def;
    Effects(second, &use, &def);
    // The value `first` leaves in t is read by `second` only.
    if (live_out_[j][t] && !def[t]) return false;
    const bool branch = (second.op == Op::JMPIF || second.op == Op::JMPIFNOT) && GetA(second.word) == t;
    const bool on_true = second.op == Op::JMPIF;
    switch (first.op) {
      case Op::TRUTHY:
      case Op::NOT: {
        if (!branch) return false;
        const Op op = (first.op == Op::NOT) == on_true ? Op::JMPIFNOT : Op::JMPIF;
        second.op = op;
        second.word = bytecode::EncodeAD(op, GetB(first.word), 0);  // the offset is written by Emit
        return true;
      }
      case Op::EQ:
      case Op::NE: {
        if (!branch) return false;
        const Op op = (first.op == Op::EQ) == on_true ? Op::JMPEQ : Op::JMPNE;
        Retarget(&second, op, bytecode::EncodeABC(op, GetB(first.word), GetC(first.word), 0), 0);
        return true;
      }
      case Op::EQK:
      case Op::NEK: {
        if (!branch || !Fits(second, second.target)) return false;
        const Op op = (first.op == Op::EQK) == on_true ? Op::JMPEQK : Op::JMPNEK;
        Retarget(&second, op, bytecode::EncodeAD(op, GetB(first.word), 0), first.aux);
        return true;
      }
      case Op::LOADK: {
        if (second.op == Op::SETK) {
          // The object register is not t: SETK would write into the constant (a hand-made program).
          if (GetB(second.word) != t || GetA(second.word) == t) return false;
          Retarget(&second, Op::SETKK,
                   bytecode::EncodeAD(Op::SETKK, GetA(second.word), static_cast<int32_t>(bytecode::GetD(first.word))),
                   second.aux);
          return true;
        }
        if (second.op != Op::EQ && second.op != Op::NE) return false;
        const uint32_t b = GetB(second.word), c = GetC(second.word);
        if ((b == t) == (c == t)) return false;  // t must be exactly one of the operands
        const Op op = second.op == Op::EQ ? Op::EQK : Op::NEK;
        Retarget(&second, op, bytecode::EncodeABC(op, GetA(second.word), b == t ? c : b, 0), bytecode::GetD(first.word));
        return true;
      }
      case Op::V2COMP: {
        if (second.op != Op::V2COMP || GetB(second.word) != t) return false;
        const uint32_t n = GetC(second.word);
        Retarget(&second, Op::V2COMP2,
                 bytecode::EncodeABC(Op::V2COMP2, GetA(second.word), GetB(first.word), GetC(first.word)), n);
        return true;
      }
      default:
        return false;
    }
  }

  // Gives an instruction a new opcode and operands (a jump keeps its target).
  static void Retarget(Insn* in, Op op, uint32_t word, uint32_t aux) {
    in->op = op;
    in->word = word;
    in->aux = aux;
    in->len = bytecode::Length(op);
  }

  void RemoveUnreachable() {
    std::vector<char> reached(insns_.size(), 0);
    std::vector<int> work;
    int entry = Resolve(0);
    reached[entry] = 1;
    work.push_back(entry);
    while (!work.empty()) {
      int i = work.back();
      work.pop_back();
      const Insn& in = insns_[i];
      auto visit = [&](int t) {
        if (t != kNone && !reached[t]) {
          reached[t] = 1;
          work.push_back(t);
        }
      };
      if (in.target != kNone) visit(Resolve(in.target));
      if (!IsTerminator(in.op)) visit(NextKept(i));
    }
    for (size_t i = 0; i < insns_.size(); ++i) {
      if (insns_[i].keep && !reached[i]) {
        insns_[i].keep = false;
        ++stats_.removed_unreachable;
        changed_ = true;
      }
    }
  }

  std::vector<Insn> insns_;
  std::vector<Regs> live_out_;
  PeepholeStats& stats_;
  bool changed_ = false;
};

}  // namespace

PeepholeStats Peephole(bytecode::Program* program) {
  PeepholeStats stats;
  const std::vector<uint32_t>& code = program->code;
  stats.words_before = static_cast<uint32_t>(code.size());
  std::vector<size_t> order(program->functions.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return program->functions[a].code_begin < program->functions[b].code_begin;
  });
  std::vector<uint32_t> out;
  out.reserve(code.size());
  std::vector<uint32_t> remap(code.size() + 1);
  uint32_t copied = 0;  // original positions below this are in `out`
  auto copy_to = [&](uint32_t pc) {  // words outside every function (lowering leaves none) stay as they are
    for (; copied < pc; ++copied) {
      remap[copied] = static_cast<uint32_t>(out.size());
      out.push_back(code[copied]);
    }
  };
  for (size_t f : order) {
    bytecode::Function& fn = program->functions[f];
    copy_to(fn.code_begin);
    FunctionPass pass(code, fn.code_begin, fn.code_end, &stats);
    pass.Run();
    pass.Emit(&out, fn.code_begin, fn.code_end, &remap);
    copied = fn.code_end;
  }
  copy_to(static_cast<uint32_t>(code.size()));
  remap[code.size()] = static_cast<uint32_t>(out.size());
  for (bytecode::Function& fn : program->functions) {
    fn.code_begin = remap[fn.code_begin];
    fn.code_end = remap[fn.code_end];
  }
  // Rows move with their instruction; of rows that land on one position the last is kept, and a row
  // left at the very end covers nothing.
  std::vector<bytecode::LineEntry> lines;
  lines.reserve(program->lines.size());
  for (bytecode::LineEntry row : program->lines) {
    row.pc = remap[std::min<size_t>(row.pc, code.size())];
    if (!lines.empty() && lines.back().pc == row.pc) lines.pop_back();
    lines.push_back(row);
  }
  while (!lines.empty() && lines.back().pc >= out.size()) lines.pop_back();
  program->lines = std::move(lines);
  program->code = std::move(out);
  stats.words_after = static_cast<uint32_t>(program->code.size());
  return stats;
}

}  // namespace crosswalk::compiler
