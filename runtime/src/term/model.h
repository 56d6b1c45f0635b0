// In-memory model of parsed terminology resources (importer side) and the on-disk key/value codec.
//
// Key layout (see docs/terminology.md): one RocksDB column family; the first byte names the family.
//   "\x01format"                                  -> "crosswalk-term 1"
//   'P' kind url                                  -> current version of url          (kind: C, V, M)
//   'R' kind url \0 version                       -> resource header
//   'C' url \0 version \0 code                    -> concept record
//   'V' url \0 version \0 rule \0 system \0 code  -> value-set rule (rule: I include, X exclude, E expansion)
//   'M' url \0 version \0 source_system \0 code   -> map targets (document order)
//   'U' url \0 version \0 source_system \0 target_system -> group's unmapped rule
//   'S' source_system \0 url                      -> index: maps with a group from source_system
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"
#include "crosswalk/terminology.h"

namespace crosswalk::term {

inline constexpr std::string_view kFormatKey = "\x01" "format";
inline constexpr std::string_view kFormatValue = "crosswalk-term 1";

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
};
struct VsRule {
  char rule;  // 'I', 'X', 'E'
  std::string system, version, code, display;  // code empty for a whole-system include/exclude
};
struct MapTargetRec {
  std::string system, code, display, equivalence;
};
struct MapElementRec {
  std::string source_system, code;
  std::vector<MapTargetRec> targets;
};
struct UnmappedRec {
  std::string source_system, target_system, mode, code, display, url;
};

struct Resource {
  ResourceKind kind = ResourceKind::kCodeSystem;
  std::string url, version, name, title;
  std::string origin;  // "file" or "file:line" or "file#/entry/3/resource", for messages
  // CodeSystem
  std::vector<ConceptRec> concepts;
  // ValueSet
  std::vector<VsRule> rules;
  bool has_expansion = false;
  bool unsupported_rules = false;  // compose.include with filter or valueSet
  // ConceptMap
  std::vector<MapElementRec> elements;
  std::vector<UnmappedRec> unmapped;

  uint64_t entries() const {
    return concepts.size() + rules.size() + elements.size();
  }
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

 private:
  std::string_view in_;
};

// Resource header value.
struct Header {
  std::string name, title;
  uint64_t entries = 0;
  uint64_t flags = 0;  // bit 0: value set has an expansion; bit 1: value set has unsupported rules
};
std::string EncodeHeader(const Header& h);
bool DecodeHeader(std::string_view v, Header* h);

std::string EncodeConcept(const ConceptRec& c);
std::string EncodeTargets(const std::vector<MapTargetRec>& t);
std::string EncodeUnmapped(const UnmappedRec& u);

// ---- keys --------------------------------------------------------------------------------------

std::string PointerKey(ResourceKind kind, std::string_view url);
std::string HeaderKey(ResourceKind kind, std::string_view url, std::string_view version);
// Prefix of every record of one resource version (for deletion on re-import).
std::string RecordPrefix(ResourceKind kind, std::string_view url, std::string_view version);
std::string ConceptKey(std::string_view url, std::string_view version, std::string_view code);
std::string VsRuleKey(std::string_view url, std::string_view version, char rule, std::string_view system,
                      std::string_view code);
std::string MapKey(std::string_view url, std::string_view version, std::string_view source_system,
                   std::string_view code);
std::string UnmappedPrefix(std::string_view url, std::string_view version, std::string_view source_system);
std::string UnmappedKey(std::string_view url, std::string_view version, std::string_view source_system,
                        std::string_view target_system);
std::string MapIndexKey(std::string_view source_system, std::string_view url);
std::string MapIndexPrefix(std::string_view source_system);

// ---- limits -------------------------------------------------------------------------------------

// Maximum nesting of JSON arrays and objects in one imported document or NDJSON line (the top-level
// value is depth 1), as the runtime's JSON reader counts it. 256 leaves room for concept hierarchies
// about 125 levels deep (two levels per concept: the `concept` array and the concept object), several
// times deeper than any published code system. Deeper input is kLimitExceeded naming the file and the
// JSON pointer of the first container too deep. It bounds every recursion of the FHIR importer (nested
// concepts, nested expansion.contains, Bundles in Bundles) and the memory of the JSON pointers they carry.
inline constexpr int kMaxImportJsonDepth = 256;

// ---- parsers (fhir_parse.cc / csv_parse.cc) -----------------------------------------------------

// Parses one file into resources (appends). kParseError / kInvalidArgument name the position.
Status ParseFile(const std::string& path, const ImportOptions& options, std::vector<Resource>* out,
                 const std::function<void(uint64_t bytes_done, uint64_t bytes_total)>& progress);

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
