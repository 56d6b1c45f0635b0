// The compiler driver: reads files, resolves imports, parses, checks (sema), lowers, verifies and writes the
// program.
#include "crosswalk/compiler/compiler.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "ast/ast.h"
#include "bytecode/verifier.h"
#include "bytecode/writer.h"
#include "diag/sink.h"
#include "lower/lower.h"
#include "opt/peephole.h"
#include "parse/parse_adapter.h"
#include "sema/fhir_check.h"
#include "sema/sema.h"

namespace crosswalk::compiler {
namespace fs = std::filesystem;

namespace {

// The source file names a program records (its debug table: errors, warnings, traces and ACKs name them).
// Relative names are kept as given. When any is absolute, all are made relative to their common folder,
// so a program names `hl7v2/adt.cw`, not one machine's checkout path: the same sources give the same
// bytes wherever they are compiled, and no absolute path reaches an ACK.
std::vector<std::string> ProgramPaths(const std::vector<SourceFileInfo>& files) {
  std::vector<std::string> paths;
  bool any_absolute = false;
  for (const auto& f : files) any_absolute |= fs::path(f.path).is_absolute();
  if (!any_absolute) {
    for (const auto& f : files) paths.push_back(f.path);
    return paths;
  }
  std::vector<fs::path> abs;
  std::error_code ec;
  for (const auto& f : files) {
    fs::path a = fs::absolute(f.path, ec);
    abs.push_back((ec ? fs::path(f.path) : a).lexically_normal());
  }
  fs::path common = abs.empty() ? fs::path() : abs[0].parent_path();
  for (const auto& a : abs) {
    fs::path dir = a.parent_path(), prefix;
    auto c = common.begin();
    for (auto d = dir.begin(); d != dir.end() && c != common.end() && *d == *c; ++d, ++c) prefix /= *d;
    common = prefix;
  }
  for (const auto& a : abs) {
    fs::path rel = a.lexically_relative(common);
    paths.push_back(rel.empty() ? a.filename().string() : rel.string());
  }
  return paths;
}

class Driver {
 public:
  explicit Driver(const CompileOptions& options) : options_(options), sink_(options.max_errors) {}

  CompileResult Run(const std::vector<std::pair<std::string, std::optional<std::string>>>& roots) {
    CompileResult result;
    for (const auto& [path, text] : roots) {
      int unit = Load(path, text, SourceLocation{}, /*from_unit=*/-1);
      if (unit >= 0) units_[static_cast<size_t>(unit)].root = true;
    }
    if (!sink_.has_errors()) {
      bool any_map = false;
      for (const auto& u : units_) any_map |= u.root && !u.module.maps.empty();
      if (!any_map && !units_.empty()) {
        sink_.Error({0, 1, 1}, DiagCode::E0200, "no `map` declared: a program needs at least one map as its entry point");
      }
    }
    // Check even after syntax errors: ANTLR recovered a tree, and checking it reports the remaining errors
    // of the file in the same run.
    bytecode::Program program;
    if (!sink_.full()) {
      std::vector<std::string> paths = ProgramPaths(files_);
      SemaOptions sopts;
      sopts.fold_constants = options_.fold_constants;
      // A constant cannot be larger than the format allows (the verifier would reject the file).
      sopts.max_constant_bytes = std::min<uint64_t>(options_.max_constant_bytes, bytecode::kMaxStringBytes);
      sopts.max_constant_pool_bytes = options_.max_constant_pool_bytes;
      sopts.warn_undeclared_z_segments = options_.warn_undeclared_z_segments;
      CheckFhir(units_, sink_);
      CheckedProgram checked;
      // Lowering trusts what sema accepted: it runs only on a program without errors.
      if (Check(units_, sopts, sink_, &checked)) {
        LowerOptions lopts;
        lopts.max_constant_pool_bytes = options_.max_constant_pool_bytes;
        Lower(checked, paths, lopts, sink_, &program);
      }
      if (options_.peephole && !sink_.has_errors()) (void)Peephole(&program);
    }
    if (!sink_.has_errors()) {
      Status verified = bytecode::VerifyProgram(program);
      if (!verified.ok()) {
        sink_.Error({0, 0, 0}, DiagCode::E0000, "internal error: the compiler produced an invalid program: " +
                                            verified.ToString());
      } else {
        result.bytecode = bytecode::WriteProgram(program);
      }
    }
    result.diagnostics = std::move(sink_.diagnostics());
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
      if (a.loc.file != b.loc.file) return a.loc.file < b.loc.file;
      if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
      return a.loc.col < b.loc.col;
    });
    result.files = std::move(files_);
    if (!result.diagnostics.empty()) {
      bool errors = false;
      for (const auto& d : result.diagnostics) errors |= d.severity == Severity::kError;
      if (errors) result.bytecode.reset();
    }
    return result;
  }

 private:
  // Loads and parses a file once; returns its unit index, or -1.
  int Load(const std::string& path, const std::optional<std::string>& text, SourceLocation from, int from_unit) {
    std::string key = path;
    std::error_code ec;
    if (!text) {
      fs::path canon = fs::weakly_canonical(path, ec);
      if (!ec) key = canon.string();
    }
    auto it = unit_by_key_.find(key);
    if (it != unit_by_key_.end()) {
      if (loading_.count(it->second)) {
        sink_.Error(from, DiagCode::E0223, "import cycle: '" + path + "' imports itself (directly or indirectly)");
        return -1;
      }
      return it->second;
    }
    std::string source;
    if (text) {
      source = *text;
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        sink_.Error(from, DiagCode::E0001, "cannot read '" + path + "'");
        return -1;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      source = ss.str();
    }
    uint32_t file = static_cast<uint32_t>(files_.size());
    files_.push_back({path, source});
    if (source.size() > options_.max_source_bytes) {
      sink_.Error({file, 1, 1}, DiagCode::E0002,
                  "file is larger than the limit of " + std::to_string(options_.max_source_bytes) + " bytes");
      return -1;
    }
    int unit = static_cast<int>(units_.size());
    units_.emplace_back();
    units_.back().path = path;
    unit_by_key_[key] = unit;
    loading_.insert(unit);
    ParseOptions popts;
    popts.max_nesting = options_.max_nesting;
    Module module;
    ParseModule(file, source, popts, arena_, sink_, &module);
    std::vector<int> imports;
    std::vector<std::string> aliases;
    for (const ImportDecl& imp : module.imports) {
      std::string rel = imp.path;
      std::replace(rel.begin(), rel.end(), '.', '/');
      rel += ".cw";
      std::vector<fs::path> candidates;
      candidates.push_back(fs::path(path).parent_path() / rel);
      for (const auto& dir : options_.include_dirs) candidates.push_back(fs::path(dir) / rel);
      std::string found;
      for (const auto& c : candidates) {
        if (fs::is_regular_file(c, ec)) {
          found = c.string();
          break;
        }
      }
      if (found.empty()) {
        std::string searched;
        for (const auto& c : candidates) searched += (searched.empty() ? "" : ", ") + c.parent_path().string();
        sink_.Error(imp.loc, DiagCode::E0201, "cannot find module '" + imp.path + "' (looked for " + rel + " in " +
                                          searched + ")");
        continue;
      }
      int dep = Load(found, std::nullopt, imp.loc, unit);
      if (dep < 0) continue;
      imports.push_back(dep);
      std::string alias = imp.alias;
      if (alias.empty()) {
        size_t dot = imp.path.rfind('.');
        alias = dot == std::string::npos ? imp.path : imp.path.substr(dot + 1);
      }
      aliases.push_back(alias);
    }
    loading_.erase(unit);
    ModuleUnit& u = units_[static_cast<size_t>(unit)];
    u.module = std::move(module);
    u.imports = std::move(imports);
    u.aliases = std::move(aliases);
    (void)from_unit;
    return unit;
  }

  const CompileOptions& options_;
  DiagnosticSink sink_;
  AstArena arena_;
  std::vector<ModuleUnit> units_;
  std::vector<SourceFileInfo> files_;
  std::map<std::string, int> unit_by_key_;
  std::set<int> loading_;
};

}  // namespace

CompileResult Compile(const std::vector<std::string>& root_files, const CompileOptions& options) {
  std::vector<std::pair<std::string, std::optional<std::string>>> roots;
  for (const auto& f : root_files) roots.emplace_back(f, std::nullopt);
  try {
    return Driver(options).Run(roots);
  } catch (const std::exception& e) {
    CompileResult r;
    r.diagnostics.push_back({Severity::kError, {}, std::string(DiagCodeName(DiagCode::E0000)), std::string("internal error: ") + e.what()});
    return r;
  }
}

CompileResult CompileSource(const std::string& path, const std::string& text, const CompileOptions& options) {
  try {
    return Driver(options).Run({{path, text}});
  } catch (const std::exception& e) {
    CompileResult r;
    r.diagnostics.push_back({Severity::kError, {}, std::string(DiagCodeName(DiagCode::E0000)), std::string("internal error: ") + e.what()});
    return r;
  }
}

namespace {

// How much of a long source line is shown around the column (a generated map may hold one huge line).
constexpr size_t kShownLineBytes = 160;

// "  <line>\n  <spaces>^\n". The shown text is safe for a terminal: control characters and bytes that are
// not UTF-8 (the error may be about them) become spaces and '?'; a long line is cut to a window around
// the column. The caret counts characters, not bytes, so it sits under the column's character.
std::string SourceLineWithCaret(std::string_view line, uint32_t col) {
  size_t at = col > 0 ? col - 1 : 0;  // byte offset of the column in the line
  if (at > line.size()) at = line.size();
  size_t from = 0, to = line.size();
  if (line.size() > kShownLineBytes) {
    from = at > kShownLineBytes / 2 ? at - kShownLineBytes / 2 : 0;
    to = std::min(line.size(), from + kShownLineBytes);
    // Whole characters only: do not start or end inside a UTF-8 sequence.
    while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xC0) == 0x80) --from;
    while (to < line.size() && (static_cast<unsigned char>(line[to]) & 0xC0) == 0x80) ++to;
  }
  std::string shown = from > 0 ? "..." : "";
  std::string caret(shown.size(), ' ');
  for (size_t i = from; i < to; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    bool before = i < at;
    if (c == '\t') {
      shown += '\t';
      if (before) caret += '\t';
    } else if (c < 0x20 || c == 0x7F) {
      shown += ' ';
      if (before) caret += ' ';
    } else if (c < 0x80) {
      shown += static_cast<char>(c);
      if (before) caret += ' ';
    } else {
      // A multi-byte character, kept when it is well formed, else '?' per byte.
      size_t n = Utf8SequenceLength(line, i);
      if (n == 0 || i + n > to) {
        shown += '?';
        if (before) caret += ' ';
        continue;
      }
      shown.append(line.substr(i, n));
      if (before) caret += ' ';
      i += n - 1;
    }
  }
  if (to < line.size()) shown += "...";
  return "  " + shown + "\n  " + caret + "^\n";
}

}  // namespace

std::string FormatDiagnostics(const CompileResult& result) { return FormatDiagnostics(result.diagnostics, result.files); }

std::string FormatDiagnostics(const std::vector<Diagnostic>& diagnostics, const std::vector<SourceFileInfo>& files) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    const SourceFileInfo* file = d.loc.file < files.size() ? &files[d.loc.file] : nullptr;
    if (file) out += file->path + ":";
    if (d.loc.line) out += std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ":";
    out += d.severity == Severity::kError ? " error: " : d.severity == Severity::kWarning ? " warning: " : " note: ";
    out += d.message;
    if (!d.code.empty()) out += " [" + d.code + "]";
    out += "\n";
    if (file && d.loc.line) {
      // The source line and a caret under the column.
      size_t start = 0;
      for (uint32_t l = 1; l < d.loc.line && start != std::string::npos; ++l) {
        start = file->text.find('\n', start);
        if (start != std::string::npos) ++start;
      }
      if (start != std::string::npos && start <= file->text.size()) {
        size_t end = file->text.find('\n', start);
        std::string line = file->text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out += SourceLineWithCaret(line, d.loc.col);
      }
    }
  }
  return out;
}

}  // namespace crosswalk::compiler
