// Arithmetic, comparison, logic and first-present.
map Ops : json -> json {
  sum: input.a + input.b * 2
  rem: input.a % 7
  neg: -input.a
  lt: input.a < input.b
  eq: input.s == "x"
  both: input.a and not input.b
  either: input.a or input.b
  first: input.x ?? input.y ?? "unknown"
}
