// warn and fail, with and without conditions.
map Checks : json -> json {
  warn "no id" if not input.id
  fail "rejected: ${input.reason}" if input.reject
  id: input.id
}
