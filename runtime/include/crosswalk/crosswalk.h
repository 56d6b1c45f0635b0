/* The Crosswalk C API: load a compiled program, run it on messages.
 *
 * Conventions (as RocksDB's c.h):
 *  - opaque handles: cw_runtime, cw_program, cw_context; each has a create/load and a destroy call;
 *  - strings are passed as pointer plus length and need not be NUL-terminated;
 *  - every fallible call returns a cw_status; CW_OK is 0;
 *  - after a failed call, cw_last_error() returns a one-line message (never message content) that stays
 *    valid on this thread until the next Crosswalk call on this thread;
 *  - no pointer argument may be NULL unless documented;
 *  - no C++ exception crosses this API.
 * Thread-safety: a cw_runtime and the cw_programs it loaded may be shared by threads; a cw_context is used
 * by one thread at a time (make one per thread). A runtime must outlive its programs and contexts.
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

/* The last error's message on this thread ("" when the last call succeeded). */
CW_API const char* cw_last_error(void);

/* Creates a runtime. terminology_dir (may be NULL when dir_len is 0) names a RocksDB terminology store
 * opened read-only. Errors: CW_IO_ERROR, CW_NOT_FOUND. */
CW_API cw_status cw_runtime_create(const char* terminology_dir, size_t dir_len, cw_runtime** out);
CW_API void cw_runtime_destroy(cw_runtime* runtime); /* NULL is allowed */

/* Verifies a .cwb program and binds its terminology. bytes need only live for the call.
 * Errors: CW_CORRUPT, CW_LIMIT_EXCEEDED, CW_FAILED_PRECONDITION (terminology missing). */
CW_API cw_status cw_program_load(cw_runtime* runtime, const void* bytes, size_t len, cw_program** out);
CW_API void cw_program_destroy(cw_program* program); /* NULL is allowed */

/* Per-thread run state, reused between messages. */
CW_API cw_status cw_context_create(cw_runtime* runtime, cw_context** out);
CW_API void cw_context_destroy(cw_context* context); /* NULL is allowed */

/* Runs the program on one message (HL7 v2 or JSON). On CW_OK, *output points to the output document
 * (JSON, or ER7 for hl7v2 targets), valid until the next cw_run on this context or its destruction.
 * Errors: CW_PARSE_ERROR, CW_NOT_FOUND (no map for the message type), CW_FAILED_PRECONDITION (fail
 * statement, unmapped code under the "error" policy), CW_LIMIT_EXCEEDED, CW_INVALID_ARGUMENT. */
CW_API cw_status cw_run(cw_context* context, const cw_program* program, const char* input, size_t input_len,
                        const char** output, size_t* output_len);

#ifdef __cplusplus
}
#endif

#endif /* CROSSWALK_CROSSWALK_H_ */
