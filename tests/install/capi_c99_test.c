/* The C API as a C99 host sees it (test sdk.capi_c99): runtime options (terminology store, drift), the
 * program's terminology, run options with trace and the lineage records, the HL7 v2 stream splitter, the
 * message header and the ACK builder. Runs the shipped hl7v2-to-fhir program against the build's store.
 * usage: capi_c99_test PROGRAM.cwb TERMINOLOGY_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswalk/crosswalk.h"

static int failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, #cond,  \
              cw_last_error());                                                       \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

/* (p, n) equals the NUL-terminated s. */
static int Eq(const char* p, size_t n, const char* s) { return n == strlen(s) && memcmp(p, s, n) == 0; }
/* (p, n) contains the NUL-terminated s. */
static int Has(const char* p, size_t n, const char* s) {
  size_t k = strlen(s), i;
  for (i = 0; i + k <= n; ++i) {
    if (memcmp(p + i, s, k) == 0) return 1;
  }
  return 0;
}

static char* ReadFile(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  char* buf = NULL;
  long size;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    buf = (char*)malloc((size_t)size + 1);
    if (buf != NULL) *len = fread(buf, 1, (size_t)size, f);
  }
  fclose(f);
  return buf;
}

static const char kAdt[] =
    "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240501120000||ADT^A01|MSG-1|P|2.5.1\r"
    "EVN|A01|20240501120000\r"
    "PID|1||12345^^^HOSP^MR||Doe^Jane||19800102|F\r"
    "PV1|1|I\r";

static void TestRuntimeOptionsAndProgram(const char* cwb, size_t cwb_len, const char* term_dir) {
  cw_runtime_options* ro = NULL;
  cw_runtime* rt = NULL;
  cw_program* prog = NULL;
  const char* p;
  size_t n, i;

  CHECK(cw_version_number() == CW_VERSION_NUMBER);
  CHECK(cw_runtime_options_create(&ro) == CW_OK);
  /* No store: the program names terminology, so it is refused. */
  CHECK(cw_runtime_create_with_options(ro, &rt) == CW_OK);
  CHECK(cw_program_load(rt, cwb, cwb_len, &prog) == CW_FAILED_PRECONDITION);
  CHECK(strstr(cw_last_error(), "no terminology store") != NULL);
  cw_runtime_destroy(rt);
  rt = NULL;
  /* A store that does not exist. */
  CHECK(cw_runtime_options_set_terminology_dir(ro, "/nonexistent/store", 18) == CW_OK);
  CHECK(cw_runtime_create_with_options(ro, &rt) == CW_NOT_FOUND);
  /* The build's store, drift allowed: the program loads and names what it uses, with no drift warning. */
  CHECK(cw_runtime_options_set_terminology_dir(ro, term_dir, strlen(term_dir)) == CW_OK);
  CHECK(cw_runtime_options_set_allow_terminology_drift(ro, 1) == CW_OK);
  CHECK(cw_runtime_create_with_options(ro, &rt) == CW_OK);
  cw_runtime_options_destroy(ro);  /* the runtime copied what it needs */
  CHECK(cw_program_load(rt, cwb, cwb_len, &prog) == CW_OK);
  CHECK(cw_program_terminology_count(prog) > 0);
  for (i = 0; i < cw_program_terminology_count(prog); ++i) {
    CHECK(cw_program_terminology(prog, i, &p, &n) == CW_OK);
    CHECK(n > 0 && (Has(p, n, "http") || Has(p, n, "urn:")));
  }
  CHECK(cw_program_terminology(prog, cw_program_terminology_count(prog), &p, &n) == CW_INVALID_ARGUMENT);
  CHECK(cw_program_terminology_warning_count(prog) == 0);
  CHECK(cw_program_terminology_warning(prog, 0, &p, &n) == CW_INVALID_ARGUMENT);
  CHECK(cw_runtime_options_set_allow_terminology_drift(NULL, 1) == CW_INVALID_ARGUMENT);
  CHECK(cw_runtime_create_with_options(NULL, NULL) == CW_INVALID_ARGUMENT);
  cw_program_destroy(prog);
  cw_runtime_destroy(rt);
}

static void TestLineage(const char* cwb, size_t cwb_len, const char* term_dir) {
  cw_runtime* rt = NULL;
  cw_program* prog = NULL;
  cw_context* ctx = NULL;
  cw_run_options* opts = NULL;
  const char *out, *p, *file, *op, *url, *result;
  size_t out_len, n, file_len, op_len, url_len, result_len, i, j, inputs, decisions;
  uint32_t line = 0, col = 0, roles = 0, position[5];
  int found_pid8 = 0, found_translate = 0, found_condition_or_data = 0;

  CHECK(cw_runtime_create(term_dir, strlen(term_dir), &rt) == CW_OK);
  CHECK(cw_program_load(rt, cwb, cwb_len, &prog) == CW_OK);
  CHECK(cw_context_create(rt, &ctx) == CW_OK);
  CHECK(cw_run_options_create(&opts) == CW_OK);
  CHECK(cw_run_options_set_now(opts, "2024-05-01T12:00:00Z", 20) == CW_OK);
  /* Untraced: no lineage. */
  CHECK(cw_run_with_options(ctx, prog, opts, kAdt, sizeof kAdt - 1, &out, &out_len) == CW_OK);
  CHECK(cw_context_lineage_count(ctx) == 0);
  CHECK(cw_run_options_set_trace(opts, 1) == CW_OK);
  CHECK(cw_run_with_options(ctx, prog, opts, kAdt, sizeof kAdt - 1, &out, &out_len) == CW_OK);
  CHECK(Has(out, out_len, "\"gender\":\"female\""));
  CHECK(cw_context_lineage_count(ctx) > 0);
  CHECK(cw_context_lineage_count(ctx) == cw_context_trace_count(ctx));
  for (i = 0; i < cw_context_lineage_count(ctx); ++i) {
    CHECK(cw_context_lineage(ctx, i, &p, &n, &file, &file_len, &line, &col, &inputs, &decisions) == CW_OK);
    CHECK(n > 1 && p[0] == '$');
    CHECK(file_len > 0 && line > 0 && col > 0);
    for (j = 0; j < inputs; ++j) {
      CHECK(cw_context_lineage_input(ctx, i, j, &p, &n, &roles, position) == CW_OK);
      CHECK(n > 0);
      found_condition_or_data += roles != 0;
      if (Eq(p, n, "PID-8")) {
        found_pid8 = 1;
        CHECK(position[0] == 1 && position[1] == 8);
      }
    }
    CHECK(cw_context_lineage_input(ctx, i, inputs, &p, &n, &roles, position) == CW_INVALID_ARGUMENT);
    for (j = 0; j < decisions; ++j) {
      CHECK(cw_context_lineage_decision(ctx, i, j, &op, &op_len, &url, &url_len, &result, &result_len, &file,
                                        &file_len, &line, &col) == CW_OK);
      if (Eq(op, op_len, "translate") && Has(url, url_len, "0001")) {
        found_translate = 1;
        CHECK(Has(result, result_len, "mapped"));
        CHECK(file_len > 0 && line > 0);
      }
    }
    CHECK(cw_context_lineage_decision(ctx, i, decisions, &op, &op_len, &url, &url_len, &result, &result_len, NULL,
                                      NULL, NULL, NULL) == CW_INVALID_ARGUMENT);
  }
  CHECK(found_pid8);
  CHECK(found_translate);
  CHECK(found_condition_or_data > 0);
  CHECK(cw_context_lineage(ctx, cw_context_lineage_count(ctx), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) ==
        CW_INVALID_ARGUMENT);
  cw_run_options_destroy(opts);
  cw_context_destroy(ctx);
  cw_program_destroy(prog);
  cw_runtime_destroy(rt);
}

static void TestSplitter(void) {
  /* An MLLP frame, a batch with two messages, a line outside any message, and a frame left open. */
  static const char kStream[] =
      "\x0bMSH|^~\\&|A|B|C|D|20240501||ADT^A01|F1|P|2.5.1\rPID|1\r\x1c\r"
      "FHS|^~\\&|A\rBHS|^~\\&|A\r"
      "MSH|^~\\&|A|B|C|D|20240501||ADT^A08|B1|P|2.5.1\rPID|1\r"
      "MSH|^~\\&|A|B|C|D|20240501||ADT^A08|B2|P|2.5.1\rPID|1\r"
      "BTS|2\rFTS|1\r"
      "garbage line\r"
      "\x0bMSH|^~\\&|A|B|C|D|20240501||ADT^A01|OPEN|P|2.5.1\r";
  cw_splitter* sp = NULL;
  int has = 0, messages = 0, envelopes = 0, errors = 0, parse_errors = 0;
  size_t i;
  cw_split_kind kind;
  const char *text, *err;
  size_t text_len, err_len;
  uint64_t offset, length, last_end = 0;
  cw_status item_status;

  CHECK(cw_splitter_create(0, &sp) == CW_OK);
  /* One byte at a time: frames and messages span many feeds. */
  for (i = 0; i <= sizeof kStream - 1; ++i) {
    if (i < sizeof kStream - 1) {
      CHECK(cw_splitter_feed(sp, kStream + i, 1) == CW_OK);
    } else {
      CHECK(cw_splitter_finish(sp) == CW_OK);
    }
    for (;;) {
      CHECK(cw_splitter_next(sp, &has, &kind, &text, &text_len, &offset, &length, &item_status) == CW_OK);
      if (!has) break;
      CHECK(offset >= last_end && offset + length <= sizeof kStream - 1);
      last_end = offset + length;
      if (kind == CW_SPLIT_MESSAGE) {
        ++messages;
        CHECK(item_status == CW_OK && text_len > 4 && memcmp(text, "MSH|", 4) == 0);
        CHECK(!Has(text, text_len, "\x0b") && !Has(text, text_len, "\x1c"));
        cw_splitter_item_error(sp, &err, &err_len);
        CHECK(err_len == 0);
      } else if (kind == CW_SPLIT_ENVELOPE) {
        ++envelopes;
      } else {
        ++errors;
        parse_errors += item_status == CW_PARSE_ERROR;
        CHECK(text_len == 0);
        cw_splitter_item_error(sp, &err, &err_len);
        CHECK(err_len > 0 && Has(err, err_len, "byte"));
        CHECK(!Has(err, err_len, "garbage") && !Has(err, err_len, "OPEN"));  /* no content */
      }
    }
  }
  CHECK(messages == 3);
  CHECK(envelopes == 4);
  CHECK(errors == 2 && parse_errors == 2);
  /* After reset, a new stream starts at offset 0. */
  CHECK(cw_splitter_reset(sp) == CW_OK);
  CHECK(cw_splitter_feed(sp, kAdt, sizeof kAdt - 1) == CW_OK);
  CHECK(cw_splitter_finish(sp) == CW_OK);
  CHECK(cw_splitter_next(sp, &has, &kind, &text, &text_len, &offset, &length, NULL) == CW_OK);
  CHECK(has && kind == CW_SPLIT_MESSAGE && offset == 0 && text_len == sizeof kAdt - 1);
  CHECK(cw_splitter_next(sp, &has, NULL, NULL, NULL, NULL, NULL, NULL) == CW_OK && !has);
  CHECK(cw_splitter_next(sp, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == CW_INVALID_ARGUMENT);
  cw_splitter_destroy(sp);

  /* The size limit: a message longer than 64 bytes is one CW_LIMIT_EXCEEDED error. */
  CHECK(cw_splitter_create(64, &sp) == CW_OK);
  CHECK(cw_splitter_feed(sp, kAdt, sizeof kAdt - 1) == CW_OK);
  CHECK(cw_splitter_finish(sp) == CW_OK);
  CHECK(cw_splitter_next(sp, &has, &kind, NULL, NULL, NULL, NULL, &item_status) == CW_OK);
  CHECK(has && kind == CW_SPLIT_ERROR && item_status == CW_LIMIT_EXCEEDED);
  cw_splitter_destroy(sp);
  cw_splitter_destroy(NULL);
}

static void TestHeaderAndAck(void) {
  cw_message_header* h = NULL;
  cw_ack_builder* b = NULL;
  const char *p, *ack;
  size_t n, ack_len;
  /* The body is broken, the MSH readable. */
  static const char kBroken[] = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240501||ORU^R01|C\\F\\7|T|2.3\r\x01\x02 not a segment";

  CHECK(cw_message_header_read(kAdt, sizeof kAdt - 1, &h) == CW_OK);
  cw_message_header_get(h, CW_HEADER_MESSAGE_CODE, &p, &n);
  CHECK(Eq(p, n, "ADT"));
  cw_message_header_get(h, CW_HEADER_TRIGGER_EVENT, &p, &n);
  CHECK(Eq(p, n, "A01"));
  cw_message_header_get(h, CW_HEADER_STRUCTURE, &p, &n);
  CHECK(Eq(p, n, "ADT_A01"));
  cw_message_header_get(h, CW_HEADER_CONTROL_ID, &p, &n);
  CHECK(Eq(p, n, "MSG-1"));
  cw_message_header_get(h, CW_HEADER_VERSION, &p, &n);
  CHECK(Eq(p, n, "2.5.1"));
  cw_message_header_get(h, CW_HEADER_PROCESSING_ID, &p, &n);
  CHECK(Eq(p, n, "P"));
  cw_message_header_get(h, (cw_header_field)99, &p, &n);
  CHECK(n == 0);
  cw_message_header_destroy(h);
  h = NULL;
  CHECK(cw_message_header_read(kBroken, sizeof kBroken - 1, &h) == CW_OK);
  cw_message_header_get(h, CW_HEADER_CONTROL_ID, &p, &n);
  CHECK(Eq(p, n, "C|7"));  /* unescaped */
  cw_message_header_destroy(h);
  CHECK(cw_message_header_read("PID|1\r", 6, &h) == CW_PARSE_ERROR);

  CHECK(cw_ack_builder_create(&b) == CW_OK);
  /* Control id and timestamp are required. */
  CHECK(cw_ack_builder_build(b, kAdt, sizeof kAdt - 1, &ack, &ack_len) == CW_INVALID_ARGUMENT);
  CHECK(cw_ack_builder_set_control_id(b, "ACK-1", 5) == CW_OK);
  CHECK(cw_ack_builder_set_timestamp(b, "20240501120005", 14) == CW_OK);
  CHECK(cw_ack_builder_build(b, kAdt, sizeof kAdt - 1, &ack, &ack_len) == CW_OK);
  CHECK(Has(ack, ack_len, "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20240501120005||ACK^A01^ACK|ACK-1|P|2.5.1\r"));
  CHECK(Has(ack, ack_len, "\rMSA|AA|MSG-1\r"));
  CHECK(!Has(ack, ack_len, "ERR|"));
  /* AE with a reason (escaped, cut) and an error location. */
  CHECK(cw_ack_builder_set_code(b, CW_ACK_AE) == CW_OK);
  CHECK(cw_ack_builder_set_text(b, "bad PID-8|code", 14, 0) == CW_OK);
  CHECK(cw_ack_builder_set_error(b, "PID", 3, 1, 8, "103", 3, 'E') == CW_OK);
  CHECK(cw_ack_builder_build(b, kAdt, sizeof kAdt - 1, &ack, &ack_len) == CW_OK);
  CHECK(Has(ack, ack_len, "\rMSA|AE|MSG-1|bad PID-8\\F\\code\r"));
  CHECK(Has(ack, ack_len, "\rERR||PID^1^8|103^Table value not found^HL70357|E||||bad PID-8\\F\\code\r"));
  CHECK(cw_ack_builder_set_text(b, "abcdefgh", 8, 3) == CW_OK);
  CHECK(cw_ack_builder_build(b, kAdt, sizeof kAdt - 1, &ack, &ack_len) == CW_OK);
  CHECK(Has(ack, ack_len, "\rMSA|AE|MSG-1|abc\r"));
  /* AR to a message whose body is broken: only its MSH is read. */
  CHECK(cw_ack_builder_set_code(b, CW_ACK_AR) == CW_OK);
  CHECK(cw_ack_builder_set_error(b, NULL, 0, 1, 0, NULL, 0, 'E') == CW_OK);
  CHECK(cw_ack_builder_build(b, kBroken, sizeof kBroken - 1, &ack, &ack_len) == CW_OK);
  CHECK(Has(ack, ack_len, "||ACK^R01^ACK|ACK-1|T|2.3\r"));
  CHECK(Has(ack, ack_len, "\rMSA|AR|C\\F\\7|abc\r"));
  CHECK(Has(ack, ack_len, "\rERR|||207^Application internal error^HL70357|E"));
  /* Errors. */
  CHECK(cw_ack_builder_build(b, "PID|1\r", 6, &ack, &ack_len) == CW_PARSE_ERROR);
  CHECK(cw_ack_builder_set_code(b, (cw_ack_code)7) == CW_INVALID_ARGUMENT);
  CHECK(cw_ack_builder_set_error(b, "PID", 3, 1, 8, NULL, 0, 'X') == CW_INVALID_ARGUMENT);
  CHECK(cw_ack_builder_build(b, kAdt, sizeof kAdt - 1, NULL, &ack_len) == CW_INVALID_ARGUMENT);
  cw_ack_builder_destroy(b);
  cw_ack_builder_destroy(NULL);
}

int main(int argc, char** argv) {
  size_t cwb_len = 0;
  char* cwb;
  if (argc != 3) {
    fprintf(stderr, "usage: capi_c99_test PROGRAM.cwb TERMINOLOGY_DIR\n");
    return 2;
  }
  cwb = ReadFile(argv[1], &cwb_len);
  if (cwb == NULL) {
    fprintf(stderr, "capi_c99_test: cannot read %s\n", argv[1]);
    return 2;
  }
  TestRuntimeOptionsAndProgram(cwb, cwb_len, argv[2]);
  TestLineage(cwb, cwb_len, argv[2]);
  TestSplitter();
  TestHeaderAndAck();
  free(cwb);
  if (failures != 0) {
    fprintf(stderr, "capi_c99_test: %d failure(s)\n", failures);
    return 1;
  }
  printf("capi_c99_test: OK\n");
  return 0;
}
