// FormatSource (compiler.h): parse for the syntax errors, lay the tokens out (layout/layout.h), and check that
// only white space changed before handing the text back.
#include <exception>

#include "ast/ast.h"
#include "crosswalk/compiler/compiler.h"
#include "diag/sink.h"
#include "layout/layout.h"
#include "parse/parse_adapter.h"

namespace crosswalk::compiler {
namespace {

bool SameTokens(const std::string& a, const std::vector<SourceToken>& ta, const std::string& b,
                const std::vector<SourceToken>& tb) {
  if (ta.size() != tb.size()) return false;
  for (size_t i = 0; i < ta.size(); ++i) {
    if (ta[i].kind != tb[i].kind ||
        a.compare(ta[i].begin, ta[i].end - ta[i].begin, b, tb[i].begin, tb[i].end - tb[i].begin) != 0) {
      return false;
    }
  }
  return true;
}

FormatResult Format(const std::string& path, const std::string& text, const CompileOptions& options) {
  FormatResult r;
  r.files.push_back({path, text});
  DiagnosticSink sink(options.max_errors);
  if (text.size() > options.max_source_bytes) {
    sink.Error({0, 1, 1}, DiagCode::E0002, "file is larger than the limit of " + std::to_string(options.max_source_bytes) + " bytes");
    r.diagnostics = std::move(sink.diagnostics());
    return r;
  }
  AstArena arena;
  Module module;
  ParseOptions popts;
  popts.max_nesting = options.max_nesting;
  if (!ParseModule(0, text, popts, arena, sink, &module) || sink.has_errors()) {
    r.diagnostics = std::move(sink.diagnostics());
    return r;
  }
  std::vector<SourceToken> tokens, again;
  std::optional<std::string> out;
  if (LexSource(text, &tokens)) out = FormatTokens(text, tokens);
  if (!out || !LexSource(*out, &again) || !SameTokens(text, tokens, *out, again) ||
      SourceComments(text, tokens) != SourceComments(*out, again)) {
    r.diagnostics.push_back({Severity::kError, {0, 0, 0}, std::string(DiagCodeName(DiagCode::E0000)),
                             "internal error: the formatter would change more than white space (file left as it is)"});
    return r;
  }
  r.formatted = std::move(out);
  return r;
}

}  // namespace

FormatResult FormatSource(const std::string& path, const std::string& text, const CompileOptions& options) {
  try {
    return Format(path, text, options);
  } catch (const std::exception& e) {
    FormatResult r;
    r.files.push_back({path, text});
    r.diagnostics.push_back({Severity::kError, {}, std::string(DiagCodeName(DiagCode::E0000)), std::string("internal error: ") + e.what()});
    return r;
  }
}

}  // namespace crosswalk::compiler
