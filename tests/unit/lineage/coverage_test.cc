// crosswalk coverage over the FHIR-Converter fixture messages (tests/fixtures/hl7v2/ms-fhir-converter, one
// message a file), with a map that reads exactly two fields. The expected counts are computed here by
// splitting the messages on their delimiters, independently of the runtime's reader and of lineage.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../cli/cli_test_util.h"

namespace crosswalk {
namespace {

using clitest::CliTest;
using clitest::Proc;
using clitest::ReadFile;

std::vector<std::string> Split(const std::string& s, char delim) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(delim, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// The message's PID segments, each as its fields (index = field number).
std::vector<std::vector<std::string>> Pids(const std::string& text) {
  std::vector<std::vector<std::string>> pids;
  std::string line;
  for (char c : text + "\n") {
    if (c == '\r' || c == '\n') {
      if (line.rfind("PID|", 0) == 0) pids.push_back(Split(line, '|'));
      line.clear();
    } else {
      line += c;
    }
  }
  return pids;
}

// Has a field data, as inspect shows it: some repetition, component or subcomponent not empty.
bool HasData(const std::string& field) { return field.find_first_not_of("~^&") != std::string::npos; }

// What `PID-N.1` reads from the first PID as text: the first repetition's first component, not empty and
// not the explicit null "".
bool FirstComponentWritten(const std::vector<std::string>& pid, size_t n) {
  if (pid.size() <= n) return false;
  std::string first = Split(Split(pid[n], '~')[0], '^')[0];
  first = Split(first, '&')[0];
  return !first.empty() && first != "\"\"";
}

struct Expect {
  uint64_t with_data = 0, used = 0;
};

class CoverageTest : public CliTest {
 protected:
  std::string Folder() const { return std::string(CW_TEST_DIR) + "/fixtures/hl7v2/ms-fhir-converter"; }

  // Expected rows for PID-3, PID-5 (read as PID-N.1 by the map) and PID-8 (never read).
  void Count(Expect* pid3, Expect* pid5, Expect* pid8, uint64_t* messages) const {
    for (const auto& entry : std::filesystem::directory_iterator(Folder())) {
      if (entry.path().extension() != ".hl7") continue;
      ++*messages;
      auto pids = Pids(ReadFile(entry.path().string()));
      auto field = [&](size_t n, Expect* e, bool read) {
        bool data = false;
        for (const auto& pid : pids) data = data || (pid.size() > n && HasData(pid[n]));
        if (!data) return;
        ++e->with_data;
        if (read && !pids.empty() && FirstComponentWritten(pids[0], n)) ++e->used;
      };
      field(3, pid3, true);
      field(5, pid5, true);
      field(8, pid8, false);
    }
  }

  std::string CompileTwoFields() {
    Write("cov.cw", R"(def Unused(x) = x
map A : hl7v2 -> json {
  id: PID-3.1
  family: PID-5.1
}
)");
    Proc c = Tool("compile " + Path("cov.cw") + " -o " + Path("cov.cwb"));
    EXPECT_EQ(c.status, 0) << c.err;
    return Path("cov.cwb");
  }
};

TEST_F(CoverageTest, CountsMatchAnIndependentReadingOfTheMessages) {
  std::string cwb = CompileTwoFields();
  Expect pid3, pid5, pid8;
  uint64_t messages = 0;
  Count(&pid3, &pid5, &pid8, &messages);
  ASSERT_GT(messages, 100u);
  ASSERT_GT(pid3.used, 0u);
  ASSERT_GT(pid8.with_data, 0u);

  Proc p = Tool("coverage " + cwb + " " + Folder() + " --format json");
  ASSERT_EQ(p.status, 0) << p.err;
  auto j = nlohmann::json::parse(p.out);
  EXPECT_EQ(j["messages"], messages);
  EXPECT_EQ(j["converted"], messages);
  auto row = [&](const std::string& path) {
    for (const auto& f : j["fields"]) {
      if (f["path"] == path) return Expect{f["with_data"].get<uint64_t>(), f["used"].get<uint64_t>()};
    }
    return Expect{};
  };
  EXPECT_EQ(row("PID-3").with_data, pid3.with_data);
  EXPECT_EQ(row("PID-3").used, pid3.used);
  EXPECT_EQ(row("PID-5").with_data, pid5.with_data);
  EXPECT_EQ(row("PID-5").used, pid5.used);
  EXPECT_EQ(row("PID-8").with_data, pid8.with_data);
  EXPECT_EQ(row("PID-8").used, 0u);
  // Only PID-3 and PID-5 are ever used: every other row has used == 0.
  for (const auto& f : j["fields"]) {
    if (f["path"] != "PID-3" && f["path"] != "PID-5") EXPECT_EQ(f["used"], 0) << f["path"];
  }
  // The used share: the two fields' used pairs over every pair with data.
  uint64_t pairs = 0;
  for (const auto& f : j["fields"]) pairs += f["with_data"].get<uint64_t>();
  const double share = 100.0 * static_cast<double>(pid3.used + pid5.used) / static_cast<double>(pairs);
  EXPECT_NEAR(j["used_percent"].get<double>(), share, 0.051);
  // Line 1 (the function no map calls) never ran; the map's lines did.
  ASSERT_EQ(j["lines_never_run"].size(), 1u);
  EXPECT_NE(j["lines_never_run"][0]["file"].get<std::string>().find("cov.cw"), std::string::npos);
  EXPECT_EQ(j["lines_never_run"][0]["lines"], nlohmann::json::array({1}));
}

TEST_F(CoverageTest, MinUsedIsACiGate) {
  std::string cwb = CompileTwoFields();
  Proc low = Tool("coverage " + cwb + " " + Folder() + " --min-used 50");
  EXPECT_EQ(low.status, 1) << low.err;
  EXPECT_NE(low.err.find("is under --min-used 50%"), std::string::npos) << low.err;
  EXPECT_NE(low.out.find("PID-8"), std::string::npos);
  EXPECT_NE(low.out.find("never used"), std::string::npos);
  EXPECT_NE(low.out.find("map lines never run:"), std::string::npos);
  Proc ok = Tool("coverage " + cwb + " " + Folder() + " --min-used 1");
  EXPECT_EQ(ok.status, 0) << ok.err;
  Proc bad = Tool("coverage " + cwb + " " + Folder() + " --min-used 101");
  EXPECT_EQ(bad.status, 2) << bad.err;
}

TEST_F(CoverageTest, RejectedMessagesAreReportedAndNotCounted) {
  Write("strict.cw", R"(map A : hl7v2 -> json {
  id: PID-3.1
  fail "no id" if not PID-3.1
})");
  ASSERT_EQ(Tool("compile " + Path("strict.cw") + " -o " + Path("strict.cwb")).status, 0);
  std::filesystem::create_directories(Path("in"));
  Write("in/a.hl7", "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||42\r");
  Write("in/b.hl7", "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|2|P|2.5.1\rPID|1||^^^X|7\r");
  Proc p = Tool("coverage " + Path("strict.cwb") + " " + Path("in") + " --format json");
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.err.find("b.hl7#1: rejected:"), std::string::npos) << p.err;
  auto j = nlohmann::json::parse(p.out);
  EXPECT_EQ(j["messages"], 2);
  EXPECT_EQ(j["rejected"], 1);
  for (const auto& f : j["fields"]) {
    EXPECT_EQ(f["with_data"], 1) << f["path"];  // a.hl7 only
    EXPECT_NE(f["path"], "PID-4");             // b.hl7's field is not counted
  }
}

}  // namespace
}  // namespace crosswalk
