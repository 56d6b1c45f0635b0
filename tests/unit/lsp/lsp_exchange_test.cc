// `crosswalk lsp` driven over its standard input and output by recorded exchanges (tests/lsp/cases):
// NAME.in.jsonl holds the client's messages, one JSON value a line, each framed with Content-Length as
// a client sends it; NAME.out.jsonl holds every message the server must write, in order, compared as JSON
// values, and last {"$exit": N}, the exit status. In the input, {"$raw": "..."} is sent as written (bad
// frames), and {"$file": "rel"} stands for the text of tests/lsp/workspace/rel. "${WORKSPACE}" in either
// file is the absolute path of tests/lsp/workspace.
//
// To record a new case, write its .in.jsonl, run this test with CW_LSP_RECORD=1 (it writes the .out.jsonl)
// and read what was recorded before committing it.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kCases = fs::path(CW_TEST_DIR) / "lsp" / "cases";
const fs::path kWorkspace = fs::path(CW_TEST_DIR) / "lsp" / "workspace";

std::string ToolPath() {
  std::string nested = std::string(CW_BUILD_DIR) + "/tools/crosswalk/crosswalk";
  if (fs::is_regular_file(nested)) return nested;
  return std::string(CW_BUILD_DIR) + "/tools/crosswalk";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// Replaces every {"$file": rel} inside `v` by the file's text.
void InlineFiles(json& v) {
  if (v.is_object() && v.size() == 1 && v.contains("$file")) {
    v = ReadFile(kWorkspace / v["$file"].get<std::string>());
    return;
  }
  if (v.is_object() || v.is_array()) {
    for (auto& item : v) InlineFiles(item);
  }
}

std::vector<json> ReadLines(const fs::path& p) {
  std::vector<json> out;
  std::istringstream in(ReplaceAll(ReadFile(p), "${WORKSPACE}", kWorkspace.string()));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// The framed input for the messages of a case.
std::string Frames(const std::vector<json>& messages) {
  std::string bytes;
  for (json m : messages) {
    if (m.is_object() && m.contains("$raw")) {
      bytes += m["$raw"].get<std::string>();
      continue;
    }
    InlineFiles(m);
    std::string body = m.dump();
    bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  return bytes;
}

// The server's messages, parsed from its framed output; a frame that is not well formed fails the test.
std::vector<json> ParseFrames(const std::string& out) {
  std::vector<json> messages;
  size_t at = 0;
  while (at < out.size()) {
    size_t end = out.find("\r\n\r\n", at);
    EXPECT_NE(end, std::string::npos) << "unterminated header at byte " << at;
    if (end == std::string::npos) break;
    std::string header = out.substr(at, end - at);
    EXPECT_EQ(header.rfind("Content-Length: ", 0), 0u) << header;
    size_t length = std::stoul(header.substr(16));
    EXPECT_LE(end + 4 + length, out.size());
    messages.push_back(json::parse(out.substr(end + 4, length)));
    at = end + 4 + length;
  }
  return messages;
}

class LspExchange : public testing::TestWithParam<std::string> {};

TEST_P(LspExchange, MatchesTheRecording) {
  const std::string name = GetParam();
  std::vector<json> input = ReadLines(kCases / (name + ".in.jsonl"));
  fs::path dir = fs::temp_directory_path() / ("cw_lsp_" + std::to_string(::getpid()) + "_" + name);
  fs::create_directories(dir);
  std::ofstream(dir / "in", std::ios::binary) << Frames(input);
  std::string cmd = "timeout 60 " + ToolPath() + " lsp <" + (dir / "in").string() + " >" + (dir / "out").string() +
                    " 2>" + (dir / "err").string();
  int raw = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(raw));
  int status = WEXITSTATUS(raw);
  std::string err = ReadFile(dir / "err");
  EXPECT_EQ(err, "") << "the server writes nothing on stderr";
  std::vector<json> got = ParseFrames(ReadFile(dir / "out"));
  got.push_back({{"$exit", status}});
  fs::remove_all(dir);

  fs::path expected_file = kCases / (name + ".out.jsonl");
  if (std::getenv("CW_LSP_RECORD")) {
    std::string text;
    for (const json& m : got) text += m.dump() + "\n";
    std::ofstream(expected_file, std::ios::binary) << ReplaceAll(text, kWorkspace.string(), "${WORKSPACE}");
    GTEST_SKIP() << "recorded " << expected_file;
  }
  std::vector<json> expected = ReadLines(expected_file);
  ASSERT_EQ(got.size(), expected.size()) << "messages: got\n" << json(got).dump(1);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], expected[i]) << "message " << i << " of " << name << "\n got: " << got[i].dump()
                                   << "\n expected: " << expected[i].dump();
  }
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kCases)) {
    std::string file = entry.path().filename().string();
    const std::string suffix = ".in.jsonl";
    if (file.size() > suffix.size() && file.substr(file.size() - suffix.size()) == suffix) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, LspExchange, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

// Every case has its recording (a .in.jsonl without .out.jsonl would be skipped silently otherwise).
TEST(LspExchangeFiles, EveryCaseIsRecorded) {
  std::vector<std::string> names = CaseNames();
  EXPECT_GE(names.size(), 6u);
  for (const std::string& n : names) EXPECT_TRUE(fs::is_regular_file(kCases / (n + ".out.jsonl"))) << n;
}

}  // namespace
