// The option grammar every `crosswalk` command shares (docs/cli.md, "Options"): --opt=value and --opt value,
// `-` for standard input, per-command and per-subcommand --help, unknown options named in a one-line usage
// error (exit 2), numbers checked, and --map naming a map the program lacks refused before any message runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli_test_util.h"
#include "command.h"

namespace crosswalk::clitest {
namespace {

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST_F(CliTest, EveryCommandPrintsItsOwnHelp) {
  for (const auto& c : cli::Commands()) {
    std::string name(c.name);
    Proc p = Tool(name + " --help");
    EXPECT_EQ(p.status, 0) << name << ": " << p.err;
    EXPECT_EQ(p.out.rfind("usage:", 0), 0u) << name << ":\n" << p.out;
    EXPECT_NE(p.out.find("crosswalk " + name), std::string::npos) << name << ":\n" << p.out;
    EXPECT_EQ(p.err, "") << name;
    EXPECT_EQ(Tool(name + " -h").out, p.out) << name;
  }
  Proc run = Tool("run --help");
  for (const char* o : {"--term DIR", "--in PATH", "--from KIND", "--var K=V", "-j N", "--max-cpu-ms N", "--check"}) {
    EXPECT_NE(run.out.find(o), std::string::npos) << o << "\n" << run.out;
  }
}

TEST_F(CliTest, TermSubcommandHelpShowsThatSubcommandOnly) {
  Proc t = Tool("term translate --help");
  EXPECT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out.rfind("usage: crosswalk term translate --db DIR", 0), 0u) << t.out;
  for (const char* o : {"--equivalence LIST", "--depends-on PROPERTY=[SYSTEM|]VALUE", "--reverse", "--all"}) {
    EXPECT_NE(t.out.find(o), std::string::npos) << o << "\n" << t.out;
  }
  for (const char* other : {"--header-rows", "term import", "term lookup", "--memory"}) {
    EXPECT_EQ(t.out.find(other), std::string::npos) << other << "\n" << t.out;
  }
  // Help wins wherever it stands, even before the required arguments.
  EXPECT_EQ(Tool("term lookup --help").out.rfind("usage: crosswalk term lookup", 0), 0u);
  Proc all = Tool("term --help");
  EXPECT_EQ(all.status, 0);
  for (const char* sub : {"import", "lookup", "validate", "translate", "expand", "subsumes", "stats"}) {
    EXPECT_NE(all.out.find(std::string("crosswalk term ") + sub), std::string::npos) << sub << "\n" << all.out;
  }
}

TEST_F(CliTest, ValuesMayBeAttachedAndOptionsComeInAnyOrder) {
  std::string cwb = CompileGood();
  std::string msg = Write("adt.hl7", kAdt);
  Proc a = Tool("run " + cwb + " --in " + msg + " --now 2024-01-01T00:00:00Z -j 2");
  ASSERT_EQ(a.status, 0) << a.err;
  Proc b = Tool("run --in=" + msg + " -j2 --now=2024-01-01T00:00:00Z " + cwb);
  EXPECT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out, a.out);
  Proc stdin_in = Tool("run " + cwb + " --in - --out - <" + msg);
  EXPECT_EQ(stdin_in.status, 0) << stdin_in.err;
  EXPECT_EQ(stdin_in.out, a.out);
  // A repeated single-value option keeps the last.
  Proc last = Tool("run " + cwb + " --in /nonexistent --in " + msg);
  EXPECT_EQ(last.status, 0) << last.err;
  EXPECT_EQ(last.out, a.out);
}

TEST_F(CliTest, UsageErrorsNameTheirCauseOnOneLine) {
  std::string cwb = CompileGood();
  struct Case {
    std::string args, says;
  };
  const Case cases[] = {
      {"run " + cwb + " --bogus", "crosswalk run: unknown option '--bogus'"},
      {"run " + cwb + " extra.hl7", "unexpected argument 'extra.hl7'"},
      {"run " + cwb + " --in", "--in"},
      {"run", "PROGRAM.cwb is required"},
      {"run --bogus", "crosswalk run: unknown option '--bogus'"},  // named before the missing program
      {"run " + cwb + " -j 0", "-j: takes a number of threads from 1 to 1024, not '0'"},
      {"run " + cwb + " -j x", "-j: takes a number of threads"},
      {"run " + cwb + " --from xml", "--from: takes hl7v2, json or fhir, not 'xml'"},
      {"run " + cwb + " --var novalue", "--var: takes NAME=VALUE"},
      {"run " + cwb + " --max-instructions -5", "--max-instructions"},
      {"compile x.cw -o y.cwb --frob", "crosswalk compile: unknown option '--frob'"},
      {"check --werror", "FILE.cw is required"},
      {"fmt --check --nope x.cw", "unknown option '--nope'"},
      {"inspect a.hl7 b.hl7", "unexpected argument 'b.hl7'"},
      {"disasm", "PROGRAM.cwb is required"},
      {"term", "a subcommand is needed"},
      {"term frobnicate --db x", "unknown subcommand 'frobnicate'"},
      {"term lookup --db x --frob s c", "crosswalk term lookup: unknown option '--frob'"},
      {"term lookup s c", "--db is required"},
      {"term expand --db x vs --offset -1", "--offset"},
      {"term import --db x --keep-current --make-current f.json", "--keep-current excludes --make-current"},
      {"audit --inbox x --format xml", "--format: takes jsonl or auditevent, not 'xml'"},
      {"dead-letters --inbox x --replay 0", "--replay: takes a sequence number"},
      {"serve " + cwb + " --mllp 127.0.0.1:0 --inbox i --out-dir o -j 2000", "-j: takes a number of threads"},
      {"serve " + cwb + " --mllp 127.0.0.1:0 --inbox i --out-dir o --dedup-days 40000", "--dedup-days: takes a number of days"},
      {"test --program " + cwb, "no CASES given"},
  };
  for (const auto& c : cases) {
    Proc p = Tool(c.args);
    EXPECT_EQ(p.status, 2) << c.args << "\n" << p.err;
    EXPECT_NE(p.err.find(c.says), std::string::npos) << c.args << "\n" << p.err;
    EXPECT_EQ(Lines(p.err), 1u) << c.args << "\n" << p.err;
    EXPECT_NE(p.err.find("--help)"), std::string::npos) << c.args << "\n" << p.err;
    EXPECT_EQ(p.out, "") << c.args;
  }
}

TEST_F(CliTest, MapNameThatTheProgramLacksIsRefusedBeforeAnyMessage) {
  std::string cwb = CompileGood();
  std::string cases = Path("cases");
  std::filesystem::create_directories(cases);
  Write("cases/a.hl7", kAdt);
  Write("cases/a.rejected", "anything");
  Proc t = Tool("test --program " + cwb + " --map Nope " + cases);
  EXPECT_EQ(t.status, 2) << t.err;
  EXPECT_NE(t.err.find("--map: the program has no map named 'Nope'"), std::string::npos) << t.err;
  EXPECT_EQ(t.out, "");  // no case ran
  Proc s = Tool("serve " + cwb + " --map Nope --mllp 127.0.0.1:0 --inbox " + Path("inbox") + " --out-dir " +
                Path("out"));
  EXPECT_EQ(s.status, 2) << s.err;
  EXPECT_NE(s.err.find("--map: the program has no map named 'Nope'"), std::string::npos) << s.err;
  EXPECT_EQ(s.out.find("listening"), std::string::npos) << s.out;
  EXPECT_FALSE(std::filesystem::exists(Path("inbox")));
  Proc ok = Tool("test --program " + cwb + " --map Adt " + cases);
  EXPECT_EQ(ok.status, 1) << ok.err;  // the map exists: the case runs (and fails: it converts)
  EXPECT_NE(ok.out.find("FAIL"), std::string::npos) << ok.out;
}

}  // namespace
}  // namespace crosswalk::clitest
