// The editor files of tools/editors: the TextMate grammar is JSON that VS Code can load, every regex in
// it compiles, and its keyword scopes cover every keyword of the lexer grammar (read from
// grammar/CrosswalkLexer.g4, so a keyword added there without a scope fails here). The VS Code extension
// names the grammar and starts `crosswalk lsp`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = CW_SOURCE_DIR;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The keywords of the lexer: rules `NAME: 'word';` whose literal is a word.
std::vector<std::string> LexerKeywords() {
  std::string g4 = ReadFile(kSource / "grammar" / "CrosswalkLexer.g4");
  std::regex rule(R"(^\s*[A-Z_][A-Z0-9_]*\s*:\s*'([a-z][a-z0-9_]*)'\s*;)", std::regex::multiline);
  std::vector<std::string> words;
  for (auto it = std::sregex_iterator(g4.begin(), g4.end(), rule); it != std::sregex_iterator(); ++it) {
    words.push_back((*it)[1]);
  }
  return words;
}

// Every (scope, regex) of the grammar: `match` with its `name`, and `begin`/`end`.
void CollectPatterns(const json& node, std::vector<std::pair<std::string, std::string>>* out) {
  if (node.is_object()) {
    std::string name = node.contains("name") && node["name"].is_string() ? node["name"].get<std::string>() : "";
    for (const char* key : {"match", "begin", "end"}) {
      if (node.contains(key) && node[key].is_string()) out->emplace_back(key == std::string("match") ? name : "", node[key]);
    }
  }
  if (node.is_object() || node.is_array()) {
    for (const auto& child : node) CollectPatterns(child, out);
  }
}

TEST(TextMateGrammar, IsJsonWithItsScope) {
  json g = json::parse(ReadFile(kSource / "tools" / "editors" / "crosswalk.tmLanguage.json"));
  EXPECT_EQ(g["scopeName"], "source.crosswalk");
  EXPECT_EQ(g["fileTypes"], json({"cw"}));
  ASSERT_TRUE(g["patterns"].is_array());
  // Every include names a rule of the repository.
  std::function<void(const json&)> check = [&](const json& node) {
    if (node.is_object() && node.contains("include")) {
      std::string inc = node["include"];
      ASSERT_EQ(inc[0], '#') << inc;
      EXPECT_TRUE(g["repository"].contains(inc.substr(1))) << inc;
    }
    if (node.is_object() || node.is_array()) {
      for (const auto& c : node) check(c);
    }
  };
  check(g);
}

TEST(TextMateGrammar, EveryRegexCompiles) {
  json g = json::parse(ReadFile(kSource / "tools" / "editors" / "crosswalk.tmLanguage.json"));
  std::vector<std::pair<std::string, std::string>> patterns;
  CollectPatterns(g, &patterns);
  EXPECT_GT(patterns.size(), 10u);
  for (const auto& [scope, re] : patterns) {
    EXPECT_NO_THROW(std::regex(re, std::regex::ECMAScript)) << re;
  }
}

TEST(TextMateGrammar, ScopesCoverTheLexerKeywords) {
  std::vector<std::string> keywords = LexerKeywords();
  ASSERT_GE(keywords.size(), 20u) << "the lexer grammar's keywords were not found";
  json g = json::parse(ReadFile(kSource / "tools" / "editors" / "crosswalk.tmLanguage.json"));
  std::vector<std::pair<std::string, std::string>> patterns;
  CollectPatterns(g, &patterns);
  const std::vector<std::string> kKeywordScopes = {"keyword.", "storage.", "constant.language.", "support.type."};
  for (const std::string& k : keywords) {
    bool covered = false;
    for (const auto& [scope, re] : patterns) {
      bool keyword_scope = false;
      for (const auto& prefix : kKeywordScopes) keyword_scope |= scope.rfind(prefix, 0) == 0;
      if (keyword_scope && std::regex_match(k, std::regex(re, std::regex::ECMAScript))) covered = true;
    }
    EXPECT_TRUE(covered) << "keyword '" << k << "' of CrosswalkLexer.g4 has no keyword scope in the TextMate grammar";
  }
  // A keyword is matched as a whole word only: `format` is not `for` + `mat`.
  for (const auto& [scope, re] : patterns) {
    if (scope.rfind("keyword.control", 0) == 0) EXPECT_FALSE(std::regex_search("format", std::regex(re))) << re;
  }
}

TEST(VsCodeExtension, StartsTheLanguageServerWithTheGrammar) {
  fs::path dir = kSource / "tools" / "editors" / "vscode";
  json pkg = json::parse(ReadFile(dir / "package.json"));
  EXPECT_EQ(pkg["contributes"]["languages"][0]["extensions"], json({".cw"}));
  std::string grammar = pkg["contributes"]["grammars"][0]["path"];
  EXPECT_EQ(pkg["contributes"]["grammars"][0]["scopeName"], "source.crosswalk");
  // The extension's copy of the grammar is the grammar (a link to it).
  EXPECT_EQ(ReadFile(dir / grammar), ReadFile(kSource / "tools" / "editors" / "crosswalk.tmLanguage.json"));
  EXPECT_TRUE(json::parse(ReadFile(dir / "language-configuration.json")).contains("brackets"));
  std::string js = ReadFile(dir / pkg["main"].get<std::string>());
  EXPECT_NE(js.find("args: ['lsp']"), std::string::npos);
}

}  // namespace
