/* The Crosswalk C API: load a compiled program, run it on messages.
 *
 * Conventions (as RocksDB's c.h):
 *  - opaque handles: cw_runtime, cw_runtime_options, cw_program, cw_context, cw_run_options, cw_store,
 *    cw_concept, cw_translation, cw_expand_options, cw_expansion, cw_translate_options, cw_matches,
 *    cw_splitter, cw_message_header, cw_ack_builder; each has a
 *    create/load/open/read and a destroy call (destroy accepts NULL);
 *  - strings are passed as pointer plus length and need not be NUL-terminated; strings returned are
 *    pointer plus length too, and are NOT NUL-terminated unless documented;
 *  - string out-parameters come in (const char** ptr, size_t* len) pairs; both may be NULL when the
 *    caller does not want that string;
 *  - every fallible call returns a cw_status; CW_OK is 0;
 *  - after a failed call, cw_last_error() returns a one-line message (never message content) that stays
 *    valid on this thread until the next Crosswalk call on this thread;
 *  - no pointer argument may be NULL unless documented;
 *  - no C++ exception crosses this API;
 *  - ABI: handles are opaque and no struct crosses the API, so new options and results are new
 *    functions and new enum values (appended, never renumbered). Check cw_version_number() against
 *    CW_VERSION_NUMBER when a host may meet another build of the library.
 * This header is C99 (and C++) and includes only <stddef.h> and <stdint.h>.
 * Thread-safety: a cw_runtime and the cw_programs it loaded may be shared by threads; a cw_context is used
 * by one thread at a time (make one per thread). A runtime must outlive its programs and contexts.
 * A cw_run_options is read by cw_run_with_options and may be shared by threads once set up (its setters
 * are not thread-safe). A cw_store may be shared by threads. The cw_concept and cw_translation results
 * it gives are the caller's to destroy; their strings point into the store's memory, so a result must
 * not be read after its store is destroyed.
 *
 *   cw_runtime* rt; cw_program* prog; cw_context* ctx; const char* out; size_t out_len;
 *   if (cw_runtime_create("build/terminology", 17, &rt) != CW_OK) fprintf(stderr, "%s\n", cw_last_error());
 *   cw_program_load(rt, cwb, cwb_len, &prog);
 *   cw_context_create(rt, &ctx);
 *   if (cw_run(ctx, prog, msg, msg_len, &out, &out_len) == CW_OK) fwrite(out, 1, out_len, stdout);
 *   cw_context_destroy(ctx); cw_program_destroy(prog); cw_runtime_destroy(rt);
 */
#ifndef CROSSWALK_CROSSWALK_H_
#define CROSSWALK_CROSSWALK_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CW_API __attribute__((visibility("default")))
#else
#define CW_API
#endif

typedef enum cw_status {
  CW_OK = 0,
  CW_INVALID_ARGUMENT = 1,
  CW_NOT_FOUND = 2,
  CW_CORRUPT = 3,
  CW_FAILED_PRECONDITION = 4,
  CW_LIMIT_EXCEEDED = 5,
  CW_UNIMPLEMENTED = 6,
  CW_IO_ERROR = 7,
  CW_INTERNAL = 8,
  CW_PARSE_ERROR = 9
} cw_status;

typedef struct cw_runtime cw_runtime;
typedef struct cw_program cw_program;
typedef struct cw_context cw_context;
typedef struct cw_run_options cw_run_options;
typedef struct cw_store cw_store;
typedef struct cw_concept cw_concept;
typedef struct cw_translation cw_translation;

/* ---- Version ------------------------------------------------------------------------------------------ */

/* The version of this header. cw_version_number() is the library's, which may differ when a host runs
 * with another build of libcrosswalk than it was compiled with. */
#define CW_VERSION_MAJOR 0
#define CW_VERSION_MINOR 1
#define CW_VERSION_PATCH 0
#define CW_VERSION_NUMBER (CW_VERSION_MAJOR * 10000 + CW_VERSION_MINOR * 100 + CW_VERSION_PATCH)

/* The library's version, "MAJOR.MINOR.PATCH" (NUL-terminated, static storage). */
CW_API const char* cw_version(void);
/* The library's version as MAJOR * 10000 + MINOR * 100 + PATCH (compare with CW_VERSION_NUMBER). */
CW_API uint32_t cw_version_number(void);
/* The range of .cwb format versions this library loads (a .cwb outside it fails with CW_CORRUPT).
 * min_version and max_version may be NULL. */
CW_API void cw_format_versions(uint32_t* min_version, uint32_t* max_version);

/* ---- Errors ------------------------------------------------------------------------------------------- */

/* The last error's message on this thread ("" when the last call succeeded). NUL-terminated. Carries
 * positions (map file:line:col, segment and field numbers, byte offsets), never message content. */
CW_API const char* cw_last_error(void);

/* A stable lower-case name for a status ("ok", "invalid argument", "not found", "corrupt",
 * "failed precondition", "limit exceeded", "unimplemented", "I/O error", "internal error", "parse error");
 * "unknown" for a value this library does not know. NUL-terminated, static storage. */
CW_API const char* cw_status_name(cw_status status);

/* Creates a runtime. terminology_dir (may be NULL when dir_len is 0) names a RocksDB terminology store
 * opened read-only. Errors: CW_IO_ERROR, CW_NOT_FOUND. */
CW_API cw_status cw_runtime_create(const char* terminology_dir, size_t dir_len, cw_runtime** out);
CW_API void cw_runtime_destroy(cw_runtime* runtime); /* NULL is allowed */

/* Options of a runtime (crosswalk::RuntimeOptions). A new cw_runtime_options holds the defaults: no
 * terminology store, terminology drift refused. Setters copy their arguments. */
typedef struct cw_runtime_options cw_runtime_options;
CW_API cw_status cw_runtime_options_create(cw_runtime_options** out);
CW_API void cw_runtime_options_destroy(cw_runtime_options* options); /* NULL is allowed */
/* The RocksDB terminology store, opened read-only; empty (len 0) = no store. */
CW_API cw_status cw_runtime_options_set_terminology_dir(cw_runtime_options* options, const char* dir, size_t len);
/* Non-zero: a program compiled against a store (crosswalk compile --term) whose terminology differs in this
 * runtime's store loads with a warning (cw_program_terminology_warning) instead of failing with
 * CW_FAILED_PRECONDITION; a version no longer in the store falls back to the reference as written.
 * Default 0 (crosswalk run --allow-term-drift). */
CW_API cw_status cw_runtime_options_set_allow_terminology_drift(cw_runtime_options* options, int allow);
/* Bound of the store's in-process answer cache in bytes (the cache's own accounting of its answers):
 * 0 = the default (64 MiB); UINT64_MAX = no bound. Past the bound the least recently hit answers are
 * evicted; a running program keeps copies of what it read, so eviction never changes a run. */
CW_API cw_status cw_runtime_options_set_terminology_cache_bytes(cw_runtime_options* options, uint64_t bytes);
/* cw_runtime_create with options (NULL = the defaults). Errors as cw_runtime_create. */
CW_API cw_status cw_runtime_create_with_options(const cw_runtime_options* options, cw_runtime** out);

/* Verifies a .cwb program and binds its terminology. bytes need only live for the call.
 * Errors: CW_CORRUPT, CW_LIMIT_EXCEEDED, CW_FAILED_PRECONDITION (terminology missing). */
CW_API cw_status cw_program_load(cw_runtime* runtime, const void* bytes, size_t len, cw_program** out);
CW_API void cw_program_destroy(cw_program* program); /* NULL is allowed */

/* The program's entry points (maps), in declaration order. cw_program_map fills the four strings of map
 * `index` (< cw_program_map_count): its name, source kind ("hl7v2", "fhir", "json"), message type
 * ("ADT^A01", "Patient", or empty) and target kind. They stay valid while the program lives.
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_program_map_count(const cw_program* program);
CW_API cw_status cw_program_map(const cw_program* program, size_t index, const char** name, size_t* name_len,
                                const char** source_kind, size_t* source_kind_len, const char** message_type,
                                size_t* message_type_len, const char** target_kind, size_t* target_kind_len);

/* The terminology the program names (concept maps, code systems, value sets), as "url" or "url|version",
 * each found in the store when the program was loaded; and, with cw_runtime_options_set_allow_terminology_drift,
 * one line per resource whose content in the store differs from what the program was compiled against (no
 * message content; none otherwise). Strings stay valid while the program lives.
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_program_terminology_count(const cw_program* program);
CW_API cw_status cw_program_terminology(const cw_program* program, size_t index, const char** ref, size_t* len);
CW_API size_t cw_program_terminology_warning_count(const cw_program* program);
CW_API cw_status cw_program_terminology_warning(const cw_program* program, size_t index, const char** text,
                                                size_t* len);
/* Coverage of the map: every map source line that has code (from the program's debug line table), sorted by
 * file then line (crosswalk::Program::source_lines). With cw_context_line_run, which lines of them ran.
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_program_source_line_count(const cw_program* program);
CW_API cw_status cw_program_source_line(const cw_program* program, size_t index, const char** file,
                                        size_t* file_len, uint32_t* line);

/* Per-thread run state, reused between messages. */
CW_API cw_status cw_context_create(cw_runtime* runtime, cw_context** out);
CW_API void cw_context_destroy(cw_context* context); /* NULL is allowed */

/* Runs the program on one message (HL7 v2 or JSON). On CW_OK, *output points to the output document
 * (JSON, or ER7 for hl7v2 targets), valid until the next cw_run on this context or its destruction.
 * Errors: CW_PARSE_ERROR, CW_NOT_FOUND (no map for the message type), CW_FAILED_PRECONDITION (fail
 * statement, unmapped code under the "error" policy), CW_LIMIT_EXCEEDED, CW_INVALID_ARGUMENT. */
CW_API cw_status cw_run(cw_context* context, const cw_program* program, const char* input, size_t input_len,
                        const char** output, size_t* output_len);

/* ---- Run options -------------------------------------------------------------------------------------- */

/* Options of a run (crosswalk::RunOptions). A new cw_run_options holds the defaults: map chosen by the
 * message type, input kind detected, no `now`, no default zone, no variables, compact JSON, no trace,
 * the default limits. Setters copy their arguments. */
CW_API cw_status cw_run_options_create(cw_run_options** out);
CW_API void cw_run_options_destroy(cw_run_options* options); /* NULL is allowed */

/* The run's timestamp as a FHIR instant ("2024-05-01T10:00:00Z"), returned by now() in maps; empty
 * (len 0) = now() is absent. Nothing in a run reads the clock. */
CW_API cw_status cw_run_options_set_now(cw_run_options* options, const char* now, size_t len);
/* Zone for HL7 v2 times that carry none ("+HH:MM", "-HH:MM" or "Z"); empty = keep them without zone. */
CW_API cw_status cw_run_options_set_default_zone(cw_run_options* options, const char* zone, size_t len);
/* Run this map (by name) instead of choosing one by message type; empty = choose. */
CW_API cw_status cw_run_options_set_map_name(cw_run_options* options, const char* name, size_t len);
/* Sets host variable `name` (returned by var("name") in maps), replacing an earlier value of that name. */
CW_API cw_status cw_run_options_set_variable(cw_run_options* options, const char* name, size_t name_len,
                                             const char* value, size_t value_len);
/* Removes every host variable. */
CW_API cw_status cw_run_options_clear_variables(cw_run_options* options);

typedef enum cw_input_kind { CW_INPUT_AUTO = 0, CW_INPUT_HL7V2 = 1, CW_INPUT_JSON = 2 } cw_input_kind;
/* How to read the input: CW_INPUT_AUTO (default) looks at its first bytes (MSH/FHS/BHS or MLLP: HL7 v2;
 * { or [: JSON). Errors: CW_INVALID_ARGUMENT for another value. */
CW_API cw_status cw_run_options_set_input_kind(cw_run_options* options, cw_input_kind kind);
/* Non-zero: pretty-print JSON output (2-space indent). Default 0. */
CW_API cw_status cw_run_options_set_pretty(cw_run_options* options, int pretty);
/* Non-zero: record the lineage of every output value: its JSON path, the map location that set it, the
 * input paths it came from and the terminology decisions on its way (cw_context_trace_line). Default 0
 * (no cost when off). */
CW_API cw_status cw_run_options_set_trace(cw_run_options* options, int trace);
/* Non-zero: show input values in `fail`/`warn` texts (the error message, cw_context_warning). Default 0:
 * a text that interpolates input values is given as the map wrote it, so no patient data reaches logs or
 * ACKs unless the host asks for it. */
CW_API cw_status cw_run_options_set_log_phi(cw_run_options* options, int log_phi);
/* Non-zero (the default): a pure function of the map called again with the same arguments in one message
 * takes the first call's value without running (crosswalk::RunOptions::reuse_calls). The output is the same
 * either way; 0 runs every call (for comparisons). Traced runs never reuse calls. */
CW_API cw_status cw_run_options_set_reuse_calls(cw_run_options* options, int reuse_calls);
/* Non-zero: count what the map executes (crosswalk::RunOptions::profile), summed over the context's runs
 * with it on: read with cw_context_profile_*. Counts, not times. Default 0; ignored in traced runs. */
CW_API cw_status cw_run_options_set_profile(cw_run_options* options, int profile);
/* HL7 v2 input whose MSH-18 says UTF-8 (or nothing) but holds bytes that are not UTF-8: rejected with
 * CW_PARSE_ERROR naming segment, field and byte offset (the default), or read with U+FFFD in their place. */
typedef enum cw_invalid_utf8 { CW_INVALID_UTF8_REJECT = 0, CW_INVALID_UTF8_REPLACE = 1 } cw_invalid_utf8;
/* Errors: CW_INVALID_ARGUMENT (a value outside cw_invalid_utf8). */
CW_API cw_status cw_run_options_set_invalid_utf8(cw_run_options* options, cw_invalid_utf8 policy);

/* The limits of one run (crosswalk::RunLimits). Exceeding one ends the run with CW_LIMIT_EXCEEDED naming
 * the limit and the map line. */
typedef enum cw_limit {
  CW_LIMIT_INSTRUCTIONS = 0,  /* instructions executed per message (default 50,000,000) */
  CW_LIMIT_CALL_DEPTH = 1,    /* nested function calls (default 200; at most 4294967295) */
  CW_LIMIT_OUTPUT_BYTES = 2,  /* bytes of output (default 64 MiB) */
  CW_LIMIT_ARENA_BYTES = 3,   /* bytes of working memory per message (default 256 MiB) */
  CW_LIMIT_CPU_TIME_MS = 4    /* CPU time of the running thread per message in ms (default 0 = no limit;
                               * checked every 65,536 instructions, machine-dependent: prefer
                               * CW_LIMIT_INSTRUCTIONS for what must be reproducible) */
} cw_limit;
/* Errors: CW_INVALID_ARGUMENT (unknown limit, or a value the limit cannot hold). */
CW_API cw_status cw_run_options_set_limit(cw_run_options* options, cw_limit limit, uint64_t value);
CW_API cw_status cw_run_options_get_limit(const cw_run_options* options, cw_limit limit, uint64_t* value);

/* cw_run with options (NULL = the defaults). Same output and errors as cw_run. */
CW_API cw_status cw_run_with_options(cw_context* context, const cw_program* program, const cw_run_options* options,
                                     const char* input, size_t input_len, const char** output,
                                     size_t* output_len);

/* ---- What the last run reported --------------------------------------------------------------------- */
/* These read the last cw_run / cw_run_with_options on `context`, whether it succeeded or failed (after a
 * failure: what was recorded before the error). Strings stay valid until the next run on the context or
 * its destruction. */

typedef enum cw_output_kind { CW_OUTPUT_JSON = 0, CW_OUTPUT_HL7V2 = 1 } cw_output_kind;
/* JSON, or HL7 v2 ER7 text (segments ended by \r) for maps whose target is `hl7v2`. */
CW_API cw_output_kind cw_context_output_kind(const cw_context* context);
/* The name of the map that ran (empty when none was chosen). */
CW_API void cw_context_map_name(const cw_context* context, const char** name, size_t* name_len);

/* Warnings recorded by `warn` statements and the "warn" unmapped-code policy. cw_context_warning fills
 * warning `index` (< cw_context_warning_count): the message as written in the map, and where (map file,
 * line, column; line and column may be NULL). Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_context_warning_count(const cw_context* context);
CW_API cw_status cw_context_warning(const cw_context* context, size_t index, const char** message,
                                    size_t* message_len, const char** map_file, size_t* map_file_len,
                                    uint32_t* line, uint32_t* col);

/* With cw_run_options_set_trace: one line per output value, in output order, naming its JSON path, the map
 * location that set it, the input paths its data came from and those that decided it, and terminology
 * decisions ("$.name[0].family <- adt.cw:12:5 from PID-5[1].1", "$.gender <- adt.cw:9:3 from PID-8
 * [translate via URL: mapped at adt.cw:9:11]"); no values (docs/language.md, "Lineage").
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_context_trace_count(const cw_context* context);
CW_API cw_status cw_context_trace_line(const cw_context* context, size_t index, const char** line, size_t* len);
/* With cw_run_options_set_trace: the map source lines whose code ran in the last run, sorted by file then
 * line (crosswalk::RunOutput::lines_run; a subset of cw_program_source_line). Errors: CW_INVALID_ARGUMENT
 * (index out of range). */
CW_API size_t cw_context_lines_run_count(const cw_context* context);
CW_API cw_status cw_context_line_run(const cw_context* context, size_t index, const char** file, size_t* file_len,
                                     uint32_t* line);

/* With cw_run_options_set_profile: the counts of the context's runs with it (crosswalk::RunProfile; of the
 * program last run with it), as of the last cw_run: how many runs they sum; per map function in program
 * order, the calls that ran its body, the calls answered with an earlier call's value and the bytecode
 * instructions run in its body (not its callees); calls per built-in and instructions per opcode, each with
 * its name. Names stay valid until the next cw_run on the context or cw_context_profile_clear, which
 * starts the counts afresh. Errors: CW_INVALID_ARGUMENT (NULL context, an index out of range). */
CW_API uint64_t cw_context_profile_runs(const cw_context* context);
CW_API size_t cw_context_profile_function_count(const cw_context* context);
CW_API cw_status cw_context_profile_function(const cw_context* context, size_t index, const char** name,
                                             size_t* name_len, uint64_t* calls, uint64_t* reused,
                                             uint64_t* instructions);
CW_API size_t cw_context_profile_builtin_count(const cw_context* context);
CW_API cw_status cw_context_profile_builtin(const cw_context* context, size_t index, const char** name,
                                            size_t* name_len, uint64_t* calls);
CW_API size_t cw_context_profile_opcode_count(const cw_context* context);
CW_API cw_status cw_context_profile_opcode(const cw_context* context, size_t index, const char** name,
                                           size_t* name_len, uint64_t* count);
CW_API void cw_context_profile_clear(cw_context* context); /* NULL is allowed */

/* With cw_run_options_set_trace, the same lineage as records (crosswalk::LineageRecord), one per output value
 * in output order (cw_context_lineage_count == cw_context_trace_count). cw_context_lineage fills record
 * `index`: the JSON path written ("$.entry[3].resource.name[0].family"), the map location that set it, and
 * how many input places and terminology decisions it has. Paths and locations, never values.
 * Errors (these three calls): CW_INVALID_ARGUMENT (an index out of range). */
CW_API size_t cw_context_lineage_count(const cw_context* context);
CW_API cw_status cw_context_lineage(const cw_context* context, size_t index, const char** output_path,
                                    size_t* output_path_len, const char** map_file, size_t* map_file_len,
                                    uint32_t* line, uint32_t* col, size_t* input_count, size_t* decision_count);
/* How an input place reached the value (bits of *roles): its data came from there, or it decided whether or
 * which value was written. A place can be both. */
typedef enum cw_lineage_role { CW_LINEAGE_DATA = 1, CW_LINEAGE_CONDITION = 2 } cw_lineage_role;
/* Input place `input` (< input_count) of record `index`: its path ("PID-5[1].1", "OBX[2]-5", or a JSON path
 * "$.name[0].family" for JSON input), and its roles. position (may be NULL) receives 5 numbers for HL7 v2
 * input: the segment's ordinal among segments of its id (1-based), field, repetition, component,
 * subcomponent (0 = whole / none chosen); all 0 for JSON input. */
CW_API cw_status cw_context_lineage_input(const cw_context* context, size_t index, size_t input,
                                          const char** path, size_t* path_len, uint32_t* roles,
                                          uint32_t position[5]);
/* Terminology decision `decision` (< decision_count) of record `index`: the operation ("translate", "lookup",
 * "member", "subsumes"), the resource URL, the result ("mapped", "unmapped", "found", "not found", "member",
 * "not member", ...) and the call's map location. */
CW_API cw_status cw_context_lineage_decision(const cw_context* context, size_t index, size_t decision,
                                             const char** op, size_t* op_len, const char** url, size_t* url_len,
                                             const char** result, size_t* result_len, const char** map_file,
                                             size_t* map_file_len, uint32_t* line, uint32_t* col);

/* ---- HL7 v2 streams, headers and ACKs (crosswalk/hl7v2.h) -------------------------------------------- */

/* Splits a stream of HL7 v2 text into messages, incrementally: MLLP frames (0x0B ... 0x1C [0x0D]) split
 * across reads, batch files (FHS/BHS ... BTS/FTS), messages simply concatenated, a UTF-8 BOM, CR/LF/CRLF
 * segment terminators, in any mix (crosswalk::MessageSplitter). One per stream; not thread-safe.
 *
 *   cw_splitter* sp; cw_splitter_create(0, &sp);
 *   while ((n = read(fd, buf, sizeof buf)) > 0) {
 *     cw_splitter_feed(sp, buf, n);
 *     while (cw_splitter_next(sp, &has, &kind, &text, &len, NULL, NULL, NULL) == CW_OK && has) handle(...);
 *   }
 *   cw_splitter_finish(sp);   ...drain cw_splitter_next once more...; cw_splitter_destroy(sp);
 *
 * Every byte of the stream ends in at most one item: a message, a batch envelope segment, or an error item
 * naming its byte offset and length (never its content). */
typedef struct cw_splitter cw_splitter;
typedef enum cw_split_kind {
  CW_SPLIT_MESSAGE = 0,   /* one message, MSH to its last segment (terminators included) */
  CW_SPLIT_ENVELOPE = 1,  /* an FHS, BHS, BTS or FTS segment, without its terminator */
  CW_SPLIT_ERROR = 2      /* a part of the stream that is not a message (see item_status) */
} cw_split_kind;
/* max_message_bytes: the longest message (0 = the default, 16 MiB); a longer one becomes one CW_SPLIT_ERROR
 * item (CW_LIMIT_EXCEEDED) and its bytes are dropped as they arrive, so memory stays bounded. */
CW_API cw_status cw_splitter_create(size_t max_message_bytes, cw_splitter** out);
CW_API void cw_splitter_destroy(cw_splitter* splitter); /* NULL is allowed */
/* Appends bytes of the stream (ignored after cw_splitter_finish until cw_splitter_reset). */
CW_API cw_status cw_splitter_feed(cw_splitter* splitter, const char* bytes, size_t len);
/* Marks the end of the stream: cw_splitter_next then also returns the last message and any open bad part. */
CW_API cw_status cw_splitter_finish(cw_splitter* splitter);
/* Forgets everything; offsets start again at 0. */
CW_API cw_status cw_splitter_reset(cw_splitter* splitter);
/* The next complete item: *has_item is 1 and the item is filled, or 0 when more input (or finish) is needed
 * or after the last item. text: the bytes of a message or envelope segment (BOM and MLLP bytes removed;
 * empty for errors), valid until the next call on the splitter. offset and length: where the item lies in
 * the stream (bytes fed since create or reset). item_status: CW_OK, or for an error item CW_PARSE_ERROR
 * (data outside a message, an MLLP frame without its end) or CW_LIMIT_EXCEEDED; its text is then given by
 * cw_splitter_item_error. kind, text, text_len, offset, length and item_status may be NULL. */
CW_API cw_status cw_splitter_next(cw_splitter* splitter, int* has_item, cw_split_kind* kind, const char** text,
                                  size_t* text_len, uint64_t* offset, uint64_t* length, cw_status* item_status);
/* The one-line reason of the last error item cw_splitter_next returned (byte offset and length, no content);
 * empty after a message or envelope. Valid until the next call on the splitter. */
CW_API void cw_splitter_item_error(const cw_splitter* splitter, const char** message, size_t* len);

/* The MSH segment of one message (as a splitter item's text, MLLP framing allowed), read without running a
 * map and without reading the rest, so it works on messages whose body is broken (crosswalk::ReadMessageHeader).
 * On CW_OK, *out is a new cw_message_header. Values are unescaped; bad UTF-8 reads as U+FFFD.
 * Errors: CW_PARSE_ERROR (no readable MSH; position given, no content). */
typedef struct cw_message_header cw_message_header;
CW_API cw_status cw_message_header_read(const char* message, size_t len, cw_message_header** out);
CW_API void cw_message_header_destroy(cw_message_header* header); /* NULL is allowed */
typedef enum cw_header_field {
  CW_HEADER_MESSAGE_CODE = 0,   /* MSH-9.1, "ADT" */
  CW_HEADER_TRIGGER_EVENT = 1,  /* MSH-9.2, "A01"; may be empty */
  CW_HEADER_STRUCTURE = 2,      /* "ADT_A01": MSH-9.3 when known, else the event's structure; may be empty */
  CW_HEADER_CONTROL_ID = 3,     /* MSH-10 */
  CW_HEADER_VERSION = 4,        /* MSH-12.1, "2.5.1" */
  CW_HEADER_PROCESSING_ID = 5   /* MSH-11.1, "P" */
} cw_header_field;
/* A field of the header (empty for an unknown field); valid while the header lives. */
CW_API void cw_message_header_get(const cw_message_header* header, cw_header_field field, const char** value,
                                  size_t* len);

/* Builds ACKs (crosswalk::BuildAck): MSH with sending and receiving application/facility swapped and the
 * inbound encoding characters, MSH-9 ACK^<trigger>^ACK, MSA with the inbound MSH-10, and ERR (v2.5+ layout)
 * unless the code is AA with no error location. Works when only the inbound MSH is readable, so a broken
 * message can be answered with AR. A builder holds the options (set once, reused) and the last ACK; one per
 * thread. A new builder has code AA, no control id or timestamp (both required), no text, a text limit of
 * 250 bytes, no error location, error code 207 when not AA, severity E. */
typedef struct cw_ack_builder cw_ack_builder;
typedef enum cw_ack_code { CW_ACK_AA = 0, CW_ACK_AE = 1, CW_ACK_AR = 2 } cw_ack_code;
CW_API cw_status cw_ack_builder_create(cw_ack_builder** out);
CW_API void cw_ack_builder_destroy(cw_ack_builder* builder); /* NULL is allowed */
/* Errors: CW_INVALID_ARGUMENT (a value outside cw_ack_code). */
CW_API cw_status cw_ack_builder_set_code(cw_ack_builder* builder, cw_ack_code code);
/* MSH-10 of the ACK. */
CW_API cw_status cw_ack_builder_set_control_id(cw_ack_builder* builder, const char* id, size_t len);
/* MSH-7 of the ACK, an HL7 DTM such as "20240501120000+0000". */
CW_API cw_status cw_ack_builder_set_timestamp(cw_ack_builder* builder, const char* dtm, size_t len);
/* MSA-3 and ERR-8 (must hold no patient data): escaped, control characters included, and cut to max_bytes
 * (0 = the default, 250) on a UTF-8 character boundary. */
CW_API cw_status cw_ack_builder_set_text(cw_ack_builder* builder, const char* text, size_t len, size_t max_bytes);
/* ERR-2 (segment id, its 1-based sequence among segments with that id, field; segment len 0 = no location),
 * ERR-3 (HL7 table 0357, len 0 = 207 when not AA) and ERR-4 severity ('E', 'W' or 'I'). */
CW_API cw_status cw_ack_builder_set_error(cw_ack_builder* builder, const char* segment, size_t segment_len,
                                          int sequence, int field, const char* code, size_t code_len,
                                          char severity);
/* Builds the ACK to `inbound` (one message). On CW_OK, *ack is the ACK (segments ended by \r), valid until the
 * next build on this builder or its destruction. Errors: CW_INVALID_ARGUMENT (no control id or timestamp, bad
 * severity), CW_PARSE_ERROR (no readable MSH). */
CW_API cw_status cw_ack_builder_build(cw_ack_builder* builder, const char* inbound, size_t inbound_len,
                                      const char** ack, size_t* ack_len);

/* ---- Terminology store (crosswalk::term::Store) ------------------------------------------------------ */

/* Opens the RocksDB terminology store in `dir` read-only (several processes and runtimes may share the
 * directory; the store sees it as it was when opened: reopen to see later imports).
 * Errors: CW_NOT_FOUND (no store there), CW_IO_ERROR, CW_CORRUPT (not a Crosswalk store). */
CW_API cw_status cw_store_open(const char* dir, size_t dir_len, cw_store** out);
CW_API void cw_store_destroy(cw_store* store); /* NULL is allowed; results it gave become invalid */

/* Looks up `code` in code system `system` at `version` (len 0 = the current version). On CW_OK, *out is a
 * new cw_concept, or NULL when the system has no such code. Errors: CW_NOT_FOUND (no such code system
 * or version). */
CW_API cw_status cw_store_lookup(cw_store* store, const char* system, size_t system_len, const char* code,
                                 size_t code_len, const char* version, size_t version_len, cw_concept** out);
CW_API void cw_concept_destroy(cw_concept* concept_); /* NULL is allowed */

typedef enum cw_concept_field {
  CW_CONCEPT_SYSTEM = 0,   /* the code system URL */
  CW_CONCEPT_VERSION = 1,  /* the code system version that answered */
  CW_CONCEPT_CODE = 2,
  CW_CONCEPT_DISPLAY = 3,  /* may be empty */
  CW_CONCEPT_STATUS = 4    /* "active" unless the concept says otherwise */
} cw_concept_field;
/* A field of a concept (empty for an unknown field). */
CW_API void cw_concept_get(const cw_concept* concept_, cw_concept_field field, const char** value, size_t* len);
/* Properties: codings are "system|code", booleans "true"/"false", numbers and dates as written.
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_concept_property_count(const cw_concept* concept_);
CW_API cw_status cw_concept_property(const cw_concept* concept_, size_t index, const char** code, size_t* code_len,
                                     const char** type, size_t* type_len, const char** value, size_t* value_len);
/* Designations (other displays): language (BCP-47, may be empty), use system and code (may be empty),
 * value. Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_concept_designation_count(const cw_concept* concept_);
CW_API cw_status cw_concept_designation(const cw_concept* concept_, size_t index, const char** language,
                                        size_t* language_len, const char** use_system, size_t* use_system_len,
                                        const char** use_code, size_t* use_code_len, const char** value,
                                        size_t* value_len);

/* Is `code` in code system `system` (valueset_len 0), or a member of the value set `valueset_url`?
 * *valid is 1 or 0. Errors: CW_NOT_FOUND (unknown system or value set), CW_UNIMPLEMENTED (the answer
 * depends on compose rules the store does not evaluate). */
CW_API cw_status cw_store_validate(cw_store* store, const char* system, size_t system_len, const char* code,
                                   size_t code_len, const char* valueset_url, size_t valueset_len, int* valid);

/* Translates `code` of `source_system` through a ConceptMap: `map_url` (len 0: every map from
 * source_system, tried in byte order of URL), to `target_system` (len 0: any). On CW_OK, *out is a new
 * cw_translation; cw_translation_found says whether the code was mapped (not mapped is not an error).
 * Errors: CW_NOT_FOUND (map_url names no map in the store). */
CW_API cw_status cw_store_translate(cw_store* store, const char* map_url, size_t map_url_len,
                                    const char* source_system, size_t source_system_len, const char* code,
                                    size_t code_len, const char* target_system, size_t target_system_len,
                                    cw_translation** out);
CW_API void cw_translation_destroy(cw_translation* translation); /* NULL is allowed */
/* 1 when the code was mapped, else 0 (then every field is empty except possibly the equivalence). */
CW_API int cw_translation_found(const cw_translation* translation);

typedef enum cw_translation_field {
  CW_TRANSLATION_TARGET_SYSTEM = 0,
  CW_TRANSLATION_TARGET_CODE = 1,
  CW_TRANSLATION_TARGET_DISPLAY = 2,
  CW_TRANSLATION_EQUIVALENCE = 3,  /* "equivalent", "wider", ..., "unmapped-provided", "unmapped-fixed" */
  CW_TRANSLATION_MAP_URL = 4,      /* the map that answered */
  CW_TRANSLATION_MAP_VERSION = 5
} cw_translation_field;
/* A field of a translation (empty for an unknown field). */
CW_API void cw_translation_get(const cw_translation* translation, cw_translation_field field, const char** value,
                               size_t* len);

/* ---- $expand and all matches of a translation (Store::Expand, Store::TranslateAll) ------------------- */

typedef struct cw_expand_options cw_expand_options;
typedef struct cw_expansion cw_expansion;
typedef struct cw_translate_options cw_translate_options;
typedef struct cw_matches cw_matches;

/* Options of cw_store_expand (crosswalk::term::ExpandOptions), with its defaults: offset 0, count 1000,
 * max_members 100000, no display language, not active-only, no filter. The setters are not thread-safe; a
 * set-up options object may be read by several threads. Errors of the string setters: CW_INVALID_ARGUMENT
 * (NULL with a non-zero length). */
CW_API cw_status cw_expand_options_create(cw_expand_options** out);
CW_API void cw_expand_options_destroy(cw_expand_options* options); /* NULL is allowed */
/* Paging: skip `offset` members, return at most `count`. */
CW_API void cw_expand_options_set_page(cw_expand_options* options, uint64_t offset, uint64_t count);
/* The most members the whole expansion may have (else CW_LIMIT_EXCEEDED). */
CW_API void cw_expand_options_set_max_members(cw_expand_options* options, uint64_t max_members);
/* R4 displayLanguage: a BCP-47 tag or a comma-separated preference list (len 0: the concepts' displays). */
CW_API cw_status cw_expand_options_set_display_language(cw_expand_options* options, const char* language,
                                                        size_t language_len);
/* R4 activeOnly (1) or not (0). */
CW_API void cw_expand_options_set_active_only(cw_expand_options* options, int active_only);
/* R4 filter: every whitespace-separated word must occur, ignoring ASCII case, in the code or display. */
CW_API cw_status cw_expand_options_set_filter(cw_expand_options* options, const char* filter, size_t filter_len);

/* R4 $expand of the value set `valueset` ("url" or "url|version"), paged; options NULL = the defaults. On
 * CW_OK, *out is a new cw_expansion that owns its strings (it stays readable after the store is destroyed).
 * Errors: CW_NOT_FOUND (unknown value set, or one it imports), CW_LIMIT_EXCEEDED (more members than
 * max_members), CW_FAILED_PRECONDITION (a code system it needs is not in the store or cannot tell),
 * CW_UNIMPLEMENTED (a filter the store cannot evaluate). */
CW_API cw_status cw_store_expand(cw_store* store, const char* valueset, size_t valueset_len,
                                 const cw_expand_options* options, cw_expansion** out);
CW_API void cw_expansion_destroy(cw_expansion* expansion); /* NULL is allowed */
/* Members in the whole expansion (after activeOnly and filter), whatever the page. */
CW_API uint64_t cw_expansion_total(const cw_expansion* expansion);
/* Members of the page, in (system, code) byte order. */
CW_API size_t cw_expansion_count(const cw_expansion* expansion);
/* Member `index` of the page: system, version (may be empty), code, display (may be empty).
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API cw_status cw_expansion_member(const cw_expansion* expansion, size_t index, const char** system,
                                     size_t* system_len, const char** version, size_t* version_len,
                                     const char** code, size_t* code_len, const char** display,
                                     size_t* display_len);
/* The parameters that changed the content (R4 expansion.parameter): displayLanguage, activeOnly, filter.
 * Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API size_t cw_expansion_parameter_count(const cw_expansion* expansion);
CW_API cw_status cw_expansion_parameter(const cw_expansion* expansion, size_t index, const char** name,
                                        size_t* name_len, const char** value, size_t* value_len);

/* R4 ConceptMapEquivalence as bits, for cw_translate_options_set_equivalences (R5 relationship codes count
 * as their R4 meaning). */
typedef enum cw_equivalence_bit {
  CW_EQUIVALENCE_EQUAL = 1 << 0,
  CW_EQUIVALENCE_EQUIVALENT = 1 << 1,
  CW_EQUIVALENCE_WIDER = 1 << 2,
  CW_EQUIVALENCE_SUBSUMES = 1 << 3,
  CW_EQUIVALENCE_NARROWER = 1 << 4,
  CW_EQUIVALENCE_SPECIALIZES = 1 << 5,
  CW_EQUIVALENCE_INEXACT = 1 << 6,
  CW_EQUIVALENCE_RELATEDTO = 1 << 7,
  CW_EQUIVALENCE_UNMAPPED = 1 << 8, /* answers of a group's `unmapped` rule (provided, fixed) */
  CW_EQUIVALENCE_ANY = (1 << 9) - 1
} cw_equivalence_bit;

/* Options of cw_store_translate_all (crosswalk::term::TranslateOptions), with its defaults: any target
 * system, every equivalence, no dependsOn values, forward, any source version. Thread-safety as
 * cw_expand_options. Errors of the string setters: CW_INVALID_ARGUMENT (NULL with a non-zero length). */
CW_API cw_status cw_translate_options_create(cw_translate_options** out);
CW_API void cw_translate_options_destroy(cw_translate_options* options); /* NULL is allowed */
/* Only targets in this system (len 0: any). */
CW_API cw_status cw_translate_options_set_target_system(cw_translate_options* options, const char* system,
                                                        size_t system_len);
/* Which equivalences may answer: an OR of cw_equivalence_bit values. */
CW_API void cw_translate_options_set_equivalences(cw_translate_options* options, uint32_t bits);
/* A value for a dependsOn condition (property as the map writes it; system len 0 = any system). A target
 * with conditions answers only when every condition has a value; call once per value. */
CW_API cw_status cw_translate_options_add_depends_on(cw_translate_options* options, const char* property,
                                                     size_t property_len, const char* system, size_t system_len,
                                                     const char* value, size_t value_len);
/* Reverse translation (1): the code is a target code and the answers are its sources. */
CW_API void cw_translate_options_set_reverse(cw_translate_options* options, int reverse);
/* The version of the source code's system (len 0: every group answers; otherwise a group whose
 * sourceVersion names another version does not). */
CW_API cw_status cw_translate_options_set_source_version(cw_translate_options* options, const char* version,
                                                         size_t version_len);

/* Every match of `code` of `source_system` through the map `map_url` ("url", "url|version", len 0: every
 * map from source_system), best first (equal, equivalent, wider, ..., then unmapped-rule answers; ties in
 * document order); options NULL = the defaults. On CW_OK, *out is a new cw_matches (possibly empty) that
 * owns its strings. Errors: CW_NOT_FOUND (map_url names no map in the store). */
CW_API cw_status cw_store_translate_all(cw_store* store, const char* map_url, size_t map_url_len,
                                        const char* source_system, size_t source_system_len, const char* code,
                                        size_t code_len, const cw_translate_options* options, cw_matches** out);
CW_API void cw_matches_destroy(cw_matches* matches); /* NULL is allowed */
CW_API size_t cw_matches_count(const cw_matches* matches);

typedef enum cw_match_field {
  CW_MATCH_SYSTEM = 0,       /* the target system (reverse: the source system) */
  CW_MATCH_CODE = 1,
  CW_MATCH_DISPLAY = 2,      /* may be empty */
  CW_MATCH_VERSION = 3,      /* the group's targetVersion; empty when it names none, and in reverse */
  CW_MATCH_EQUIVALENCE = 4,  /* as CW_TRANSLATION_EQUIVALENCE */
  CW_MATCH_MAP_URL = 5,
  CW_MATCH_MAP_VERSION = 6
} cw_match_field;
/* A field of match `index` (empty for an unknown field). Errors: CW_INVALID_ARGUMENT (index out of range). */
CW_API cw_status cw_matches_get(const cw_matches* matches, size_t index, cw_match_field field, const char** value,
                                size_t* len);

typedef enum cw_match_attribute_kind {
  CW_MATCH_DEPENDS_ON = 0, /* the conditions the target needed (all held) */
  CW_MATCH_PRODUCT = 1     /* other concepts the mapping also yields */
} cw_match_attribute_kind;
/* Attributes of match `index` (0 when index is out of range). */
CW_API size_t cw_matches_attribute_count(const cw_matches* matches, size_t index, cw_match_attribute_kind kind);
/* Attribute `attribute` of match `index`: property, system (may be empty), value, display (may be empty).
 * Errors: CW_INVALID_ARGUMENT (an index out of range). */
CW_API cw_status cw_matches_attribute(const cw_matches* matches, size_t index, cw_match_attribute_kind kind,
                                      size_t attribute, const char** property, size_t* property_len,
                                      const char** system, size_t* system_len, const char** value,
                                      size_t* value_len, const char** display, size_t* display_len);

#ifdef __cplusplus
}
#endif

#endif /* CROSSWALK_CROSSWALK_H_ */
