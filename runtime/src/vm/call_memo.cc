#include "vm/call_memo.h"

#include <cstring>

#include "bytecode/format.h"
#include "value/value.h"

namespace crosswalk::vm {
namespace {

// The function a CALL at `pc` of `fn` names, or UINT32_MAX for another instruction (or a callee out of range).
uint32_t CalleeAt(const bytecode::Program& p, const bytecode::Function& fn, uint32_t pc) {
  const bool call = static_cast<bytecode::Op>(p.code[pc] & 0xFF) == bytecode::Op::CALL && pc + 1 < fn.code_end &&
                    p.code[pc + 1] < p.functions.size();
  return call ? p.code[pc + 1] : UINT32_MAX;
}

}  // namespace

std::vector<uint8_t> PureFunctions(const bytecode::Program& p) {
  using bytecode::Op;
  const size_t n = p.functions.size();
  std::vector<uint8_t> pure(n, 1);
  std::vector<std::vector<uint32_t>> callers(n);
  std::vector<uint32_t> work;
  for (uint32_t f = 0; f < n; ++f) {
    const bytecode::Function& fn = p.functions[f];
    for (uint32_t pc = fn.code_begin; pc < fn.code_end;) {
      const Op op = static_cast<Op>(p.code[pc] & 0xFF);
      // A translation writes to the run's output only under the "warn" unmapped policy (C's low bits).
      const bool warns = op == Op::WARN || op == Op::WARNR ||
                         ((op == Op::TRANSLATE || op == Op::TRANSLATEX) &&
                          static_cast<bytecode::UnmappedPolicy>(bytecode::GetC(p.code[pc]) & 3) ==
                              bytecode::UnmappedPolicy::kWarn);
      if (warns) {
        if (pure[f]) work.push_back(f);
        pure[f] = 0;
      } else if (uint32_t callee = CalleeAt(p, fn, pc); callee != UINT32_MAX) {
        callers[callee].push_back(f);
      }
      pc += bytecode::Length(op);
    }
  }
  while (!work.empty()) {  // a caller of an impure function is impure
    uint32_t f = work.back();
    work.pop_back();
    for (uint32_t c : callers[f]) {
      if (pure[c]) {
        pure[c] = 0;
        work.push_back(c);
      }
    }
  }
  return pure;
}

std::vector<uint8_t> ReusableFunctions(const bytecode::Program& p) {
  using bytecode::Op;
  std::vector<uint8_t> reusable = PureFunctions(p);
  const size_t n = p.functions.size();
  // Words of code a call may run, its callees' counted once per call site (a recursion counts as big),
  // counted until kMinReusableWords: below that, comparing the arguments costs about what running the body
  // does. Depth first with a stack of our own (a program may chain many functions).
  std::vector<uint64_t> words(n, 0);
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 on the stack, 2 done
  struct Visit {
    uint32_t f;
    uint32_t pc;  // the next word to look at
    uint64_t w;   // words so far
  };
  std::vector<Visit> stack;
  for (uint32_t root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    state[root] = 1;
    stack.push_back({root, p.functions[root].code_begin, p.functions[root].code_end - p.functions[root].code_begin});
    while (!stack.empty()) {
      Visit& v = stack.back();
      const bytecode::Function& vf = p.functions[v.f];
      uint32_t callee = UINT32_MAX;
      while (v.pc < vf.code_end && v.w < kMinReusableWords && callee == UINT32_MAX) {
        callee = CalleeAt(p, vf, v.pc);
        v.pc += bytecode::Length(static_cast<Op>(p.code[v.pc] & 0xFF));
      }
      if (callee == UINT32_MAX) {  // done: its weight goes to its caller
        words[v.f] = v.w;
        state[v.f] = 2;
        const uint64_t w = v.w;
        stack.pop_back();
        if (!stack.empty()) stack.back().w += w;
      } else if (state[callee] == 2) {
        v.w += words[callee];
      } else if (state[callee] == 1) {
        v.w += kMinReusableWords;  // a recursion
      } else {
        state[callee] = 1;
        const bytecode::Function& fn = p.functions[callee];
        stack.push_back({callee, fn.code_begin, fn.code_end - fn.code_begin});  // `v` is not used after this
      }
    }
  }
  for (uint32_t f = 0; f < n; ++f) {
    if (reusable[f] && words[f] < kMinReusableWords) reusable[f] = 0;
  }
  return reusable;
}

namespace {

inline uint64_t Mix(uint64_t h, uint64_t v) {
  h = (h ^ v) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

inline uint64_t Load8(const char* s) {
  uint64_t w;
  std::memcpy(&w, s, 8);
  return w;
}
inline uint64_t Load4(const char* s) {
  uint32_t w;
  std::memcpy(&w, s, 4);
  return w;
}

// The length, up to the first 32 bytes and the last 8 (loads of fixed size, overlapping where a text is
// short): enough to tell arguments apart (equality compares every byte), at a bounded cost for long texts.
inline uint64_t HashBytes(const char* s, uint32_t len, uint64_t h) {
  h = Mix(h, len);
  if (len >= 8) {
    const uint32_t head = len > 40 ? 32 : len - 8;
    for (uint32_t i = 0; i < head; i += 8) h = Mix(h, Load8(s + i));
    return Mix(h, Load8(s + len - 8));
  }
  if (len >= 4) return Mix(h, Load4(s) | Load4(s + len - 4) << 32);
  if (len > 0) {
    const auto* u = reinterpret_cast<const unsigned char*>(s);
    return Mix(h, u[0] | uint64_t{u[len / 2]} << 8 | uint64_t{u[len - 1]} << 16);
  }
  return h;
}

// An object of at most this many members is compared by its members (keys in order, values as below, an
// array or object among them by identity): a map passes small option objects built at the call
// (`LocationRefAbout(pl, { bedStatus: b })`), a new one each time. Bigger ones are compared by identity.
constexpr uint32_t kContentMembers = 8;

bool ByContent(const Value& v) { return v.kind == ValueKind::kObject && v.obj->size <= kContentMembers; }

inline uint64_t HashScalar(const Value& v, uint64_t h) {
  h = Mix(h, static_cast<uint64_t>(v.kind) | uint64_t{v.flags} << 8 | uint64_t{v.aux} << 16);
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull: return h;
    case ValueKind::kBool: return Mix(h, v.b ? 1 : 0);
    case ValueKind::kString: return HashBytes(v.str, v.len, h);
    default: return Mix(h, static_cast<uint64_t>(v.i));  // int, decimal, v2 (8 bytes), or a pointer
  }
}

// The flags are part of a value (a number's text kept as a string is written unquoted; -0 keeps its sign).
inline bool SameScalar(const Value& a, const Value& b) {
  if (a.kind != b.kind || a.flags != b.flags) return false;
  switch (a.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.b == b.b;
    case ValueKind::kString: return a.len == b.len && (a.len == 0 || std::memcmp(a.str, b.str, a.len) == 0);
    default: return a.i == b.i && a.aux == b.aux && a.len == b.len;  // int, decimal, v2, or a pointer
  }
}

uint64_t HashValue(const Value& v, uint64_t h) {
  if (!ByContent(v)) return HashScalar(v, h);
  h = Mix(h, 0x0B1Eull + v.obj->size);
  for (uint32_t i = 0; i < v.obj->size; ++i) h = HashScalar(v.obj->members[i].value, h);  // keys: compared only
  return h;
}

bool SameValue(const Value& a, const Value& b) {
  if (!ByContent(a) || !ByContent(b)) return SameScalar(a, b);
  if (a.obj == b.obj) return true;
  if (a.obj->size != b.obj->size) return false;
  for (uint32_t i = 0; i < a.obj->size; ++i) {
    const Member& x = a.obj->members[i];
    const Member& y = b.obj->members[i];
    if (x.key != y.key || !SameScalar(x.value, y.value)) return false;
  }
  return true;
}

}  // namespace

void CallMemo::Reset() {
  entries_.clear();
  args_.clear();
  if (++gen_ == 0) {  // wrapped: every slot's stamp could match again
    for (Slot& s : slots_) s.gen = 0;
    gen_ = 1;
  }
}

bool CallMemo::Matches(const Entry& e, uint64_t hash, uint32_t fn, const Value* args, uint32_t n) const {
  if (e.hash != hash || e.fn != fn || e.n != n) return false;
  const Value* stored = args_.data() + e.args;
  for (uint32_t i = 0; i < n; ++i) {
    if (!SameValue(stored[i], args[i])) return false;
  }
  return true;
}

bool CallMemo::Find(uint32_t fn, const Value* args, uint32_t n, Value* result, uint32_t* entry) {
  if (fn < stats_.size() && ++stats_[fn].lookups == (1u << 24)) {  // keep the recent rate, and no overflow
    stats_[fn].lookups /= 2;
    stats_[fn].hits /= 2;
  }
  uint64_t h = Mix(0x5BD1E995ull, fn);
  for (uint32_t i = 0; i < n; ++i) h = HashValue(args[i], h);
  h ^= h >> 32;  // the slot is taken from the low bits, which a product mixes least
  if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.gen != gen_) {  // not made before: remember it from here, if there is room
      if (entries_.size() >= kMaxEntries || args_.size() + n > kMaxArgs) {
        *entry = kNone;
        return false;
      }
      s.gen = gen_;
      s.entry = static_cast<uint32_t>(entries_.size());
      *entry = s.entry;
      entries_.push_back({h, fn, static_cast<uint32_t>(args_.size()), n, false, Value()});
      args_.insert(args_.end(), args, args + n);
      return false;
    }
    const Entry& e = entries_[s.entry];
    if (Matches(e, h, fn, args, n)) {
      if (!e.done) {  // still running (a recursive call with the same arguments): not remembered twice
        *entry = kNone;
        return false;
      }
      *result = e.result;
      if (fn < stats_.size()) ++stats_[fn].hits;
      return true;
    }
  }
}

void CallMemo::Grow() {
  std::vector<Slot> bigger(slots_.empty() ? 256 : slots_.size() * 2);
  const size_t mask = bigger.size() - 1;
  for (uint32_t k = 0; k < entries_.size(); ++k) {
    size_t i = entries_[k].hash & mask;
    while (bigger[i].gen == gen_) i = (i + 1) & mask;
    bigger[i] = {gen_, k};
  }
  slots_.swap(bigger);
}

}  // namespace crosswalk::vm
