#include "bytecode/registers.h"

#include <array>

#include "bytecode/format.h"

namespace crosswalk::bytecode {

void RegisterEffects(uint32_t word, RegSet* use, RegSet* def) {
  use->reset();
  def->reset();
  if ((word & 0xFF) >= static_cast<uint32_t>(kOpCount)) {
    use->set();
    return;
  }
  const uint16_t roles = Info(GetOp(word)).regs;  // the REGS column of opcodes.def
  const uint32_t a = GetA(word), b = GetB(word), c = GetC(word);
  auto set_run = [](RegSet* s, uint32_t first, uint32_t n) {
    for (uint32_t r = first; r < first + n && r < 256; ++r) s->set(r);
  };
  if (roles & (kUseA | kResultA)) use->set(a);  // a result written only when the run goes on: not proven
  if (roles & kUseA2) set_run(use, a, 2);
  if (roles & kUseB) use->set(b);
  if (roles & kUseB2) set_run(use, b, 2);
  if (roles & kUseBN) set_run(use, b, c);
  if (roles & kUseC) use->set(c);
  if (roles & kDefA) def->set(a);
  if (roles & kDefA2) set_run(def, a, 2);
}

int64_t JumpTarget(uint32_t word, uint32_t aux, uint32_t pc) {
  const Op op = GetOp(word);
  if (static_cast<int>(op) >= kOpCount) return -1;
  const OpInfo& info = Info(op);
  const int64_t next = int64_t{pc} + Length(op);
  if (info.format == Format::E && info.a == Operand::kJump) return next + GetSE(word);
  if (info.format == Format::AD && info.b == Operand::kJump) return next + GetSD(word);
  if (info.aux == Operand::kJump) return next + static_cast<int32_t>(aux);
  return -1;
}

std::vector<uint32_t> RegistersReadBeforeWritten(const Program& p) {
  std::vector<uint32_t> out(p.functions.size(), 0);
  for (size_t fi = 0; fi < p.functions.size(); ++fi) {
    const Function& f = p.functions[fi];
    // Instruction starts, and each one's successors (as instruction indices; -1 for none).
    std::vector<uint32_t> starts;
    std::vector<int> index_of(f.code_end - f.code_begin + 1, -1);
    for (uint32_t pc = f.code_begin; pc < f.code_end; pc += static_cast<uint32_t>(Length(GetOp(p.code[pc])))) {
      index_of[pc - f.code_begin] = static_cast<int>(starts.size());
      starts.push_back(pc);
    }
    const int n = static_cast<int>(starts.size());
    if (n == 0) continue;
    std::vector<RegSet> use(n), def(n), live_in(n);
    std::vector<std::array<int, 2>> succ(n, {-1, -1});
    auto index = [&](int64_t pc) {
      return pc >= f.code_begin && pc < f.code_end ? index_of[static_cast<size_t>(pc - f.code_begin)] : -1;
    };
    for (int i = 0; i < n; ++i) {
      const uint32_t pc = starts[i], word = p.code[pc];
      const Op op = GetOp(word);
      const uint32_t aux = HasAux(op) ? p.code[pc + 1] : 0;
      RegisterEffects(word, &use[i], &def[i]);
      succ[i][0] = index(JumpTarget(word, aux, pc));
      if (!(Info(op).flags & kTerminator)) succ[i][1] = i + 1 < n ? i + 1 : -1;
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (int i = n - 1; i >= 0; --i) {
        RegSet live_out;
        for (int s : succ[i]) {
          if (s >= 0) live_out |= live_in[s];
        }
        RegSet in = use[i] | (live_out & ~def[i]);
        if (in != live_in[i]) {
          live_in[i] = in;
          changed = true;
        }
      }
    }
    for (uint32_t r = 256; r-- > f.num_params;) {
      if (live_in[0][r]) {
        out[fi] = r + 1;
        break;
      }
    }
  }
  return out;
}

}  // namespace crosswalk::bytecode
