// Calls of pure functions, remembered for one run.
//
// A `def` reads its arguments, the input, the message, the run's options and the terminology store, all
// fixed while a message is mapped, and values are never changed once built (object and array literals are
// filled before anything else can see them). So a call of a function that warns of nothing (no `warn`, no
// translation under the "warn" unmapped policy, which records a warning in the run's output) returns the
// same value every time it is made with the same arguments, and the second call may take the first one's
// result. The shipped maps call the same helpers on the same fields from several resources (a PL's Locations
// for their entries, for references to them and for Encounter.location): this is where those repeats go.
//
// Arguments are compared as values (their flags included): strings by their bytes, HL7 v2 references by the
// place they name, small objects (up to 8 members) by their members, arrays, bigger objects and groups by
// identity (the same
// pointer is the same value; equal contents built twice are simply not found: a miss costs a call, never a
// wrong answer). Storage is kept between runs: no allocation per message once it has grown.
#pragma once

#include <cstdint>
#include <vector>

#include "bytecode/program.h"
#include "value/value.h"

namespace crosswalk::vm {

// Per function of a verified program: may its calls be remembered? False for a function that runs WARN,
// WARNR, or TRANSLATE or TRANSLATEX with the "warn" unmapped policy, or calls a function that may
// (transitively).
std::vector<uint8_t> PureFunctions(const bytecode::Program& p);

// The functions whose calls the VM remembers: pure, and whose calls may run at least kMinReusableWords
// words of code (their callees' included).
inline constexpr uint64_t kMinReusableWords = 16;
std::vector<uint8_t> ReusableFunctions(const bytecode::Program& p);

class CallMemo {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Calls remembered per run at most (a few MiB): a map that makes more (a runaway recursion with new
  // arguments each time) runs the rest without being remembered, so the memo never grows past this bound
  // whatever RunLimits allow. The shipped router makes about a thousand per message.
  static constexpr uint32_t kMaxEntries = 1u << 16;
  static constexpr uint32_t kMaxArgs = 1u << 18;

  // Forgets every call (the start of a run). What Worth() learnt is kept: it is per program, and Bind()
  // starts it over when the context runs another program.
  void Reset();

  // The program whose calls follow (any identity; its function count), before a run.
  void Bind(const void* program, uint32_t functions) {
    if (program == bound_ && stats_.size() == functions) return;
    bound_ = program;
    stats_.assign(functions, Stat());
  }
  // Whether looking up this call of `fn` is worth its cost. A function whose calls are never repeated with
  // the same arguments (an Observation per OBX) pays a hash, a probe and an insert for every call and gets
  // nothing back: after kProbeCalls lookups without a single hit, it is called without a lookup, and looked
  // at again for kProbeCalls lookups after every kRetryAfter calls made without. A function that is found
  // now and then keeps its lookups (one hit may save a whole recursion). A lookup never changes a result,
  // only what a call costs.
  static constexpr uint32_t kProbeCalls = 256;
  static constexpr uint32_t kRetryAfter = 4096;
  bool Worth(uint32_t fn) {
    Stat& s = stats_[fn];
    if (s.hits != 0 || s.lookups < kProbeCalls) return true;
    if (++s.skipped < kRetryAfter) return false;
    s = Stat();
    return true;
  }

  // The call of `fn` with args[0, n): true with *result when it was made before and has returned.
  // Otherwise false, and *entry is where Fill puts its result when it returns (kNone: not remembered,
  // e.g. while the same call is still running, in a recursion).
  bool Find(uint32_t fn, const Value* args, uint32_t n, Value* result, uint32_t* entry);
  void Fill(uint32_t entry, const Value& result) {
    entries_[entry].result = result;
    entries_[entry].done = true;
  }

 private:
  struct Entry {
    uint64_t hash;
    uint32_t fn;
    uint32_t args;  // first argument in args_
    uint32_t n;
    bool done;
    Value result;
  };
  struct Slot {
    uint32_t gen = 0;  // the slot is empty unless gen == gen_
    uint32_t entry = 0;
  };
  bool Matches(const Entry& e, uint64_t hash, uint32_t fn, const Value* args, uint32_t n) const;
  void Grow();

  struct Stat {
    uint32_t lookups = 0;
    uint32_t hits = 0;
    uint32_t skipped = 0;
  };

  std::vector<Stat> stats_;  // per function of bound_
  const void* bound_ = nullptr;
  std::vector<Entry> entries_;
  std::vector<Value> args_;
  std::vector<Slot> slots_;
  uint32_t gen_ = 1;  // slots start at 0: empty
};

}  // namespace crosswalk::vm
