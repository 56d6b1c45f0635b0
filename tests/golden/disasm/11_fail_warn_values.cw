// warn and fail whose text holds input values: WARNR/FAILR carry the text shown without the values
// (the template as written, ${expr} per value); text known when compiled stays WARN/FAIL.
const WHY = "no name"
map Checks : hl7v2 "ADT^A01" -> json {
  warn WHY if not PID-5
  warn "family ${PID-5.1}, given ${ PID-5.2 }"
  warn PID-8
  fail "unknown sex ${PID-8}" if PID-8 == "X"
  fail "rejected" if PID-8 == "U"
  sex: PID-8
}
