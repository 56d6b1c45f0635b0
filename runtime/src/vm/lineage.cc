// Lineage recording (see lineage.h). Cold code: it runs only when RunOptions::trace is on.
#include "vm/lineage.h"

#include <algorithm>

#include "bytecode/format.h"
#include "bytecode/registers.h"
#include "hl7v2/message.h"
#include "json/json_writer.h"

namespace crosswalk::vm {

using bytecode::Op;

namespace {

// The conditional jumps: the instructions whose join point (where both ways meet again) ends a condition.
// From the opcode table: a jump operand, control may fall through, and no register written (not ITERNEXT).
bool IsBranch(Op op) {
  const bytecode::OpInfo& i = bytecode::Info(op);
  const bool jumps = (i.format == bytecode::Format::E && i.a == bytecode::Operand::kJump) ||
                     (i.format == bytecode::Format::AD && i.b == bytecode::Operand::kJump) ||
                     i.aux == bytecode::Operand::kJump;
  return jumps && !(i.flags & bytecode::kTerminator) &&
         !(i.regs & (bytecode::kDefA | bytecode::kDefA2 | bytecode::kResultA | bytecode::kSomeB));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Branch join points: immediate post-dominators (Cooper, Harvey and Kennedy's iterative algorithm on the
// reversed control-flow graph of each function, over instruction starts).

std::vector<uint32_t> BranchJoins(const bytecode::Program& code) {
  std::vector<uint32_t> joins(code.code.size(), kJoinAtReturn);
  for (const bytecode::Function& f : code.functions) {
    std::vector<uint32_t> starts;
    std::vector<int> index_of(f.code_end - f.code_begin + 1, -1);
    for (uint32_t pc = f.code_begin; pc < f.code_end; pc += bytecode::Length(bytecode::GetOp(code.code[pc]))) {
      index_of[pc - f.code_begin] = static_cast<int>(starts.size());
      starts.push_back(pc);
    }
    const int n = static_cast<int>(starts.size());
    const int exit = n;
    auto node = [&](int64_t pc) {
      if (pc < f.code_begin || pc >= f.code_end) return exit;  // the verifier keeps jumps inside
      int i = index_of[static_cast<size_t>(pc - f.code_begin)];
      return i < 0 ? exit : i;
    };
    std::vector<std::vector<int>> succ(n + 1), pred(n + 1);
    for (int i = 0; i < n; ++i) {
      const uint32_t pc = starts[i];
      const uint32_t insn = code.code[pc];
      const Op op = bytecode::GetOp(insn);
      const int64_t next = pc + bytecode::Length(op);
      const int64_t target = bytecode::JumpTarget(insn, bytecode::HasAux(op) ? code.code[pc + 1] : 0, pc);
      if (!(bytecode::Info(op).flags & bytecode::kTerminator)) succ[i].push_back(node(next));
      if (target >= 0) succ[i].push_back(node(target));
      if (succ[i].empty()) succ[i].push_back(exit);  // RET, FAIL, FAILR: the function ends
      for (int s : succ[i]) pred[s].push_back(i);
    }
    // Post-order of the reversed graph from the exit (iterative DFS over predecessors).
    std::vector<int> order(n + 1, -1), rpo;
    std::vector<std::pair<int, size_t>> stack{{exit, 0}};
    std::vector<char> seen(n + 1, 0);
    seen[exit] = 1;
    int counter = 0;
    while (!stack.empty()) {
      auto& [v, k] = stack.back();
      if (k < pred[v].size()) {
        int w = pred[v][k++];
        if (!seen[w]) {
          seen[w] = 1;
          stack.push_back({w, 0});
        }
      } else {
        order[v] = counter++;
        rpo.push_back(v);
        stack.pop_back();
      }
    }
    std::reverse(rpo.begin(), rpo.end());
    std::vector<int> ipdom(n + 1, -1);
    ipdom[exit] = exit;
    auto intersect = [&](int a, int b) {
      while (a != b) {
        while (order[a] < order[b]) a = ipdom[a];
        while (order[b] < order[a]) b = ipdom[b];
      }
      return a;
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (int v : rpo) {
        if (v == exit) continue;
        int best = -1;
        for (int s : succ[v]) {
          if (ipdom[s] < 0) continue;
          best = best < 0 ? s : intersect(s, best);
        }
        if (best >= 0 && ipdom[v] != best) {
          ipdom[v] = best;
          changed = true;
        }
      }
    }
    for (int i = 0; i < n; ++i) {
      const Op op = bytecode::GetOp(code.code[starts[i]]);
      if (!IsBranch(op)) continue;
      if (ipdom[i] >= 0 && ipdom[i] != exit) joins[starts[i]] = starts[ipdom[i]];
    }
  }
  return joins;
}

// ---------------------------------------------------------------------------------------------------
// Sets of sources

Lineage::SetId Lineage::Union(SetId a, SetId b) {
  if (a == b || b == 0) return a;
  if (a == 0) return b;
  const uint64_t key = a < b ? (uint64_t{a} << 32 | b) : (uint64_t{b} << 32 | a);
  auto it = union_memo_.find(key);
  if (it != union_memo_.end()) return it->second;
  const std::vector<uint32_t>& x = sets_[a];
  const std::vector<uint32_t>& y = sets_[b];
  std::vector<uint32_t> merged;
  merged.reserve(x.size() + y.size());
  std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(merged));
  SetId id;
  if (merged.size() == x.size()) {
    id = a;
  } else if (merged.size() == y.size()) {
    id = b;
  } else {
    id = static_cast<SetId>(sets_.size());
    sets_.push_back(std::move(merged));
  }
  union_memo_.emplace(key, id);
  return id;
}

Lineage::SetId Lineage::Single(uint32_t source, bool condition) { return singles_[2 * source + (condition ? 1 : 0)]; }

Lineage::SetId Lineage::AsConditions(SetId s) {
  if (s == 0) return 0;
  auto it = cond_memo_.find(s);
  if (it != cond_memo_.end()) return it->second;
  SetId out = 0;
  for (uint32_t e : sets_[s]) out = Union(out, Single(e >> 1, true));
  cond_memo_.emplace(s, out);
  return out;
}

void Lineage::Set(uint32_t reg, SetId s) { shadow_[reg] = Union(s, Ctrl()); }

// Sources are numbered as made; each gets its two singleton sets right away (see Single).
#define CW_NEW_SOURCE(src_)                                              \
  do {                                                                   \
    uint32_t id_ = static_cast<uint32_t>(sources_.size());               \
    sources_.push_back(src_);                                            \
    singles_.push_back(static_cast<SetId>(sets_.size()));                \
    sets_.push_back({id_ << 1});                                         \
    singles_.push_back(static_cast<SetId>(sets_.size()));                \
    sets_.push_back({(id_ << 1) | 1});                                   \
  } while (0)

uint32_t Lineage::V2Source(const V2Ref& r) {
  const uint64_t key = uint64_t(static_cast<uint32_t>(r.segment) & 0xFFFFF) | uint64_t{r.field} << 20 |
                       uint64_t{r.rep} << 32 | uint64_t{r.comp} << 48 | uint64_t{r.sub} << 56;
  auto it = v2_ids_.find(key);
  if (it != v2_ids_.end()) return it->second;
  Source s{Source::Kind::kV2, {}, 0};
  LineageInput& in = s.input;
  const int seg = r.segment;
  in.segment = std::string(env_.message->segment_id(seg));
  in.segment_ordinal = segment_ordinal_[seg];
  in.field = r.field;
  in.rep = r.rep;
  in.comp = r.comp;
  in.sub = r.sub;
  in.path = in.segment;
  if (segment_counts_[in.segment] > 1) in.path += "[" + std::to_string(in.segment_ordinal) + "]";
  if (r.field) {
    in.path += "-" + std::to_string(r.field);
    if (r.rep) {
      in.path += "[" + std::to_string(r.rep) + "]";
    } else if (r.comp) {
      in.path += "[1]";  // a component is read from the first repetition
    }
    if (r.comp) in.path += "." + std::to_string(r.comp);
    if (r.sub) in.path += "." + std::to_string(r.sub);
  }
  uint32_t id = static_cast<uint32_t>(sources_.size());
  CW_NEW_SOURCE(std::move(s));
  v2_ids_.emplace(key, id);
  return id;
}

uint32_t Lineage::JsonSource(const std::string& path) {
  auto it = json_ids_.find(path);
  if (it != json_ids_.end()) return it->second;
  Source s{Source::Kind::kJson, {}, 0};
  s.input.path = path;
  uint32_t id = static_cast<uint32_t>(sources_.size());
  CW_NEW_SOURCE(std::move(s));
  json_ids_.emplace(path, id);
  return id;
}

void Lineage::AppendJsonKey(std::string* path, std::string_view key) {
  bool plain = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
  }
  if (plain) {
    path->append(".").append(key);
    return;
  }
  path->append("[\"");
  for (char c : key) {
    if (c == '"' || c == '\\') *path += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      path->append("\\u00");
      *path += kHex[(c >> 4) & 0xF];
      *path += kHex[c & 0xF];
      continue;
    }
    *path += c;
  }
  path->append("\"]");
}

std::string Lineage::JsonChildPath(const std::string& parent, std::string_view key) const {
  std::string out = parent;
  AppendJsonKey(&out, key);
  return out;
}

const std::string* Lineage::InputPath(const void* container) const {
  auto it = input_paths_.find(container);
  return it == input_paths_.end() ? nullptr : &it->second;
}

void Lineage::IndexInput(const Value& v, const std::string& path, int depth) {
  if (depth > 512) return;  // deeper than any reader allows
  if (v.kind == ValueKind::kObject && v.obj != nullptr) {
    input_paths_.emplace(v.obj, path);
    for (uint32_t i = 0; i < v.obj->size; ++i) {
      const Value& m = v.obj->members[i].value;
      if (m.kind == ValueKind::kObject || m.kind == ValueKind::kArray) {
        IndexInput(m, JsonChildPath(path, v.obj->members[i].key), depth + 1);
      }
    }
  } else if (v.kind == ValueKind::kArray && v.arr != nullptr) {
    input_paths_.emplace(v.arr, path);
    for (uint32_t i = 0; i < v.arr->size; ++i) {
      const Value& m = v.arr->items[i];
      if (m.kind == ValueKind::kObject || m.kind == ValueKind::kArray) {
        IndexInput(m, path + "[" + std::to_string(i) + "]", depth + 1);
      }
    }
  }
}

Lineage::SetId Lineage::Use(const Value* regs, uint32_t reg) {
  const Value& v = regs[reg];
  SetId s = shadow_[reg];
  if (v.kind == ValueKind::kV2 && env_.message != nullptr) return Union(s, Single(V2Source(v.v2), false));
  if (v.kind == ValueKind::kObject || v.kind == ValueKind::kArray) {
    if (const std::string* path = InputPath(v.kind == ValueKind::kObject ? static_cast<const void*>(v.obj)
                                                                         : static_cast<const void*>(v.arr))) {
      return Union(s, Single(JsonSource(*path), false));
    }
  }
  return s;
}

Lineage::SetId Lineage::Deep(const Value& v, SetId s, int levels) {
  if (levels == 0) return s;
  auto item = [&](const Value& x, const Record* rec) {
    if (rec != nullptr) s = Union(s, rec->set);
    if (x.kind == ValueKind::kV2 && env_.message != nullptr) s = Union(s, Single(V2Source(x.v2), false));
    if (x.kind == ValueKind::kArray || x.kind == ValueKind::kObject) s = Deep(x, s, levels - 1);
  };
  if (v.kind == ValueKind::kArray && v.arr != nullptr && InputPath(v.arr) == nullptr) {
    for (uint32_t i = 0; i < v.arr->size; ++i) item(v.arr->items[i], ArrRecord(v.arr, i));
  } else if (v.kind == ValueKind::kObject && v.obj != nullptr && InputPath(v.obj) == nullptr) {
    for (uint32_t i = 0; i < v.obj->size; ++i) item(v.obj->members[i].value, ObjRecord(v.obj, v.obj->members[i].key));
  }
  return s;
}

const Lineage::Record* Lineage::ObjRecord(const void* obj, std::string_view key) const {
  auto it = obj_records_.find(MemberKeyView(obj, key));
  return it == obj_records_.end() ? nullptr : &it->second;
}

const Lineage::Record* Lineage::ArrRecord(const void* arr, uint64_t index) const {
  auto it = arr_records_.find({arr, index});
  return it == arr_records_.end() ? nullptr : &it->second;
}

void Lineage::Locate(uint32_t pc, std::string* file, uint32_t* line, uint32_t* col) const {
  const auto& lines = code_->lines;
  auto it = std::upper_bound(lines.begin(), lines.end(), pc,
                             [](uint32_t p, const bytecode::LineEntry& e) { return p < e.pc; });
  if (it == lines.begin()) return;
  --it;
  if (it->file < code_->files.size()) *file = code_->files[it->file];
  *line = it->line;
  *col = it->col;
}

// ---------------------------------------------------------------------------------------------------
// The run

void Lineage::Begin(const bytecode::Program& code, const std::vector<uint32_t>& joins, const ValueEnv& env,
                    const Value& input, bool log_phi) {
  code_ = &code;
  joins_ = &joins;
  env_ = env;
  log_phi_ = log_phi;
  sources_.clear();
  v2_ids_.clear();
  json_ids_.clear();
  decision_ids_.clear();
  decisions_.clear();
  sets_.assign(1, {});
  singles_.clear();
  union_memo_.clear();
  cond_memo_.clear();
  shadow_.assign(256, 0);
  ctrl_.clear();
  arr_records_.clear();
  obj_records_.clear();
  input_paths_.clear();
  segment_ordinal_.clear();
  segment_counts_.clear();
  ran_.assign(code.code.size(), 0);
  pending_ = PendingTerm{};
  if (env.message != nullptr) {
    for (int seg = 0; seg < env.message->segment_count(); ++seg) {
      segment_ordinal_.push_back(++segment_counts_[std::string(env.message->segment_id(seg))]);
    }
  } else {
    IndexInput(input, "$", 0);
  }
}

void Lineage::AddDecision(uint32_t dest, LineageDecision info, SetId code_set) {
  std::string key = info.op + '\n' + info.url + '\n' + info.result + '\n' + std::to_string(info.line) + ':' +
                    std::to_string(info.col) + '\n' + std::to_string(code_set) + '\n' + info.source_code + '\n' +
                    info.target_code;
  uint32_t id;
  auto it = decision_ids_.find(key);
  if (it != decision_ids_.end()) {
    id = it->second;
  } else {
    decisions_.push_back({std::move(info), code_set});
    Source s{Source::Kind::kDecision, {}, static_cast<uint32_t>(decisions_.size() - 1)};
    id = static_cast<uint32_t>(sources_.size());
    CW_NEW_SOURCE(std::move(s));
    decision_ids_.emplace(std::move(key), id);
  }
  shadow_[dest] = Union(shadow_[dest], Single(id, false));
}

void Lineage::Translated(uint32_t dest, const std::string& url, std::string_view result, uint32_t pc,
                         std::string_view source_code, std::string_view target_code) {
  LineageDecision d;
  d.op = "translate";
  d.url = url;
  d.result = std::string(result);
  Locate(pc, &d.map_file, &d.line, &d.col);
  if (log_phi_) {
    d.source_code = std::string(source_code);
    d.target_code = std::string(target_code);
  }
  // Step set the destination's shadow to the code's sources (and the open conditions).
  AddDecision(dest, std::move(d), shadow_[dest]);
}

void Lineage::FinishPendingTerm(const Value* regs) {
  pending_.active = false;
  const Value r = regs[pending_.dest];
  LineageDecision d;
  d.url = code_->term_refs[pending_.ref].url;
  const bool present = !IsEmpty(env_, r);
  switch (static_cast<Op>(pending_.op)) {
    case Op::LOOKUP:
    case Op::LOOKUPP:
      d.op = "lookup";
      d.result = present ? "found" : "not found";
      break;
    case Op::MEMBER:
      d.op = "member";
      d.result = r.kind == ValueKind::kBool && r.b ? "member" : "not member";
      break;
    default:
      d.op = "subsumes";
      d.result = r.kind == ValueKind::kString ? std::string(r.string()) : "not found";
      break;
  }
  Locate(pending_.pc, &d.map_file, &d.line, &d.col);
  if (log_phi_) d.source_code = pending_.source_code;
  AddDecision(pending_.dest, std::move(d), pending_.code_set);
}

void Lineage::Step(uint32_t pc, const Value* regs, uint32_t base, uint32_t depth, uint32_t function,
                   uint32_t ret_reg) {
  using bytecode::GetA;
  using bytecode::GetB;
  using bytecode::GetC;
  if (pending_.active) FinishPendingTerm(regs);
  while (!ctrl_.empty() && (ctrl_.back().depth > depth || (ctrl_.back().depth == depth && ctrl_.back().join == pc))) {
    ctrl_.pop_back();
  }
  ran_[pc] = 1;
  const auto& functions = code_->functions;
  const size_t frame_end = size_t{base} + functions[function].num_registers;
  if (shadow_.size() < frame_end) shadow_.resize(frame_end * 2);
  const uint32_t insn = code_->code[pc];
  const Op op = bytecode::GetOp(insn);
  const uint32_t aux = bytecode::HasAux(op) ? code_->code[pc + 1] : 0;
  const uint32_t a = base + GetA(insn), b = base + GetB(insn), c = base + GetC(insn);
  auto deref = [&](const Value& v) { return v.kind == ValueKind::kV2 ? Deref(env_, v) : v; };
  auto start_term = [&](SetId code_set) {
    pending_.active = true;
    pending_.op = static_cast<uint8_t>(op);
    pending_.dest = a;
    pending_.ref = aux;
    pending_.pc = pc;
    pending_.code_set = code_set;
    pending_.source_code.clear();
    if (log_phi_) {
      Value code_value = deref(regs[b]);
      if (!IsEmpty(env_, code_value)) pending_.source_code = std::string(ToString(env_, code_value));
    }
  };
  switch (op) {
    case Op::ITERINDEX:
      Set(a, 0);  // a position: it depends on no value
      break;
    case Op::SETK: {
      const Value& obj = regs[a];
      if (obj.kind != ValueKind::kObject) break;
      if (IsEmpty(env_, deref(regs[b]))) break;
      obj_records_[{obj.obj, code_->constants[aux].s}] = {Union(Use(regs, b), Ctrl()), pc};
      break;
    }
    case Op::APPEND:
    case Op::APPENDP: {
      const Value& arr = regs[a];
      if (arr.kind != ValueKind::kArray) break;
      uint64_t index = arr.arr->size;
      const Value& v = regs[b];
      // The items the VM keeps: APPEND drops what reads as empty, APPENDP what is empty as a place.
      auto kept = [&](const Value& x) { return !IsEmpty(env_, op == Op::APPEND ? deref(x) : x); };
      if (v.kind == ValueKind::kArray) {
        const std::string* input_path = InputPath(v.arr);
        for (uint32_t i = 0; i < v.arr->size; ++i) {
          const Value& item = v.arr->items[i];
          if (!kept(item)) continue;
          Record rec{shadow_[b], pc};
          if (const Record* r = ArrRecord(v.arr, i)) {
            rec = *r;
          } else if (input_path != nullptr) {
            rec.set = Union(rec.set, Single(JsonSource(*input_path + "[" + std::to_string(i) + "]"), false));
          }
          if (item.kind == ValueKind::kV2 && env_.message != nullptr) {
            rec.set = Union(rec.set, Single(V2Source(item.v2), false));
          }
          rec.set = Union(rec.set, Ctrl());
          arr_records_[{arr.arr, index++}] = rec;
        }
      } else if (kept(v)) {
        arr_records_[{arr.arr, index}] = {Union(Use(regs, b), Ctrl()), pc};
      }
      break;
    }
    case Op::GETK: {
      const Value& o = regs[b];
      SetId s = shadow_[b];
      if (o.kind == ValueKind::kObject) {
        std::string_view key = code_->constants[aux].s;
        if (const std::string* path = InputPath(o.obj)) {
          Value m = ObjectGet(o.obj, key);
          if (m.kind != ValueKind::kAbsent && m.kind != ValueKind::kObject && m.kind != ValueKind::kArray) {
            s = Union(s, Single(JsonSource(JsonChildPath(*path, key)), false));
          }
        } else if (const Record* r = ObjRecord(o.obj, key)) {
          s = r->set;
        }
      }
      Set(a, s);
      break;
    }
    case Op::GETI: {
      const Value& o = regs[b];
      const Value idx = deref(regs[c]);
      SetId s = Union(shadow_[b], Use(regs, c));
      if (o.kind == ValueKind::kArray && idx.kind == ValueKind::kInt && idx.i >= 0 &&
          static_cast<uint64_t>(idx.i) < o.arr->size) {
        const Value& item = o.arr->items[idx.i];
        if (const std::string* path = InputPath(o.arr)) {
          if (item.kind != ValueKind::kObject && item.kind != ValueKind::kArray) {
            s = Union(s, Single(JsonSource(*path + "[" + std::to_string(idx.i) + "]"), false));
          }
        } else if (const Record* r = ArrRecord(o.arr, static_cast<uint64_t>(idx.i))) {
          s = Union(s, r->set);
        }
      } else if (o.kind == ValueKind::kObject && idx.kind == ValueKind::kString) {
        if (const std::string* path = InputPath(o.obj)) {
          Value m = ObjectGet(o.obj, idx.string());
          if (m.kind != ValueKind::kAbsent && m.kind != ValueKind::kObject && m.kind != ValueKind::kArray) {
            s = Union(s, Single(JsonSource(JsonChildPath(*path, idx.string())), false));
          }
        } else if (const Record* r = ObjRecord(o.obj, idx.string())) {
          s = Union(s, r->set);
        }
      }
      Set(a, s);
      break;
    }
    case Op::ITERPREP:
      Set(a, shadow_[b]);
      Set(a + 1, 0);
      break;
    case Op::ITERNEXT: {
      const Value& items = regs[a];
      const int64_t i = regs[a + 1].i;
      if (items.kind != ValueKind::kArray || i < 0 || static_cast<uint64_t>(i) >= items.arr->size) break;
      const Value& item = items.arr->items[i];
      SetId s = shadow_[a];
      if (const Record* r = ArrRecord(items.arr, static_cast<uint64_t>(i))) {
        s = Union(s, r->set);
      } else if (const std::string* path = InputPath(items.arr)) {
        if (item.kind != ValueKind::kObject && item.kind != ValueKind::kArray) {
          s = Union(s, Single(JsonSource(*path + "[" + std::to_string(i) + "]"), false));
        }
      }
      Set(b, s);
      break;
    }
    case Op::MERGE: {
      const Value& dst = regs[a];
      const Value& src = regs[b];
      if (dst.kind != ValueKind::kObject || src.kind != ValueKind::kObject) break;
      const std::string* input_path = InputPath(src.obj);
      for (uint32_t i = 0; i < src.obj->size; ++i) {
        const Member& m = src.obj->members[i];
        if (IsEmpty(env_, deref(m.value))) continue;
        Record rec{shadow_[b], pc};
        if (const Record* r = ObjRecord(src.obj, m.key)) {
          rec = *r;
        } else if (input_path != nullptr && m.value.kind != ValueKind::kObject && m.value.kind != ValueKind::kArray) {
          rec.set = Union(rec.set, Single(JsonSource(JsonChildPath(*input_path, m.key)), false));
        }
        rec.set = Union(rec.set, Ctrl());
        obj_records_[{dst.obj, std::string(m.key)}] = rec;
      }
      break;
    }
    case Op::CALL: {
      // The callee's frame starts at the argument run R[B] (as the VM's).
      const bytecode::Function& callee = functions[aux];
      if (shadow_.size() < size_t{b} + callee.num_registers) shadow_.resize((size_t{b} + callee.num_registers) * 2);
      const uint32_t n = GetC(insn);
      for (uint32_t i = 0; i < callee.num_registers; ++i) {
        shadow_[b + i] = i < n ? Union(shadow_[b + i], Ctrl()) : 0;
      }
      break;
    }
    case Op::CALLB: {
      SetId s = 0;
      for (uint32_t i = 0; i < GetC(insn); ++i) s = Union(s, Deep(regs[b + i], Use(regs, b + i), 3));
      Set(a, s);
      break;
    }
    case Op::RET:
      if (depth > 1) shadow_[ret_reg] = Union(shadow_[a], Ctrl());
      break;
    case Op::TRANSLATEX:
      Set(a, Union(Use(regs, b), Deep(regs[b + 1], Use(regs, b + 1), 3)));
      break;
    case Op::LOOKUP: {
      SetId code_set = Use(regs, b);
      start_term(code_set);
      Set(a, code_set);
      break;
    }
    case Op::MEMBER: {
      SetId code_set = Union(Use(regs, b), Use(regs, c));
      start_term(code_set);
      Set(a, code_set);
      break;
    }
    case Op::SUBSUMES:
    case Op::LOOKUPP: {
      SetId code_set = Union(Use(regs, b), Use(regs, b + 1));
      start_term(code_set);
      Set(a, code_set);
      break;
    }
    case Op::SETKK: {  // SETK of constant K[D]: its lineage is the control's alone
      const Value& obj = regs[a];
      const bytecode::Constant& k = code_->constants[bytecode::GetD(insn)];
      if (obj.kind != ValueKind::kObject) break;
      if (k.tag == bytecode::Constant::Tag::kNull || (k.tag == bytecode::Constant::Tag::kString && k.s.empty())) break;
      obj_records_[{obj.obj, code_->constants[aux].s}] = {Ctrl(), pc};
      break;
    }
    default: {
      // The rest by the opcode table (REGS): a branch adds the registers it tests to the control; a result
      // depends on the registers read (or is the place R[B] names: a move, a step into the input).
      const uint16_t roles = bytecode::Info(op).regs;
      if (IsBranch(op)) {
        // A loop that comes back to this branch before its join closes the earlier entry.
        for (size_t i = ctrl_.size(); i-- > 0 && ctrl_[i].depth == depth;) {
          if (ctrl_[i].branch_pc == pc) {
            ctrl_.resize(i);
            break;
          }
        }
        const bool two = roles & bytecode::kUseB;  // compares two registers
        SetId cond = AsConditions(two ? Union(Use(regs, a), Use(regs, b)) : Use(regs, a));
        ctrl_.push_back({depth, pc, (*joins_)[pc], Union(Ctrl(), cond)});
      } else if (roles & (bytecode::kDefA | bytecode::kResultA)) {
        SetId s = 0;
        if (roles & bytecode::kPlace) {
          s = shadow_[b];
        } else if (roles & bytecode::kUseBN) {
          for (uint32_t i = 0; i < GetC(insn); ++i) s = Union(s, Use(regs, b + i));
        } else if ((roles & bytecode::kUseB) && (roles & bytecode::kUseC)) {
          s = Union(Use(regs, b), Use(regs, c));
        } else if (roles & bytecode::kUseB) {
          s = Use(regs, b);
        }
        Set(a, s);
      }
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The output walk

void Lineage::Emit(const std::string& path, Record rec, RunOutput* out) {
  LineageRecord r;
  r.output_path = path;
  Locate(rec.pc, &r.map_file, &r.line, &r.col);
  std::vector<uint32_t>& ids = emit_ids_;  // source id of each of r.inputs (a value has few)
  ids.clear();
  auto add_input = [&](uint32_t src, bool condition) -> uint32_t {
    auto it = std::find(ids.begin(), ids.end(), src);
    if (it != ids.end()) return static_cast<uint32_t>(it - ids.begin());
    uint32_t at = static_cast<uint32_t>(r.inputs.size());
    r.inputs.push_back(sources_[src].input);
    (condition ? r.condition_inputs : r.data_inputs).push_back(at);
    ids.push_back(src);
    return at;
  };
  std::vector<uint32_t> seen_decisions;
  // Data first, so that a source that is both data and condition is listed as data.
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t e : sets_[rec.set]) {
      const bool condition = (e & 1) != 0;
      if (condition != (pass == 1)) continue;
      const uint32_t src = e >> 1;
      if (std::find(drop_.begin(), drop_.end(), src) != drop_.end()) continue;
      const Source& s = sources_[src];
      if (s.kind != Source::Kind::kDecision) {
        add_input(src, condition);
        continue;
      }
      if (std::find(seen_decisions.begin(), seen_decisions.end(), s.decision) != seen_decisions.end()) continue;
      seen_decisions.push_back(s.decision);
      const Decision& d = decisions_[s.decision];
      LineageDecision info = d.info;
      for (uint32_t ce : sets_[d.code_set]) {
        const Source& cs = sources_[ce >> 1];
        if (cs.kind == Source::Kind::kDecision) continue;  // a code that is itself a translation
        uint32_t at = add_input(ce >> 1, condition || (ce & 1) != 0);
        if (std::find(info.inputs.begin(), info.inputs.end(), at) == info.inputs.end()) info.inputs.push_back(at);
      }
      r.decisions.push_back(std::move(info));
    }
  }
  if (leaf_input_ != nullptr) add_input(JsonSource(*leaf_input_), false);
  out->lineage.push_back(std::move(r));
}

bool Lineage::Walk(const Value& v, std::string* path, Record rec, int depth, RunOutput* out) {
  if (depth > 512) return false;
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull:
    case ValueKind::kGroup:
      return false;
    case ValueKind::kString:
      if (v.len == 0) return false;
      [[fallthrough]];
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kDecimal:
      Emit(*path, rec, out);
      return true;
    case ValueKind::kV2: {
      Value d = Deref(env_, v);
      if (d.kind == ValueKind::kV2 || env_.message == nullptr) return false;
      rec.set = Union(rec.set, Single(V2Source(v.v2), false));
      return Walk(d, path, rec, depth + 1, out);
    }
    case ValueKind::kArray:
    case ValueKind::kObject:
      break;
  }
  const bool is_array = v.kind == ValueKind::kArray;
  const void* container = is_array ? static_cast<const void*>(v.arr) : static_cast<const void*>(v.obj);
  if (container == nullptr) return false;
  const std::string* input_path = InputPath(container);
  const size_t dropped = drop_.size();
  if (input_path != nullptr) {
    auto it = json_ids_.find(*input_path);
    if (it != json_ids_.end()) drop_.push_back(it->second);  // leaves below name their own paths
  }
  const size_t mark = out->lineage.size();
  const size_t path_len = path->size();
  uint32_t written = 0;
  const uint32_t n = is_array ? v.arr->size : v.obj->size;
  for (uint32_t i = 0; i < n; ++i) {
    const Value& item = is_array ? v.arr->items[i] : v.obj->members[i].value;
    if (item.kind == ValueKind::kAbsent) continue;
    std::string_view key = is_array ? std::string_view() : v.obj->members[i].key;
    if (is_array) {
      path->append("[").append(std::to_string(written)).append("]");
    } else {
      AppendJsonKey(path, key);
    }
    Record child = rec;
    if (const Record* r = is_array ? ArrRecord(container, i) : ObjRecord(container, key)) child = *r;
    std::string leaf_path;
    const std::string* saved_leaf = leaf_input_;
    if (input_path != nullptr && item.kind != ValueKind::kObject && item.kind != ValueKind::kArray) {
      leaf_path = is_array ? *input_path + "[" + std::to_string(i) + "]" : JsonChildPath(*input_path, key);
      leaf_input_ = &leaf_path;
    }
    if (Walk(item, path, child, depth + 1, out)) ++written;
    leaf_input_ = saved_leaf;
    path->resize(path_len);
  }
  drop_.resize(dropped);
  if (written == 0) {
    out->lineage.resize(mark);
    return false;
  }
  return true;
}

void Lineage::Finish(const Value* regs, const Value& result, RunOutput* out) {
  if (pending_.active) FinishPendingTerm(regs);
  std::string path = "$";
  drop_.clear();
  leaf_input_ = nullptr;
  Walk(result, &path, Record{0, 0}, 0, out);

  // The readable view.
  for (const LineageRecord& r : out->lineage) {
    std::string line = r.output_path + " <- " + r.map_file + ":" + std::to_string(r.line) + ":" + std::to_string(r.col);
    auto list = [&](const char* word, const std::vector<uint32_t>& which) {
      if (which.empty()) return;
      line += word;
      for (size_t i = 0; i < which.size(); ++i) line += (i ? ", " : "") + r.inputs[which[i]].path;
    };
    list(" from ", r.data_inputs);
    list(" when ", r.condition_inputs);
    for (const LineageDecision& d : r.decisions) {
      line += " [" + d.op + " via " + d.url + ": " + d.result + " at " + d.map_file + ":" + std::to_string(d.line) +
              ":" + std::to_string(d.col) + "]";
    }
    out->trace.push_back(std::move(line));
  }

  // The map lines whose code ran.
  const auto& lines = code_->lines;
  for (size_t i = 0; i < lines.size(); ++i) {
    const uint32_t end = i + 1 < lines.size() ? lines[i + 1].pc : static_cast<uint32_t>(ran_.size());
    bool ran = false;
    for (uint32_t pc = lines[i].pc; pc < end && pc < ran_.size() && !ran; ++pc) ran = ran_[pc] != 0;
    if (ran && lines[i].file < code_->files.size()) out->lines_run.push_back({code_->files[lines[i].file], lines[i].line});
  }
  std::sort(out->lines_run.begin(), out->lines_run.end());
  out->lines_run.erase(std::unique(out->lines_run.begin(), out->lines_run.end()), out->lines_run.end());
}

#undef CW_NEW_SOURCE

}  // namespace crosswalk::vm
