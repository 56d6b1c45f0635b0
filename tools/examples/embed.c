/* A runtime-only embedding example in C: loads a compiled program and converts one message.
 * Links crosswalk_runtime alone (no compiler, no ANTLR), which the build checks by building this file.
 * usage: crosswalk_embed_example PROGRAM.cwb MESSAGE [TERMINOLOGY_DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswalk/crosswalk.h"

static char* ReadAll(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char* buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s PROGRAM.cwb MESSAGE [TERMINOLOGY_DIR]\n", argv[0]);
    return 2;
  }
  size_t cwb_len = 0, msg_len = 0;
  char* cwb = ReadAll(argv[1], &cwb_len);
  char* msg = ReadAll(argv[2], &msg_len);
  if (!cwb || !msg) {
    fprintf(stderr, "cannot read input files\n");
    return 1;
  }
  const char* term = argc > 3 ? argv[3] : NULL;
  cw_runtime* rt = NULL;
  cw_program* prog = NULL;
  cw_context* ctx = NULL;
  const char* out = NULL;
  size_t out_len = 0;
  int rc = 1;
  if (cw_runtime_create(term, term ? strlen(term) : 0, &rt) != CW_OK ||
      cw_program_load(rt, cwb, cwb_len, &prog) != CW_OK || cw_context_create(rt, &ctx) != CW_OK ||
      cw_run(ctx, prog, msg, msg_len, &out, &out_len) != CW_OK) {
    fprintf(stderr, "crosswalk: %s\n", cw_last_error());
  } else {
    fwrite(out, 1, out_len, stdout);
    fputc('\n', stdout);
    rc = 0;
  }
  cw_context_destroy(ctx);
  cw_program_destroy(prog);
  cw_runtime_destroy(rt);
  free(cwb);
  free(msg);
  return rc;
}
