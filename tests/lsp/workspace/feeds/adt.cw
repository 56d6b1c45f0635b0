import lib.names

segment ZPI { 1: set_id, 2: vip_flag }

map ADT_A01 : hl7v2 "ADT^A01" -> fhir "Patient" {
  resourceType: "Patient"
  identifier[]: Mrn(PID-3)
  name[]: names.PersonName(PID-5)
  birthDate: date(PID-7)
  active: ZPI-2 == "Y"
  telecom[]: { system: "phone", value: trim(PID-13.1) }
}
