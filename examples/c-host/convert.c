/* convert: runs a compiled Crosswalk program on one message through the C API (<crosswalk/crosswalk.h>).
 * An out-of-tree C99 integrator, built with find_package(crosswalk) (CMakeLists.txt) or pkg-config
 * (Makefile).
 *
 *   convert PROGRAM.cwb MESSAGE_FILE [TERMINOLOGY_DIR]
 *
 * Writes the output document to stdout and the run's warnings to stderr (map positions, no content).
 * Exit status: 0 converted, 1 rejected (the reason on stderr), 2 usage or set-up error. */
#include <crosswalk/crosswalk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* ReadAll(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  size_t cap = 1 << 16, n = 0, got;
  char* buf;
  if (!f) return NULL;
  buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char* bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

int main(int argc, char** argv) {
  cw_runtime* rt = NULL;
  cw_program* prog = NULL;
  cw_context* ctx = NULL;
  cw_run_options* opts = NULL;
  const char* term = argc > 3 ? argv[3] : NULL;
  const char *out = NULL, *name = NULL;
  size_t cwb_len = 0, msg_len = 0, out_len = 0, name_len = 0, i;
  char *cwb, *msg;
  cw_status st;
  int rc = 2;

  if (argc < 3) {
    fprintf(stderr, "usage: %s PROGRAM.cwb MESSAGE_FILE [TERMINOLOGY_DIR]\n", argv[0]);
    return 2;
  }
  /* The library this program runs with must be the release it was compiled for. */
  if (cw_version_number() / 100 != CW_VERSION_NUMBER / 100) {
    fprintf(stderr, "convert: built for Crosswalk %d.%d, running with %s\n", CW_VERSION_MAJOR, CW_VERSION_MINOR,
            cw_version());
    return 2;
  }
  cwb = ReadAll(argv[1], &cwb_len);
  msg = ReadAll(argv[2], &msg_len);
  if (!cwb || !msg) {
    fprintf(stderr, "convert: cannot read the program or the message\n");
    free(cwb);
    free(msg);
    return 2;
  }
  if (cw_runtime_create(term, term ? strlen(term) : 0, &rt) != CW_OK ||
      cw_program_load(rt, cwb, cwb_len, &prog) != CW_OK || cw_context_create(rt, &ctx) != CW_OK ||
      cw_run_options_create(&opts) != CW_OK) {
    fprintf(stderr, "convert: %s\n", cw_last_error());
    goto done;
  }
  /* Values a map reads from its host: var("source") and now(). */
  cw_run_options_set_variable(opts, "source", 6, "convert.c", 9);
  cw_run_options_set_now(opts, "2024-01-01T00:00:00Z", 20);

  st = cw_run_with_options(ctx, prog, opts, msg, msg_len, &out, &out_len);
  for (i = 0; i < cw_context_warning_count(ctx); ++i) {
    const char *w, *file;
    size_t w_len, file_len;
    uint32_t line, col;
    if (cw_context_warning(ctx, i, &w, &w_len, &file, &file_len, &line, &col) == CW_OK) {
      fprintf(stderr, "warning: %.*s:%u:%u: %.*s\n", (int)file_len, file, (unsigned)line, (unsigned)col, (int)w_len, w);
    }
  }
  if (st != CW_OK) {
    fprintf(stderr, "convert: rejected (%s): %s\n", cw_status_name(st), cw_last_error());
    rc = 1;
    goto done;
  }
  cw_context_map_name(ctx, &name, &name_len);
  fprintf(stderr, "convert: map %.*s\n", (int)name_len, name);
  fwrite(out, 1, out_len, stdout);
  fputc('\n', stdout);
  rc = 0;

done:
  cw_run_options_destroy(opts);
  cw_context_destroy(ctx);
  cw_program_destroy(prog);
  cw_runtime_destroy(rt);
  free(cwb);
  free(msg);
  return rc;
}
