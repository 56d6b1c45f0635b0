// `crosswalk term import` as a user runs it, when things go wrong (issue 14):
//   - SIGKILLed at random points of a large import: the store answers entirely as before or entirely as
//     after (stats through the tool, lookups of every 97th code through the library), never a mix;
//   - out of space (RLIMIT_FSIZE: every file the store writes is capped, as on a full disk; before the
//     fix RocksDB asserted and the tool died with status 134): exit 1, one clear line, store as it was;
//   - bad input (too deep, duplicate key, number out of range, duplicate CSV header, invalid UTF-8):
//     exit 1, one line with the position, no file content, no "internal error".
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "crosswalk/terminology.h"

namespace crosswalk::clitest {
namespace {

constexpr const char* kKillUrl = "urn:example:kill";
constexpr int kOldConcepts = 25000;
constexpr int kNewConcepts = 25500;  // the new generation also adds codes

std::string TermFixture(const std::string& name) { return std::string(CW_TEST_DIR) + "/fixtures/terminology/" + name; }

// Starts the tool with `args` (no shell), stdout/stderr to files; `fsize_limit` > 0 caps every file the
// child writes (RLIMIT_FSIZE, with SIGXFSZ ignored so a write past it fails with EFBIG as ENOSPC would).
pid_t Spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err,
            rlim_t fsize_limit = 0) {
  // Everything the child needs is built before fork: the child only opens, dups and execs.
  std::string tool = ToolPath();
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  argv.push_back(tool.data());
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
  if (fsize_limit > 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {fsize_limit, fsize_limit};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(126);
  }
  execv(tool.c_str(), argv.data());
  _exit(127);
}

int WaitStatus(pid_t pid) {
  int raw = 0;
  if (waitpid(pid, &raw, 0) != pid) return -1;
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

class TermImportTest : public CliTest {
 protected:
  Proc Run(const std::vector<std::string>& args, rlim_t fsize_limit = 0) const {
    Proc p;
    pid_t pid = Spawn(args, Path("run.out"), Path("run.err"), fsize_limit);
    p.status = WaitStatus(pid);
    p.out = ReadFile(Path("run.out"));
    p.err = ReadFile(Path("run.err"));
    return p;
  }

  std::string Stats(const std::string& db) const {
    Proc p = Run({"term", "stats", "--db", db});
    EXPECT_EQ(p.status, 0) << p.err;
    return p.out;
  }

  // Which generation every 97th code of the kill test's code system shows (read in-process, many lookups
  // cost little): "old", "new", or what is wrong.
  static std::string Generation(const std::string& db) {
    auto store = term::Store::Open(db);
    if (!store.ok()) return "unopenable: " + store.status().ToString();
    int olds = 0, news = 0;
    for (int i = 0; i < kNewConcepts; i += 97) {
      auto c = (*store)->Lookup(kKillUrl, fmt::format("c{}", i));
      if (!c.ok()) return "lookup failed: " + c.status().ToString();
      if (!c->has_value()) {
        if (i < kOldConcepts) return fmt::format("c{} missing", i);
        continue;  // only the new generation has it
      }
      std::string_view d = (*c)->display;
      if (d == fmt::format("old {}", i) && i < kOldConcepts) {
        ++olds;
      } else if (d == fmt::format("new {}", i)) {
        ++news;
      } else {
        return fmt::format("c{} shows '{}'", i, d);
      }
    }
    if (olds > 0 && news == 0) return "old";
    if (news > 0 && olds == 0) return "new";
    return fmt::format("mixed: {} old, {} new", olds, news);
  }

  static void CopyStore(const std::string& from, const std::string& to) {
    std::filesystem::remove_all(to);
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  }

  // One line on stderr, prefixed by the command, without an internal error or an assertion.
  static void ExpectOneCleanLine(const Proc& p) {
    EXPECT_EQ(p.err.rfind("crosswalk term import: ", 0), 0u) << p.err;
    EXPECT_EQ(p.err.find('\n'), p.err.size() - 1) << p.err;
    EXPECT_EQ(p.err.find("internal error"), std::string::npos) << p.err;
    EXPECT_EQ(p.err.find("Assertion"), std::string::npos) << p.err;
  }
};

// The old generation: one code system with kOldConcepts concepts "old N". The new one, in one NDJSON file:
// the same code system version with kNewConcepts concepts "new N", a ValueSet and a ConceptMap.
void WriteGenerations(const std::string& old_path, const std::string& new_path) {
  auto code_system = [](const char* tag, int n) {
    std::string s = fmt::format(R"({{"resourceType":"CodeSystem","url":"{}","version":"1","concept":[)", kKillUrl);
    for (int i = 0; i < n; ++i) s += fmt::format(R"({}{{"code":"c{}","display":"{} {}"}})", i ? "," : "", i, tag, i);
    return s + "]}\n";
  };
  std::ofstream(old_path) << code_system("old", kOldConcepts);
  std::ofstream out(new_path);
  out << code_system("new", kNewConcepts);
  out << R"({"resourceType":"ValueSet","url":"urn:example:kill-vs","compose":{"include":[{"system":")" << kKillUrl
      << R"("}]}})" << "\n";
  out << R"({"resourceType":"ConceptMap","url":"urn:example:kill-map","group":[{"source":")" << kKillUrl
      << R"(","target":"urn:example:other","element":[)";
  for (int i = 0; i < 1000; ++i) out << (i ? "," : "") << R"({"code":"c)" << i << R"(","target":[{"code":"o)" << i << R"("}]})";
  out << "]}]}\n";
}

TEST_F(TermImportTest, KilledAtRandomPointsLeavesOldOrNewNeverAMix) {
  std::string old_file = Path("old.ndjson"), new_file = Path("new.ndjson");
  WriteGenerations(old_file, new_file);
  std::string pristine = Path("pristine"), full = Path("full");
  Proc seeded = Run({"term", "import", "--db", pristine, old_file});
  ASSERT_EQ(seeded.status, 0) << seeded.err;
  const std::string old_stats = Stats(pristine);
  ASSERT_NE(old_stats.find(fmt::format("{} concepts", kOldConcepts)), std::string::npos) << old_stats;

  // A complete import gives the new generation and how long an import takes here.
  CopyStore(pristine, full);
  auto t0 = std::chrono::steady_clock::now();
  Proc complete = Run({"term", "import", "--db", full, new_file});
  auto import_time = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(complete.status, 0) << complete.err;
  const std::string new_stats = Stats(full);
  ASSERT_NE(new_stats.find(fmt::format("{} concepts", kNewConcepts)), std::string::npos) << new_stats;
  ASSERT_NE(new_stats.find("concept maps: 1 (1 versions, 1000 elements)"), std::string::npos) << new_stats;
  ASSERT_NE(old_stats, new_stats);
  ASSERT_EQ(Generation(pristine), "old");
  ASSERT_EQ(Generation(full), "new");

  std::random_device rd;
  const unsigned seed = rd();
  SCOPED_TRACE(fmt::format("seed {}, full import {} ms", seed,
                           std::chrono::duration_cast<std::chrono::milliseconds>(import_time).count()));
  std::mt19937 rng(seed);
  // Kill points spread over the whole import (parse, batch, flush), a little past its end too.
  std::uniform_int_distribution<int64_t> when(0, std::chrono::duration_cast<std::chrono::microseconds>(import_time).count() * 11 / 10);
  int killed = 0, olds = 0, news = 0;
  std::string trial = Path("trial");
  for (int round = 0; round < 6; ++round) {
    CopyStore(pristine, trial);
    int64_t delay_us = when(rng);
    pid_t pid = Spawn({"term", "import", "--db", trial, new_file}, Path("kill.out"), Path("kill.err"));
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    kill(pid, SIGKILL);
    int status = WaitStatus(pid);
    SCOPED_TRACE(fmt::format("round {}: killed after {} us, status {}", round, delay_us, status));
    if (status == 128 + SIGKILL) {
      ++killed;
    } else {
      EXPECT_EQ(status, 0) << ReadFile(Path("kill.err"));
    }
    std::string stats = Stats(trial);
    ASSERT_TRUE(stats == old_stats || stats == new_stats) << stats;
    bool is_new = stats == new_stats;
    (is_new ? news : olds)++;
    if (status == 0) EXPECT_TRUE(is_new);
    // Lookups across the whole key range agree with the stats.
    EXPECT_EQ(Generation(trial), is_new ? "new" : "old");
  }
  EXPECT_GT(killed, 0) << "no import was killed; the test proved nothing";
  // The last killed store still takes an import (no stale lock, nothing half written in the way).
  Proc again = Run({"term", "import", "--db", trial, new_file});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(Stats(trial), new_stats);
  EXPECT_EQ(Generation(trial), "new");
  RecordProperty("old_outcomes", olds);
  RecordProperty("new_outcomes", news);
}

TEST_F(TermImportTest, OutOfSpaceEndsWithAClearErrorAndTheStoreAsItWas) {
  std::string seed_db = Path("seed"), big = Path("big.ndjson");
  Proc seeded = Run({"term", "import", "--db", seed_db, TermFixture("v2-codesystems-utg.ndjson"),
                     TermFixture("CodeSystem-administrative-gender.json")});
  ASSERT_EQ(seeded.status, 0) << seeded.err;
  const std::string before = Stats(seed_db);
  WriteGenerations(Path("unused.ndjson"), big);
  std::string trial = Path("trial");
  // 4 and 16 KiB: the limits at which the tool used to abort in RocksDB (status 134); the larger ones fail
  // later, while the table file is written.
  for (rlim_t limit : {rlim_t{4} << 10, rlim_t{16} << 10, rlim_t{64} << 10, rlim_t{128} << 10}) {
    SCOPED_TRACE(fmt::format("file size limit {} bytes", limit));
    CopyStore(seed_db, trial);
    Proc p = Run({"term", "import", "--db", trial, big}, limit);
    EXPECT_EQ(p.status, 1) << p.err;
    ExpectOneCleanLine(p);
    EXPECT_TRUE(p.err.find("nothing was imported") != std::string::npos ||
                p.err.find("cannot open terminology store") != std::string::npos)
        << p.err;
    EXPECT_NE(p.err.find("File too large"), std::string::npos) << p.err;  // the OS's reason is kept
    EXPECT_EQ(Stats(trial), before);
    Proc f = Run({"term", "lookup", "--db", trial, "http://terminology.hl7.org/CodeSystem/v2-0001", "F"});
    EXPECT_EQ(f.status, 0) << f.err;
    EXPECT_NE(f.out.find("display: Female"), std::string::npos) << f.out;
  }
  // With room again, the same store takes the import.
  Proc ok = Run({"term", "import", "--db", trial, big});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(Stats(trial).find("value sets: 1"), std::string::npos);
}

TEST_F(TermImportTest, BadInputIsOneLineWithAPositionAndNoContent) {
  std::string db = Path("db");
  ASSERT_EQ(Run({"term", "import", "--db", db, TermFixture("CodeSystem-administrative-gender.json")}).status, 0);
  const std::string before = Stats(db);
  std::string deep = R"({"resourceType":"CodeSystem","url":"urn:x","concept":[)";
  for (int i = 0; i < 10000; ++i) deep += R"({"code":"Secret)" + std::to_string(i) + R"(","concept":[)";
  for (int i = 0; i < 10000; ++i) deep += "]}";
  deep += "]}";
  struct Case {
    std::string file, text, position;
  } cases[] = {
      {"deep.json", deep, "deep.json at /concept/0/concept/0/"},
      {"dup.json", R"({"resourceType":"CodeSystem","url":"urn:x","concept":[{"code":"Secret","code":"Secret2"}]})",
       "dup.json at /concept/0/code: duplicate key"},
      {"num.ndjson", "\n\n{\"resourceType\":\"CodeSystem\",\"url\":\"urn:x\",\"n\":1e999999}\n",
       "num.ndjson:3:48: number out of range"},
      {"hdr.csv", "source_system,source_code,target_system,target_code,source_code\nurn:s,Secret,urn:t,b,c\n",
       "hdr.csv:1: header of column 5 repeats the header of column 2"},
      {"utf8.csv", "source_system,source_code,target_system,target_code\nurn:s,Secret\xC3(,urn:t,b\n",
       "utf8.csv:2:13: invalid UTF-8"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    Proc p = Run({"term", "import", "--db", db, Write(c.file, c.text)});
    EXPECT_EQ(p.status, 1);
    ExpectOneCleanLine(p);
    EXPECT_NE(p.err.find(c.position), std::string::npos) << p.err;
    EXPECT_EQ(p.err.find("Secret"), std::string::npos) << p.err;
    EXPECT_EQ(p.err.find("e999999"), std::string::npos) << p.err;
  }
  EXPECT_EQ(Stats(db), before);
}

}  // namespace
}  // namespace crosswalk::clitest
