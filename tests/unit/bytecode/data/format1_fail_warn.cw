// Compiled by the format-1 compiler (commit 10f74fe) into tests/unit/bytecode/data/format1_fail_warn.cwb:
// the previous release's file that must keep loading.
map Check : json -> json {
  warn "checking ${input.id}"
  fail "bad name ${input.name}" if input.name
  id: input.id
}
