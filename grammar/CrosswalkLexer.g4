// The Crosswalk mapping language: tokens. See docs/language.md.
lexer grammar CrosswalkLexer;

// Keywords.
MAP: 'map';
DEF: 'def';
CONST: 'const';
IMPORT: 'import';
AS: 'as';
LET: 'let';
IF: 'if';
THEN: 'then';
ELSE: 'else';
FOR: 'for';
IN: 'in';
WHERE: 'where';
MATCH: 'match';
WARN: 'warn';
FAIL: 'fail';
RETURN: 'return';
KW_TRUE: 'true';
KW_FALSE: 'false';
KW_NULL: 'null';
AND: 'and';
OR: 'or';
NOT: 'not';
HL7V2: 'hl7v2';
FHIR: 'fhir';
JSON: 'json';

// Operators and punctuation.
ELLIPSIS: '...';
ARROW: '->';
FATARROW: '=>';
QQ: '??';
EQ: '==';
NE: '!=';
LE: '<=';
GE: '>=';
LT: '<';
GT: '>';
ASSIGN: '=';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
PERCENT: '%';
LPAREN: '(';
RPAREN: ')';
LBRACK: '[';
RBRACK: ']';
LBRACE: '{';
RBRACE: '}';
COMMA: ',';
SEMI: ';';
COLON: ':';
PIPE: '|';

// An HL7 v2 field as people write it: PID-5, OBX-3, ZPI-12. Components follow as DOTNUM: PID-5.1.
V2FIELD: [A-Z] [A-Z0-9] [A-Z0-9] '-' [0-9]+;
// `.4` after a path: a component (or a field of a segment, or a subcomponent).
DOTNUM: '.' [0-9]+;
DECIMAL: [0-9]+ '.' [0-9]+;
INT: [0-9]+;
DOT: '.';
ID: [a-zA-Z_] [a-zA-Z0-9_]*;

// Double-quoted strings may interpolate: "urn:id:${cx.4}". The adapter splits them; inside ${...} only
// single-quoted strings may appear.
STRING: '"' ('\\' ~[\r\n] | ~["\\\r\n])* '"';
SQSTRING: '\'' ('\\' ~[\r\n] | ~['\\\r\n])* '\'';

LINE_COMMENT: '//' ~[\r\n]* -> skip;
BLOCK_COMMENT: '/*' .*? '*/' -> skip;
WS: [ \t\r\n\u000C]+ -> skip;

// Anything else becomes a token the parser cannot use, so the error names its position.
UNTERMINATED_STRING: '"' ('\\' ~[\r\n] | ~["\\\r\n])*;
ERRCHAR: .;
