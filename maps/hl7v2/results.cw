// hl7v2.results: elements of the results and orders maps (hl7v2.orders) that the IG's OBX/OBR/SPM/NTE maps
// and FHIR-Converter write beyond the core of each resource. Decisions: docs/fidelity.md, "Orders, results
// and the other clinical messages (wave 4)".

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties

const CS_V2_0085 = "http://terminology.hl7.org/CodeSystem/v2-0085"

// The OBX-11 result status as written (v2-0085), beside Observation.status: FHIR-Converter's Observation_Status
// extension (its 0085 -> observation-status map loses I, R, S, N ... to "unknown"). The display is the code
// system's own (THO v2-0085), not FHIR-Converter's shortened text.
def ObservationStatusExtension(code) {
  let c = upper(trim(code))
  let display = lookup(c, CS_V2_0085)
  url: "https://crosswalk.dev/fhir/StructureDefinition/Observation_Status"
  valueCodeableConcept: {
    coding[]: { system: CS_V2_0085, code: c, display: display }
    text: display
  }
}

// OBX-21 -> Observation.identifier (IG OBX[Observation]: EI[Identifier], typed FILL as FHIR-Converter types it:
// the instance id is assigned by the filler).
def ObservationInstanceIdentifier(ei) {
  type: { coding[]: { system: V2System("0203"), code: "FILL", display: lookup("FILL", CS_V2_0203) } }
  ...EntityIdentifier(ei)
}

// NTE -> Annotation (IG NTE[Annotation]): NTE-3 the text (repetitions joined by a line break), NTE-5 the author
// (v2.6+; a Practitioner), NTE-6 the time (v2.6+).
def Annotation(nte) {
  authorReference: PractitionerRef(nte.5)
  time: datetime(nte.6)
  text: join(for t in nte.3 => t, "\n")
}

// The ServiceRequest of an order group, which its results are basedOn (IG ORU_R01 / OML_O21: Observation.basedOn);
// the ServiceRequest is written only with a subject (a PID).
def OrderRef(key) = if PID then Ref("ServiceRequest", key) else null
