// The Crosswalk mapping language: syntax. See docs/language.md. No actions or predicates: the parse
// adapter (compiler/src/parse/parse_adapter.cc) builds the AST.
parser grammar CrosswalkParser;

options { tokenVocab = CrosswalkLexer; }

module: item* EOF;

// One expression alone: used for the ${...} parts of string templates.
standaloneExpr: expr EOF;

item
  : importDecl
  | mapDecl
  | defDecl
  | constDecl
  | segmentDecl
  ;

importDecl: IMPORT qualifiedName (AS alias=ID)? SEMI?;
qualifiedName: moduleName (DOT moduleName)*;
moduleName: ID | kind;

constDecl: CONST name=ID ASSIGN value=expr SEMI?;

// `segment ZPI { 1: set_id, 2: vip_flag }`: the fields of a Z-segment. `segment` is not a keyword (it stays
// usable as a name): no other item starts with a name, and the adapter checks the word.
segmentDecl: word=ID name=ID LBRACE (segmentField sep?)* RBRACE;
segmentField: number=INT COLON fieldName=ID;

mapDecl: MAP name=ID COLON src=kind srcType=STRING? ARROW dst=kind dstType=STRING? block;
kind: HL7V2 | FHIR | JSON;

defDecl: DEF name=ID LPAREN (params+=ID (COMMA params+=ID)*)? RPAREN (block | ASSIGN expr SEMI?);

block: LBRACE stmt* RBRACE;

stmt
  : fieldKey (append=LBRACK RBRACK)? COLON value=expr (IF cond=expr)? sep?   # FieldStmt
  | LET name=ID ASSIGN value=expr sep?                                       # LetStmt
  | ifStmt                                                                   # IfStatement
  | FOR var=ID (COMMA index=ID)? IN iter=expr (WHERE filter=expr)? block    # ForStmt
  | WARN value=expr (IF cond=expr)? sep?                                     # WarnStmt
  | FAIL value=expr (IF cond=expr)? sep?                                     # FailStmt
  | RETURN value=expr sep?                                                   # ReturnStmt
  | ELLIPSIS value=expr (IF cond=expr)? sep?                                 # SpreadStmt
  ;

ifStmt: IF cond=expr then=block (ELSE (elseIf=ifStmt | otherwise=block))?;

fieldKey: ID | STRING | INT | kind | keyword;
keyword: MAP | DEF | CONST | IMPORT | AS | LET | THEN | ELSE | IN | WHERE | MATCH | WARN | RETURN | KW_TRUE | KW_FALSE | KW_NULL | AND | OR | NOT;
sep: COMMA | SEMI;
memberName: ID | kind | keyword | IF | FOR | FAIL;

expr
  : primary                                                   # PrimaryExpr
  | expr DOT name=memberName                                  # MemberExpr
  | expr DOT field=V2FIELD                                    # ScopedFieldExpr
  | expr DOTNUM                                               # ComponentExpr
  | expr LBRACK index=expr RBRACK                             # IndexExpr
  | MINUS expr                                                # NegExpr
  | expr op=(STAR | SLASH | PERCENT) expr                     # MulExpr
  | expr op=(PLUS | MINUS) expr                               # AddExpr
  | expr op=(LT | LE | GT | GE) expr                          # CompareExpr
  | expr op=(EQ | NE) expr                                    # EqualExpr
  | NOT expr                                                  # NotExpr
  | expr AND expr                                             # AndExpr
  | expr OR expr                                              # OrExpr
  | <assoc = right> expr QQ expr                              # CoalesceExpr
  | IF cond=expr THEN then=expr ELSE otherwise=expr           # CondExpr
  | FOR var=ID (COMMA index=ID)? IN iter=expr (WHERE filter=expr)? FATARROW body=expr  # ForExpr
  | MATCH subject=expr LBRACE matchArm* RBRACE                # MatchExpr
  ;

matchArm: pattern (PIPE pattern)* FATARROW expr sep?;
pattern
  : literal
  | STRING
  | SQSTRING
  | MINUS (INT | DECIMAL)
  | ID   // only `_`
  ;

primary
  : literal                                                   # LiteralPrimary
  | STRING                                                    # StringPrimary
  | SQSTRING                                                  # RawStringPrimary
  | (ns=ID DOT)? fn=ID LPAREN (args+=expr (COMMA args+=expr)*)? RPAREN   # CallPrimary
  | ID                                                        # NamePrimary
  | V2FIELD                                                   # FieldPrimary
  | LPAREN expr RPAREN                                        # ParenPrimary
  | LBRACK (items+=arrayItem (COMMA items+=arrayItem)*)? COMMA? RBRACK  # ArrayPrimary
  | block                                                     # ObjectPrimary
  ;

arrayItem: ELLIPSIS? value=expr (IF cond=expr)?;  // `...xs` splices (every array item is spliced)

literal: INT | DECIMAL | KW_TRUE | KW_FALSE | KW_NULL;
