// Literals: integers, decimals (scale kept), strings, booleans; null and "" are not written.
map Literals : json -> json {
  i: 42
  neg: -3
  d: 1.50
  s: "text"
  t: true
  f: false
  n: null
  e: ""
}
