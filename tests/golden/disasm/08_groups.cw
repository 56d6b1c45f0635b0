// Segment groups of an ORU^R01. (JSON out: these fields are not FHIR, which the compiler checks)
map Oru : hl7v2 "ORU^R01" -> json {
  kind: "Bundle"
  type: "collection"
  for order in ORDER_OBSERVATION {
    entry[]: { code: order.OBR-4.1 }
    for obs in order.OBSERVATION {
      entry[]: { value: obs.OBX-5, unit: obs.OBX-6.1 }
    }
  }
}
