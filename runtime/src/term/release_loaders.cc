// Loaders for the release formats sites receive, recognised by file name and first line so that
// `crosswalk term import FILE...` needs no option (docs/terminology.md, "Input formats"):
//   LOINC      Loinc.csv (+ ComponentHierarchyBySystem.csv, LoincPartLink*.csv)   -> http://loinc.org
//   SNOMED CT  RF2 snapshot sct2_Concept_Snapshot*, sct2_Description_Snapshot*, sct2_Relationship_Snapshot*
//              (+ der2_cRefset_LanguageSnapshot*)                                 -> http://snomed.info/sct
//   ICD-10-CM  icd10cm_order_*.txt (fixed width)                                  -> http://hl7.org/fhir/sid/icd-10-cm
// The files of one release given in one import make one CodeSystem. Errors name file:line, never content.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "term/import_sink.h"
#include "term/model.h"

namespace crosswalk::term {
namespace {

constexpr std::string_view kLoincUrl = "http://loinc.org";
constexpr std::string_view kSnomedUrl = "http://snomed.info/sct";
constexpr std::string_view kIcd10CmUrl = "http://hl7.org/fhir/sid/icd-10-cm";

// SNOMED CT identifiers used by the RF2 loader.
constexpr std::string_view kSctIsA = "116680003";
constexpr std::string_view kSctFsn = "900000000000003001";
constexpr std::string_view kSctSynonym = "900000000000013009";
constexpr std::string_view kSctPreferred = "900000000000548007";
constexpr std::string_view kSctDefined = "900000000000073002";
constexpr std::string_view kSctUsEnglish = "900000000000509007";

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool StartsWithI(const std::string& s, std::string_view p) { return Lower(s.substr(0, p.size())) == p; }

std::string FirstLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return out;
}

// Reads a file line by line (LF or CRLF); fn(line_number, line) returns a Status.
template <typename Fn>
Status ForEachLine(const std::string& path, Fn fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("{}: cannot open file", path));
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\0') != std::string::npos) return ParseError(fmt::format("{}:{}: NUL byte in the line", path, n));
    CW_RETURN_IF_ERROR(fn(n, std::string_view(line)));
  }
  if (in.bad()) return IoError(fmt::format("{}: read error", path));
  return Status::Ok();
}

Status ReadWhole(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("{}: cannot open file", path));
  in.seekg(0, std::ios::end);
  text->resize(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)));
  in.seekg(0);
  in.read(text->data(), static_cast<std::streamsize>(text->size()));
  if (in.bad()) return IoError(fmt::format("{}: read error", path));
  if (text->compare(0, 3, "\xEF\xBB\xBF") == 0) text->erase(0, 3);
  if (text->find('\0') != std::string::npos) return ParseError(fmt::format("{}: NUL byte in the file", path));
  size_t bad = CsvInvalidUtf8At(*text);
  if (bad != std::string::npos) {
    uint64_t line = 1 + static_cast<uint64_t>(std::count(text->begin(), text->begin() + static_cast<long>(bad), '\n'));
    return ParseError(fmt::format("{}:{}: invalid UTF-8", path, line));
  }
  return Status::Ok();
}

// A CSV table with a header row; fn(line, fields) per data row, with `col(name)` giving a column index.
struct CsvTable {
  std::string path, text;
  std::vector<std::string> header;
  std::map<std::string, size_t> index;

  Status Open(const std::string& p) {
    path = p;
    CW_RETURN_IF_ERROR(ReadWhole(path, &text));
    size_t pos = 0;
    uint64_t line = 1, rec_line = 0;
    bool got = false;
    CW_RETURN_IF_ERROR(CsvNextRecord(text, &pos, &line, path, &header, &rec_line, &got));
    if (!got) return ParseError(fmt::format("{}:1: empty file (expected a header row)", path));
    for (size_t i = 0; i < header.size(); ++i) index.emplace(header[i], i);
    body_pos = pos;
    body_line = line;
    return Status::Ok();
  }
  Result<size_t> Col(std::string_view name) const {
    auto it = index.find(std::string(name));
    if (it == index.end()) return ParseError(fmt::format("{}:1: the header has no column {}", path, name));
    return it->second;
  }
  std::optional<size_t> OptCol(std::string_view name) const {
    auto it = index.find(std::string(name));
    if (it == index.end()) return std::nullopt;
    return it->second;
  }
  template <typename Fn>
  Status ForEachRow(Fn fn) {
    size_t pos = body_pos;
    uint64_t line = body_line, rec_line = 0;
    std::vector<std::string> fields;
    while (true) {
      bool got = false;
      CW_RETURN_IF_ERROR(CsvNextRecord(text, &pos, &line, path, &fields, &rec_line, &got));
      if (!got) break;
      if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
      if (fields.size() != header.size()) {
        return ParseError(fmt::format("{}:{}: {} fields, the header has {}", path, rec_line, fields.size(),
                                      header.size()));
      }
      CW_RETURN_IF_ERROR(fn(rec_line, fields));
    }
    return Status::Ok();
  }
  size_t body_pos = 0;
  uint64_t body_line = 1;
};

Resource NewCodeSystem(std::string_view url, std::string version, std::string name, std::string title,
                       std::string origin) {
  Resource r;
  r.kind = ResourceKind::kCodeSystem;
  r.url = std::string(url);
  r.version = std::move(version);
  r.name = std::move(name);
  r.title = std::move(title);
  r.origin = std::move(origin);
  return r;
}

void AddParent(ConceptRec* c, const std::string& parent) {
  if (parent.empty() || parent == c->code) return;
  if (std::find(c->parents.begin(), c->parents.end(), parent) != c->parents.end()) return;
  c->parents.push_back(parent);
  c->properties.push_back({"parent", "Code", parent});
}

// ---- LOINC ---------------------------------------------------------------------------------------

// Loinc.csv is read twice: a first pass checks every row and finds the codes and the version (the highest
// VersionLastChanged, part of every key), the hierarchy and part-link files are then read into per-code
// extras (parents, Coding properties; the hierarchy's own nodes), and a second pass converts each row and
// writes it to the sink at once, so the table's concepts are never held as parsed records (only its text,
// the codes and the extras).
Status LoadLoinc(const std::vector<std::pair<std::string, ReleaseFormat>>& files, ImportSink* sink,
                 std::vector<Resource>* out) {
  std::string table_path;
  for (const auto& [path, f] : files) {
    if (f == ReleaseFormat::kLoincTable) {
      if (!table_path.empty()) return InvalidArgument(fmt::format("{}: a second LOINC table in one import", path));
      table_path = path;
    }
  }
  if (table_path.empty()) {
    return InvalidArgument(fmt::format("{}: a LOINC hierarchy or part-link file needs Loinc.csv in the same import",
                                       files.front().first));
  }
  CsvTable t;
  CW_RETURN_IF_ERROR(t.Open(table_path));
  CW_ASSIGN_OR_RETURN(size_t c_num, t.Col("LOINC_NUM"));
  CW_ASSIGN_OR_RETURN(size_t c_name, t.Col("LONG_COMMON_NAME"));
  CW_ASSIGN_OR_RETURN(size_t c_status, t.Col("STATUS"));
  auto c_version = t.OptCol("VersionLastChanged");
  auto c_short = t.OptCol("SHORTNAME");
  auto c_consumer = t.OptCol("CONSUMER_NAME");
  std::vector<std::pair<std::string, size_t>> props;
  for (const char* p : {"COMPONENT", "PROPERTY", "TIME_ASPCT", "SYSTEM", "SCALE_TYP", "METHOD_TYP", "CLASS",
                        "CLASSTYPE", "ORDER_OBS", "STATUS", "VersionFirstReleased", "VersionLastChanged"}) {
    if (auto c = t.OptCol(p)) props.emplace_back(p, *c);
  }
  // Pass 1: codes and version.
  std::unordered_set<std::string> table_codes;
  std::string version;
  CW_RETURN_IF_ERROR(t.ForEachRow([&](uint64_t line, const std::vector<std::string>& f) -> Status {
    if (f[c_num].empty()) return ParseError(fmt::format("{}:{}: empty LOINC_NUM", table_path, line));
    if (!table_codes.insert(f[c_num]).second) {
      return ParseError(fmt::format("{}:{}: duplicate LOINC_NUM", table_path, line));
    }
    if (c_version && CompareVersions(f[*c_version], version) > 0) version = f[*c_version];
    return Status::Ok();
  }));
  // Extras per code, in file order: parents and properties from the hierarchy and part-link files; the
  // hierarchy's nodes that are not in the table (parts, classes) become concepts of their own.
  std::unordered_map<std::string, ConceptRec> extras;
  std::vector<std::string> nodes;  // hierarchy-only codes, in order of first appearance
  auto known = [&](const std::string& code) { return table_codes.count(code) != 0 || extras.count(code) != 0; };
  std::unordered_set<std::string> node_codes;
  for (const auto& [path, f] : files) {
    if (f == ReleaseFormat::kLoincHierarchy) {
      CsvTable h;
      CW_RETURN_IF_ERROR(h.Open(path));
      CW_ASSIGN_OR_RETURN(size_t c_parent, h.Col("IMMEDIATE_PARENT"));
      CW_ASSIGN_OR_RETURN(size_t c_code, h.Col("CODE"));
      CW_ASSIGN_OR_RETURN(size_t c_text, h.Col("CODE_TEXT"));
      CW_RETURN_IF_ERROR(h.ForEachRow([&](uint64_t line, const std::vector<std::string>& r) -> Status {
        const std::string& code = r[c_code];
        if (code.empty()) return ParseError(fmt::format("{}:{}: empty CODE", path, line));
        if (table_codes.count(code) == 0 && node_codes.insert(code).second) {
          ConceptRec& c = extras[code];
          c.code = code;
          c.display = r[c_text];
          c.status = "active";
          nodes.push_back(code);
        }
        ConceptRec& e = extras[code];
        e.code = code;  // AddParent skips a parent equal to the code
        AddParent(&e, r[c_parent]);
        return Status::Ok();
      }));
    } else if (f == ReleaseFormat::kLoincPartLink) {
      CsvTable l;
      CW_RETURN_IF_ERROR(l.Open(path));
      CW_ASSIGN_OR_RETURN(size_t c_num2, l.Col("LoincNumber"));
      CW_ASSIGN_OR_RETURN(size_t c_part, l.Col("PartNumber"));
      CW_ASSIGN_OR_RETURN(size_t c_prop, l.Col("Property"));
      CW_RETURN_IF_ERROR(l.ForEachRow([&](uint64_t, const std::vector<std::string>& r) -> Status {
        if (!known(r[c_num2]) || r[c_part].empty()) return Status::Ok();  // a link to a code not in this table
        std::string prop = r[c_prop];
        size_t slash = prop.find_last_of('/');
        if (slash != std::string::npos) prop.erase(0, slash + 1);
        if (prop.empty()) return Status::Ok();
        extras[r[c_num2]].properties.push_back({prop, "Coding", std::string(kLoincUrl) + "|" + r[c_part]});
        return Status::Ok();
      }));
    }
  }
  sink->NoteHeld(extras.size());
  // Pass 2: each row to the sink as it is converted, with its extras.
  Resource r = NewCodeSystem(kLoincUrl, version, "LOINC", "LOINC", table_path);
  r.owner = sink->NewOwner();
  auto emit = [&](ConceptRec& c) -> Status {
    if (auto it = extras.find(c.code); it != extras.end()) {
      for (auto& p : it->second.properties) c.properties.push_back(std::move(p));
      c.parents = std::move(it->second.parents);
      extras.erase(it);
    }
    ++r.streamed_entries;
    return EmitConcept(sink, r.owner, r.url, r.version, r.case_sensitive, c, &r.streamed_hierarchy);
  };
  CW_RETURN_IF_ERROR(t.ForEachRow([&](uint64_t, const std::vector<std::string>& f) -> Status {
    ConceptRec c;
    c.code = f[c_num];
    c.display = f[c_name];
    c.status = f[c_status] == "DEPRECATED" ? "deprecated" : "active";
    for (const auto& [name, col] : props) {
      if (!f[col].empty()) c.properties.push_back({name, "String", f[col]});
    }
    if (c_short && !f[*c_short].empty()) c.designations.push_back({"en-US", "http://loinc.org", "SHORTNAME", f[*c_short]});
    if (c_consumer && !f[*c_consumer].empty()) {
      c.designations.push_back({"en-US", "http://loinc.org", "CONSUMER_NAME", f[*c_consumer]});
    }
    return emit(c);
  }));
  for (const auto& code : nodes) {
    ConceptRec c = std::move(extras[code]);
    c.code = code;  // emit() looks its extras up by code: they are in c already
    extras.erase(code);
    ++r.streamed_entries;
    CW_RETURN_IF_ERROR(EmitConcept(sink, r.owner, r.url, r.version, r.case_sensitive, c, &r.streamed_hierarchy));
  }
  out->push_back(std::move(r));
  return Status::Ok();
}

// ---- SNOMED CT RF2 ---------------------------------------------------------------------------------

// "20230131" from "..._INT_20230131.txt".
std::string ReleaseDate(const std::string& path) {
  std::string base = BaseName(path);
  size_t dot = base.rfind('.');
  std::string stem = base.substr(0, dot);
  size_t us = stem.rfind('_');
  std::string date = us == std::string::npos ? "" : stem.substr(us + 1);
  if (date.size() != 8 || !std::all_of(date.begin(), date.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "";
  }
  return date;
}

Status LoadSnomed(const std::vector<std::pair<std::string, ReleaseFormat>>& files, std::vector<Resource>* out) {
  auto the = [&](ReleaseFormat want, std::string* path) -> Status {
    for (const auto& [p, f] : files) {
      if (f != want) continue;
      if (!path->empty()) return InvalidArgument(fmt::format("{}: a second RF2 file of this kind in one import", p));
      *path = p;
    }
    return Status::Ok();
  };
  std::string concept_path, desc_path, rel_path;
  CW_RETURN_IF_ERROR(the(ReleaseFormat::kSnomedConcept, &concept_path));
  CW_RETURN_IF_ERROR(the(ReleaseFormat::kSnomedDescription, &desc_path));
  CW_RETURN_IF_ERROR(the(ReleaseFormat::kSnomedRelationship, &rel_path));
  if (concept_path.empty()) {
    return InvalidArgument(fmt::format("{}: an RF2 description, relationship or language file needs the "
                                       "sct2_Concept_Snapshot file in the same import", files.front().first));
  }
  auto fields = [](const std::string& path, uint64_t line, std::string_view l, size_t n,
                   std::vector<std::string_view>* f) -> Status {
    *f = SplitTabs(l);
    if (f->size() != n) {
      return ParseError(fmt::format("{}:{}: {} tab-separated fields, RF2 has {} here", path, line, f->size(), n));
    }
    return Status::Ok();
  };

  std::vector<ConceptRec> concepts;
  std::unordered_map<std::string, size_t> at;
  std::string latest;
  std::vector<std::string_view> f;
  if (Status read = ForEachLine(concept_path, [&](uint64_t line, std::string_view l) -> Status {
    if (line == 1 || l.empty()) return Status::Ok();
    CW_RETURN_IF_ERROR(fields(concept_path, line, l, 5, &f));  // id effectiveTime active moduleId definitionStatusId
    if (f[2] != "1") return Status::Ok();
    ConceptRec c;
    c.code = std::string(f[0]);
    if (c.code.empty()) return ParseError(fmt::format("{}:{}: empty concept id", concept_path, line));
    if (!at.emplace(c.code, concepts.size()).second) {
      return ParseError(fmt::format("{}:{}: concept id given twice in a snapshot", concept_path, line));
    }
    c.status = "active";
    c.properties.push_back({"moduleId", "Code", std::string(f[3])});
    c.properties.push_back({"sufficientlyDefined", "Boolean", f[4] == kSctDefined ? "true" : "false"});
    if (std::string(f[1]) > latest) latest = std::string(f[1]);
    concepts.push_back(std::move(c));
    return Status::Ok();
  });
        !read.ok()) {
      return read;
    }

  // Descriptions: FSN and synonyms as designations; the display is the preferred synonym of the language
  // reference set when one is given (US English first), else the FSN.
  struct DescRef {
    size_t concept_index;
    size_t designation;
  };
  std::vector<std::string> language_paths;
  for (const auto& [p, fm] : files) {
    if (fm == ReleaseFormat::kSnomedLanguage) language_paths.push_back(p);
  }
  std::unordered_map<std::string, DescRef> desc_at;  // only with a language reference set
  if (!desc_path.empty()) {
    if (Status read = ForEachLine(desc_path, [&](uint64_t line, std::string_view l) -> Status {
      if (line == 1 || l.empty()) return Status::Ok();
      // id effectiveTime active moduleId conceptId languageCode typeId term caseSignificanceId
      CW_RETURN_IF_ERROR(fields(desc_path, line, l, 9, &f));
      if (f[2] != "1") return Status::Ok();
      auto it = at.find(std::string(f[4]));
      if (it == at.end()) return Status::Ok();  // a description of an inactive concept
      ConceptRec& c = concepts[it->second];
      bool fsn = f[6] == kSctFsn;
      if (!fsn && f[6] != kSctSynonym) return Status::Ok();  // definitions and other types
      if (!language_paths.empty()) desc_at.emplace(std::string(f[0]), DescRef{it->second, c.designations.size()});
      c.designations.push_back({std::string(f[5]), std::string(kSnomedUrl), std::string(f[6]), std::string(f[7])});
      if (fsn && c.display.empty()) c.display = std::string(f[7]);
      return Status::Ok();
    });
        !read.ok()) {
      return read;
    }
  }
  if (!language_paths.empty()) {
    // refset rank of the display chosen so far per concept: 2 = US English preferred, 1 = other preferred.
    std::vector<uint8_t> rank(concepts.size(), 0);
    for (const auto& path : language_paths) {
      if (Status read = ForEachLine(path, [&](uint64_t line, std::string_view l) -> Status {
        if (line == 1 || l.empty()) return Status::Ok();
        // id effectiveTime active moduleId refsetId referencedComponentId acceptabilityId
        CW_RETURN_IF_ERROR(fields(path, line, l, 7, &f));
        if (f[2] != "1" || f[6] != kSctPreferred) return Status::Ok();
        auto it = desc_at.find(std::string(f[5]));
        if (it == desc_at.end()) return Status::Ok();
        ConceptRec& c = concepts[it->second.concept_index];
        const DesignationRec& d = c.designations[it->second.designation];
        if (d.use_code != kSctSynonym) return Status::Ok();
        uint8_t r = f[4] == kSctUsEnglish ? 2 : 1;
        if (r > rank[it->second.concept_index]) {
          rank[it->second.concept_index] = r;
          c.display = d.value;
        }
        return Status::Ok();
      });
        !read.ok()) {
      return read;
    }
    }
  }
  if (!rel_path.empty()) {
    if (Status read = ForEachLine(rel_path, [&](uint64_t line, std::string_view l) -> Status {
      if (line == 1 || l.empty()) return Status::Ok();
      // id effectiveTime active moduleId sourceId destinationId relationshipGroup typeId characteristicTypeId modifierId
      CW_RETURN_IF_ERROR(fields(rel_path, line, l, 10, &f));
      if (f[2] != "1" || f[7] != kSctIsA) return Status::Ok();
      auto child = at.find(std::string(f[4]));
      if (child == at.end() || at.find(std::string(f[5])) == at.end()) return Status::Ok();  // inactive end
      AddParent(&concepts[child->second], std::string(f[5]));
      return Status::Ok();
    });
        !read.ok()) {
      return read;
    }
  }
  std::string date = ReleaseDate(concept_path);
  std::string version = date.empty() ? latest : date;
  Resource r = NewCodeSystem(kSnomedUrl, version, "SNOMED_CT", "SNOMED CT", concept_path);
  r.concepts = std::move(concepts);
  out->push_back(std::move(r));
  return Status::Ok();
}

// ---- ICD-10-CM order file ------------------------------------------------------------------------

// Columns (1-based): 1-5 order number, 7-13 code (no dot), 15 header flag (0 = a header, not valid for
// HIPAA-covered transactions; 1 = valid), 17-76 short description, 78- long description.
// Two passes: the first checks every line and collects the codes (a parent is the longest shorter code
// in the file, wherever it is), the second converts each line and writes it to the sink at once.
Status LoadIcd10CmOrder(const std::string& path, ImportSink* sink, std::vector<Resource>* out) {
  std::unordered_set<std::string> codes;
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return s;
  };
  // Checks one line; *code gets its dotted code (empty for a blank line).
  auto check = [&](uint64_t line, std::string_view l, std::string* code) -> Status {
    code->clear();
    if (trim(l).empty()) return Status::Ok();
    auto bad = [&](std::string_view what) {
      return ParseError(fmt::format("{}:{}: not an ICD-10-CM order-file line ({})", path, line, what));
    };
    if (l.size() < 17) return bad("shorter than 17 characters");
    std::string_view order = l.substr(0, 5), raw = trim(l.substr(6, 7));
    if (!std::all_of(order.begin(), order.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("columns 1-5 are not an order number");
    }
    if (l[5] != ' ' || l[13] != ' ' || l[15] != ' ') return bad("no blank at column 6, 14 or 16");
    if (raw.size() < 3 || !std::all_of(raw.begin(), raw.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
      return bad("columns 7-13 are not a code");
    }
    if (l[14] != '0' && l[14] != '1') return bad("column 15 is not 0 or 1");
    code->assign(raw.substr(0, 3));
    if (raw.size() > 3) {
      code->push_back('.');
      code->append(raw.substr(3));
    }
    return Status::Ok();
  };
  std::string code;
  auto collect = [&](uint64_t line, std::string_view l) -> Status {
    CW_RETURN_IF_ERROR(check(line, l, &code));
    if (!code.empty() && !codes.insert(code).second) {
      return ParseError(fmt::format("{}:{}: not an ICD-10-CM order-file line (the code is given twice)", path, line));
    }
    return Status::Ok();
  };
  CW_RETURN_IF_ERROR(ForEachLine(path, collect));
  // The fiscal year from the name: icd10cm_order_2024.txt -> "2024" (else no version).
  std::string stem = BaseName(path);
  stem = stem.substr(0, stem.rfind('.'));
  std::string version = stem.substr(stem.rfind('_') + 1);
  bool year = version.size() == 4 && std::all_of(version.begin(), version.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  Resource r = NewCodeSystem(kIcd10CmUrl, year ? version : "", "ICD10CM", "ICD-10-CM", path);
  r.owner = sink->NewOwner();
  auto convert = [&](uint64_t line, std::string_view l) -> Status {
    CW_RETURN_IF_ERROR(check(line, l, &code));
    if (code.empty()) return Status::Ok();
    ConceptRec c;
    c.code = code;
    std::string_view shortd = trim(l.substr(16, 60));
    std::string_view longd = l.size() > 77 ? trim(l.substr(77)) : shortd;
    c.display = std::string(longd);
    c.status = "active";
    c.designations.push_back({"en", "", "short", std::string(shortd)});
    c.properties.push_back({"header", "Boolean", l[14] == '0' ? "true" : "false"});
    // Parent: the longest shorter code that is in the file (A00.01 -> A00.0 -> A00; a dot is never last).
    std::string p = c.code;
    while (p.size() > 3) {
      p.pop_back();
      if (p.back() == '.') p.pop_back();
      if (codes.count(p) != 0) {
        AddParent(&c, p);
        break;
      }
    }
    ++r.streamed_entries;
    return EmitConcept(sink, r.owner, r.url, r.version, r.case_sensitive, c, &r.streamed_hierarchy);
  };
  CW_RETURN_IF_ERROR(ForEachLine(path, convert));
  out->push_back(std::move(r));
  return Status::Ok();
}

}  // namespace

ReleaseFormat DetectReleaseFormat(const std::string& path) {
  std::string base = Lower(BaseName(path));
  auto ends = [&](std::string_view s) { return base.size() >= s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0; };
  if (ends(".csv")) {
    std::string head = FirstLine(path);
    auto first = head.substr(0, head.find(','));
    first.erase(std::remove(first.begin(), first.end(), '"'), first.end());
    if (first == "LOINC_NUM") return ReleaseFormat::kLoincTable;
    if (first == "PATH_TO_ROOT") return ReleaseFormat::kLoincHierarchy;
    if (first == "LoincNumber" && head.find("PartNumber") != std::string::npos) return ReleaseFormat::kLoincPartLink;
    return ReleaseFormat::kNone;
  }
  if (ends(".txt")) {
    if (StartsWithI(base, "icd10cm_order")) return ReleaseFormat::kIcd10CmOrder;
    std::string head = FirstLine(path);
    if (StartsWithI(base, "sct2_concept_") && head.rfind("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId", 0) == 0) {
      return ReleaseFormat::kSnomedConcept;
    }
    if (StartsWithI(base, "sct2_description_") && head.rfind("id\teffectiveTime\tactive\tmoduleId\tconceptId", 0) == 0) {
      return ReleaseFormat::kSnomedDescription;
    }
    if (StartsWithI(base, "sct2_relationship_") && head.rfind("id\teffectiveTime\tactive\tmoduleId\tsourceId", 0) == 0) {
      return ReleaseFormat::kSnomedRelationship;
    }
    if (StartsWithI(base, "der2_crefset_language") && head.rfind("id\teffectiveTime\tactive\tmoduleId\trefsetId", 0) == 0) {
      return ReleaseFormat::kSnomedLanguage;
    }
  }
  return ReleaseFormat::kNone;
}

Status ParseReleaseFiles(const std::vector<std::pair<std::string, ReleaseFormat>>& files, ImportSink* sink,
                         std::vector<Resource>* out) {
  std::vector<std::pair<std::string, ReleaseFormat>> loinc, snomed;
  for (const auto& [path, f] : files) {
    switch (f) {
      case ReleaseFormat::kLoincTable:
      case ReleaseFormat::kLoincHierarchy:
      case ReleaseFormat::kLoincPartLink:
        loinc.emplace_back(path, f);
        break;
      case ReleaseFormat::kSnomedConcept:
      case ReleaseFormat::kSnomedDescription:
      case ReleaseFormat::kSnomedRelationship:
      case ReleaseFormat::kSnomedLanguage:
        snomed.emplace_back(path, f);
        break;
      case ReleaseFormat::kIcd10CmOrder:
        CW_RETURN_IF_ERROR(LoadIcd10CmOrder(path, sink, out));
        break;
      case ReleaseFormat::kNone:
        break;
    }
  }
  if (!loinc.empty()) CW_RETURN_IF_ERROR(LoadLoinc(loinc, sink, out));
  if (!snomed.empty()) CW_RETURN_IF_ERROR(LoadSnomed(snomed, out));
  return Status::Ok();
}

}  // namespace crosswalk::term
