import lib.names

map ADT_A01 : hl7v2 "ADT^A01" -> fhir "Patient" {
  resourceType: "Patient"
  birthdate: date(PID-7)
  name[]: PersonName(PID-5)
  gender: MSH-10 * 2
}
