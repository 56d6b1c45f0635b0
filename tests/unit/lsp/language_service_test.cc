// The compiler's language service (crosswalk/compiler/language_service.h) called directly: the built-in
// signatures it shows are those of real calls with the compiler's arity, and its answers on documents
// that do not parse.
#include <gtest/gtest.h>

#include <string>

#include "bytecode/builtin_table.h"
#include "crosswalk/compiler/compiler.h"
#include "crosswalk/compiler/language_service.h"
#include "hl7v2/schema.h"
#include "lsp/builtin_docs.h"

namespace crosswalk::compiler {
namespace {

// Parameters before the first `[` of a signature ("substring(s, start[, length])" has 2).
uint32_t RequiredParams(std::string_view sig) {
  std::string_view params = sig.substr(sig.find('(') + 1);
  params = params.substr(0, params.find_first_of("[)"));
  if (params.find_first_not_of(" ,") == std::string_view::npos) return 0;
  uint32_t n = 1;
  for (char c : params) n += c == ',';
  if (params.find_last_not_of(' ') != std::string_view::npos && params[params.find_last_not_of(' ')] == ',') --n;
  return n;
}

TEST(BuiltinDocs, DescribeRealCallsWithTheirArity) {
  for (const BuiltinDoc& d : kBuiltinDocs) {
    EXPECT_EQ(d.signature.substr(0, d.name.size() + 1), std::string(d.name) + "(") << d.signature;
    bool in_table = false;
    for (const auto& b : bytecode::kBuiltinInfo) {
      if (b.name != d.name) continue;
      in_table = true;
      EXPECT_EQ(RequiredParams(d.signature), b.min_args) << d.signature;
    }
    if (in_table) continue;
    // A call the lowering knows by name (terminology, direct): called with its required arguments, it is
    // not an unknown function.
    std::string args;
    for (uint32_t i = 0; i < RequiredParams(d.signature); ++i) args += i ? ", \"http://x\"" : "PID-8";
    CompileResult r = CompileSource("t.cw", "map M : hl7v2 \"ADT^A01\" -> json {\n  a: " + std::string(d.name) + "(" + args + ")\n}\n");
    for (const Diagnostic& diag : r.diagnostics) EXPECT_NE(diag.code, "E0204") << d.name << ": " << diag.message;
  }
}

TEST(LanguageService, UnclosedBraceIsOneSpannedDiagnostic) {
  std::string text = "map M : json -> fhir \"Patient\" {\n  resourceType: \"Patient\"\n  name[]: { family: input.n\n}\n";
  std::vector<SpannedDiagnostic> d = CheckDocument("/nonexistent/t.cw", text);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].diagnostic.code, "E0109");
  EXPECT_EQ(d[0].span.begin.line, 3u);
  EXPECT_EQ(d[0].span.begin.col, 11u);
  EXPECT_EQ(d[0].span.end.col, 12u);
}

TEST(LanguageService, CompletesEveryFieldOfASegment) {
  std::string text = "map M : hl7v2 \"ADT^A01\" -> json {\n  a: PID-\n}\n";
  std::vector<CompletionItem> items = Complete("/nonexistent/t.cw", text, {2, 10});
  ASSERT_EQ(items.size(), static_cast<size_t>(hl7v2::FindSegment("PID")->field_count()));
  EXPECT_EQ(items[4].label, "5");
  EXPECT_EQ(items[4].detail, "Patient Name (XPN, repeats)");
  EXPECT_EQ(items[7].detail, "Administrative Sex (IS, table 0001)");
  // Not after a longer name: `XPID-` is no segment.
  EXPECT_TRUE(Complete("/nonexistent/t.cw", "map M : hl7v2 \"ADT^A01\" -> json {\n  a: XPID-\n}\n", {2, 11}).size() > 39);
}

TEST(LanguageService, NothingToSayIsNoAnswer) {
  std::string text = "map M : json -> json {\n  a: { b: 1 }\n}\n";
  EXPECT_FALSE(Hover("/nonexistent/t.cw", text, {2, 9}).has_value());        // a key of an untyped object
  EXPECT_FALSE(Hover("/nonexistent/t.cw", text, {40, 1}).has_value());       // past the end
  EXPECT_FALSE(Definition("/nonexistent/t.cw", text, {2, 3}).has_value());
  EXPECT_FALSE(Hover("/nonexistent/t.cw", std::string("a\0b", 3), {1, 1}).has_value());  // not a source file
}

}  // namespace
}  // namespace crosswalk::compiler
