// The canonical layout of a map source file (`crosswalk fmt`).
//
// The formatter works on the token stream, not the AST, so that every comment stays where it was and the
// author's line breaks are kept (as gofmt keeps them). What it decides:
//   - spacing inside a line: one space around binary operators, `=>`, `->`, `??`, `=`, `|` and after `,`
//     and `:`; none inside `()` and `[]`, before `,` `;` `:` `.` `(` of a call and `[` of an index, or
//     after a unary `-` and `...`; `{ a: 1 }` with inner spaces, `{}` when empty; `map M : hl7v2 ...`
//     keeps a space before its colon;
//   - indentation: two spaces per bracket (`{`, `[` or `(`) left open at the end of a line; a line that
//     starts with the bracket's closer goes back to the opening line's indentation;
//   - continuation lines (inside a bracket opened earlier on a line that goes on after it, after a line
//     ending in an operator, `:`, `=`, `=>`, `then`, `else`..., or starting with `??`, `else`, `and`,
//     `or`, `.`, an operator...) keep their indentation relative to the statement's first line, so that
//     aligned `??` chains and arguments stay aligned;
//   - a comment alone on its line is indented like the code line after it; the space before a comment at
//     the end of a line is kept (aligned comments stay aligned);
//   - trailing spaces removed, runs of blank lines cut to one, none at the start or end, `\n` line ends,
//     one final newline.
// Strings (templates included) and comments are copied byte for byte. The result is idempotent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "parse/parse_adapter.h"

namespace crosswalk::compiler {

// Lays out `text`, whose tokens (LexSource) are `tokens`. Returns nothing when the text between tokens is
// not white space and comments (the tokens are not this text's).
std::optional<std::string> FormatTokens(const std::string& text, const std::vector<SourceToken>& tokens);

// The comments of `text` (the parts of the text between tokens that are not white space), in order, each
// with its trailing `\r` removed: what the formatter must keep.
std::vector<std::string> SourceComments(const std::string& text, const std::vector<SourceToken>& tokens);

}  // namespace crosswalk::compiler
