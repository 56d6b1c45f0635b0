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
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "term/external_sort.h"
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

// A CSV table with a header row, read in chunks: only the records not yet handed out and one chunk are in
// memory, whatever the file's size. Records may span chunks (quoted line breaks): a chunk is parsed up to
// its last record boundary (a line break outside quotes), tracked with the quote parity. UTF-8 and NUL
// bytes are checked over each region as it becomes complete (a boundary is never inside a character).
class CsvTable {
 public:
  std::string path;

  Status Open(const std::string& p) {
    path = p;
    in_.open(path, std::ios::binary);
    if (!in_) return NotFound(fmt::format("{}: cannot open file", path));
    std::vector<std::string> header;
    uint64_t rec_line = 0;
    bool got = false;
    CW_RETURN_IF_ERROR(Next(&header, &rec_line, &got));
    if (!got) return ParseError(fmt::format("{}:1: empty file (expected a header row)", path));
    header_size_ = header.size();
    for (size_t i = 0; i < header.size(); ++i) index_.emplace(header[i], i);
    return Status::Ok();
  }
  Result<size_t> Col(std::string_view name) const {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) return ParseError(fmt::format("{}:1: the header has no column {}", path, name));
    return it->second;
  }
  std::optional<size_t> OptCol(std::string_view name) const {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  // fn(line, fields) per data row, once (the rows are read as they are handed out).
  template <typename Fn>
  Status ForEachRow(Fn fn) {
    std::vector<std::string> fields;
    while (true) {
      uint64_t rec_line = 0;
      bool got = false;
      CW_RETURN_IF_ERROR(Next(&fields, &rec_line, &got));
      if (!got) break;
      if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
      if (fields.size() != header_size_) {
        return ParseError(fmt::format("{}:{}: {} fields, the header has {}", path, rec_line, fields.size(),
                                      header_size_));
      }
      CW_RETURN_IF_ERROR(fn(rec_line, fields));
    }
    return Status::Ok();
  }

 private:
  static constexpr size_t kChunk = 1 << 20;

  Status Next(std::vector<std::string>* fields, uint64_t* rec_line, bool* got) {
    while (pos_ >= complete_ && !eof_) CW_RETURN_IF_ERROR(Fill());
    return CsvNextRecord(std::string_view(buf_.data(), complete_), &pos_, &line_, path, fields, rec_line, got);
  }

  // Drops what was handed out, reads a chunk and moves `complete_` to the last record boundary.
  Status Fill() {
    buf_.erase(0, pos_);
    complete_ -= pos_;
    scanned_ -= pos_;
    pos_ = 0;
    size_t old = buf_.size();
    buf_.resize(old + kChunk);
    in_.read(buf_.data() + old, static_cast<std::streamsize>(kChunk));
    buf_.resize(old + static_cast<size_t>(in_.gcount()));
    if (in_.bad()) return IoError(fmt::format("{}: read error", path));
    if (buf_.size() == old) eof_ = true;
    if (first_chunk_ && buf_.compare(0, 3, "\xEF\xBB\xBF") == 0) buf_.erase(0, 3);
    first_chunk_ = false;
    size_t boundary = complete_;
    for (size_t i = scanned_; i < buf_.size(); ++i) {
      char c = buf_[i];
      if (c == '"') {
        quoted_ = !quoted_;
      } else if (!quoted_ && c == '\n') {
        boundary = i + 1;
      } else if (!quoted_ && c == '\r' && i + 1 < buf_.size() && buf_[i + 1] != '\n') {
        boundary = i + 1;
      }
    }
    // A '\r' last in the buffer is left for the next chunk (it may be the first half of "\r\n").
    scanned_ = buf_.size();
    if (!buf_.empty() && buf_.back() == '\r' && !quoted_ && !eof_) scanned_ = buf_.size() - 1;
    if (eof_) boundary = buf_.size();
    CW_RETURN_IF_ERROR(Check(complete_, boundary));
    complete_ = boundary;
    return Status::Ok();
  }

  Status Check(size_t from, size_t to) {
    std::string_view region(buf_.data() + from, to - from);
    size_t nul = region.find('\0');
    size_t bad = CsvInvalidUtf8At(region);
    size_t at = std::min(nul, bad);
    if (at != std::string_view::npos) {
      uint64_t line = checked_lines_ + static_cast<uint64_t>(std::count(region.begin(), region.begin() + static_cast<long>(at), '\n'));
      return ParseError(fmt::format("{}:{}: {}", path, line, at == nul ? "NUL byte" : "invalid UTF-8"));
    }
    checked_lines_ += static_cast<uint64_t>(std::count(region.begin(), region.end(), '\n'));
    return Status::Ok();
  }

  std::ifstream in_;
  std::string buf_;
  size_t pos_ = 0;       // next record to parse
  size_t complete_ = 0;  // end of the last complete record in buf_
  size_t scanned_ = 0;   // quote parity known up to here
  bool quoted_ = false;  // parity at scanned_
  bool eof_ = false;
  bool first_chunk_ = true;
  uint64_t line_ = 1;
  uint64_t checked_lines_ = 1;
  size_t header_size_ = 0;
  std::map<std::string, size_t> index_;
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

// ---- Joins in bounded memory -------------------------------------------------------------------

// A release's files are joined by code through an external sort (ExternalSorter): each row becomes a
// record keyed by its code and a tag, so that the merge hands out one code's rows together, the table
// row first and the other files' rows in file order; the joined concept goes to the sink at once.
Result<std::unique_ptr<ExternalSorter>> NewSorter(ImportSink* sink, std::string name, size_t budget) {
  CW_ASSIGN_OR_RETURN(std::string dir, sink->ScratchDir());
  return std::make_unique<ExternalSorter>(std::move(dir), std::move(name), budget);
}

// Calls fn(code key, records) once per key prefix, where a record's key is `prefix + tag` (tag: one byte).
template <typename Fn>
Status ForEachGroup(ExternalSorter* sorter, Fn fn) {
  CW_RETURN_IF_ERROR(sorter->Sort());
  std::string group;
  std::vector<std::pair<char, std::string>> rows;  // (tag, value) of the current group
  bool got = false;
  std::string_view key, value;
  while (true) {
    CW_RETURN_IF_ERROR(sorter->Next(&got, &key, &value));
    std::string_view prefix = got ? key.substr(0, key.size() - 1) : std::string_view();
    if (!rows.empty() && (!got || prefix != group)) {
      CW_RETURN_IF_ERROR(fn(std::string_view(group), rows));
      rows.clear();
    }
    if (!got) break;
    if (rows.empty()) group.assign(prefix);
    rows.emplace_back(key.back(), std::string(value));
  }
  return Status::Ok();
}

// A ConceptRec's fields other than the code (the join key), for a sort record.
void EncodeRec(const ConceptRec& c, Encoder* e) {
  e->Str(c.display);
  e->Str(c.status);
  e->U64(c.designations.size());
  for (const auto& d : c.designations) {
    e->Str(d.language);
    e->Str(d.use_system);
    e->Str(d.use_code);
    e->Str(d.value);
  }
  e->U64(c.properties.size());
  for (const auto& p : c.properties) {
    e->Str(p.code);
    e->Str(p.type);
    e->Str(p.value);
  }
}

bool DecodeRec(Decoder* d, ConceptRec* c) {
  std::string_view a, b, x, y;
  uint64_t n = 0;
  if (!d->Str(&a) || !d->Str(&b) || !d->U64(&n)) return false;
  c->display.assign(a);
  c->status.assign(b);
  for (uint64_t i = 0; i < n; ++i) {
    if (!d->Str(&a) || !d->Str(&b) || !d->Str(&x) || !d->Str(&y)) return false;
    c->designations.push_back({std::string(a), std::string(b), std::string(x), std::string(y)});
  }
  if (!d->U64(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (!d->Str(&a) || !d->Str(&b) || !d->Str(&x)) return false;
    c->properties.push_back({std::string(a), std::string(b), std::string(x)});
  }
  return true;
}

Status Corrupt() { return Internal("release import: a sort record does not decode"); }

// ---- LOINC ---------------------------------------------------------------------------------------

// Loinc.csv, the hierarchy files and the part-link files are each read once, in chunks; every row becomes
// a sort record keyed by its code ('a': a Loinc.csv row, 'b': a hierarchy row or a part link, in file
// order). The merge joins them per code and writes each concept to the sink: a table row with its parents
// and part links, or a hierarchy node that is not in the table (a part or a class). The version (the
// highest VersionLastChanged, part of every key) is known once the table is read, before the merge.
Status LoadLoinc(const std::vector<std::pair<std::string, ReleaseFormat>>& files, ImportSink* sink,
                 size_t sort_bytes, std::vector<Resource>* out) {
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
  CW_ASSIGN_OR_RETURN(auto sorter, NewSorter(sink, "loinc", sort_bytes));
  std::string key;
  auto add = [&](const std::string& code, char tag, const std::string& value) {
    key.assign(code);
    key.push_back('\0');  // codes hold no NUL (checked): one code's records sort together
    key.push_back(tag);
    return sorter->Add(key, value);
  };
  std::string version;
  CW_RETURN_IF_ERROR(t.ForEachRow([&](uint64_t line, const std::vector<std::string>& f) -> Status {
    if (f[c_num].empty()) return ParseError(fmt::format("{}:{}: empty LOINC_NUM", table_path, line));
    if (c_version && CompareVersions(f[*c_version], version) > 0) version = f[*c_version];
    ConceptRec c;
    c.display = f[c_name];
    c.status = f[c_status] == "DEPRECATED" ? "deprecated" : "active";
    for (const auto& [name, col] : props) {
      if (!f[col].empty()) c.properties.push_back({name, "String", f[col]});
    }
    if (c_short && !f[*c_short].empty()) c.designations.push_back({"en-US", "http://loinc.org", "SHORTNAME", f[*c_short]});
    if (c_consumer && !f[*c_consumer].empty()) {
      c.designations.push_back({"en-US", "http://loinc.org", "CONSUMER_NAME", f[*c_consumer]});
    }
    Encoder e;
    e.U64(line);
    EncodeRec(c, &e);
    return add(f[c_num], 'a', e.out());
  }));
  for (const auto& [path, f] : files) {
    if (f == ReleaseFormat::kLoincHierarchy) {
      CsvTable h;
      CW_RETURN_IF_ERROR(h.Open(path));
      CW_ASSIGN_OR_RETURN(size_t c_parent, h.Col("IMMEDIATE_PARENT"));
      CW_ASSIGN_OR_RETURN(size_t c_code, h.Col("CODE"));
      CW_ASSIGN_OR_RETURN(size_t c_text, h.Col("CODE_TEXT"));
      CW_RETURN_IF_ERROR(h.ForEachRow([&](uint64_t line, const std::vector<std::string>& r) -> Status {
        if (r[c_code].empty()) return ParseError(fmt::format("{}:{}: empty CODE", path, line));
        Encoder e;
        e.Str("h");
        e.Str(r[c_parent]);
        e.Str(r[c_text]);
        return add(r[c_code], 'b', e.out());
      }));
    } else if (f == ReleaseFormat::kLoincPartLink) {
      CsvTable l;
      CW_RETURN_IF_ERROR(l.Open(path));
      CW_ASSIGN_OR_RETURN(size_t c_num2, l.Col("LoincNumber"));
      CW_ASSIGN_OR_RETURN(size_t c_part, l.Col("PartNumber"));
      CW_ASSIGN_OR_RETURN(size_t c_prop, l.Col("Property"));
      CW_RETURN_IF_ERROR(l.ForEachRow([&](uint64_t, const std::vector<std::string>& r) -> Status {
        if (r[c_num2].empty() || r[c_part].empty()) return Status::Ok();
        std::string prop = r[c_prop];
        size_t slash = prop.find_last_of('/');
        if (slash != std::string::npos) prop.erase(0, slash + 1);
        if (prop.empty()) return Status::Ok();
        Encoder e;
        e.Str("p");
        e.Str(prop);
        e.Str(std::string(kLoincUrl) + "|" + r[c_part]);
        return add(r[c_num2], 'b', e.out());
      }));
    }
  }
  Resource r = NewCodeSystem(kLoincUrl, version, "LOINC", "LOINC", table_path);
  r.owner = sink->NewOwner();
  CW_RETURN_IF_ERROR(ForEachGroup(sorter.get(), [&](std::string_view code, const auto& rows) -> Status {
    ConceptRec c;
    c.code = std::string(code.substr(0, code.size() - 1));  // without the NUL that ends it in the key
    bool table = false, node = false;
    for (const auto& [tag, value] : rows) {
      Decoder d(value);
      if (tag == 'a') {
        uint64_t line = 0;
        if (!d.U64(&line)) return Corrupt();
        if (table) return ParseError(fmt::format("{}:{}: duplicate LOINC_NUM", table_path, line));
        if (!DecodeRec(&d, &c)) return Corrupt();
        table = true;
        continue;
      }
      std::string_view kind, a, b;
      if (!d.Str(&kind) || !d.Str(&a) || !d.Str(&b)) return Corrupt();
      if (kind == "h") {
        if (!table && !node) {  // a hierarchy node of its own: its first row names it
          node = true;
          c.display.assign(b);
          c.status = "active";
        }
        AddParent(&c, std::string(a));
      } else {
        c.properties.push_back({std::string(a), "Coding", std::string(b)});
      }
    }
    if (!table && !node) return Status::Ok();  // part links of a code that is in neither file
    ++r.streamed_entries;
    return EmitConcept(sink, r.owner, r.url, r.version, r.case_sensitive, c, &r.streamed_hierarchy);
  }));
  sink->NoteSortBytes(sorter->peak_bytes());
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

// An SCTID: 1 to 18 digits without a leading zero (so the number gives back the same text).
std::optional<uint64_t> ParseSctId(std::string_view s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// Sort key of a concept's record: the id big-endian (numeric order), then the tag.
std::string SctKey(uint64_t id, char tag) {
  std::string k(9, '\0');
  for (int i = 0; i < 8; ++i) k[static_cast<size_t>(i)] = static_cast<char>(id >> (56 - 8 * i));
  k[8] = tag;
  return k;
}

// The files are read once each, in this order: the language reference sets (the preferred descriptions:
// id, rank and row number, 16 bytes each), the concept file (the active ids, 8 bytes each, and a sort
// record per concept), the description file and the relationship file (a sort record per active FSN or
// synonym and per active is-a between active concepts). The merge joins them per concept id (tag 0 the
// concept, 1 its descriptions, 2 its parents, each in file order) and writes each concept to the sink.
// The display is the preferred synonym of the highest-ranked language reference set (US English first,
// then the first file's row), else the first FSN.
Status LoadSnomed(const std::vector<std::pair<std::string, ReleaseFormat>>& files, ImportSink* sink,
                  size_t sort_bytes, std::vector<Resource>* out) {
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
  std::vector<std::string_view> f;

  // Preferred descriptions: rank 2 = US English, 1 = another language reference set; the first row wins
  // among equal ranks.
  struct Preferred {
    uint64_t id;
    uint64_t row;
    uint8_t rank;
  };
  std::vector<Preferred> preferred;
  uint64_t row = 0;
  for (const auto& [path, fm] : files) {
    if (fm != ReleaseFormat::kSnomedLanguage) continue;
    auto language_row = [&](uint64_t line, std::string_view l) -> Status {
      if (line == 1 || l.empty()) return Status::Ok();
      // id effectiveTime active moduleId refsetId referencedComponentId acceptabilityId
      CW_RETURN_IF_ERROR(fields(path, line, l, 7, &f));
      ++row;
      if (f[2] != "1" || f[6] != kSctPreferred) return Status::Ok();
      auto id = ParseSctId(f[5]);
      if (!id) return Status::Ok();  // not a description id: refers to nothing of this release
      preferred.push_back({*id, row, static_cast<uint8_t>(f[4] == kSctUsEnglish ? 2 : 1)});
      return Status::Ok();
    };
    CW_RETURN_IF_ERROR(ForEachLine(path, language_row));
  }
  std::sort(preferred.begin(), preferred.end(), [](const Preferred& a, const Preferred& b) {
    if (a.id != b.id) return a.id < b.id;
    return a.rank != b.rank ? a.rank > b.rank : a.row < b.row;
  });
  preferred.erase(std::unique(preferred.begin(), preferred.end(),
                              [](const Preferred& a, const Preferred& b) { return a.id == b.id; }),
                  preferred.end());
  preferred.shrink_to_fit();

  CW_ASSIGN_OR_RETURN(auto sorter, NewSorter(sink, "rf2", sort_bytes));
  std::vector<std::pair<uint64_t, uint64_t>> seen;  // (id, line) of the active concepts
  std::string latest;
  auto concept_row = [&](uint64_t line, std::string_view l) -> Status {
    if (line == 1 || l.empty()) return Status::Ok();
    CW_RETURN_IF_ERROR(fields(concept_path, line, l, 5, &f));  // id effectiveTime active moduleId definitionStatusId
    if (f[2] != "1") return Status::Ok();
    if (f[0].empty()) return ParseError(fmt::format("{}:{}: empty concept id", concept_path, line));
    auto id = ParseSctId(f[0]);
    if (!id) {
      return ParseError(fmt::format("{}:{}: the concept id is not an SCTID (1 to 18 digits, no leading zero)",
                                    concept_path, line));
    }
    seen.emplace_back(*id, line);
    if (f[1] > latest) latest = std::string(f[1]);
    Encoder e;
    e.Str(f[3]);
    e.Str(f[4] == kSctDefined ? "true" : "false");
    return sorter->Add(SctKey(*id, 0), e.out());
  };
  CW_RETURN_IF_ERROR(ForEachLine(concept_path, concept_row));
  std::sort(seen.begin(), seen.end());
  uint64_t dup_line = 0;
  for (size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].first == seen[i - 1].first && (dup_line == 0 || seen[i].second < dup_line)) dup_line = seen[i].second;
  }
  if (dup_line != 0) {
    return ParseError(fmt::format("{}:{}: concept id given twice in a snapshot", concept_path, dup_line));
  }
  std::vector<uint64_t> active(seen.size());
  for (size_t i = 0; i < seen.size(); ++i) active[i] = seen[i].first;
  std::vector<std::pair<uint64_t, uint64_t>>().swap(seen);
  auto is_active = [&](std::string_view s) -> std::optional<uint64_t> {
    auto id = ParseSctId(s);
    if (!id || !std::binary_search(active.begin(), active.end(), *id)) return std::nullopt;
    return id;
  };

  // Descriptions: FSN and synonyms as designations (of active concepts; definitions and other types are
  // left out).
  if (!desc_path.empty()) {
    auto description_row = [&](uint64_t line, std::string_view l) -> Status {
      if (line == 1 || l.empty()) return Status::Ok();
      // id effectiveTime active moduleId conceptId languageCode typeId term caseSignificanceId
      CW_RETURN_IF_ERROR(fields(desc_path, line, l, 9, &f));
      if (f[2] != "1") return Status::Ok();
      auto concept_id = is_active(f[4]);
      if (!concept_id) return Status::Ok();  // a description of an inactive concept
      if (f[6] != kSctFsn && f[6] != kSctSynonym) return Status::Ok();
      uint8_t rank = 0;
      uint64_t pref_row = 0;
      if (auto id = ParseSctId(f[0]); id && f[6] == kSctSynonym) {
        auto it = std::lower_bound(preferred.begin(), preferred.end(), *id,
                                   [](const Preferred& p, uint64_t v) { return p.id < v; });
        if (it != preferred.end() && it->id == *id) {
          rank = it->rank;
          pref_row = it->row;
        }
      }
      Encoder e;
      e.Str(f[5]);
      e.Str(f[6]);
      e.Str(f[7]);
      e.U64(rank);
      e.U64(pref_row);
      return sorter->Add(SctKey(*concept_id, 1), e.out());
    };
    CW_RETURN_IF_ERROR(ForEachLine(desc_path, description_row));
  }
  if (!rel_path.empty()) {
    auto relationship_row = [&](uint64_t line, std::string_view l) -> Status {
      if (line == 1 || l.empty()) return Status::Ok();
      // id effectiveTime active moduleId sourceId destinationId relationshipGroup typeId characteristicTypeId modifierId
      CW_RETURN_IF_ERROR(fields(rel_path, line, l, 10, &f));
      if (f[2] != "1" || f[7] != kSctIsA) return Status::Ok();
      auto child = is_active(f[4]);
      if (!child || !is_active(f[5])) return Status::Ok();  // an inactive end
      return sorter->Add(SctKey(*child, 2), f[5]);
    };
    CW_RETURN_IF_ERROR(ForEachLine(rel_path, relationship_row));
  }
  std::vector<Preferred>().swap(preferred);
  std::vector<uint64_t>().swap(active);

  std::string date = ReleaseDate(concept_path);
  Resource r = NewCodeSystem(kSnomedUrl, date.empty() ? latest : date, "SNOMED_CT", "SNOMED CT", concept_path);
  r.owner = sink->NewOwner();
  CW_RETURN_IF_ERROR(ForEachGroup(sorter.get(), [&](std::string_view key, const auto& rows) -> Status {
    uint64_t id = 0;
    for (char ch : key) id = (id << 8) | static_cast<uint8_t>(ch);
    ConceptRec c;
    c.code = std::to_string(id);
    c.status = "active";
    uint64_t best_rank = 0, best_row = 0;
    for (const auto& [tag, value] : rows) {
      Decoder d(value);
      std::string_view a, b, term;
      if (tag == 0) {
        if (!d.Str(&a) || !d.Str(&b)) return Corrupt();
        c.properties.push_back({"moduleId", "Code", std::string(a)});
        c.properties.push_back({"sufficientlyDefined", "Boolean", std::string(b)});
      } else if (tag == 1) {
        uint64_t rank = 0, pref_row = 0;
        if (!d.Str(&a) || !d.Str(&b) || !d.Str(&term) || !d.U64(&rank) || !d.U64(&pref_row)) return Corrupt();
        c.designations.push_back({std::string(a), std::string(kSnomedUrl), std::string(b), std::string(term)});
        if (rank > best_rank || (rank != 0 && rank == best_rank && pref_row < best_row)) {
          best_rank = rank;
          best_row = pref_row;
          c.display.assign(term);
        } else if (best_rank == 0 && b == kSctFsn && c.display.empty()) {
          c.display.assign(term);
        }
      } else {
        AddParent(&c, std::string(value));
      }
    }
    ++r.streamed_entries;
    return EmitConcept(sink, r.owner, r.url, r.version, r.case_sensitive, c, &r.streamed_hierarchy);
  }));
  sink->NoteSortBytes(sorter->peak_bytes());
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
                         size_t sort_bytes, std::vector<Resource>* out) {
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
  if (!loinc.empty()) CW_RETURN_IF_ERROR(LoadLoinc(loinc, sink, sort_bytes, out));
  if (!snomed.empty()) CW_RETURN_IF_ERROR(LoadSnomed(snomed, sink, sort_bytes, out));
  return Status::Ok();
}

}  // namespace crosswalk::term
