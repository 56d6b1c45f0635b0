// Expression and block functions, recursion, early return.
map Fns : json -> json {
  f: Fact(input.n)
  c: Coding(input.code, "http://example.org/cs")
  p: Pick(input.n)
}
def Fact(n) = if n <= 1 then 1 else n * Fact(n - 1)
def Coding(code, system) { system: system, code: code }
def Pick(n) {
  if n > 10 { return "many" }
  v: n
}
