#include "hl7v2/schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "hl7v2/message.h"

namespace crosswalk::hl7v2 {
namespace {

// ---------------------------------------------------------------------------------------------------
// Segments: generated table, one row per field.
constexpr FieldDef kFields[] = {
#include "hl7v2/schema_segments.inc"
};

struct SegmentIndex {
  std::vector<SegmentDef> segments;
  SegmentIndex() {
    size_t i = 0;
    const size_t n = std::size(kFields);
    while (i < n) {
      size_t j = i;
      while (j < n && kFields[j].segment == kFields[i].segment) ++j;
      segments.push_back(SegmentDef{kFields[i].segment, std::span<const FieldDef>(kFields + i, j - i)});
      i = j;
    }
  }
};

const SegmentIndex& Segments() {
  static const SegmentIndex* index = new SegmentIndex();
  return *index;
}

// ---------------------------------------------------------------------------------------------------
// Datatypes (v2.5.1 component lists). Format: "DT:Component name|DT:Component name|...".
struct DatatypeRow {
  std::string_view id, name, components;
};

constexpr DatatypeRow kDatatypes[] = {
    // Primitives.
    {"ST", "String Data", ""},
    {"TX", "Text Data", ""},
    {"FT", "Formatted Text Data", ""},
    {"NM", "Numeric", ""},
    {"SI", "Sequence ID", ""},
    {"ID", "Coded Value for HL7 Defined Tables", ""},
    {"IS", "Coded Value for User-Defined Tables", ""},
    {"DT", "Date", ""},
    {"TM", "Time", ""},
    {"DTM", "Date/Time", ""},
    {"GTS", "General Timing Specification", ""},
    {"varies", "Variable Datatype", ""},
    // Composites.
    {"TS", "Time Stamp", "DTM:Time|ID:Degree of Precision"},
    {"DR", "Date/Time Range", "TS:Range Start Date/Time|TS:Range End Date/Time"},
    {"HD", "Hierarchic Designator", "IS:Namespace ID|ST:Universal ID|ID:Universal ID Type"},
    {"EI", "Entity Identifier", "ST:Entity Identifier|IS:Namespace ID|ST:Universal ID|ID:Universal ID Type"},
    {"EIP", "Entity Identifier Pair", "EI:Placer Assigned Identifier|EI:Filler Assigned Identifier"},
    {"CE", "Coded Element",
     "ST:Identifier|ST:Text|ID:Name of Coding System|ST:Alternate Identifier|ST:Alternate Text|"
     "ID:Name of Alternate Coding System"},
    {"CWE", "Coded with Exceptions",
     "ST:Identifier|ST:Text|ID:Name of Coding System|ST:Alternate Identifier|ST:Alternate Text|"
     "ID:Name of Alternate Coding System|ST:Coding System Version ID|ST:Alternate Coding System Version ID|"
     "ST:Original Text"},
    {"CNE", "Coded with No Exceptions",
     "ST:Identifier|ST:Text|ID:Name of Coding System|ST:Alternate Identifier|ST:Alternate Text|"
     "ID:Name of Alternate Coding System|ST:Coding System Version ID|ST:Alternate Coding System Version ID|"
     "ST:Original Text"},
    {"CF", "Coded Element with Formatted Values",
     "ST:Identifier|FT:Formatted Text|ID:Name of Coding System|ST:Alternate Identifier|FT:Alternate Formatted Text|"
     "ID:Name of Alternate Coding System"},
    {"CX", "Extended Composite ID with Check Digit",
     "ST:ID Number|ST:Check Digit|ID:Check Digit Scheme|HD:Assigning Authority|ID:Identifier Type Code|"
     "HD:Assigning Facility|DT:Effective Date|DT:Expiration Date|CWE:Assigning Jurisdiction|"
     "CWE:Assigning Agency or Department"},
    {"FN", "Family Name",
     "ST:Surname|ST:Own Surname Prefix|ST:Own Surname|ST:Surname Prefix From Partner/Spouse|"
     "ST:Surname From Partner/Spouse"},
    {"XPN", "Extended Person Name",
     "FN:Family Name|ST:Given Name|ST:Second and Further Given Names or Initials Thereof|ST:Suffix|ST:Prefix|"
     "IS:Degree|ID:Name Type Code|ID:Name Representation Code|CE:Name Context|DR:Name Validity Range|"
     "ID:Name Assembly Order|TS:Effective Date|TS:Expiration Date|ST:Professional Suffix"},
    {"SAD", "Street Address", "ST:Street or Mailing Address|ST:Street Name|ST:Dwelling Number"},
    {"XAD", "Extended Address",
     "SAD:Street Address|ST:Other Designation|ST:City|ST:State or Province|ST:Zip or Postal Code|ID:Country|"
     "ID:Address Type|ST:Other Geographic Designation|IS:County/Parish Code|IS:Census Tract|"
     "ID:Address Representation Code|DR:Address Validity Range|TS:Effective Date|TS:Expiration Date"},
    {"XTN", "Extended Telecommunication Number",
     "ST:Telephone Number|ID:Telecommunication Use Code|ID:Telecommunication Equipment Type|ST:Email Address|"
     "NM:Country Code|NM:Area/City Code|NM:Local Number|NM:Extension|ST:Any Text|ST:Extension Prefix|"
     "ST:Speed Dial Code|ST:Unformatted Telephone number"},
    {"XCN", "Extended Composite ID Number and Name for Persons",
     "ST:ID Number|FN:Family Name|ST:Given Name|ST:Second and Further Given Names or Initials Thereof|"
     "ST:Suffix|ST:Prefix|IS:Degree|IS:Source Table|HD:Assigning Authority|ID:Name Type Code|"
     "ST:Identifier Check Digit|ID:Check Digit Scheme|ID:Identifier Type Code|HD:Assigning Facility|"
     "ID:Name Representation Code|CE:Name Context|DR:Name Validity Range|ID:Name Assembly Order|"
     "TS:Effective Date|TS:Expiration Date|ST:Professional Suffix|CWE:Assigning Jurisdiction|"
     "CWE:Assigning Agency or Department"},
    {"XON", "Extended Composite Name and Identification Number for Organizations",
     "ST:Organization Name|IS:Organization Name Type Code|NM:ID Number|NM:Check Digit|ID:Check Digit Scheme|"
     "HD:Assigning Authority|ID:Identifier Type Code|HD:Assigning Facility|ID:Name Representation Code|"
     "ST:Organization Identifier"},
    {"PL", "Person Location",
     "IS:Point of Care|IS:Room|IS:Bed|HD:Facility|IS:Location Status|IS:Person Location Type|IS:Building|"
     "IS:Floor|ST:Location Description|EI:Comprehensive Location Identifier|HD:Assigning Authority for Location"},
    {"CQ", "Composite Quantity with Units", "NM:Quantity|CE:Units"},
    {"SN", "Structured Numeric", "ST:Comparator|NM:Num1|ST:Separator/Suffix|NM:Num2"},
    {"MSG", "Message Type", "ID:Message Code|ID:Trigger Event|ID:Message Structure"},
    {"PT", "Processing Type", "ID:Processing ID|ID:Processing Mode"},
    {"VID", "Version Identifier", "ID:Version ID|CE:Internationalization Code|CE:International Version ID"},
    {"MO", "Money", "NM:Quantity|ID:Denomination"},
    {"CP", "Composite Price",
     "MO:Price|ID:Price Type|NM:From Value|NM:To Value|CE:Range Units|ID:Range Type"},
    {"ED", "Encapsulated Data",
     "HD:Source Application|ID:Type of Data|ID:Data Subtype|ID:Encoding|TX:Data"},
    {"RP", "Reference Pointer", "ST:Pointer|HD:Application ID|ID:Type of Data|ID:Subtype"},
    {"CNN", "Composite ID Number and Name Simplified",
     "ST:ID Number|ST:Family Name|ST:Given Name|ST:Second and Further Given Names or Initials Thereof|"
     "ST:Suffix|ST:Prefix|IS:Degree|IS:Source Table|IS:Assigning Authority - Namespace ID|"
     "ST:Assigning Authority - Universal ID|ID:Assigning Authority - Universal ID Type"},
    {"NDL", "Name with Date and Location",
     "CNN:Name|TS:Start Date/time|TS:End Date/time|IS:Point of Care|IS:Room|IS:Bed|HD:Facility|"
     "IS:Location Status|IS:Patient Location Type|IS:Building|IS:Floor"},
    {"DLN", "Driver's License Number", "ST:License Number|IS:Issuing State, Province, Country|DT:Expiration Date"},
    {"PRL", "Parent Result Link",
     "CE:Parent Observation Identifier|ST:Parent Observation Sub-identifier|TX:Parent Observation Value Descriptor"},
    {"ELD", "Error Location and Description",
     "ST:Segment ID|NM:Segment Sequence|NM:Field Position|CE:Code Identifying Error"},
    {"ERL", "Error Location",
     "ST:Segment ID|NM:Segment Sequence|NM:Field Position|NM:Field Repetition|NM:Component Number|"
     "NM:Sub-Component Number"},
    {"SPS", "Specimen Source",
     "CWE:Specimen Source Name or Code|CWE:Additives|TX:Specimen Collection Method|CWE:Body Site|"
     "CWE:Site Modifier|CWE:Collection Method Modifier Code|CWE:Specimen Role"},
    {"JCC", "Job Code/Class", "IS:Job Code|IS:Job Class|TX:Job Description Text"},
    {"FC", "Financial Class", "IS:Financial Class Code|TS:Effective Date"},
    {"DLD", "Discharge to Location and Date", "IS:Discharge Location|TS:Effective Date"},
    {"RI", "Repeat Interval", "IS:Repeat Pattern|ST:Explicit Time Interval"},
    {"OSD", "Order Sequence Definition",
     "ID:Sequence/Results Flag|ST:Placer Order Number: Entity Identifier|IS:Placer Order Number: Namespace ID|"
     "ST:Filler Order Number: Entity Identifier|IS:Filler Order Number: Namespace ID|"
     "ST:Sequence Condition Value|NM:Maximum Number of Repeats|ST:Placer Order Number: Universal ID|"
     "ID:Placer Order Number: Universal ID Type|ST:Filler Order Number: Universal ID|"
     "ID:Filler Order Number: Universal ID Type"},
    {"TQ", "Timing Quantity",
     "CQ:Quantity|RI:Interval|ST:Duration|TS:Start Date/Time|TS:End Date/Time|ST:Priority|ST:Condition|"
     "TX:Text|ID:Conjunction|OSD:Order Sequencing|CE:Occurrence Duration|NM:Total Occurrences"},
    {"MOC", "Money and Charge Code", "MO:Monetary Amount|CE:Charge Code"},
    {"PLN", "Practitioner License or Other ID Number",
     "ST:ID Number|IS:Type of ID Number|ST:State/other Qualifying Information|DT:Expiration Date"},
    {"AUI", "Authorization Information", "ST:Authorization Number|DT:Date|ST:Source"},
    {"DDI", "Daily Deductible Information", "NM:Delay Days|MO:Monetary Amount|NM:Number of Days"},
    {"VH", "Visiting Hours", "ID:Start Day Range|ID:End Day Range|TM:Start Hour Range|TM:End Hour Range"},
};

struct DatatypeIndex {
  std::vector<DatatypeDef> types;
  DatatypeIndex() {
    for (const DatatypeRow& row : kDatatypes) {
      DatatypeDef def{row.id, row.name, {}};
      std::string_view rest = row.components;
      while (!rest.empty()) {
        size_t bar = rest.find('|');
        std::string_view item = rest.substr(0, bar);
        size_t colon = item.find(':');
        def.components.push_back(ComponentDef{item.substr(colon + 1), item.substr(0, colon)});
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
      }
      types.push_back(std::move(def));
    }
  }
};

// ---------------------------------------------------------------------------------------------------
// Message structures in HL7 abstract message syntax:
//   SEG        required segment         [SEG]     optional         {SEG}   repeating   [{SEG}]  both
//   A|B        a choice of segments at one position
//   [{NAME: ...}]  a named group (brackets as for segments; "(NAME: ...)" is a required, single group)
// Based on v2.5.1 with segments added later (UAC, PRT, ARV) accepted where they occur.
struct StructureRow {
  std::string_view name, notation;
};

constexpr std::string_view kAdtA01 =
    "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] [DRG] "
    "[{PROCEDURE: PR1 [{ROL}]}] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC] [UB1] [UB2] [PDA]";

constexpr StructureRow kStructures[] = {
    {"ADT_A01", kAdtA01},
    {"ADT_A02", "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [PDA]"},
    {"ADT_A03",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{AL1}] [{DG1}] [DRG] "
     "[{PROCEDURE: PR1 [{ROL}]}] [{OBX}] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC] [PDA]"},
    {"ADT_A05",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] [DRG] "
     "[{PROCEDURE: PR1 [{ROL}]}] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC] [UB1] [UB2]"},
    {"ADT_A06",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [MRG] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] "
     "[DRG] [{PROCEDURE: PR1 [{ROL}]}] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC] [UB1] [UB2]"},
    {"ADT_A09", "MSH [{SFT}] [UAC] EVN PID [PD1] PV1 [PV2] [{DB1}] [{OBX}] [{DG1}]"},
    {"ADT_A15", "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{DG1}]"},
    {"ADT_A39", "MSH [{SFT}] [UAC] EVN {PATIENT: PID [PD1] MRG [PV1]}"},
    {"ADT_A16",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] [DRG] "
     "[{PROCEDURE: PR1 [{ROL}]}] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC]"},
    {"ADT_A21", "MSH [{SFT}] [UAC] EVN PID [PD1] PV1 [PV2] [{DB1}] [{OBX}]"},
    {"ADT_A30", "MSH [{SFT}] [UAC] EVN PID [PD1] MRG"},
    {"ADT_A45", "MSH [{SFT}] [UAC] EVN PID [PD1] {MERGE_INFO: MRG PV1}"},
    {"ADT_A60", "MSH [{SFT}] [UAC] EVN PID [{ARV}] [VISIT: PV1 [{ARV}] [PV2]] [{ADVERSE_REACTION_GROUP: IAM [{NTE}]}]"},
    {"BAR_P01",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] {VISIT: [PV1] [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] [DRG] "
     "[{PROCEDURE: PR1 [{ROL}]}] [{GT1}] [{NK1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC] [UB1] [UB2]}"},
    {"BAR_P02", "MSH [{SFT}] [UAC] EVN {PATIENT: PID [PD1] [PV1] [{DB1}]}"},
    {"BAR_P12", "MSH [{SFT}] [UAC] EVN PID [PV1] [{DG1}] [DRG] [{PROCEDURE: PR1 [{ROL}]}]"},
    {"DFT_P03",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [PV1] [PV2] [{ROL}] [{DB1}] "
     "[{COMMON_ORDER: [ORC] [{TIMING_QUANTITY: TQ1 [{TQ2}]}] [ORDER: OBR [{NTE}]] [{OBSERVATION: OBX [{NTE}]}]}] "
     "{FINANCIAL: FT1 [{PRT}] [{FINANCIAL_PROCEDURE: PR1 [{PRT}] [{ROL}]}] "
     "[{FINANCIAL_COMMON_ORDER: [ORC] [{FINANCIAL_TIMING_QUANTITY: TQ1 [{TQ2}]}] [FINANCIAL_ORDER: OBR [{NTE}]] "
     "[{FINANCIAL_OBSERVATION: OBX [{NTE}]}]}]} "
     "[{DG1}] [DRG] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC]"},
    {"DFT_P11",
     "MSH [{SFT}] [UAC] EVN PID [PD1] [{ROL}] [PV1] [PV2] [{ROL}] [{DB1}] "
     "[{COMMON_ORDER: [ORC] [{TIMING_QUANTITY: TQ1 [{TQ2}]}] [ORDER: OBR [{NTE}]] [{OBSERVATION: OBX [{NTE}]}]}] "
     "[{DG1}] [DRG] [{GT1}] [{INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}] [ACC] "
     "{FINANCIAL: FT1 [{PRT}] [{FINANCIAL_PROCEDURE: PR1 [{PRT}] [{ROL}]}] "
     "[{FINANCIAL_COMMON_ORDER: [ORC] [{FINANCIAL_TIMING_QUANTITY: TQ1 [{TQ2}]}] [FINANCIAL_ORDER: OBR [{NTE}]] "
     "[{FINANCIAL_OBSERVATION: OBX [{NTE}]}]}] [{DG1}] [DRG] [{GT1}] "
     "[{FINANCIAL_INSURANCE: IN1 [IN2] [{IN3}] [{ROL}]}]}"},
    {"ACK", "MSH [{SFT}] [UAC] MSA [{ERR}]"},
    {"ORU_R01",
     "MSH [{SFT}] [UAC] {PATIENT_RESULT: [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{NK1}] [{ARV}] "
     "[{OBX}] [VISIT: PV1 [PV2] [{PRT}]]] "
     "{ORDER_OBSERVATION: [ORC] OBR [{NTE}] [{PRT}] [{TIMING_QTY: TQ1 [{TQ2}]}] [CTD] "
     "[{OBSERVATION: OBX [{PRT}] [{NTE}]}] [{FT1}] [{CTI}] [{SPECIMEN: SPM [{OBX}]}]}} [DSC]"},
    {"ORM_O01",
     "MSH [{SFT}] [{NTE}] [PATIENT: PID [PD1] [{NTE}] [PATIENT_VISIT: PV1 [PV2]] "
     "[{INSURANCE: IN1 [IN2] [IN3]}] [GT1] [{AL1}]] "
     "{ORDER: ORC [ORDER_DETAIL: OBR|RQD|RQ1|RXO|ODS|ODT [{NTE}] [CTD] [{DG1}] "
     "[{OBSERVATION: OBX [{NTE}]}]] [FT1] [{CTI}] [BLG]}"},
    {"OML_O21",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{NK1}] [{ARV}] [PATIENT_VISIT: PV1 [PV2] [{PRT}]] "
     "[{INSURANCE: IN1 [IN2] [IN3]}] [GT1] [{AL1}]] "
     "{ORDER: ORC [{PRT}] [{TIMING: TQ1 [{TQ2}]}] "
     "[OBSERVATION_REQUEST: OBR [{TCD}] [{PRT}] [{NTE}] [{DG1}] [{OBSERVATION: OBX [{PRT}] [TCD] [{NTE}]}] "
     "[{SPECIMEN: SPM [{OBX}] [{CONTAINER: SAC [{OBX}]}]}] "
     "[{PRIOR_RESULT: [PATIENT_PRIOR: PID [PD1]] [PATIENT_VISIT_PRIOR: PV1 [PV2]] [{AL1}] "
     "{ORDER_PRIOR: [ORC] OBR [{NTE}] [{TIMING_PRIOR: TQ1 [{TQ2}]}] {OBSERVATION_PRIOR: OBX [{NTE}]}}}]] "
     "[{FT1}] [{CTI}] [BLG]}"},
    {"SIU_S12",
     "MSH [{SFT}] [UAC] SCH [{TQ1}] [{NTE}] [{PATIENT: PID [PD1] [PV1] [PV2] [{OBX}] [{DG1}]}] "
     "{RESOURCES: RGS [{SERVICE: AIS [{NTE}]}] [{GENERAL_RESOURCE: AIG [{NTE}]}] "
     "[{LOCATION_RESOURCE: AIL [{NTE}]}] [{PERSONNEL_RESOURCE: AIP [{NTE}]}]}"},
    {"VXU_V04",
     "MSH [{SFT}] [UAC] PID [PD1] [{NK1}] [{ARV}] [PATIENT: PV1 [PV2]] [{GT1}] [{INSURANCE: IN1 [IN2] [IN3]}] "
     "[{ORDER: [ORC] [{TIMING: TQ1 [{TQ2}]}] RXA [RXR] [{OBSERVATION: OBX [{PRT}] [{NTE}]}]}]"},
    {"OMG_O19",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{NK1}] [{ARV}] [PATIENT_VISIT: PV1 [PV2] [{PRT}]] "
     "[{INSURANCE: IN1 [IN2] [IN3]}] [GT1] [{AL1}]] "
     "{ORDER: ORC [{PRT}] [{TIMING: TQ1 [{TQ2}]}] OBR [{NTE}] [{PRT}] [CTD] [{DG1}] "
     "[{OBSERVATION: OBX [{PRT}] [{NTE}]}] [{SPECIMEN: SPM [{OBX}] [{CONTAINER: SAC [{OBX}]}]}] "
     "[{PRIOR_RESULT: [PATIENT_PRIOR: PID [PD1]] [PATIENT_VISIT_PRIOR: PV1 [PV2]] [{AL1}] "
     "{ORDER_PRIOR: [ORC] OBR [{TIMING_PRIOR: TQ1 [{TQ2}]}] [{NTE}] [CTD] {OBSERVATION_PRIOR: OBX [{NTE}]}}}] "
     "[{FT1}] [{CTI}] [BLG]}"},
    {"OUL_R22",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{OBX}]] [VISIT: PV1 [PV2] [{PRT}]] "
     "{SPECIMEN: SPM [{OBX}] [{CONTAINER: SAC [INV]}] "
     "{ORDER: OBR [ORC] [{NTE}] [{PRT}] [{TIMING_QTY: TQ1 [{TQ2}]}] [{RESULT: OBX [{PRT}] [TCD] [{SID}] [{NTE}]}] "
     "[{CTI}]}} [DSC]"},
    {"OUL_R23",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{OBX}]] [VISIT: PV1 [PV2] [{PRT}]] "
     "{SPECIMEN: SPM [{OBX}] {CONTAINER: SAC [INV] "
     "{ORDER: OBR [ORC] [{NTE}] [{PRT}] [{TIMING_QTY: TQ1 [{TQ2}]}] [{RESULT: OBX [{PRT}] [TCD] [{SID}] [{NTE}]}] "
     "[{CTI}]}}} [DSC]"},
    {"OUL_R24",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{OBX}]] [VISIT: PV1 [PV2] [{PRT}]] "
     "{ORDER: OBR [ORC] [{NTE}] [{PRT}] [{TIMING_QTY: TQ1 [{TQ2}]}] [{SPECIMEN: SPM [{OBX}] [{CONTAINER: SAC [INV]}]}] "
     "[{RESULT: OBX [{PRT}] [TCD] [{SID}] [{NTE}]}] [{CTI}]} [DSC]"},
    {"RDE_O11",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [PATIENT_VISIT: PV1 [PV2] [{PRT}]] "
     "[{INSURANCE: IN1 [IN2] [IN3]}] [GT1] [{AL1}]] "
     "{ORDER: ORC [{PRT}] [{TIMING: TQ1 [{TQ2}]}] [ORDER_DETAIL: RXO [{PRT}] [{NTE}] {RXR} [{COMPONENT: RXC [{NTE}]}]] "
     "RXE [{PRT}] [{NTE}] {TIMING_ENCODED: TQ1 [{TQ2}]} {RXR} [{RXC}] [{OBSERVATION: OBX [{PRT}] [{NTE}]}] [{FT1}] "
     "[BLG] [{CTI}]}"},
    {"RAS_O17",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{AL1}] [PATIENT_VISIT: PV1 [PV2] [{PRT}]]] "
     "{ORDER: ORC [{PRT}] [{TIMING: TQ1 [{TQ2}]}] "
     "[ORDER_DETAIL: RXO [ORDER_DETAIL_SUPPLEMENT: {NTE} {RXR} [COMPONENTS: RXC [{NTE}]]]] "
     "[ENCODING: RXE [{PRT}] {TIMING_ENCODED: TQ1 [{TQ2}]} {RXR} [{RXC}]] "
     "{ADMINISTRATION: {RXA} RXR [{OBSERVATION: OBX [{PRT}] [{NTE}]}]} [{CTI}]}"},
    {"RDS_O13",
     "MSH [{SFT}] [UAC] [{NTE}] [PATIENT: PID [PD1] [{PRT}] [{NTE}] [{AL1}] [PATIENT_VISIT: PV1 [PV2] [{PRT}]]] "
     "{ORDER: ORC [{PRT}] [{TIMING: TQ1 [{TQ2}]}] [ORDER_DETAIL: RXO [{PRT}] [{NTE}] {RXR} [{COMPONENT: RXC [{NTE}]}]] "
     "[ENCODING: RXE [{PRT}] [{NTE}] {TIMING_ENCODED: TQ1 [{TQ2}]} {RXR} [{RXC}]] "
     "RXD [{PRT}] [{NTE}] {RXR} [{RXC}] [{OBSERVATION: OBX [{PRT}] [{NTE}]}] [{FT1}]}"},
    {"REF_I12",
     "MSH [{SFT}] [UAC] RF1 [{AUTHORIZATION_CONTACT: AUT [CTD]}] {PROVIDER_CONTACT: PRD [{CTD}]} PID [{NK1}] "
     "[{GT1}] [{INSURANCE: IN1 [IN2] [IN3]}] [ACC] [{DG1}] [DRG] [{AL1}] "
     "[{PROCEDURE: PR1 [{AUTHORIZATION_CONTACT2: AUT [CTD]}]}] "
     "[{OBSERVATION: OBR [{NTE}] [{RESULTS_NOTES: OBX [{PRT}] [{NTE}]}]}] [PATIENT_VISIT: PV1 [PV2]] [{NTE}]"},
    {"PPR_PC1",
     "MSH [{SFT}] [UAC] PID [PATIENT_VISIT: PV1 [PV2]] "
     "{PROBLEM: PRB [{NTE}] [{VAR}] [{PROBLEM_ROLE: ROL [{VAR}]}] [{PATHWAY: PTH [{VAR}]}] "
     "[{GOAL: GOL [{NTE}] [{VAR}] [{GOAL_ROLE: ROL [{VAR}]}] [{GOAL_OBSERVATION: OBX [{NTE}]}]}] "
     "[{ORDER: ORC [ORDER_DETAIL: OBR|RXO [{NTE}] [{VAR}] [{ORDER_OBSERVATION: OBX [{NTE}] [{VAR}]}]]}] "
     "[{PROBLEM_OBSERVATION: OBX [{NTE}]}]}"},
    {"MDM_T01",
     "MSH [{SFT}] [UAC] EVN PID PV1 [{COMMON_ORDER: ORC [{TIMING: TQ1 [{TQ2}]}] OBR [{NTE}]}] TXA [{CON}]"},
    {"MDM_T02",
     "MSH [{SFT}] [UAC] EVN PID PV1 [{COMMON_ORDER: ORC [{TIMING: TQ1 [{TQ2}]}] OBR [{NTE}]}] TXA [{CON}] "
     "{OBSERVATION: OBX [{NTE}]}"},
};

// Event → structure (v2.5.1 chapter tables; later versions agree for these events).
struct EventRow {
  std::string_view code, trigger, structure;
};
constexpr EventRow kEvents[] = {
    {"ADT", "A01", "ADT_A01"}, {"ADT", "A04", "ADT_A01"}, {"ADT", "A08", "ADT_A01"}, {"ADT", "A13", "ADT_A01"},
    {"ADT", "A02", "ADT_A02"}, {"ADT", "A03", "ADT_A03"}, {"ADT", "A05", "ADT_A05"}, {"ADT", "A14", "ADT_A05"},
    {"ADT", "A28", "ADT_A05"}, {"ADT", "A31", "ADT_A05"}, {"ADT", "A06", "ADT_A06"}, {"ADT", "A07", "ADT_A06"},
    {"ADT", "A09", "ADT_A09"}, {"ADT", "A10", "ADT_A09"}, {"ADT", "A11", "ADT_A09"}, {"ADT", "A12", "ADT_A09"},
    {"ADT", "A15", "ADT_A15"}, {"ADT", "A39", "ADT_A39"}, {"ADT", "A40", "ADT_A39"}, {"ADT", "A41", "ADT_A39"},
    {"ADT", "A42", "ADT_A39"}, {"ORU", "R01", "ORU_R01"}, {"ORM", "O01", "ORM_O01"}, {"OML", "O21", "OML_O21"},
    {"SIU", "S12", "SIU_S12"}, {"SIU", "S13", "SIU_S12"}, {"SIU", "S14", "SIU_S12"}, {"SIU", "S15", "SIU_S12"},
    {"SIU", "S16", "SIU_S12"}, {"SIU", "S17", "SIU_S12"}, {"SIU", "S18", "SIU_S12"}, {"SIU", "S19", "SIU_S12"},
    {"SIU", "S20", "SIU_S12"}, {"SIU", "S21", "SIU_S12"}, {"SIU", "S22", "SIU_S12"}, {"SIU", "S23", "SIU_S12"},
    {"SIU", "S24", "SIU_S12"}, {"SIU", "S26", "SIU_S12"}, {"VXU", "V04", "VXU_V04"}, {"MDM", "T01", "MDM_T01"},
    {"MDM", "T03", "MDM_T01"}, {"MDM", "T05", "MDM_T01"}, {"MDM", "T07", "MDM_T01"}, {"MDM", "T09", "MDM_T01"},
    {"MDM", "T11", "MDM_T01"}, {"MDM", "T02", "MDM_T02"}, {"MDM", "T04", "MDM_T02"}, {"MDM", "T06", "MDM_T02"},
    {"MDM", "T08", "MDM_T02"}, {"MDM", "T10", "MDM_T02"}, {"ACK", "", "ACK"},
    {"ADT", "A16", "ADT_A16"}, {"ADT", "A21", "ADT_A21"}, {"ADT", "A22", "ADT_A21"}, {"ADT", "A23", "ADT_A21"},
    {"ADT", "A25", "ADT_A21"}, {"ADT", "A26", "ADT_A21"}, {"ADT", "A27", "ADT_A21"}, {"ADT", "A29", "ADT_A21"},
    {"ADT", "A32", "ADT_A21"}, {"ADT", "A33", "ADT_A21"}, {"ADT", "A47", "ADT_A30"}, {"ADT", "A45", "ADT_A45"},
    {"ADT", "A60", "ADT_A60"}, {"BAR", "P01", "BAR_P01"}, {"BAR", "P05", "BAR_P01"}, {"BAR", "P02", "BAR_P02"},
    {"BAR", "P12", "BAR_P12"}, {"DFT", "P03", "DFT_P03"}, {"DFT", "P11", "DFT_P11"}, {"OMG", "O19", "OMG_O19"},
    {"OUL", "R22", "OUL_R22"}, {"OUL", "R23", "OUL_R23"}, {"OUL", "R24", "OUL_R24"}, {"RDE", "O11", "RDE_O11"},
    {"RDE", "O25", "RDE_O11"},
    {"RDE", "O01", "RDE_O11"}, {"RAS", "O17", "RAS_O17"}, {"RDS", "O13", "RDS_O13"}, {"REF", "I12", "REF_I12"}, {"REF", "I13", "REF_I12"},
    {"REF", "I14", "REF_I12"}, {"REF", "I15", "REF_I12"}, {"PPR", "PC1", "PPR_PC1"}, {"PPR", "PC2", "PPR_PC1"},
    {"PPR", "PC3", "PPR_PC1"},
};

// Parser of the abstract message syntax above. The tables are ours, so a syntax error is a bug.
class NotationParser {
 public:
  explicit NotationParser(std::string_view text) : text_(text) {}

  void ParseInto(StructureNode* group, char close) {
    while (true) {
      SkipBlanks();
      if (pos_ >= text_.size()) {
        if (close != '\0') Fail("unclosed bracket");
        return;
      }
      char c = text_[pos_];
      if (c == close) {
        ++pos_;
        return;
      }
      group->children.push_back(ParseItem());
    }
  }

 private:
  StructureNode ParseItem() {
    char c = text_[pos_];
    if (c == '[' || c == '{' || c == '(') {
      ++pos_;
      char close = c == '[' ? ']' : c == '{' ? '}' : ')';
      // "[{" ... "}]" is one optional repeating item.
      SkipBlanks();
      bool inner_repeat = false;
      if (c == '[' && pos_ < text_.size() && text_[pos_] == '{') {
        ++pos_;
        inner_repeat = true;
      }
      StructureNode node;
      std::string_view name = PeekGroupName();
      if (!name.empty()) {
        node.is_group = true;
        node.name = name;
        ParseInto(&node, inner_repeat ? '}' : close);
      } else {
        StructureNode tmp;
        ParseInto(&tmp, inner_repeat ? '}' : close);
        if (tmp.children.size() != 1) Fail("anonymous group");
        node = std::move(tmp.children[0]);
      }
      if (inner_repeat) {
        SkipBlanks();
        if (pos_ >= text_.size() || text_[pos_] != ']') Fail("expected ]");
        ++pos_;
      }
      node.optional = node.optional || c == '[';
      node.repeating = node.repeating || c == '{' || inner_repeat;
      return node;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && (IsIdChar(text_[pos_]) || text_[pos_] == '|')) ++pos_;
    if (pos_ == start) Fail("unexpected character");
    StructureNode node;
    node.name = text_.substr(start, pos_ - start);
    return node;
  }

  // "NAME:" at the current position (consumed) or empty.
  std::string_view PeekGroupName() {
    SkipBlanks();
    size_t p = pos_;
    while (p < text_.size() && (IsIdChar(text_[p]) || text_[p] == '_')) ++p;
    if (p < text_.size() && text_[p] == ':' && p > pos_) {
      std::string_view name = text_.substr(pos_, p - pos_);
      pos_ = p + 1;
      return name;
    }
    return {};
  }

  static bool IsIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
  void SkipBlanks() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  [[noreturn]] void Fail(const char* what) {
    std::fprintf(stderr, "crosswalk: bad HL7 v2 structure table at %zu: %s\n", pos_, what);
    std::abort();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void LinkParents(StructureNode* node) {
  for (StructureNode& child : node->children) {
    child.parent = node;
    LinkParents(&child);
  }
}

struct StructureIndex {
  std::vector<StructureDef> structures;
  StructureIndex() {
    structures.reserve(std::size(kStructures));
    for (const StructureRow& row : kStructures) {
      StructureDef def;
      def.name = row.name;
      def.notation = row.notation;
      def.root.name = row.name;
      def.root.is_group = true;
      NotationParser(row.notation).ParseInto(&def.root, '\0');
      structures.push_back(std::move(def));
    }
    // Parent links after the vector stops moving.
    for (StructureDef& def : structures) LinkParents(&def.root);
  }
};

const StructureIndex& Structures() {
  static const StructureIndex* index = new StructureIndex();
  return *index;
}

}  // namespace

bool StructureNode::Accepts(std::string_view id) const {
  if (is_group) return false;
  std::string_view rest = name;
  while (true) {
    size_t bar = rest.find('|');
    if (rest.substr(0, bar) == id) return true;
    if (bar == std::string_view::npos) return false;
    rest.remove_prefix(bar + 1);
  }
}

const SegmentDef* FindSegment(std::string_view id) {
  const auto& segs = Segments().segments;
  auto it = std::lower_bound(segs.begin(), segs.end(), id,
                             [](const SegmentDef& d, std::string_view key) { return d.id < key; });
  return it != segs.end() && it->id == id ? &*it : nullptr;
}

std::span<const SegmentDef> AllSegments() { return Segments().segments; }

const DatatypeDef* FindDatatype(std::string_view id) {
  static const DatatypeIndex* index = new DatatypeIndex();
  for (const DatatypeDef& def : index->types) {
    if (def.id == id) return &def;
  }
  return nullptr;
}

const StructureDef* FindStructure(std::string_view name) {
  for (const StructureDef& def : Structures().structures) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

std::span<const StructureDef> AllStructures() { return Structures().structures; }

std::string_view StructureForEvent(std::string_view code, std::string_view trigger) {
  for (const EventRow& row : kEvents) {
    if (row.code == code && (row.trigger == trigger || (row.trigger.empty() && row.code == "ACK"))) {
      return row.structure;
    }
  }
  return {};
}

const StructureDef* StructureForMessage(const Message& message) {
  if (message.segment_count() == 0) return nullptr;
  auto code = [&](int component) { return TrimBlanks(message.Raw(0, 9, 1, component)); };
  std::string_view structure = code(3);
  if (const StructureDef* def = FindStructure(structure); def != nullptr && !structure.empty()) return def;
  std::string_view name = StructureForEvent(code(1), code(2));
  return name.empty() ? nullptr : FindStructure(name);
}

}  // namespace crosswalk::hl7v2
