// hl7v2.practitioners: details of XCN -> Practitioner shared by hl7v2.parties (which builds the Practitioner
// and PractitionerRole resources and their entries). Imports only hl7v2.datatypes, so hl7v2.parties can use it.
//
// Decisions and their reasons: docs/fidelity.md, "Practitioners and roles (wave 4)".

import hl7v2.datatypes

// ---- NDL -> the Locations of a PractitionerRole ----------------------------------------------------------

const NDL_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"

// NDL.8 location status (user-defined table 0306) -> Location.status when it is one of FHIR's codes.
def NdlStatus(is) = match lower(trim(is)) { "active" => "active" "suspended" => "suspended" "inactive" => "inactive" _ => null }

// One place of an NDL (IG NDL[PractitionerRole] location[1..6]): identified by its HD (HD[Identifier]: HD.1, then
// HD.2 typed by HD.3 in table 0301; an IS component is an HD.1), an instance of the physical type `code`, with
// the NDL.8 status (ReportStream writes it on every level). Absent when the component names nothing.
def NdlLocation(hd, code, status) = if trim(hd.1) or trim(hd.2) then {
  resourceType: "Location"
  identifier[]: { value: trim(hd.1) } if trim(hd.1)
  identifier[]: {
    type: { coding[]: { system: V2System("0301"), code: trim(hd.3) } } if trim(hd.3)
    value: trim(hd.2)
  } if trim(hd.2)
  status: NdlStatus(status)
  mode: "instance"
  physicalType: { coding[]: { system: NDL_PHYSICAL_TYPE, code: code } }
} else null

// NDL.4 point of care (wa, as hl7v2.places codes a PL's point of care), NDL.5 room, NDL.6 bed, NDL.7 facility,
// NDL.10 building, NDL.11 floor -> the Locations the role is at, least specific first. Not chained by partOf
// (the role refers to every level, as ReportStream writes it).
def NdlLocations(ndl) = [
  NdlLocation(ndl.7, "si", ndl.8), NdlLocation(ndl.10, "bu", ndl.8), NdlLocation(ndl.11, "lvl", ndl.8),
  NdlLocation(ndl.4, "wa", ndl.8), NdlLocation(ndl.5, "ro", ndl.8), NdlLocation(ndl.6, "bd", ndl.8)
]

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
