// Object and array construction, members and indexes.
map Build : json -> json {
  obj: { system: "http://x", code: input.c, "value[x]": input.v }
  arr: [input.a, 1, "two", input.b]
  m: input["odd key"]
  first: input.xs[0]
  nested: input.o.p.q
}
