// HL7 v2 schema for the compiler's checker and for group matching: segments (fields, datatypes),
// datatypes (component names) and message structures (segment groups).
//
// The data is static: segment fields come from a v2.5.1 field dictionary (schema_segments.inc,
// generated; see README.md), datatypes and structures are tables in schema.cc. Structures are written
// in HL7's abstract message syntax ("MSH [{SFT}] {PATIENT_RESULT: ...}") and turned into node trees
// once, on first use (thread-safe). Every pointer returned here lives for the whole process.
//
// Z-segments (ids starting with 'Z') have no definition: they are allowed anywhere, with any field.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace crosswalk::hl7v2 {

class Message;

struct FieldDef {
  std::string_view segment;   // "PID"
  uint16_t seq;               // 1-based HL7 field number (MSH-1 is the field separator)
  std::string_view datatype;  // "XPN"
  bool repeating;
  uint16_t table;             // HL7 table number, 0 when none
  std::string_view name;      // "Patient Name"
};

struct SegmentDef {
  std::string_view id;
  std::span<const FieldDef> fields;  // fields[i].seq == i + 1
  int field_count() const { return static_cast<int>(fields.size()); }
  // Field `seq` (1-based) or nullptr.
  const FieldDef* field(int seq) const {
    return seq >= 1 && seq <= field_count() ? &fields[static_cast<size_t>(seq - 1)] : nullptr;
  }
};

struct ComponentDef {
  std::string_view name;      // "Family Name"
  std::string_view datatype;  // "FN"
};

struct DatatypeDef {
  std::string_view id;    // "XPN"
  std::string_view name;  // "Extended Person Name"
  std::vector<ComponentDef> components;  // empty for primitives (ST, NM, DTM, ...)
  bool primitive() const { return components.empty(); }
};

// A node of a message structure: a segment (or a choice of segments, "OBR|RQD") or a group.
struct StructureNode {
  std::string_view name;  // segment id(s) or group name ("ORDER_OBSERVATION")
  bool is_group = false;
  bool optional = false;
  bool repeating = false;
  const StructureNode* parent = nullptr;
  std::vector<StructureNode> children;  // groups only
  // For segment nodes: does segment `id` fit here?
  bool Accepts(std::string_view id) const;
};

struct StructureDef {
  std::string_view name;      // "ORU_R01"
  std::string_view notation;  // the abstract message syntax it was built from
  StructureNode root;         // a group named like the structure
};

// Segment definition for a standard segment id, or nullptr (Z-segments and unknown ids).
const SegmentDef* FindSegment(std::string_view id);
inline bool IsZSegment(std::string_view id) { return id.size() == 3 && id[0] == 'Z'; }
// All segment definitions, sorted by id.
std::span<const SegmentDef> AllSegments();

// Datatype definition ("CX", "XPN", "ST", ...) or nullptr.
const DatatypeDef* FindDatatype(std::string_view id);

// Message structure by name ("ADT_A01") or nullptr.
const StructureDef* FindStructure(std::string_view name);
std::span<const StructureDef> AllStructures();
// The structure an event uses, from the v2.5.1+ tables ("ADT", "A04" → "ADT_A01"); empty if unknown.
std::string_view StructureForEvent(std::string_view message_code, std::string_view trigger);
// The structure of a parsed message: MSH-9.3 if it names a known structure, else MSH-9.1/MSH-9.2
// through StructureForEvent; nullptr when neither is known.
const StructureDef* StructureForMessage(const Message& message);

}  // namespace crosswalk::hl7v2
