// In-memory model of parsed terminology resources (importer side) and the on-disk key/value codec.
//
// Key layout (see docs/terminology.md): one RocksDB column family; the first byte names the family.
//   "\x01format"                                   -> "crosswalk-term 2"
//   'P' kind url                                   -> current version of url          (kind: C, V, M)
//   'R' kind url \0 version                        -> resource header
//   'C' url \0 version \0 key                      -> concept record (key: the code, ASCII-lower-cased when
//                                                     the code system is not case-sensitive)
//   'H' url \0 version \0 key                      -> the concept's parents (hierarchy, upward)
//   'D' url \0 version \0 parent-key \0 child-key  -> "" (hierarchy, downward)
//   'V' url \0 version \0 'K'                      -> compose (include/exclude components)
//   'V' url \0 version \0 'E' \0 code \0 system     -> expansion entry (display)
//   'M' url \0 version \0 source_system \0 code    -> map targets (document order)
//   'G' url \0 version \0                          -> the map's groups (systems, versions, unmapped rule)
//   'W' url \0 version \0 tsys \0 tcode \0 ssys \0 scode -> equivalence (reverse index)
//   'S' source_system \0 url                       -> index: maps with a group from source_system
//   'T' target_system \0 url                       -> index: maps with a group to target_system
//   'Z' kind url \0 version                        -> content hash (8 bytes, little-endian; content_hash.h),
//                                                     written at import; sorts after every other family
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crosswalk/status.h"
#include "crosswalk/terminology.h"

namespace crosswalk::term {

inline constexpr std::string_view kFormatKey = "\x01" "format";
inline constexpr std::string_view kFormatValue = "crosswalk-term 2";

char KindByte(ResourceKind kind);

// ---- parsed resources --------------------------------------------------------------------------

struct DesignationRec {
  std::string language, use_system, use_code, value;
};
struct PropertyRec {
  std::string code, type, value;
};
struct ConceptRec {
  std::string code, display, status;
  std::vector<DesignationRec> designations;
  std::vector<PropertyRec> properties;
  std::vector<std::string> parents;  // hierarchy: nesting, `parent` properties, other concepts' `child`
};
// A ValueSet compose filter (property, op, value as written).
struct VsFilter {
  std::string property, op, value;
};
struct VsConceptRef {
  std::string code, display;
};
// One compose.include or compose.exclude entry: a code is in it when it is in `system` (all of it, the
// listed concepts, or the concepts that pass every filter) and in every value set of `valuesets`.
struct VsComponent {
  std::string system, version;
  std::vector<VsConceptRef> concepts;
  std::vector<VsFilter> filters;
  std::vector<std::string> valuesets;  // canonical "url" or "url|version"
};
struct VsRule {  // expansion.contains entry
  std::string system, version, code, display;
};
// dependsOn / product of a map target.
struct MapAttrRec {
  std::string property, system, value, display;
};
struct MapTargetRec {
  uint64_t group = 0;  // index into Resource::groups
  std::string system, code, display, equivalence;
  std::vector<MapAttrRec> depends_on, product;
};
struct MapElementRec {
  std::string source_system, code;
  std::vector<MapTargetRec> targets;
};
struct MapGroupRec {
  std::string source, source_version, target, target_version;
  std::string unmapped_mode, unmapped_code, unmapped_display, unmapped_url;  // mode "" = no rule
};

struct Resource {
  ResourceKind kind = ResourceKind::kCodeSystem;
  std::string url, version, name, title;
  std::string version_algorithm;  // versionAlgorithm[x] (R5) or the R4 artifact-versionAlgorithm extension
  std::string origin;  // "file" or "file:line" or "file#/entry/3/resource", for messages
  // CodeSystem
  std::vector<ConceptRec> concepts;
  std::string content = "complete";  // complete, fragment, not-present, example, supplement
  bool case_sensitive = true;
  std::string supplements;
  // ValueSet
  std::vector<VsComponent> includes, excludes;
  std::vector<VsRule> expansion;
  bool has_expansion = false;
  // ConceptMap
  std::vector<MapElementRec> elements;
  std::vector<MapGroupRec> groups;
  // Streamed import (ImportSink): records written to the sink while parsing (or right after the resource
  // was parsed, SpillResource), under this owner id; 0: nothing was written, the parsed form holds it all.
  // Concepts, map elements and value-set rules and members so written are counted in streamed_entries and
  // no longer held. A ValueSet with an owner has its compose and expansion in the sink.
  uint32_t owner = 0;
  uint64_t streamed_entries = 0;
  bool streamed_hierarchy = false;

  // Entries held in parsed form (what SpillResource moves to the sink).
  uint64_t held_entries() const {
    uint64_t rules = expansion.size();
    for (const auto* list : {&includes, &excludes}) {
      for (const auto& c : *list) rules += c.concepts.empty() ? 1 : c.concepts.size();
    }
    return concepts.size() + rules + elements.size();
  }
  uint64_t entries() const { return held_entries() + streamed_entries; }
};

// ---- value codec -------------------------------------------------------------------------------

class Encoder {
 public:
  void Str(std::string_view s);
  void U64(uint64_t v);
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool Str(std::string_view* s);
  bool U64(uint64_t* v);
  bool done() const { return in_.empty(); }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

// Resource header value.
struct Header {
  std::string name, title;
  uint64_t entries = 0;
  uint64_t flags = 0;  // see kHeader* below
  std::string content;  // CodeSystem.content ("complete" when absent); "" for other kinds
  // The version ordering the resource declares (versionAlgorithm: semver, integer, alpha, date, natural);
  // "" when it declares none.
  std::string version_algorithm;
  // CodeSystem with content "supplement": the canonical of the code system it supplements ("url" or
  // "url|version"); "" otherwise.
  std::string supplements;
};
// Compares versions by a declared version algorithm (docs/terminology.md, "Current version"): "semver"
// (semver.org 2.0.0 precedence), "integer", "alpha" (byte-wise), else (natural, date, none, or a version
// that does not follow the algorithm) CompareVersions.
int CompareVersionsBy(std::string_view algorithm, std::string_view a, std::string_view b) noexcept;
inline constexpr uint64_t kHeaderHasExpansion = 1;     // ValueSet: an explicit expansion is stored
inline constexpr uint64_t kHeaderCaseInsensitive = 4;  // CodeSystem: caseSensitive false (keys folded)
inline constexpr uint64_t kHeaderHasHierarchy = 8;     // CodeSystem: some concept has a parent
std::string EncodeHeader(const Header& h);
bool DecodeHeader(std::string_view v, Header* h);

std::string EncodeConcept(const ConceptRec& c);
std::string EncodeTargets(const std::vector<MapTargetRec>& t);
std::string EncodeGroups(const std::vector<MapGroupRec>& g);
bool DecodeGroups(std::string_view v, std::vector<MapGroupRec>* g);
std::string EncodeCompose(const std::vector<VsComponent>& includes, const std::vector<VsComponent>& excludes);
bool DecodeCompose(std::string_view v, std::vector<VsComponent>* includes, std::vector<VsComponent>* excludes);
std::string EncodeParents(const std::vector<std::string>& parents);

// ASCII lower-case: the key of a code in a code system that is not case-sensitive.
std::string FoldCase(std::string_view code);



// ---- keys --------------------------------------------------------------------------------------

std::string PointerKey(ResourceKind kind, std::string_view url);
std::string HeaderKey(ResourceKind kind, std::string_view url, std::string_view version);
std::string ContentHashKey(ResourceKind kind, std::string_view url, std::string_view version);
std::string EncodeContentHash(uint64_t h);
bool DecodeContentHash(std::string_view v, uint64_t* h);
// Prefixes of every record of one resource version (for deletion on re-import).
std::vector<std::string> RecordPrefixes(ResourceKind kind, std::string_view url, std::string_view version);
std::string RecordPrefix(ResourceKind kind, std::string_view url, std::string_view version);
std::string ConceptKey(std::string_view url, std::string_view version, std::string_view code);
std::string ParentsKey(std::string_view url, std::string_view version, std::string_view code);
std::string ChildPrefix(std::string_view url, std::string_view version, std::string_view parent);
std::string ComposeKey(std::string_view url, std::string_view version);
std::string ExpansionPrefix(std::string_view url, std::string_view version, std::string_view code);
std::string ExpansionKey(std::string_view url, std::string_view version, std::string_view code,
                         std::string_view system);
std::string MapKey(std::string_view url, std::string_view version, std::string_view source_system,
                   std::string_view code);
std::string GroupsKey(std::string_view url, std::string_view version);
std::string ReversePrefix(std::string_view url, std::string_view version, std::string_view target_system,
                          std::string_view target_code);
std::string MapIndexKey(std::string_view source_system, std::string_view url);
std::string MapIndexPrefix(std::string_view source_system);
std::string TargetIndexKey(std::string_view target_system, std::string_view url);
std::string TargetIndexPrefix(std::string_view target_system);

// ---- limits -------------------------------------------------------------------------------------

// Maximum nesting of JSON arrays and objects in one imported document or NDJSON line (the top-level
// value is depth 1), as the runtime's JSON reader counts it. 256 leaves room for concept hierarchies
// about 125 levels deep (two levels per concept: the `concept` array and the concept object), several
// times deeper than any published code system. Deeper input is kLimitExceeded naming the file and the
// JSON pointer of the first container too deep. It bounds every recursion of the FHIR importer (nested
// concepts, nested expansion.contains, Bundles in Bundles) and the memory of the JSON pointers they carry.
inline constexpr int kMaxImportJsonDepth = 256;

// Most header rows a CSV table may declare (ImportOptions::csv_header_rows).
inline constexpr size_t kMaxCsvHeaderRows = 8;

// ---- parsers (fhir_parse.cc / csv_parse.cc) -----------------------------------------------------

class ImportSink;

// Parses one file into resources (appends). kParseError / kInvalidArgument name the position. With a sink,
// the top-level concepts of a CodeSystem document are written to it as they are parsed (Resource::owner)
// instead of being held in memory; the file is read in chunks, never whole.
Status ParseFile(const std::string& path, const ImportOptions& options, ImportSink* sink, std::vector<Resource>* out,
                 const std::function<void(uint64_t bytes_done, uint64_t bytes_total)>& progress);

// Release formats (release_loaders.cc), recognised by file name and first line.
enum class ReleaseFormat {
  kNone,
  kLoincTable,          // Loinc.csv (header starts with LOINC_NUM)
  kLoincHierarchy,      // ComponentHierarchyBySystem.csv (PATH_TO_ROOT, SEQUENCE, IMMEDIATE_PARENT, CODE, CODE_TEXT)
  kLoincPartLink,       // LoincPartLink_Primary.csv / _Supplementary.csv (LoincNumber, ..., PartNumber, ...)
  kSnomedConcept,       // sct2_Concept_Snapshot*.txt
  kSnomedDescription,   // sct2_Description_Snapshot*.txt
  kSnomedRelationship,  // sct2_Relationship_Snapshot*.txt
  kSnomedLanguage,      // der2_cRefset_LanguageSnapshot*.txt
  kIcd10CmOrder,        // icd10cm_order_*.txt
};
ReleaseFormat DetectReleaseFormat(const std::string& path);
class ImportSink;
// Loads the release files of one import: the LOINC files make one CodeSystem, the RF2 files one, each
// ICD-10-CM order file one. Every concept goes to the sink as it is converted (the Resource keeps its
// header fields and owner); LOINC's and SNOMED CT's files are joined by an external sort whose buffer holds
// at most sort_bytes (docs/terminology.md, "Scale").
Status ParseReleaseFiles(const std::vector<std::pair<std::string, ReleaseFormat>>& files, ImportSink* sink,
                         size_t sort_bytes, std::vector<Resource>* out);

// The CSV record reader of csv_parse.cc (RFC 4180), for the release loaders.
Status CsvNextRecord(std::string_view text, size_t* pos, uint64_t* line, const std::string& path,
                     std::vector<std::string>* fields, uint64_t* record_line, bool* got);
size_t CsvInvalidUtf8At(std::string_view text);

// Parses FHIR JSON text. `origin` is the file name; `line` > 0 for an NDJSON line.
Status ParseFhirJsonText(std::string_view text, const std::string& origin, uint64_t line,
                         bool container_only, std::vector<Resource>* out);

Status ParseCsvText(std::string_view text, const std::string& path, const ImportOptions& options,
                    std::vector<Resource>* out);

// "urn:crosswalk:conceptmap:<slug of file stem>".
std::string DerivedCsvMapUrl(const std::string& path);

// " 'v'" for a short plain keyword from a file (an equivalence, a mode, a resource type: letters, digits,
// '-', '_', '.', at most 40 bytes), "" otherwise, so an error message never carries file content of any
// size or shape.
std::string QuotedKeyword(std::string_view v);

bool IsKnownEquivalence(std::string_view e);
// Equivalences that mean "no usable mapping".
bool IsNegativeEquivalence(std::string_view e);

}  // namespace crosswalk::term
