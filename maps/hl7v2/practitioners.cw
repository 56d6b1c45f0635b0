// hl7v2.practitioners: details of XCN -> Practitioner shared by hl7v2.parties (which builds the Practitioner
// and PractitionerRole resources and their entries). Imports only hl7v2.datatypes, so hl7v2.parties can use it.
//
// Decisions and their reasons: docs/fidelity.md, "Practitioners and roles (wave 4)".

import hl7v2.datatypes

// An assigning authority (XCN.9, an HD) -> Practitioner.identifier.system.
//   - a universal id that is a URI (an ISO OID, a UUID, a URL) as HdUri writes it;
//   - a universal id typed ISO/CLIA/CLIP: urn:oid:<HD.2>, typed UUID/GUID: urn:uuid:<HD.2> (the IG's HD[uri], both
//     converters), when it holds no whitespace (a uri never does);
//   - another universal id type: urn:id:<HD.3>, as FHIR-Converter writes it (ReportStream writes no system there,
//     only the assigner, which is written too: hl7v2.parties AssignerRef);
//   - a namespace id without a type: urn:id:<HD.1> (the IG's HD[uri] takes HD.1 as the system; its sample
//     bundle and FHIR-Converter write a local URI of it).
// Absent when the HD names nothing.
def IsUriType(ty) = ty == "ISO" or ty == "CLIA" or ty == "CLIP" or ty == "UUID" or ty == "GUID"
def XcnSystem(hd) {
  let uid = trim(hd.2)
  let ty = upper(trim(hd.3))
  let plain = uid and not contains(uid, " ") and not contains(uid, "\t") and not contains(uid, "\u00a0")
  return if HdUri(hd) then HdUri(hd)
         else if plain and (ty == "ISO" or ty == "CLIA" or ty == "CLIP") then "urn:oid:${uid}"
         else if plain and (ty == "UUID" or ty == "GUID") then "urn:uuid:${uid}"
         else if ty and not IsUriType(ty) then "urn:id:${UriText(hd.3)}"
         else if trim(hd.1) then "urn:id:${UriText(hd.1)}"
         else null
}
