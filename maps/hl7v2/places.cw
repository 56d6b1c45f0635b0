// hl7v2.places: places (PL -> Location hierarchy) and content-keyed Bundle entries, shared by the message maps.
//
// Follows the HL7 V2-to-FHIR IG datatype map PL[Location]: one Location per valued component of a PL, chained
// by partOf from the most specific (bed) to the least (facility); the resource that refers to a PL refers to
// its most specific Location. Deliberate choices where the IG is silent or the converters differ are in
// docs/fidelity.md ("Places").

import hl7v2.datatypes
import hl7v2.parties
import hl7v2.practitioners

const LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"

// ---- content-keyed entries -------------------------------------------------------------------------------
// A resource that the same message may name several times (the facility of PV1-3 and of PV1-6, a room
// shared by two visits) gets an id from its content: uuid5 of its kind and its JSON. Two equal resources
// make two byte-identical entries, which distinct() collapses into one; every reference to either is the
// same fullUrl. (PartyEntry and PartyUrl of hl7v2.parties: one resource gets one fullUrl whichever map builds it.)

// ---- PL -> Location hierarchy ----------------------------------------------------------------------------

// HD -> Identifier[] (IG HD[Identifier]): HD.1 as identifier[1].value, HD.2 as identifier[2].value typed by
// HD.3 (table 0301); authority (PL.11 for a location) is the assigner of both, as its HD[Organization] (IG
// PL.11; the entry: LocationEntriesWith).
def HdIdentifiers(hd, authority) = [
  { value: trim(hd.1), assigner: HdOrgRef(authority) } if trim(hd.1),
  { type: { coding[]: { system: V2System("0301"), code: fhir_code(hd.3) } } if trim(hd.3),
    value: trim(hd.2), assigner: HdOrgRef(authority) } if trim(hd.2)
]
// The same for a place, whose HD.2 of a local type is in that type's namespace (HdLocalIdSystem).
def LevelIdentifiers(hd, authority) = [
  { value: trim(hd.1), assigner: HdOrgRef(authority) } if trim(hd.1),
  { type: { coding[]: { system: V2System("0301"), code: fhir_code(hd.3) } } if trim(hd.3),
    system: HdLocalIdSystem(hd), value: trim(hd.2), assigner: HdOrgRef(authority) } if trim(hd.2)
]

// PL.10 comprehensive location identifier (IG: EI[Identifier-Organization], EI[Identifier-DefaultAssigner] when
// PL.11 is valued: the PL.11 Organization is its assigner).
def LocationIdentifier(pl) = if HasHd(pl.11) then { ...EntityIdentifier(pl.10), assigner: HdOrgRef(pl.11) } else EntityIdentifier(pl.10)

// An HD that names something: a namespace id or a universal id (a bare HD.3 names nothing).
def HasHd(hd) = trim(hd.1) or trim(hd.2)

// PL.5 location status (user-defined table 0306) -> Location.status when it says one of FHIR's codes.
def LocationStatusCode(is) = match lower(trim(is)) { "active" => "active" "suspended" => "suspended" "inactive" => "inactive" _ => null }

// The whole PL as text, FHIR-Converter's Location.description: its valued components and subcomponents, in
// order, joined by "--" ("4E^136^B^CommunityHospital^^N" -> "4E--136--B--CommunityHospital--N").
def PlPartsText(c) = join([trim(c.1), trim(c.2), trim(c.3), trim(c.4)], "--")
def PlText(pl) = join([PlPartsText(pl.1), PlPartsText(pl.2), PlPartsText(pl.3), PlPartsText(pl.4), trim(pl.5), trim(pl.6),
                       PlPartsText(pl.7), PlPartsText(pl.8), trim(pl.9), PlPartsText(pl.10), PlPartsText(pl.11)], "--")

// HdLocationUri / HdUriIdentifier (an HD's universal id as FHIR-Converter identifies a place): hl7v2.practitioners.

// The system of an HD.2 of another type (HCD, L, DNS, a local code): the namespace of that kind of id,
// urn:id:<HD.3>, as FHIR-Converter writes it (its example.com/.../Identifier/<HD.3>: fidelity compares both as
// the same local name). The IG types the id by HD.3 (table 0301) and gives no system.
def HdLocalIdSystem(hd) = if trim(hd.2) and trim(hd.3) and not IsUriType(upper(trim(hd.3))) then "urn:id:${UriText(hd.3)}" else null

// One level of a PL's hierarchy. The most specific level also carries what the PL says about the place as a
// whole: PL.9 description, PL.10 comprehensive location identifier (EI[Identifier-Organization]), PL.5
// status, and the bed status a PV1-40 gives (operationalStatus, table 0116). A level without PL.9 (every
// level above the most specific, and that one when PL.9 is empty) is described by the whole PL's text, as
// FHIR-Converter does: so each PL's levels are its own Location resources (content-keyed entries), as in
// both converters (the facility of PV1-3 and of PV1-6 are two Locations).
// A level is identified by its HD only when the HD has a universal id (HD.2): then HD.1 and HD.2 are its
// identifiers the IG way, and the URI form FHIR-Converter writes beside them. A level named by a namespace
// id alone ("ICU", "Bed 3") is that name (Location.name) and has no identifier, as FHIR-Converter writes it
// (docs/fidelity.md, "Locations (wave 5)").
def LocationLevel(hd, code, parent, pl, mostSpecific, about) {
  resourceType: "Location"
  identifier[]: LevelIdentifiers(hd, pl.11) if trim(hd.2)
  identifier[]: HdUriIdentifier(hd)
  identifier[]: LocationIdentifier(pl) if mostSpecific and trim(pl.10.1)
  status: LocationStatusCode(pl.5) if mostSpecific
  operationalStatus: { system: V2System("0116"), code: fhir_code(about.bedStatus) } if mostSpecific and trim(about.bedStatus)
  name: trim(hd.1) ?? trim(hd.2)
  alias[]: about.alias
  description: if mostSpecific and trim(pl.9) then trim(pl.9) else PlText(pl)
  mode: "instance"
  type[]: about.type
  address: about.address
  physicalType: { coding[]: { system: LOCATION_PHYSICAL_TYPE, code: code } }
  managingOrganization: about.managingOrganization if mostSpecific
  partOf: { reference: parent.fullUrl } if parent
}
def LocationLevelEntry(valued, hd, code, parent, pl, mostSpecific, about) =
  if valued then PartyEntry(LocationLevel(hd, code, parent, pl, mostSpecific, about)) else null

// PL -> the entries of its Locations, least specific first: facility (PL.4, si) <- building (PL.7, bu) <-
// floor (PL.8, lvl) <- point of care (PL.1, lvl) <- room (PL.2, ro) <- bed (PL.3, bd); each is partOf the
// nearest valued level above it, so a missing component leaves no gap in the chain (as ReportStream does;
// the IG sheet of 2020 put the floor under the point of care, FHIR-Converter and ReportStream the point of care
// under the floor). A PL with no place component but a description or identifier is one Location. The last
// entry is the most specific (LocationRef).
// `about` is what the segment says about the place beside its PL, written on every level (each level is
// the same place seen at another scale, as FHIR-Converter writes them): bedStatus (PV1-40 for PV1-3, on the
// most specific level only), type (a CodeableConcept: AIL-4), alias (texts: the AIL's NTE-3), address (an
// Address: RXA-28), managingOrganization (a Reference to the Organization that runs the place, on the most
// specific level: FHIR-Converter writes PRT-8's for PRT-9). Every call for one PL field must pass the same
// `about`: it is part of the entries' content.
def LocationEntriesAbout(pl, about) {
  let l = PlLevels(pl, about)
  // The PL.11 assigning authority's Organization first: the last entry stays the most specific Location.
  return [HdOrgEntry(pl.11) if l.most != 0 or l.lone, l.si, l.bu, l.lvl, l.poc, l.ro, l.bd, l.lone]
}
// The entries of a PL's levels by name (si, bu, lvl, poc, ro, bd; lone for a PL without place components) and
// `most`, the component number of the most specific valued level (0: none).
// A PL with nothing in it (most of PV1's six location fields) names no place: none of its levels is looked at.
def PlLevels(pl, about) = if pl or about.address then ValuedPlLevels(pl, about) else {
  most: 0, si: null, bu: null, lvl: null, poc: null, ro: null, bd: null, lone: null
}
def ValuedPlLevels(pl, about) {
  // Which levels are valued, each HD looked at once.
  let v4 = HasHd(pl.4)
  let v7 = HasHd(pl.7)
  let v8 = HasHd(pl.8)
  let v1 = HasHd(pl.1)
  let v2 = HasHd(pl.2)
  let v3 = HasHd(pl.3)
  let most = if v3 then 3 else if v2 then 2 else if v1 then 1 else if v8 then 8 else if v7 then 7 else if v4 then 4 else 0
  let si = LocationLevelEntry(v4, pl.4, "si", null, pl, most == 4, about)
  let bu = LocationLevelEntry(v7, pl.7, "bu", si, pl, most == 7, about)
  let lvl = LocationLevelEntry(v8, pl.8, "lvl", bu ?? si, pl, most == 8, about)
  let poc = LocationLevelEntry(v1, pl.1, "lvl", lvl ?? bu ?? si, pl, most == 1, about)
  let ro = LocationLevelEntry(v2, pl.2, "ro", poc ?? lvl ?? bu ?? si, pl, most == 2, about)
  let bd = LocationLevelEntry(v3, pl.3, "bd", ro ?? poc ?? lvl ?? bu ?? si, pl, most == 3, about)
  let lone = if most == 0 and (trim(pl.9) or trim(pl.10.1) or about.address) then PartyEntry({
    resourceType: "Location"
    identifier[]: LocationIdentifier(pl) if trim(pl.10.1)
    status: LocationStatusCode(pl.5)
    alias[]: about.alias
    description: trim(pl.9)
    mode: "instance"
    type[]: about.type
    address: about.address
    managingOrganization: about.managingOrganization
  }) else null
  return { most: most, si: si, bu: bu, lvl: lvl, poc: poc, ro: ro, bd: bd, lone: lone }
}
def LocationEntriesWith(pl, bedStatus) = LocationEntriesAbout(pl, { bedStatus: bedStatus })
def LocationEntriesManagedBy(pl, organization) = LocationEntriesAbout(pl, { managingOrganization: organization })
def LocationEntries(pl) = LocationEntriesAbout(pl, null)

// The reference to a PL's most specific Location (absent when the PL names no place), with the place's levels
// from the least specific to the most as its display ("GHH, 6N, 1234, A"), as Google writes it.
def HdName(hd) = trim(hd.1) ?? trim(hd.2)
def PlDisplay(pl) = join([HdName(pl.4), HdName(pl.7), HdName(pl.8), HdName(pl.1), HdName(pl.2), HdName(pl.3)], ", ")
def LocationRefAbout(pl, about) {
  let url = last(LocationEntriesAbout(pl, about)).fullUrl
  return if url then { reference: url, display: PlDisplay(pl) } else {}
}
def LocationRefWith(pl, bedStatus) = LocationRefAbout(pl, { bedStatus: bedStatus })
// A PL whose place an Organization runs (`organization`: a Reference, e.g. PRT-9 run by PRT-8's Organization).
def LocationRefManagedBy(pl, organization) = LocationRefAbout(pl, { managingOrganization: organization })
def LocationRef(pl) = LocationRefAbout(pl, null)

// Every valued level of a PL as a place the resource was at, the most specific first: { ref (a Reference with
// the levels' names down to that level as display), physicalType (the level's location-physical-type code) }.
// R4's Encounter.location lists the levels of the hierarchy a visit is at, each with its physicalType (its
// comment: "there may be many levels in the hierarchy"); FHIR-Converter's visit names the point of care (the
// first valued of PL.1/.2/.3/.4/.7/.8), the IG and ReportStream the most specific level.
def LevelAt(entry, code, names) = if entry then { ref: { reference: entry.fullUrl, display: join(names, ", ") }, physicalType: code } else null
def LocationLevelsAbout(pl, about) = if pl or about.address then LevelsOf(pl, PlLevels(pl, about)) else []
def LevelsOf(pl, l) {
  // Each name read once; a level's names list is built only when the level is there.
  let si = HdName(pl.4)
  let bu = HdName(pl.7)
  let lvl = HdName(pl.8)
  let poc = HdName(pl.1)
  let ro = HdName(pl.2)
  return [
    LevelAt(l.lone, null, []) if l.lone,
    LevelAt(l.bd, "bd", [si, bu, lvl, poc, ro, HdName(pl.3)]) if l.bd,
    LevelAt(l.ro, "ro", [si, bu, lvl, poc, ro]) if l.ro,
    LevelAt(l.poc, "lvl", [si, bu, lvl, poc]) if l.poc,
    LevelAt(l.lvl, "lvl", [si, bu, lvl]) if l.lvl,
    LevelAt(l.bu, "bu", [si, bu]) if l.bu,
    LevelAt(l.si, "si", [si]) if l.si
  ]
}

// HD -> Location (IG HD[Location]; EVN-7 event facility): named by HD.1, identified by a typed HD.2 (IG: an
// ISO or UUID id; FHIR-Converter: an id of any type, one of a local type in that type's namespace) and by its
// URI form (urn:oid:/urn:uuid: in system urn:ietf:rfc:3986, as FHIR-Converter identifies it), a site (with the
// display of location-physical-type's code; FHIR-Converter writes one too).
def HdLocation(hd) {
  resourceType: "Location"
  identifier[]: { system: HdLocalIdSystem(hd), value: trim(hd.2) } if trim(hd.2) and trim(hd.3)
  identifier[]: HdUriIdentifier(hd) if trim(hd.3)
  name: trim(hd.1) ?? trim(hd.2)
  physicalType: { coding[]: { system: LOCATION_PHYSICAL_TYPE, code: "si", display: lookup("si", LOCATION_PHYSICAL_TYPE) } }
}
def HdLocationEntry(hd) = if HasHd(hd) then PartyEntry(HdLocation(hd)) else null

// HD -> Device (IG HD[Device]; MSH-3 sending application, the source of the message): identified by its HD.
def HdDevice(hd) = if HasHd(hd) then {
  resourceType: "Device"
  identifier[]: HdIdentifiers(hd, null)
} else null
def HdDeviceEntry(hd) = PartyEntry(HdDevice(hd))

// PV1-37 discharged to location (DLD) -> Location (IG DLD[Location-Discharge]): DLD.1 is the kind of place
// (Location.type, CWE[CodeableConcept], as the IG and ReportStream write it). FHIR-Converter also identifies
// the place by DLD.1's codes (each in a local system named by its coding system, urn:id:NAME) and names it by
// DLD.1's texts joined by "--"; a site.
def DldIdentifier(code, system) = if trim(code) then { system: "urn:id:${UriText(system)}" if trim(system), value: trim(code) } else null
def DischargeLocation(dld) = if dld.1.1 or dld.1.2 then {
  resourceType: "Location"
  identifier[]: DldIdentifier(dld.1.1, dld.1.3)
  identifier[]: DldIdentifier(dld.1.4, dld.1.6)
  identifier[]: DldIdentifier(dld.1.10, dld.1.12)
  name: join([trim(dld.1.2), trim(dld.1.5), trim(dld.1.11)], "--")
  type[]: CodeableConcept(dld.1)
  physicalType: { coding[]: { system: LOCATION_PHYSICAL_TYPE, code: "si" } }
} else null
def DischargeLocationEntry(dld) = PartyEntry(DischargeLocation(dld))

// AIL (a LOCATION_RESOURCE group of SIU) -> AIL-3's Locations (IG AIL[Appointment] participant.actor PL[Location]),
// each typed by AIL-4 (location type, table 0305, as a CodeableConcept) and with the group's notes (NTE-3) as
// aliases, as FHIR-Converter writes them (the IG leaves AIL-4 unmapped).
def AilAbout(l) = { type: CodeableConcept(l.AIL-4) if l.AIL-4, alias: for n in l.NTE where trim(n.3) => trim(n.3) }
def AilLocationEntries(l) = LocationEntriesAbout(l.AIL-3, AilAbout(l))
def AilLocationRef(l) = LocationRefAbout(l.AIL-3, AilAbout(l))

// RXA-27 administered-at (PL) -> the Immunization's Locations with RXA-28 administered-at address as their
// address (IG RXA[Immunization] location(Location), location(Location.address) XAD[Address]); every level has
// it, as FHIR-Converter writes it. An RXA-28 without an RXA-27 is one Location with that address.
def RxaAbout(rxa) = { address: Address(rxa.28) if rxa.28 }
def RxaLocationEntries(rxa) = LocationEntriesAbout(rxa.27, RxaAbout(rxa))
def RxaLocationRef(rxa) = LocationRefAbout(rxa.27, RxaAbout(rxa))
