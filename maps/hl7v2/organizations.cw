// hl7v2.organizations: the organisations and devices of the message envelope (MSH, SFT), written once.
//
// IG maps: MSH[MessageHeader] (MSH-4 sender, MSH-6 / MSH-23 destination.receiver, MSH-22 responsible),
// SFT[Device], XON[Organization], HD[Organization]. The Organizations are party entries (hl7v2.parties):
// the same organisation named twice in a message is one entry.
//
// API (for hl7v2.segments MessageHeader / HeaderEntries):
//   SenderPartOf(msh)          MSH-22 as the sender Organization's partOf (FHIR-Converter)
//   ResponsibleRef(msh)        MessageHeader.responsible: MSH-22
//   HasReceiver(msh) / ReceiverRef(msh)  destination.receiver: MSH-23, else the MSH-6 facility
//   EnvelopeOrgEntries(msh)    the entries the three references above need
//   SoftwareDeviceEntries()    one Device per SFT segment (IG SFT[Device])

import hl7v2.datatypes
import hl7v2.parties
import hl7v2.practitioners

// ---- MSH: responsible and receiving organisations ---------------------------------------------------------

// MSH-22 sending responsible organization -> MessageHeader.responsible (IG MSH[MessageHeader], XON[Organization]).
def ResponsibleRef(msh) = XonOrgRef(msh.22)

// MSH-22 is also the organisation the sending facility belongs to: FHIR-Converter writes it as the sender's
// partOf (the IG is silent; R4 Organization.partOf is that relation).
def SenderPartOf(msh) = XonOrgRef(msh.22)

// MSH-6 receiving facility -> Organization (IG HD[Organization]), part of MSH-23, the receiving responsible
// organization (FHIR-Converter writes this partOf; the IG is silent), with the message's country MSH-17 as its
// address country, as FHIR-Converter writes it (MSH-17 is the country the message comes from; the IG puts it on
// the sender only, which hl7v2.segments does too).
def ReceivingFacility(msh) = if HasHdOrg(msh.6) then {
  ...HdOrganization(msh.6)
  address[]: { country: trim(msh.17) } if trim(msh.17)
  partOf: XonOrgRef(msh.23)
} else null
// Its key (hl7v2.parties SourceId): the HD Organization's, extended by what it reads besides (MSH-17, MSH-23's
// key), so that with neither it is the plain HD Organization.
def ReceivingFacilityKey(msh) = { ...HdOrgKey(msh.6), facilityCountry: msh.17, facilityPartOf: XonOrgKey(msh.23) }

// destination.receiver (IG MSH[MessageHeader]: MSH-23 the receiving responsible organization, else MSH-6
// the receiving facility when MSH-23 is not valued).
def HasReceiver(msh) = HasXonOrg(msh.23) or HasHdOrg(msh.6)
def ReceiverRef(msh) = XonOrgRef(msh.23) ?? (if HasHdOrg(msh.6) then SourceRef("Organization", ReceivingFacilityKey(msh)) else null)

// The entries SenderPartOf, ResponsibleRef and ReceiverRef refer to (with the XON.6 assigners).
def EnvelopeOrgEntries(msh) = [
  XonOrgEntries(msh.22),
  XonOrgEntries(msh.23),
  SourceEntry("Organization", ReceivingFacilityKey(msh), ReceivingFacility(msh))
]

// ---- SFT -> Device ----------------------------------------------------------------------------------------

// SFT -> Device (IG SFT[Device]): manufacturer the vendor's name SFT-1.1 (when XON.10 is not valued: the
// IG keeps an organisation with an id for R5's manufacturer reference), version SFT-2, deviceName SFT-3
// (manufacturer-name), modelNumber SFT-4 (binary id), note SFT-5. (SFT-6, the install date, is an R5
// Device.version element the IG carries as a cross-version extension: not written.)
def SoftwareDevice(sft) = if trim(sft.1.1) or trim(sft.2) or trim(sft.3) or trim(sft.4) then {
  resourceType: "Device"
  manufacturer: trim(sft.1.1) if not trim(sft.1.10)
  deviceName[]: { name: trim(sft.3), type: "manufacturer-name" } if trim(sft.3)
  modelNumber: trim(sft.4)
  version[]: { value: trim(sft.2) } if trim(sft.2)
  note[]: { text: trim(sft.5) } if trim(sft.5)
} else null

// One Device per SFT segment of the message (the IG's message maps: the software that handled the message,
// Provenance[1].entity.what; FHIR-Converter writes the Device alone).
def SoftwareDeviceEntries() = for sft in SFT => PartyEntry(SoftwareDevice(sft))

// ---- assigning authorities of the identifiers of other segments ------------------------------------------
// The Organization entries that AssignedIdentifier(s) (hl7v2.parties; IG CX[Identifier] CX.4 ->
// assigner(Organization)) refers to, for the identifiers a segment map writes.

// PV1-19 visit number, PV1-50 alternate visit id, PV1-5 preadmit number (first repetitions: Encounter) and
// PV1-54 service episode (EpisodeOfCare).
def VisitAssignerEntries(pv1) = [
  AssignerEntry(pv1.19.4) if trim(pv1.19.1),
  AssignerEntry(pv1.50.4) if trim(pv1.50.1),
  AssignerEntry(pv1.5.4) if trim(pv1.5.1),
  AssignerEntry(pv1.54.4) if trim(pv1.54.1)
]

// ---- organisations with more than an XON -----------------------------------------------------------------

// NK1-13 the contact's organization, with its contact person NK1-30 (name), NK1-31 (telecom) and NK1-32
// (address) -> the Patient.contact organization (IG NK1[Patient]: contact.organization(Organization) by
// XON[Organization], Organization.contact from NK1-30/31/32; FHIR-Converter writes the same). Only when
// NK1-13 names the organisation: an Organization has a name or an identifier (R4 org-1).
def KinContact(nk1) = {
  contact[]: {
    name: first(HumanNames(nk1.30))
    telecom[]: ContactPoints(nk1.31)
    address: first(Addresses(nk1.32))
  } if nk1.30 or nk1.31 or nk1.32
}
def KinOrganization(nk1) = XonOrgWith(nk1.13, KinContact(nk1))
def KinOrgRef(nk1) = XonOrgWithRef(nk1.13, KinContact(nk1))
def KinOrgEntries(nk1) = XonOrgWithEntries(nk1.13, KinContact(nk1))

// OBX-23 performing organization with its address OBX-24 (IG OBX[Observation]: performer(Organization) or the
// medical director's PractitionerRole.organization, Organization.address from OBX-24, never of use home:
// R4 org-2).
def PerformingOrgAddress(obx) = { address[]: for a in Addresses(obx.24) => OrgAddress(a) }
def PerformingOrganization(obx) = XonOrgWith(obx.23, PerformingOrgAddress(obx))
def PerformingOrgRef(obx) = XonOrgWithRef(obx.23, PerformingOrgAddress(obx))
def PerformingOrgEntries(obx) = XonOrgWithEntries(obx.23, PerformingOrgAddress(obx))
