// CSV crosswalk tables -> ConceptMap resources.
//
// RFC 4180: comma separated, fields may be double-quoted (a quote inside is doubled, a quoted field may
// span lines). The first record is the header. Rows are grouped by (map_url, map_version) into one
// ConceptMap each; within a map, rows with the same (source_system, source_code) become one element
// whose targets keep row order. Errors name "file:line" (the line where the record starts).
#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "term/model.h"

namespace crosswalk::term {
namespace {

struct Record {
  uint64_t line = 0;
  std::vector<std::string> fields;
};

// Splits the next record off `text` at `*pos`. Returns false at the end.
Status NextRecord(std::string_view text, size_t* pos, uint64_t* line, const std::string& path, Record* rec,
                  bool* got) {
  *got = false;
  if (*pos >= text.size()) return Status::Ok();
  rec->line = *line;
  rec->fields.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  size_t i = *pos;
  while (i < text.size()) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        quoted = false;
        ++i;
        continue;
      }
      if (c == '\n') ++*line;
      field.push_back(c);
      ++i;
      continue;
    }
    if (c == '"') {
      if (!field.empty() || was_quoted) {
        return ParseError(fmt::format("{}:{}: stray '\"' inside an unquoted field", path, *line));
      }
      quoted = was_quoted = true;
      ++i;
      continue;
    }
    if (c == ',') {
      rec->fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      ++i;
      if (c == '\r' && i < text.size() && text[i] == '\n') ++i;
      ++*line;
      break;
    }
    if (was_quoted) {
      return ParseError(fmt::format("{}:{}: characters after a closing '\"'", path, *line));
    }
    field.push_back(c);
    ++i;
  }
  if (quoted) return ParseError(fmt::format("{}:{}: unterminated quoted field", path, rec->line));
  rec->fields.push_back(std::move(field));
  *pos = i;
  *got = true;
  return Status::Ok();
}

// The first invalid UTF-8 sequence in `text` (RFC 3629: no overlongs, no surrogates, at most U+10FFFF),
// or npos.
size_t InvalidUtf8At(std::string_view text) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    unsigned char c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (b[i + k] < 0x80 || b[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string DerivedCsvMapUrl(const std::string& path) {
  std::string name = path;
  size_t slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  std::string slug;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    char l = static_cast<char>(std::tolower(u));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.') {
      slug.push_back(l);
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "unnamed";
  return "urn:crosswalk:conceptmap:" + slug;
}

Status CsvColumns::Set(std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == assignment.size()) {
    return InvalidArgument(fmt::format("--column expects CANONICAL=HEADER, got '{}'", assignment));
  }
  std::string_view name = assignment.substr(0, eq);
  std::string header(assignment.substr(eq + 1));
  std::pair<std::string_view, std::string*> slots[] = {
      {"source_system", &source_system}, {"source_code", &source_code},
      {"source_display", &source_display}, {"target_system", &target_system},
      {"target_code", &target_code},     {"target_display", &target_display},
      {"equivalence", &equivalence},     {"map_url", &map_url},
      {"map_version", &map_version}};
  for (auto& [n, slot] : slots) {
    if (n == name) {
      *slot = header;
      return Status::Ok();
    }
  }
  return InvalidArgument(fmt::format(
      "--column: unknown column '{}' (one of source_system, source_code, source_display, target_system, "
      "target_code, target_display, equivalence, map_url, map_version)",
      name));
}

Status ParseCsvText(std::string_view text, const std::string& path, const ImportOptions& options,
                    std::vector<Resource>* out) {
  // Invalid UTF-8 anywhere is an error at its line and byte column, before any record is split.
  if (size_t bad = InvalidUtf8At(text); bad != std::string_view::npos) {
    size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    line_start = (line_start == std::string_view::npos || bad == 0) ? 0 : line_start + 1;
    uint64_t bad_line = 1 + static_cast<uint64_t>(std::count(text.begin(), text.begin() + line_start, '\n'));
    return ParseError(fmt::format("{}:{}:{}: invalid UTF-8", path, bad_line, bad - line_start + 1));
  }
  size_t pos = 0;
  uint64_t line = 1;
  size_t header_rows = options.csv_header_rows;
  if (header_rows < 1 || header_rows > kMaxCsvHeaderRows) {
    return InvalidArgument(fmt::format("{}: header rows must be 1 to {} (kMaxCsvHeaderRows), got {}", path,
                                       kMaxCsvHeaderRows, header_rows));
  }
  // The column names. With several header rows (spreadsheets whose first row groups the columns of the
  // second, as in "HL7 v2,,,HL7 FHIR" over "Code,Text,...,Code"), a column's name is the non-empty cells
  // above it joined with '/', each upper cell carried right over the empty cells after it (a merged cell):
  // "HL7 v2/Code", "HL7 FHIR/Code". --column may also name a column by its last-row cell alone when that
  // is unique.
  Record header;
  std::vector<std::string> names, last_row;
  std::vector<std::string> carried;
  bool got = false;
  for (size_t row = 0; row < header_rows; ++row) {
    CW_RETURN_IF_ERROR(NextRecord(text, &pos, &line, path, &header, &got));
    if (!got && row == 0) return ParseError(fmt::format("{}:1: empty CSV file (a header row is required)", path));
    if (!got) {
      return ParseError(fmt::format("{}:{}: the file ends inside its {} header row(s)", path, line, header_rows));
    }
    if (names.size() < header.fields.size()) names.resize(header.fields.size());
    if (row + 1 < header_rows) {
      std::string current;
      carried.assign(header.fields.size(), "");
      for (size_t i = 0; i < header.fields.size(); ++i) {
        std::string cell = Trim(header.fields[i]);
        if (!cell.empty()) current = cell;
        carried[i] = current;
      }
      for (size_t i = 0; i < names.size(); ++i) {
        std::string upper = i < carried.size() ? carried[i] : (carried.empty() ? "" : carried.back());
        if (upper.empty()) continue;
        names[i] = names[i].empty() ? upper : names[i] + "/" + upper;
      }
    } else {
      last_row.assign(header.fields.size(), "");
      for (size_t i = 0; i < header.fields.size(); ++i) {
        last_row[i] = Trim(header.fields[i]);
        if (last_row[i].empty()) {
          names[i].clear();  // a column without a name in the last header row cannot be selected
        } else {
          names[i] = names[i].empty() ? last_row[i] : names[i] + "/" + last_row[i];
        }
      }
      names.resize(header.fields.size());
    }
  }
  // A name given twice would make the column a name selects depend on order. Columns with an empty
  // header (trailing commas of spreadsheet exports) cannot be selected, so they may repeat.
  std::map<std::string, size_t> header_columns;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;
    auto [it, inserted] = header_columns.emplace(names[i], i);
    if (!inserted) {
      return ParseError(fmt::format("{}:{}: header of column {} repeats the header of column {}", path,
                                    header.line, i + 1, it->second + 1));
    }
  }
  const CsvColumns& cols = options.csv_columns;
  auto find = [&](const std::string& name) -> int {
    auto it = header_columns.find(name);
    if (it != header_columns.end()) return static_cast<int>(it->second);
    int found = -1;
    for (size_t i = 0; i < last_row.size(); ++i) {
      if (last_row[i] != name) continue;
      if (found >= 0) return -2;  // ambiguous
      found = static_cast<int>(i);
    }
    return found;
  };
  int c_ss = find(cols.source_system), c_sc = find(cols.source_code), c_sd = find(cols.source_display),
      c_ts = find(cols.target_system), c_tc = find(cols.target_code), c_td = find(cols.target_display),
      c_eq = find(cols.equivalence), c_url = find(cols.map_url), c_ver = find(cols.map_version);
  std::pair<int, const char*> all[] = {{c_ss, "source_system"}, {c_sc, "source_code"}, {c_sd, "source_display"},
                                       {c_ts, "target_system"}, {c_tc, "target_code"}, {c_td, "target_display"},
                                       {c_eq, "equivalence"},   {c_url, "map_url"},    {c_ver, "map_version"}};
  for (auto [col, canonical] : all) {
    if (col == -2) {
      return ParseError(fmt::format(
          "{}:{}: the header for {} names several columns (name it group/name, as \"HL7 FHIR/Code\")", path,
          header.line, canonical));
    }
  }
  std::pair<int, const char*> required[] = {{c_ss, "source_system"}, {c_sc, "source_code"},
                                            {c_ts, "target_system"}, {c_tc, "target_code"}};
  for (auto [col, canonical] : required) {
    if (col < 0) {
      return ParseError(fmt::format("{}:{}: no column for {} (map one with --column {}=HEADER)", path,
                                    header.line, canonical, canonical));
    }
  }
  std::string default_url = options.csv_map_url.empty() ? DerivedCsvMapUrl(path) : options.csv_map_url;

  // (url, version) -> resource index; (resource, source system, code) -> element index.
  std::map<std::pair<std::string, std::string>, size_t> maps;
  std::vector<Resource> local;
  std::vector<std::map<std::pair<std::string, std::string>, size_t>> elements, groups;
  Record rec;
  for (;;) {
    CW_RETURN_IF_ERROR(NextRecord(text, &pos, &line, path, &rec, &got));
    if (!got) break;
    if (rec.fields.size() == 1 && Trim(rec.fields[0]).empty()) continue;  // blank line
    if (rec.fields.size() != names.size()) {
      return ParseError(fmt::format("{}:{}: expected {} fields as in the header, found {}", path, rec.line,
                                    names.size(), rec.fields.size()));
    }
    auto get = [&](int col) { return col < 0 ? std::string() : Trim(rec.fields[static_cast<size_t>(col)]); };
    std::string url = get(c_url), version = get(c_ver);
    if (url.empty()) url = default_url;
    if (c_ver < 0 || version.empty()) version = options.csv_map_version;
    MapTargetRec t;
    t.system = get(c_ts);
    t.code = get(c_tc);
    t.display = get(c_td);
    t.equivalence = get(c_eq);
    std::string ss = get(c_ss), sc = get(c_sc);
    if (ss.empty()) return ParseError(fmt::format("{}:{}: empty {}", path, rec.line, cols.source_system));
    if (sc.empty()) return ParseError(fmt::format("{}:{}: empty {}", path, rec.line, cols.source_code));
    if (t.equivalence.empty()) t.equivalence = t.code.empty() ? "unmatched" : "equivalent";
    if (!IsKnownEquivalence(t.equivalence)) {
      return ParseError(fmt::format("{}:{}: unknown equivalence{}", path, rec.line, QuotedKeyword(t.equivalence)));
    }
    if (t.code.empty() && !IsNegativeEquivalence(t.equivalence)) {
      return ParseError(fmt::format("{}:{}: empty {} (use equivalence 'unmatched' for no mapping)", path,
                                    rec.line, cols.target_code));
    }
    if (!t.code.empty() && t.system.empty()) {
      return ParseError(fmt::format("{}:{}: empty {}", path, rec.line, cols.target_system));
    }
    for (const std::string* s : {&url, &version, &ss, &sc, &t.system, &t.code, &t.display}) {
      if (s->find('\0') != std::string::npos) {
        return ParseError(fmt::format("{}:{}: NUL character in a field", path, rec.line));
      }
    }
    auto [mit, inserted] = maps.emplace(std::make_pair(url, version), local.size());
    if (inserted) {
      Resource r;
      r.kind = ResourceKind::kConceptMap;
      r.url = url;
      r.version = version;
      r.name = DerivedCsvMapUrl(path).substr(sizeof("urn:crosswalk:conceptmap:") - 1);
      r.origin = path;
      local.push_back(std::move(r));
      elements.emplace_back();
      groups.emplace_back();
    }
    Resource& res = local[mit->second];
    auto& idx = elements[mit->second];
    // One group per (source system, target system), in order of first use.
    auto [git, new_group] = groups[mit->second].emplace(std::make_pair(ss, t.system), res.groups.size());
    if (new_group) {
      MapGroupRec g;
      g.source = ss;
      g.target = t.system;
      res.groups.push_back(std::move(g));
    }
    t.group = git->second;
    auto [eit, new_el] = idx.emplace(std::make_pair(ss, sc), res.elements.size());
    if (new_el) res.elements.push_back(MapElementRec{ss, sc, {}});
    res.elements[eit->second].targets.push_back(std::move(t));
    (void)c_sd;  // source_display is accepted but not stored (the source code system has it)
  }
  for (auto& r : local) out->push_back(std::move(r));
  return Status::Ok();
}

Status CsvNextRecord(std::string_view text, size_t* pos, uint64_t* line, const std::string& path,
                     std::vector<std::string>* fields, uint64_t* record_line, bool* got) {
  Record rec;
  rec.fields = std::move(*fields);
  CW_RETURN_IF_ERROR(NextRecord(text, pos, line, path, &rec, got));
  *fields = std::move(rec.fields);
  *record_line = rec.line;
  return Status::Ok();
}

size_t CsvInvalidUtf8At(std::string_view text) { return InvalidUtf8At(text); }

}  // namespace crosswalk::term
