// The interpreter loop and the public Runtime / Program / RunContext.
//
// The loop is written once with CW_DISPATCH / CW_CASE / CW_NEXT, which expand to computed goto under GCC and
// Clang (CW_USE_COMPUTED_GOTO, default on) and to a switch otherwise. pc, the register base and the
// constant pool are hoisted into locals and reloaded after calls. The loop never throws: a failing
// instruction records the error and leaves through one exit, with pc saved for the debug line table.
#include "crosswalk/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>

#include "bytecode/builtin_table.h"
#include "bytecode/format.h"
#include "bytecode/program.h"
#include "bytecode/reader.h"
#include "bytecode/registers.h"
#include "bytecode/writer.h"
#include "common/check.h"
#include "common/cpu_clock.h"
#include "crosswalk/terminology.h"
#include "hl7v2/framing.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"
#include "json/json_reader.h"
#include "json/json_writer.h"
#include "value/arena.h"
#include "value/value.h"
#include "vm/builtins.h"
#include "vm/call_memo.h"
#include "vm/er7_output.h"
#include "vm/lineage.h"

#ifndef CW_USE_COMPUTED_GOTO
#if defined(__GNUC__) || defined(__clang__)
#define CW_USE_COMPUTED_GOTO 1
#else
#define CW_USE_COMPUTED_GOTO 0
#endif
#endif

namespace crosswalk {

using bytecode::Op;
using vm::Value;
using vm::ValueKind;

// ---------------------------------------------------------------------------------------------------
// Program

class Program::Impl {
 public:
  bytecode::Program code;
  // Decoded constant pool. Strings point into `quoted` (those that need no JSON escaping, written out
  // with one memcpy: see JsonWriteOptions::quoted) or into `code.constants`.
  std::vector<Value> constants;
  std::string quoted;
  // The store the program is bound to (nullptr when the program uses no terminology).
  term::Store* store = nullptr;
  // Per term ref: its canonical "url" or "url|version", as the store takes it.
  std::vector<std::string> term_canonical;
  // Terminology drift allowed at load (RuntimeOptions::allow_terminology_drift), one line per resource.
  std::vector<std::string> term_warnings;
  // Per function: the registers a CALL clears, [num_params, clear_to) (bytecode::RegistersReadBeforeWritten:
  // the ones above are written before any read, on every path).
  std::vector<uint32_t> clear_to;
  // Per function: are its calls remembered for the message (vm::ReusableFunctions)?
  std::vector<uint8_t> reusable;
  // Lineage (RunOptions::trace) needs each branch's join point: computed by the first traced run.
  mutable std::once_flag joins_once;
  mutable std::vector<uint32_t> branch_joins;
  const std::vector<uint32_t>& BranchJoins() const {
    std::call_once(joins_once, [this] { branch_joins = vm::BranchJoins(code); });
    return branch_joins;
  }

  // The debug line table's entry for pc, or null.
  const bytecode::LineEntry* LineOf(uint32_t pc) const {
    const auto& lines = code.lines;
    auto it = std::upper_bound(lines.begin(), lines.end(), pc,
                               [](uint32_t p, const bytecode::LineEntry& e) { return p < e.pc; });
    return it == lines.begin() ? nullptr : &*(it - 1);
  }
  // The map file of a line entry ("" when the table does not name one).
  std::string_view FileOf(const bytecode::LineEntry& e) const {
    return e.file < code.files.size() ? std::string_view(code.files[e.file]) : std::string_view();
  }

  // The map location of pc (from the debug line table).
  void Locate(uint32_t pc, ErrorContext* ctx) const {
    const bytecode::LineEntry* e = LineOf(pc);
    if (e == nullptr) return;
    ctx->map_file = FileOf(*e);
    ctx->map_line = e->line;
    ctx->map_col = e->col;
    ctx->pc = pc;
    for (const auto& f : code.functions) {
      if (pc >= f.code_begin && pc < f.code_end) ctx->function = f.name;
    }
  }
};

Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::~Program() = default;

std::vector<Program::MapInfo> Program::maps() const {
  std::vector<MapInfo> out;
  auto kind = [](bytecode::Kind k) -> std::string {
    switch (k) {
      case bytecode::Kind::kHl7v2: return "hl7v2";
      case bytecode::Kind::kFhir: return "fhir";
      default: return "json";
    }
  };
  for (const auto& m : impl_->code.maps) out.push_back({m.name, kind(m.source), m.message_type, kind(m.target)});
  return out;
}

std::vector<std::string> Program::terminology() const { return impl_->term_canonical; }
std::vector<std::string> Program::terminology_warnings() const { return impl_->term_warnings; }

std::vector<SourceLine> Program::source_lines() const {
  std::vector<SourceLine> out;
  for (const auto& e : impl_->code.lines) {
    if (e.file < impl_->code.files.size()) out.push_back({impl_->code.files[e.file], e.line});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Runtime

class Runtime::Impl {
 public:
  std::unique_ptr<term::Store> store;
  bool allow_terminology_drift = false;
};

namespace {

std::string HashPrefix(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 12);
}

// The store's kind of resource a term ref names.
term::ResourceKind KindOf(bytecode::TermRef::Type type) {
  switch (type) {
    case bytecode::TermRef::Type::kConceptMap: return term::ResourceKind::kConceptMap;
    case bytecode::TermRef::Type::kCodeSystem: return term::ResourceKind::kCodeSystem;
    case bytecode::TermRef::Type::kValueSet: break;
  }
  return term::ResourceKind::kValueSet;
}

// Binds the program's term refs to the store (docs/terminology.md, "Reproducible binding"). Without
// bindings (compiled without a store), each ref must be in the store. With them, each ref runs against the
// version it was compiled against (pinned here), whose content must hash as it did then; otherwise the
// load is refused, or with `allow_drift` a warning is recorded (and a missing version falls back to the
// ref as written).
Status BindForLoad(term::Store& store, bool allow_drift, bytecode::Program& code,
                   std::vector<std::string>* warnings) {
  for (size_t i = 0; i < code.term_refs.size(); ++i) {
    bytecode::TermRef& t = code.term_refs[i];
    term::ResourceKind kind = KindOf(t.type);
    std::string kind_name(term::ResourceKindName(kind));
    auto lacks = [&](const Status& s) {
      return FailedPrecondition("the terminology store lacks " + kind_name + " '" + t.url +
                                "' that the program uses: " + std::string(s.message()));
    };
    if (code.term_bindings.empty()) {
      Status s = store.CheckHas(kind, t.url, t.version);
      if (!s.ok()) return lacks(s);
      continue;
    }
    const bytecode::TermBinding& b = code.term_bindings[i];
    std::string name = kind_name + " '" + t.url + "|" + b.version + "'";
    auto bound = store.Bind(kind, t.url, b.version);
    if (!bound.ok()) {
      if (bound.status().code() != StatusCode::kNotFound) return bound.status();
      std::string what = "terminology drift: " + name +
                         ", which the program was compiled against, is not in the terminology store";
      if (!allow_drift) {
        return FailedPrecondition(what + " (recompile against this store, or allow drift: --allow-term-drift)");
      }
      Status s = store.CheckHas(kind, t.url, t.version);
      if (!s.ok()) return lacks(s);
      warnings->push_back(what + "; using " + (t.version.empty() ? "the current version" : "version " + t.version));
      continue;
    }
    if (bound->content_hash != b.content_hash) {
      std::string what = "terminology drift: " + name +
                         " (or a resource it reaches) differs from what the program was compiled against" +
                         " (content hash expected " + HashPrefix(b.content_hash) + ", found " +
                         HashPrefix(bound->content_hash) + ")";
      if (!allow_drift) {
        return FailedPrecondition(what + "; recompile against this store, or allow drift (--allow-term-drift)");
      }
      warnings->push_back(what);
    }
    t.version = b.version;  // runs against the version it was compiled against, even if no longer current
  }
  return Status::Ok();
}

}  // namespace

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::Create(const RuntimeOptions& options) noexcept {
  try {
    auto impl = std::make_unique<Impl>();
    if (!options.terminology_dir.empty()) {
      term::OpenOptions o;
      o.read_only = true;
      o.create_if_missing = false;
      // Bounded by default; SIZE_MAX asks for no bound (the VM copies answers into the run's arena either way).
      size_t bound = options.terminology_cache_bytes == 0 ? RuntimeOptions::kDefaultTerminologyCacheBytes
                                                          : options.terminology_cache_bytes;
      o.max_cache_bytes = bound == SIZE_MAX ? 0 : bound;
      auto store = term::Store::Open(options.terminology_dir, o);
      if (!store.ok()) return store.status();
      impl->store = std::move(store).value();
    }
    impl->allow_terminology_drift = options.allow_terminology_drift;
    return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return LimitExceeded("out of memory creating the runtime");
  } catch (const std::exception& e) {
    return Internal(std::string("creating the runtime: ") + e.what());
  }
}

Result<std::shared_ptr<const Program>> Runtime::Load(std::string_view bytes) const noexcept {
  try {
    auto read = bytecode::ReadProgram(bytes);
    if (!read.ok()) return read.status();
    auto impl = std::make_unique<Program::Impl>();
    impl->code = std::move(read).value();
    impl->clear_to = bytecode::RegistersReadBeforeWritten(impl->code);
    impl->reusable = vm::ReusableFunctions(impl->code);
    std::vector<std::string_view> strings;
    for (const auto& c : impl->code.constants) strings.emplace_back(c.s);
    const std::vector<std::string_view> quoted = vm::QuoteConstants(strings, &impl->quoted);
    for (const auto& c : impl->code.constants) {
      switch (c.tag) {
        case bytecode::Constant::Tag::kNull: impl->constants.push_back(Value::Null()); break;
        case bytecode::Constant::Tag::kBool: impl->constants.push_back(Value::Bool(c.i != 0)); break;
        case bytecode::Constant::Tag::kInt: impl->constants.push_back(Value::Int(c.i)); break;
        case bytecode::Constant::Tag::kDecimal: impl->constants.push_back(Value::Decimal(c.i, c.scale)); break;
        case bytecode::Constant::Tag::kString:
          impl->constants.push_back(Value::String(quoted[impl->constants.size()]));
          break;
      }
    }
    // Bind terminology: every resource the program names must be in the store.
    if (!impl->code.term_refs.empty()) {
      if (!impl_->store) {
        const auto& t = impl->code.term_refs.front();
        return FailedPrecondition("the program uses terminology (" + t.url +
                                  ") but no terminology store is open (use --term DIR)");
      }
      Status bound = BindForLoad(*impl_->store, impl_->allow_terminology_drift, impl->code, &impl->term_warnings);
      if (!bound.ok()) return bound;
      impl->store = impl_->store.get();
      for (const auto& t : impl->code.term_refs) {
        impl->term_canonical.push_back(t.version.empty() ? t.url : t.url + "|" + t.version);
      }
    }
    return std::shared_ptr<const Program>(new Program(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return LimitExceeded("out of memory loading the program");
  } catch (const std::exception& e) {
    return Internal(std::string("loading the program: ") + e.what());
  }
}

Result<std::string> Runtime::BindTerminology(std::string_view bytes) const noexcept {
  try {
    auto read = bytecode::ReadProgram(bytes);
    if (!read.ok()) return read.status();
    bytecode::Program code = std::move(read).value();
    if (code.term_refs.empty()) return std::string(bytes);
    if (!impl_->store) {
      return FailedPrecondition("the program uses terminology (" + code.term_refs.front().url +
                                ") but no terminology store is open to bind it to");
    }
    // Every missing resource is named, so that one compile reports them all.
    code.term_bindings.clear();
    std::string missing;
    for (const bytecode::TermRef& t : code.term_refs) {
      auto bound = impl_->store->Bind(KindOf(t.type), t.url, t.version);
      if (!bound.ok()) {
        if (bound.status().code() != StatusCode::kNotFound) return bound.status();
        missing += (missing.empty() ? "" : "; ") + std::string(bound.status().message());
        continue;
      }
      code.term_bindings.push_back({bound->version, bound->content_hash});
    }
    if (!missing.empty()) return FailedPrecondition("the terminology store lacks what the program uses: " + missing);
    return bytecode::WriteProgram(code);
  } catch (const std::bad_alloc&) {
    return LimitExceeded("out of memory binding the program");
  } catch (const std::exception& e) {
    return Internal(std::string("binding the program: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------------------
// RunContext

class RunContext::Impl {
 public:
  explicit Impl(const Runtime& rt) : runtime(rt) {}

  Status Run(const Program& program, std::string_view input, const RunOptions& options, RunOutput* out);

  const Runtime& runtime;
  vm::Arena arena{256 * 1024};
  hl7v2::Message message;
  // The group tree is built on the first V2DIRECT or V2GROUPS of a message (most maps read segments by id
  // and never need it). Until then the message's root group value points at `whole`, which spans every
  // segment as the tree's root does; GroupIndex() maps either to the tree's instance index.
  hl7v2::GroupTree tree;
  hl7v2::GroupInstance whole;
  bool tree_built = false;
  vm::JsonReader json_reader;
  hl7v2::Writer er7_writer;
  vm::V2ReadCache read_cache;
  std::vector<Value> regs;
  std::string scratch;
  std::string error_text;
  // Thread CPU time (ThreadCpuNanos) at which the current run stops; 0 = no CPU-time limit.
  int64_t cpu_deadline_ns = 0;

 private:
  struct Frame {
    uint32_t function;
    uint32_t base;     // register window start
    uint32_t ret_pc;   // caller's pc to resume at
    uint32_t ret_reg;  // absolute register for the result
    uint32_t memo;     // where RET leaves the result in memo_, or CallMemo::kNone
  };

  // The interpreter loop's three instantiations: plain; kTrace records lineage (RunOptions::trace) through
  // lineage_; kProfile counts into profile_ (RunOptions::profile).
  enum class Loop { kPlain, kTrace, kProfile };
  // *budget_left: what is left of the instruction budget when the map returns (the output writer's
  // work comes out of it).
  template <Loop kLoop>
  Status Execute(const Program::Impl& p, uint32_t entry, Value input, const RunOptions& options, RunOutput* out,
                 Value* result, uint64_t* budget_left);
  Status Fail(const Program::Impl& p, uint32_t pc, StatusCode code, std::string text) {
    ErrorContext ctx;
    p.Locate(pc, &ctx);
    return Status(code, std::move(text), std::move(ctx));
  }
  // Appends the instances named `name` under `inst` (not below a match); returns the instances visited.
  uint64_t CollectGroups(int inst, std::string_view name, vm::Array* out);
  int GroupIndex(const hl7v2::GroupInstance* g) {
    if (g != &whole) return static_cast<int>(g - &tree.instance(0));
    if (!tree_built) {
      tree.Build(message);
      tree_built = true;
    }
    return tree.root();
  }
  bool Translate(const Program::Impl& p, uint32_t ref_index, uint32_t mode, const Value& arg, const vm::ValueEnv& env,
                 const RunOptions& options, uint32_t pc, RunOutput* out, Value* result, StatusCode* code);
  // TRANSLATEX: translate with an options object (equivalence filter, dependsOn values, systems).
  bool TranslateWith(const Program::Impl& p, uint32_t ref_index, uint32_t mode, const Value& arg,
                     const Value& options_value, const vm::ValueEnv& env, const RunOptions& options, uint32_t pc,
                     RunOutput* out, Value* result, StatusCode* code);
  // The unmapped policy's answer for `text` (TRANSLATE and TRANSLATEX).
  bool Unmapped(const Program::Impl& p, uint32_t ref_index, uint32_t mode, std::string_view text, uint32_t pc,
                RunOutput* out, Value* result, StatusCode* code);
  // SUBSUMES and LOOKUPP.
  bool Subsumes(const Program::Impl& p, uint32_t ref_index, const Value& a, const Value& b, const vm::ValueEnv& env,
                Value* result, StatusCode* code);
  bool LookupProperty(const Program::Impl& p, uint32_t ref_index, const Value& code_arg, const Value& name_arg,
                      bool display_language, const vm::ValueEnv& env, Value* result, StatusCode* code);
  void AddWarning(const Program::Impl& p, uint32_t pc, std::string_view text, RunOutput* out);
  Value ItemsOf(const Value& v);

  // The call stack: a push is a store and an increment (std::vector's push_back was an out-of-line call
  // per CALL); it grows by doubling, out of line, and keeps its storage between runs.
  class FrameStack {
   public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Frame& back() { return data_[size_ - 1]; }
    void clear() { size_ = 0; }
    void pop_back() { --size_; }
    void push_back(const Frame& f) {
      if (size_ == capacity_) [[unlikely]] Grow();
      data_[size_++] = f;
    }

   private:
    [[gnu::noinline]] void Grow() {
      size_t capacity = capacity_ == 0 ? 64 : capacity_ * 2;
      auto data = std::make_unique<Frame[]>(capacity);
      std::copy(data_.get(), data_.get() + size_, data.get());
      data_ = std::move(data);
      capacity_ = capacity;
    }
    std::unique_ptr<Frame[]> data_;
    size_t size_ = 0, capacity_ = 0;
  };
  FrameStack frames_;
  static constexpr size_t kWarningPool = 64;
  static constexpr size_t kWarningPoolText = 1024;
  std::vector<RunWarning> warning_pool_;  // RunWarnings of earlier runs, reused by AddWarning
  vm::CallMemo memo_;
  vm::Lineage lineage_;  // used by traced runs only

 public:
  // RunOptions::profile: the counts of the program last run with it (names are copied when it changes).
  struct ProfileCounts {
    const Program::Impl* program = nullptr;
    uint64_t runs = 0;
    std::vector<uint64_t> calls, reused, instructions;  // by function index
    uint64_t builtins[bytecode::kBuiltinCount] = {};
    uint64_t opcodes[256] = {};
    std::vector<std::string> names;
    void Start(const Program::Impl& p);
  };
  ProfileCounts profile_;

 private:
  std::string_view concat_parts_[256];  // CONCAT's pieces (C is 8 bits: at most 255)
};

RunContext::RunContext(const Runtime& runtime) : impl_(std::make_unique<Impl>(runtime)) {}
RunContext::~RunContext() = default;
size_t RunContext::arena_blocks() const { return impl_->arena.blocks_allocated(); }

void RunContext::Impl::ProfileCounts::Start(const Program::Impl& p) {
  if (program == &p && names.size() == p.code.functions.size()) return;
  *this = ProfileCounts();
  program = &p;
  size_t n = p.code.functions.size();
  calls.assign(n, 0);
  reused.assign(n, 0);
  instructions.assign(n, 0);
  names.reserve(n);
  for (const auto& f : p.code.functions) names.push_back(f.name);
}

RunProfile RunContext::Profile() const {
  const Impl::ProfileCounts& c = impl_->profile_;
  RunProfile r;
  if (c.program == nullptr) return r;
  r.runs = c.runs;
  r.functions.resize(c.names.size());
  for (size_t i = 0; i < c.names.size(); ++i) {
    r.functions[i] = {c.names[i], c.calls[i], c.reused[i], c.instructions[i]};
  }
  for (uint32_t i = 0; i < bytecode::kBuiltinCount; ++i) {
    r.builtins.push_back({std::string(bytecode::kBuiltinInfo[i].name), c.builtins[i]});
  }
  for (int i = 0; i < bytecode::kOpCount; ++i) {
    r.opcodes.push_back({std::string(bytecode::kOpInfo[i].name), c.opcodes[i]});
  }
  return r;
}

void RunContext::ClearProfile() { impl_->profile_ = Impl::ProfileCounts(); }

void RunProfile::Add(const RunProfile& other) {
  if (functions.empty() && builtins.empty()) {
    *this = other;
    return;
  }
  runs += other.runs;
  for (size_t i = 0; i < functions.size() && i < other.functions.size(); ++i) {
    functions[i].calls += other.functions[i].calls;
    functions[i].reused += other.functions[i].reused;
    functions[i].instructions += other.functions[i].instructions;
  }
  for (size_t i = 0; i < builtins.size() && i < other.builtins.size(); ++i) builtins[i].count += other.builtins[i].count;
  for (size_t i = 0; i < opcodes.size() && i < other.opcodes.size(); ++i) opcodes[i].count += other.opcodes[i].count;
}

Status RunContext::Run(const Program& program, std::string_view input, const RunOptions& options,
                       RunOutput* out) noexcept {
  try {
    return impl_->Run(program, input, options, out);
  } catch (const std::bad_alloc&) {
    return LimitExceeded("out of memory while running the map");
  } catch (const std::exception& e) {
    return Internal(std::string("while running the map: ") + e.what());
  }
}

namespace {

// Instructions between two reads of the CPU clock when RunLimits::max_cpu_time_ms is set.
constexpr uint64_t kCpuCheckInstructions = 65536;

// Equality with the two common cases inline (two ints; two strings), else vm::Equal.
inline bool FastEqual(const vm::ValueEnv& env, const Value& a, const Value& b, uint64_t* work, uint64_t max_work) {
  if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) return a.i == b.i;
  if (a.kind == ValueKind::kString && b.kind == ValueKind::kString) {
    return a.len == b.len && (a.len == 0 || std::memcmp(a.str, b.str, a.len) == 0);
  }
  return vm::Equal(env, a, b, work, max_work);
}

bool LooksLikeHl7(std::string_view s) {
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF && static_cast<unsigned char>(s[1]) == 0xBB &&
      static_cast<unsigned char>(s[2]) == 0xBF) {
    s.remove_prefix(3);
  }
  while (!s.empty() && (s[0] == 0x0B || s[0] == '\r' || s[0] == '\n' || s[0] == ' ' || s[0] == '\t')) s.remove_prefix(1);
  return s.rfind("MSH", 0) == 0 || s.rfind("FHS", 0) == 0 || s.rfind("BHS", 0) == 0;
}

// What an error says instead of a message type that does not look like one.
constexpr std::string_view kNotShown = "(not shown: not a message code)";

// 1 to 8 of [A-Z0-9_]: the shape of an HL7 v2 table 0076 / 0003 code (ADT, A01, ORU, R01, ZXX_Z01).
bool IsCodePart(std::string_view s) {
  if (s.empty() || s.size() > 8) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// MSH-9.1 and MSH-9.2 as read: the message code, and the trigger event (may be empty).
bool IsMessageCode(std::string_view code, std::string_view trigger) {
  return IsCodePart(code) && (trigger.empty() || IsCodePart(trigger));
}

// A FHIR resource type name: [A-Z][A-Za-z]{0,63}.
bool IsResourceName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'A' && s[0] <= 'Z')) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

// Does a map's message type accept this message? "ADT^A01" exact; "ADT^*" or "ADT" any trigger; "" any.
int MatchScore(std::string_view pattern, std::string_view code, std::string_view trigger) {
  if (pattern.empty()) return 1;
  size_t caret = pattern.find('^');
  std::string_view pcode = pattern.substr(0, caret);
  if (pcode != code) return 0;
  if (caret == std::string_view::npos) return 2;
  std::string_view rest = pattern.substr(caret + 1);
  std::string_view ptrig = rest.substr(0, rest.find('^'));
  if (ptrig == "*" || ptrig.empty()) return 2;
  return ptrig == trigger ? 3 : 0;
}

}  // namespace

Status RunContext::Impl::Run(const Program& program, std::string_view input, const RunOptions& options,
                             RunOutput* out) {
  // The last run's warnings go back to the pool before the output is cleared: a stream of messages with
  // warnings then allocates nothing for them (at most kWarningPool are kept, none holding a long text).
  for (RunWarning& w : out->warnings) {
    if (warning_pool_.size() >= kWarningPool) break;
    if (w.message.capacity() <= kWarningPoolText) warning_pool_.push_back(std::move(w));
  }
  out->Clear();
  cpu_deadline_ns = 0;
  if (options.limits.max_cpu_time_ms != 0) {
    uint64_t ms = std::min<uint64_t>(options.limits.max_cpu_time_ms, uint64_t{1} << 40);
    cpu_deadline_ns = ThreadCpuNanos() + static_cast<int64_t>(ms) * 1'000'000;
  }
  arena.Reset();
  read_cache.Reset();
  memo_.Reset();
  const Program::Impl& p = program.impl();
  memo_.Bind(&p, static_cast<uint32_t>(p.reusable.size()));
  InputKind kind = options.input_kind;
  if (kind == InputKind::kAuto) kind = LooksLikeHl7(input) ? InputKind::kHl7v2 : InputKind::kJson;

  Value root;
  std::string message_code, trigger, resource_type;
  bool hl7 = kind == InputKind::kHl7v2;
  if (hl7) {
    std::string_view bytes = input;
    CW_RETURN_IF_ERROR(hl7v2::StripFraming(&bytes));
    hl7v2::ParseOptions parse_options;
    parse_options.invalid_utf8 = options.invalid_utf8;
    CW_RETURN_IF_ERROR(message.Parse(bytes, parse_options));
    whole = hl7v2::GroupInstance{};
    whole.begin = 0;
    whole.end = message.segment_count();
    tree_built = false;
    root = Value::Group(&whole);
    auto code_part = [&](int component) {
      return std::string(hl7v2::TrimBlanks(message.Value(0, 9, 1, component, 0, &scratch)));
    };
    message_code = code_part(1);
    trigger = code_part(2);
  } else {
    std::string_view json = input;
    if (json.size() >= 3 && json.substr(0, 3) == "\xEF\xBB\xBF") json.remove_prefix(3);  // UTF-8 BOM
    CW_RETURN_IF_ERROR(json_reader.Read(json, arena, &root));
    if (root.kind == ValueKind::kObject) {
      Value rt = vm::ObjectGet(root.obj, "resourceType");
      if (rt.kind == ValueKind::kString) resource_type = std::string(rt.string());
    }
  }

  // Choose the map.
  const bytecode::MapEntry* chosen = nullptr;
  int best = 0;
  for (const auto& m : p.code.maps) {
    if (!options.map_name.empty()) {
      if (m.name == options.map_name) chosen = &m;
      continue;
    }
    bool source_hl7 = m.source == bytecode::Kind::kHl7v2;
    if (source_hl7 != hl7) continue;
    int score = hl7 ? MatchScore(m.message_type, message_code, trigger)
                    : (m.message_type.empty() ? 1 : (m.message_type == resource_type ? 3 : 0));
    if (score > best) {
      best = score;
      chosen = &m;
    }
  }
  if (chosen == nullptr) {
    if (!options.map_name.empty()) return NotFound("the program has no map named '" + options.map_name + "'");
    // The type comes from the message: it is shown only when it has the shape of a code, never as the
    // sender wrote it (a name, a newline or a megabyte in MSH-9 would end up in the ACK).
    if (hl7 && message_code.empty()) return NotFound("no map for HL7 v2 message: MSH-9 (message type) is empty");
    if (hl7) {
      return NotFound("no map for HL7 v2 message type " +
                      (IsMessageCode(message_code, trigger) ? message_code + (trigger.empty() ? "" : "^" + trigger)
                                                            : std::string(kNotShown)));
    }
    if (resource_type.empty()) return NotFound("no map for JSON input");
    return NotFound("no map for JSON input of resourceType " +
                    (IsResourceName(resource_type) ? resource_type : std::string(kNotShown)));
  }
  out->map_name = chosen->name;

  Value result;
  uint64_t budget_left = 0;
  if (options.trace) {
    CW_RETURN_IF_ERROR(Execute<Loop::kTrace>(p, chosen->function, root, options, out, &result, &budget_left));
    lineage_.Finish(regs.data(), result, out);
  } else if (options.profile) {
    profile_.Start(p);
    ++profile_.runs;
    CW_RETURN_IF_ERROR(Execute<Loop::kProfile>(p, chosen->function, root, options, out, &result, &budget_left));
  } else {
    CW_RETURN_IF_ERROR(Execute<Loop::kPlain>(p, chosen->function, root, options, out, &result, &budget_left));
  }

  vm::ValueEnv env{&arena, hl7 ? &message : nullptr, &scratch, &read_cache};
  if (chosen->target == bytecode::Kind::kHl7v2) {
    out->kind = OutputKind::kHl7v2;
    Status w = vm::WriteEr7(env, result, &er7_writer, &out->json);
    if (!w.ok()) {
      ErrorContext ctx;
      p.Locate(p.code.functions[chosen->function].code_begin, &ctx);
      return Status(w.code(), std::string(w.message()), std::move(ctx));
    }
    if (out->json.size() > options.limits.max_output_bytes) {
      out->json.clear();
      return LimitExceeded("output too large (RunLimits::max_output_bytes)");
    }
    return Status::Ok();
  }
  vm::JsonWriteOptions wopts;
  wopts.pretty = options.pretty;
  wopts.max_output_bytes = options.limits.max_output_bytes;
  wopts.max_work = budget_left;
  wopts.cpu_deadline_ns = cpu_deadline_ns;
  wopts.quoted = p.quoted;
  Status w = vm::WriteJson(env, result, &out->json, wopts);
  if (!w.ok()) {
    ErrorContext ctx;
    p.Locate(p.code.functions[chosen->function].code_begin, &ctx);
    return Status(w.code(), std::string(w.message()), std::move(ctx));
  }
  if (out->json.empty()) out->json = "{}";
  return Status::Ok();
}

// TRANSLATE's work, out of the dispatch loop (no object with a destructor may live across a computed goto).
// Returns false with error_text and *code set when the run must stop.
bool RunContext::Impl::Translate(const Program::Impl& p, uint32_t ref_index, uint32_t mode, const Value& arg,
                                 const vm::ValueEnv& env, const RunOptions& options, uint32_t pc, RunOutput* out,
                                 Value* result, StatusCode* code) {
  const bytecode::TermRef& ref = p.code.term_refs[ref_index];
  bool want_coding = (mode & bytecode::kTranslateWantCoding) != 0;
  Value code_value = vm::Deref(env, arg);
  *result = Value();
  if (vm::IsEmpty(env, code_value)) return true;
  std::string_view text = vm::ToString(env, code_value);
  auto tr = p.store->Translate(p.term_canonical[ref_index], {}, text);
  if (!tr.ok()) {
    error_text = "terminology store: " + std::string(tr.status().message());
    *code = tr.status().code();
    return false;
  }
  if (options.trace) {
    lineage_.Translated(static_cast<uint32_t>(result - regs.data()), ref.url, tr->found ? "mapped" : "unmapped", pc,
                        text, tr->found ? std::string_view(tr->target_code) : std::string_view());
  }
  if (tr->found) {
    // The answer's views live in the store's cache, which may evict it at this thread's next query (a
    // bounded cache): the run keeps copies in its arena.
    if (want_coding) {
      vm::Object* o = vm::NewObject(arena, 3);
      vm::ObjectSet(arena, o, "system", Value::String(arena.Copy(tr->target_system)));
      vm::ObjectSet(arena, o, "code", Value::String(arena.Copy(tr->target_code)));
      vm::ObjectSet(arena, o, "display", Value::String(arena.Copy(tr->target_display)));
      *result = Value::MakeObject(o);
    } else {
      *result = Value::String(arena.Copy(tr->target_code));
    }
    return true;
  }
  return Unmapped(p, ref_index, mode, text, pc, out, result, code);
}

bool RunContext::Impl::Unmapped(const Program::Impl& p, uint32_t ref_index, uint32_t mode, std::string_view text,
                                uint32_t pc, RunOutput* out, Value* result, StatusCode* code) {
  using bytecode::UnmappedPolicy;
  const bytecode::TermRef& ref = p.code.term_refs[ref_index];
  auto policy = static_cast<UnmappedPolicy>(mode & 3);
  bool want_coding = (mode & bytecode::kTranslateWantCoding) != 0;
  switch (policy) {
    case UnmappedPolicy::kAbsent: return true;
    case UnmappedPolicy::kKeep: {
      std::string_view kept = arena.Copy(text);
      if (want_coding) {
        vm::Object* o = vm::NewObject(arena, 1);
        vm::ObjectSet(arena, o, "code", Value::String(kept));
        *result = Value::MakeObject(o);
      } else {
        *result = Value::String(kept);
      }
      return true;
    }
    case UnmappedPolicy::kWarn:
      AddWarning(p, pc, "code not mapped by concept map " + ref.url, out);
      return true;
    case UnmappedPolicy::kError:
      error_text = "code not mapped by concept map " + ref.url;
      *code = StatusCode::kFailedPrecondition;
      return false;
  }
  return true;
}

namespace {

// The text of an options member, or empty. Sets *bad when the member is there but is not text.
std::string_view OptionText(const vm::ValueEnv& env, const Value& v, bool* bad) {
  Value d = vm::Deref(env, v);
  if (vm::IsEmpty(env, d)) return {};
  if (d.kind == ValueKind::kArray || d.kind == ValueKind::kObject) {
    *bad = true;
    return {};
  }
  return vm::ToString(env, d);
}

}  // namespace

// translate(code, "map", { equivalence: [...], depends_on: {...} | [{property, system, value}],
//                          source_system: s, target_system: t })
bool RunContext::Impl::TranslateWith(const Program::Impl& p, uint32_t ref_index, uint32_t mode, const Value& arg,
                                     const Value& options_value, const vm::ValueEnv& env, const RunOptions& options,
                                     uint32_t pc, RunOutput* out, Value* result, StatusCode* code) {
  const bytecode::TermRef& ref = p.code.term_refs[ref_index];
  bool want_coding = (mode & bytecode::kTranslateWantCoding) != 0;
  Value code_value = vm::Deref(env, arg);
  *result = Value();
  if (vm::IsEmpty(env, code_value)) return true;
  std::string_view text = vm::ToString(env, code_value);
  auto bad_option = [&](std::string what) {
    error_text = "translate via " + ref.url + ": " + what;
    *code = StatusCode::kInvalidArgument;
    return false;
  };
  term::TranslateOptions topt;
  std::string_view source_system;
  Value opts = vm::Deref(env, options_value);
  if (opts.kind == ValueKind::kObject) {
    for (uint32_t i = 0; i < opts.obj->size; ++i) {
      const vm::Member& m = opts.obj->members[i];
      Value v = vm::Deref(env, m.value);
      if (vm::IsEmpty(env, v) || m.key == "unmapped") continue;  // the policy is compiled into C
      bool bad = false;
      if (m.key == "equivalence") {
        topt.equivalences = 0;
        auto add = [&](const Value& item) {
          std::string_view name = OptionText(env, item, &bad);
          uint32_t bit = name == "unmapped" ? term::kEquivalenceUnmapped : term::EquivalenceBit(name);
          if (bit == 0) bad = true;
          topt.equivalences |= bit;
        };
        if (v.kind == ValueKind::kArray) {
          for (uint32_t j = 0; j < v.arr->size; ++j) add(v.arr->items[j]);
        } else {
          add(v);
        }
        if (bad) return bad_option("'equivalence' takes R4 equivalence codes (equal, equivalent, wider, ...)");
      } else if (m.key == "depends_on") {
        // { property: value, ... } or [{ property, system, value }, ...]
        if (v.kind == ValueKind::kObject) {
          for (uint32_t j = 0; j < v.obj->size; ++j) {
            std::string_view value = OptionText(env, v.obj->members[j].value, &bad);
            if (!value.empty()) topt.depends_on.push_back({std::string(v.obj->members[j].key), {}, std::string(value)});
          }
        } else if (v.kind == ValueKind::kArray) {
          for (uint32_t j = 0; j < v.arr->size; ++j) {
            Value c = vm::Deref(env, v.arr->items[j]);
            if (c.kind != ValueKind::kObject) {
              bad = true;
              break;
            }
            std::string_view property = OptionText(env, vm::ObjectGet(c.obj, "property"), &bad);
            std::string_view system = OptionText(env, vm::ObjectGet(c.obj, "system"), &bad);
            std::string_view value = OptionText(env, vm::ObjectGet(c.obj, "value"), &bad);
            if (property.empty()) bad = true;
            if (!value.empty()) topt.depends_on.push_back({std::string(property), std::string(system), std::string(value)});
          }
        } else {
          bad = true;
        }
        if (bad) {
          return bad_option("'depends_on' takes an object of property: value, or a list of {property, system, value}");
        }
      } else if (m.key == "source_system") {
        source_system = OptionText(env, v, &bad);
      } else if (m.key == "target_system") {
        topt.target_system = std::string(OptionText(env, v, &bad));
      } else {
        return bad_option("unknown option '" + std::string(m.key) +
                          "' (equivalence, depends_on, source_system, target_system)");
      }
      if (bad) return bad_option("'" + std::string(m.key) + "' must be text");
    }
  } else if (!vm::IsEmpty(env, opts)) {
    return bad_option("the options must be an object");
  }
  auto all = p.store->TranslateAll(p.term_canonical[ref_index], source_system, text, topt);
  if (!all.ok()) {
    error_text = "terminology store: " + std::string(all.status().message());
    *code = all.status().code();
    return false;
  }
  if (options.trace) {
    lineage_.Translated(static_cast<uint32_t>(result - regs.data()), ref.url,
                        all->empty() ? "unmapped" : "mapped as " + (*all)[0].equivalence, pc, text,
                        all->empty() ? std::string_view() : std::string_view((*all)[0].code));
  }
  if (all->empty()) return Unmapped(p, ref_index, mode, text, pc, out, result, code);
  const term::Match& best = all->front();
  if (want_coding) {
    vm::Object* o = vm::NewObject(arena, 3);
    if (!best.system.empty()) vm::ObjectSet(arena, o, "system", Value::String(arena.Copy(best.system)));
    vm::ObjectSet(arena, o, "code", Value::String(arena.Copy(best.code)));
    if (!best.display.empty()) vm::ObjectSet(arena, o, "display", Value::String(arena.Copy(best.display)));
    *result = Value::MakeObject(o);
  } else {
    *result = Value::String(arena.Copy(best.code));
  }
  return true;
}

// subsumes(a, b, "system"): absent when a code is empty or not in the code system.
bool RunContext::Impl::Subsumes(const Program::Impl& p, uint32_t ref_index, const Value& a, const Value& b,
                                const vm::ValueEnv& env, Value* result, StatusCode* code) {
  const bytecode::TermRef& ref = p.code.term_refs[ref_index];
  *result = Value();
  Value av = vm::Deref(env, a), bv = vm::Deref(env, b);
  if (vm::IsEmpty(env, av) || vm::IsEmpty(env, bv)) return true;
  std::string first(vm::ToString(env, av));  // ToString may reuse the scratch buffer for the second
  auto s = p.store->Subsumes(ref.url, first, vm::ToString(env, bv), ref.version);
  if (!s.ok()) {
    if (s.status().code() == StatusCode::kNotFound) return true;  // the system is bound at load: a code is unknown
    error_text = "terminology store: " + std::string(s.status().message());
    *code = s.status().code();
    return false;
  }
  *result = Value::String(term::SubsumptionName(*s));  // static text
  return true;
}

// lookup(code, "system", name): "display", the found_concept's status, the first value of property `name`, or
// the designation whose language or use code is `name`; absent when there is none.
// lookup(code, "system", { language: L }) (display_language, LOOKUPP's C = 1): R4 $lookup with
// displayLanguage L: the display in that language (de-CH falls back to de, de takes de-CH), else the
// concept's display; without a language (L empty), the concept's display.
bool RunContext::Impl::LookupProperty(const Program::Impl& p, uint32_t ref_index, const Value& code_arg,
                                      const Value& name_arg, bool display_language, const vm::ValueEnv& env,
                                      Value* result, StatusCode* code) {
  const bytecode::TermRef& ref = p.code.term_refs[ref_index];
  *result = Value();
  Value cv = vm::Deref(env, code_arg), nv = vm::Deref(env, name_arg);
  if (vm::IsEmpty(env, cv)) return true;
  if (display_language) {
    std::string language(vm::IsEmpty(env, nv) ? std::string_view() : vm::ToString(env, nv));
    auto c = p.store->Lookup(ref.url, vm::ToString(env, cv), ref.version, language);
    if (!c.ok()) {
      error_text = "terminology store: " + std::string(c.status().message());
      *code = c.status().code();
      return false;
    }
    // A copy: the cache may evict the answer at this thread's next query.
    if (c->has_value() && !(*c)->display.empty()) *result = Value::String(arena.Copy((*c)->display));
    return true;
  }
  if (vm::IsEmpty(env, nv)) return true;
  std::string name(vm::ToString(env, nv));
  auto c = p.store->Lookup(ref.url, vm::ToString(env, cv), ref.version);
  if (!c.ok()) {
    error_text = "terminology store: " + std::string(c.status().message());
    *code = c.status().code();
    return false;
  }
  if (!c->has_value()) return true;
  const term::Concept& found_concept = **c;
  std::string_view found;
  if (name == "display") {
    found = found_concept.display;
  } else {
    for (const term::Property& prop : found_concept.properties) {
      if (prop.code == name) {
        found = prop.value;
        break;
      }
    }
    if (found.empty() && name == "status") found = found_concept.status;
    if (found.empty()) {
      for (const term::Designation& d : found_concept.designations) {
        if (d.language == name || d.use_code == name) {
          found = d.value;
          break;
        }
      }
    }
    if (found.empty()) {
      // `name` as a displayLanguage: the designation in the closest language (de-CH falls back to de, de
      // takes de-CH; docs/terminology.md, $lookup). A second query: `found_concept` is not read after it.
      auto lang = p.store->Lookup(ref.url, vm::ToString(env, cv), ref.version, name);
      if (!lang.ok()) {
        error_text = "terminology store: " + std::string(lang.status().message());
        *code = lang.status().code();
        return false;
      }
      if (lang->has_value() && !(*lang)->display_language.empty()) found = (*lang)->display;
    }
  }
  if (!found.empty()) *result = Value::String(arena.Copy(found));
  return true;
}

void RunContext::Impl::AddWarning(const Program::Impl& p, uint32_t pc, std::string_view text, RunOutput* out) {
  RunWarning w;
  if (!warning_pool_.empty()) {  // an earlier run's warning: its strings keep their buffers
    w = std::move(warning_pool_.back());
    warning_pool_.pop_back();
  }
  w.message.assign(text.data(), text.size());
  w.map_file.clear();
  w.line = w.col = 0;
  if (const bytecode::LineEntry* e = p.LineOf(pc)) {
    std::string_view file = p.FileOf(*e);
    w.map_file.assign(file.data(), file.size());
    w.line = e->line;
    w.col = e->col;
  }
  out->warnings.push_back(std::move(w));
}

uint64_t RunContext::Impl::CollectGroups(int inst, std::string_view name, vm::Array* out) {
  uint64_t visited = 0;
  for (int c = tree.FirstChild(inst); c >= 0; c = tree.NextSibling(c)) {
    ++visited;
    if (tree.instance(c).name() == name) {
      vm::ArrayPush(arena, out, Value::Group(&tree.instance(c)));
    } else {
      visited += CollectGroups(c, name, out);
    }
  }
  return visited;
}

// The items a `for` visits: arrays as they are; an HL7 v2 field with no repetition chosen gives each
// repetition; absent gives none; any other value is one item.
Value RunContext::Impl::ItemsOf(const Value& v) {
  if (v.kind == ValueKind::kArray) return v;
  vm::Array* a = vm::NewArray(arena, 4);
  if (v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull) return Value::MakeArray(a);
  if (v.kind == ValueKind::kV2 && v.v2.field != 0 && v.v2.rep == 0 && v.v2.comp == 0) {
    int n = message.repetition_count(v.v2.segment, v.v2.field);
    for (int r = 1; r <= n; ++r) {
      Value item = v;
      item.v2.rep = static_cast<uint16_t>(r);
      vm::ArrayPush(arena, a, item);
    }
    return Value::MakeArray(a);
  }
  vm::ValueEnv env{&arena, &message, &scratch, &read_cache};
  if (v.kind == ValueKind::kV2 && vm::IsEmpty(env, v)) return Value::MakeArray(a);
  vm::ArrayPush(arena, a, v);
  return Value::MakeArray(a);
}

namespace {

// V2COMP: the place one level below HL7 v2 place v (a segment's field, a field's component, a component's
// subcomponent), numbered n (1-based); absent below a subcomponent, for n = 0 and for anything not a place.
[[gnu::always_inline]] inline Value V2Child(const Value& v, uint32_t n) {
  Value r;
  if (v.kind == ValueKind::kV2 && n >= 1) {
    r = v;
    if (v.v2.field == 0) {
      r.v2.field = static_cast<uint16_t>(n);
    } else if (v.v2.comp == 0) {
      r.v2.comp = static_cast<uint8_t>(n);
    } else if (v.v2.sub == 0) {
      r.v2.sub = static_cast<uint8_t>(n);
    } else {
      r = Value();
    }
  }
  return r;
}

}  // namespace

// CW_TRACE_STEP: the lineage hook before each instruction in the traced loop (Execute<Loop::kTrace>), the
// counters in the profiling one.
#define CW_TRACE_STEP()                                                                              \
  if constexpr (kTrace) {                                                                            \
    lineage_.Step(cur, regs.data(), base, static_cast<uint32_t>(frames_.size()), frames_.back().function, \
                  frames_.back().ret_reg);                                                           \
  }                                                                                                  \
  if constexpr (kProfile) {                                                                          \
    ++profile_.instructions[frames_.back().function];                                                \
    ++profile_.opcodes[insn & 0xFF];                                                                 \
  }
#if CW_USE_COMPUTED_GOTO
#define CW_DISPATCH() goto* kLabels[static_cast<uint8_t>(insn)];
#define CW_CASE(name) L_##name:
#define CW_NEXT()                                         \
  do {                                                    \
    if (--budget == 0) goto budget_exhausted;             \
    cur = pc;                                             \
    insn = code[pc++];                                    \
    CW_DCHECK((insn & 0xFF) < bytecode::kOpCount);        \
    CW_TRACE_STEP();                                      \
    goto* kLabels[insn & 0xFF];                           \
  } while (0)
#else
#define CW_DISPATCH() switch (static_cast<Op>(insn & 0xFF))
#define CW_CASE(name) case Op::name:
#define CW_NEXT() continue
#endif

template <RunContext::Impl::Loop kLoop>
Status RunContext::Impl::Execute(const Program::Impl& p, uint32_t entry, Value input, const RunOptions& options,
                                 RunOutput* out, Value* result, uint64_t* budget_left) {
  using namespace bytecode;  // NOLINT: opcode helpers
  constexpr bool kTrace = kLoop == Loop::kTrace;
  constexpr bool kProfile = kLoop == Loop::kProfile;
  const uint32_t* code = p.code.code.data();
  const Value* K = p.constants.data();
  const auto& functions = p.code.functions;
  const auto& kconst = p.code.constants;
  vm::ValueEnv env{&arena, message.segment_count() > 0 ? &message : nullptr, &scratch, &read_cache};
  if (input.kind != ValueKind::kGroup) env.message = nullptr;

  vm::BuiltinEnv benv;
  benv.value = env;
  benv.now = options.now;
  benv.default_zone = options.default_zone;
  benv.var_ctx = const_cast<RunOptions*>(&options);
  benv.var = [](void* ctx, std::string_view name) -> std::string_view {
    for (const auto& [k, v] : static_cast<const RunOptions*>(ctx)->variables) {
      if (k == name) return v;
    }
    return {};
  };

  frames_.clear();
  size_t needed = functions[entry].num_registers;
  if (regs.size() < needed + 256) regs.resize(needed + 256);
  uint32_t base = 0;
  Value* R = regs.data();
  for (uint32_t i = 0; i < functions[entry].num_registers; ++i) R[i] = Value();
  frames_.push_back({entry, 0, 0, 0, vm::CallMemo::kNone});
  if constexpr (kProfile) ++profile_.calls[entry];
  const bool reuse_calls = options.reuse_calls && !kTrace;
  uint32_t pc = functions[entry].code_begin;
  if constexpr (kTrace) lineage_.Begin(p.code, p.BranchJoins(), env, input, options.log_phi);
  // The instruction budget: `budget` counts down in the loop; with a CPU-time limit it is handed out in
  // chunks of kCpuCheckInstructions from `reserve`, and the clock is read as each chunk runs out (so the
  // hot path has one decrement either way). Work charged by instructions that visit collections comes
  // out of the same budget (CHARGE).
  const uint64_t total_budget = options.limits.max_instructions == 0 ? 1 : options.limits.max_instructions;
  const int64_t deadline = cpu_deadline_ns;
  uint64_t budget = deadline != 0 ? std::min(total_budget, kCpuCheckInstructions) : total_budget;
  uint64_t reserve = total_budget - budget;
  uint64_t pending = 0;  // work units a CHARGE could not take from `budget`
  benv.cpu_deadline_ns = deadline;
  const uint64_t max_arena = options.limits.max_arena_bytes;
  uint32_t insn = 0;
  uint32_t cur = 0;  // pc of the instruction being executed
  const char* err = nullptr;
  StatusCode err_code = StatusCode::kInvalidArgument;

#if CW_USE_COMPUTED_GOTO
  static const void* const kLabels[] = {
#define CW_OP(name, fmt, a, b, c, aux, flags, regs) &&L_##name,
#include "bytecode/opcodes.def"
#undef CW_OP
  };
#endif

#define A_ GetA(insn)
#define B_ GetB(insn)
#define C_ GetC(insn)
#define AUX_ code[pc - 1]
#define FAIL_WITH(code_, msg_) \
  do {                         \
    err_code = code_;          \
    err = msg_;                \
    goto fail;                 \
  } while (0)
// Charges `units_` of work (after the instruction did it): the fast case comes out of `budget`.
#define CHARGE(units_)          \
  do {                          \
    uint64_t u_ = (units_);     \
    if (u_ >= budget) {         \
      pending = u_;             \
      goto charge_slow;         \
    }                           \
    budget -= u_;               \
  } while (0)
#define CHECK_ARENA() \
  if (arena.bytes_used() > max_arena) FAIL_WITH(StatusCode::kLimitExceeded, "working memory limit exceeded (RunLimits::max_arena_bytes)")

#if CW_USE_COMPUTED_GOTO
next_insn:
  CW_NEXT();
  {
#else
  for (;;) {
  next_insn:
    if (--budget == 0) goto budget_exhausted;
    cur = pc;
    insn = code[pc++];
    CW_TRACE_STEP();
#endif
    CW_DISPATCH() {
#if !CW_USE_COMPUTED_GOTO
      default: CW_UNREACHABLE();  // the verifier rejects unknown opcodes
#endif
      CW_CASE(NOP) { CW_NEXT(); }
      CW_CASE(LOADK) {
        R[A_] = K[GetD(insn)];
        CW_NEXT();
      }
      CW_CASE(LOADNIL) {
        R[A_] = Value();
        CW_NEXT();
      }
      CW_CASE(LOADB) {
        R[A_] = Value::Bool(B_ != 0);
        CW_NEXT();
      }
      CW_CASE(LOADI) {
        R[A_] = Value::Int(GetSD(insn));
        CW_NEXT();
      }
      CW_CASE(MOVE) {
        R[A_] = R[B_];
        CW_NEXT();
      }
      CW_CASE(INPUT) {
        R[A_] = input;
        CW_NEXT();
      }
      CW_CASE(NEWOBJ) {
        R[A_] = Value::MakeObject(vm::NewObject(arena, 8));
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(NEWARR) {
        R[A_] = Value::MakeArray(vm::NewArray(arena, 4));
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(SETK) {
        pc += 1;
        Value& obj = R[A_];
        Value v = R[B_];
        if (obj.kind != ValueKind::kObject) FAIL_WITH(StatusCode::kCorrupt, "SETK on a non-object (a hand-made or damaged program)");
        if (v.kind == ValueKind::kV2) v = vm::Deref(env, v);
        if (!vm::IsEmpty(env, v)) {
          std::string_view key = K[AUX_].string();  // in p.quoted: written with one memcpy
          vm::ObjectSet(arena, obj.obj, key, v);
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(SETKK) {  // SETK of a constant: no register, no Deref (a constant is never a reference)
        pc += 1;
        Value& obj = R[A_];
        const Value& v = K[GetD(insn)];
        if (obj.kind != ValueKind::kObject) FAIL_WITH(StatusCode::kCorrupt, "SETKK on a non-object (a hand-made or damaged program)");
        if (!vm::IsEmpty(env, v)) vm::ObjectSet(arena, obj.obj, K[AUX_].string(), v);
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(APPEND) {
        Value& arr = R[A_];
        Value v = R[B_];
        if (arr.kind != ValueKind::kArray) FAIL_WITH(StatusCode::kCorrupt, "APPEND on a non-array (a hand-made or damaged program)");
        if (v.kind == ValueKind::kArray) {
          // The count is taken first: a damaged program may append an array to itself (APPEND r r).
          const uint32_t n = v.arr->size;
          for (uint32_t i = 0; i < n; ++i) {
            Value item = v.arr->items[i];
            if (item.kind == ValueKind::kV2) item = vm::Deref(env, item);
            if (!vm::IsEmpty(env, item)) vm::ArrayPush(arena, arr.arr, item);
          }
          CHECK_ARENA();
          CHARGE(n);
          CW_NEXT();
        } else {
          if (v.kind == ValueKind::kV2) v = vm::Deref(env, v);
          if (!vm::IsEmpty(env, v)) vm::ArrayPush(arena, arr.arr, v);
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(APPENDP) {
        // As APPEND, but an HL7 v2 place stays a place: the item is tested (IsEmpty: any part of it has
        // text), never read, so `hd.1` or `for r in hd` on it read the message as they would on the path.
        Value& arr = R[A_];
        Value v = R[B_];
        if (arr.kind != ValueKind::kArray) {
          FAIL_WITH(StatusCode::kCorrupt, "APPENDP on a non-array (a hand-made or damaged program)");
        }
        if (v.kind == ValueKind::kArray) {
          const uint32_t n = v.arr->size;  // taken first, as in APPEND
          for (uint32_t i = 0; i < n; ++i) {
            const Value item = v.arr->items[i];
            if (!vm::IsEmpty(env, item)) vm::ArrayPush(arena, arr.arr, item);
          }
          CHARGE(n);
        } else if (!vm::IsEmpty(env, v)) {
          vm::ArrayPush(arena, arr.arr, v);
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(GETK) {
        pc += 1;
        const Value& o = R[B_];
        R[A_] = o.kind == ValueKind::kObject ? vm::ObjectGet(o.obj, kconst[AUX_].s) : Value();
        CW_NEXT();
      }
      CW_CASE(GETI) {
        const Value& a = R[B_];
        Value idx = R[C_];
        if (idx.kind == ValueKind::kV2) idx = vm::Deref(env, idx);
        Value r;
        if (a.kind == ValueKind::kArray && idx.kind == ValueKind::kInt) {
          if (idx.i >= 0 && static_cast<uint64_t>(idx.i) < a.arr->size) r = a.arr->items[idx.i];
        } else if (a.kind == ValueKind::kObject && idx.kind == ValueKind::kString) {
          r = vm::ObjectGet(a.obj, idx.string());
        } else if (a.kind == ValueKind::kV2 && idx.kind == ValueKind::kInt && a.v2.field != 0 &&
                   a.v2.comp == 0 && idx.i >= 1 && idx.i <= 65535) {
          r = a;
          r.v2.rep = static_cast<uint16_t>(idx.i);
          if (idx.i > message.repetition_count(a.v2.segment, a.v2.field)) r = Value();
        }
        R[A_] = r;
        CW_NEXT();
      }
      CW_CASE(LEN) {
        const Value& a = R[B_];
        int64_t n = 0;
        if (a.kind == ValueKind::kArray) n = a.arr->size;
        else if (a.kind == ValueKind::kObject) n = a.obj->size;
        else if (a.kind == ValueKind::kV2 && a.v2.field != 0 && a.v2.rep == 0) n = message.repetition_count(a.v2.segment, a.v2.field);
        else if (!vm::IsEmpty(env, a)) n = static_cast<int64_t>(vm::ToString(env, a).size());
        R[A_] = Value::Int(n);
        CW_NEXT();
      }
      CW_CASE(ADD) {
        const Value& x = R[B_];
        const Value& y = R[C_];
        int64_t r;
        if (x.kind == ValueKind::kInt && y.kind == ValueKind::kInt && !__builtin_add_overflow(x.i, y.i, &r)) {
          R[A_] = Value::Int(r);  // the common case, inline
        } else if (!vm::Arith(env, vm::ArithOp::kAdd, x, y, &R[A_], &err)) {
          goto fail;
        }
        CW_NEXT();
      }
      CW_CASE(SUB) {
        const Value& x = R[B_];
        const Value& y = R[C_];
        int64_t r;
        if (x.kind == ValueKind::kInt && y.kind == ValueKind::kInt && !__builtin_sub_overflow(x.i, y.i, &r)) {
          R[A_] = Value::Int(r);  // the common case, inline
        } else if (!vm::Arith(env, vm::ArithOp::kSub, x, y, &R[A_], &err)) {
          goto fail;
        }
        CW_NEXT();
      }
      CW_CASE(MUL) {
        const Value& x = R[B_];
        const Value& y = R[C_];
        int64_t r;
        if (x.kind == ValueKind::kInt && y.kind == ValueKind::kInt && !__builtin_mul_overflow(x.i, y.i, &r)) {
          R[A_] = Value::Int(r);  // the common case, inline
        } else if (!vm::Arith(env, vm::ArithOp::kMul, x, y, &R[A_], &err)) {
          goto fail;
        }
        CW_NEXT();
      }
      CW_CASE(DIV) {
        if (!vm::Arith(env, vm::ArithOp::kDiv, R[B_], R[C_], &R[A_], &err)) goto fail;
        CW_NEXT();
      }
      CW_CASE(MOD) {
        if (!vm::Arith(env, vm::ArithOp::kMod, R[B_], R[C_], &R[A_], &err)) goto fail;
        CW_NEXT();
      }
      CW_CASE(NEG) {
        if (!vm::Negate(env, R[B_], &R[A_], &err)) goto fail;
        CW_NEXT();
      }
      CW_CASE(CONCAT) {
        uint32_t b = B_, n = C_;
        size_t total = 0;
        std::string_view* parts = concat_parts_;  // not a local array: that would be zeroed (4 KB) per CONCAT
        for (uint32_t i = 0; i < n; ++i) {
          parts[i] = vm::ToString(env, R[b + i]);
          total += parts[i].size();
        }
        char* buf = static_cast<char*>(arena.Allocate(total + 1, 1));
        size_t at = 0;
        for (uint32_t i = 0; i < n; ++i) {
          if (!parts[i].empty()) std::memcpy(buf + at, parts[i].data(), parts[i].size());
          at += parts[i].size();
        }
        R[A_] = Value::String({buf, total});
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(EQ) {
        uint64_t work = 0;
        R[A_] = Value::Bool(FastEqual(env, R[B_], R[C_], &work, budget + reserve));
        CHARGE(work);  // arrays and objects compared deeply count their items
        CW_NEXT();
      }
      CW_CASE(NE) {
        uint64_t work = 0;
        R[A_] = Value::Bool(!FastEqual(env, R[B_], R[C_], &work, budget + reserve));
        CHARGE(work);
        CW_NEXT();
      }
      CW_CASE(LT) {
        if (R[B_].kind == ValueKind::kInt && R[C_].kind == ValueKind::kInt) {
          R[A_] = Value::Bool(R[B_].i < R[C_].i);
          CW_NEXT();
        }
        int c = 0;
        if (!vm::Compare(env, R[B_], R[C_], &c, &err)) goto fail;
        R[A_] = Value::Bool(c != vm::kUnordered && c < 0);
        CW_NEXT();
      }
      CW_CASE(LE) {
        if (R[B_].kind == ValueKind::kInt && R[C_].kind == ValueKind::kInt) {
          R[A_] = Value::Bool(R[B_].i <= R[C_].i);
          CW_NEXT();
        }
        int c = 0;
        if (!vm::Compare(env, R[B_], R[C_], &c, &err)) goto fail;
        R[A_] = Value::Bool(c != vm::kUnordered && c <= 0);
        CW_NEXT();
      }
      // Fused by the peephole pass: a comparison with a constant, and comparisons that branch. K[AUX] is a
      // scalar constant, so comparing with it visits no collection (no CHARGE).
      CW_CASE(EQK) {
        pc += 1;
        uint64_t work = 0;
        R[A_] = Value::Bool(FastEqual(env, R[B_], K[AUX_], &work, budget + reserve));
        CW_NEXT();
      }
      CW_CASE(NEK) {
        pc += 1;
        uint64_t work = 0;
        R[A_] = Value::Bool(!FastEqual(env, R[B_], K[AUX_], &work, budget + reserve));
        CW_NEXT();
      }
      CW_CASE(JMPEQ) {
        pc += 1;
        uint64_t work = 0;
        if (FastEqual(env, R[A_], R[B_], &work, budget + reserve)) {
          pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + static_cast<int32_t>(AUX_));
        }
        CHARGE(work);
        CW_NEXT();
      }
      CW_CASE(JMPNE) {
        pc += 1;
        uint64_t work = 0;
        if (!FastEqual(env, R[A_], R[B_], &work, budget + reserve)) {
          pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + static_cast<int32_t>(AUX_));
        }
        CHARGE(work);
        CW_NEXT();
      }
      CW_CASE(JMPEQK) {
        pc += 1;
        uint64_t work = 0;
        if (FastEqual(env, R[A_], K[AUX_], &work, budget + reserve)) {
          pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + GetSD(insn));
        }
        CW_NEXT();
      }
      CW_CASE(JMPNEK) {
        pc += 1;
        uint64_t work = 0;
        if (!FastEqual(env, R[A_], K[AUX_], &work, budget + reserve)) {
          pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + GetSD(insn));
        }
        CW_NEXT();
      }
      CW_CASE(NOT) {
        R[A_] = Value::Bool(!vm::Truthy(env, R[B_]));
        CW_NEXT();
      }
      CW_CASE(TRUTHY) {
        R[A_] = Value::Bool(vm::Truthy(env, R[B_]));
        CW_NEXT();
      }
      CW_CASE(JMP) {
        pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + GetSE(insn));
        CW_NEXT();
      }
      CW_CASE(JMPIF) {
        if (vm::Truthy(env, R[A_])) pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + GetSD(insn));
        CW_NEXT();
      }
      CW_CASE(JMPIFNOT) {
        if (!vm::Truthy(env, R[A_])) pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + GetSD(insn));
        CW_NEXT();
      }
      CW_CASE(JMPPRESENT) {
        if (!vm::IsEmpty(env, R[A_])) pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + GetSD(insn));
        CW_NEXT();
      }
      CW_CASE(ITERPREP) {
        uint32_t a = A_;
        R[a] = ItemsOf(R[B_]);
        R[a + 1] = Value::Int(0);
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(ITERNEXT) {
        pc += 1;
        uint32_t a = A_;
        const Value& items = R[a];
        int64_t i = R[a + 1].i;
        if (items.kind == ValueKind::kArray && static_cast<uint64_t>(i) < items.arr->size) {
          R[B_] = items.arr->items[i];
          R[a + 1].i = i + 1;
        } else {
          pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + static_cast<int32_t>(AUX_));
        }
        CW_NEXT();
      }
      CW_CASE(MERGE) {
        Value& obj = R[A_];
        const Value& src = R[B_];
        if (obj.kind != ValueKind::kObject) FAIL_WITH(StatusCode::kCorrupt, "MERGE into a non-object (a hand-made or damaged program)");
        if (src.kind == ValueKind::kObject) {
          for (uint32_t i = 0, n = src.obj->size; i < n; ++i) {  // MERGE r r adds no member: n taken once anyway
            Value v = src.obj->members[i].value;
            if (v.kind == ValueKind::kV2) v = vm::Deref(env, v);
            if (!vm::IsEmpty(env, v)) vm::ObjectSet(arena, obj.obj, src.obj->members[i].key, v);
          }
          CHECK_ARENA();
          CHARGE(src.obj->size);
          CW_NEXT();
        } else if (!vm::IsEmpty(env, src)) {
          FAIL_WITH(StatusCode::kInvalidArgument, "`...` needs an object");
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(ITERINDEX) {
        R[A_] = Value::Int(R[B_ + 1].i - 1);
        CW_NEXT();
      }
      CW_CASE(CALL) {
        pc += 1;
        uint32_t callee = AUX_;
        const bytecode::Function& f = functions[callee];
        if (frames_.size() >= options.limits.max_call_depth) {
          FAIL_WITH(StatusCode::kLimitExceeded, "call depth limit exceeded (RunLimits::max_call_depth)");
        }
        // The callee's frame starts at the argument run: its parameters are the arguments where the caller
        // wrote them (nothing is copied), and the caller's registers from R[B] up are the callee's until it
        // returns (CALL in opcodes.def; lowering keeps nothing there: registers are allocated LIFO).
        uint32_t new_base = base + B_;
        if (regs.size() < size_t{new_base} + f.num_registers) {
          regs.resize((size_t{new_base} + f.num_registers) * 2);
          R = regs.data() + base;
        }
        Value* NR = regs.data() + new_base;
        uint32_t memo = vm::CallMemo::kNone;
        if (reuse_calls && p.reusable[callee] && memo_.Worth(callee) && memo_.Find(callee, NR, C_, &R[A_], &memo)) {
          if constexpr (kProfile) ++profile_.reused[callee];
          CW_NEXT();
        }
        for (uint32_t i = C_, end = p.clear_to[callee]; i < end; ++i) NR[i] = Value();
        if constexpr (kProfile) ++profile_.calls[callee];
        frames_.push_back({callee, new_base, pc, base + A_, memo});
        base = new_base;
        R = NR;
        pc = f.code_begin;
        CW_NEXT();
      }
      CW_CASE(CALLB) {
        pc += 1;
        uint32_t id = AUX_;
        if constexpr (kProfile) ++profile_.builtins[id];
        Value r;
        benv.error.clear();
        const uint64_t work_before = budget + reserve;
        benv.work_left = work_before;
        benv.units_since_clock = 0;
        if (!vm::kBuiltins[id](benv, &R[B_], static_cast<int>(C_), &r)) {
          error_text = benv.error.empty() ? "built-in function failed" : benv.error;
          err = error_text.c_str();
          if (benv.limit_exceeded) {
            benv.limit_exceeded = false;
            err_code = StatusCode::kLimitExceeded;
          }
          goto fail;
        }
        R[A_] = r;
        CHECK_ARENA();
        CHARGE(work_before - benv.work_left);
        CW_NEXT();
      }
      CW_CASE(RET) {
        Value v = R[A_];
        Frame done = frames_.back();
        frames_.pop_back();
        if (frames_.empty()) {
          *result = v;
          *budget_left = budget + reserve;
          return Status::Ok();
        }
        base = frames_.back().base;
        R = regs.data() + base;
        regs[done.ret_reg] = v;
        if (done.memo != vm::CallMemo::kNone) memo_.Fill(done.memo, v);
        pc = done.ret_pc;
        CW_NEXT();
      }
      CW_CASE(FAIL) {
        std::string_view msg = vm::ToString(env, R[A_]);
        error_text.assign(msg.data(), msg.size());
        if (error_text.empty()) error_text = "the map failed";
        err = error_text.c_str();
        err_code = StatusCode::kFailedPrecondition;
        goto fail;
      }
      CW_CASE(WARN) {
        AddWarning(p, cur, vm::ToString(env, R[A_]), out);
        CW_NEXT();
      }
      // FAILR/WARNR: the message holds values read from the input (possibly PHI). Shown as the map wrote it,
      // `${expr}` for each value (K[AUX]), unless the host asked for the values (RunOptions::log_phi).
      CW_CASE(FAILR) {
        pc += 1;
        std::string_view msg = options.log_phi ? vm::ToString(env, R[A_]) : std::string_view(kconst[AUX_].s);
        error_text.assign(msg.data(), msg.size());
        if (error_text.empty()) error_text = "the map failed";
        err = error_text.c_str();
        err_code = StatusCode::kFailedPrecondition;
        goto fail;
      }
      CW_CASE(WARNR) {
        pc += 1;
        AddWarning(p, cur, options.log_phi ? vm::ToString(env, R[A_]) : std::string_view(kconst[AUX_].s), out);
        CW_NEXT();
      }
      CW_CASE(V2SEG) {
        pc += 1;
        const Value& scope = R[B_];
        std::string_view id = kconst[AUX_].s;
        Value r;
        if (scope.kind == ValueKind::kGroup) {
          int seg = message.FindSegment(id, scope.group->begin, scope.group->end);
          if (seg >= 0) r = Value::V2({seg, 0, 0, 0, 0});
          // The segments scanned (a loop that looks up an absent segment in a big message is quadratic).
          // Computed before R[A] is written: A may be B.
          const uint64_t scanned =
              static_cast<uint64_t>(std::max(0, (seg >= 0 ? seg + 1 : scope.group->end) - scope.group->begin));
          R[A_] = r;
          CHARGE(scanned);
          CW_NEXT();
        } else if (scope.kind == ValueKind::kV2 && scope.v2.field == 0 &&
                   message.segment_id(scope.v2.segment) == id) {
          r = scope;
        }
        R[A_] = r;
        CW_NEXT();
      }
      CW_CASE(V2SEGS) {
        pc += 1;
        const Value& scope = R[B_];
        std::string_view id = kconst[AUX_].s;
        vm::Array* arr = vm::NewArray(arena, 4);
        if (scope.kind == ValueKind::kGroup) {
          for (int seg = message.FindSegment(id, scope.group->begin, scope.group->end); seg >= 0;
               seg = message.FindSegment(id, seg + 1, scope.group->end)) {
            vm::ArrayPush(arena, arr, Value::V2({seg, 0, 0, 0, 0}));
          }
          const uint64_t scanned = static_cast<uint64_t>(std::max(0, scope.group->end - scope.group->begin));
          R[A_] = Value::MakeArray(arr);  // A may be B: scope is not read after this
          CHECK_ARENA();
          CHARGE(scanned);
          CW_NEXT();
        }
        R[A_] = Value::MakeArray(arr);
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(V2DIRECT) {
        pc += 1;
        const Value& scope = R[B_];
        vm::Array* arr = vm::NewArray(arena, 4);
        if (scope.kind == ValueKind::kGroup) {
          int inst = GroupIndex(scope.group);
          std::string_view id = kconst[AUX_].s;
          for (int seg = tree.FindSegment(inst, id); seg >= 0; seg = tree.FindSegment(inst, id, seg + 1)) {
            vm::ArrayPush(arena, arr, Value::V2({seg, 0, 0, 0, 0}));
          }
          const uint64_t scanned = static_cast<uint64_t>(std::max(0, scope.group->end - scope.group->begin));
          R[A_] = Value::MakeArray(arr);  // A may be B: scope is not read after this
          CHECK_ARENA();
          CHARGE(scanned);
          CW_NEXT();
        }
        R[A_] = Value::MakeArray(arr);
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(V2GROUPS) {
        pc += 1;
        const Value& scope = R[B_];
        vm::Array* arr = vm::NewArray(arena, 4);
        if (scope.kind == ValueKind::kGroup) {
          int inst = GroupIndex(scope.group);
          uint64_t visited = CollectGroups(inst, kconst[AUX_].s, arr);
          R[A_] = Value::MakeArray(arr);
          CHECK_ARENA();
          CHARGE(visited);
          CW_NEXT();
        }
        R[A_] = Value::MakeArray(arr);
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(V2FIELD) {
        pc += 1;
        const Value& seg = R[B_];
        Value r;
        if (seg.kind == ValueKind::kV2 && seg.v2.field == 0) {
          V2Path path = UnpackV2Path(AUX_);
          r = Value::V2({seg.v2.segment, static_cast<uint16_t>(path.field), static_cast<uint16_t>(path.rep),
                         static_cast<uint8_t>(path.comp), static_cast<uint8_t>(path.sub)});
        }
        R[A_] = r;
        CW_NEXT();
      }
      CW_CASE(V2COMP) {
        R[A_] = V2Child(R[B_], C_);
        CW_NEXT();
      }
      CW_CASE(V2COMP2) {
        pc += 1;
        R[A_] = V2Child(V2Child(R[B_], C_), AUX_);
        CW_NEXT();
      }
      CW_CASE(TRANSLATE) {
        pc += 1;
        if (!Translate(p, AUX_, C_, R[B_], env, options, cur, out, &R[A_], &err_code)) {
          err = error_text.c_str();
          goto fail;
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(TRANSLATEX) {
        pc += 1;
        if (!TranslateWith(p, AUX_, C_, R[B_], R[B_ + 1], env, options, cur, out, &R[A_], &err_code)) {
          err = error_text.c_str();
          goto fail;
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(SUBSUMES) {
        pc += 1;
        if (!Subsumes(p, AUX_, R[B_], R[B_ + 1], env, &R[A_], &err_code)) {
          err = error_text.c_str();
          goto fail;
        }
        CW_NEXT();
      }
      CW_CASE(LOOKUPP) {
        pc += 1;
        if (!LookupProperty(p, AUX_, R[B_], R[B_ + 1], C_ != 0, env, &R[A_], &err_code)) {
          err = error_text.c_str();
          goto fail;
        }
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(LOOKUP) {
        pc += 1;
        const bytecode::TermRef& ref = p.code.term_refs[AUX_];
        Value code_value = vm::Deref(env, R[B_]);
        Value r;
        if (!vm::IsEmpty(env, code_value)) {
          auto c = p.store->Lookup(ref.url, vm::ToString(env, code_value), ref.version);
          if (!c.ok()) {
            error_text = "terminology store: " + std::string(c.status().message());
            err = error_text.c_str();
            err_code = c.status().code();
            goto fail;
          }
          // A copy: the cache may evict the answer at this thread's next query.
          if (c->has_value() && !(*c)->display.empty()) r = Value::String(arena.Copy((*c)->display));
        }
        R[A_] = r;
        CHECK_ARENA();
        CW_NEXT();
      }
      CW_CASE(MEMBER) {
        pc += 1;
        Value code_value = vm::Deref(env, R[B_]);
        Value sys = vm::Deref(env, R[C_]);
        bool in = false;
        if (!vm::IsEmpty(env, code_value)) {
          std::string_view system = vm::IsEmpty(env, sys) ? std::string_view() : vm::ToString(env, sys);
          std::string system_copy(system);
          // The canonical keeps a pinned version ("url|version"); an empty system asks any system of the set.
          auto v = p.store->Validate(system_copy, vm::ToString(env, code_value), p.term_canonical[AUX_]);
          if (!v.ok()) {
            error_text = "terminology store: " + std::string(v.status().message());
            err = error_text.c_str();
            err_code = v.status().code();
            goto fail;
          }
          in = *v;
        }
        R[A_] = Value::Bool(in);
        CW_NEXT();
      }
    }
  }

charge_slow:
  // A charge larger than what is left of the current chunk: take it from the reserve too.
  if (pending >= budget + reserve) goto instructions_exhausted;
  {
    uint64_t left = budget + reserve - pending;
    budget = deadline != 0 ? std::min(left, kCpuCheckInstructions) : left;
    reserve = left - budget;
  }
  if (deadline != 0 && ThreadCpuNanos() > deadline) goto cpu_exhausted;
  ++budget;  // next_insn decrements it for the next instruction
  goto next_insn;
budget_exhausted:
  if (reserve != 0) {
    // The end of a chunk: the decrement that reached 0 paid for the instruction about to run.
    budget = std::min(reserve, kCpuCheckInstructions);
    reserve -= budget;
    if (deadline != 0 && ThreadCpuNanos() > deadline) goto cpu_exhausted;
    ++budget;
    goto next_insn;
  }
instructions_exhausted:
  return Fail(p, cur, StatusCode::kLimitExceeded,
              "instruction limit of " + std::to_string(options.limits.max_instructions) +
                  " exceeded (RunLimits::max_instructions): does the map recurse without end?");
cpu_exhausted:
  return Fail(p, cur, StatusCode::kLimitExceeded,
              "CPU time limit of " + std::to_string(options.limits.max_cpu_time_ms) +
                  " ms exceeded (RunLimits::max_cpu_time_ms)");
fail:
  return Fail(p, cur, err_code, err ? err : "error");

#undef A_
#undef B_
#undef C_
#undef AUX_
#undef FAIL_WITH
#undef CHARGE
#undef CHECK_ARENA
}

}  // namespace crosswalk
