// Builtins as runtime/bytecode/builtins.def describes them: count, last and distinct read their argument as
// a collection, so a segment name there is every segment of that id (V2SEGS); other builtins get the first
// segment (V2SEG). Result types come from the same table (count is a number, exists a boolean).
map Builtins : hl7v2 "ORU^R01" -> json {
  n: count(OBX)
  last_value: last(OBX).5
  codes: for o in distinct(OBX) => o.3.1
  first_id: first(OBX).1
  has_pid: exists(PID)
}
