// `crosswalk serve` and `crosswalk audit` as a user runs them: a real process on loopback, SIGTERM for a
// graceful stop, and the crash test: SIGKILL at random moments while a client sends, restart, and check
// that every ACKed message has exactly one output and none is lost.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../cli/cli_test_util.h"
#include "hl7v2/framing.h"
#include "hl7v2/message.h"
#include "mllp_client.h"
#include "test_cert.h"

namespace crosswalk::clitest {
namespace {

namespace fs = std::filesystem;
using serve::test::AckCode;
using serve::test::MllpClient;
using serve::test::Cert;

std::string Message(int i) {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|CTL" + std::to_string(i) +
         "|P|2.5.1\rPID|1||ID" + std::to_string(i) + "^^^MRN^MR||DOE^JOHN||19800101|M\r";
}

class ServeCliTest : public CliTest {
 protected:
  // Starts `crosswalk serve` on an ephemeral port; returns its pid and sets *port (0 on failure).
  pid_t StartServer(const std::string& cwb, uint16_t* port, const std::string& extra = "") {
    std::string log = Path("serve-" + std::to_string(starts_++) + ".log");
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string outputs = ndjson_only_ ? " --ndjson " + Path("out.ndjson") : " --out-dir " + Path("out");
      std::string cmd = ToolPath() + " serve " + cwb + " --mllp 127.0.0.1:0 --inbox " + Path("inbox") + outputs +
                        " " + extra;
      ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    *port = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = ReadFile(log);
      size_t at = text.find("listening on 127.0.0.1:");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        *port = static_cast<uint16_t>(std::stoi(text.substr(at + 23)));
        break;
      }
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        ADD_FAILURE() << "serve exited: " << text;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pid;
  }
  // SIGTERM and wait; returns the exit status (128+N for a signal).
  int StopServer(pid_t pid) {
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  // Polls the first server's log for `text` (at most 20 s).
  bool WaitLog(const std::string& text) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ReadFile(Path("serve-0.log")).find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // The outputs' texts: the output folder's files, or the NDJSON file's lines (ndjson_only_).
  std::vector<std::string> Outputs() const {
    std::vector<std::string> out;
    if (ndjson_only_) {
      std::istringstream in(ReadFile(Path("out.ndjson")));
      for (std::string line; std::getline(in, line);) out.push_back(line);
    } else {
      for (const std::string& f : OutputFiles()) out.push_back(ReadFile(Path("out/" + f)));
    }
    return out;
  }
  std::vector<std::string> OutputFiles() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(Path("out"), ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind(".cw-tmp-", 0) != 0) out.push_back(name);
    }
    return out;
  }
  // Waits (at most 20 s) until the output folder holds exactly `want` (sorted names).
  bool WaitForOutputFiles(const std::vector<std::string>& want) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto files = OutputFiles();
      std::sort(files.begin(), files.end());
      if (files == want) return true;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "outputs: " << ::testing::PrintToString(files);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // The crash test's rounds (below), over the output folder or, with ndjson_only_, the NDJSON file alone.
  void CrashRounds();
  int starts_ = 0;
  bool ndjson_only_ = false;  // StartServer gives --ndjson out.ndjson and no --out-dir
};

TEST_F(ServeCliTest, SigtermStopsCleanlyAndAuditPrintsOneControlId) {
  std::string cwb = CompileGood();
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port);
  ASSERT_GT(port, 0);
  MllpClient c;
  ASSERT_TRUE(c.Connect(port));
  for (int i = 1; i <= 2; ++i) {
    ASSERT_TRUE(c.Send(Message(i)));
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_EQ(AckCode(ack), "AA") << ack;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (OutputFiles().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(StopServer(pid), 0);
  EXPECT_NE(ReadFile(Path("serve-0.log")).find("stopped: 2 frames received, 2 stored"), std::string::npos)
      << ReadFile(Path("serve-0.log"));
  Proc p = Tool("audit --inbox " + Path("inbox") + " --control-id CTL1");
  ASSERT_EQ(p.status, 0) << p.err;
  std::map<std::string, int> events;
  std::istringstream lines(p.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["control_id"], "CTL1") << line;
    events[j["event"].get<std::string>()]++;
  }
  EXPECT_EQ(events["received"], 1);
  EXPECT_EQ(events["acknowledged"], 1);
  EXPECT_EQ(events["converted"], 1);
  EXPECT_EQ(events["written"], 1);
  EXPECT_EQ(p.out.find("DOE"), std::string::npos);
  EXPECT_EQ(p.out.find("ID1"), std::string::npos);
  Proc all = Tool("audit --inbox " + Path("inbox") + " --event written");
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 2) << all.out;
  Proc bad = Tool("audit --inbox " + Path("nowhere"));
  EXPECT_EQ(bad.status, 1);

  // Outcome and time filters, and the FHIR AuditEvent export.
  Proc aa = Tool("audit --inbox " + Path("inbox") + " --outcome AA");
  EXPECT_EQ(std::count(aa.out.begin(), aa.out.end(), '\n'), 2) << aa.out;
  Proc future = Tool("audit --inbox " + Path("inbox") + " --since 2999-01-01");
  EXPECT_EQ(future.status, 0);
  EXPECT_EQ(future.out, "");
  Proc past = Tool("audit --inbox " + Path("inbox") + " --event written --since 2000-01-01T00:00 --until 2999");
  EXPECT_EQ(past.status, 2);  // "2999" is not a date
  past = Tool("audit --inbox " + Path("inbox") + " --event written --since 2000-01-01T00:00 --until 2999-01-01");
  EXPECT_EQ(std::count(past.out.begin(), past.out.end(), '\n'), 2) << past.out;
  Proc ae = Tool("audit --inbox " + Path("inbox") + " --control-id CTL1 --format auditevent");
  ASSERT_EQ(ae.status, 0) << ae.err;
  std::istringstream ae_lines(ae.out);
  int n = 0;
  while (std::getline(ae_lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["resourceType"], "AuditEvent");
    EXPECT_EQ(j["entity"][0]["what"]["identifier"]["value"], "CTL1");
    EXPECT_TRUE(j["recorded"].is_string());
    EXPECT_FALSE(j["source"]["observer"].empty());
    ++n;
  }
  EXPECT_EQ(n, 4);
  EXPECT_EQ(ae.out.find("DOE"), std::string::npos);
  EXPECT_EQ(Tool("audit --inbox " + Path("inbox") + " --format xml").status, 2);
}

// --config: two listeners in one process, each with its own inbox, outputs (one with NDJSON) and audit
// trail; JSON log lines on stderr; the file and the listener flags together are a usage error.
TEST_F(ServeCliTest, ConfigFileRunsTwoListenersEachWithItsOwnInboxAndOutputs) {
  std::string cwb = CompileGood();
  std::string config = Write("serve.json", R"({
    "log": {"level": "info", "format": "json"},
    "listeners": [
      {"name": "a", "mllp": "127.0.0.1:0", "program": ")" + cwb + R"(", "inbox": "in-a", "sync": false,
       "outputs": {"dir": "out-a", "ndjson": "a.ndjson"}},
      {"name": "b", "mllp": "127.0.0.1:0", "program": ")" + cwb + R"(", "inbox": "in-b", "workers": 2,
       "outputs": {"dir": "out-b"}}
    ]})");
  EXPECT_EQ(Tool("serve --config " + config + " --mllp 127.0.0.1:0").status, 2);
  std::string log = Path("config.log");
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string cmd = "exec " + ToolPath() + " serve -j 2 --config " + config;
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::map<std::string, uint16_t> ports;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ports.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(ReadFile(log));
    std::string line;
    while (std::getline(lines, line)) {
      size_t at = line.find("listening on 127.0.0.1:");
      if (at == std::string::npos || line.back() != ')') continue;
      ports[line.substr(line.rfind('(') + 1, 1)] = static_cast<uint16_t>(std::stoi(line.substr(at + 23)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ports.size(), 2u) << ReadFile(log);
  for (const auto& [name, port] : ports) {
    MllpClient c;
    ASSERT_TRUE(c.Connect(port));
    ASSERT_TRUE(c.Send(Message(name == "a" ? 1 : 2)));
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_EQ(AckCode(ack), "AA") << ack;
  }
  auto count = [&](const std::string& dir) {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(Path(dir), ec)) n += e.path().extension() == ".json";
    return n;
  };
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((count("out-a") < 1 || count("out-b") < 1) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(StopServer(pid), 0);
  EXPECT_EQ(count("out-a"), 1u);
  EXPECT_EQ(count("out-b"), 1u);
  std::string ndjson = ReadFile(Path("a.ndjson"));
  EXPECT_EQ(std::count(ndjson.begin(), ndjson.end(), '\n'), 1) << ndjson;
  EXPECT_NE(ReadFile(Path("in-a/audit.jsonl")).find("CTL1"), std::string::npos);
  EXPECT_EQ(ReadFile(Path("in-a/audit.jsonl")).find("CTL2"), std::string::npos);
  EXPECT_NE(ReadFile(Path("in-b/audit.jsonl")).find("CTL2"), std::string::npos);
  // The stop lines, one per listener, as JSON log lines.
  int stopped = 0;
  std::istringstream lines(ReadFile(log));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line);
    if (j["event"] == "stopped") {
      EXPECT_EQ(j["level"], "info");
      EXPECT_NE(j["detail"].get<std::string>().find("1 stored"), std::string::npos) << line;
      ++stopped;
    }
  }
  EXPECT_EQ(stopped, 2) << ReadFile(log);
  EXPECT_EQ(ReadFile(log).find("DOE"), std::string::npos);
}

// SIGHUP reloads the program from its path: the next messages run the new maps on the same connection; a file
// that does not load is refused and the running program kept; the server stops cleanly afterwards.
TEST_F(ServeCliTest, SighupReloadsTheProgramWithoutDroppingTheConnection) {
  std::string cwb = CompileGood();
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port);
  ASSERT_GT(port, 0);
  MllpClient c;
  ASSERT_TRUE(c.Connect(port));
  auto send = [&](int i) {
    ASSERT_TRUE(c.Send(Message(i)));
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_EQ(AckCode(ack), "AA") << ack;
  };
  auto wait_outputs = [&](size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (OutputFiles().size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return OutputFiles().size() >= n;
  };
  send(1);
  ASSERT_TRUE(wait_outputs(1));

  std::string v2 = Write("v2.cw", R"(map Adt2 : hl7v2 "ADT^*" -> json { version: 2, control: MSH-10 })");
  Proc compiled = Tool("compile " + v2 + " -o " + cwb);  // the same path the server was started with
  ASSERT_EQ(compiled.status, 0) << compiled.err;
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(WaitLog("reloaded")) << ReadFile(Path("serve-0.log"));
  send(2);
  ASSERT_TRUE(wait_outputs(2));

  Write("good.cwb.broken", "not a program");
  fs::copy_file(Path("good.cwb.broken"), cwb, fs::copy_options::overwrite_existing);
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(WaitLog("reload refused")) << ReadFile(Path("serve-0.log"));
  send(3);
  ASSERT_TRUE(wait_outputs(3));
  EXPECT_EQ(StopServer(pid), 0) << ReadFile(Path("serve-0.log"));

  auto outputs = OutputFiles();
  std::sort(outputs.begin(), outputs.end());
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_NE(ReadFile(Path("out/" + outputs[0])).find(R"("resourceType":"Patient")"), std::string::npos);
  EXPECT_EQ(ReadFile(Path("out/" + outputs[1])), "{\"version\":2,\"control\":\"CTL2\"}\n");
  EXPECT_EQ(ReadFile(Path("out/" + outputs[2])), "{\"version\":2,\"control\":\"CTL3\"}\n");  // kept
  EXPECT_NE(ReadFile(Path("inbox/audit.jsonl")).find(R"("event":"reloaded")"), std::string::npos);
}

// SIGHUP also reads the listener's TLS files again: a damaged certificate is refused with its file named and
// the running one kept; a renewed one is taken (logged and audited).
TEST_F(ServeCliTest, SighupReloadsRenewedCertificates) {
  std::string cwb = CompileGood();
  fs::create_directories(Path("tls"));
  Cert cert(Path("tls"), "mllp.test");
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port, "--tls-cert " + cert.cert + " --tls-key " + cert.key);
  ASSERT_GT(port, 0);
  Write("tls/mllp.test.crt", "not a certificate\n");
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(WaitLog("TLS reload refused")) << ReadFile(Path("serve-0.log"));
  EXPECT_NE(ReadFile(Path("serve-0.log")).find("mllp.test.crt"), std::string::npos);
  fs::create_directories(Path("tls/renewed"));
  Cert renewed(Path("tls/renewed"), "mllp.test");
  fs::copy_file(renewed.cert, cert.cert, fs::copy_options::overwrite_existing);
  fs::copy_file(renewed.key, cert.key, fs::copy_options::overwrite_existing);
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(WaitLog("reloaded the TLS certificates")) << ReadFile(Path("serve-0.log"));
  EXPECT_EQ(StopServer(pid), 0) << ReadFile(Path("serve-0.log"));
  EXPECT_NE(ReadFile(Path("inbox/audit.jsonl")).find(R"("detail":"TLS")"), std::string::npos);
}

// SIGHUP reads the FHIR client's files too (--fhir-ca, --fhir-cert, --fhir-cert-key): a start with a key
// that does not match is refused naming it; a damaged CA at a reload is refused naming it and the files in use
// kept; renewed ones are taken, logged and audited. (Delivery with them: fhir_delivery_test.cc, FhirTlsTest.)
TEST_F(ServeCliTest, SighupReloadsTheFhirClientCertificates) {
  std::string cwb = CompileGood();
  fs::create_directories(Path("tls/other"));
  Cert ca(Path("tls"), "fhir.test"), us(Path("tls"), "crosswalk.test"), other(Path("tls/other"), "crosswalk.test");
  const std::string fhir = "--fhir-base https://127.0.0.1:1/fhir --fhir-ca " + ca.cert + " --fhir-cert " + us.cert;
  Proc refused = Tool("serve " + cwb + " --mllp 127.0.0.1:0 --inbox " + Path("inbox") + " --out-dir " +
                      Path("out") + " " + fhir + " --fhir-cert-key " + other.key);
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("the key in '" + other.key + "' does not match the certificate"), std::string::npos)
      << refused.err;
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port, fhir + " --fhir-cert-key " + us.key);
  ASSERT_GT(port, 0);
  Write("tls/fhir.test.crt", "not a certificate\n");
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(WaitLog("TLS reload refused")) << ReadFile(Path("serve-0.log"));
  EXPECT_NE(ReadFile(Path("serve-0.log")).find("fhir.test.crt"), std::string::npos);
  fs::copy_file(other.cert, us.cert, fs::copy_options::overwrite_existing);  // renewed in place
  fs::copy_file(other.key, us.key, fs::copy_options::overwrite_existing);
  Cert renewed_ca(Path("tls/other"), "fhir.test");
  fs::copy_file(renewed_ca.cert, ca.cert, fs::copy_options::overwrite_existing);
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(WaitLog("reloaded the TLS certificates")) << ReadFile(Path("serve-0.log"));
  EXPECT_EQ(StopServer(pid), 0) << ReadFile(Path("serve-0.log"));
  std::string audit = ReadFile(Path("inbox/audit.jsonl"));
  EXPECT_NE(audit.find(R"x("detail":"TLS (FHIR)")x"), std::string::npos) << audit;
  EXPECT_EQ(audit.find("PRIVATE KEY"), std::string::npos);
}

// A message the program rejects is kept; once the program is fixed, `dead-letters --replay-rejected` puts it
// back and the next start runs it: its output replaces its .rejected file, and the replay is audited.
TEST_F(ServeCliTest, RejectedMessagesAreReplayedAfterTheProgramIsFixed) {
  auto message = [](int i, const char* event) {
    return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^" + std::string(event) + "|CTL" + std::to_string(i) +
           "|P|2.5.1\rPID|1||ID" + std::to_string(i) + "^^^MRN^MR||DOE^JOHN||19800101|M\r";
  };
  std::string cwb = Path("p.cwb");
  ASSERT_EQ(Tool("compile " + Write("v1.cw", R"(map A01 : hl7v2 "ADT^A01" -> json { control: MSH-10 })") + " -o " + cwb)
                .status, 0);
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port);
  ASSERT_GT(port, 0);
  {
    MllpClient c;
    ASSERT_TRUE(c.Connect(port));
    int i = 0;
    for (const char* event : {"A01", "A04", "A04"}) {
      ASSERT_TRUE(c.Send(message(++i, event)));
      std::string ack;
      ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
      EXPECT_EQ(AckCode(ack), "AA");
    }
  }
  ASSERT_TRUE(WaitForOutputFiles({"0000000000000001.json", "0000000000000002.rejected", "0000000000000003.rejected"}));
  EXPECT_EQ(StopServer(pid), 0);

  Proc list = Tool("dead-letters --inbox " + Path("inbox") + " --rejected");
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 2) << list.out;
  EXPECT_EQ(list.out.rfind("2  no map for HL7 v2 message type ADT^A04\n", 0), 0u) << list.out;
  EXPECT_NE(list.err.find("2 rejected messages"), std::string::npos) << list.err;
  EXPECT_EQ(list.out.find("DOE"), std::string::npos);
  EXPECT_EQ(Tool("dead-letters --inbox " + Path("inbox") + " --replay-rejected 1").status, 1);  // not rejected
  EXPECT_EQ(Tool("dead-letters --inbox " + Path("inbox") + " --rejected --replay 2").status, 2);

  // The fixed program; message 2 is put back and runs at the next start, message 3 stays rejected.
  ASSERT_EQ(Tool("compile " + Write("v2.cw", R"(map A01 : hl7v2 "ADT^A01" -> json { control: MSH-10 }
map A04 : hl7v2 "ADT^A04" -> json { registered: MSH-10 })") + " -o " + cwb)
                .status, 0);
  Proc replay = Tool("dead-letters --inbox " + Path("inbox") + " --replay-rejected 2");
  ASSERT_EQ(replay.status, 0) << replay.err;
  pid = StartServer(cwb, &port);
  ASSERT_GT(port, 0);
  ASSERT_TRUE(WaitForOutputFiles({"0000000000000001.json", "0000000000000002.json", "0000000000000003.rejected"}));
  EXPECT_EQ(StopServer(pid), 0);
  EXPECT_EQ(ReadFile(Path("out/0000000000000002.json")), "{\"registered\":\"CTL2\"}\n");

  ASSERT_EQ(Tool("dead-letters --inbox " + Path("inbox") + " --replay-rejected-all").status, 0);
  pid = StartServer(cwb, &port);
  ASSERT_GT(port, 0);
  ASSERT_TRUE(WaitForOutputFiles({"0000000000000001.json", "0000000000000002.json", "0000000000000003.json"}));
  EXPECT_EQ(StopServer(pid), 0);
  Proc left = Tool("dead-letters --inbox " + Path("inbox") + " --rejected");
  EXPECT_EQ(left.out, "");
  Proc audit = Tool("audit --inbox " + Path("inbox") + " --event replayed");
  ASSERT_EQ(audit.status, 0) << audit.err;
  EXPECT_EQ(std::count(audit.out.begin(), audit.out.end(), '\n'), 2) << audit.out;
  EXPECT_NE(audit.out.find(R"("seq":2,)"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find(R"("outcome":"queued")"), std::string::npos) << audit.out;
  Proc written = Tool("audit --inbox " + Path("inbox") + " --seq 2 --event written");
  EXPECT_EQ(std::count(written.out.begin(), written.out.end(), '\n'), 1) << written.out;
}

// The same fix without a stop: the server runs with --metrics, the program is fixed and reloaded (SIGHUP),
// and `dead-letters --server` puts the rejected message back on the running server, which runs it at once.
TEST_F(ServeCliTest, RejectedMessagesAreReplayedOnTheRunningServerAfterAReload) {
  auto message = [](int i, const char* event) {
    return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^" + std::string(event) + "|CTL" + std::to_string(i) +
           "|P|2.5.1\rPID|1||ID" + std::to_string(i) + "^^^MRN^MR||DOE^JOHN||19800101|M\r";
  };
  std::string cwb = Path("p.cwb");
  ASSERT_EQ(Tool("compile " + Write("v1.cw", R"(map A01 : hl7v2 "ADT^A01" -> json { control: MSH-10 })") + " -o " + cwb)
                .status, 0);
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port, "--metrics 127.0.0.1:0");
  ASSERT_GT(port, 0);
  const std::string log = Path("serve-" + std::to_string(starts_ - 1) + ".log");
  std::string text = ReadFile(log);
  size_t at = text.find("metrics on http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string admin = "127.0.0.1:" + std::to_string(std::stoi(text.substr(at + 28)));
  {
    MllpClient c;
    ASSERT_TRUE(c.Connect(port));
    int i = 0;
    for (const char* event : {"A01", "A04"}) {
      ASSERT_TRUE(c.Send(message(++i, event)));
      std::string ack;
      ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    }
  }
  ASSERT_TRUE(WaitForOutputFiles({"0000000000000001.json", "0000000000000002.rejected"}));
  Proc not_rejected = Tool("dead-letters --server " + admin + " --replay-rejected 1");
  EXPECT_EQ(not_rejected.status, 1);
  EXPECT_NE(not_rejected.err.find("404"), std::string::npos) << not_rejected.err;
  // The running server's listings, in the lines of the offline listing (no content: the seq and the reason).
  Proc listed = Tool("dead-letters --server " + admin + " --rejected");
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_EQ(listed.out, "2  no map for HL7 v2 message type ADT^A04\n");
  EXPECT_NE(listed.err.find("1 rejected message"), std::string::npos) << listed.err;
  Proc dead = Tool("dead-letters list --server " + admin);
  ASSERT_EQ(dead.status, 0) << dead.err;
  EXPECT_EQ(dead.out, "");
  EXPECT_NE(dead.err.find("0 dead letters"), std::string::npos) << dead.err;
  EXPECT_EQ(Tool("dead-letters list --server " + admin + " --replay-all").status, 2);
  EXPECT_EQ(Tool("dead-letters lists --server " + admin).status, 2);
  EXPECT_EQ(Tool("dead-letters --server " + admin + " --inbox " + Path("inbox") + " --replay-all").status, 2);
  EXPECT_EQ(Tool("dead-letters --server " + admin + " --replay 1 --replay-rejected 2").status, 2);
  EXPECT_EQ(Tool("dead-letters --server 127.0.0.1:1 --replay-all").status, 1);  // nothing there

  ASSERT_EQ(Tool("compile " + Write("v2.cw", R"(map A01 : hl7v2 "ADT^A01" -> json { control: MSH-10 }
map A04 : hl7v2 "ADT^A04" -> json { registered: MSH-10 })") + " -o " + cwb)
                .status, 0);
  ::kill(pid, SIGHUP);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ReadFile(log).find("reloaded") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Proc replay = Tool("dead-letters --server " + admin + " --replay-rejected-all");
  ASSERT_EQ(replay.status, 0) << replay.err;
  EXPECT_NE(replay.err.find("1 rejected message queued on the running server"), std::string::npos) << replay.err;
  ASSERT_TRUE(WaitForOutputFiles({"0000000000000001.json", "0000000000000002.json"}));
  EXPECT_EQ(StopServer(pid), 0);
  EXPECT_EQ(ReadFile(Path("out/0000000000000002.json")), "{\"registered\":\"CTL2\"}\n");
  Proc audit = Tool("audit --inbox " + Path("inbox") + " --event replayed");
  ASSERT_EQ(audit.status, 0) << audit.err;
  EXPECT_EQ(std::count(audit.out.begin(), audit.out.end(), '\n'), 1) << audit.out;
  EXPECT_NE(audit.out.find("(running server)"), std::string::npos) << audit.out;
  EXPECT_EQ(Tool("dead-letters --inbox " + Path("inbox") + " --rejected").out, "");
}

TEST_F(ServeCliTest, UsageErrors) {
  EXPECT_EQ(Tool("serve").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp nope --inbox a --out-dir b").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --out-dir b --max-frame-bytes 15").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --out-dir b --mllp-out h:0").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --out-dir b --mllp-out ::1:2575").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --out-dir b --mllp-out-timeout-ms 5").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp ::1:2575 --inbox a --out-dir b").status, 2);  // IPv6 needs its brackets
  // The FHIR client certificate: both files or neither, and only with --fhir-base.
  const std::string fhir = "serve x.cwb --mllp 127.0.0.1:1 --inbox a --out-dir b --fhir-base https://127.0.0.1:1/f";
  Proc half = Tool(fhir + " --fhir-cert us.crt");
  EXPECT_EQ(half.status, 2);
  EXPECT_NE(half.err.find("--fhir-cert and --fhir-cert-key go together"), std::string::npos) << half.err;
  EXPECT_EQ(Tool(fhir + " --fhir-cert-key us.key").status, 2);
  Proc alone = Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --out-dir b --fhir-cert us.crt --fhir-cert-key us.key");
  EXPECT_EQ(alone.status, 2);
  EXPECT_NE(alone.err.find("--fhir-cert needs --fhir-base"), std::string::npos) << alone.err;
  // Without --out-dir the NDJSON file is the output; deliveries need the folder's files.
  Proc none = Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("--out-dir (or --ndjson) is required"), std::string::npos) << none.err;
  EXPECT_EQ(Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --ndjson n --fhir-base http://127.0.0.1:1/f").status, 2);
  EXPECT_EQ(Tool("serve x.cwb --mllp 127.0.0.1:1 --inbox a --ndjson n --mllp-out 127.0.0.1:2").status, 2);
  Proc p = Tool("serve " + Path("missing.cwb") + " --mllp 127.0.0.1:0 --inbox " + Path("i") + " --out-dir " + Path("o"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("cannot read"), std::string::npos) << p.err;
}

// An MLLP client no one here wrote: @medplum/hl7's Hl7Client (tests/serve/package.json, installed by
// tools/scripts/install-deps.sh) sends real sample messages; each must come back AA for its control id and
// end as one output.
TEST_F(ServeCliTest, MedplumHl7ClientGetsAaForRealSampleMessages) {
  std::string interop = std::string(CW_SOURCE_DIR) + "/tests/serve";
  if (std::system("command -v node >/dev/null 2>&1") != 0 || !fs::exists(interop + "/node_modules/@medplum/hl7")) {
    GTEST_SKIP() << "node or tests/serve/node_modules missing (tools/scripts/install-deps.sh installs them)";
  }
  std::vector<std::string> files;
  int eligible = 0;
  std::vector<fs::path> all;
  for (const auto& e : fs::directory_iterator(std::string(CW_TEST_DIR) + "/fixtures/hl7v2/ms-fhir-converter")) {
    all.push_back(e.path());
  }
  std::sort(all.begin(), all.end());
  for (const fs::path& p : all) {
    std::string data = ReadFile(p.string());
    hl7v2::Batch batch;
    if (!hl7v2::SplitMessages(data, &batch).ok() || batch.messages.empty()) continue;
    hl7v2::Message m;
    // Original mode only (MSH-15 empty), so that every message is answered; keyed (MSH-10 present).
    if (!m.Parse(batch.messages[0]).ok() || m.Raw(0, 10).empty() || !m.Raw(0, 15).empty()) continue;
    if (eligible++ % 9 == 0) files.push_back(p.string());
  }
  ASSERT_GE(files.size(), 8u);
  std::string cwb = std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb";
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port, "--term " + std::string(CW_BUILD_DIR) + "/terminology");
  ASSERT_GT(port, 0);
  std::string cmd = "cd " + interop + " && timeout 60 node medplum_client.mjs " + std::to_string(port);
  for (const auto& f : files) cmd += " " + f;
  cmd += " >" + Path("medplum.out") + " 2>" + Path("medplum.err");
  int raw = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0) << ReadFile(Path("medplum.err"));
  std::istringstream lines(ReadFile(Path("medplum.out")));
  std::string line;
  size_t answered = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_EQ(j["ack"], "AA") << line;
    EXPECT_EQ(j["ack_of"], j["control_id"]) << line;
    ++answered;
  }
  EXPECT_EQ(answered, files.size());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (OutputFiles().size() < files.size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(StopServer(pid), 0);
  EXPECT_EQ(OutputFiles().size(), files.size());
}

// The crash test. Rounds: start the server, a killer thread SIGKILLs it at a random point (after a random
// number of ACKs in this round plus a random delay, so that kills land before, during and after stores and
// conversions) while the client sends messages one by one (resending whatever was not ACKed, as a real
// sender does), restart. At the end the server runs to completion; every message must have exactly one output.
// The kill point is counted in ACKs, not wall time, so that a fast machine still sees many kills.
void ServeCliTest::CrashRounds() {
  std::string cwb = CompileGood();
  const int n = 200;
  std::mt19937 rng(0x5eed + static_cast<unsigned>(::getpid()));
  std::vector<bool> acked(n, false);
  std::atomic<int> next{0};
  int kills = 0;
  for (int round = 0; round < 120 && next < n; ++round) {
    uint16_t port = 0;
    pid_t pid = StartServer(cwb, &port, "-j 2");
    ASSERT_GT(port, 0);
    std::atomic<bool> done{false};
    const int kill_after = next + 1 + static_cast<int>(rng() % 12);
    const int delay_us = static_cast<int>(rng() % 4000);
    std::thread killer([&] {
      while (!done && next < kill_after) std::this_thread::sleep_for(std::chrono::microseconds(100));
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(delay_us);
      while (!done && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::microseconds(100));
      if (!done) {
        ::kill(pid, SIGKILL);
        ++kills;
      }
    });
    MllpClient c;
    if (c.Connect(port)) {
      while (next < n) {
        if (!c.Send(Message(next))) break;
        std::string ack;
        if (c.ReadAck(&ack, 5000) != MllpClient::kAck) break;
        ASSERT_NE(ack.find("\rMSA|AA|CTL" + std::to_string(next) + "\r"), std::string::npos) << ack;
        acked[next] = true;
        ++next;
      }
    }
    done = true;
    killer.join();
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == 0) {
      // Not killed this round (the client finished first): the last round ends below, with SIGTERM.
      if (next < n) ::kill(pid, SIGKILL);
      if (next >= n) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (Outputs().size() < static_cast<size_t>(n) && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid, SIGTERM);
      }
      ::waitpid(pid, &st, 0);
    }
  }
  ASSERT_EQ(next.load(), n) << "the client could not send every message";
  EXPECT_GE(kills, 3) << "too few kills to test anything";
  // A last start without a kill: recovery finishes whatever a kill interrupted.
  uint16_t port = 0;
  pid_t pid = StartServer(cwb, &port);
  ASSERT_GT(port, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Outputs().size() < static_cast<size_t>(n) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(StopServer(pid), 0);

  std::map<std::string, int> seen;  // patient id -> outputs holding it
  if (!ndjson_only_) {
    for (const std::string& f : OutputFiles()) EXPECT_TRUE(f.ends_with(".json")) << f;
  }
  std::vector<std::string> files = Outputs();
  for (const std::string& text : files) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text.substr(0, 80);
    seen[j.value("id", "")]++;
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(acked[i]);
    EXPECT_EQ(seen["ID" + std::to_string(i)], 1) << "message " << i << " after " << kills << " kills";
  }
  EXPECT_EQ(files.size(), static_cast<size_t>(n));
}

TEST_F(ServeCliTest, KilledAtRandomPointsLosesAndDuplicatesNothingThatWasAcked) { CrashRounds(); }

// The same without an output folder: the NDJSON file is the only output, cut back at each start to what the
// inbox committed, so after the kills it holds each message's line exactly once.
TEST_F(ServeCliTest, KilledAtRandomPointsWithoutAnOutputFolderTheNdjsonLinesAreExactlyOnce) {
  ndjson_only_ = true;
  CrashRounds();
  EXPECT_FALSE(fs::exists(Path("out")));
}

}  // namespace
}  // namespace crosswalk::clitest
