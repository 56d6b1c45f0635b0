#include "opt/peephole.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <vector>

#include "bytecode/format.h"

namespace crosswalk::compiler {
namespace {

using bytecode::GetA;
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
  int target = kNone;  // for jumps: index of the instruction jumped to
  bool keep = true;
};

bool IsJump(Op op) {
  return op == Op::JMP || op == Op::JMPIF || op == Op::JMPIFNOT || op == Op::JMPPRESENT || op == Op::ITERNEXT;
}
// Jumps whose only effect is the jump: removable when they go to the next instruction.
bool IsPureBranch(Op op) { return op == Op::JMP || op == Op::JMPIF || op == Op::JMPIFNOT || op == Op::JMPPRESENT; }
bool IsTerminator(Op op) { return (bytecode::Info(op).flags & bytecode::kTerminator) != 0; }

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
      in.len = bytecode::Length(in.op);
      if (in.len == 2) in.aux = code[pc + 1];
      index_of[pc - begin] = static_cast<int>(insns_.size());
      insns_.push_back(in);
      pc += static_cast<uint32_t>(in.len);
    }
    for (Insn& in : insns_) {
      if (!IsJump(in.op)) continue;
      int64_t next = int64_t{in.pc} + in.len;
      int64_t offset = in.op == Op::JMP        ? bytecode::GetSE(in.word)
                       : in.op == Op::ITERNEXT ? static_cast<int32_t>(in.aux)
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
      if (in.len == 2) (*remap)[in.pc + 1] = new_pc[i];
      if (!in.keep) continue;
      uint32_t word = in.word, aux = in.aux;
      if (in.target != kNone) {
        int64_t offset = int64_t{new_pc[in.target]} - (int64_t{new_pc[i]} + in.len);
        if (in.op == Op::JMP) {
          assert(offset >= bytecode::kMinJumpE && offset <= bytecode::kMaxJumpE);
          word = bytecode::EncodeE(Op::JMP, static_cast<int32_t>(offset));
        } else if (in.op == Op::ITERNEXT) {
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

  // Whether jump i can reach instruction t: offsets only shrink when the function is compacted, so a
  // distance that fits now fits after.
  bool Fits(const Insn& in, int t) const {
    int64_t offset = int64_t{insns_[t].pc} - (int64_t{in.pc} + in.len);
    if (in.op == Op::JMP) return offset >= bytecode::kMinJumpE && offset <= bytecode::kMaxJumpE;
    if (in.op == Op::ITERNEXT) return true;
    return offset >= bytecode::kMinJumpD && offset <= bytecode::kMaxJumpD;
  }

  void ThreadJumps() {
    for (size_t i = 0; i < insns_.size(); ++i) {
      Insn& in = insns_[i];
      if (!in.keep || in.target == kNone) continue;
      int t = in.target;
      for (int hop = 0; hop < kMaxThreadHops; ++hop) {
        const Insn& j = insns_[t];
        if (j.op != Op::JMP || t == static_cast<int>(i)) break;
        int next = Resolve(j.target);
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
