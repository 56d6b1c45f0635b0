// Lineage: what the VM records, when RunOptions::trace is on, about where each output value came from.
//
// The traced interpreter loop (Execute<true> in vm.cc) calls Lineage::Step before every instruction; the
// untraced loop never does, so tracing costs nothing when off. Step keeps a shadow of the register file:
// for each register, the set of *sources* its value was computed from. A source is an input place (an
// HL7 v2 path, or a JSON path of a JSON/FHIR input) or a terminology decision. Values carry their
// sources through moves, calls, returns, built-ins, templates, arithmetic and comparisons (the union of
// the operands'), and through the containers a map builds: each member set (SETK, APPEND, APPENDP, MERGE)
// keeps the sources and map location it was set with, keyed by (container, key or index), so that reading
// it back (GETK, GETI, a loop over it) gives them back.
//
// An HL7 v2 reference names its own place, so its path joins the sources where the value is used
// (stored, computed with, tested), not where it is navigated (PID → PID-5 → PID-5[1].1).
//
// Conditions: a conditional jump (if, match, where, ??) makes everything written until its join point
// (the branch's immediate post-dominator, computed once per program) depend on the tested value; those
// sources are marked as conditions, not data. `a ?? b` thus gives b's value with a's sources as
// conditions; `match PID-8 {…}` gives its arm's literal with PID-8 as a condition.
//
// At the end, Finish walks the output as the JSON writer writes it (same absent-value rules), so each
// leaf gets the JSON path it has in the written document, and its record: map location, inputs, and the
// terminology decisions on its way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bytecode/program.h"
#include "crosswalk/runtime.h"
#include "value/value.h"

namespace crosswalk::vm {

// For each conditional jump's pc (JMPIF, JMPIFNOT, JMPPRESENT) of `code`: the pc of its immediate
// post-dominator (where its two ways meet again), or kJoinAtReturn when they only meet at the function's
// exit. Other pcs: kJoinAtReturn too (never read).
inline constexpr uint32_t kJoinAtReturn = UINT32_MAX;
std::vector<uint32_t> BranchJoins(const bytecode::Program& code);

class Lineage {
 public:
  // Starts a run: `joins` from BranchJoins(code) (lives as long as the program), `input` the run's input
  // root (JSON inputs: every container of it gets its JSON path). `env` must stay valid for the run.
  void Begin(const bytecode::Program& code, const std::vector<uint32_t>& joins, const ValueEnv& env,
             const Value& input, bool log_phi);

  // Before each instruction of the traced loop. `regs`: the register file (absolute indexes); `base`:
  // the running function's first register; `depth`: frames on the call stack; `function`: the running
  // function; `ret_reg`: the absolute register its RET writes in the caller.
  void Step(uint32_t pc, const Value* regs, uint32_t base, uint32_t depth, uint32_t function, uint32_t ret_reg);

  // A translate's answer, given to absolute register `dest` (after Step ran for that instruction).
  // `result`: "mapped", "mapped as EQUIVALENCE" or "unmapped"; the codes are kept only with log_phi.
  void Translated(uint32_t dest, const std::string& url, std::string_view result, uint32_t pc,
                  std::string_view source_code, std::string_view target_code);

  // Ends a run that returned `result`: fills out->lineage, out->trace and out->lines_run.
  void Finish(const Value* regs, const Value& result, RunOutput* out);

 private:
  struct Source {
    enum class Kind : uint8_t { kV2, kJson, kDecision } kind;
    LineageInput input;            // kV2, kJson
    uint32_t decision = 0;         // kDecision: index into decisions_
  };
  struct Decision {
    LineageDecision info;  // without inputs (filled at Finish)
    uint32_t code_set;     // the code's sources
  };
  // A set of sources: sorted, each element (source id << 1) | is_condition. Set 0 is the empty set.
  using SetId = uint32_t;
  struct Record {
    SetId set;
    uint32_t pc;
  };
  struct CtrlEntry {
    uint32_t depth;
    uint32_t branch_pc;
    uint32_t join;
    SetId cumulative;  // every open condition's sources, as conditions
  };
  struct PendingTerm {  // LOOKUP, LOOKUPP, MEMBER, SUBSUMES: their answer is read at the next Step
    bool active = false;
    uint8_t op = 0;
    uint32_t dest = 0, ref = 0, pc = 0;
    SetId code_set = 0;
    std::string source_code;
  };
  struct PairHash {
    size_t operator()(const std::pair<const void*, uint64_t>& k) const {
      return std::hash<const void*>()(k.first) * 31 + std::hash<uint64_t>()(k.second);
    }
  };
  // Object members are keyed by (object, key); looked up by string_view, without making a string.
  using MemberKey = std::pair<const void*, std::string>;
  using MemberKeyView = std::pair<const void*, std::string_view>;
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const MemberKeyView& k) const {
      return std::hash<const void*>()(k.first) * 31 + std::hash<std::string_view>()(k.second);
    }
    size_t operator()(const MemberKey& k) const { return (*this)(MemberKeyView(k.first, k.second)); }
  };
  struct KeyEqual {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.first == b.first && std::string_view(a.second) == std::string_view(b.second);
    }
  };

  SetId Union(SetId a, SetId b);
  SetId Single(uint32_t source, bool condition);
  SetId AsConditions(SetId s);
  SetId Ctrl() const { return ctrl_.empty() ? 0 : ctrl_.back().cumulative; }
  void Set(uint32_t reg, SetId s);
  // The sources of the value in `reg` where it is used: its shadow, plus its own place when it is an
  // HL7 v2 reference or an input container.
  SetId Use(const Value* regs, uint32_t reg);
  // As Use, and for containers the map built, the sources of what they hold (a few levels down).
  SetId Deep(const Value& v, SetId shadow, int levels);
  uint32_t V2Source(const V2Ref& r);
  uint32_t JsonSource(const std::string& path);
  std::string JsonChildPath(const std::string& parent, std::string_view key) const;
  static void AppendJsonKey(std::string* path, std::string_view key);
  const std::string* InputPath(const void* container) const;
  void IndexInput(const Value& v, const std::string& path, int depth);
  void FinishPendingTerm(const Value* regs);
  void AddDecision(uint32_t dest, LineageDecision info, SetId code_set);
  const Record* ObjRecord(const void* obj, std::string_view key) const;
  const Record* ArrRecord(const void* arr, uint64_t index) const;
  void Locate(uint32_t pc, std::string* file, uint32_t* line, uint32_t* col) const;
  // Output walk (mirrors the JSON writer): returns whether `v` writes anything.
  // Leaves below a container of the input name their own input path (leaf_input_) instead of the
  // container's (drop_).
  bool Walk(const Value& v, std::string* path, Record rec, int depth, RunOutput* out);
  void Emit(const std::string& path, Record rec, RunOutput* out);

  const bytecode::Program* code_ = nullptr;
  const std::vector<uint32_t>* joins_ = nullptr;
  ValueEnv env_;
  bool log_phi_ = false;

  std::vector<Source> sources_;
  std::unordered_map<uint64_t, uint32_t> v2_ids_;
  std::unordered_map<std::string, uint32_t> json_ids_;
  std::unordered_map<std::string, uint32_t> decision_ids_;
  std::vector<Decision> decisions_;
  std::vector<std::vector<uint32_t>> sets_;
  std::vector<SetId> singles_;  // per source: its set as data (2 * id), as a condition (2 * id + 1)
  std::unordered_map<uint64_t, SetId> union_memo_;
  std::unordered_map<SetId, SetId> cond_memo_;
  std::vector<SetId> shadow_;
  std::vector<CtrlEntry> ctrl_;
  std::unordered_map<std::pair<const void*, uint64_t>, Record, PairHash> arr_records_;
  std::unordered_map<MemberKey, Record, KeyHash, KeyEqual> obj_records_;
  std::unordered_map<const void*, std::string> input_paths_;
  std::vector<uint32_t> segment_ordinal_;  // per segment index: its ordinal among segments of its id
  std::unordered_map<std::string, uint32_t> segment_counts_;
  std::vector<uint8_t> ran_;  // per code word: did an instruction start there run
  PendingTerm pending_;
  std::vector<uint32_t> drop_;
  std::vector<uint32_t> emit_ids_;
  const std::string* leaf_input_ = nullptr;
};

}  // namespace crosswalk::vm
