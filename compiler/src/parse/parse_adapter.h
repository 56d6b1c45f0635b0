// The parse adapter: the ONLY code that touches ANTLR-generated classes. Source text in, AST out.
// Never throws: syntax errors become diagnostics; anything unexpected from ANTLR becomes an internal
// diagnostic (E0000).
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ast/ast.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

struct ParseOptions {
  uint32_t max_nesting = 600;  // parse levels (expressions, blocks, statements); deeper is error E0003
};

// Parses `text` (file index `file` for locations) into `out`. Returns false when there were syntax
// errors (they are in `sink`); `out` then holds what could be recovered.
bool ParseModule(uint32_t file, const std::string& text, const ParseOptions& options, AstArena& arena,
                 DiagnosticSink& sink, Module* out);

// One token of a source file, for tools that work on the text itself (the formatter). Comments and white
// space are not tokens: they are the text between two tokens.
enum class TokenKind : uint8_t {
  kName,      // an identifier
  kKeyword,   // map, def, let, if, and, true, hl7v2, ...
  kNumber,    // 12, 1.50
  kString,    // "..." or '...' (a template's ${...} parts stay inside)
  kV2Field,   // PID-5
  kDotNum,    // .4
  kPunct,     // operators and punctuation: { } ( ) [ ] , ; : . ... -> => ?? == ...
  kInvalid,   // a character or an unterminated string the grammar has no use for
};
struct SourceToken {
  TokenKind kind;
  size_t begin;  // byte offsets into the text: [begin, end)
  size_t end;
};

// The tokens of `text` in order, by the same lexer the parser uses. The text must have passed the checks
// ParseModule makes first (UTF-8, no NUL bytes); false (and no tokens) when ANTLR fails otherwise.
bool LexSource(const std::string& text, std::vector<SourceToken>* out);

// Length of the UTF-8 sequence starting at s[i] (strict RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), or 0 when it is not valid. Requires i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

}  // namespace crosswalk::compiler
