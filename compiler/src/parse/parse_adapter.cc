// The ONLY file that includes ANTLR-generated code or the ANTLR runtime.
//
// Pipeline: lexer → parser (errors turned into diagnostics by SyntaxErrorListener, nesting bounded by
// DepthListener) → the parse tree is walked once by AstBuilder, which builds our AST in the AstArena.
// String templates ("a${x}b") are split here and each ${...} part is parsed with the same parser.
#include "parse/parse_adapter.h"

#include <charconv>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "CrosswalkLexer.h"
#include "CrosswalkParser.h"
#include "antlr4-runtime.h"

namespace crosswalk::compiler {
namespace {

using crosswalk_grammar::CrosswalkLexer;
using crosswalk_grammar::CrosswalkParser;
using P = CrosswalkParser;

// Closers the bracket pass inserts before the token that starts at code point `before` (see CheckBrackets).
struct BracketRepair {
  size_t before;
  std::string closers;
};

// The lexer's tokens with the repairs' closers inserted. An inserted token takes the line and column of
// the token it precedes (no real token's position changes) and has no text range in the input.
class RepairedTokenSource : public antlr4::TokenSource {
 public:
  RepairedTokenSource(CrosswalkLexer& lexer, const std::vector<BracketRepair>& repairs)
      : lexer_(lexer), repairs_(repairs) {}

  std::unique_ptr<antlr4::Token> nextToken() override {
    if (!pending_.empty()) {
      std::unique_ptr<antlr4::Token> t = std::move(pending_.front());
      pending_.erase(pending_.begin());
      return t;
    }
    std::unique_ptr<antlr4::Token> t = lexer_.nextToken();
    if (next_ < repairs_.size() && t->getStartIndex() == repairs_[next_].before) {
      const BracketRepair& r = repairs_[next_++];
      std::vector<std::unique_ptr<antlr4::Token>> out;
      for (char c : r.closers) {
        size_t type = c == ')' ? CrosswalkLexer::RPAREN : c == ']' ? CrosswalkLexer::RBRACK : CrosswalkLexer::RBRACE;
        auto closer = std::make_unique<antlr4::CommonToken>(type, std::string(1, c));
        closer->setLine(t->getLine());
        closer->setCharPositionInLine(t->getCharPositionInLine());
        closer->setStartIndex(INVALID_INDEX);
        closer->setStopIndex(INVALID_INDEX);
        out.push_back(std::move(closer));
      }
      out.push_back(std::move(t));
      t = std::move(out.front());
      for (size_t i = 1; i < out.size(); ++i) pending_.push_back(std::move(out[i]));
    }
    return t;
  }
  size_t getLine() const override { return lexer_.getLine(); }
  size_t getCharPositionInLine() override { return lexer_.getCharPositionInLine(); }
  antlr4::CharStream* getInputStream() override { return lexer_.getInputStream(); }
  std::string getSourceName() override { return lexer_.getSourceName(); }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override { return lexer_.getTokenFactory(); }

 private:
  CrosswalkLexer& lexer_;
  const std::vector<BracketRepair>& repairs_;
  size_t next_ = 0;
  std::vector<std::unique_ptr<antlr4::Token>> pending_;
};

// Thrown by DepthListener to stop the parse; caught in ParseText.
struct NestingTooDeep {};

std::string Trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return std::string(s.substr(a, b - a + 1));
}

std::string NestingMessage(const ParseOptions& options) {
  return "nesting too deep (more than " + std::to_string(options.max_nesting) +
         " levels; each nested expression, block and statement, and each operator of a chain such as "
         "`a + b + c`, is a level)";
}

// Renders a token for a message: keywords and punctuation in quotes, others by kind.
std::string TokenName(const antlr4::dfa::Vocabulary& vocab, size_t type) {
  if (type == antlr4::Token::EOF) return "end of file";
  std::string literal = vocab.getLiteralName(type);
  if (!literal.empty()) {
    if (literal.size() >= 2 && literal.front() == '\'') literal = literal.substr(1, literal.size() - 2);
    return "'" + literal + "'";
  }
  std::string symbolic = vocab.getSymbolicName(type);
  if (symbolic == "ID") return "a name";
  if (symbolic == "INT" || symbolic == "DECIMAL") return "a number";
  if (symbolic == "STRING" || symbolic == "SQSTRING") return "a string";
  if (symbolic == "V2FIELD") return "an HL7 v2 field";
  if (symbolic == "DOTNUM") return "a component number";
  return symbolic;
}

std::string Describe(const antlr4::Token* token) {
  if (token == nullptr) return "input";
  if (token->getType() == antlr4::Token::EOF) return "end of file";
  std::string text = token->getText();
  if (token->getType() == CrosswalkLexer::UNTERMINATED_STRING) return "an unterminated string";
  if (text.size() > 24) text = text.substr(0, 24) + "...";
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return "'" + text + "'";
}

class SyntaxErrorListener : public antlr4::BaseErrorListener {
 public:
  SyntaxErrorListener(DiagnosticSink& sink, uint32_t file, uint32_t line_offset, uint32_t col_offset)
      : sink_(sink), file_(file), line_offset_(line_offset), col_offset_(col_offset) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr) override {
    SourceLocation loc{file_, static_cast<uint32_t>(line) + line_offset_,
                       static_cast<uint32_t>(col) + 1 + (line == 1 ? col_offset_ : 0)};
    ++errors;
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    if (parser == nullptr) {
      // Lexer errors: the ERRCHAR rule makes these rare.
      sink_.Error(loc, DiagCode::E0101, "unexpected character");
      return;
    }
    if (offending && offending->getType() == CrosswalkLexer::ERRCHAR) {
      sink_.Error(loc, DiagCode::E0101, "unexpected character " + Describe(offending));
      return;
    }
    if (offending && offending->getType() == CrosswalkLexer::UNTERMINATED_STRING) {
      sink_.Error(loc, DiagCode::E0102, "unterminated string (a string must end with \" on the same line)");
      return;
    }
    std::string expected;
    try {
      antlr4::misc::IntervalSet set = parser->getExpectedTokens();
      std::vector<std::string> names;
      for (ssize_t t : set.toList()) {
        if (t == CrosswalkLexer::ERRCHAR || t == CrosswalkLexer::UNTERMINATED_STRING) continue;
        names.push_back(TokenName(parser->getVocabulary(), static_cast<size_t>(t)));
      }
      std::set<std::string> unique(names.begin(), names.end());
      if (!unique.empty() && unique.size() <= 4) {
        expected = "expected ";
        size_t i = 0;
        for (const auto& n : unique) {
          if (i > 0) expected += i + 1 == unique.size() ? " or " : ", ";
          expected += n;
          ++i;
        }
      }
    } catch (...) {
      expected.clear();
    }
    std::string found = Describe(offending);
    if (msg.rfind("missing ", 0) == 0 && !expected.empty()) {
      sink_.Error(loc, DiagCode::E0103, expected + " before " + found);
    } else if (!expected.empty()) {
      sink_.Error(loc, DiagCode::E0103, expected + ", found " + found);
    } else {
      sink_.Error(loc, DiagCode::E0104, "unexpected " + found);
    }
  }

  int errors = 0;

 private:
  DiagnosticSink& sink_;
  uint32_t file_;
  uint32_t line_offset_;
  uint32_t col_offset_;
};

// Bounds the parser's recursion: counts nested expr/block/stmt rules, the `else if` links of an if statement
// (the parser recurses on each), and the links of left-associative chains (`a + b + c`, `a.b.c`, `x[0][1]`).
// ANTLR parses a chain in a loop, so it costs the parser no stack, but the tree it builds is as deep as the
// chain is long and every later pass walks that tree recursively: a link counts as one level, as a nested
// parenthesis does. The open rules are ancestors of the current one in the finished tree, and a chain's
// first operand lies `links` levels below its last link, so the count is a lower bound of the tree's depth:
// the listener never rejects what AstBuilder, which counts the finished tree exactly, would accept. It stops
// a 1e6-term chain after a few hundred terms.
class DepthListener : public antlr4::tree::ParseTreeListener {
 public:
  DepthListener(uint32_t max_depth, uint32_t initial_depth, antlr4::TokenStream* tokens)
      : max_depth_(max_depth), base_(initial_depth), tokens_(tokens) {}
  void enterEveryRule(antlr4::ParserRuleContext* ctx) override {
    if (!Counted(ctx)) return;
    // A chain link: ANTLR makes the previous operand (just exited) the first child of the new context.
    uint32_t links = 0;
    if (ctx->getRuleIndex() == P::RuleExpr && !ctx->children.empty() && ctx->children.back() == last_exited_) {
      links = last_links_ + 1;
    }
    open_.push_back(links);
    if (base_ + open_.size() + links > max_depth_) {
      // A chain link starts where the chain starts: point at its operator, the next token, instead.
      offending = links > 0 ? tokens_->LT(1) : ctx->getStart();
      throw NestingTooDeep{};
    }
  }
  void exitEveryRule(antlr4::ParserRuleContext* ctx) override {
    if (!Counted(ctx) || open_.empty()) return;
    last_links_ = open_.back();
    last_exited_ = ctx;
    open_.pop_back();
  }
  void visitTerminal(antlr4::tree::TerminalNode*) override {}
  void visitErrorNode(antlr4::tree::ErrorNode*) override {}

  antlr4::Token* offending = nullptr;

 private:
  static bool Counted(antlr4::ParserRuleContext* ctx) {
    size_t rule = ctx->getRuleIndex();
    if (rule == P::RuleExpr || rule == P::RuleBlock || rule == P::RuleStmt) return true;
    // `else if`: an ifStmt inside an ifStmt (the first one is counted as its stmt).
    return rule == P::RuleIfStmt && dynamic_cast<P::IfStmtContext*>(ctx->parent) != nullptr;
  }

  uint32_t max_depth_;
  uint32_t base_;                 // levels of the enclosing file (for the ${...} parts of a template)
  antlr4::TokenStream* tokens_;
  std::vector<uint32_t> open_;    // per open counted rule: the chain links it continues
  const antlr4::ParserRuleContext* last_exited_ = nullptr;
  uint32_t last_links_ = 0;
};

// Builds the AST from a parse tree.
class AstBuilder {
 public:
  // `depth` is the number of levels enclosing what this builder builds (non-zero for the ${...} parts of a
  // template); `nesting_reported` is shared by every builder of one file, so E0003 is reported once.
  AstBuilder(uint32_t file, uint32_t line_offset, uint32_t col_offset, const ParseOptions& options,
             AstArena& arena, DiagnosticSink& sink, uint32_t depth, bool* nesting_reported)
      : file_(file), line_offset_(line_offset), col_offset_(col_offset), options_(options), arena_(arena),
        sink_(sink), depth_(depth), nesting_reported_(nesting_reported) {}

  void BuildModule(P::ModuleContext* ctx, Module* out) {
    for (P::ItemContext* item : ctx->item()) {
      if (auto* imp = item->importDecl()) {
        ImportDecl decl;
        decl.loc = Loc(imp->getStart());
        std::string path;
        for (auto* part : imp->qualifiedName()->moduleName()) {
          if (!path.empty()) path += ".";
          path += part->getText();
        }
        decl.path = path;
        if (imp->alias) decl.alias = imp->alias->getText();
        out->imports.push_back(std::move(decl));
      } else if (auto* m = item->mapDecl()) {
        if (m->name == nullptr || m->block() == nullptr) continue;
        MapDecl* decl = arena_.NewMap();
        decl->loc = Loc(m->name);
        decl->name = m->name->getText();
        decl->source = Kind(m->src);
        decl->target = Kind(m->dst);
        if (m->srcType) decl->source_type = Unquote(m->srcType);
        if (m->dstType) decl->target_type = Unquote(m->dstType);
        decl->body = BuildBlock(m->block());
        out->maps.push_back(decl);
      } else if (auto* sd = item->segmentDecl()) {
        if (sd->word == nullptr || sd->name == nullptr) continue;
        SegmentDecl decl;
        decl.word = sd->word->getText();
        decl.word_loc = Loc(sd->word);
        decl.name = sd->name->getText();
        decl.loc = Loc(sd->name);
        for (P::SegmentFieldContext* f : sd->segmentField()) {
          if (f->number == nullptr || f->fieldName == nullptr) continue;
          SegmentDecl::Field field;
          field.loc = Loc(f->number);
          int64_t n = 0;
          std::string digits = f->number->getText();
          auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
          field.number = ec == std::errc() && end == digits.data() + digits.size() ? n : -1;  // -1: too large
          field.name = f->fieldName->getText();
          decl.fields.push_back(std::move(field));
        }
        out->segments.push_back(std::move(decl));
      } else if (auto* c = item->constDecl()) {
        if (c->name == nullptr) continue;
        ConstDecl decl;
        decl.loc = Loc(c->name);
        decl.name = c->name->getText();
        decl.value = BuildExpr(c->value);
        out->consts.push_back(std::move(decl));
      } else if (auto* d = item->defDecl()) {
        if (d->name == nullptr) continue;
        DefDecl* decl = arena_.NewDef();
        decl->loc = Loc(d->name);
        decl->name = d->name->getText();
        for (antlr4::Token* p : d->params) {
          decl->params.push_back(p->getText());
          decl->param_locs.push_back(Loc(p));
        }
        if (d->block()) {
          decl->body = BuildBlock(d->block());
        } else if (d->expr()) {
          decl->expr = BuildExpr(d->expr());
        } else {
          continue;
        }
        out->defs.push_back(decl);
      }
    }
  }

  Expr* BuildExpr(P::ExprContext* ctx) {
    if (ctx == nullptr || ctx->exception != nullptr) {
      Expr* e = Null(ctx ? Loc(ctx->getStart()) : SourceLocation{file_, 0, 0});
      e->recovered = true;
      return e;
    }
    Level level(this, ctx);
    if (!level.ok) {
      Expr* e = Null(Loc(ctx->getStart()));
      e->recovered = true;
      return e;
    }
    SourceLocation loc = Loc(ctx->getStart());
    if (auto* c = dynamic_cast<P::PrimaryExprContext*>(ctx)) return BuildPrimary(c->primary());
    if (auto* c = dynamic_cast<P::MemberExprContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kMember, Loc(c->name ? c->name->getStart() : ctx->getStart()));
      e->kids.push_back(BuildExpr(c->expr()));
      e->text = c->name ? c->name->getText() : "";
      return e;
    }
    if (auto* c = dynamic_cast<P::ScopedFieldExprContext*>(ctx)) {
      Expr* e = FieldExpr(c->field);
      e->kids.push_back(BuildExpr(c->expr()));
      return e;
    }
    if (auto* c = dynamic_cast<P::ComponentExprContext*>(ctx)) {
      antlr4::Token* t = c->DOTNUM()->getSymbol();
      Expr* e = arena_.NewExpr(ExprKind::kComponent, Loc(t));
      e->kids.push_back(BuildExpr(c->expr()));
      e->ival = ParseSmallInt(t->getText().substr(1), Loc(t));
      return e;
    }
    if (auto* c = dynamic_cast<P::IndexExprContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kIndex, Loc(c->LBRACK()->getSymbol()));
      e->kids.push_back(BuildExpr(c->expr(0)));
      e->kids.push_back(BuildExpr(c->index));
      return e;
    }
    if (auto* c = dynamic_cast<P::NegExprContext*>(ctx)) return Unary(ExprKind::kNeg, loc, c->expr());
    if (auto* c = dynamic_cast<P::NotExprContext*>(ctx)) return Unary(ExprKind::kNot, loc, c->expr());
    if (auto* c = dynamic_cast<P::MulExprContext*>(ctx)) {
      BinOp op = c->op->getType() == P::STAR ? BinOp::kMul : c->op->getType() == P::SLASH ? BinOp::kDiv
                                                                                          : BinOp::kMod;
      return Binary(op, c->op, c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::AddExprContext*>(ctx)) {
      return Binary(c->op->getType() == P::PLUS ? BinOp::kAdd : BinOp::kSub, c->op, c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::CompareExprContext*>(ctx)) {
      BinOp op = BinOp::kLt;
      switch (c->op->getType()) {
        case P::LT: op = BinOp::kLt; break;
        case P::LE: op = BinOp::kLe; break;
        case P::GT: op = BinOp::kGt; break;
        default: op = BinOp::kGe; break;
      }
      return Binary(op, c->op, c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::EqualExprContext*>(ctx)) {
      return Binary(c->op->getType() == P::EQ ? BinOp::kEq : BinOp::kNe, c->op, c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::AndExprContext*>(ctx)) {
      return Pair(ExprKind::kAnd, Loc(c->AND()->getSymbol()), c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::OrExprContext*>(ctx)) {
      return Pair(ExprKind::kOr, Loc(c->OR()->getSymbol()), c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::CoalesceExprContext*>(ctx)) {
      return Pair(ExprKind::kCoalesce, Loc(c->QQ()->getSymbol()), c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<P::CondExprContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kCond, loc);
      e->kids = {BuildExpr(c->cond), BuildExpr(c->then), BuildExpr(c->otherwise)};
      return e;
    }
    if (auto* c = dynamic_cast<P::ForExprContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kFor, loc);
      e->text = c->var ? c->var->getText() : "_";
      if (c->index) e->ns = c->index->getText();
      e->kids = {BuildExpr(c->iter), BuildExpr(c->body)};
      if (c->filter) e->kids.push_back(BuildExpr(c->filter));
      return e;
    }
    if (auto* c = dynamic_cast<P::MatchExprContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kMatch, loc);
      e->kids.push_back(BuildExpr(c->subject));
      for (P::MatchArmContext* arm : c->matchArm()) {
        MatchArm a;
        a.loc = Loc(arm->getStart());
        for (P::PatternContext* p : arm->pattern()) {
          if (p->ID()) {
            if (p->ID()->getText() != "_") {
              sink_.Error(Loc(p->getStart()), DiagCode::E0105,
                          "a match pattern is a literal or `_`, not the name '" + p->ID()->getText() + "'");
            }
            a.patterns.clear();
            a.patterns.push_back(nullptr);  // wildcard marker
            continue;
          }
          a.patterns.push_back(BuildPattern(p));
        }
        // A wildcard anywhere makes the arm the default.
        bool wildcard = false;
        for (Expr* p : a.patterns) wildcard |= p == nullptr;
        if (wildcard) a.patterns.clear();
        a.value = BuildExpr(arm->expr());
        e->arms.push_back(std::move(a));
      }
      return e;
    }
    return Null(loc);
  }

  Block* BuildBlock(P::BlockContext* ctx) {
    Block* block = arena_.NewBlock(Loc(ctx->getStart()));
    Level level(this, ctx);
    if (!level.ok) return block;
    for (P::StmtContext* s : ctx->stmt()) {
      if (Stmt* stmt = BuildStmt(s)) block->stmts.push_back(stmt);
    }
    return block;
  }

 private:
  // One level of the tree being built: an expr, block or stmt context, or an `else if` (as DepthListener
  // counts them). Here the tree is whole, so a left-associative chain counts one level per link whatever
  // was parsed after it. Past CompileOptions::max_nesting the level is not built (E0003, once per file), so
  // every later recursive pass (folding, lowering) walks a tree of bounded depth.
  struct Level {
    Level(AstBuilder* b, antlr4::ParserRuleContext* ctx) : builder(b) {
      if (++builder->depth_ <= builder->options_.max_nesting) return;
      ok = false;
      if (!*builder->nesting_reported_) {
        *builder->nesting_reported_ = true;
        builder->sink_.Error(builder->Loc(ctx->getStart()), DiagCode::E0003, NestingMessage(builder->options_));
      }
    }
    ~Level() { --builder->depth_; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;
    AstBuilder* builder;
    bool ok = true;
  };

  // The source text of a rule as written (for messages shown without values).
  static std::string SourceText(antlr4::ParserRuleContext* ctx) {
    if (ctx == nullptr || ctx->getStart() == nullptr || ctx->getStop() == nullptr) return "";
    size_t a = ctx->getStart()->getStartIndex();
    size_t b = ctx->getStop()->getStopIndex();
    if (a == INVALID_INDEX || b == INVALID_INDEX || b < a) return "";
    return ctx->getStart()->getInputStream()->getText(antlr4::misc::Interval(a, b));
  }

  SourceLocation Loc(const antlr4::Token* t) const {
    if (t == nullptr) return {file_, 0, 0};
    uint32_t line = static_cast<uint32_t>(t->getLine());
    uint32_t col = static_cast<uint32_t>(t->getCharPositionInLine()) + 1;
    if (line == 1) col += col_offset_;
    return {file_, line + line_offset_, col};
  }

  static DataKind Kind(P::KindContext* k) {
    if (k == nullptr) return DataKind::kJson;
    if (k->HL7V2()) return DataKind::kHl7v2;
    if (k->FHIR()) return DataKind::kFhir;
    return DataKind::kJson;
  }

  Expr* Null(SourceLocation loc) { return arena_.NewExpr(ExprKind::kNull, loc); }

  Expr* Unary(ExprKind kind, SourceLocation loc, P::ExprContext* operand) {
    Expr* e = arena_.NewExpr(kind, loc);
    e->kids.push_back(BuildExpr(operand));
    return e;
  }
  Expr* Pair(ExprKind kind, SourceLocation loc, P::ExprContext* a, P::ExprContext* b) {
    Expr* e = arena_.NewExpr(kind, loc);
    e->kids = {BuildExpr(a), BuildExpr(b)};
    return e;
  }
  Expr* Binary(BinOp op, antlr4::Token* tok, P::ExprContext* a, P::ExprContext* b) {
    Expr* e = Pair(ExprKind::kBinary, Loc(tok), a, b);
    e->op = op;
    return e;
  }

  int64_t ParseSmallInt(const std::string& digits, SourceLocation loc) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size()) {
      sink_.Error(loc, DiagCode::E0106, "number too large");
      return 0;
    }
    return v;
  }

  Expr* FieldExpr(antlr4::Token* t) {
    Expr* e = arena_.NewExpr(ExprKind::kField, Loc(t));
    std::string text = t->getText();
    e->text = text.substr(0, 3);
    e->ival = ParseSmallInt(text.substr(4), Loc(t));
    return e;
  }

  Expr* NumberLiteral(antlr4::Token* t, bool negative) {
    SourceLocation loc = Loc(t);
    std::string text = t->getText();
    if (t->getType() == P::INT) {
      Expr* e = arena_.NewExpr(ExprKind::kInt, loc);
      e->ival = ParseSmallInt(text, loc);
      if (negative) e->ival = -e->ival;
      return e;
    }
    // Decimal: kept exactly as written ("1.50" has scale 2).
    size_t dot = text.find('.');
    std::string digits = text.substr(0, dot) + text.substr(dot + 1);
    Expr* e = arena_.NewExpr(ExprKind::kDecimal, loc);
    size_t scale = text.size() - dot - 1;
    if (scale > 18 || digits.size() > 18) {
      sink_.Error(loc, DiagCode::E0106, "decimal literal has more than 18 digits");
      return e;
    }
    e->ival = ParseSmallInt(digits, loc);
    if (negative) e->ival = -e->ival;
    e->scale = static_cast<uint16_t>(scale);
    return e;
  }

  Expr* BuildLiteral(P::LiteralContext* lit, bool negative = false) {
    SourceLocation loc = Loc(lit->getStart());
    if (lit->INT()) return NumberLiteral(lit->INT()->getSymbol(), negative);
    if (lit->DECIMAL()) return NumberLiteral(lit->DECIMAL()->getSymbol(), negative);
    if (lit->KW_TRUE() || lit->KW_FALSE()) {
      Expr* e = arena_.NewExpr(ExprKind::kBool, loc);
      e->ival = lit->KW_TRUE() ? 1 : 0;
      return e;
    }
    return Null(loc);
  }

  Expr* BuildPattern(P::PatternContext* p) {
    if (p->literal()) return BuildLiteral(p->literal());
    if (p->MINUS()) {
      antlr4::Token* t = p->INT() ? p->INT()->getSymbol() : p->DECIMAL()->getSymbol();
      return NumberLiteral(t, true);
    }
    if (p->STRING()) return StringExpr(p->STRING()->getSymbol(), /*interpolate=*/false);
    return StringExpr(p->SQSTRING()->getSymbol(), false);
  }

  Expr* BuildPrimary(P::PrimaryContext* ctx) {
    SourceLocation loc = Loc(ctx->getStart());
    if (auto* c = dynamic_cast<P::LiteralPrimaryContext*>(ctx)) return BuildLiteral(c->literal());
    if (auto* c = dynamic_cast<P::StringPrimaryContext*>(ctx)) return StringExpr(c->STRING()->getSymbol(), true);
    if (auto* c = dynamic_cast<P::RawStringPrimaryContext*>(ctx)) {
      return StringExpr(c->SQSTRING()->getSymbol(), false);
    }
    if (auto* c = dynamic_cast<P::CallPrimaryContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kCall, Loc(c->fn));
      e->text = c->fn ? c->fn->getText() : "";
      if (c->ns) e->ns = c->ns->getText();
      for (P::ExprContext* a : c->args) e->kids.push_back(BuildExpr(a));
      return e;
    }
    if (auto* c = dynamic_cast<P::NamePrimaryContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kName, loc);
      e->text = c->ID()->getText();
      return e;
    }
    if (auto* c = dynamic_cast<P::FieldPrimaryContext*>(ctx)) return FieldExpr(c->V2FIELD()->getSymbol());
    if (auto* c = dynamic_cast<P::ParenPrimaryContext*>(ctx)) return BuildExpr(c->expr());
    if (auto* c = dynamic_cast<P::ArrayPrimaryContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kArray, loc);
      for (P::ArrayItemContext* item : c->items) {
        Expr* value = BuildExpr(item->value);
        if (item->cond) {
          // `x if c` is `if c then x else null`; null items are dropped from arrays.
          Expr* cond = arena_.NewExpr(ExprKind::kCond, value->loc);
          cond->kids = {BuildExpr(item->cond), value, Null(value->loc)};
          value = cond;
        }
        e->kids.push_back(value);
      }
      return e;
    }
    if (auto* c = dynamic_cast<P::ObjectPrimaryContext*>(ctx)) {
      Expr* e = arena_.NewExpr(ExprKind::kObject, loc);
      e->block = BuildBlock(c->block());
      return e;
    }
    return Null(loc);
  }

  Stmt* BuildStmt(P::StmtContext* ctx) {
    Level level(this, ctx);
    if (!level.ok) return nullptr;
    SourceLocation loc = Loc(ctx->getStart());
    if (auto* c = dynamic_cast<P::FieldStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kField, loc);
      P::FieldKeyContext* key = c->fieldKey();
      s->name = key->STRING() ? Unquote(key->STRING()->getSymbol()) : key->getText();
      s->append = c->append != nullptr;
      s->value = BuildExpr(c->value);
      if (c->cond) s->cond = BuildExpr(c->cond);
      return s;
    }
    if (auto* c = dynamic_cast<P::LetStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kLet, c->name ? Loc(c->name) : loc);
      s->name = c->name ? c->name->getText() : "_";
      s->value = BuildExpr(c->value);
      return s;
    }
    if (auto* c = dynamic_cast<P::IfStatementContext*>(ctx)) return BuildIf(c->ifStmt(), /*else_if=*/false);
    if (auto* c = dynamic_cast<P::ForStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kFor, loc);
      s->name = c->var ? c->var->getText() : "_";
      if (c->index) s->index_name = c->index->getText();
      s->value = BuildExpr(c->iter);
      if (c->filter) s->cond = BuildExpr(c->filter);
      if (c->block()) s->then_block = BuildBlock(c->block());
      return s;
    }
    if (auto* c = dynamic_cast<P::WarnStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kWarn, loc);
      s->value = BuildExpr(c->value);
      s->source = SourceText(c->value);
      if (c->cond) s->cond = BuildExpr(c->cond);
      return s;
    }
    if (auto* c = dynamic_cast<P::FailStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kFail, loc);
      s->value = BuildExpr(c->value);
      s->source = SourceText(c->value);
      if (c->cond) s->cond = BuildExpr(c->cond);
      return s;
    }
    if (auto* c = dynamic_cast<P::SpreadStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kSpread, loc);
      s->value = BuildExpr(c->value);
      if (c->cond) s->cond = BuildExpr(c->cond);
      return s;
    }
    if (auto* c = dynamic_cast<P::ReturnStmtContext*>(ctx)) {
      Stmt* s = arena_.NewStmt(StmtKind::kReturn, loc);
      s->value = BuildExpr(c->value);
      return s;
    }
    return nullptr;
  }

  Stmt* BuildIf(P::IfStmtContext* c, bool else_if) {
    std::optional<Level> level;
    if (else_if) {
      level.emplace(this, c);
      if (!level->ok) {
        Stmt* s = arena_.NewStmt(StmtKind::kIf, Loc(c->getStart()));
        s->cond = Null(s->loc);
        s->cond->recovered = true;
        s->then_block = arena_.NewBlock(s->loc);
        return s;
      }
    }
    Stmt* s = arena_.NewStmt(StmtKind::kIf, Loc(c->getStart()));
    s->cond = BuildExpr(c->cond);
    s->then_block = c->then ? BuildBlock(c->then) : arena_.NewBlock(Loc(c->getStart()));
    if (c->elseIf) {
      Block* b = arena_.NewBlock(Loc(c->elseIf->getStart()));
      b->stmts.push_back(BuildIf(c->elseIf, /*else_if=*/true));
      s->else_block = b;
    } else if (c->otherwise) {
      s->else_block = BuildBlock(c->otherwise);
    }
    return s;
  }

  // The text of a quoted token with escapes resolved (no interpolation).
  std::string Unquote(antlr4::Token* t) {
    std::string raw = t->getText();
    std::string out;
    Unescape(std::string_view(raw).substr(1, raw.size() - 2), Loc(t), 1, &out);
    return out;
  }

  // Resolves escapes of `s` (a slice of a string token starting `col_base` bytes after the token start).
  void Unescape(std::string_view s, SourceLocation tok, size_t col_base, std::string* out) {
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c != '\\' || i + 1 >= s.size()) {
        out->push_back(c);
        continue;
      }
      char n = s[++i];
      switch (n) {
        case 'n': out->push_back('\n'); break;
        case 't': out->push_back('\t'); break;
        case 'r': out->push_back('\r'); break;
        case '\\': case '"': case '\'': case '$': case '/': out->push_back(n); break;
        case 'u': {
          uint32_t cp = 0;
          size_t j = i + 1;
          size_t digits = 0;
          while (j < s.size() && digits < 4 && std::isxdigit(static_cast<unsigned char>(s[j]))) {
            cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(s[j]))
                                                     ? s[j] - '0'
                                                     : (std::tolower(static_cast<unsigned char>(s[j])) - 'a' + 10));
            ++j;
            ++digits;
          }
          if (digits != 4 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            SourceLocation loc = tok;
            loc.col += static_cast<uint32_t>(col_base + i - 1);
            sink_.Error(loc, DiagCode::E0107, "\\u must be followed by four hex digits of a non-surrogate code point");
          } else {
            AppendUtf8(cp, out);
          }
          i = j - 1;
          break;
        }
        default: {
          SourceLocation loc = tok;
          loc.col += static_cast<uint32_t>(col_base + i - 1);
          sink_.Error(loc, DiagCode::E0107, std::string("unknown escape '\\") + n + "' in string");
        }
      }
    }
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // A string literal; double-quoted strings may hold ${expr} parts (a kTemplate).
  Expr* StringExpr(antlr4::Token* t, bool interpolate);

  uint32_t file_;
  uint32_t line_offset_;
  uint32_t col_offset_;
  const ParseOptions& options_;
  AstArena& arena_;
  DiagnosticSink& sink_;
  uint32_t depth_;
  bool* nesting_reported_;
};

// Parses `text` with the given entry rule. line_offset/col_offset place it inside its file.
// `depth` is the number of levels around the text (see AstBuilder); E0003 is reported once per file.
template <typename Fn>
bool ParseText(const std::string& text, uint32_t file, uint32_t line_offset, uint32_t col_offset,
               const ParseOptions& options, uint32_t depth, bool* nesting_reported, DiagnosticSink& sink,
               const std::vector<BracketRepair>& repairs, Fn&& build) {
  antlr4::ANTLRInputStream input(text);
  CrosswalkLexer lexer(&input);
  SyntaxErrorListener listener(sink, file, line_offset, col_offset);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&listener);
  RepairedTokenSource source(lexer, repairs);
  antlr4::CommonTokenStream tokens(&source);
  CrosswalkParser parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  DepthListener depth_listener(options.max_nesting, depth, &tokens);
  parser.addParseListener(&depth_listener);
  try {
    build(parser, listener);
  } catch (const NestingTooDeep&) {
    SourceLocation loc{file, 0, 0};
    if (const antlr4::Token* t = depth_listener.offending) {
      loc.line = static_cast<uint32_t>(t->getLine()) + line_offset;
      loc.col = static_cast<uint32_t>(t->getCharPositionInLine()) + 1 + (t->getLine() == 1 ? col_offset : 0);
    }
    if (!*nesting_reported) {
      *nesting_reported = true;
      sink.Error(loc, DiagCode::E0003, NestingMessage(options));
    }
    return false;
  }
  return listener.errors == 0;
}

Expr* AstBuilder::StringExpr(antlr4::Token* t, bool interpolate) {
  SourceLocation loc = Loc(t);
  std::string raw = t->getText();
  std::string_view body = std::string_view(raw).substr(1, raw.size() - 2);
  if (!interpolate || body.find("${") == std::string_view::npos) {
    Expr* e = arena_.NewExpr(ExprKind::kString, loc);
    Unescape(body, loc, 1, &e->text);
    return e;
  }
  Expr* tmpl = arena_.NewExpr(ExprKind::kTemplate, loc);
  size_t i = 0;
  std::string pending;
  size_t pending_start = 0;
  while (i < body.size()) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      i += 2;
      continue;
    }
    if (body[i] == '$' && i + 1 < body.size() && body[i + 1] == '{') {
      // Literal text before this part.
      if (i > pending_start) {
        Expr* s = arena_.NewExpr(ExprKind::kString, loc);
        Unescape(body.substr(pending_start, i - pending_start), loc, 1 + pending_start, &s->text);
        tmpl->kids.push_back(s);
        tmpl->text += s->text;
      }
      size_t close = body.find('}', i + 2);
      if (close == std::string_view::npos) {
        SourceLocation at = loc;
        at.col += static_cast<uint32_t>(1 + i);
        sink_.Error(at, DiagCode::E0108, "'${' in a string has no closing '}'");
        return tmpl;
      }
      std::string inner(body.substr(i + 2, close - i - 2));
      uint32_t inner_col = loc.col + static_cast<uint32_t>(1 + i + 2) - 1;  // column before the inner text
      Expr* part = nullptr;
      ParseText(inner, file_, loc.line - 1, inner_col, options_, depth_, nesting_reported_, sink_, /*repairs=*/{},
                [&](CrosswalkParser& parser, SyntaxErrorListener& listener) {
                  P::StandaloneExprContext* ctx = parser.standaloneExpr();
                  if (listener.errors == 0) {
                    AstBuilder sub(file_, loc.line - 1, inner_col, options_, arena_, sink_, depth_,
                                   nesting_reported_);
                    part = sub.BuildExpr(ctx->expr());
                  }
                });
      if (part == nullptr) part = Null(loc);
      tmpl->kids.push_back(part);
      // The template as written, with `${expr}` where a value goes (for messages shown without values).
      tmpl->text += "${" + Trim(inner) + "}";
      i = close + 1;
      pending_start = i;
      continue;
    }
    ++i;
  }
  if (pending_start < body.size()) {
    Expr* s = arena_.NewExpr(ExprKind::kString, loc);
    Unescape(body.substr(pending_start), loc, 1 + pending_start, &s->text);
    tmpl->kids.push_back(s);
    tmpl->text += s->text;
  }
  return tmpl;
}

// The position (1-based line, 1-based byte column) of byte `offset` of `text`.
SourceLocation PositionOf(uint32_t file, std::string_view text, size_t offset) {
  SourceLocation loc{file, 1, 1};
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      line_start = i + 1;
    }
  }
  loc.col = static_cast<uint32_t>(offset - line_start + 1);
  return loc;
}

// Utf8SequenceLength (parse_adapter.h).
size_t Utf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// A map source is UTF-8 text: the first invalid sequence or NUL byte is an error at its position (E0004,
// E0005). Only the position is reported, never the bytes.
bool CheckSourceBytes(uint32_t file, std::string_view text, DiagnosticSink& sink) {
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      sink.Error(PositionOf(file, text, i), DiagCode::E0005, "NUL byte in the source (a map is a text file)");
      return false;
    }
    size_t n = Utf8Length(text, i);
    if (n == 0) {
      sink.Error(PositionOf(file, text, i), DiagCode::E0004, "invalid UTF-8 (a map is a UTF-8 text file)");
      return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s, size_t i) { return Utf8Length(s, i); }

namespace {

// Brackets before parsing: one missing `}` would otherwise surface wherever the parser first notices (often
// a later `def`, read as a field named `def`), followed by a cascade of errors about code that is fine.
// This pass matches ( [ { with their closers on the token stream and reports each problem once, at the
// bracket to fix (E0109 an opener never closed, E0110 a closer that closes nothing).
//
// Which opener is unclosed is not what a stack says: with a `}` missing inside a function, the function's
// own `}` closes the inner block and the function's `{` is left open at the end of the file. Indentation
// says better: a closer that starts its line to the left of the line where its opener stands belongs to an
// outer block, so that opener is the one missing its closer (the first such pair wins).
//
// Where the text shows where the open brackets must have ended, the parse is repaired there: a declaration
// (`def NAME`, `map NAME`, `const NAME`, `import`, `segment NAME {`) that starts its line cannot stand
// inside brackets, so the closers still missing are inserted before it (as tokens: no position moves).
// The declarations after it then parse as written, and calls to them (from this file or an importer) are
// not reported as unknown. The diagnostics between the opener and that declaration are suppressed; the
// file goes on being checked after it. A stray or wrong closer (E0110), or brackets open at the end of
// the file, end the check: what follows them is suppressed.
struct Bracket {
  char c;
  size_t line;  // 1-based
  size_t col;   // 1-based (code points, as the parser's diagnostics)
  bool first_on_line;
};

char CloserOf(char open) { return open == '(' ? ')' : open == '[' ? ']' : '}'; }

std::string At(const Bracket& b) { return std::to_string(b.line) + ":" + std::to_string(b.col); }

struct LexedToken {
  size_t type;
  size_t line;   // 1-based
  size_t col;    // 1-based, code points
  size_t start;  // code point index of its first character
  bool first_on_line;
  bool is_segment_word;  // the ID `segment`
};

// Whether tokens[i] starts a module-level declaration (see above).
bool StartsDeclaration(const std::vector<LexedToken>& tokens, size_t i) {
  const LexedToken& t = tokens[i];
  if (!t.first_on_line || i + 1 >= tokens.size()) return false;
  size_t next = tokens[i + 1].type;
  switch (t.type) {
    case CrosswalkLexer::DEF:
    case CrosswalkLexer::MAP:
    case CrosswalkLexer::CONST: return next == CrosswalkLexer::ID;
    case CrosswalkLexer::IMPORT:
      return next == CrosswalkLexer::ID || next == CrosswalkLexer::HL7V2 || next == CrosswalkLexer::FHIR ||
             next == CrosswalkLexer::JSON;
    case CrosswalkLexer::ID:
      return t.is_segment_word && next == CrosswalkLexer::ID && i + 2 < tokens.size() &&
             tokens[i + 2].type == CrosswalkLexer::LBRACE;
    default: return false;
  }
}

std::string DeclarationWord(const LexedToken& t) {
  switch (t.type) {
    case CrosswalkLexer::DEF: return "def";
    case CrosswalkLexer::MAP: return "map";
    case CrosswalkLexer::CONST: return "const";
    case CrosswalkLexer::IMPORT: return "import";
    default: return "segment";
  }
}

// True when the brackets of `text` match; otherwise reports E0109/E0110, suppresses the cascade, and adds
// to `repairs` the closers that let the declarations after an unclosed bracket parse.
bool CheckBrackets(uint32_t file, const std::string& text, DiagnosticSink& sink, std::vector<BracketRepair>* repairs) {
  std::vector<size_t> indent(1, 0);  // indentation of each line (1-based), spaces; a tab counts 2
  {
    size_t cur = 0;
    bool leading = true;
    for (char ch : text) {
      if (ch == '\n') {
        indent.push_back(cur);
        cur = 0;
        leading = true;
      } else if (leading && ch == ' ') {
        ++cur;
      } else if (leading && ch == '\t') {
        cur += 2;
      } else {
        leading = false;
      }
    }
    indent.push_back(cur);
  }
  auto indent_of = [&](size_t line) { return line < indent.size() ? indent[line] : 0; };

  std::vector<LexedToken> tokens;
  {
    antlr4::ANTLRInputStream input(text);
    CrosswalkLexer lexer(&input);
    lexer.removeErrorListeners();
    size_t last_line = 0;
    for (auto t = lexer.nextToken(); t->getType() != antlr4::Token::EOF; t = lexer.nextToken()) {
      size_t line = t->getLine();
      bool segment_word = t->getType() == CrosswalkLexer::ID && t->getText() == "segment";
      tokens.push_back({t->getType(), line, t->getCharPositionInLine() + 1, t->getStartIndex(), line != last_line,
                        segment_word});
      last_line = line;
    }
  }

  std::vector<Bracket> stack;
  std::vector<std::pair<Bracket, Bracket>> pairs;  // in the order their closers appear
  // The opener to blame for the brackets left open on `stack`, and the reason shown after it: the first
  // pair inside the innermost open bracket whose closer is indented like an outer block, else that bracket.
  auto blame = [&](const std::string& before) -> std::pair<Bracket, std::string> {
    const Bracket& outer = stack.back();
    for (const auto& [open, close] : pairs) {
      bool inside = open.line > outer.line || (open.line == outer.line && open.col > outer.col);
      if (inside && close.first_on_line && close.line > open.line && indent_of(close.line) < indent_of(open.line)) {
        return {open, std::string("'") + open.c + "' is not closed (the '" + close.c + "' at " + At(close) +
                          " is indented to close the block around it)"};
      }
    }
    return {outer, std::string("'") + outer.c + "' is not closed before " + before};
  };
  auto loc_of = [&](const Bracket& b, size_t extra_col) {
    return SourceLocation{file, static_cast<uint32_t>(b.line), static_cast<uint32_t>(b.col + extra_col)};
  };
  bool ok = true;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const LexedToken& t = tokens[i];
    // An unterminated string swallows the rest of its line, brackets included: its own error (E0102)
    // says what to fix, and bracket errors after it would only hide it.
    if (t.type == CrosswalkLexer::UNTERMINATED_STRING) return ok;
    if (!stack.empty() && StartsDeclaration(tokens, i)) {
      Bracket here{0, t.line, t.col, true};
      auto [open, message] = blame("'" + DeclarationWord(t) + "' at " + At(here));
      sink.Error(loc_of(open, 0), DiagCode::E0109, message);
      // Up to and including the declaration's first character: the inserted closers stand there.
      sink.SuppressBetween(loc_of(open, 1), loc_of(here, 1));
      BracketRepair repair{t.start, {}};
      for (auto it = stack.rbegin(); it != stack.rend(); ++it) repair.closers += CloserOf(it->c);
      repairs->push_back(std::move(repair));
      stack.clear();
      pairs.clear();
      ok = false;
      continue;
    }
    char c = t.type == CrosswalkLexer::LPAREN ? '(' : t.type == CrosswalkLexer::LBRACK ? '[' : t.type == CrosswalkLexer::LBRACE ? '{'
           : t.type == CrosswalkLexer::RPAREN ? ')' : t.type == CrosswalkLexer::RBRACK ? ']' : t.type == CrosswalkLexer::RBRACE ? '}' : 0;
    if (c == 0) continue;
    Bracket b{c, t.line, t.col, t.first_on_line};
    if (c == '(' || c == '[' || c == '{') {
      stack.push_back(b);
      continue;
    }
    if (!stack.empty() && CloserOf(stack.back().c) == c) {
      pairs.emplace_back(stack.back(), b);
      stack.pop_back();
      continue;
    }
    bool deeper = false;
    for (const Bracket& o : stack) deeper = deeper || CloserOf(o.c) == c;
    if (deeper) {
      // `f(x }`: the `(` is what is missing its closer.
      const Bracket& open = stack.back();
      sink.Error(loc_of(open, 0), DiagCode::E0109, std::string("'") + open.c + "' is not closed before '" + c + "' at " + At(b));
      sink.SuppressFrom(loc_of(open, 1));
    } else if (stack.empty()) {
      sink.Error(loc_of(b, 0), DiagCode::E0110, std::string("'") + c + "' closes nothing (no bracket is open here)");
      sink.SuppressFrom(loc_of(b, 0));
    } else {
      sink.Error(loc_of(b, 0), DiagCode::E0110, std::string("'") + c + "' does not close the '" + stack.back().c + "' opened at " +
                                  At(stack.back()) + " (expected '" + CloserOf(stack.back().c) + "')");
      sink.SuppressFrom(loc_of(b, 0));
    }
    return false;
  }
  if (stack.empty()) return ok;
  auto [open, message] = blame("the end of the file");
  sink.Error(loc_of(open, 0), DiagCode::E0109, message);
  sink.SuppressFrom(loc_of(open, 1));
  return false;
}

}  // namespace

bool LexSource(const std::string& text, std::vector<SourceToken>* out) {
  out->clear();
  // ANTLR's indices count code points; the tokens are wanted in bytes.
  std::vector<size_t> byte_at;  // byte offset of each code point, and the text's size at the end
  byte_at.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size();) {
    byte_at.push_back(i);
    size_t n = Utf8Length(text, i);
    i += n == 0 ? 1 : n;
  }
  byte_at.push_back(text.size());
  try {
    antlr4::ANTLRInputStream input(text);
    CrosswalkLexer lexer(&input);
    lexer.removeErrorListeners();
    for (auto token = lexer.nextToken(); token->getType() != antlr4::Token::EOF; token = lexer.nextToken()) {
      size_t start = token->getStartIndex(), stop = token->getStopIndex() + 1;
      if (start >= byte_at.size() || stop >= byte_at.size() || stop <= start) {
        out->clear();
        return false;
      }
      TokenKind kind;
      switch (token->getType()) {
        case CrosswalkLexer::ID: kind = TokenKind::kName; break;
        case CrosswalkLexer::INT:
        case CrosswalkLexer::DECIMAL: kind = TokenKind::kNumber; break;
        case CrosswalkLexer::STRING:
        case CrosswalkLexer::SQSTRING: kind = TokenKind::kString; break;
        case CrosswalkLexer::V2FIELD: kind = TokenKind::kV2Field; break;
        case CrosswalkLexer::DOTNUM: kind = TokenKind::kDotNum; break;
        case CrosswalkLexer::ERRCHAR:
        case CrosswalkLexer::UNTERMINATED_STRING: kind = TokenKind::kInvalid; break;
        default: {
          std::string t = token->getText();
          bool word = !t.empty() && ((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z'));
          kind = word ? TokenKind::kKeyword : TokenKind::kPunct;
        }
      }
      out->push_back({kind, byte_at[start], byte_at[stop]});
    }
    return true;
  } catch (...) {
    out->clear();
    return false;
  }
}

bool ParseModule(uint32_t file, const std::string& text, const ParseOptions& options, AstArena& arena,
                 DiagnosticSink& sink, Module* out) {
  out->file = file;
  // Checked before ANTLR sees the text: its input stream decodes UTF-8 and throws, without a position, on
  // anything else.
  if (!CheckSourceBytes(file, text, sink)) return false;
  bool nesting_reported = false;
  try {
    // The file is parsed even when its brackets do not match, so that its declarations before the fault
    // still resolve (an importer's calls into it are not reported as unknown).
    std::vector<BracketRepair> repairs;
    bool brackets_ok = CheckBrackets(file, text, sink, &repairs);
    bool parsed = ParseText(text, file, 0, 0, options, /*depth=*/0, &nesting_reported, sink, repairs,
                            [&](CrosswalkParser& parser, SyntaxErrorListener&) {
                              P::ModuleContext* tree = parser.module();
                              AstBuilder builder(file, 0, 0, options, arena, sink, /*depth=*/0, &nesting_reported);
                              builder.BuildModule(tree, out);
                            });
    return parsed && brackets_ok;
  } catch (const std::exception& e) {
    sink.Error({file, 0, 0}, DiagCode::E0000, std::string("internal error in the parser: ") + e.what());
  } catch (...) {
    sink.Error({file, 0, 0}, DiagCode::E0000, "internal error in the parser");
  }
  return false;
}

}  // namespace crosswalk::compiler
