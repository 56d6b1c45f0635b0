// hl7v2.practitioners: details of XCN -> Practitioner shared by hl7v2.parties (which builds the Practitioner
// and PractitionerRole resources and their entries). Imports only hl7v2.datatypes, so hl7v2.parties can use it.
//
// Decisions and their reasons: docs/fidelity.md, "Practitioners and roles (wave 4)".

import hl7v2.datatypes

// ---- NDL -> the Locations of a PractitionerRole ----------------------------------------------------------

const NDL_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"

// NDL.8 location status (user-defined table 0306) -> Location.status when it is one of FHIR's codes.
def NdlStatus(is) = match lower(trim(is)) { "active" => "active" "suspended" => "suspended" "inactive" => "inactive" _ => null }

// An HD's universal id as FHIR-Converter identifies a place (its PL_HDLocation and HDLocation templates): typed
// ISO, CLIA or CLIP it is urn:oid:<HD.2>, typed UUID or GUID urn:uuid:<HD.2>, whether or not the id is a well-formed
// OID (the sender typed it so; "9.8" typed ISO is urn:oid:9.8), in system urn:ietf:rfc:3986; an untyped OID or
// UUID likewise (IG HD[uri]). Absent for an id with whitespace (no URI) and for an id already a URI (a DNS or URI
// id is its own value). Written beside the IG's HD.2 identifier, whose value is the id as written. (Used by
// hl7v2.places for every level of a PL.)
def HdLocationUri(hd) = if IsUriType(upper(trim(hd.3))) then AuthorityUri(null, hd.2, hd.3) else if not trim(hd.3) then HdUri(hd) else null
def HdUriIdentifier(hd) = if HdLocationUri(hd) and HdLocationUri(hd) != trim(hd.2) then { system: "urn:ietf:rfc:3986", value: HdLocationUri(hd) } else null

// The whole NDL as text, FHIR-Converter's description of each of its Locations: the valued components and
// subcomponents in order, joined by "--" (as hl7v2.places PlText for a PL). Since it names the person (NDL.1),
// each NDL's places are its own Location resources, as both converters write them (one set per NDL).
def NdlPartsText(c) = join([trim(c.1), trim(c.2), trim(c.3), trim(c.4), trim(c.5), trim(c.6), trim(c.7), trim(c.8),
                            trim(c.9), trim(c.10), trim(c.11)], "--")
def NdlText(ndl) = join([NdlPartsText(ndl.1), trim(ndl.2), trim(ndl.3), trim(ndl.4), trim(ndl.5), trim(ndl.6), NdlPartsText(ndl.7),
                         trim(ndl.8), trim(ndl.9), trim(ndl.10), trim(ndl.11)], "--")

// One place of an NDL (IG NDL[PractitionerRole] location[1..6], its levels read as PL[Location] reads a PL's):
// identified by its HD the IG way (HD[Identifier]: HD.1, then HD.2 typed by HD.3 in table 0301; an IS
// component is an HD.1), as ReportStream writes it, and by the HD's URI form (FHIR-Converter); named by it, described
// by the whole NDL (FHIR-Converter), an instance of the physical type `code`, with the NDL.8 status (ReportStream
// writes it on every level), partOf the entry `parent` (the nearest valued level above it). Absent when the
// component names nothing.
def NdlLocation(hd, code, status, parent, text) = if trim(hd.1) or trim(hd.2) then {
  resourceType: "Location"
  identifier[]: { value: trim(hd.1) } if trim(hd.1)
  identifier[]: {
    type: { coding[]: { system: V2System("0301"), code: fhir_code(hd.3) } } if trim(hd.3)
    value: trim(hd.2)
  } if trim(hd.2)
  identifier[]: HdUriIdentifier(hd) if trim(hd.3)
  status: NdlStatus(status)
  name: trim(hd.1) ?? trim(hd.2)
  description: text
  mode: "instance"
  physicalType: { coding[]: { system: NDL_PHYSICAL_TYPE, code: code } }
  partOf: { reference: parent.fullUrl } if parent
} else null

// An Address / ContactPoint (hl7v2.datatypes Address, ContactPoint) of an Organization: never of use "home"
// (R4 org-2, org-3; a v2 XAD.7 "H" or XTN.2 "PRN" on an ordering facility's address or phone says no more than
// that it is theirs). The elements are copied one by one because a spread cannot drop `use`.
def OrgAddress(a) = if a then {
  extension[]: for e in a.extension => e
  use: a.use if a.use != "home"
  type: a.type
  text: a.text
  line[]: for l in a.line => l
  city: a.city
  district: a.district
  state: a.state
  postalCode: a.postalCode
  country: a.country
  period: a.period
} else null
def OrgContactPoint(t) = if t then {
  extension[]: for e in t.extension => e
  system: t.system
  value: t.value
  use: t.use if t.use != "home"
  rank: t.rank
  period: t.period
} else null
