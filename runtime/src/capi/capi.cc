// The C API shim: catches everything, maps Status codes to cw_status.
#include "crosswalk/crosswalk.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bytecode/format.h"
#include "crosswalk/hl7v2.h"
#include "crosswalk/runtime.h"
#include "crosswalk/terminology.h"

#ifndef CW_PROJECT_VERSION
#error "CW_PROJECT_VERSION must be defined by the build (runtime/CMakeLists.txt)"
#endif

struct cw_runtime {
  std::unique_ptr<crosswalk::Runtime> rt;
};
struct cw_program {
  std::shared_ptr<const crosswalk::Program> program;
  // cached: Program::maps(), terminology(), terminology_warnings() and source_lines() return copies
  std::vector<crosswalk::Program::MapInfo> maps;
  std::vector<std::string> terminology;
  std::vector<std::string> terminology_warnings;
  std::vector<crosswalk::SourceLine> source_lines;
};
struct cw_context {
  std::unique_ptr<crosswalk::RunContext> ctx;
  crosswalk::RunOutput out;
  crosswalk::RunProfile profile;  // as of the last run with RunOptions::profile (names for the C caller)
};
struct cw_run_options {
  crosswalk::RunOptions options;
};
struct cw_store {
  std::unique_ptr<crosswalk::term::Store> store;
};
struct cw_concept {
  crosswalk::term::Concept concept_;  // views into the store's memory
};
struct cw_translation {
  crosswalk::term::Translation translation;  // views into the store's memory
};
struct cw_expand_options {
  crosswalk::term::ExpandOptions options;
};
struct cw_expansion {
  crosswalk::term::Expansion expansion;  // owns its strings
};
struct cw_translate_options {
  crosswalk::term::TranslateOptions options;
};
struct cw_matches {
  std::vector<crosswalk::term::Match> matches;  // owns its strings
};
struct cw_runtime_options {
  crosswalk::RuntimeOptions options;
};
struct cw_splitter {
  crosswalk::MessageSplitter splitter;
  std::string item_error;  // the reason of the last error item (ToString of its Status)
};
struct cw_message_header {
  crosswalk::MessageHeader header;
};
struct cw_ack_builder {
  crosswalk::AckOptions options;
  std::string ack;
};

namespace {

#define CW_STRINGIFY_INNER_(x) #x
#define CW_STRINGIFY_(x) CW_STRINGIFY_INNER_(x)

thread_local std::string g_last_error;

cw_status Fail(const crosswalk::Status& s) {
  g_last_error = s.ToString();
  return static_cast<cw_status>(static_cast<int>(s.code()));
}
cw_status Ok() {
  g_last_error.clear();
  return CW_OK;
}
cw_status FailText(cw_status code, const char* text) {
  g_last_error = text;
  return code;
}

template <typename Fn>
cw_status Guard(Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return FailText(CW_LIMIT_EXCEEDED, "out of memory");
  } catch (const std::exception& e) {
    g_last_error = std::string("internal error: ") + e.what();
    return CW_INTERNAL;
  } catch (...) {
    return FailText(CW_INTERNAL, "internal error");
  }
}

// cw_status is crosswalk::StatusCode, value for value.
static_assert(static_cast<int>(crosswalk::StatusCode::kOk) == CW_OK);
static_assert(static_cast<int>(crosswalk::StatusCode::kInvalidArgument) == CW_INVALID_ARGUMENT);
static_assert(static_cast<int>(crosswalk::StatusCode::kNotFound) == CW_NOT_FOUND);
static_assert(static_cast<int>(crosswalk::StatusCode::kCorrupt) == CW_CORRUPT);
static_assert(static_cast<int>(crosswalk::StatusCode::kFailedPrecondition) == CW_FAILED_PRECONDITION);
static_assert(static_cast<int>(crosswalk::StatusCode::kLimitExceeded) == CW_LIMIT_EXCEEDED);
static_assert(static_cast<int>(crosswalk::StatusCode::kUnimplemented) == CW_UNIMPLEMENTED);
static_assert(static_cast<int>(crosswalk::StatusCode::kIoError) == CW_IO_ERROR);
static_assert(static_cast<int>(crosswalk::StatusCode::kParseError) == CW_PARSE_ERROR);
static_assert(static_cast<int>(crosswalk::StatusCode::kInternal) == CW_INTERNAL);
static_assert(static_cast<int>(crosswalk::InputKind::kAuto) == CW_INPUT_AUTO);
static_assert(static_cast<int>(crosswalk::InputKind::kHl7v2) == CW_INPUT_HL7V2);
static_assert(static_cast<int>(crosswalk::InputKind::kJson) == CW_INPUT_JSON);

// The header's version macros and the build's project() version are one number.
constexpr std::string_view kVersion = CW_PROJECT_VERSION;
constexpr std::string_view kHeaderVersion = CW_STRINGIFY_(CW_VERSION_MAJOR) "." CW_STRINGIFY_(
    CW_VERSION_MINOR) "." CW_STRINGIFY_(CW_VERSION_PATCH);
static_assert(kVersion == kHeaderVersion, "crosswalk.h CW_VERSION_* differ from project(VERSION) in CMakeLists.txt");

std::string_view View(const char* p, size_t n) { return n == 0 ? std::string_view() : std::string_view(p, n); }

// Sets an optional (ptr, len) out-parameter pair to `v`.
void Out(std::string_view v, const char** ptr, size_t* len) {
  if (ptr != nullptr) *ptr = v.data() != nullptr ? v.data() : "";
  if (len != nullptr) *len = v.size();
}

cw_status OutOfRange() { return FailText(CW_INVALID_ARGUMENT, "index out of range"); }

cw_status OutSourceLine(const std::vector<crosswalk::SourceLine>& lines, size_t index, const char** file,
                        size_t* file_len, uint32_t* line) {
  if (index >= lines.size()) return OutOfRange();
  Out(lines[index].file, file, file_len);
  if (line != nullptr) *line = lines[index].line;
  return Ok();
}

// Runs `set` with a copy of the (s, len) string argument of a cw_run_options setter.
template <typename Fn>
cw_status SetOption(cw_run_options* options, const char* s, size_t len, Fn&& set) {
  return Guard([&] {
    if (options == nullptr || (s == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    set(std::string(View(s, len)));
    return Ok();
  });
}

}  // namespace

namespace {

// Sets a string option from a (s, len) argument.
cw_status SetString(std::string* dst, const char* s, size_t len) {
  return Guard([&] {
    if (dst == nullptr || (s == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    dst->assign(View(s, len));
    return Ok();
  });
}

const std::vector<crosswalk::term::Match::Attribute>* Attributes(const cw_matches* matches, size_t index,
                                                                  cw_match_attribute_kind kind) {
  if (matches == nullptr || index >= matches->matches.size()) return nullptr;
  const crosswalk::term::Match& m = matches->matches[index];
  switch (kind) {
    case CW_MATCH_DEPENDS_ON: return &m.depends_on;
    case CW_MATCH_PRODUCT: return &m.product;
  }
  return nullptr;
}

}  // namespace

extern "C" {

const char* cw_version(void) { return CW_PROJECT_VERSION; }

uint32_t cw_version_number(void) { return CW_VERSION_NUMBER; }

void cw_format_versions(uint32_t* min_version, uint32_t* max_version) {
  if (min_version != nullptr) *min_version = crosswalk::bytecode::kMinFormatVersion;
  if (max_version != nullptr) *max_version = crosswalk::bytecode::kMaxFormatVersion;
}

const char* cw_last_error(void) { return g_last_error.c_str(); }

const char* cw_status_name(cw_status status) {
  if (static_cast<int>(status) < CW_OK || static_cast<int>(status) > CW_PARSE_ERROR) return "unknown";
  // StatusCodeName returns views of string literals, so data() is NUL-terminated.
  return crosswalk::StatusCodeName(static_cast<crosswalk::StatusCode>(status)).data();
}

cw_status cw_runtime_create(const char* dir, size_t dir_len, cw_runtime** out) {
  return Guard([&] {
    if (out == nullptr || (dir == nullptr && dir_len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    crosswalk::RuntimeOptions o;
    if (dir_len) o.terminology_dir.assign(dir, dir_len);
    auto rt = crosswalk::Runtime::Create(o);
    if (!rt.ok()) return Fail(rt.status());
    *out = new cw_runtime{std::move(rt).value()};
    return Ok();
  });
}

void cw_runtime_destroy(cw_runtime* runtime) { delete runtime; }

// ---- Runtime options ----

cw_status cw_runtime_options_create(cw_runtime_options** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_runtime_options{};
    return Ok();
  });
}

void cw_runtime_options_destroy(cw_runtime_options* options) { delete options; }

cw_status cw_runtime_options_set_terminology_dir(cw_runtime_options* options, const char* dir, size_t len) {
  return Guard([&] {
    if (options == nullptr || (dir == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    options->options.terminology_dir.assign(View(dir, len));
    return Ok();
  });
}

cw_status cw_runtime_options_set_allow_terminology_drift(cw_runtime_options* options, int allow) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.allow_terminology_drift = allow != 0;
  return Ok();
}

cw_status cw_runtime_options_set_terminology_cache_bytes(cw_runtime_options* options, uint64_t bytes) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.terminology_cache_bytes =
      bytes >= std::numeric_limits<size_t>::max() ? std::numeric_limits<size_t>::max() : static_cast<size_t>(bytes);
  return Ok();
}

cw_status cw_runtime_create_with_options(const cw_runtime_options* options, cw_runtime** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    static const crosswalk::RuntimeOptions kDefaults;
    auto rt = crosswalk::Runtime::Create(options != nullptr ? options->options : kDefaults);
    if (!rt.ok()) return Fail(rt.status());
    *out = new cw_runtime{std::move(rt).value()};
    return Ok();
  });
}

cw_status cw_program_load(cw_runtime* runtime, const void* bytes, size_t len, cw_program** out) {
  return Guard([&] {
    if (runtime == nullptr || out == nullptr || (bytes == nullptr && len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    auto p = runtime->rt->Load(std::string_view(static_cast<const char*>(bytes), len));
    if (!p.ok()) return Fail(p.status());
    auto program = std::move(p).value();
    auto maps = program->maps();
    auto terminology = program->terminology();
    auto warnings = program->terminology_warnings();
    auto source_lines = program->source_lines();
    *out = new cw_program{std::move(program), std::move(maps), std::move(terminology), std::move(warnings),
                          std::move(source_lines)};
    return Ok();
  });
}

void cw_program_destroy(cw_program* program) { delete program; }

size_t cw_program_map_count(const cw_program* program) { return program == nullptr ? 0 : program->maps.size(); }

cw_status cw_program_map(const cw_program* program, size_t index, const char** name, size_t* name_len,
                         const char** source_kind, size_t* source_kind_len, const char** message_type,
                         size_t* message_type_len, const char** target_kind, size_t* target_kind_len) {
  if (program == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= program->maps.size()) return OutOfRange();
  const auto& m = program->maps[index];
  Out(m.name, name, name_len);
  Out(m.source_kind, source_kind, source_kind_len);
  Out(m.message_type, message_type, message_type_len);
  Out(m.target_kind, target_kind, target_kind_len);
  return Ok();
}

size_t cw_program_terminology_count(const cw_program* program) {
  return program == nullptr ? 0 : program->terminology.size();
}

cw_status cw_program_terminology(const cw_program* program, size_t index, const char** ref, size_t* len) {
  if (program == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= program->terminology.size()) return OutOfRange();
  Out(program->terminology[index], ref, len);
  return Ok();
}

size_t cw_program_terminology_warning_count(const cw_program* program) {
  return program == nullptr ? 0 : program->terminology_warnings.size();
}

cw_status cw_program_terminology_warning(const cw_program* program, size_t index, const char** text, size_t* len) {
  if (program == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= program->terminology_warnings.size()) return OutOfRange();
  Out(program->terminology_warnings[index], text, len);
  return Ok();
}

size_t cw_program_source_line_count(const cw_program* program) {
  return program == nullptr ? 0 : program->source_lines.size();
}

cw_status cw_program_source_line(const cw_program* program, size_t index, const char** file, size_t* file_len,
                                 uint32_t* line) {
  if (program == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  return OutSourceLine(program->source_lines, index, file, file_len, line);
}

cw_status cw_context_create(cw_runtime* runtime, cw_context** out) {
  return Guard([&] {
    if (runtime == nullptr || out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_context{std::make_unique<crosswalk::RunContext>(*runtime->rt), {}, {}};
    return Ok();
  });
}

void cw_context_destroy(cw_context* context) { delete context; }

cw_status cw_run(cw_context* context, const cw_program* program, const char* input, size_t input_len,
                 const char** output, size_t* output_len) {
  return cw_run_with_options(context, program, nullptr, input, input_len, output, output_len);
}

cw_status cw_run_with_options(cw_context* context, const cw_program* program, const cw_run_options* options,
                              const char* input, size_t input_len, const char** output, size_t* output_len) {
  return Guard([&] {
    if (context == nullptr || program == nullptr || output == nullptr || output_len == nullptr ||
        (input == nullptr && input_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    static const crosswalk::RunOptions kDefaults;
    const crosswalk::RunOptions& o = options != nullptr ? options->options : kDefaults;
    crosswalk::Status s = context->ctx->Run(*program->program, View(input, input_len), o, &context->out);
    if (o.profile && !o.trace) context->profile = context->ctx->Profile();
    if (!s.ok()) return Fail(s);
    *output = context->out.json.data();
    *output_len = context->out.json.size();
    return Ok();
  });
}

// ---- Run options ----

cw_status cw_run_options_create(cw_run_options** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_run_options{};
    return Ok();
  });
}

void cw_run_options_destroy(cw_run_options* options) { delete options; }

cw_status cw_run_options_set_now(cw_run_options* options, const char* now, size_t len) {
  return SetOption(options, now, len, [&](std::string v) { options->options.now = std::move(v); });
}

cw_status cw_run_options_set_default_zone(cw_run_options* options, const char* zone, size_t len) {
  return SetOption(options, zone, len, [&](std::string v) { options->options.default_zone = std::move(v); });
}

cw_status cw_run_options_set_map_name(cw_run_options* options, const char* name, size_t len) {
  return SetOption(options, name, len, [&](std::string v) { options->options.map_name = std::move(v); });
}

cw_status cw_run_options_set_variable(cw_run_options* options, const char* name, size_t name_len, const char* value,
                                      size_t value_len) {
  return Guard([&] {
    if (options == nullptr || (name == nullptr && name_len != 0) || (value == nullptr && value_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    std::string_view n = View(name, name_len);
    for (auto& [k, v] : options->options.variables) {
      if (k == n) {
        v.assign(View(value, value_len));
        return Ok();
      }
    }
    options->options.variables.emplace_back(std::string(n), std::string(View(value, value_len)));
    return Ok();
  });
}

cw_status cw_run_options_clear_variables(cw_run_options* options) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.variables.clear();
  return Ok();
}

cw_status cw_run_options_set_input_kind(cw_run_options* options, cw_input_kind kind) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (kind != CW_INPUT_AUTO && kind != CW_INPUT_HL7V2 && kind != CW_INPUT_JSON) {
    return FailText(CW_INVALID_ARGUMENT, "unknown input kind");
  }
  options->options.input_kind = static_cast<crosswalk::InputKind>(kind);
  return Ok();
}

cw_status cw_run_options_set_pretty(cw_run_options* options, int pretty) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.pretty = pretty != 0;
  return Ok();
}

cw_status cw_run_options_set_trace(cw_run_options* options, int trace) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.trace = trace != 0;
  return Ok();
}

cw_status cw_run_options_set_log_phi(cw_run_options* options, int log_phi) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.log_phi = log_phi != 0;
  return Ok();
}

cw_status cw_run_options_set_reuse_calls(cw_run_options* options, int reuse_calls) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.reuse_calls = reuse_calls != 0;
  return Ok();
}

cw_status cw_run_options_set_profile(cw_run_options* options, int profile) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  options->options.profile = profile != 0;
  return Ok();
}

cw_status cw_run_options_set_invalid_utf8(cw_run_options* options, cw_invalid_utf8 policy) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  switch (policy) {
    case CW_INVALID_UTF8_REJECT:
      options->options.invalid_utf8 = crosswalk::InvalidUtf8::kReject;
      return Ok();
    case CW_INVALID_UTF8_REPLACE:
      options->options.invalid_utf8 = crosswalk::InvalidUtf8::kReplace;
      return Ok();
  }
  return FailText(CW_INVALID_ARGUMENT, "unknown invalid-UTF-8 policy");
}

cw_status cw_run_options_set_limit(cw_run_options* options, cw_limit limit, uint64_t value) {
  if (options == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  crosswalk::RunLimits& l = options->options.limits;
  switch (limit) {
    case CW_LIMIT_INSTRUCTIONS:
      l.max_instructions = value;
      return Ok();
    case CW_LIMIT_CALL_DEPTH:
      if (value > std::numeric_limits<uint32_t>::max()) {
        return FailText(CW_INVALID_ARGUMENT, "call depth limit above 4294967295");
      }
      l.max_call_depth = static_cast<uint32_t>(value);
      return Ok();
    case CW_LIMIT_OUTPUT_BYTES:
      l.max_output_bytes = value;
      return Ok();
    case CW_LIMIT_ARENA_BYTES:
      l.max_arena_bytes = value;
      return Ok();
    case CW_LIMIT_CPU_TIME_MS:
      l.max_cpu_time_ms = value;
      return Ok();
  }
  return FailText(CW_INVALID_ARGUMENT, "unknown limit");
}

cw_status cw_run_options_get_limit(const cw_run_options* options, cw_limit limit, uint64_t* value) {
  if (options == nullptr || value == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  const crosswalk::RunLimits& l = options->options.limits;
  switch (limit) {
    case CW_LIMIT_INSTRUCTIONS:
      *value = l.max_instructions;
      return Ok();
    case CW_LIMIT_CALL_DEPTH:
      *value = l.max_call_depth;
      return Ok();
    case CW_LIMIT_OUTPUT_BYTES:
      *value = l.max_output_bytes;
      return Ok();
    case CW_LIMIT_ARENA_BYTES:
      *value = l.max_arena_bytes;
      return Ok();
    case CW_LIMIT_CPU_TIME_MS:
      *value = l.max_cpu_time_ms;
      return Ok();
  }
  return FailText(CW_INVALID_ARGUMENT, "unknown limit");
}

// ---- What the last run reported ----

cw_output_kind cw_context_output_kind(const cw_context* context) {
  return context != nullptr && context->out.kind == crosswalk::OutputKind::kHl7v2 ? CW_OUTPUT_HL7V2
                                                                                  : CW_OUTPUT_JSON;
}

void cw_context_map_name(const cw_context* context, const char** name, size_t* name_len) {
  Out(context != nullptr ? std::string_view(context->out.map_name) : std::string_view(), name, name_len);
}

size_t cw_context_warning_count(const cw_context* context) {
  return context == nullptr ? 0 : context->out.warnings.size();
}

cw_status cw_context_warning(const cw_context* context, size_t index, const char** message, size_t* message_len,
                             const char** map_file, size_t* map_file_len, uint32_t* line, uint32_t* col) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= context->out.warnings.size()) return OutOfRange();
  const crosswalk::RunWarning& w = context->out.warnings[index];
  Out(w.message, message, message_len);
  Out(w.map_file, map_file, map_file_len);
  if (line != nullptr) *line = w.line;
  if (col != nullptr) *col = w.col;
  return Ok();
}

size_t cw_context_trace_count(const cw_context* context) {
  return context == nullptr ? 0 : context->out.trace.size();
}

cw_status cw_context_trace_line(const cw_context* context, size_t index, const char** line, size_t* len) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= context->out.trace.size()) return OutOfRange();
  Out(context->out.trace[index], line, len);
  return Ok();
}

uint64_t cw_context_profile_runs(const cw_context* context) { return context == nullptr ? 0 : context->profile.runs; }

size_t cw_context_profile_function_count(const cw_context* context) {
  return context == nullptr ? 0 : context->profile.functions.size();
}

cw_status cw_context_profile_function(const cw_context* context, size_t index, const char** name, size_t* name_len,
                                      uint64_t* calls, uint64_t* reused, uint64_t* instructions) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= context->profile.functions.size()) return OutOfRange();
  const crosswalk::RunProfile::Function& f = context->profile.functions[index];
  Out(f.name, name, name_len);
  if (calls != nullptr) *calls = f.calls;
  if (reused != nullptr) *reused = f.reused;
  if (instructions != nullptr) *instructions = f.instructions;
  return Ok();
}

namespace {
cw_status ProfileCount(const cw_context* context, const std::vector<crosswalk::RunProfile::Count>* counts,
                       size_t index, const char** name, size_t* name_len, uint64_t* count) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= counts->size()) return OutOfRange();
  Out((*counts)[index].name, name, name_len);
  if (count != nullptr) *count = (*counts)[index].count;
  return Ok();
}
}  // namespace

size_t cw_context_profile_builtin_count(const cw_context* context) {
  return context == nullptr ? 0 : context->profile.builtins.size();
}

cw_status cw_context_profile_builtin(const cw_context* context, size_t index, const char** name, size_t* name_len,
                                     uint64_t* calls) {
  return ProfileCount(context, context ? &context->profile.builtins : nullptr, index, name, name_len, calls);
}

size_t cw_context_profile_opcode_count(const cw_context* context) {
  return context == nullptr ? 0 : context->profile.opcodes.size();
}

cw_status cw_context_profile_opcode(const cw_context* context, size_t index, const char** name, size_t* name_len,
                                    uint64_t* count) {
  return ProfileCount(context, context ? &context->profile.opcodes : nullptr, index, name, name_len, count);
}

void cw_context_profile_clear(cw_context* context) {
  if (context == nullptr) return;
  context->ctx->ClearProfile();
  context->profile = crosswalk::RunProfile();
}

size_t cw_context_lines_run_count(const cw_context* context) {
  return context == nullptr ? 0 : context->out.lines_run.size();
}

cw_status cw_context_line_run(const cw_context* context, size_t index, const char** file, size_t* file_len,
                              uint32_t* line) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  return OutSourceLine(context->out.lines_run, index, file, file_len, line);
}

size_t cw_context_lineage_count(const cw_context* context) {
  return context == nullptr ? 0 : context->out.lineage.size();
}

cw_status cw_context_lineage(const cw_context* context, size_t index, const char** output_path,
                             size_t* output_path_len, const char** map_file, size_t* map_file_len, uint32_t* line,
                             uint32_t* col, size_t* input_count, size_t* decision_count) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= context->out.lineage.size()) return OutOfRange();
  const crosswalk::LineageRecord& r = context->out.lineage[index];
  Out(r.output_path, output_path, output_path_len);
  Out(r.map_file, map_file, map_file_len);
  if (line != nullptr) *line = r.line;
  if (col != nullptr) *col = r.col;
  if (input_count != nullptr) *input_count = r.inputs.size();
  if (decision_count != nullptr) *decision_count = r.decisions.size();
  return Ok();
}

cw_status cw_context_lineage_input(const cw_context* context, size_t index, size_t input, const char** path,
                                   size_t* path_len, uint32_t* roles, uint32_t position[5]) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= context->out.lineage.size()) return OutOfRange();
  const crosswalk::LineageRecord& r = context->out.lineage[index];
  if (input >= r.inputs.size()) return OutOfRange();
  const crosswalk::LineageInput& in = r.inputs[input];
  Out(in.path, path, path_len);
  if (roles != nullptr) {
    auto has = [&](const std::vector<uint32_t>& list) {
      return std::find(list.begin(), list.end(), static_cast<uint32_t>(input)) != list.end();
    };
    *roles = (has(r.data_inputs) ? uint32_t{CW_LINEAGE_DATA} : 0u) |
             (has(r.condition_inputs) ? uint32_t{CW_LINEAGE_CONDITION} : 0u);
  }
  if (position != nullptr) {
    position[0] = in.segment_ordinal;
    position[1] = in.field;
    position[2] = in.rep;
    position[3] = in.comp;
    position[4] = in.sub;
  }
  return Ok();
}

cw_status cw_context_lineage_decision(const cw_context* context, size_t index, size_t decision, const char** op,
                                      size_t* op_len, const char** url, size_t* url_len, const char** result,
                                      size_t* result_len, const char** map_file, size_t* map_file_len,
                                      uint32_t* line, uint32_t* col) {
  if (context == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= context->out.lineage.size()) return OutOfRange();
  const crosswalk::LineageRecord& r = context->out.lineage[index];
  if (decision >= r.decisions.size()) return OutOfRange();
  const crosswalk::LineageDecision& d = r.decisions[decision];
  Out(d.op, op, op_len);
  Out(d.url, url, url_len);
  Out(d.result, result, result_len);
  Out(d.map_file, map_file, map_file_len);
  if (line != nullptr) *line = d.line;
  if (col != nullptr) *col = d.col;
  return Ok();
}

// ---- HL7 v2 streams, headers and ACKs ----

cw_status cw_splitter_create(size_t max_message_bytes, cw_splitter** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    crosswalk::SplitterOptions o;
    if (max_message_bytes != 0) o.max_message_bytes = max_message_bytes;
    *out = new cw_splitter{crosswalk::MessageSplitter(o), {}};
    return Ok();
  });
}

void cw_splitter_destroy(cw_splitter* splitter) { delete splitter; }

cw_status cw_splitter_feed(cw_splitter* splitter, const char* bytes, size_t len) {
  return Guard([&] {
    if (splitter == nullptr || (bytes == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    splitter->splitter.Feed(View(bytes, len));
    return Ok();
  });
}

cw_status cw_splitter_finish(cw_splitter* splitter) {
  if (splitter == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  splitter->splitter.Finish();
  return Ok();
}

cw_status cw_splitter_reset(cw_splitter* splitter) {
  if (splitter == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  splitter->splitter.Reset();
  splitter->item_error.clear();
  return Ok();
}

cw_status cw_splitter_next(cw_splitter* splitter, int* has_item, cw_split_kind* kind, const char** text,
                           size_t* text_len, uint64_t* offset, uint64_t* length, cw_status* item_status) {
  return Guard([&] {
    if (splitter == nullptr || has_item == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    crosswalk::SplitItem item;
    *has_item = splitter->splitter.Next(&item) ? 1 : 0;
    if (*has_item == 0) return Ok();
    splitter->item_error = item.error.ok() ? std::string() : item.error.ToString();
    if (kind != nullptr) {
      *kind = item.kind == crosswalk::SplitItem::Kind::kMessage    ? CW_SPLIT_MESSAGE
              : item.kind == crosswalk::SplitItem::Kind::kEnvelope ? CW_SPLIT_ENVELOPE
                                                                   : CW_SPLIT_ERROR;
    }
    Out(item.text, text, text_len);
    if (offset != nullptr) *offset = item.offset;
    if (length != nullptr) *length = item.length;
    if (item_status != nullptr) *item_status = static_cast<cw_status>(static_cast<int>(item.error.code()));
    return Ok();
  });
}

void cw_splitter_item_error(const cw_splitter* splitter, const char** message, size_t* len) {
  Out(splitter != nullptr ? std::string_view(splitter->item_error) : std::string_view(), message, len);
}

cw_status cw_message_header_read(const char* message, size_t len, cw_message_header** out) {
  return Guard([&] {
    if (out == nullptr || (message == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    auto h = std::make_unique<cw_message_header>();
    crosswalk::Status s = crosswalk::ReadMessageHeader(View(message, len), &h->header);
    if (!s.ok()) return Fail(s);
    *out = h.release();
    return Ok();
  });
}

void cw_message_header_destroy(cw_message_header* header) { delete header; }

void cw_message_header_get(const cw_message_header* header, cw_header_field field, const char** value,
                           size_t* len) {
  std::string_view v;
  if (header != nullptr) {
    const crosswalk::MessageHeader& h = header->header;
    switch (field) {
      case CW_HEADER_MESSAGE_CODE: v = h.message_code; break;
      case CW_HEADER_TRIGGER_EVENT: v = h.trigger_event; break;
      case CW_HEADER_STRUCTURE: v = h.structure; break;
      case CW_HEADER_CONTROL_ID: v = h.control_id; break;
      case CW_HEADER_VERSION: v = h.version; break;
      case CW_HEADER_PROCESSING_ID: v = h.processing_id; break;
    }
  }
  Out(v, value, len);
}

cw_status cw_ack_builder_create(cw_ack_builder** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_ack_builder{};
    return Ok();
  });
}

void cw_ack_builder_destroy(cw_ack_builder* builder) { delete builder; }

cw_status cw_ack_builder_set_code(cw_ack_builder* builder, cw_ack_code code) {
  if (builder == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  switch (code) {
    case CW_ACK_AA: builder->options.code = crosswalk::AckCode::kAccept; return Ok();
    case CW_ACK_AE: builder->options.code = crosswalk::AckCode::kError; return Ok();
    case CW_ACK_AR: builder->options.code = crosswalk::AckCode::kReject; return Ok();
  }
  return FailText(CW_INVALID_ARGUMENT, "unknown ACK code");
}

cw_status cw_ack_builder_set_control_id(cw_ack_builder* builder, const char* id, size_t len) {
  return Guard([&] {
    if (builder == nullptr || (id == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    builder->options.control_id.assign(View(id, len));
    return Ok();
  });
}

cw_status cw_ack_builder_set_timestamp(cw_ack_builder* builder, const char* dtm, size_t len) {
  return Guard([&] {
    if (builder == nullptr || (dtm == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    builder->options.timestamp.assign(View(dtm, len));
    return Ok();
  });
}

cw_status cw_ack_builder_set_text(cw_ack_builder* builder, const char* text, size_t len, size_t max_bytes) {
  return Guard([&] {
    if (builder == nullptr || (text == nullptr && len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    builder->options.text.assign(View(text, len));
    builder->options.max_text_bytes = max_bytes != 0 ? max_bytes : crosswalk::kDefaultAckTextBytes;
    return Ok();
  });
}

cw_status cw_ack_builder_set_error(cw_ack_builder* builder, const char* segment, size_t segment_len, int sequence,
                                   int field, const char* code, size_t code_len, char severity) {
  return Guard([&] {
    if (builder == nullptr || (segment == nullptr && segment_len != 0) || (code == nullptr && code_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    if (severity != 'E' && severity != 'W' && severity != 'I') {
      return FailText(CW_INVALID_ARGUMENT, "ERR-4 severity must be E, W or I");
    }
    crosswalk::AckOptions& o = builder->options;
    o.error_segment.assign(View(segment, segment_len));
    o.error_segment_sequence = sequence;
    o.error_field = field;
    o.error_code.assign(View(code, code_len));
    o.severity = severity;
    return Ok();
  });
}

cw_status cw_ack_builder_build(cw_ack_builder* builder, const char* inbound, size_t inbound_len, const char** ack,
                               size_t* ack_len) {
  return Guard([&] {
    if (builder == nullptr || ack == nullptr || ack_len == nullptr || (inbound == nullptr && inbound_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    crosswalk::Status s = crosswalk::BuildAck(View(inbound, inbound_len), builder->options, &builder->ack);
    if (!s.ok()) return Fail(s);
    *ack = builder->ack.data();
    *ack_len = builder->ack.size();
    return Ok();
  });
}

// ---- Terminology store ----

cw_status cw_store_open(const char* dir, size_t dir_len, cw_store** out) {
  return Guard([&] {
    if (out == nullptr || dir == nullptr || dir_len == 0) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    crosswalk::term::OpenOptions o;
    o.read_only = true;
    o.create_if_missing = false;
    auto store = crosswalk::term::Store::Open(std::string(dir, dir_len), o);
    if (!store.ok()) return Fail(store.status());
    *out = new cw_store{std::move(store).value()};
    return Ok();
  });
}

void cw_store_destroy(cw_store* store) { delete store; }

cw_status cw_store_lookup(cw_store* store, const char* system, size_t system_len, const char* code, size_t code_len,
                          const char* version, size_t version_len, cw_concept** out) {
  return Guard([&] {
    if (store == nullptr || out == nullptr || (system == nullptr && system_len != 0) ||
        (code == nullptr && code_len != 0) || (version == nullptr && version_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    auto r = store->store->Lookup(View(system, system_len), View(code, code_len), View(version, version_len));
    if (!r.ok()) return Fail(r.status());
    *out = r->has_value() ? new cw_concept{**r} : nullptr;
    return Ok();
  });
}

void cw_concept_destroy(cw_concept* concept_) { delete concept_; }

void cw_concept_get(const cw_concept* concept_, cw_concept_field field, const char** value, size_t* len) {
  std::string_view v;
  if (concept_ != nullptr) {
    const crosswalk::term::Concept& c = concept_->concept_;
    switch (field) {
      case CW_CONCEPT_SYSTEM: v = c.system; break;
      case CW_CONCEPT_VERSION: v = c.version; break;
      case CW_CONCEPT_CODE: v = c.code; break;
      case CW_CONCEPT_DISPLAY: v = c.display; break;
      case CW_CONCEPT_STATUS: v = c.status; break;
    }
  }
  Out(v, value, len);
}

size_t cw_concept_property_count(const cw_concept* concept_) {
  return concept_ == nullptr ? 0 : concept_->concept_.properties.size();
}

cw_status cw_concept_property(const cw_concept* concept_, size_t index, const char** code, size_t* code_len,
                              const char** type, size_t* type_len, const char** value, size_t* value_len) {
  if (concept_ == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= concept_->concept_.properties.size()) return OutOfRange();
  const crosswalk::term::Property& p = concept_->concept_.properties[index];
  Out(p.code, code, code_len);
  Out(p.type, type, type_len);
  Out(p.value, value, value_len);
  return Ok();
}

size_t cw_concept_designation_count(const cw_concept* concept_) {
  return concept_ == nullptr ? 0 : concept_->concept_.designations.size();
}

cw_status cw_concept_designation(const cw_concept* concept_, size_t index, const char** language,
                                 size_t* language_len, const char** use_system, size_t* use_system_len,
                                 const char** use_code, size_t* use_code_len, const char** value, size_t* value_len) {
  if (concept_ == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= concept_->concept_.designations.size()) return OutOfRange();
  const crosswalk::term::Designation& d = concept_->concept_.designations[index];
  Out(d.language, language, language_len);
  Out(d.use_system, use_system, use_system_len);
  Out(d.use_code, use_code, use_code_len);
  Out(d.value, value, value_len);
  return Ok();
}

cw_status cw_store_validate(cw_store* store, const char* system, size_t system_len, const char* code, size_t code_len,
                            const char* valueset_url, size_t valueset_len, int* valid) {
  return Guard([&] {
    if (store == nullptr || valid == nullptr || (system == nullptr && system_len != 0) ||
        (code == nullptr && code_len != 0) || (valueset_url == nullptr && valueset_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    auto r = store->store->Validate(View(system, system_len), View(code, code_len), View(valueset_url, valueset_len));
    if (!r.ok()) return Fail(r.status());
    *valid = *r ? 1 : 0;
    return Ok();
  });
}

cw_status cw_store_translate(cw_store* store, const char* map_url, size_t map_url_len, const char* source_system,
                             size_t source_system_len, const char* code, size_t code_len, const char* target_system,
                             size_t target_system_len, cw_translation** out) {
  return Guard([&] {
    if (store == nullptr || out == nullptr || (map_url == nullptr && map_url_len != 0) ||
        (source_system == nullptr && source_system_len != 0) || (code == nullptr && code_len != 0) ||
        (target_system == nullptr && target_system_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    auto r = store->store->Translate(View(map_url, map_url_len), View(source_system, source_system_len),
                                     View(code, code_len), View(target_system, target_system_len));
    if (!r.ok()) return Fail(r.status());
    *out = new cw_translation{*r};
    return Ok();
  });
}

void cw_translation_destroy(cw_translation* translation) { delete translation; }

int cw_translation_found(const cw_translation* translation) {
  return translation != nullptr && translation->translation.found ? 1 : 0;
}

void cw_translation_get(const cw_translation* translation, cw_translation_field field, const char** value,
                        size_t* len) {
  std::string_view v;
  if (translation != nullptr) {
    const crosswalk::term::Translation& t = translation->translation;
    switch (field) {
      case CW_TRANSLATION_TARGET_SYSTEM: v = t.target_system; break;
      case CW_TRANSLATION_TARGET_CODE: v = t.target_code; break;
      case CW_TRANSLATION_TARGET_DISPLAY: v = t.target_display; break;
      case CW_TRANSLATION_EQUIVALENCE: v = t.equivalence; break;
      case CW_TRANSLATION_MAP_URL: v = t.map_url; break;
      case CW_TRANSLATION_MAP_VERSION: v = t.map_version; break;
    }
  }
  Out(v, value, len);
}

// ---- $expand and all matches ----


cw_status cw_expand_options_create(cw_expand_options** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_expand_options{};
    return Ok();
  });
}

void cw_expand_options_destroy(cw_expand_options* options) { delete options; }

void cw_expand_options_set_page(cw_expand_options* options, uint64_t offset, uint64_t count) {
  if (options == nullptr) return;
  options->options.offset = offset;
  options->options.count = count;
}

void cw_expand_options_set_max_members(cw_expand_options* options, uint64_t max_members) {
  if (options != nullptr) options->options.max_members = max_members;
}

cw_status cw_expand_options_set_display_language(cw_expand_options* options, const char* language,
                                                 size_t language_len) {
  return SetString(options == nullptr ? nullptr : &options->options.display_language, language, language_len);
}

void cw_expand_options_set_active_only(cw_expand_options* options, int active_only) {
  if (options != nullptr) options->options.active_only = active_only != 0;
}

cw_status cw_expand_options_set_filter(cw_expand_options* options, const char* filter, size_t filter_len) {
  return SetString(options == nullptr ? nullptr : &options->options.filter, filter, filter_len);
}

cw_status cw_store_expand(cw_store* store, const char* valueset, size_t valueset_len, const cw_expand_options* options,
                          cw_expansion** out) {
  return Guard([&] {
    if (store == nullptr || out == nullptr || (valueset == nullptr && valueset_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    static const crosswalk::term::ExpandOptions kDefaults;
    auto r = store->store->Expand(View(valueset, valueset_len), options != nullptr ? options->options : kDefaults);
    if (!r.ok()) return Fail(r.status());
    *out = new cw_expansion{std::move(r).value()};
    return Ok();
  });
}

void cw_expansion_destroy(cw_expansion* expansion) { delete expansion; }

uint64_t cw_expansion_total(const cw_expansion* expansion) {
  return expansion == nullptr ? 0 : expansion->expansion.total;
}

size_t cw_expansion_count(const cw_expansion* expansion) {
  return expansion == nullptr ? 0 : expansion->expansion.items.size();
}

cw_status cw_expansion_member(const cw_expansion* expansion, size_t index, const char** system, size_t* system_len,
                              const char** version, size_t* version_len, const char** code, size_t* code_len,
                              const char** display, size_t* display_len) {
  if (expansion == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= expansion->expansion.items.size()) return OutOfRange();
  const crosswalk::term::ExpansionItem& m = expansion->expansion.items[index];
  Out(m.system, system, system_len);
  Out(m.version, version, version_len);
  Out(m.code, code, code_len);
  Out(m.display, display, display_len);
  return Ok();
}

size_t cw_expansion_parameter_count(const cw_expansion* expansion) {
  return expansion == nullptr ? 0 : expansion->expansion.parameters.size();
}

cw_status cw_expansion_parameter(const cw_expansion* expansion, size_t index, const char** name, size_t* name_len,
                                 const char** value, size_t* value_len) {
  if (expansion == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= expansion->expansion.parameters.size()) return OutOfRange();
  Out(expansion->expansion.parameters[index].first, name, name_len);
  Out(expansion->expansion.parameters[index].second, value, value_len);
  return Ok();
}

cw_status cw_translate_options_create(cw_translate_options** out) {
  return Guard([&] {
    if (out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_translate_options{};
    return Ok();
  });
}

void cw_translate_options_destroy(cw_translate_options* options) { delete options; }

cw_status cw_translate_options_set_target_system(cw_translate_options* options, const char* system,
                                                 size_t system_len) {
  return SetString(options == nullptr ? nullptr : &options->options.target_system, system, system_len);
}

void cw_translate_options_set_equivalences(cw_translate_options* options, uint32_t bits) {
  if (options != nullptr) options->options.equivalences = bits & crosswalk::term::kEquivalenceAny;
}

cw_status cw_translate_options_add_depends_on(cw_translate_options* options, const char* property,
                                              size_t property_len, const char* system, size_t system_len,
                                              const char* value, size_t value_len) {
  return Guard([&] {
    if (options == nullptr || (property == nullptr && property_len != 0) || (system == nullptr && system_len != 0) ||
        (value == nullptr && value_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    options->options.depends_on.push_back({std::string(View(property, property_len)),
                                           std::string(View(system, system_len)), std::string(View(value, value_len))});
    return Ok();
  });
}

void cw_translate_options_set_reverse(cw_translate_options* options, int reverse) {
  if (options != nullptr) options->options.reverse = reverse != 0;
}

cw_status cw_translate_options_set_source_version(cw_translate_options* options, const char* version,
                                                  size_t version_len) {
  return SetString(options == nullptr ? nullptr : &options->options.source_version, version, version_len);
}

cw_status cw_store_translate_all(cw_store* store, const char* map_url, size_t map_url_len, const char* source_system,
                                 size_t source_system_len, const char* code, size_t code_len,
                                 const cw_translate_options* options, cw_matches** out) {
  return Guard([&] {
    if (store == nullptr || out == nullptr || (map_url == nullptr && map_url_len != 0) ||
        (source_system == nullptr && source_system_len != 0) || (code == nullptr && code_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    static const crosswalk::term::TranslateOptions kDefaults;
    auto r = store->store->TranslateAll(View(map_url, map_url_len), View(source_system, source_system_len),
                                        View(code, code_len), options != nullptr ? options->options : kDefaults);
    if (!r.ok()) return Fail(r.status());
    *out = new cw_matches{std::move(r).value()};
    return Ok();
  });
}

void cw_matches_destroy(cw_matches* matches) { delete matches; }

size_t cw_matches_count(const cw_matches* matches) { return matches == nullptr ? 0 : matches->matches.size(); }

cw_status cw_matches_get(const cw_matches* matches, size_t index, cw_match_field field, const char** value,
                         size_t* len) {
  if (matches == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  if (index >= matches->matches.size()) return OutOfRange();
  const crosswalk::term::Match& m = matches->matches[index];
  std::string_view v;
  switch (field) {
    case CW_MATCH_SYSTEM: v = m.system; break;
    case CW_MATCH_CODE: v = m.code; break;
    case CW_MATCH_DISPLAY: v = m.display; break;
    case CW_MATCH_VERSION: v = m.version; break;
    case CW_MATCH_EQUIVALENCE: v = m.equivalence; break;
    case CW_MATCH_MAP_URL: v = m.map_url; break;
    case CW_MATCH_MAP_VERSION: v = m.map_version; break;
  }
  Out(v, value, len);
  return Ok();
}


size_t cw_matches_attribute_count(const cw_matches* matches, size_t index, cw_match_attribute_kind kind) {
  const auto* a = Attributes(matches, index, kind);
  return a == nullptr ? 0 : a->size();
}

cw_status cw_matches_attribute(const cw_matches* matches, size_t index, cw_match_attribute_kind kind, size_t attribute,
                               const char** property, size_t* property_len, const char** system, size_t* system_len,
                               const char** value, size_t* value_len, const char** display, size_t* display_len) {
  if (matches == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
  const auto* a = Attributes(matches, index, kind);
  if (a == nullptr || attribute >= a->size()) return OutOfRange();
  const crosswalk::term::Match::Attribute& at = (*a)[attribute];
  Out(at.property, property, property_len);
  Out(at.system, system, system_len);
  Out(at.value, value, value_len);
  Out(at.display, display, display_len);
  return Ok();
}

}  // extern "C"
