// The C API beyond cw_run: run options (now, zone, variables, map name, input kind, limits, trace), what a
// run reports (warnings, trace lines, map name, output kind), the map list, status names, the version, and
// the terminology store (lookup, validate, translate) against the shipped store in <build>/terminology.
#include "crosswalk/crosswalk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace {

std::string Compile(const std::string& source) {
  auto r = crosswalk::compiler::CompileSource("opts.cw", source);
  EXPECT_TRUE(r.ok()) << crosswalk::compiler::FormatDiagnostics(r);
  return r.bytecode.value_or("");
}

std::string Str(const char* p, size_t n) { return std::string(p, n); }

const std::string kAdt = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||123||Doe^Jane||19800102|F\r";

// A runtime, a loaded program and a context, destroyed in the right order.
struct Host {
  cw_runtime* rt = nullptr;
  cw_program* prog = nullptr;
  cw_context* ctx = nullptr;
  cw_run_options* opts = nullptr;
  explicit Host(const std::string& cwb) {
    EXPECT_EQ(cw_runtime_create(nullptr, 0, &rt), CW_OK) << cw_last_error();
    EXPECT_EQ(cw_program_load(rt, cwb.data(), cwb.size(), &prog), CW_OK) << cw_last_error();
    EXPECT_EQ(cw_context_create(rt, &ctx), CW_OK) << cw_last_error();
    EXPECT_EQ(cw_run_options_create(&opts), CW_OK);
  }
  ~Host() {
    cw_run_options_destroy(opts);
    cw_context_destroy(ctx);
    cw_program_destroy(prog);
    cw_runtime_destroy(rt);
  }
  cw_status Run(const std::string& input, std::string* out, const cw_run_options* o) {
    const char* p = nullptr;
    size_t n = 0;
    cw_status s = cw_run_with_options(ctx, prog, o, input.data(), input.size(), &p, &n);
    if (s == CW_OK) *out = Str(p, n);
    return s;
  }
};

TEST(CApiOptionsTest, NowZoneVariablesAndMapName) {
  Host h(Compile(R"(
map First : hl7v2 "ADT^A01" -> json {
  at: now()
  site: var("site")
  born: date(PID-7)
}
map Second : hl7v2 "ADT^A01" -> json { second: true }
)"));
  std::string out;
  // Defaults: no now(), no variables, the first matching map.
  ASSERT_EQ(h.Run(kAdt, &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(out, R"({"born":"1980-01-02"})");
  const char* name = nullptr;
  size_t len = 0;
  cw_context_map_name(h.ctx, &name, &len);
  EXPECT_EQ(Str(name, len), "First");
  EXPECT_EQ(cw_context_output_kind(h.ctx), CW_OUTPUT_JSON);

  std::string now = "2024-05-01T10:00:00Z";
  ASSERT_EQ(cw_run_options_set_now(h.opts, now.data(), now.size()), CW_OK);
  ASSERT_EQ(cw_run_options_set_variable(h.opts, "site", 4, "north", 5), CW_OK);
  ASSERT_EQ(cw_run_options_set_variable(h.opts, "site", 4, "south", 5), CW_OK);  // replaces
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(out, R"({"at":"2024-05-01T10:00:00Z","site":"south","born":"1980-01-02"})");

  ASSERT_EQ(cw_run_options_clear_variables(h.opts), CW_OK);
  ASSERT_EQ(cw_run_options_set_map_name(h.opts, "Second", 6), CW_OK);
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(out, R"({"second":true})");
  cw_context_map_name(h.ctx, &name, &len);
  EXPECT_EQ(Str(name, len), "Second");

  ASSERT_EQ(cw_run_options_set_map_name(h.opts, "Nope", 4), CW_OK);
  EXPECT_NE(h.Run(kAdt, &out, h.opts), CW_OK);
  ASSERT_EQ(cw_run_options_set_map_name(h.opts, nullptr, 0), CW_OK);  // back to choosing by type

  ASSERT_EQ(cw_run_options_set_pretty(h.opts, 1), CW_OK);
  ASSERT_EQ(cw_run_options_set_now(h.opts, nullptr, 0), CW_OK);
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(out, "{\n  \"born\": \"1980-01-02\"\n}");
}

TEST(CApiOptionsTest, DefaultZoneAppliesToTimesWithoutZone) {
  Host h(Compile(R"(map A : hl7v2 "ADT^A01" -> json { ts: datetime(MSH-7) })"));
  std::string msg = "MSH|^~\\&|A|B|C|D|202401021030||ADT^A01|1|P|2.5.1\r";
  std::string out;
  ASSERT_EQ(cw_run_options_set_default_zone(h.opts, "+02:00", 6), CW_OK);
  ASSERT_EQ(h.Run(msg, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_NE(out.find("+02:00"), std::string::npos) << out;
  ASSERT_EQ(cw_run_options_set_default_zone(h.opts, "Z", 1), CW_OK);
  ASSERT_EQ(h.Run(msg, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(out.find("+02:00"), std::string::npos) << out;
  EXPECT_NE(out.find("Z\""), std::string::npos) << out;
}

TEST(CApiOptionsTest, InputKindForcesTheReader) {
  Host h(Compile(R"(map J : json -> json { x: input.a })"));
  std::string out;
  ASSERT_EQ(h.Run(R"({"a":"b"})", &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(out, R"({"x":"b"})");
  ASSERT_EQ(cw_run_options_set_input_kind(h.opts, CW_INPUT_HL7V2), CW_OK);
  EXPECT_EQ(h.Run(R"({"a":"b"})", &out, h.opts), CW_PARSE_ERROR);
  EXPECT_EQ(cw_run_options_set_input_kind(h.opts, static_cast<cw_input_kind>(7)), CW_INVALID_ARGUMENT);
}

TEST(CApiOptionsTest, WarningsAndTraceLines) {
  Host h(Compile(R"(map A : hl7v2 "ADT^A01" -> json {
  family: PID-5.1
  warn "no birth date" if not PID-7
  warn "always"
})"));
  std::string out;
  std::string no_dob = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||123||Doe^Jane\r";
  ASSERT_EQ(h.Run(no_dob, &out, nullptr), CW_OK) << cw_last_error();
  ASSERT_EQ(cw_context_warning_count(h.ctx), 2u);
  const char* msg = nullptr;
  const char* file = nullptr;
  size_t msg_len = 0, file_len = 0;
  uint32_t line = 0, col = 0;
  ASSERT_EQ(cw_context_warning(h.ctx, 0, &msg, &msg_len, &file, &file_len, &line, &col), CW_OK);
  EXPECT_EQ(Str(msg, msg_len), "no birth date");
  EXPECT_EQ(Str(file, file_len), "opts.cw");
  EXPECT_EQ(line, 3u);
  EXPECT_EQ(col, 3u);
  ASSERT_EQ(cw_context_warning(h.ctx, 1, &msg, &msg_len, nullptr, nullptr, nullptr, nullptr), CW_OK);
  EXPECT_EQ(Str(msg, msg_len), "always");
  EXPECT_EQ(cw_context_warning(h.ctx, 2, &msg, &msg_len, nullptr, nullptr, nullptr, nullptr), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_context_trace_count(h.ctx), 0u);  // trace is off by default

  ASSERT_EQ(h.Run(kAdt, &out, nullptr), CW_OK);  // has a birth date: one warning, the last run's only
  EXPECT_EQ(cw_context_warning_count(h.ctx), 1u);

  ASSERT_EQ(cw_run_options_set_trace(h.opts, 1), CW_OK);
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK);
  ASSERT_EQ(cw_context_trace_count(h.ctx), 1u);
  const char* t = nullptr;
  size_t t_len = 0;
  ASSERT_EQ(cw_context_trace_line(h.ctx, 0, &t, &t_len), CW_OK);
  EXPECT_EQ(Str(t, t_len), "$.family <- opts.cw:2:3 from PID-5[1].1");  // output path, map location, input path
  EXPECT_EQ(cw_context_trace_line(h.ctx, 1, &t, &t_len), CW_INVALID_ARGUMENT);
  EXPECT_STREQ(cw_last_error(), "index out of range");
}

// Coverage through C: the program's lines with code, and with trace on, the lines the last run executed.
TEST(CApiOptionsTest, SourceLinesAndLinesRun) {
  Host h(Compile(R"(map A : hl7v2 "ADT^A01" -> json {
  family: PID-5.1
  given: PID-5.2 if PID-8 == "F"
  warn "always"
})"));
  std::vector<uint32_t> source;
  for (size_t i = 0; i < cw_program_source_line_count(h.prog); ++i) {
    const char* file = nullptr;
    size_t file_len = 0;
    uint32_t line = 0;
    ASSERT_EQ(cw_program_source_line(h.prog, i, &file, &file_len, &line), CW_OK);
    EXPECT_EQ(Str(file, file_len), "opts.cw");
    source.push_back(line);
  }
  EXPECT_TRUE(std::is_sorted(source.begin(), source.end()));
  for (uint32_t line : {2u, 3u, 4u}) EXPECT_NE(std::find(source.begin(), source.end(), line), source.end()) << line;
  EXPECT_EQ(cw_program_source_line(h.prog, source.size(), nullptr, nullptr, nullptr), CW_INVALID_ARGUMENT);

  std::string out;
  ASSERT_EQ(h.Run(kAdt, &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(cw_context_lines_run_count(h.ctx), 0u);  // recorded with trace only
  ASSERT_EQ(cw_run_options_set_trace(h.opts, 1), CW_OK);
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  std::vector<uint32_t> ran;
  for (size_t i = 0; i < cw_context_lines_run_count(h.ctx); ++i) {
    uint32_t line = 0;
    ASSERT_EQ(cw_context_line_run(h.ctx, i, nullptr, nullptr, &line), CW_OK);
    EXPECT_NE(std::find(source.begin(), source.end(), line), source.end()) << line;  // a line with code
    ran.push_back(line);
  }
  EXPECT_TRUE(std::is_sorted(ran.begin(), ran.end()));
  for (uint32_t line : {2u, 4u}) EXPECT_NE(std::find(ran.begin(), ran.end(), line), ran.end()) << line;
  EXPECT_EQ(cw_context_line_run(h.ctx, ran.size(), nullptr, nullptr, nullptr), CW_INVALID_ARGUMENT);
}

// cw_run_options_set_profile: the counts of the context's runs, by name, as the C++ RunProfile has them.
TEST(CApiOptionsTest, ProfileCountsFunctionsBuiltinsAndOpcodes) {
  Host h(Compile(R"(
map M : hl7v2 "ADT^A01" -> json {
  family: Up(PID-5.1)
  given: Up(PID-5.2)
}
def Up(s) = upper(trim(s))
)"));
  std::string out;
  ASSERT_EQ(h.Run(kAdt, &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(cw_context_profile_runs(h.ctx), 0u);  // counted with profile only
  EXPECT_EQ(cw_context_profile_function_count(h.ctx), 0u);
  ASSERT_EQ(cw_run_options_set_profile(h.opts, 1), CW_OK);
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(out, R"({"family":"DOE","given":"JANE"})");
  EXPECT_EQ(cw_context_profile_runs(h.ctx), 2u);
  bool found = false;
  for (size_t i = 0; i < cw_context_profile_function_count(h.ctx); ++i) {
    const char* name = nullptr;
    size_t len = 0;
    uint64_t calls = 0, reused = 0, instructions = 0;
    ASSERT_EQ(cw_context_profile_function(h.ctx, i, &name, &len, &calls, &reused, &instructions), CW_OK);
    if (Str(name, len) != "Up") continue;
    found = true;
    EXPECT_EQ(calls + reused, 4u);  // two calls per run
    EXPECT_GT(instructions, 0u);
  }
  EXPECT_TRUE(found);
  auto count_of = [&](auto count_fn, auto get_fn, const std::string& want) {
    for (size_t i = 0; i < count_fn(h.ctx); ++i) {
      const char* name = nullptr;
      size_t len = 0;
      uint64_t n = 0;
      EXPECT_EQ(get_fn(h.ctx, i, &name, &len, &n), CW_OK);
      if (Str(name, len) == want) return n;
    }
    ADD_FAILURE() << "no " << want;
    return uint64_t{0};
  };
  EXPECT_EQ(count_of(cw_context_profile_builtin_count, cw_context_profile_builtin, "trim"), 4u);
  EXPECT_EQ(count_of(cw_context_profile_builtin_count, cw_context_profile_builtin, "upper"), 4u);
  EXPECT_EQ(count_of(cw_context_profile_opcode_count, cw_context_profile_opcode, "CALLB"), 8u);
  EXPECT_EQ(cw_context_profile_function(h.ctx, cw_context_profile_function_count(h.ctx), nullptr, nullptr, nullptr,
                                        nullptr, nullptr),
            CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_context_profile_builtin(h.ctx, cw_context_profile_builtin_count(h.ctx), nullptr, nullptr, nullptr),
            CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_context_profile_opcode(nullptr, 0, nullptr, nullptr, nullptr), CW_INVALID_ARGUMENT);
  cw_context_profile_clear(h.ctx);
  cw_context_profile_clear(nullptr);
  EXPECT_EQ(cw_context_profile_runs(h.ctx), 0u);
  EXPECT_EQ(cw_context_profile_function_count(h.ctx), 0u);
  ASSERT_EQ(h.Run(kAdt, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(cw_context_profile_runs(h.ctx), 1u);
}

// Each limit at N (passes) and N+1 work (fails with CW_LIMIT_EXCEEDED) through the C options.
TEST(CApiOptionsTest, LimitsAtTheEdge) {
  Host h(Compile(R"(
def Deep(n) = if n <= 0 then 0 else 1 + Deep(n - 1)
map A : json -> json { d: Deep(input.n) }
)"));
  uint64_t v = 0;
  ASSERT_EQ(cw_run_options_get_limit(h.opts, CW_LIMIT_CALL_DEPTH, &v), CW_OK);
  EXPECT_EQ(v, crosswalk::RunLimits{}.max_call_depth);
  ASSERT_EQ(cw_run_options_get_limit(h.opts, CW_LIMIT_INSTRUCTIONS, &v), CW_OK);
  EXPECT_EQ(v, crosswalk::RunLimits{}.max_instructions);
  ASSERT_EQ(cw_run_options_get_limit(h.opts, CW_LIMIT_OUTPUT_BYTES, &v), CW_OK);
  EXPECT_EQ(v, crosswalk::RunLimits{}.max_output_bytes);
  ASSERT_EQ(cw_run_options_get_limit(h.opts, CW_LIMIT_ARENA_BYTES, &v), CW_OK);
  EXPECT_EQ(v, crosswalk::RunLimits{}.max_arena_bytes);

  // Call depth: the map's frame counts as one, so Deep(n) (n + 1 nested calls) needs n + 2 frames.
  std::string out;
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_CALL_DEPTH, 10), CW_OK);
  EXPECT_EQ(h.Run(R"({"n":8})", &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(h.Run(R"({"n":9})", &out, h.opts), CW_LIMIT_EXCEEDED);
  EXPECT_NE(std::string(cw_last_error()).find("call depth"), std::string::npos) << cw_last_error();

  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_CALL_DEPTH, 200), CW_OK);
  ASSERT_EQ(h.Run(R"({"n":3})", &out, h.opts), CW_OK);
  EXPECT_EQ(out, R"({"d":3})");
  const uint64_t size = out.size();
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_OUTPUT_BYTES, size), CW_OK);
  EXPECT_EQ(h.Run(R"({"n":3})", &out, h.opts), CW_OK) << cw_last_error();
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_OUTPUT_BYTES, size - 1), CW_OK);
  EXPECT_EQ(h.Run(R"({"n":3})", &out, h.opts), CW_LIMIT_EXCEEDED);

  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_OUTPUT_BYTES, 1 << 20), CW_OK);
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_INSTRUCTIONS, 1), CW_OK);
  EXPECT_EQ(h.Run(R"({"n":50})", &out, h.opts), CW_LIMIT_EXCEEDED);

  EXPECT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_CALL_DEPTH, uint64_t{1} << 32), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_run_options_set_limit(h.opts, static_cast<cw_limit>(99), 1), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_run_options_get_limit(h.opts, static_cast<cw_limit>(99), &v), CW_INVALID_ARGUMENT);
}

// A runaway loop stops on CPU time when only the CPU limit is tight; the limit reads back.
TEST(CApiOptionsTest, CpuTimeLimit) {
  Host h(Compile(R"(
def Spin(n, k) = if n <= 0 then 0 else Spin(n - 1, 2 * k) + Spin(n - 1, 2 * k + 1)
map A : json -> json { d: Spin(input.n, 1) }
)"));
  uint64_t v = 1;
  ASSERT_EQ(cw_run_options_get_limit(h.opts, CW_LIMIT_CPU_TIME_MS, &v), CW_OK);
  EXPECT_EQ(v, 0u);  // off by default
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_CPU_TIME_MS, 20), CW_OK);
  ASSERT_EQ(cw_run_options_get_limit(h.opts, CW_LIMIT_CPU_TIME_MS, &v), CW_OK);
  EXPECT_EQ(v, 20u);
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_INSTRUCTIONS, uint64_t{1} << 62), CW_OK);
  std::string out;
  ASSERT_EQ(h.Run(R"({"n":2})", &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(h.Run(R"({"n":60})", &out, h.opts), CW_LIMIT_EXCEEDED);
  EXPECT_NE(std::string(cw_last_error()).find("CPU"), std::string::npos) << cw_last_error();
}

// Reused calls are on by default and can be turned off: the same output, more instructions.
TEST(CApiOptionsTest, ReuseCallsCanBeTurnedOff) {
  Host h(Compile(R"(
def Sum(n) = if n <= 0 then 0 else n + Sum(n - 1)
map A : json -> json { a: Sum(input.n), b: Sum(input.n), c: Sum(input.n), d: Sum(input.n) }
)"));
  const std::string in = R"({"n":60})";
  std::string reused, run;
  ASSERT_EQ(h.Run(in, &reused, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(reused, R"({"a":1830,"b":1830,"c":1830,"d":1830})");
  // The smallest budget that maps it with reused calls is too small without them.
  uint64_t lo = 1, hi = 1'000'000;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_INSTRUCTIONS, mid), CW_OK);
    if (h.Run(in, &run, h.opts) == CW_OK) hi = mid;
    else lo = mid + 1;
  }
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_INSTRUCTIONS, lo), CW_OK);
  ASSERT_EQ(cw_run_options_set_reuse_calls(h.opts, 0), CW_OK);
  EXPECT_EQ(h.Run(in, &run, h.opts), CW_LIMIT_EXCEEDED);
  ASSERT_EQ(cw_run_options_set_limit(h.opts, CW_LIMIT_INSTRUCTIONS, 4 * lo), CW_OK);
  ASSERT_EQ(h.Run(in, &run, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(run, reused);
  EXPECT_EQ(cw_run_options_set_reuse_calls(nullptr, 0), CW_INVALID_ARGUMENT);
}

// fail/warn texts that interpolate input values show them only with log_phi.
TEST(CApiOptionsTest, LogPhiShowsValuesInFailAndWarnTexts) {
  Host h(Compile(R"(map A : hl7v2 "ADT^A01" -> json {
  warn "name ${PID-5.1}"
  fail "stop at ${PID-3}"
})"));
  std::string out;
  EXPECT_EQ(h.Run(kAdt, &out, h.opts), CW_FAILED_PRECONDITION);
  EXPECT_EQ(std::string(cw_last_error()).find("123"), std::string::npos) << cw_last_error();
  const char* msg = nullptr;
  size_t len = 0;
  ASSERT_EQ(cw_context_warning(h.ctx, 0, &msg, &len, nullptr, nullptr, nullptr, nullptr), CW_OK);
  EXPECT_EQ(Str(msg, len), "name ${PID-5.1}");

  ASSERT_EQ(cw_run_options_set_log_phi(h.opts, 1), CW_OK);
  EXPECT_EQ(h.Run(kAdt, &out, h.opts), CW_FAILED_PRECONDITION);
  EXPECT_NE(std::string(cw_last_error()).find("stop at 123"), std::string::npos) << cw_last_error();
  ASSERT_EQ(cw_context_warning(h.ctx, 0, &msg, &len, nullptr, nullptr, nullptr, nullptr), CW_OK);
  EXPECT_EQ(Str(msg, len), "name Doe");
  EXPECT_EQ(cw_run_options_set_log_phi(nullptr, 1), CW_INVALID_ARGUMENT);
}

// Bytes that are not UTF-8 in a UTF-8 message: rejected by default, U+FFFD with the replace policy.
TEST(CApiOptionsTest, InvalidUtf8Policy) {
  Host h(Compile(R"(map A : hl7v2 "ADT^A01" -> json { family: PID-5.1 })"));
  const std::string bad = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||123||Do\xff" "e^Jane\r";
  std::string out;
  EXPECT_EQ(h.Run(bad, &out, h.opts), CW_PARSE_ERROR);
  ASSERT_EQ(cw_run_options_set_invalid_utf8(h.opts, CW_INVALID_UTF8_REPLACE), CW_OK);
  ASSERT_EQ(h.Run(bad, &out, h.opts), CW_OK) << cw_last_error();
  EXPECT_EQ(out, "{\"family\":\"Do\xef\xbf\xbd" "e\"}");
  ASSERT_EQ(cw_run_options_set_invalid_utf8(h.opts, CW_INVALID_UTF8_REJECT), CW_OK);
  EXPECT_EQ(h.Run(bad, &out, h.opts), CW_PARSE_ERROR);
  EXPECT_EQ(cw_run_options_set_invalid_utf8(h.opts, static_cast<cw_invalid_utf8>(7)), CW_INVALID_ARGUMENT);
}

TEST(CApiOptionsTest, MapListOfAProgram) {
  Host h(Compile(R"(
map Adt : hl7v2 "ADT^A01" -> fhir "Patient" { resourceType: "Patient" }
map Back : fhir "Patient" -> hl7v2 "ADT^A01" { segments[]: { id: "MSH" } }
)"));
  ASSERT_EQ(cw_program_map_count(h.prog), 2u);
  const char *name, *src, *type, *dst;
  size_t name_len, src_len, type_len, dst_len;
  ASSERT_EQ(cw_program_map(h.prog, 0, &name, &name_len, &src, &src_len, &type, &type_len, &dst, &dst_len), CW_OK);
  EXPECT_EQ(Str(name, name_len), "Adt");
  EXPECT_EQ(Str(src, src_len), "hl7v2");
  EXPECT_EQ(Str(type, type_len), "ADT^A01");
  EXPECT_EQ(Str(dst, dst_len), "fhir");
  ASSERT_EQ(cw_program_map(h.prog, 1, &name, &name_len, &src, &src_len, &type, &type_len, &dst, &dst_len), CW_OK);
  EXPECT_EQ(Str(name, name_len), "Back");
  EXPECT_EQ(Str(src, src_len), "fhir");
  EXPECT_EQ(Str(type, type_len), "Patient");
  EXPECT_EQ(Str(dst, dst_len), "hl7v2");
  EXPECT_EQ(cw_program_map(h.prog, 2, &name, &name_len, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr),
            CW_INVALID_ARGUMENT);

  // The FHIR -> HL7 v2 map writes ER7, and the context says so.
  std::string out;
  ASSERT_EQ(h.Run(R"({"resourceType":"Patient"})", &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(cw_context_output_kind(h.ctx), CW_OUTPUT_HL7V2);
  EXPECT_EQ(out.rfind("MSH|", 0), 0u) << out;
  ASSERT_EQ(h.Run(kAdt, &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(cw_context_output_kind(h.ctx), CW_OUTPUT_JSON);
}

// docs/embedding.md's hot reload: a context belongs to the runtime, so after loading a new program the same
// context runs it, and the old program can be destroyed while the context lives on.
TEST(CApiOptionsTest, HotReloadRunsTheNewProgramOnTheSameContext) {
  Host h(Compile(R"(map A : json -> json { version: 1 })"));
  std::string out;
  ASSERT_EQ(h.Run("{}", &out, nullptr), CW_OK);
  EXPECT_EQ(out, R"({"version":1})");
  std::string v2 = Compile(R"(map A : json -> json { version: 2 })");
  cw_program* next = nullptr;
  ASSERT_EQ(cw_program_load(h.rt, v2.data(), v2.size(), &next), CW_OK) << cw_last_error();
  cw_program_destroy(h.prog);
  h.prog = next;
  ASSERT_EQ(h.Run("{}", &out, nullptr), CW_OK) << cw_last_error();
  EXPECT_EQ(out, R"({"version":2})");
}

// The threading contract of crosswalk.h: one runtime, one program and one cw_run_options shared by every
// thread, one context per thread. Every thread sees exactly its own outputs and warnings.
TEST(CApiOptionsTest, ThreadsShareARuntimeProgramAndOptions) {
  Host h(Compile(R"(map A : json -> json {
  n: input.n
  site: var("site")
  warn "odd" if input.odd
})"));
  ASSERT_EQ(cw_run_options_set_variable(h.opts, "site", 4, "north", 5), CW_OK);
  constexpr int kThreads = 4, kRuns = 200;
  std::vector<int> bad(kThreads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      cw_context* ctx = nullptr;
      if (cw_context_create(h.rt, &ctx) != CW_OK) {
        bad[t] = -1;
        return;
      }
      for (int i = 0; i < kRuns; ++i) {
        const int n = t * 1000 + i;
        const bool odd = i % 2 == 1;
        std::string in = "{\"n\":" + std::to_string(n) + (odd ? ",\"odd\":true}" : "}");
        const char* out = nullptr;
        size_t len = 0;
        std::string want = "{\"n\":" + std::to_string(n) + ",\"site\":\"north\"}";
        if (cw_run_with_options(ctx, h.prog, h.opts, in.data(), in.size(), &out, &len) != CW_OK ||
            Str(out, len) != want || cw_context_warning_count(ctx) != (odd ? 1u : 0u)) {
          ++bad[t];
        }
      }
      cw_context_destroy(ctx);
    });
  }
  for (auto& th : pool) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

// Warnings recorded before a failure are still readable after it.
TEST(CApiOptionsTest, WarningsSurviveAFailedRun) {
  Host h(Compile(R"(map A : json -> json {
  warn "before the failure"
  fail "stop"
})"));
  std::string out;
  EXPECT_EQ(h.Run("{}", &out, nullptr), CW_FAILED_PRECONDITION);
  ASSERT_EQ(cw_context_warning_count(h.ctx), 1u);
  const char* msg = nullptr;
  size_t len = 0;
  ASSERT_EQ(cw_context_warning(h.ctx, 0, &msg, &len, nullptr, nullptr, nullptr, nullptr), CW_OK);
  EXPECT_EQ(Str(msg, len), "before the failure");
}

TEST(CApiOptionsTest, StatusNamesAndVersion) {
  EXPECT_STREQ(cw_status_name(CW_OK), "ok");
  EXPECT_STREQ(cw_status_name(CW_CORRUPT), "corrupt");
  EXPECT_STREQ(cw_status_name(CW_LIMIT_EXCEEDED), "limit exceeded");
  EXPECT_STREQ(cw_status_name(CW_PARSE_ERROR), "parse error");
  EXPECT_STREQ(cw_status_name(CW_IO_ERROR), "I/O error");
  EXPECT_STREQ(cw_status_name(static_cast<cw_status>(42)), "unknown");
  EXPECT_STREQ(cw_status_name(static_cast<cw_status>(-1)), "unknown");

  EXPECT_EQ(cw_version_number(), static_cast<uint32_t>(CW_VERSION_NUMBER));
  EXPECT_EQ(std::string(cw_version()), std::to_string(CW_VERSION_MAJOR) + "." + std::to_string(CW_VERSION_MINOR) +
                                           "." + std::to_string(CW_VERSION_PATCH));
  uint32_t lo = 0, hi = 0;
  cw_format_versions(&lo, &hi);
  EXPECT_GE(lo, 1u);
  EXPECT_LE(lo, hi);
  cw_format_versions(nullptr, nullptr);  // both may be NULL
}

TEST(CApiOptionsTest, NullArgumentsAreRefused) {
  EXPECT_EQ(cw_run_options_create(nullptr), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_run_options_set_now(nullptr, "x", 1), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_run_options_set_variable(nullptr, "a", 1, "b", 1), CW_INVALID_ARGUMENT);
  cw_run_options* o = nullptr;
  ASSERT_EQ(cw_run_options_create(&o), CW_OK);
  EXPECT_EQ(cw_run_options_set_now(o, nullptr, 3), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_run_options_set_variable(o, "a", 1, nullptr, 2), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_run_options_get_limit(o, CW_LIMIT_ARENA_BYTES, nullptr), CW_INVALID_ARGUMENT);
  cw_run_options_destroy(o);
  cw_store* st = nullptr;
  EXPECT_EQ(cw_store_open(nullptr, 0, &st), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_store_open("/nonexistent/crosswalk-store", 28, &st), CW_NOT_FOUND) << cw_last_error();
  EXPECT_EQ(cw_context_warning_count(nullptr), 0u);
  EXPECT_EQ(cw_program_map_count(nullptr), 0u);
  cw_store_destroy(nullptr);
  cw_concept_destroy(nullptr);
  cw_translation_destroy(nullptr);
}

// The shipped store (<build>/terminology, seeded from maps/terminology by the build).
class CApiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = std::string(CW_BUILD_DIR) + "/terminology";
    ASSERT_EQ(cw_store_open(dir.data(), dir.size(), &store_), CW_OK) << cw_last_error();
  }
  void TearDown() override { cw_store_destroy(store_); }
  cw_store* store_ = nullptr;
};

const std::string kV2Sex = "http://terminology.hl7.org/CodeSystem/v2-0001";
const std::string kGender = "http://hl7.org/fhir/administrative-gender";
const std::string kCm0001 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70001-to-administrative-gender";

std::string Field(const cw_concept* c, cw_concept_field f) {
  const char* p = nullptr;
  size_t n = 0;
  cw_concept_get(c, f, &p, &n);
  return Str(p, n);
}

std::string Field(const cw_translation* t, cw_translation_field f) {
  const char* p = nullptr;
  size_t n = 0;
  cw_translation_get(t, f, &p, &n);
  return Str(p, n);
}

TEST_F(CApiStoreTest, LookupAConcept) {
  cw_concept* c = nullptr;
  ASSERT_EQ(cw_store_lookup(store_, kV2Sex.data(), kV2Sex.size(), "F", 1, nullptr, 0, &c), CW_OK) << cw_last_error();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Field(c, CW_CONCEPT_SYSTEM), kV2Sex);
  EXPECT_EQ(Field(c, CW_CONCEPT_CODE), "F");
  EXPECT_EQ(Field(c, CW_CONCEPT_DISPLAY), "Female");
  EXPECT_EQ(Field(c, CW_CONCEPT_STATUS), "active");
  EXPECT_FALSE(Field(c, CW_CONCEPT_VERSION).empty());
  EXPECT_EQ(Field(c, static_cast<cw_concept_field>(77)), "");
  // The C API shows exactly what the C++ Store answers.
  size_t props = cw_concept_property_count(c);
  for (size_t i = 0; i < props; ++i) {
    const char *code, *type, *value;
    size_t code_len, type_len, value_len;
    ASSERT_EQ(cw_concept_property(c, i, &code, &code_len, &type, &type_len, &value, &value_len), CW_OK);
    EXPECT_GT(code_len, 0u);
  }
  EXPECT_EQ(cw_concept_property(c, props, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_concept_designation(c, cw_concept_designation_count(c), nullptr, nullptr, nullptr, nullptr, nullptr,
                                   nullptr, nullptr, nullptr),
            CW_INVALID_ARGUMENT);
  cw_concept_destroy(c);

  c = reinterpret_cast<cw_concept*>(&c);  // must be overwritten with NULL
  ASSERT_EQ(cw_store_lookup(store_, kV2Sex.data(), kV2Sex.size(), "no-such-code", 12, nullptr, 0, &c), CW_OK);
  EXPECT_EQ(c, nullptr);
  std::string unknown = "urn:example:no-such-system";
  EXPECT_EQ(cw_store_lookup(store_, unknown.data(), unknown.size(), "F", 1, nullptr, 0, &c), CW_NOT_FOUND);
  EXPECT_NE(std::string(cw_last_error()), "");
}

TEST_F(CApiStoreTest, ValidateACode) {
  int valid = -1;
  ASSERT_EQ(cw_store_validate(store_, kV2Sex.data(), kV2Sex.size(), "M", 1, nullptr, 0, &valid), CW_OK);
  EXPECT_EQ(valid, 1);
  ASSERT_EQ(cw_store_validate(store_, kV2Sex.data(), kV2Sex.size(), "nope", 4, nullptr, 0, &valid), CW_OK);
  EXPECT_EQ(valid, 0);
  std::string unknown = "urn:example:no-such-system";
  EXPECT_EQ(cw_store_validate(store_, unknown.data(), unknown.size(), "M", 1, nullptr, 0, &valid), CW_NOT_FOUND);
}

TEST_F(CApiStoreTest, TranslateThroughAConceptMap) {
  cw_translation* t = nullptr;
  ASSERT_EQ(cw_store_translate(store_, kCm0001.data(), kCm0001.size(), kV2Sex.data(), kV2Sex.size(), "F", 1,
                               nullptr, 0, &t),
            CW_OK)
      << cw_last_error();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(cw_translation_found(t), 1);
  EXPECT_EQ(Field(t, CW_TRANSLATION_TARGET_SYSTEM), kGender);
  EXPECT_EQ(Field(t, CW_TRANSLATION_TARGET_CODE), "female");
  EXPECT_EQ(Field(t, CW_TRANSLATION_MAP_URL), kCm0001);
  EXPECT_FALSE(Field(t, CW_TRANSLATION_EQUIVALENCE).empty());
  cw_translation_destroy(t);

  ASSERT_EQ(cw_store_translate(store_, kCm0001.data(), kCm0001.size(), kV2Sex.data(), kV2Sex.size(), "no-such", 7,
                               nullptr, 0, &t),
            CW_OK);
  EXPECT_EQ(cw_translation_found(t), 0);
  EXPECT_EQ(Field(t, CW_TRANSLATION_TARGET_CODE), "");
  cw_translation_destroy(t);

  std::string none = "urn:example:no-such-map";
  EXPECT_EQ(cw_store_translate(store_, none.data(), none.size(), kV2Sex.data(), kV2Sex.size(), "F", 1, nullptr, 0, &t),
            CW_NOT_FOUND);
}

}  // namespace
