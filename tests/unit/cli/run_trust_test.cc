// `crosswalk run` never counts a message it did not deliver: outputs that cannot be written, output names
// that would collide, garbage in a batch, exit codes, and what may be printed (docs/security.md).
// Each test is a reproducer from the issue-14 attack on the tool.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include "cli_test_util.h"

namespace crosswalk::clitest {
namespace {

namespace fs = std::filesystem;

size_t CountFiles(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST_F(CliTest, OutputToAFullDeviceIsARejectionNotAConversion) {
  std::string cwb = CompileGood();
  std::string msg = Write("adt.hl7", kAdt);
  Proc p = Tool("run " + cwb + " --in " + msg + " --out /dev/full --ack-dir " + Path("acks"));
  EXPECT_EQ(p.status, 3) << p.err;
  EXPECT_NE(p.err.find("adt.hl7: rejected: converted, but the output could not be written"), std::string::npos)
      << p.err;
  EXPECT_NE(p.err.find("1 message: 0 converted, 1 rejected"), std::string::npos) << p.err;
  // The sender is told to send it again (AR), never that it was accepted (AA).
  std::string ack = ReadFile(Path("acks/adt.hl7.ack.hl7"));
  EXPECT_NE(ack.find("\rMSA|AR|MSG1|"), std::string::npos) << ack;
  EXPECT_EQ(ack.find("MSA|AA"), std::string::npos) << ack;
}

TEST_F(CliTest, OutDirThatIsAFileFailsBeforeAnyMessage) {
  std::string cwb = CompileGood();
  std::string msg = Write("adt.hl7", kAdt);
  std::string file = Write("not-a-dir", "x");
  Proc p = Tool("run " + cwb + " --in " + msg + " --out-dir " + file);
  EXPECT_EQ(p.status, 1) << p.err;
  EXPECT_NE(p.err.find("cannot create the output directory"), std::string::npos) << p.err;
  Proc q = Tool("run " + cwb + " --in " + msg + " --out " + Path("o.json") + " --ack-dir " + file);
  EXPECT_EQ(q.status, 1) << q.err;
  EXPECT_NE(q.err.find("cannot create the ACK directory"), std::string::npos) << q.err;
  EXPECT_FALSE(fs::exists(Path("o.json")) && !ReadFile(Path("o.json")).empty());
}

// A per-file size limit (RLIMIT_FSIZE) makes every output write fail, as a full disk does: nothing counts as
// converted, no partial or temporary file is left, no AA is sent.
TEST_F(CliTest, FailedWritesInAnOutputDirectoryLeaveNothingAndCountAsRejected) {
  std::string cwb = CompileGood();
  fs::create_directories(Path("in"));
  for (int i = 0; i < 5; ++i) Write("in/m" + std::to_string(i) + ".hl7", kAdt);
  // stderr goes through a pipe: the size limit would otherwise stop the tool's own report too.
  std::string cmd = "bash -c '( ulimit -f 0; exec timeout 120 " + ToolPath() + " run " + cwb + " --in " + Path("in") +
                    " --out-dir " + Path("out") + " --ack-dir " + Path("acks") +
                    " -j 2 ) 2>&1 | cat >" + Path("e.txt") + "; exit ${PIPESTATUS[0]}'";
  int raw = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(raw));
  std::string err = ReadFile(Path("e.txt"));
  EXPECT_EQ(WEXITSTATUS(raw), 3) << err;
  EXPECT_NE(err.find("5 messages: 0 converted, 5 rejected"), std::string::npos) << err;
  EXPECT_EQ(CountFiles(Path("out")), 0u);
  EXPECT_EQ(CountFiles(Path("acks")), 0u);  // the ACKs could not be written either: reported, not faked
}

// --out FILE is written a window of messages at a time. When the file stops growing partway (RLIMIT_FSIZE,
// as a full disk), it is cut back to whole lines: it holds exactly the outputs counted as converted, in input
// order, and every other message is a rejection.
TEST_F(CliTest, AnOutputFileThatFillsUpHoldsExactlyTheConvertedOutputs) {
  std::string cwb = CompileGood();
  std::string batch;
  for (int i = 0; i < 3000; ++i) batch += kAdt;
  std::string in = Write("batch.hl7", batch);
  Proc full = Tool("run " + cwb + " --in " + in + " --out " + Path("full.ndjson") + " -j 2 --no-sync");
  ASSERT_EQ(full.status, 0) << full.err;
  std::string all = ReadFile(Path("full.ndjson"));
  ASSERT_EQ(static_cast<size_t>(std::count(all.begin(), all.end(), '\n')), 3000u);
  // Room for about half of the outputs (ulimit -f counts 1024-byte blocks).
  size_t blocks = all.size() / 2 / 1024;
  std::string cmd = "bash -c '( ulimit -f " + std::to_string(blocks) + "; exec timeout 120 " + ToolPath() + " run " +
                    cwb + " --in " + in + " --out " + Path("part.ndjson") + " -j 2 ) 2>&1 | cat >" + Path("e.txt") +
                    "; exit ${PIPESTATUS[0]}'";
  int raw = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(raw));
  std::string err = ReadFile(Path("e.txt"));
  EXPECT_EQ(WEXITSTATUS(raw), 3) << err.substr(0, 500);
  std::string part = ReadFile(Path("part.ndjson"));
  size_t lines = static_cast<size_t>(std::count(part.begin(), part.end(), '\n'));
  EXPECT_GT(lines, 0u);
  EXPECT_LT(lines, 3000u);
  EXPECT_EQ(all.compare(0, part.size(), part), 0) << "not a prefix of the whole output";
  EXPECT_TRUE(part.empty() || part.back() == '\n');
  std::string summary = "3000 messages: " + std::to_string(lines) + " converted, " + std::to_string(3000 - lines) +
                        " rejected";
  EXPECT_NE(err.find(summary), std::string::npos) << err.substr(err.size() > 500 ? err.size() - 500 : 0);
}

TEST_F(CliTest, OutputNamesAreUniqueByConstruction) {
  std::string cwb = CompileGood();
  fs::create_directories(Path("in/a"));
  fs::create_directories(Path("in/b"));
  Write("in/a/msg.hl7", kAdt);
  Write("in/b/msg.hl7", kAdt);
  // A batch of two, and files whose names look like a batch member's output name.
  Write("in/x.hl7", std::string(kAdt) + kAdt);
  Write("in/x.hl7#1", kAdt);
  Write("in/x.hl7.1", kAdt);
  Write("in/x.hl7%231", kAdt);
  Proc p = Tool("run " + cwb + " --in " + Path("in") + " --out-dir " + Path("out") + " --ack-dir " + Path("acks"));
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.err.find("7 messages: 7 converted, 0 rejected"), std::string::npos) << p.err;
  EXPECT_EQ(CountFiles(Path("out")), 7u);
  EXPECT_EQ(CountFiles(Path("acks")), 7u);
  EXPECT_TRUE(fs::exists(Path("out/a/msg.hl7.json")));
  EXPECT_TRUE(fs::exists(Path("out/b/msg.hl7.json")));
  EXPECT_TRUE(fs::exists(Path("out/x.hl7#1.json")));
  EXPECT_TRUE(fs::exists(Path("out/x.hl7#2.json")));
  EXPECT_TRUE(fs::exists(Path("out/x.hl7%231.json")));
  EXPECT_TRUE(fs::exists(Path("out/x.hl7%25231.json")));
  EXPECT_TRUE(fs::exists(Path("out/x.hl7.1.json")));
  EXPECT_TRUE(fs::exists(Path("acks/x.hl7#2.ack.hl7")));
}

TEST_F(CliTest, OneRejectedMessageExitsThree) {
  std::string cwb = CompileGood();
  std::string bad = Write("bad.hl7", "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|9|P|2.5.1\rPID|1||9\r");
  Proc p = Tool("run " + cwb + " --in " + bad);
  EXPECT_EQ(p.status, 3) << p.err;
  EXPECT_NE(p.err.find("1 message: 0 converted, 1 rejected"), std::string::npos) << p.err;
  Proc q = Tool("run " + cwb + " --in " + Write("garbage.hl7", "not a message"));
  EXPECT_EQ(q.status, 3) << q.err;
  Proc r = Tool("run " + cwb + " --in " + Path("missing.hl7"));
  EXPECT_EQ(r.status, 1) << r.err;  // nothing ran
}

TEST_F(CliTest, CountsAddUpOverManyWindows) {
  std::string cwb = CompileGood();
  std::string batch;
  const int n = 1300;  // more than two windows
  for (int i = 0; i < n; ++i) {
    batch += i % 100 == 7 ? std::string("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|9|P|2.5.1\rPID|1||9\r") : std::string(kAdt);
  }
  std::string in = Write("big.hl7", batch);
  Proc p = Tool("run " + cwb + " --in " + in + " --out " + Path("out.ndjson") + " -j 2");
  EXPECT_EQ(p.status, 3) << p.err.substr(0, 2000);
  EXPECT_NE(p.err.find("1300 messages: 1287 converted, 13 rejected"), std::string::npos) << p.err.substr(0, 2000);
  std::string out = ReadFile(Path("out.ndjson"));
  EXPECT_EQ(static_cast<size_t>(std::count(out.begin(), out.end(), '\n')), 1287u);
}

TEST_F(CliTest, PrintedLinesEscapeControlCharacters) {
  std::string cwb = CompileGood();
  // A file name with a newline and an ANSI escape: printed on one line, escaped.
  std::string name = "evil\n\x1b[31mname.hl7";
  Write(name, "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|9|P|2.5.1\rPID|1||9\r");
  Proc p = Tool("run " + cwb + " --in '" + Path(name) + "'");
  EXPECT_EQ(p.status, 3) << p.err;
  EXPECT_EQ(p.err.find('\x1b'), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("evil\\x0A\\x1B[31mname.hl7: rejected:"), std::string::npos) << p.err;
}

TEST_F(CliTest, UnknownMapNameIsAUsageError) {
  std::string cwb = CompileGood();
  Proc p = Tool("run " + cwb + " --map Nope --in " + Write("adt.hl7", kAdt));
  EXPECT_EQ(p.status, 2) << p.err;
  EXPECT_NE(p.err.find("no map named 'Nope'"), std::string::npos) << p.err;
}

TEST_F(CliTest, OversizedJsonInputIsRefused) {
  std::string cwb = CompileGood();
  std::string in = Write("doc.json", "{\"xs\": [1, 2, 3], \"tags\": [\"a\"]}");
  Proc p = Tool("run " + cwb + " --in " + in + " --max-file-size 10");
  EXPECT_EQ(p.status, 3) << p.err;
  EXPECT_NE(p.err.find("larger than --max-file-size"), std::string::npos) << p.err;
  Proc q = Tool("run " + cwb + " --in " + in + " --max-file-size 1000");
  EXPECT_EQ(q.status, 0) << q.err;
}

// HL7 v2 input is streamed: a stray byte after 1,000 good MLLP frames is one rejection, not 1,001 lost
// messages, and the file is never held whole.
TEST_F(CliTest, GarbageAfterManyFramesIsOneRejection) {
  std::string cwb = CompileGood();
  std::string data;
  for (int i = 0; i < 1000; ++i) data += std::string("\x0b") + kAdt + "\x1c\r";
  data += "X";
  std::string in = Write("frames.hl7", data);
  Proc p = Tool("run " + cwb + " --in " + in + " --out " + Path("out.ndjson") + " --ack-dir " + Path("acks"));
  EXPECT_EQ(p.status, 3) << p.err.substr(0, 2000);
  EXPECT_NE(p.err.find("1001 messages: 1000 converted, 1 rejected"), std::string::npos) << p.err.substr(0, 2000);
  EXPECT_NE(p.err.find("frames.hl7#1001: rejected:"), std::string::npos) << p.err.substr(0, 2000);
  EXPECT_EQ(CountFiles(Path("acks")), 1000u);
  std::string out = ReadFile(Path("out.ndjson"));
  EXPECT_EQ(static_cast<size_t>(std::count(out.begin(), out.end(), '\n')), 1000u);
}

// kill -9 at random points of a run over a directory: whatever has its final name is a whole output, and
// every AA ACK has its output. (Temporary files may be left behind; they never carry a final name.)
TEST_F(CliTest, KilledRunsLeaveOnlyWholeOutputsAndNoAckWithoutItsOutput) {
  std::string cwb = CompileGood();
  fs::create_directories(Path("in"));
  std::string batch;
  for (int i = 0; i < 400; ++i) batch += kAdt;
  for (int f = 0; f < 6; ++f) Write("in/b" + std::to_string(f) + ".hl7", batch);
  std::mt19937_64 rng(12345);
  int killed = 0;
  for (int round = 0; round < 6; ++round) {
    fs::remove_all(Path("out"));
    fs::remove_all(Path("acks"));
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::string tool = ToolPath(), in = Path("in"), out = Path("out"), acks = Path("acks");
      ::freopen("/dev/null", "w", stderr);
      ::execl(tool.c_str(), tool.c_str(), "run", cwb.c_str(), "--in", in.c_str(), "--out-dir", out.c_str(),
              "--ack-dir", acks.c_str(), "-j", "2", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::usleep(static_cast<useconds_t>(20000 + rng() % 400000));
    killed += ::kill(pid, SIGKILL) == 0 ? 1 : 0;
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(Path("out"), ec)) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file() || name.rfind(".cw-tmp-", 0) == 0) continue;
      std::string text = ReadFile(e.path().string());
      ASSERT_FALSE(text.empty()) << name;
      EXPECT_EQ(text.front(), '{') << name;
      EXPECT_EQ(text.substr(text.size() - 2), "}\n") << name;
    }
    for (const auto& e : fs::recursive_directory_iterator(Path("acks"), ec)) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file() || name.rfind(".cw-tmp-", 0) == 0) continue;
      std::string ack = ReadFile(e.path().string());
      ASSERT_NE(ack.find("\rMSA|AA|"), std::string::npos) << name;
      std::string stem = name.substr(0, name.size() - std::string(".ack.hl7").size());
      EXPECT_TRUE(fs::exists(Path("out/" + stem + ".json"))) << stem;
    }
  }
  EXPECT_GT(killed, 0);
}

}  // namespace
}  // namespace crosswalk::clitest
