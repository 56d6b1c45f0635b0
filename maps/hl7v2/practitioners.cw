// hl7v2.practitioners: details of XCN -> Practitioner shared by hl7v2.parties (which builds the Practitioner
// and PractitionerRole resources and their entries). Imports only hl7v2.datatypes, so hl7v2.parties can use it.
//
// Decisions and their reasons: docs/fidelity.md, "Practitioners and roles (wave 4)".

import hl7v2.datatypes

// An assigning authority (XCN.9, an HD) -> Practitioner.identifier.system.
//   - a namespace id alone names the system: urn:id:<HD.1> (the IG's HD[uri] takes HD.1 as the system; the IG's
//     sample bundle and FHIR-Converter write a local URI of it too);
//   - a universal id that is a URI (an ISO OID, a UUID, a URL) as HdUri writes it;
//   - a universal id typed ISO/CLIA/CLIP: urn:oid:<HD.2>, typed UUID/GUID: urn:uuid:<HD.2> (the IG's HD[uri], both
//     converters), when it holds no whitespace (a uri never does);
//   - another typed universal id: urn:id:<HD.3>, as FHIR-Converter writes it (ReportStream writes no system
//     there, only the assigner, which is written too: hl7v2.parties AssignerRef).
// Absent when the HD names nothing.
def XcnSystem(hd) {
  let ns = trim(hd.1)
  let uid = trim(hd.2)
  let ty = upper(trim(hd.3))
  let plain = uid and not contains(uid, " ") and not contains(uid, "\t") and not contains(uid, "\u00a0")
  return if ns and not uid then "urn:id:${UriText(ns)}"
         else if HdUri(hd) then HdUri(hd)
         else if plain and (ty == "ISO" or ty == "CLIA" or ty == "CLIP") then "urn:oid:${uid}"
         else if plain and (ty == "UUID" or ty == "GUID") then "urn:uuid:${uid}"
         else if uid and ty then "urn:id:${UriText(hd.3)}"
         else null
}
