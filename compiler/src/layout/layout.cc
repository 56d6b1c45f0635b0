#include "layout/layout.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace crosswalk::compiler {
namespace {

// One thing on a source line: a token or a comment.
struct Elem {
  bool comment = false;
  bool line_comment = false;  // `// ...` (always last on its line)
  size_t token = 0;           // index into tokens, when !comment
  std::string_view text;
  size_t gap = 0;  // columns of white space before it on its line
};

struct Line {
  std::vector<Elem> elems;
  int indent = 0;       // columns of leading white space in the source (a tab counts 2)
  bool blank_before = false;
};

// Splits the text into lines of tokens and comments. False when something between two tokens is neither
// white space nor a comment.
bool SplitLines(const std::string& text, const std::vector<SourceToken>& tokens, std::vector<Line>* lines) {
  lines->assign(1, Line{});
  int blank_run = 0;
  size_t pos = 0;
  size_t column_gap = 0;
  auto add = [&](Elem e) {
    Line& l = lines->back();
    if (l.elems.empty()) {
      l.indent = static_cast<int>(column_gap);
      l.blank_before = blank_run > 0;
      blank_run = 0;
    }
    e.gap = column_gap;
    l.elems.push_back(e);
    column_gap = 0;
  };
  auto scan_gap = [&](size_t end) {
    while (pos < end) {
      char c = text[pos];
      if (c == '\n') {
        if (lines->back().elems.empty()) {
          ++blank_run;
        } else {
          lines->push_back(Line{});
        }
        column_gap = 0;
        ++pos;
      } else if (c == ' ' || c == '\r' || c == '\f') {
        if (c == ' ') ++column_gap;
        ++pos;
      } else if (c == '\t') {
        column_gap += 2;
        ++pos;
      } else if (c == '/' && pos + 1 < end && text[pos + 1] == '/') {
        size_t e = text.find('\n', pos);
        if (e == std::string::npos || e > end) e = end;
        size_t stop = e;
        while (stop > pos && (text[stop - 1] == '\r' || text[stop - 1] == ' ' || text[stop - 1] == '\t')) --stop;
        add({true, true, 0, std::string_view(text).substr(pos, stop - pos)});
        pos = e;
      } else if (c == '/' && pos + 1 < end && text[pos + 1] == '*') {
        size_t e = text.find("*/", pos + 2);
        if (e == std::string::npos || e + 2 > end) return false;
        add({true, false, 0, std::string_view(text).substr(pos, e + 2 - pos)});
        pos = e + 2;
      } else {
        return false;
      }
    }
    return true;
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].begin < pos || tokens[i].end > text.size()) return false;
    if (!scan_gap(tokens[i].begin)) return false;
    add({false, false, i, std::string_view(text).substr(tokens[i].begin, tokens[i].end - tokens[i].begin)});
    pos = tokens[i].end;
  }
  if (!scan_gap(text.size())) return false;
  if (lines->back().elems.empty()) lines->pop_back();
  return true;
}

bool IsOpener(std::string_view t) { return t == "{" || t == "(" || t == "["; }
bool IsCloser(std::string_view t) { return t == "}" || t == ")" || t == "]"; }

// A line ending in one of these goes on on the next line.
const std::set<std::string_view> kContinuesAfter = {
    "=", "=>", "->", ":", "??", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or",
    "not", "if", "then", "else", "in", "where", ".", "|", "match", "for", "let", "def", "map", "return",
    "warn", "fail", "...", "as", "import", "const"};
// A line starting with one of these continues the line before.
const std::set<std::string_view> kContinuesBefore = {
    "??", "else", "then", "and", "or", "where", "in", "=>", "->", "+", "*", "/", "%", "==", "!=", "<", "<=",
    ">", ">=", ".", "|", "="};

class Formatter {
 public:
  Formatter(const std::string& text, const std::vector<SourceToken>& tokens, const std::vector<Line>& lines)
      : tokens_(tokens), lines_(lines) {
    text_of_.reserve(tokens.size());
    for (const SourceToken& t : tokens) text_of_.push_back(std::string_view(text).substr(t.begin, t.end - t.begin));
    levels_.push_back({0, 0, 0, true});
  }

  std::string Run() {
    for (size_t i = 0; i < lines_.size(); ++i) {
      const Line& line = lines_[i];
      if (line.blank_before && !out_.empty()) out_ += '\n';
      const Elem* first = FirstCode(line);
      int indent;
      if (first == nullptr) {
        indent = CommentIndent(i);
      } else {
        Placement p = Place(line, *first);
        indent = p.indent;
        if (p.statement) {
          levels_.back().anchor_source = line.indent;
          levels_.back().anchor = indent;
          levels_.back().has_anchor = true;
        }
      }
      out_.append(static_cast<size_t>(indent), ' ');
      Emit(line);
      out_ += '\n';
      if (first != nullptr) Track(line, indent);
    }
    return out_;
  }

 private:
  struct Level {
    int inner;          // indentation of the statements inside
    int anchor_source;  // source and new indentation of the last statement line at this level
    int anchor;
    bool has_anchor;
  };
  struct Bracket {
    bool trailing;  // last code on its line: the lines after it are indented one step
    int line_indent;
  };
  struct Placement {
    int indent;
    bool statement;
  };

  static const Elem* FirstCode(const Line& line) {
    for (const Elem& e : line.elems) {
      if (!e.comment) return &e;
    }
    return nullptr;
  }
  static const Elem* LastCode(const Line& line) {
    for (auto it = line.elems.rbegin(); it != line.elems.rend(); ++it) {
      if (!it->comment) return &*it;
    }
    return nullptr;
  }

  int Continuation(const Line& line) const {
    const Level& level = levels_.back();
    if (!level.has_anchor) return level.inner;
    return std::max(level.anchor, level.anchor + (line.indent - level.anchor_source));
  }

  Placement Place(const Line& line, const Elem& first) const {
    if (IsCloser(first.text) && !brackets_.empty()) {
      const Bracket& b = brackets_.back();
      if (b.trailing) return {b.line_indent, false};
      return {Continuation(line), false};
    }
    if (!brackets_.empty() && !brackets_.back().trailing) return {Continuation(line), false};
    bool continues = (last_code_ != nullptr && kContinuesAfter.count(*last_code_)) ||
                     kContinuesBefore.count(first.text) || tokens_[first.token].kind == TokenKind::kDotNum;
    if (continues) return {Continuation(line), false};
    return {levels_.back().inner, true};
  }

  // A comment alone on its line: indented like the next code line, or like the statements of the block
  // when that line closes it.
  int CommentIndent(size_t i) const {
    for (size_t j = i + 1; j < lines_.size(); ++j) {
      const Elem* first = FirstCode(lines_[j]);
      if (first == nullptr) continue;
      if (IsCloser(first->text) && !brackets_.empty() && brackets_.back().trailing) return levels_.back().inner;
      return Place(lines_[j], *first).indent;
    }
    return levels_.back().inner;
  }

  bool UnaryMinus(size_t token) const {
    if (token == 0) return true;
    const SourceToken& prev = tokens_[token - 1];
    switch (prev.kind) {
      case TokenKind::kName:
      case TokenKind::kNumber:
      case TokenKind::kString:
      case TokenKind::kV2Field:
      case TokenKind::kDotNum:
        return false;
      default:
        break;
    }
    std::string_view t = Text(token - 1);
    return !(t == ")" || t == "]" || t == "}" || t == "true" || t == "false" || t == "null");
  }

  std::string_view Text(size_t token) const { return text_of_[token]; }

  // Whether a space goes between two consecutive tokens of a line.
  bool Space(const Elem& a, const Elem& b) const {
    std::string_view x = a.text, y = b.text;
    const SourceToken& ta = tokens_[a.token];
    const SourceToken& tb = tokens_[b.token];
    if (y == ")" || y == "]" || y == "," || y == ";") return false;
    if (x == "(" || x == "[" || x == "...") return false;
    if (x == "." || y == "." || tb.kind == TokenKind::kDotNum) return false;
    if (x == "-" && UnaryMinus(a.token)) return false;
    if (y == "(") return ta.kind != TokenKind::kName;
    if (y == "[") {
      bool index = ta.kind == TokenKind::kName || ta.kind == TokenKind::kV2Field || ta.kind == TokenKind::kDotNum ||
                   x == "]" || x == ")";
      return !index;
    }
    if (y == ":") {
      // `map NAME : kind`: the header keeps the space before its colon.
      return a.token >= 1 && Text(a.token - 1) == "map" && ta.kind == TokenKind::kName;
    }
    if (x == "{" && y == "}") return false;
    return true;
  }

  void Emit(const Line& line) {
    const Elem* prev = nullptr;
    for (const Elem& e : line.elems) {
      if (prev != nullptr) {
        if (e.line_comment) {
          out_.append(std::max<size_t>(e.gap, 1), ' ');
        } else if (e.comment || prev->comment || Space(*prev, e)) {
          out_ += ' ';
        }
      }
      out_.append(e.text);
      prev = &e;
    }
  }

  // Updates the open brackets and levels after a code line at `indent`.
  void Track(const Line& line, int indent) {
    const Elem* last = LastCode(line);
    for (const Elem& e : line.elems) {
      if (e.comment) continue;
      if (IsOpener(e.text)) {
        bool trailing = &e == last;
        brackets_.push_back({trailing, indent});
        if (trailing) levels_.push_back({indent + 2, 0, 0, false});
      } else if (IsCloser(e.text) && !brackets_.empty()) {
        if (brackets_.back().trailing && levels_.size() > 1) levels_.pop_back();
        brackets_.pop_back();
      }
    }
    last_code_ = &last->text;
  }

  const std::vector<SourceToken>& tokens_;
  const std::vector<Line>& lines_;
  std::vector<std::string_view> text_of_;
  std::vector<Level> levels_;
  std::vector<Bracket> brackets_;
  const std::string_view* last_code_ = nullptr;
  std::string out_;
};

}  // namespace

std::optional<std::string> FormatTokens(const std::string& text, const std::vector<SourceToken>& tokens) {
  std::vector<Line> lines;
  if (!SplitLines(text, tokens, &lines)) return std::nullopt;
  return Formatter(text, tokens, lines).Run();
}

std::vector<std::string> SourceComments(const std::string& text, const std::vector<SourceToken>& tokens) {
  std::vector<std::string> out;
  std::vector<Line> lines;
  if (!SplitLines(text, tokens, &lines)) return out;
  for (const Line& l : lines) {
    for (const Elem& e : l.elems) {
      if (e.comment) out.emplace_back(e.text);
    }
  }
  return out;
}

}  // namespace crosswalk::compiler
