// HL7 v2 paths: fields, components, repetitions, subcomponents, Z-segments, is_null. (JSON out: these fields are not FHIR, which the compiler checks)
map Adt : hl7v2 "ADT^A01" -> json {
  resource: "Patient"
  id: PID-3.1
  family: PID-5.1
  second: PID-3[2].4.1
  identifier[]: for cx in PID-3 => { value: cx.1, system: cx.4.1 }
  gender: match PID-8 { "M" => "male" "F" => "female" _ => null }
  nulled: true if is_null(PID-8)
  z: ZPI-2
}
