// hl7v2.parties: the people and organisations of a message (XCN, HD, XON) as FHIR resources, written once.
//
// IG maps: XCN[Practitioner], XCN[PractitionerRole], HD[Organization], XON[Organization], CX.4 / XCN.9 /
// XON.6 assigning authorities as identifier.assigner(Organization).
//
// Written once, found without a lookup: a party's fullUrl is a UUID v5 of its kind and of a key that
// determines its content, so the same person or organisation named in several fields of a message (PV1-7
// and PV1-17, two CX.4 of one authority) and in every later message gets one fullUrl, which a reference
// computes from the same key.
//   - The parties made from one v2 value (HD, XON, XCN, CNN, and an XCN in a role) are keyed by that value:
//     the components their builder reads (SourceId). A reference then costs a hash of a few fields instead
//     of building and hashing the resource, which made a quarter of an ADT message's work (docs/
//     performance.md). The key functions list exactly the components the builder reads; a test changes each
//     component in turn and checks that a different resource never shares an id (tests/unit/maps/
//     practitioners_test.cc). Equal resources from two spellings of one value (trailing blanks) may get two
//     ids: written twice, never wrong.
//   - Parties that add other fields to those (the ordering provider with ORC-24, an organisation with its
//     address or contact person, a ROL or NDL role, the ordering role) are keyed by their whole content
//     (PartyId); with nothing added they are the plain party and take its key. (The receiving facility,
//     whose additions are single values, extends the HD's key: hl7v2.organizations.)
// The message maps append a party's entries next to the resource that refers to it (duplicates and all)
// and pass their Bundle through Unique() once, which keeps the first of identical entries.
//
// API (used by every message map, and by the MSH/IN1 code of hl7v2.segments):
//   HdOrganization(hd)  / HdOrgRef(hd)  / HdOrgEntry(hd)        HD -> Organization (null for an empty HD)
//   XonOrganization(xon) / XonOrgRef(xon) / XonOrgEntries(xon)  XON -> Organization (+ its assigner)
//   PractitionerRef(xcn) / PractitionerEntries(xcn)             XCN -> Practitioner (+ its assigner)
//   RoleRef(xcn, role) / RoleEntries(xcn, role)                 XCN -> PractitionerRole (v2-0443 code)
//   RoleRefDisplay(xcn)                                         the same without a code, with a display
//   AssignedIdentifier(cx) / AssignedIdentifiers(cxs)           CX -> Identifier, assigner an Organization ref
//   IdentifierEntries(cxs)                                      the assigner entries of AssignedIdentifiers(cxs)
//   Unique(bundle)                                              the Bundle with repeated entries written once

import hl7v2.datatypes
import hl7v2.practitioners

// The UUID v5 namespace of the shipped maps (hl7v2.segments IdOf uses the same one).
const PARTY_NS = "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
const CS_V2_0443 = "http://terminology.hl7.org/CodeSystem/v2-0443"
const CS_V2_0912 = "http://terminology.hl7.org/CodeSystem/v2-0912"   // participation (PRT-4)

// ---- keyed entries ---------------------------------------------------------------------------------------

// The id of a party resource: its kind and its content (not the message: the same content is the same
// party in every message, so a FHIR server that receives it twice updates one resource).
def PartyId(resource) = uuid5(PARTY_NS, join(['crosswalk-hl7v2-to-fhir/party', resource.resourceType, content_hash(resource)], '/'))
def PartyUrl(resource) = "urn:uuid:${PartyId(resource)}"

// A reference to / an entry for a party resource; both absent for an absent resource. The entry is an
// update (PUT Kind/id), so a delivery repeated after a crash changes nothing on the server.
def PartyRef(resource) = if resource then { reference: PartyUrl(resource) } else null
def PartyEntry(resource) = if resource then PutEntry(resource.resourceType, PartyId(resource), resource) else null

// The id of a party made from one v2 value: its kind and the content hash of `key`, an object of the
// components its builder reads (empty members leave no trace in the hash). A distinct prefix: never equal to
// a content id.
def SourceId(kind, key) = uuid5(PARTY_NS, join(['crosswalk-hl7v2-to-fhir/party-source', kind, content_hash(key)], '/'))
def SourceRef(kind, key) = { reference: "urn:uuid:${SourceId(kind, key)}" }
def SourceEntry(kind, key, resource) = if resource then PutEntry(kind, SourceId(kind, key), resource) else null

// A transaction entry that creates or updates resource `id` of `kind`: idempotent, so the at-least-once
// delivery of `crosswalk serve --fhir-base` never makes duplicates.
def PutEntry(kind, id, resource) {
  fullUrl: "urn:uuid:${id}"
  resource: { ...resource, id: id }
  request: { method: "PUT", url: "${kind}/${id}" }
}

// The Bundle with every entry written once (the first of identical entries is kept; content-keyed party
// entries that are identical have identical fullUrls, and no other two entries are identical).
def Unique(bundle) {
  ...bundle
  entry: OneEntryPerSearch(distinct(bundle.entry))
}

// Two conditional entries with the same search in one transaction would be one resource written twice (a FHIR
// server refuses such a Bundle: two orders of a message with the same number, two PIDs with one MRN): each of
// them falls back to the update of its message-keyed id, as entries without a business identifier do.
def OneEntryPerSearch(entries) {
  let searches = for x in (for e in entries => ConditionalOn(e)) where x => x
  return if count(searches) == count(distinct(searches)) then entries
         else for e in entries => if ConditionalOn(e) and count(for x in searches where x == ConditionalOn(e) => x) > 1
                                  then PutEntry(e.resource.resourceType, substring(e.fullUrl, 9), e.resource) else e
}
def ConditionalOn(e) = if e.request.ifNoneExist then "${e.request.url}?${e.request.ifNoneExist}"
                       else if contains(e.request.url, "?") then e.request.url else null

// ---- HD -> Organization ---------------------------------------------------------------------------------

// HD -> Organization (IG HD[Organization]): identifier[1] the namespace id, identifier[2] the universal id
// with its type (v2-0301) and, for ISO and UUID ids, system urn:ietf:rfc:3986 with the id as a URI
// (urn:oid:..., urn:uuid:...: a value in that system must be a URI). An empty HD gives no Organization.
def HdOrganization(hd) = if HasHdOrg(hd) then {
  resourceType: "Organization"
  identifier[]: HdOrgIdentifiers(hd)
} else null

// The identifiers of an HD (IG HD[Organization]): [namespace id, universal id with its type]. The IG gives
// neither a system unless the universal id is a URI; as FHIR-Converter does, a local name is its own
// namespace (urn:id:<HD.1>) and a universal id of a type that has no URI form is in the namespace of its
// type (urn:id:<HD.3>: an HCD designator, a DNS name, a CLIA number, a local id). An id typed ISO, UUID or
// URI that is not one ("Maven EDSS" typed ISO) gets no system: its type would say what it is not.
def HdOrgIdentifiers(hd) = [
  { system: "urn:id:${UriText(hd.1)}", value: trim(hd.1) } if trim(hd.1),
  {
    type: UniversalIdType(hd.3)
    system: if HdUri(hd) then "urn:ietf:rfc:3986" else if HasLocalIdType(hd.3) then "urn:id:${UriText(hd.3)}" else null
    value: HdUri(hd) ?? trim(hd.2)
  } if trim(hd.2)
]
def HasLocalIdType(type) = trim(type) and not contains(["ISO", "UUID", "GUID", "URI"], upper(trim(type)))

// The key of an HD Organization: its three components, all that HdOrganization reads.
def HasHdOrg(hd) = trim(hd.1) or trim(hd.2)
def HdOrgKey(hd) = { hdNamespace: hd.1, hdUniversalId: hd.2, hdUniversalIdType: hd.3 }
def HdOrgRef(hd) = if HasHdOrg(hd) then SourceRef("Organization", HdOrgKey(hd)) else null
def HdOrgEntry(hd) = if HasHdOrg(hd) then SourceEntry("Organization", HdOrgKey(hd), HdOrganization(hd)) else null

// An assigning authority as identifier.assigner (IG CX.4 / XCN.9 / XON.6 "if organization"): an HD that
// names an organisation (a namespace id). A universal id alone is the identifier's system (HD[uri]).
def IsAssigner(hd) = trim(hd.1)
def AssignerRef(hd) = if IsAssigner(hd) then HdOrgRef(hd) else null
def AssignerEntry(hd) = if IsAssigner(hd) then HdOrgEntry(hd) else null

// The assigner entries of AssignedIdentifier(cx) for a list of CX (PID-3, ...).
def IdentifierEntries(cxs) = for cx in cxs where cx.1 and IsAssigner(cx.4) => HdOrgEntry(cx.4)

// ---- identifier and name details shared by CX, XCN, XON --------------------------------------------------

// FN (XCN.2, XPN.1) -> the HumanName.family extensions (IG FN[HumanName]): own surname prefix, own surname,
// surname prefix and surname from the partner/spouse.
def FamilyParts(fn) = [
  { url: "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix", valueString: trim(fn.2) } if trim(fn.2),
  { url: "http://hl7.org/fhir/StructureDefinition/humanname-own-name", valueString: trim(fn.3) } if trim(fn.3),
  { url: "http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix", valueString: trim(fn.4) } if trim(fn.4),
  { url: "http://hl7.org/fhir/StructureDefinition/humanname-partner-name", valueString: trim(fn.5) } if trim(fn.5)
]

// ---- CX -> Identifier -----------------------------------------------------------------------------------

// CX -> Identifier with the assigning authority CX.4 as a reference to its Organization when it names one
// (IG CX[Identifier] CX.4 -> assigner(Organization), HD[Organization]); else as Identifier(cx) writes it. The
// caller adds IdentifierEntries(cxs) to the Bundle.
def AssignedIdentifier(cx) {
  ...Identifier(cx)
  assigner: AssignerRef(cx.4) ?? HdAssigner(cx.4)
}

// A CX list -> Identifier[] with assigner references, skipping repetitions without an id.
def AssignedIdentifiers(cxs) = for cx in cxs where trim(cx.1) => AssignedIdentifier(cx)

// ---- XON -> Organization --------------------------------------------------------------------------------

// XON -> Organization (IG XON[Organization]): name XON.1; identifier XON.10, else XON.3, with type XON.7
// (v2-0203), system XON.6 as a URI and XON.6 as the assigner (XON.7 without an id: an identifier with the type
// only).
def HasXonOrg(xon) = trim(xon.1) or trim(xon.10) or trim(xon.3)
def XonOrganization(xon) = if HasXonOrg(xon) then {
  resourceType: "Organization"
  name: trim(xon.1)
  identifier[]: {
    extension[]: CheckDigit(xon.4, xon.5)
    type: { coding[]: { system: CS_V2_0203, code: fhir_code(xon.7), display: lookup(trim(xon.7), CS_V2_0203) } } if trim(xon.7)
    system: HdUri(xon.6)
    value: trim(xon.10 ?? xon.3)
    assigner: AssignerRef(xon.6)
  } if trim(xon.10 ?? xon.3)
  // an identifier type without an id (XON.7 alone): the type only, as FHIR-Converter writes it (R4 allows an
  // Identifier without a value; nothing is made up)
  identifier[]: { type: { coding[]: { system: CS_V2_0203, code: fhir_code(xon.7), display: lookup(trim(xon.7), CS_V2_0203) } } }
                if trim(xon.7) and not trim(xon.10 ?? xon.3)
} else null

// The key of an XON Organization: the components XonOrganization and XonAssignerEntry read.
def XonOrgKey(xon) = {
  xon1: xon.1, xon3: xon.3, xon4: xon.4, xon5: xon.5, xon7: xon.7, xon10: xon.10
  xon6: HdOrgKey(xon.6)
}
def XonOrgRef(xon) = if HasXonOrg(xon) then SourceRef("Organization", XonOrgKey(xon)) else null
// The assigner entry of an XON Organization's identifier (XON.6), when it has one.
def XonAssignerEntry(xon) = if trim(xon.10 ?? xon.3) then AssignerEntry(xon.6) else null
def XonOrgEntries(xon) = if HasXonOrg(xon) then [SourceEntry("Organization", XonOrgKey(xon), XonOrganization(xon)), XonAssignerEntry(xon)] else null

// An Organization made from an XON and `details`, members that add to it (an address, a phone, a contact
// person; hl7v2.organizations): keyed by content when they add something, else the plain XON Organization.
def XonOrgWith(xon, details) = if HasXonOrg(xon) then { ...XonOrganization(xon), ...details } else null
def XonOrgWithRef(xon, details) = if not HasXonOrg(xon) then null else if details then PartyRef(XonOrgWith(xon, details)) else XonOrgRef(xon)
def XonOrgWithEntries(xon, details) =
  if not HasXonOrg(xon) then null else if details then [PartyEntry(XonOrgWith(xon, details)), XonAssignerEntry(xon)] else XonOrgEntries(xon)

// ---- XCN -> Practitioner, PractitionerRole --------------------------------------------------------------

// An XCN that names a person: an id or a name.
def HasPerson(xcn) = trim(xcn.1) or trim(xcn.2.1) or trim(xcn.3)

// XCN -> Practitioner (IG XCN[Practitioner]): identifier XCN.1 with XCN.9 as system (AuthoritySystem of
// hl7v2.datatypes) and assigner (a namespace), XCN.13 type; name: family XCN.2, given XCN.3 + XCN.4, prefix XCN.6, suffix XCN.5, XCN.7
// (degree) and XCN.21 (professional suffix), as both references write them; use XCN.10; period XCN.19 /
// XCN.20, else the validity range XCN.17.
def Practitioner(xcn) {
  resourceType: "Practitioner"
  identifier[]: {
    let typeCode = translate(fhir_code(xcn.13), CM_0203_V2_0203, "keep")
    extension[]: CheckDigit(xcn.11, xcn.12)
    type: { coding[]: { system: CS_V2_0203, code: typeCode, display: lookup(typeCode, CS_V2_0203) } } if trim(xcn.13)
    system: AuthoritySystem(xcn.9)
    value: trim(xcn.1)
    assigner: AssignerRef(xcn.9)
  } if trim(xcn.1)
  name[]: {
    extension[]: { url: "http://hl7.org/fhir/StructureDefinition/humanname-assembly-order", valueCode: fhir_code(xcn.18) } if fhir_code(xcn.18)
    family: trim(xcn.2.1)
    "_family": { extension[]: FamilyParts(xcn.2) }
    given[]: trim(xcn.3)
    given[]: trim(xcn.4)
    prefix[]: trim(xcn.6)
    suffix[]: trim(xcn.5)
    suffix[]: trim(xcn.7)
    suffix[]: trim(xcn.21)
    use: XcnNameUse(xcn.10)
    period: if xcn.19 or xcn.20 then { start: datetime(xcn.19), end: datetime(xcn.20) } else DateRange(xcn.17)
  } if trim(xcn.2.1) or trim(xcn.3)
}

// XCN.10 name type -> HumanName.use: table 0200 through the IG's ConceptMap; "B" (birth name), which the IG's map
// leaves without a target, is the person's official name as ReportStream writes it (FHIR-Converter writes no use).
def XcnNameUse(type) = translate(type, CM_0200_NAME_USE) ?? (if upper(trim(type)) == "B" then "official" else null)

// The key of an XCN Practitioner: the components Practitioner reads (and AssignerEntry: XCN.9).
def PractitionerKey(xcn) = {
  xcn1: xcn.1, xcn3: xcn.3, xcn4: xcn.4, xcn5: xcn.5, xcn6: xcn.6, xcn7: xcn.7, xcn10: xcn.10, xcn11: xcn.11
  xcn12: xcn.12, xcn13: xcn.13, xcn18: xcn.18, xcn19: xcn.19, xcn20: xcn.20, xcn21: xcn.21
  xcn2: { fn1: xcn.2.1, fn2: xcn.2.2, fn3: xcn.2.3, fn4: xcn.2.4, fn5: xcn.2.5 }
  xcn9: HdOrgKey(xcn.9)
  xcn17: { start: xcn.17.1, end: xcn.17.2 }
}
def PractitionerRef(xcn) = if HasPerson(xcn) then SourceRef("Practitioner", PractitionerKey(xcn)) else null
def PractitionerEntries(xcn) = if HasPerson(xcn) then [SourceEntry("Practitioner", PractitionerKey(xcn), Practitioner(xcn)),
                                                       AssignerEntry(xcn.9) if xcn.1] else null

// A reference to the Practitioner with its display ("Dr John Smith"), as the references write it.
def PractitionerRefDisplay(xcn) = if HasPerson(xcn) then { ...PractitionerRef(xcn), display: XcnDisplay(xcn) } else null

// XCN -> PractitionerRole (IG XCN[PractitionerRole]; FHIR-Converter for the role codes): the Practitioner in
// a role of HL7 table 0443 (provider role), e.g. "RO" responsible observer (OBX-16), "AT" attending.
def PractitionerRole(xcn, role) = if HasPerson(xcn) then {
  resourceType: "PractitionerRole"
  practitioner: PractitionerRef(xcn)
  code[]: { coding[]: { system: CS_V2_0443, code: role, display: lookup(role, CS_V2_0443) } } if role
} else null
// The key of a role: the person's key and the role code (the ordering provider's role, RequesterRole, extends it).
def RoleKey(xcn, role) = { rolePerson: PractitionerKey(xcn), roleCode: role }
def RoleRef(xcn, role) = if HasPerson(xcn) then SourceRef("PractitionerRole", RoleKey(xcn, role)) else null
// A reference to the XCN's PractitionerRole (without a role code) with its display: a document's author and
// authenticator (TXA-9/10), as FHIR-Converter writes them (the IG's TXA[DocumentReference] names the
// Practitioner; R4 allows either, and the role refers to that Practitioner).
def RoleRefDisplay(xcn) = if HasPerson(xcn) then { ...RoleRef(xcn, null), display: XcnDisplay(xcn) } else null
def RoleEntries(xcn, role) = if HasPerson(xcn) then [SourceEntry("PractitionerRole", RoleKey(xcn, role), PractitionerRole(xcn, role)),
                                                     PractitionerEntries(xcn)] else null

// CNN (the person of an NDL: OBR-32/33/34/35) -> Practitioner: id & family & given & second given & suffix &
// prefix & degree & source table & assigning authority (namespace & universal id & type).
def HasCnnPerson(cnn) = trim(cnn.1) or trim(cnn.2) or trim(cnn.3)
def CnnPractitioner(cnn) = if HasCnnPerson(cnn) then {
  resourceType: "Practitioner"
  identifier[]: { system: UniversalUri(cnn.10, cnn.11), value: trim(cnn.1) } if trim(cnn.1)
  name[]: {
    family: trim(cnn.2)
    given[]: trim(cnn.3)
    given[]: trim(cnn.4)
    prefix[]: trim(cnn.6)
    suffix[]: trim(cnn.5)
    suffix[]: trim(cnn.7)
  } if trim(cnn.2) or trim(cnn.3)
} else null

// NDL (OBR-32/33/34/35) -> PractitionerRole (IG NDL[PractitionerRole]): the CNN's Practitioner, the period
// NDL.2/NDL.3, and a v2-0443 role code when the field says one (OBR-34 technician "TN", OBR-35 transcriptionist
// "TR", as FHIR-Converter codes them), and the places NDL.4-11 as its locations, every level (ReportStream; FHIR-
// Converter refers to the first valued of the point of care, room, bed, facility, building, floor).
// The key of a CNN Practitioner: the subcomponents CnnPractitioner reads.
def CnnKey(cnn) = { cnn1: cnn.1, cnn2: cnn.2, cnn3: cnn.3, cnn4: cnn.4, cnn5: cnn.5, cnn6: cnn.6, cnn7: cnn.7, cnn10: cnn.10, cnn11: cnn.11 }
def CnnPractitionerRef(cnn) = if HasCnnPerson(cnn) then SourceRef("Practitioner", CnnKey(cnn)) else null
def CnnPractitionerEntry(cnn) = if HasCnnPerson(cnn) then SourceEntry("Practitioner", CnnKey(cnn), CnnPractitioner(cnn)) else null
// The entries of an NDL's Locations (hl7v2.practitioners NdlLocation), least specific first, chained by partOf as a
// PL's levels are (hl7v2.places): facility NDL.7 (si) <- building NDL.10 (bu) <- floor NDL.11 (lvl) <- point of care
// NDL.4 (lvl, as hl7v2.places types a PL's point of care) <- room NDL.5 (ro) <- bed NDL.6 (bd), each partOf the
// nearest valued level above it (FHIR-Converter's chain; ReportStream writes no partOf).
def NdlLocationEntries(ndl) {
  let text = NdlText(ndl)
  let si = PartyEntry(NdlLocation(ndl.7, "si", ndl.8, null, text))
  let bu = PartyEntry(NdlLocation(ndl.10, "bu", ndl.8, si, text))
  let lvl = PartyEntry(NdlLocation(ndl.11, "lvl", ndl.8, bu ?? si, text))
  let poc = PartyEntry(NdlLocation(ndl.4, "lvl", ndl.8, lvl ?? bu ?? si, text))
  let ro = PartyEntry(NdlLocation(ndl.5, "ro", ndl.8, poc ?? lvl ?? bu ?? si, text))
  let bd = PartyEntry(NdlLocation(ndl.6, "bd", ndl.8, ro ?? poc ?? lvl ?? bu ?? si, text))
  return [si, bu, lvl, poc, ro, bd]
}
def NdlRole(ndl, role) = if HasCnnPerson(ndl.1) then {
  resourceType: "PractitionerRole"
  practitioner: CnnPractitionerRef(ndl.1)
  code[]: { coding[]: { system: CS_V2_0443, code: role, display: lookup(role, CS_V2_0443) } } if role
  period: { start: datetime(ndl.2), end: datetime(ndl.3) }
  location[]: for e in distinct(NdlLocationEntries(ndl)) where e => { reference: e.fullUrl }
} else null
def NdlRoleRef(ndl, role) = PartyRef(NdlRole(ndl, role))
def NdlRoleEntries(ndl, role) = if HasCnnPerson(ndl.1) then [PartyEntry(NdlRole(ndl, role)), CnnPractitionerEntry(ndl.1),
                                                             NdlLocationEntries(ndl)] else null

// ROL -> PractitionerRole (IG ROL[Encounter-PractitionerRole]): ROL-1 identifier (only with a namespace or universal
// id, EI.2/EI.3: feeds fill a bare ROL-1 with the set id "1", which identifies nothing, and FHIR-Converter writes no
// identifier), ROL-3 the role, ROL-4 the person, ROL-9 provider type as specialty (as FHIR-Converter writes it),
// ROL-12 telecom, ROL-14 organization.
// (ROL-13, the person's location, is not written: Locations are hl7v2.segments'.)
def RolRole(rol) = if HasPerson(rol.4) then {
  resourceType: "PractitionerRole"
  identifier[]: EntityIdentifier(rol.1) if trim(rol.1.1) and (trim(rol.1.2) or trim(rol.1.3))
  practitioner: PractitionerRef(rol.4)
  organization: XonOrgRef(rol.14)
  code[]: CodeableConcept(rol.3) if rol.3
  specialty[]: for c in rol.9 where c.1 or c.2 => CodeableConcept(c)
  telecom[]: ContactPoints(rol.12)
} else null
def RolRoleRef(rol) = PartyRef(RolRole(rol))
def RolEntries(rol) = if HasPerson(rol.4) then [PartyEntry(RolRole(rol)), PractitionerEntries(rol.4), XonOrgEntries(rol.14)] else null

// ROL -> Encounter.participant (IG ROL[Encounter-PractitionerRole]): the role as the type, the period.
def RolParticipant(rol) {
  type[]: CodeableConcept(rol.3) if rol.3
  individual: RolRoleRef(rol)
  period: { start: datetime(rol.5), end: datetime(rol.6) }
}

// OBX-18 (equipment instance identifiers) -> Device (IG OBX[Observation]: device(Device.identifier)): one
// Device with an identifier per repetition that has an id or a universal id (Observation.device is 0..1),
// typed by EI.4 (EntityIdentifier).
def IsEquipmentId(ei) = trim(ei.1) or UniversalUri(ei.3, ei.4)
def HasEquipment(eis) = count(for ei in eis where IsEquipmentId(ei) => 1) > 0
def EquipmentDevice(eis) = if HasEquipment(eis) then {
  resourceType: "Device"
  identifier[]: for ei in eis where IsEquipmentId(ei) => EntityIdentifier(ei)
} else null

// ---- orders -----------------------------------------------------------------------------------------------

// The ordering provider (IG ORC[ServiceRequest] ORC-12 -> requester(PractitionerRole.practitioner), ORC-21 the
// ordering facility -> requester(PractitionerRole.organization); OBR-16 -> requester(Practitioner) when ORC-12
// is not valued). The role carries v2-0443 "OP" (ordering provider) when it names a person, as
// FHIR-Converter writes it; with ORC-21 and only OBR-16, OBR-16 is the role's practitioner; with ORC-21 alone,
// the role is the facility's. (Also MedicationRequest.requester: an ORDER group without OBR, where RXE-13, else
// RXO-14, the ordering provider of the encoded / placer order, stands in for an empty ORC-12 (IG RXO[MedicationRequest]
// RXO-14 -> requester; FHIR-Converter writes it as this "OP" role with ORC-21).)
def OrderingPerson(order) =
  if HasPerson(order.ORC-12) then order.ORC-12 else if HasPerson(order.OBR-16) then order.OBR-16
  else if HasPerson(order.RXE-13) then order.RXE-13 else if HasPerson(order.RXO-14) then order.RXO-14 else null
// The ordering person's Practitioner, with ORC-24 (ordering provider address) as its address when the person
// is ORC-12 (IG ORC[ServiceRequest] ORC-24 -> requester(PractitionerRole.practitioner(Practitioner.address)),
// as FHIR-Converter writes it too): keyed by content then, else the plain XCN Practitioner.
def OrderingAddresses(order) = if HasPerson(order.ORC-12) then Addresses(order.ORC-24) else null
def AddressedPractitioner(xcn, addresses) = { ...Practitioner(xcn), address[]: addresses }
def OrderingPractitionerRef(order) {
  let addresses = OrderingAddresses(order)
  return if addresses then PartyRef(AddressedPractitioner(order.ORC-12, addresses)) else PractitionerRef(OrderingPerson(order))
}
def OrderingPractitionerEntries(order) {
  let addresses = OrderingAddresses(order)
  return if addresses then [PartyEntry(AddressedPractitioner(order.ORC-12, addresses)), AssignerEntry(order.ORC-12.9) if trim(order.ORC-12.1)]
         else PractitionerEntries(OrderingPerson(order))
}
// The ordering facility ORC-21 with ORC-22 (address) and ORC-23 (phone) (IG ORC[ServiceRequest]
// requester(PractitionerRole.organization(Organization.address / .telecom)), never of use home: org-2/3);
// absent without an ORC-21 that names an organisation (an Organization needs a name or an identifier: org-1).
def RequesterOrgDetails(order) = {
  address[]: for a in Addresses(order.ORC-22) => OrgAddress(a)
  telecom[]: for t in ContactPoints(order.ORC-23) => OrgContactPoint(t)
}
def RequesterOrganization(order) = XonOrgWith(order.ORC-21, RequesterOrgDetails(order))
def RequesterRole(order) = {
  resourceType: "PractitionerRole"
  practitioner: OrderingPractitionerRef(order)
  organization: XonOrgWithRef(order.ORC-21, RequesterOrgDetails(order))
  code[]: { coding[]: { system: CS_V2_0443, code: "OP", display: lookup("OP", CS_V2_0443) } } if OrderingPerson(order)
}
def HasRequesterRole(order) = HasPerson(order.ORC-12) or HasPerson(order.RXE-13) or HasPerson(order.RXO-14) or HasXonOrg(order.ORC-21)
def RequesterRef(order) =
  if HasRequesterRole(order) then { ...PartyRef(RequesterRole(order)), display: XcnDisplay(OrderingPerson(order)) }
  else PractitionerRefDisplay(order.OBR-16)
// The entries of RequesterRef: the role, its organization (with its assigner), the Practitioner and its
// assigner.
def RequesterEntries(order) = [
  PartyEntry(RequesterRole(order)) if HasRequesterRole(order),
  XonOrgWithEntries(order.ORC-21, RequesterOrgDetails(order)) if HasRequesterRole(order),
  OrderingPractitionerEntries(order)
]

// ---- a Patient's parties --------------------------------------------------------------------------------

// The entries a Patient made from PID/PD1 refers to: the assigners of its identifiers (PID-2/3/4), its
// primary facility (PD1-3, XON) and primary care provider (PD1-4, XCN) as generalPractitioner.
def PatientParties(pid, pd1) = [
  IdentifierEntries(pid.2), IdentifierEntries(pid.3), IdentifierEntries(pid.4),
  for x in pd1.3 => XonOrgEntries(x),
  for x in pd1.4 => PractitionerEntries(x)
]
