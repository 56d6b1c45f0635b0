// The Crosswalk runtime: load a compiled program (.cwb) once, run it on many messages.
//
//   auto rt = crosswalk::Runtime::Create({.terminology_dir = "build/terminology"});   // long-lived
//   auto program = (*rt)->Load(cwb_bytes);                // verified, bound to the store, immutable
//   crosswalk::RunContext ctx(**rt);                      // one per thread, reused for every message
//   crosswalk::RunOutput out;
//   crosswalk::Status s = ctx.Run(**program, hl7_text, {}, &out);   // out.json holds the FHIR JSON
//
// No exception crosses this API. Lifetimes: a Runtime must outlive the Programs it loaded and the
// RunContexts made from it. Thread-safety: Runtime and Program are immutable after creation and safe to
// share; a RunContext is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crosswalk/hl7v2.h"
#include "crosswalk/status.h"

namespace crosswalk {

struct RuntimeOptions {
  // Directory of the RocksDB terminology store, opened read-only (several processes may share it).
  // Empty (the default): no store; loading a program that uses terminology fails with
  // kFailedPrecondition.
  std::string terminology_dir;
  // A program compiled against a store (`crosswalk compile --term`) records the version and content hash
  // of every terminology resource it names. Loading it against a store whose content for one of them
  // differs (or lacks that version) is refused with kFailedPrecondition naming the resource (url|version,
  // expected vs found hash prefix). True turns the refusal into a warning (Program::terminology_warnings;
  // `crosswalk run/serve --allow-term-drift`); a missing version then falls back to the reference as
  // written. Default false. Programs compiled without a store are not checked beyond presence.
  bool allow_terminology_drift = false;
  // Bound of the terminology store's in-process answer cache (translate, lookup, validate answers), in
  // bytes of the cache's own accounting (strings, vectors, map nodes; term::OpenOptions::max_cache_bytes).
  // 0 (the default) = kDefaultTerminologyCacheBytes (64 MiB). Past the bound the least recently hit
  // answers are evicted (CLOCK) and asked of RocksDB again when needed; answers a running program holds
  // are copied into the run's arena, so eviction never touches a run. SIZE_MAX = no bound.
  size_t terminology_cache_bytes = 0;
  static constexpr size_t kDefaultTerminologyCacheBytes = size_t{64} << 20;
};

// Limits of one run. Exceeding one ends the run with kLimitExceeded naming the limit and the map line.
// All but max_cpu_time_ms are deterministic: the same program, input and limits give the same outcome.
struct RunLimits {
  // Instructions executed per message (default 50,000,000). Stops runaway maps (e.g. unbounded recursion
  // that fans out). An instruction that goes over a collection or a long text also counts the work it
  // does, so that a loop of a few instructions cannot do unbounded work: one unit per item for `...`
  // (spread), appending an array, and built-ins that visit items (distinct, contains, join, split); one
  // per 64 bytes for built-ins that scan text (contains, split, replace, join, upper, lower, sha256,
  // base64); one per HL7 v2 segment or group scanned to find segments and groups; and, after the map
  // returns, what is left pays for writing the JSON output (1 + members per array or object written).
  uint64_t max_instructions = 50'000'000;
  // CPU time of the running thread per message, in milliseconds, from the start of Run (reading the input
  // included); 0 (the default) = no limit. Checked every 65,536 instructions (and work units inside
  // built-ins), so a run may overshoot by that much. A safety net for hosts with a latency budget: unlike
  // the other limits its outcome depends on the machine, so prefer max_instructions for what must be
  // reproducible.
  uint64_t max_cpu_time_ms = 0;
  // Nested function calls (default 200).
  uint32_t max_call_depth = 200;
  // Bytes of JSON output (default 64 MiB).
  uint64_t max_output_bytes = uint64_t{64} << 20;
  // Bytes of working memory (the run's arena) per message (default 256 MiB).
  uint64_t max_arena_bytes = uint64_t{256} << 20;
};

enum class InputKind : uint8_t { kAuto, kHl7v2, kJson };

struct RunOptions {
  RunLimits limits;
  // How to read the input; kAuto looks at its first bytes (MSH/FHS/BHS or MLLP → HL7 v2, { or [ → JSON).
  InputKind input_kind = InputKind::kAuto;
  // Run this map (by name) instead of choosing one by message type; empty = choose.
  std::string map_name;
  // The run's timestamp as a FHIR instant, returned by now() in maps; empty = now() is absent.
  // (Execution is deterministic: nothing reads the clock.)
  std::string now;
  // Zone for HL7 v2 times that carry none ("+HH:MM", "-HH:MM" or "Z"); empty = keep them without zone.
  std::string default_zone;
  // Host variables returned by var("name") in maps.
  std::vector<std::pair<std::string, std::string>> variables;
  // HL7 v2 input whose MSH-18 says UTF-8 (or nothing) but holds bytes that are not UTF-8: rejected
  // (kParseError naming segment, field and byte offset) or read with U+FFFD in their place.
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kReject;
  // Pretty-print the JSON output (2-space indent) instead of compact JSON.
  bool pretty = false;
  // Record the lineage of every output value (RunOutput::lineage, RunOutput::trace, RunOutput::lines_run):
  // its JSON path, the map location that wrote it, the input paths it came from (through lets, functions,
  // built-ins, templates, `??`, conditions) and the terminology decisions on the way. Off by default; when
  // off it costs nothing (the run takes an interpreter loop without the recording). When on, a run is
  // several times slower: for audits, debugging and `crosswalk coverage`, not for the hot path.
  bool trace = false;
  // Show the values in `fail`/`warn` messages (the error text, RunWarning::message). Off by default: a
  // message that interpolates input values (`fail "bad name ${PID-5.1}"`) is shown as the map wrote it,
  // `bad name ${PID-5.1}`, so no message content (PHI) reaches logs or ACKs unless the host asks.
  bool log_phi = false;
  // Remember the calls of pure functions for the message: a `def` that warns of nothing and translates
  // nothing, called again with the same arguments, returns the first call's value without running again
  // (the output is the same either way; a message costs fewer instructions against max_instructions).
  // Off in traced runs, which record each call's lineage. For comparisons and tests.
  bool reuse_calls = true;
  // Count what the map executes (RunContext::Profile): bytecode instructions and calls per map function,
  // calls per built-in, instructions per opcode. Off by default; when off it costs nothing (the run takes
  // an interpreter loop without the counters). Counts, not times: the same program on the same messages
  // gives the same profile on any machine. Ignored in traced runs.
  bool profile = false;
};

// What the runs of one RunContext with RunOptions::profile executed, summed over those runs (of the program
// last run with profile on: a run of another program starts the counts afresh).
struct RunProfile {
  struct Function {
    std::string name;
    uint64_t calls = 0;         // calls that ran its body (the map's entry function: once per run)
    uint64_t reused = 0;        // calls answered with an earlier call's value (RunOptions::reuse_calls)
    uint64_t instructions = 0;  // bytecode instructions executed in its body, not in its callees
  };
  struct Count {
    std::string name;
    uint64_t count = 0;
  };
  uint64_t runs = 0;                // runs that reached the map (a message with no map is not counted)
  std::vector<Function> functions;  // every function of the program, in program order
  std::vector<Count> builtins;      // calls per built-in function, in builtins.def order
  std::vector<Count> opcodes;       // instructions executed per opcode, in opcodes.def order
  // Adds `other` (a profile of the same program, e.g. from another thread's context).
  void Add(const RunProfile& other);
};

// A warning recorded by a `warn` statement or the "warn" unmapped-code policy.
struct RunWarning {
  std::string message;   // as written in the map (no message content unless the map put it there)
  std::string map_file;  // where, from the debug line table
  uint32_t line = 0;
  uint32_t col = 0;
};

enum class OutputKind : uint8_t { kJson, kHl7v2 };

// One input place an output value came from (RunOptions::trace). Paths, never values.
struct LineageInput {
  // "PID-5[1].1", "OBX[2]-5" (the segment's ordinal is shown when the message has more than one such
  // segment; the repetition when one is chosen, or [1] when a component of the first is read), or a JSON
  // path of a JSON/FHIR input ("$.name[0].family").
  std::string path;
  // HL7 v2 inputs: the segment id and its ordinal among segments of that id (1-based), field, repetition,
  // component, subcomponent (0 = the whole field / no repetition chosen / whole). Empty segment for JSON.
  std::string segment;
  uint32_t segment_ordinal = 0;
  uint32_t field = 0, rep = 0, comp = 0, sub = 0;
};

// A terminology call whose answer reached an output value.
struct LineageDecision {
  std::string op;      // "translate", "lookup", "member", "subsumes"
  std::string url;     // the concept map, code system or value set
  std::string result;  // translate: "mapped" (or "mapped as EQUIVALENCE"), "unmapped"; lookup: "found",
                       // "not found"; member: "member", "not member"; subsumes: its answer or "not found"
  std::vector<uint32_t> inputs;  // the code's input places (indexes into LineageRecord::inputs)
  std::string map_file;          // the call's map location
  uint32_t line = 0, col = 0;
  // The code asked about and the code answered, only with RunOptions::log_phi (codes can carry content).
  std::string source_code, target_code;
};

// The lineage of one output value (a leaf: text, number or boolean), in output order.
struct LineageRecord {
  std::string output_path;  // "$.entry[3].resource.name[0].family" (JSON paths of what was written)
  std::string map_file;     // the statement that set it
  uint32_t line = 0, col = 0;
  std::vector<LineageInput> inputs;       // every input place the value was computed from
  std::vector<uint32_t> data_inputs;      // indexes into inputs: the value's data came from these
  std::vector<uint32_t> condition_inputs; // indexes into inputs: these decided whether / which value
  std::vector<LineageDecision> decisions; // terminology answers the value depends on
};

// A map source line, for coverage of the map (RunOutput::lines_run, Program::source_lines).
struct SourceLine {
  std::string file;
  uint32_t line = 0;
  friend bool operator==(const SourceLine& a, const SourceLine& b) { return a.line == b.line && a.file == b.file; }
  friend bool operator<(const SourceLine& a, const SourceLine& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  }
};

struct RunOutput {
  // The output document: JSON, or ER7 text (segments ended by \r) for maps whose target is `hl7v2`.
  std::string json;
  OutputKind kind = OutputKind::kJson;
  std::string map_name;                // the map that ran
  std::vector<RunWarning> warnings;
  // With RunOptions::trace, the readable view of `lineage`: one line per output value,
  // "$.entry[0].resource.gender <- map.cw:12:3 from PID-8 [translate via URL: mapped]" (paths and map
  // locations, never values).
  std::vector<std::string> trace;
  // With RunOptions::trace: the lineage of every value written to the output, in output order.
  std::vector<LineageRecord> lineage;
  // With RunOptions::trace: the map source lines (Program::source_lines) whose code ran, sorted.
  std::vector<SourceLine> lines_run;
  void Clear() {
    json.clear();
    kind = OutputKind::kJson;
    map_name.clear();
    warnings.clear();
    trace.clear();
    lineage.clear();
    lines_run.clear();
  }
};

class Runtime;
class RunContext;

// A verified, immutable program. Safe to share across threads.
class Program {
 public:
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  struct MapInfo {
    std::string name;
    std::string source_kind;   // "hl7v2", "fhir", "json"
    std::string message_type;  // "ADT^A01", "Patient", or empty
    std::string target_kind;
  };
  // The entry points, in declaration order.
  std::vector<MapInfo> maps() const;
  // The terminology the program names (concept maps, code systems, value sets), as "url" or "url|version",
  // each found in the store when the program was loaded.
  std::vector<std::string> terminology() const;
  // With RuntimeOptions::allow_terminology_drift: one line per resource whose store content differs from
  // what the program was compiled against (no message content). Empty otherwise.
  std::vector<std::string> terminology_warnings() const;
  // Every map source line that has code (from the debug line table), sorted: with RunOutput::lines_run,
  // which lines of the maps never ran over a set of messages.
  std::vector<SourceLine> source_lines() const;

  class Impl;
  const Impl& impl() const { return *impl_; }

 private:
  friend class Runtime;
  explicit Program(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Runtime {
 public:
  // Opens the terminology store (if any). Errors: kIoError / kNotFound for the store directory.
  static Result<std::unique_ptr<Runtime>> Create(const RuntimeOptions& options = {}) noexcept;
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Verifies `bytes` (a .cwb file) and binds the terminology it uses. `bytes` need only live for the call.
  // A program compiled against a store runs against the versions it was compiled against (an unversioned
  // reference included), checked by content hash (RuntimeOptions::allow_terminology_drift).
  // Errors: kCorrupt (bad file, with the byte offset or pc), kLimitExceeded (load limits),
  // kFailedPrecondition (a concept map, code system or value set missing from the store, no store, or
  // terminology drift).
  Result<std::shared_ptr<const Program>> Load(std::string_view bytes) const noexcept;

  // Binds a compiled program to this runtime's store, as `crosswalk compile --term` does: records, for each
  // concept map, code system and value set the program names, the version it resolves to in the store now
  // and that version's content hash (docs/terminology.md, "Reproducible binding"). Returns the new .cwb
  // bytes; loading them against a store whose content for one of those differs is then refused
  // (RuntimeOptions::allow_terminology_drift). Earlier bindings are replaced; a program that names no
  // terminology is returned as it is. For hosts that compile maps in-process (crosswalk/compiler/compiler.h).
  // Errors: those of Load for a bad file (kCorrupt, kLimitExceeded, kUnimplemented), kFailedPrecondition
  // (no store, or the store lacks resources the program names: every one is named, separated by "; "),
  // kIoError / kCorrupt from the store.
  Result<std::string> BindTerminology(std::string_view cwb_bytes) const noexcept;

  class Impl;
  Impl& impl() const { return *impl_; }

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Per-thread execution state (registers, arena, message index), reset, not freed, between runs: in steady
// state a run makes no heap allocation. Not thread-safe; make one per thread.
class RunContext {
 public:
  explicit RunContext(const Runtime& runtime);
  ~RunContext();
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;

  // Runs `program` on one input message (HL7 v2 ER7 text, possibly MLLP-framed, or JSON) and writes the
  // output to `out` (cleared first). `input` must stay alive for the call. Errors:
  //   kParseError         the input is malformed (position in the message, never its content)
  //   kNotFound           no map of the program accepts this message type
  //   kFailedPrecondition a `fail` statement ran, or a code was unmapped under the "error" policy
  //   kLimitExceeded      a RunLimits limit was exceeded
  //   kInvalidArgument    a runtime type error in the map (e.g. arithmetic on text)
  // Every error carries the map location (file:line:col) when it arose in the map.
  Status Run(const Program& program, std::string_view input, const RunOptions& options, RunOutput* out) noexcept;

  // The counts of the runs made with RunOptions::profile (empty when there were none), and a fresh start.
  RunProfile Profile() const;
  void ClearProfile();

  // Heap blocks obtained by the arena since construction (for allocation benchmarks).
  size_t arena_blocks() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The listing `crosswalk disasm` prints of a .cwb file: its source files, constants, terminology references,
// maps, and each function's instructions with the map lines they came from. The file is read and verified
// first; no terminology store is needed. Errors as Runtime::Load (kCorrupt with the byte offset or pc,
// kUnimplemented for a format version this runtime does not read, kLimitExceeded). The text is for people:
// its layout may change between releases.
[[nodiscard]] Result<std::string> Disassemble(std::string_view cwb_bytes) noexcept;

}  // namespace crosswalk
