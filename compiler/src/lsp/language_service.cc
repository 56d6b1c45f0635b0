// Source analysis for editors (crosswalk/compiler/language_service.h).
//
// Each request parses the document (the parse adapter recovers from syntax errors, so an unfinished map
// still gives a tree), loads the modules it imports (parsed only), runs the FHIR checker for the types of
// its objects, and answers from the token stream (LexSource), the tree and the schemas: the HL7 v2 schema
// (runtime/src/hl7v2/schema.h), the R4 table (sema/fhir_r4.inc through fhir_check.h) and the built-ins
// (runtime/bytecode/builtins.def and builtin_docs.h).
#include "crosswalk/compiler/language_service.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "ast/ast.h"
#include "bytecode/builtin_table.h"
#include "diag/sink.h"
#include "hl7v2/schema.h"
#include "lower/lower.h"
#include "lsp/builtin_docs.h"
#include "parse/parse_adapter.h"
#include "sema/fhir_check.h"

namespace crosswalk::compiler {
namespace {

namespace fs = std::filesystem;

// Most modules an editor request loads (the document and what it imports, transitively).
constexpr size_t kMaxModules = 256;

// ---- text positions ----

class LineIndex {
 public:
  explicit LineIndex(const std::string& text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  // Byte offset of (line, code point column), clamped to the line's end.
  size_t Offset(TextPoint p) const {
    if (p.line == 0) return 0;
    if (p.line > starts_.size()) return text_.size();
    size_t i = starts_[p.line - 1], end = LineEnd(p.line);
    for (uint32_t c = 1; c < p.col && i < end; ++c) i += Step(i);
    return std::min(i, end);
  }
  TextPoint Point(size_t offset) const {
    offset = std::min(offset, text_.size());
    size_t line = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin());
    uint32_t col = 1;
    for (size_t i = starts_[line - 1]; i < offset; i += Step(i)) ++col;
    return {static_cast<uint32_t>(line), col};
  }
  // The end of `line` (1-based): the offset of its '\n' (or '\r' before it), or the text's end.
  size_t LineEnd(uint32_t line) const {
    size_t end = line < starts_.size() ? starts_[line] - 1 : text_.size();
    if (end > starts_[line - 1] && text_[end - 1] == '\r') --end;
    return end;
  }
  size_t LineStart(size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    return *(it - 1);
  }

 private:
  size_t Step(size_t i) const {
    size_t n = Utf8SequenceLength(text_, i);
    return n == 0 ? 1 : n;
  }
  const std::string& text_;
  std::vector<size_t> starts_;
};

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// ---- modules: the document and its imports ----

std::vector<std::string> SearchDirs(const std::string& path, const EditorOptions& options) {
  std::vector<std::string> dirs = options.include_dirs;
  if (options.search_parent_folders) {
    std::error_code ec;
    fs::path dir = fs::absolute(fs::path(path), ec).parent_path();
    if (!ec) {
      for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
        dirs.push_back(p.string());
        if (p == p.root_path()) break;
      }
    }
  }
  return dirs;
}

// The file `import a.b` names from the module at `from`, as the compiler's driver finds it, or empty.
std::string ResolveImport(const std::string& from, const std::string& module, const std::vector<std::string>& dirs) {
  std::string rel = module;
  std::replace(rel.begin(), rel.end(), '.', '/');
  rel += ".cw";
  std::error_code ec;
  fs::path own = fs::path(from).parent_path() / rel;
  if (fs::is_regular_file(own, ec)) return own.string();
  for (const auto& d : dirs) {
    fs::path c = fs::path(d) / rel;
    if (fs::is_regular_file(c, ec)) return c.string();
  }
  return "";
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

struct Workspace {
  AstArena arena;
  std::vector<ModuleUnit> units;   // [0] the document, then its imports (breadth first)
  std::vector<std::string> texts;  // per unit
  std::vector<int> via;            // per unit: the index of the document's import that leads to it (-1: none)
  FhirObjectTypes fhir_types;      // the objects of the document the FHIR checker types
  std::set<const Block*> statement_blocks;  // `if` / `for` statement bodies of the document (not objects)
};

void CollectStatementBlocks(const Block* b, std::set<const Block*>* out);
void CollectStatementBlocks(const Expr* e, std::set<const Block*>* out) {
  if (!e) return;
  if (e->block) CollectStatementBlocks(e->block, out);
  for (const Expr* k : e->kids) CollectStatementBlocks(k, out);
  for (const MatchArm& a : e->arms) CollectStatementBlocks(a.value, out);
}
void CollectStatementBlocks(const Block* b, std::set<const Block*>* out) {
  if (!b) return;
  for (const Stmt* s : b->stmts) {
    if (s->kind == StmtKind::kIf || s->kind == StmtKind::kFor) {
      if (s->then_block) out->insert(s->then_block);
      if (s->else_block) out->insert(s->else_block);
    }
    CollectStatementBlocks(s->then_block, out);
    CollectStatementBlocks(s->else_block, out);
    CollectStatementBlocks(s->value, out);
    CollectStatementBlocks(s->cond, out);
  }
}

// Parses the document and loads what it imports. With `imports` false, only the document.
void Load(const std::string& path, const std::string& text, const EditorOptions& options, bool imports, Workspace* ws) {
  std::vector<std::string> dirs = SearchDirs(path, options);
  std::map<std::string, int> by_key;
  auto add = [&](const std::string& p, std::string t, int via) {
    DiagnosticSink ignored(1u << 20);
    ModuleUnit u;
    u.path = p;
    ParseModule(static_cast<uint32_t>(ws->units.size()), t, ParseOptions{}, ws->arena, ignored, &u.module);
    ws->units.push_back(std::move(u));
    ws->texts.push_back(std::move(t));
    ws->via.push_back(via);
  };
  add(path, text, -1);
  by_key[Canonical(path)] = 0;
  for (size_t i = 0; imports && i < ws->units.size() && ws->units.size() < kMaxModules; ++i) {
    for (size_t k = 0; k < ws->units[i].module.imports.size(); ++k) {
      const ImportDecl& imp = ws->units[i].module.imports[k];
      std::string found = ResolveImport(ws->units[i].path, imp.path, dirs);
      if (found.empty()) continue;
      std::string key = Canonical(found);
      int unit;
      if (auto it = by_key.find(key); it != by_key.end()) {
        unit = it->second;
      } else {
        std::ifstream in(found, std::ios::binary);
        if (!in || ws->units.size() >= kMaxModules) continue;
        std::ostringstream ss;
        ss << in.rdbuf();
        std::string body = ss.str();
        if (body.size() > CompileOptions{}.max_source_bytes) continue;
        unit = static_cast<int>(ws->units.size());
        by_key[key] = unit;
        add(found, std::move(body), i == 0 ? static_cast<int>(k) : ws->via[i]);
      }
      ws->units[i].imports.push_back(unit);
      std::string alias = imp.alias;
      if (alias.empty()) {
        size_t dot = imp.path.rfind('.');
        alias = dot == std::string::npos ? imp.path : imp.path.substr(dot + 1);
      }
      ws->units[i].aliases.push_back(alias);
    }
  }
  ws->units[0].root = true;
  DiagnosticSink ignored(1u << 20);
  std::vector<ModuleUnit> document{ws->units[0]};
  CheckFhir(document, ignored, &ws->fhir_types);
  for (const MapDecl* m : ws->units[0].module.maps) CollectStatementBlocks(m->body, &ws->statement_blocks);
  for (const DefDecl* d : ws->units[0].module.defs) {
    CollectStatementBlocks(d->body, &ws->statement_blocks);
    CollectStatementBlocks(d->expr, &ws->statement_blocks);
  }
}

// ---- lookups ----

struct FoundDef {
  int unit = -1;
  const DefDecl* def = nullptr;
};

// The function a call `ns.name(...)` (ns may be empty) made in unit 0 reaches: the document's own, else a
// directly imported module's, else any loaded module's (a module the document reaches through others).
FoundDef FindDef(const Workspace& ws, const std::string& ns, const std::string& name) {
  auto in_unit = [&](int u) -> FoundDef {
    for (const DefDecl* d : ws.units[static_cast<size_t>(u)].module.defs) {
      if (d->name == name) return {u, d};
    }
    return {};
  };
  const ModuleUnit& doc = ws.units[0];
  if (!ns.empty()) {
    for (size_t k = 0; k < doc.imports.size(); ++k) {
      if (doc.aliases[k] == ns) {
        if (FoundDef f = in_unit(doc.imports[k]); f.def) return f;
      }
    }
    return {};
  }
  if (FoundDef f = in_unit(0); f.def) return f;
  for (int u : doc.imports) {
    if (FoundDef f = in_unit(u); f.def) return f;
  }
  for (size_t u = 1; u < ws.units.size(); ++u) {
    if (FoundDef f = in_unit(static_cast<int>(u)); f.def) return f;
  }
  return {};
}

const BuiltinDoc* FindBuiltinDoc(std::string_view name) {
  for (const BuiltinDoc& d : kBuiltinDocs) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool IsBuiltin(std::string_view name) {
  if (FindBuiltinDoc(name)) return true;
  for (const auto& b : bytecode::kBuiltinInfo) {
    if (b.name == name) return true;
  }
  return false;
}

std::string BuiltinSignature(std::string_view name) {
  if (const BuiltinDoc* d = FindBuiltinDoc(name)) return std::string(d->signature);
  for (const auto& b : bytecode::kBuiltinInfo) {
    if (b.name != name) continue;
    std::string s = std::string(name) + "(";
    for (uint32_t i = 0; i < b.max_args && i < 4; ++i) {
      if (i == b.min_args) s += "[";
      s += (i ? ", " : "") + std::string("x") + std::to_string(i + 1);
    }
    if (b.max_args > 4) s += ", ...";
    if (b.max_args > b.min_args) s += "]";
    return s + ")";
  }
  return std::string(name) + "()";
}

std::string DefSignature(const DefDecl& d) {
  std::string s = "def " + d.name + "(";
  for (size_t i = 0; i < d.params.size(); ++i) s += (i ? ", " : "") + d.params[i];
  return s + ")";
}

// The `//` comment lines right above a declaration's line, without the slashes.
std::string CommentAbove(const std::string& text, uint32_t line) {
  LineIndex index(text);
  std::vector<std::string> lines;
  for (uint32_t l = line; l-- > 1;) {
    size_t a = index.Offset({l, 1}), b = index.LineEnd(l);
    std::string_view s = std::string_view(text).substr(a, b - a);
    size_t f = s.find_first_not_of(" \t");
    if (f == std::string_view::npos || s.substr(f, 2) != "//") break;
    s = s.substr(f + 2);
    if (!s.empty() && s[0] == ' ') s = s.substr(1);
    lines.emplace_back(s);
  }
  std::string out;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) out += (out.empty() ? "" : "\n") + *it;
  return out;
}

std::string FileName(const std::string& path) { return fs::path(path).filename().string(); }

const SegmentDecl* FindSegmentDecl(const Workspace& ws, std::string_view id, int* unit) {
  for (size_t u = 0; u < ws.units.size(); ++u) {
    for (const SegmentDecl& s : ws.units[u].module.segments) {
      if (s.name == id) {
        *unit = static_cast<int>(u);
        return &s;
      }
    }
  }
  return nullptr;
}

std::string Cardinality(const FhirElementInfo& e) {
  return std::string(e.required ? "1" : "0") + ".." + (e.repeats ? "*" : "1");
}

// The R4 page that defines `owner.name`.
std::string FhirDefinitionUrl(std::string_view owner, std::string_view name) {
  std::string_view base = owner.substr(0, owner.find('.'));
  std::string page;
  if (IsFhirResource(base)) {
    for (char c : base) page += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  } else {
    page = "datatypes";
  }
  return "https://hl7.org/fhir/R4/" + page + "-definitions.html#" + std::string(owner) + "." + std::string(name);
}

// ---- the document's tokens and brackets ----

struct Document {
  const std::string& text;
  LineIndex index;
  std::vector<SourceToken> tokens;
  explicit Document(const std::string& t) : text(t), index(t) {
    if (!LexSource(text, &tokens)) tokens.clear();
  }
  std::string_view Text(const SourceToken& t) const { return std::string_view(text).substr(t.begin, t.end - t.begin); }
  TextSpan Span(const SourceToken& t) const { return {index.Point(t.begin), index.Point(t.end)}; }
  // The token under `offset`, or the one that ends there (the cursor right after a word); -1 for none.
  int TokenAt(size_t offset) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].begin <= offset && offset < tokens[i].end) return static_cast<int>(i);
      if (tokens[i].begin > offset) break;
    }
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].end == offset && tokens[i].kind != TokenKind::kPunct) return static_cast<int>(i);
    }
    return -1;
  }
  bool IsPunct(int i, std::string_view p) const {
    return i >= 0 && static_cast<size_t>(i) < tokens.size() && tokens[static_cast<size_t>(i)].kind == TokenKind::kPunct &&
           Text(tokens[static_cast<size_t>(i)]) == p;
  }
  // The `{` offsets that enclose `offset`, innermost first (an unclosed `{` encloses the rest of the file).
  std::vector<size_t> EnclosingBraces(size_t offset) const {
    std::vector<size_t> open;
    for (const SourceToken& t : tokens) {
      if (t.begin >= offset) break;
      if (t.kind != TokenKind::kPunct) continue;
      std::string_view s = Text(t);
      if (s == "{") open.push_back(t.begin);
      if (s == "}" && !open.empty()) open.pop_back();
    }
    std::reverse(open.begin(), open.end());
    return open;
  }
};

// The FHIR type of the object whose field is at `offset`, or empty: the innermost `{` around it that is an
// object (bodies of `if` and `for` statements are skipped: their fields belong to the object around them).
std::string ObjectTypeAt(const Workspace& ws, const Document& doc, size_t offset) {
  std::map<std::pair<uint32_t, uint32_t>, const Block*> blocks;
  for (const auto& [block, type] : ws.fhir_types) blocks[{block->loc.line, block->loc.col}] = block;
  std::map<std::pair<uint32_t, uint32_t>, bool> statement;
  for (const Block* b : ws.statement_blocks) statement[{b->loc.line, b->loc.col}] = true;
  for (size_t brace : doc.EnclosingBraces(offset)) {
    TextPoint p = doc.index.Point(brace);
    std::pair<uint32_t, uint32_t> key{p.line, p.col};
    if (statement.count(key)) continue;
    auto it = blocks.find(key);
    return it == blocks.end() ? "" : ws.fhir_types.at(it->second);
  }
  return "";
}

// ---- HL7 v2 paths ----

struct V2Path {
  int field_token = -1;        // the `PID-5` token
  std::string segment;         // "PID"
  int field = 0;               // 5
  std::vector<int> components;  // [1] for PID-5.1, [1, 2] for PID-5.1.2
};

// The HL7 v2 path whose part is token `i` (`PID-5`, or one of the `.1` after it), or none.
std::optional<V2Path> V2PathAt(const Document& doc, int i) {
  if (i < 0) return std::nullopt;
  std::vector<int> dots;
  int j = i;
  while (j >= 0 && doc.tokens[static_cast<size_t>(j)].kind == TokenKind::kDotNum) {
    dots.push_back(j);
    --j;
    // `PID-3[2].4`: skip the repetition index.
    if (j >= 2 && doc.IsPunct(j, "]") && doc.IsPunct(j - 2, "[")) j -= 3;
  }
  if (j < 0 || doc.tokens[static_cast<size_t>(j)].kind != TokenKind::kV2Field) return std::nullopt;
  std::string_view t = doc.Text(doc.tokens[static_cast<size_t>(j)]);
  V2Path p;
  p.field_token = j;
  p.segment = std::string(t.substr(0, 3));
  p.field = std::atoi(std::string(t.substr(4)).c_str());
  for (auto it = dots.rbegin(); it != dots.rend(); ++it) {
    p.components.push_back(std::atoi(std::string(doc.Text(doc.tokens[static_cast<size_t>(*it)]).substr(1)).c_str()));
  }
  return p;
}

std::string DatatypeLabel(std::string_view id) {
  const hl7v2::DatatypeDef* dt = hl7v2::FindDatatype(id);
  return dt && !dt->name.empty() ? std::string(id) + " (" + std::string(dt->name) + ")" : std::string(id);
}

std::string FieldDetail(const hl7v2::FieldDef& f) {
  std::string s = std::string(f.datatype);
  if (f.repeating) s += ", repeats";
  if (f.table) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04u", f.table);
    s += ", table " + std::string(buf);
  }
  return s;
}

std::optional<std::string> V2Markdown(const Workspace& ws, const V2Path& p) {
  std::string path = p.segment + "-" + std::to_string(p.field);
  if (hl7v2::IsZSegment(p.segment)) {
    int unit = 0;
    const SegmentDecl* decl = FindSegmentDecl(ws, p.segment, &unit);
    if (!decl) return "**" + path + "**: Z-segment " + p.segment + " is not declared (`segment " + p.segment + " { 1: name, ... }`)";
    for (const auto& f : decl->fields) {
      if (f.number == p.field) {
        return "**" + path + "** `" + f.name + "`\n\nfield " + std::to_string(p.field) + " of Z-segment " + p.segment +
               ", declared in " + FileName(ws.units[static_cast<size_t>(unit)].path) + ":" + std::to_string(f.loc.line);
      }
    }
    return "**" + path + "**: Z-segment " + p.segment + " declares no field " + std::to_string(p.field);
  }
  const hl7v2::SegmentDef* seg = hl7v2::FindSegment(p.segment);
  if (!seg) return std::nullopt;
  const hl7v2::FieldDef* f = seg->field(p.field);
  if (!f) return "**" + path + "**: " + p.segment + " has " + std::to_string(seg->field_count()) + " fields";
  std::string md = "**" + path + "** " + std::string(f->name) + "\n\n" + DatatypeLabel(f->datatype);
  if (f->repeating) md += ", repeats";
  if (f->table) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04u", f->table);
    md += ", HL7 table " + std::string(buf);
  }
  std::string_view type = f->datatype;
  std::string sub = path;
  for (int c : p.components) {
    const hl7v2::DatatypeDef* dt = hl7v2::FindDatatype(type);
    sub += "." + std::to_string(c);
    if (!dt || c < 1 || static_cast<size_t>(c) > dt->components.size()) {
      md += "\n\n**" + sub + "**: " + std::string(type) + " has " + std::to_string(dt ? dt->components.size() : 0) +
            " components";
      return md;
    }
    const hl7v2::ComponentDef& comp = dt->components[static_cast<size_t>(c - 1)];
    md += "\n\n**" + sub + "** " + std::string(comp.name) + "\n\n" + DatatypeLabel(comp.datatype) + ", component " +
          std::to_string(c) + " of " + std::string(type);
    type = comp.datatype;
  }
  return md;
}

// ---- what a token is ----

// `ns.name(` around name token `i`: the call's namespace ("" when none); false when `i` is no call.
bool CallAt(const Document& doc, int i, std::string* ns) {
  if (i < 0 || doc.tokens[static_cast<size_t>(i)].kind != TokenKind::kName || !doc.IsPunct(i + 1, "(")) return false;
  ns->clear();
  if (i >= 2 && doc.IsPunct(i - 1, ".") && doc.tokens[static_cast<size_t>(i - 2)].kind == TokenKind::kName) {
    *ns = std::string(doc.Text(doc.tokens[static_cast<size_t>(i - 2)]));
  }
  return true;
}

// Whether token `i` is a field key (`key:` or `key[]:`), and the key.
bool FieldKeyAt(const Document& doc, int i, std::string* key) {
  if (i < 0) return false;
  const SourceToken& t = doc.tokens[static_cast<size_t>(i)];
  if (t.kind != TokenKind::kName && t.kind != TokenKind::kKeyword && t.kind != TokenKind::kString) return false;
  bool colon = doc.IsPunct(i + 1, ":") || (doc.IsPunct(i + 1, "[") && doc.IsPunct(i + 2, "]") && doc.IsPunct(i + 3, ":"));
  if (!colon) return false;
  // Not a match arm or a `let`: the token before is a statement boundary.
  if (i > 0 && doc.tokens[static_cast<size_t>(i - 1)].kind == TokenKind::kKeyword) {
    std::string_view k = doc.Text(doc.tokens[static_cast<size_t>(i - 1)]);
    if (k == "let" || k == "for" || k == "in") return false;
  }
  std::string_view s = doc.Text(t);
  *key = t.kind == TokenKind::kString && s.size() >= 2 ? std::string(s.substr(1, s.size() - 2)) : std::string(s);
  return true;
}

TextSpan NameSpan(SourceLocation loc, const std::string& name) {
  // Declaration names are ASCII identifiers: their length in code points is their length in bytes.
  return {{loc.line, loc.col}, {loc.line, loc.col + static_cast<uint32_t>(name.size())}};
}

}  // namespace

// ---- diagnostics ----

std::vector<SpannedDiagnostic> CheckDocument(const std::string& path, const std::string& text,
                                             const EditorOptions& options) {
  std::vector<SpannedDiagnostic> out;
  try {
    CompileOptions copts;
    copts.include_dirs = SearchDirs(path, options);
    copts.warn_undeclared_z_segments = options.warn_undeclared_z_segments;
    CompileResult r = CompileSource(path, text, copts);
    Document doc(text);
    // Errors of imported modules: which import of the document leads to each file.
    std::map<std::string, int> via;
    bool foreign = false;
    for (const Diagnostic& d : r.diagnostics) foreign |= d.loc.file != 0 && d.severity == Severity::kError;
    Workspace ws;
    if (foreign) {
      Load(path, text, options, /*imports=*/true, &ws);
      for (size_t u = 1; u < ws.units.size(); ++u) via[Canonical(ws.units[u].path)] = ws.via[u];
    }
    std::map<int, std::pair<size_t, const Diagnostic*>> per_import;  // import index -> (errors, first)
    for (const Diagnostic& d : r.diagnostics) {
      // A document without a map is a module (imported by maps): not an error while it is edited.
      if (d.code == "E0200") continue;
      if (d.loc.file != 0) {
        if (d.severity != Severity::kError || d.loc.file >= r.files.size()) continue;
        auto it = via.find(Canonical(r.files[d.loc.file].path));
        int k = it == via.end() ? 0 : std::max(it->second, 0);
        auto& [count, first] = per_import[k];
        if (count++ == 0) first = &d;
        continue;
      }
      SpannedDiagnostic s{d, {}};
      if (d.loc.line == 0) {
        s.diagnostic.loc = {0, 1, 1};
        s.span = {{1, 1}, {1, 1}};
      } else {
        size_t offset = doc.index.Offset({d.loc.line, d.loc.col});
        int t = -1;
        for (size_t i = 0; i < doc.tokens.size(); ++i) {
          if (doc.tokens[i].begin == offset) t = static_cast<int>(i);
        }
        if (t >= 0) {
          s.span = doc.Span(doc.tokens[static_cast<size_t>(t)]);
        } else {
          size_t end = doc.index.LineEnd(d.loc.line);
          size_t next = offset < end ? offset + std::max<size_t>(1, Utf8SequenceLength(text, offset)) : offset;
          s.span = {doc.index.Point(offset), doc.index.Point(next)};
        }
      }
      out.push_back(std::move(s));
    }
    const ModuleUnit* root = ws.units.empty() ? nullptr : &ws.units[0];
    for (const auto& [k, summary] : per_import) {
      const auto& [count, first] = summary;
      SourceLocation at{0, 1, 1};
      std::string name = "an imported module";
      if (root && static_cast<size_t>(k) < root->module.imports.size()) {
        at = root->module.imports[static_cast<size_t>(k)].loc;
      }
      const SourceFileInfo& file = r.files[first->loc.file];
      Diagnostic d;
      d.severity = Severity::kError;
      d.loc = at;
      d.code = first->code;
      d.message = "in imported module '" + FileName(file.path) + "' (" + std::to_string(count) +
                  (count == 1 ? " error" : " errors") + "): " + FileName(file.path) + ":" + std::to_string(first->loc.line) +
                  ":" + std::to_string(first->loc.col) + ": " + first->message;
      size_t offset = doc.index.Offset({at.line, at.col});
      out.push_back({d, {doc.index.Point(offset), doc.index.Point(doc.index.LineEnd(at.line))}});
    }
    std::stable_sort(out.begin(), out.end(), [](const SpannedDiagnostic& a, const SpannedDiagnostic& b) {
      const SourceLocation &x = a.diagnostic.loc, &y = b.diagnostic.loc;
      return x.line != y.line ? x.line < y.line : x.col < y.col;
    });
  } catch (const std::exception& e) {
    out.push_back({{Severity::kError, {0, 1, 1}, "E0000", std::string("internal error: ") + e.what()}, {{1, 1}, {1, 1}}});
  }
  return out;
}

// ---- hover ----

std::optional<HoverInfo> Hover(const std::string& path, const std::string& text, TextPoint at,
                               const EditorOptions& options) {
  try {
    Document doc(text);
    int i = doc.TokenAt(doc.index.Offset(at));
    if (i < 0) return std::nullopt;
    const SourceToken& tok = doc.tokens[static_cast<size_t>(i)];
    if (tok.kind == TokenKind::kV2Field || tok.kind == TokenKind::kDotNum) {
      std::optional<V2Path> p = V2PathAt(doc, i);
      if (!p) return std::nullopt;
      Workspace ws;
      Load(path, text, options, hl7v2::IsZSegment(p->segment), &ws);
      std::optional<std::string> md = V2Markdown(ws, *p);
      if (!md) return std::nullopt;
      return HoverInfo{doc.Span(tok), *md};
    }
    std::string ns, key;
    if (CallAt(doc, i, &ns)) {
      std::string name(doc.Text(tok));
      Workspace ws;
      Load(path, text, options, /*imports=*/true, &ws);
      if (FoundDef f = FindDef(ws, ns, name); f.def) {
        const ModuleUnit& u = ws.units[static_cast<size_t>(f.unit)];
        std::string md = "```crosswalk\n" + DefSignature(*f.def) + "\n```";
        std::string comment = CommentAbove(ws.texts[static_cast<size_t>(f.unit)], f.def->loc.line);
        if (!comment.empty()) md += "\n\n" + comment;
        md += "\n\ndefined in " + FileName(u.path) + ":" + std::to_string(f.def->loc.line);
        return HoverInfo{doc.Span(tok), md};
      }
      if (ns.empty() && IsBuiltin(name)) {
        std::string md = "```crosswalk\n" + BuiltinSignature(name) + "\n```\n\nbuilt-in";
        if (const BuiltinDoc* d = FindBuiltinDoc(name)) md += ": " + std::string(d->doc);
        return HoverInfo{doc.Span(tok), md};
      }
      return std::nullopt;
    }
    if (FieldKeyAt(doc, i, &key)) {
      Workspace ws;
      Load(path, text, options, /*imports=*/false, &ws);
      std::string type = ObjectTypeAt(ws, doc, tok.begin);
      if (type.empty()) return std::nullopt;
      for (const FhirElementInfo& e : FhirElementsOf(type)) {
        if (e.name != key) continue;
        std::string md = "**" + type + "." + key + "** `" + std::string(e.type) + "` " + Cardinality(e) + "\n\nFHIR R4 element";
        if (e.required) md += " (required)";
        md += ". Definition: " + FhirDefinitionUrl(type, key);
        return HoverInfo{doc.Span(tok), md};
      }
      return HoverInfo{doc.Span(tok), "**" + type + "** has no element `" + key + "`"};
    }
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// ---- definition ----

std::optional<DefinitionTarget> Definition(const std::string& path, const std::string& text, TextPoint at,
                                           const EditorOptions& options) {
  try {
    Document doc(text);
    int i = doc.TokenAt(doc.index.Offset(at));
    if (i < 0) return std::nullopt;
    const SourceToken& tok = doc.tokens[static_cast<size_t>(i)];
    Workspace ws;
    Load(path, text, options, /*imports=*/true, &ws);
    const ModuleUnit& root = ws.units[0];
    // `import a.b`: the module's file.
    TextPoint here = doc.index.Point(tok.begin);
    for (size_t k = 0; k < root.module.imports.size(); ++k) {
      if (root.module.imports[k].loc.line != here.line || tok.kind == TokenKind::kKeyword) continue;
      for (size_t u = 1; u < ws.units.size(); ++u) {
        if (ws.via[u] == static_cast<int>(k) &&
            std::find(root.imports.begin(), root.imports.end(), static_cast<int>(u)) != root.imports.end()) {
          return DefinitionTarget{ws.units[u].path, {{1, 1}, {1, 1}}};
        }
      }
    }
    if (tok.kind == TokenKind::kV2Field || tok.kind == TokenKind::kDotNum) {
      std::optional<V2Path> p = V2PathAt(doc, i);
      int unit = 0;
      const SegmentDecl* decl = p ? FindSegmentDecl(ws, p->segment, &unit) : nullptr;
      if (!decl) return std::nullopt;
      const std::string& file = ws.units[static_cast<size_t>(unit)].path;
      for (const auto& f : decl->fields) {
        if (f.number == p->field) return DefinitionTarget{file, NameSpan(f.loc, std::to_string(f.number))};
      }
      return DefinitionTarget{file, NameSpan(decl->loc, decl->name)};
    }
    if (tok.kind != TokenKind::kName) return std::nullopt;
    std::string name(doc.Text(tok)), ns;
    if (CallAt(doc, i, &ns)) {
      FoundDef f = FindDef(ws, ns, name);
      if (!f.def) return std::nullopt;
      return DefinitionTarget{ws.units[static_cast<size_t>(f.unit)].path, NameSpan(f.def->loc, f.def->name)};
    }
    // A constant: the document's, else an imported module's.
    std::vector<int> order{0};
    for (int u : root.imports) order.push_back(u);
    for (int u : order) {
      for (const ConstDecl& c : ws.units[static_cast<size_t>(u)].module.consts) {
        if (c.name == name) return DefinitionTarget{ws.units[static_cast<size_t>(u)].path, NameSpan(c.loc, c.name)};
      }
    }
    // A segment declaration named by a segment id (`ZPI` in `for z in ZPI`).
    int unit = 0;
    if (hl7v2::IsZSegment(name)) {
      if (const SegmentDecl* decl = FindSegmentDecl(ws, name, &unit)) {
        return DefinitionTarget{ws.units[static_cast<size_t>(unit)].path, NameSpan(decl->loc, decl->name)};
      }
    }
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// ---- completion ----

namespace {

constexpr std::string_view kKeywords[] = {"map", "def", "const", "import", "segment", "let", "if", "then", "else",
                                          "for", "in", "where", "match", "warn", "fail", "return", "true", "false",
                                          "null", "and", "or", "not", "hl7v2", "fhir", "json"};

void AddFunctions(const Workspace& ws, int unit, std::vector<CompletionItem>* out, std::set<std::string>* seen) {
  const ModuleUnit& u = ws.units[static_cast<size_t>(unit)];
  for (const DefDecl* d : u.module.defs) {
    if (!seen->insert(d->name).second) continue;
    std::string doc = CommentAbove(ws.texts[static_cast<size_t>(unit)], d->loc.line);
    out->push_back({d->name, CompletionKind::kFunction, DefSignature(*d) + "  (" + FileName(u.path) + ")", doc});
  }
}

// The HL7 v2 path being typed at the end of `line`: "PID-" or "PID-1" (fields wanted: `field` 0), or
// "PID-5." / "PID-3[2].4." (the components of the last part wanted), as segment, field and components.
bool V2PathBefore(std::string_view line, std::string* segment, int* field, std::vector<int>* comps) {
  static const std::regex kField(R"((?:^|[^A-Za-z0-9_])([A-Z][A-Z0-9]{2})-[0-9]*$)");
  static const std::regex kComponent(R"((?:^|[^A-Za-z0-9_])([A-Z][A-Z0-9]{2})-([0-9]+)(?:\[[0-9]+\])?((?:\.[0-9]+)*)\.[0-9]*$)");
  std::string s(line);
  std::smatch m;
  if (std::regex_search(s, m, kField)) {
    *segment = m[1];
    *field = 0;
    comps->clear();
    return true;
  }
  if (!std::regex_search(s, m, kComponent)) return false;
  *segment = m[1];
  *field = std::atoi(m[2].str().c_str());
  comps->clear();
  std::string parts = m[3];
  for (size_t i = 0; i < parts.size();) {
    size_t next = parts.find('.', i + 1);
    comps->push_back(std::atoi(parts.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1).c_str()));
    i = next == std::string::npos ? parts.size() : next;
  }
  return true;
}

}  // namespace

std::vector<CompletionItem> Complete(const std::string& path, const std::string& text, TextPoint at,
                                     const EditorOptions& options) {
  std::vector<CompletionItem> out;
  try {
    LineIndex index(text);
    size_t offset = index.Offset(at);
    size_t line_start = index.LineStart(offset);
    std::string_view line = std::string_view(text).substr(line_start, offset - line_start);

    // HL7 v2 fields and components.
    std::string segment;
    int field = 0;
    std::vector<int> comps;
    if (V2PathBefore(line, &segment, &field, &comps)) {
      if (field == 0) {
        if (hl7v2::IsZSegment(segment)) {
          Workspace ws;
          Load(path, text, options, /*imports=*/true, &ws);
          int unit = 0;
          if (const SegmentDecl* decl = FindSegmentDecl(ws, segment, &unit)) {
            for (const auto& f : decl->fields) {
              out.push_back({std::to_string(f.number), CompletionKind::kField, f.name, "field of Z-segment " + segment});
            }
          }
        } else if (const hl7v2::SegmentDef* seg = hl7v2::FindSegment(segment)) {
          for (const hl7v2::FieldDef& f : seg->fields) {
            out.push_back({std::to_string(f.seq), CompletionKind::kField, std::string(f.name) + " (" + FieldDetail(f) + ")",
                           "**" + segment + "-" + std::to_string(f.seq) + "** " + std::string(f.name)});
          }
        }
        return out;
      }
      const hl7v2::SegmentDef* seg = hl7v2::FindSegment(segment);
      const hl7v2::FieldDef* f = seg ? seg->field(field) : nullptr;
      if (!f) return out;
      std::string_view type = f->datatype;
      for (int c : comps) {
        const hl7v2::DatatypeDef* dt = hl7v2::FindDatatype(type);
        if (!dt || c < 1 || static_cast<size_t>(c) > dt->components.size()) return out;
        type = dt->components[static_cast<size_t>(c - 1)].datatype;
      }
      const hl7v2::DatatypeDef* dt = hl7v2::FindDatatype(type);
      if (!dt) return out;
      for (size_t c = 0; c < dt->components.size(); ++c) {
        const hl7v2::ComponentDef& comp = dt->components[c];
        out.push_back({std::to_string(c + 1), CompletionKind::kField, std::string(comp.name) + " (" + std::string(comp.datatype) + ")",
                       "component " + std::to_string(c + 1) + " of " + std::string(type)});
      }
      return out;
    }

    // The word being typed, and what stands before it.
    size_t word = line.size();
    while (word > 0 && IsWordChar(line[word - 1])) --word;
    std::string_view before = line.substr(0, word);
    size_t last = before.find_last_not_of(" \t");

    // `alias.`: the functions of that module.
    if (last != std::string_view::npos && before[last] == '.' && last == word - 1) {
      size_t a = last;
      while (a > 0 && IsWordChar(before[a - 1])) --a;
      std::string alias(before.substr(a, last - a));
      Workspace ws;
      Load(path, text, options, /*imports=*/true, &ws);
      const ModuleUnit& root = ws.units[0];
      std::set<std::string> seen;
      for (size_t k = 0; k < root.imports.size(); ++k) {
        if (root.aliases[k] == alias) AddFunctions(ws, root.imports[k], &out, &seen);
      }
      return out;
    }

    // The start of a field: the elements of the object's FHIR type, and the statement keywords.
    bool field_start = last == std::string_view::npos || before[last] == '{' || before[last] == ',' || before[last] == ';';
    if (field_start) {
      // The document with the word being typed made a whole field, so that an unfinished line parses.
      size_t word_begin = line_start + word;
      std::string patched = text.substr(0, word_begin) + "cw_completion_: null " + text.substr(offset);
      Workspace ws;
      Load(path, patched, options, /*imports=*/false, &ws);
      Document doc(patched);
      std::string type = ObjectTypeAt(ws, doc, word_begin);
      if (!type.empty()) {
        for (const FhirElementInfo& e : FhirElementsOf(type)) {
          out.push_back({std::string(e.name), CompletionKind::kElement, std::string(e.type) + " " + Cardinality(e),
                         "FHIR R4 " + type + "." + std::string(e.name) + (e.required ? " (required)" : "")});
        }
        if (IsFhirResource(type)) out.push_back({"resourceType", CompletionKind::kElement, "string", "the resource type"});
      }
      if (!doc.EnclosingBraces(word_begin).empty()) {
        for (std::string_view k : {"let", "if", "for", "warn", "fail", "return"}) {
          out.push_back({std::string(k), CompletionKind::kKeyword, "", ""});
        }
        if (!type.empty()) return out;
      }
    }

    // Anything else: built-ins, functions, constants, keywords.
    Workspace ws;
    Load(path, text, options, /*imports=*/true, &ws);
    std::set<std::string> seen;
    for (const BuiltinDoc& b : kBuiltinDocs) {
      seen.insert(std::string(b.name));
      out.push_back({std::string(b.name), CompletionKind::kBuiltin, std::string(b.signature), std::string(b.doc)});
    }
    for (const auto& b : bytecode::kBuiltinInfo) {
      if (seen.insert(std::string(b.name)).second) {
        out.push_back({std::string(b.name), CompletionKind::kBuiltin, BuiltinSignature(b.name), ""});
      }
    }
    const ModuleUnit& root = ws.units[0];
    AddFunctions(ws, 0, &out, &seen);
    for (int u : root.imports) AddFunctions(ws, u, &out, &seen);
    std::vector<int> order{0};
    for (int u : root.imports) order.push_back(u);
    for (int u : order) {
      for (const ConstDecl& c : ws.units[static_cast<size_t>(u)].module.consts) {
        if (seen.insert(c.name).second) {
          out.push_back({c.name, CompletionKind::kConstant, "const  (" + FileName(ws.units[static_cast<size_t>(u)].path) + ")", ""});
        }
      }
    }
    for (size_t k = 0; k < root.aliases.size(); ++k) {
      if (seen.insert(root.aliases[k]).second) {
        out.push_back({root.aliases[k], CompletionKind::kModule, "module " + FileName(ws.units[static_cast<size_t>(root.imports[k])].path), ""});
      }
    }
    for (std::string_view k : kKeywords) {
      if (seen.insert(std::string(k)).second) out.push_back({std::string(k), CompletionKind::kKeyword, "", ""});
    }
  } catch (const std::exception&) {
    out.clear();
  }
  return out;
}

}  // namespace crosswalk::compiler
