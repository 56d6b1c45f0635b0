// The `crosswalk` tool as a user runs it: compile with mistakes, run a good message, --help, unknown
// commands, a runaway map, and corrupted programs fed to `run` and `disasm`.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "cli_test_util.h"

namespace crosswalk::clitest {
namespace {

TEST_F(CliTest, HelpListsCommands) {
  Proc p = Tool("--help");
  EXPECT_EQ(p.status, 0);
  for (const char* c : {"compile", "run", "disasm", "inspect", "term"}) {
    EXPECT_NE(p.out.find(c), std::string::npos) << c << "\n" << p.out;
  }
  EXPECT_EQ(Tool("").status, 2);
  EXPECT_EQ(Tool("compile --help").status, 0);
  EXPECT_EQ(Tool("run --help").status, 0);
  EXPECT_EQ(Tool("disasm --help").status, 0);
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  Proc p = Tool("frobnicate");
  EXPECT_EQ(p.status, 2);
  EXPECT_NE(p.err.find("unknown command 'frobnicate'"), std::string::npos) << p.err;
  EXPECT_EQ(Tool("compile --bogus x.cw -o y.cwb").status, 2);
  EXPECT_EQ(Tool("run").status, 2);
}

TEST_F(CliTest, CompileReportsAllErrors) {
  std::string src = Write("bad.cw",
                          "map M : hl7v2 \"ADT^A01\" -> json {\n  a: Nope(1)\n  b: PID-999\n  c: nothing\n}\n");
  Proc p = Tool("compile " + src + " -o " + Path("bad.cwb"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("bad.cw:2:6: error: unknown function 'Nope'"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("bad.cw:3:6: error:"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("bad.cw:4:6: error: undefined name 'nothing'"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("  a: Nope(1)\n       ^\n"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("3 errors"), std::string::npos) << p.err;
  EXPECT_FALSE(std::filesystem::exists(Path("bad.cwb")));
}

TEST_F(CliTest, CompileAndRunAGoodMessage) {
  std::string cwb = CompileGood();
  std::string msg = Write("adt.hl7", kAdt);
  Proc p = Tool("run " + cwb + " --in " + msg);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, R"({"resourceType":"Patient","id":"12345","name":[{"family":"DOE","given":["JOHN"]}],)"
                   R"("gender":"male","birthDate":"1980-01-01"})"
                   "\n");
  // Standard input too.
  Proc q = Tool("run " + cwb + " < " + msg);
  EXPECT_EQ(q.status, 0) << q.err;
  EXPECT_EQ(q.out, p.out);
  // disasm works on the program, inspect on the message.
  Proc d = Tool("disasm " + cwb);
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_NE(d.out.find("map \"Adt\""), std::string::npos) << d.out;
  EXPECT_EQ(Tool("inspect " + msg).status, 0);
}

TEST_F(CliTest, RejectedMessageExitsNonZeroWithOneLine) {
  std::string cwb = CompileGood();
  std::string msg = Write("oru.hl7", "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rPID|1||9\r");
  Proc p = Tool("run " + cwb + " --in " + msg);
  EXPECT_NE(p.status, 0);
  EXPECT_TRUE(p.out.empty()) << p.out;
  EXPECT_NE(p.err.find("no map"), std::string::npos) << p.err;
}

TEST_F(CliTest, RunawayRecursionStopsWithNamedLimit) {
  std::string src = Write("loop.cw", "map M : json -> json {\n  a: Loop(1)\n}\ndef Loop(n) = Loop(n + 1) + 1\n");
  ASSERT_EQ(Tool("compile " + src + " -o " + Path("loop.cwb")).status, 0);
  std::string in = Write("in.json", "{}");
  Proc p = Tool("run " + Path("loop.cwb") + " --in " + in);
  EXPECT_NE(p.status, 0);
  EXPECT_NE(p.status, 124) << "timed out";
  EXPECT_TRUE(p.err.find("call depth") != std::string::npos || p.err.find("instruction") != std::string::npos) << p.err;
  EXPECT_NE(p.err.find("loop.cw:4:"), std::string::npos) << p.err;
}

TEST_F(CliTest, RunawayLoopStopsWithInstructionLimit) {
  // Fans out: each call makes two, so the depth stays small and only the instruction budget stops it (each
  // call with its own arguments: a call made again with the same ones would be reused, RunOptions::reuse_calls).
  std::string src = Write("fan.cw", "map M : json -> json {\n  a: Fan(40, 1)\n}\n"
                                    "def Fan(n, k) = if n == 0 then 1 else Fan(n - 1, 2 * k) + Fan(n - 1, 2 * k + 1)\n");
  ASSERT_EQ(Tool("compile " + src + " -o " + Path("fan.cwb")).status, 0);
  std::string in = Write("in.json", "{}");
  // A budget of 5 M instead of the default 50 M: the same stop, quick enough under the sanitizers.
  Proc p = Tool("run " + Path("fan.cwb") + " --in " + in + " --max-instructions 5000000");
  EXPECT_EQ(p.status, 3) << p.err;
  EXPECT_NE(p.err.find("instruction limit of 5000000 exceeded"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("fan.cw:4:"), std::string::npos) << p.err;
  // The CPU-time limit a host can set stops it too, by time rather than by count.
  Proc q = Tool("run " + Path("fan.cwb") + " --in " + in + " --max-instructions 4000000000 --max-cpu-ms 200");
  EXPECT_EQ(q.status, 3) << q.err;
  EXPECT_NE(q.err.find("CPU time limit of 200 ms exceeded"), std::string::npos) << q.err;
}

TEST_F(CliTest, UnreadableProgram) {
  Proc p = Tool("run " + Path("missing.cwb"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("cannot read"), std::string::npos) << p.err;
  std::string junk = Write("junk.cwb", "this is not a program");
  Proc d = Tool("disasm " + junk);
  EXPECT_EQ(d.status, 1);
  EXPECT_EQ(std::count(d.err.begin(), d.err.end(), '\n'), 1) << d.err;
}

// A few hundred corrupted programs through the real binary (the bulk runs in-process in corrupt_test.cc).
TEST_F(CliTest, CorruptedProgramsThroughTheBinary) {
  std::string good = ReadFile(CompileGood());
  std::string msg = Write("adt.hl7", kAdt);
  std::mt19937_64 rng(0x5EED);
  int rejected = 0, ran = 0;
  constexpr int kCases = 300;
  // Batch all cases into one shell script so process startup is the only per-case cost.
  std::string script;
  for (int i = 0; i < kCases; ++i) {
    std::string b = Mutate(good, rng);
    std::string f = Write("c" + std::to_string(i) + ".cwb", b);
    const char* cmd = i % 2 ? "run" : "disasm";
    std::string args = i % 2 ? f + " --in " + msg : f;
    script += "timeout 10 " + ToolPath() + " " + cmd + " " + args + " >" + f + ".out 2>" + f + ".err; echo $? >" + f + ".rc\n";
  }
  std::string sh = Write("all.sh", script);
  ASSERT_EQ(std::system(("sh " + sh).c_str()), 0);
  for (int i = 0; i < kCases; ++i) {
    std::string f = Path("c" + std::to_string(i) + ".cwb");
    int rc = std::stoi(ReadFile(f + ".rc"));
    std::string err = ReadFile(f + ".err");
    SCOPED_TRACE("case " + std::to_string(i) + (i % 2 ? " run" : " disasm") + " rc " + std::to_string(rc) + ": " + err);
    // 1: the program was refused; 3 (run only): it loaded and the message was rejected (e.g. a limit).
    ASSERT_TRUE(rc == 0 || rc == 1 || (rc == 3 && i % 2)) << "crash, hang or odd exit";
    if (rc == 1 || rc == 3) {
      ++rejected;
      if (err.find("rejected:") == std::string::npos) {
        // A rejected program: one line naming the file.
        EXPECT_NE(err.find(f), std::string::npos);
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
      }  // else the program loaded and the message was rejected (e.g. a limit), with its own line
      EXPECT_EQ(err.find("internal error"), std::string::npos);
    } else {
      ++ran;
    }
  }
  EXPECT_GT(rejected, kCases / 2);
  std::printf("[ binary ] %d corrupted programs: %d rejected, %d ran\n", kCases, rejected, ran);
}

}  // namespace
}  // namespace crosswalk::clitest
