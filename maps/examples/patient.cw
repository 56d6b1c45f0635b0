// The README's tour, runnable:
//   build/tools/crosswalk compile maps/examples/patient.cw -o patient.cwb -I maps
//   build/tools/crosswalk run patient.cwb --term build/terminology --in tests/golden/messages/adt-a01.hl7 --pretty
import hl7v2.datatypes                      // shared datatype maps and ConceptMap URLs (maps/hl7v2/datatypes.cw)

map ADT_A01 : hl7v2 "ADT^A01" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "transaction"
  entry[]: { resource: Patient(PID) }
}

def Patient(pid) {
  resourceType: "Patient"
  identifier[]: for cx in pid.3 where cx.1 => { value: cx.1, system: "urn:id:${cx.4}" if cx.4 }
  name[]: for xpn in pid.5 => { family: xpn.1, given[]: xpn.2, given[]: xpn.3 }
  birthDate: date(pid.7)                                    // HL7 TS → FHIR date, precision kept
  gender: translate(pid.8, CM_0001_ADMINISTRATIVE_GENDER) ?? "unknown"
}
