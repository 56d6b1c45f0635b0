// The crash test of issue 13 with parts no one here wrote: @medplum/hl7's Hl7Client (tests/serve/
// crash_client.mjs) streams 1500 messages to `crosswalk serve` while the test SIGKILLs and restarts the
// server at random moments, and the FHIR endpoint behind it fails at random (500, 429 with Retry-After,
// connection resets) and refuses some messages for good (422). At the end, for the messages the client got AA
// for: each is stored once, has exactly one output, and ends exactly one way (delivered, rejected by the map,
// or dead-lettered), so ACKed = delivered + rejected + dead-lettered; every 2xx body the FHIR server got is
// byte for byte an output file; no patient text is in the audit trail or the logs. Loopback only; bounded by
// timeouts well under 60 s.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../cli/cli_test_util.h"
#include "fake_fhir_server.h"
#include "serve/inbox.h"

namespace crosswalk::clitest {
namespace {

namespace fs = std::filesystem;
using serve::test::FakeFhirServer;
using serve::test::Request;
using serve::test::Response;

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A FHIR server refuses a body for good when its hash says so: the same message is refused on every try.
bool RefusedForGood(const std::string& body) { return std::hash<std::string>()(body) % 20 == 0; }

class CrashInteropTest : public CliTest {};

TEST_F(CrashInteropTest, MedplumClientKilledServerFlakyFhirNothingLostNothingDuplicated) {
  std::string interop = std::string(CW_SOURCE_DIR) + "/tests/serve";
  if (std::system("command -v node >/dev/null 2>&1") != 0 || !fs::exists(interop + "/node_modules/@medplum/hl7")) {
    GTEST_SKIP() << "node or tests/serve/node_modules missing (tools/scripts/install-deps.sh installs them)";
  }
  const int n = 1500;
  std::mutex rng_mu;
  std::mt19937 rng(20261130);
  std::set<std::string> accepted;  // bodies the FHIR server answered 200 (under rng_mu)
  FakeFhirServer fhir;
  fhir.Handle([&](const Request& r) -> Response {
    std::lock_guard<std::mutex> lock(rng_mu);
    int roll = static_cast<int>(rng() % 100);
    if (roll < 10) return {.status = 500};
    if (roll < 20) return {.status = 429, .headers = "Retry-After: 0\r\n"};
    if (roll < 27) return {.reset = true};
    if (RefusedForGood(r.body)) return {.status = 422};
    accepted.insert(r.body);
    return {.status = 200};
  });
  uint16_t port = FreePort();
  std::string log = Path("serve.log");
  auto start = [&]() {
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string cmd = "exec " + ToolPath() + " serve " + std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb --term " +
                        std::string(CW_BUILD_DIR) + "/terminology --mllp 127.0.0.1:" + std::to_string(port) +
                        " --inbox " + Path("inbox") + " --out-dir " + Path("out") + " -j 2 --no-sync --fhir-base " +
                        fhir.url() + " --fhir-backoff-ms 5 --fhir-max-tries 60 --fhir-timeout-ms 3000 --log-level debug";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  };
  pid_t server = start();
  pid_t client = ::fork();
  if (client == 0) {
    std::string cmd = "cd " + interop + " && exec timeout 55 node crash_client.mjs " + std::to_string(port) + " " +
                      std::to_string(n) + " >" + Path("client.out") + " 2>" + Path("client.err");
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill the server at random moments while the client sends, and start it again at once.
  std::mt19937 kill_rng(7);
  int kills = 0, client_status = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(58);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + kill_rng() % 600));
    int st = 0;
    if (::waitpid(client, &st, WNOHANG) == client) {
      client_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (kills < 8) {
      ::kill(server, SIGKILL);
      ::waitpid(server, nullptr, 0);
      ++kills;
      server = start();
    }
  }
  ASSERT_EQ(client_status, 0) << ReadFile(Path("client.err"));
  EXPECT_GE(kills, 3);

  // What the client was told.
  std::set<std::string> acked;
  std::istringstream client_lines(ReadFile(Path("client.out")));
  std::string line;
  while (std::getline(client_lines, line)) {
    auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["ack"], "AA") << line;
    ASSERT_EQ(j["ack_of"], j["control_id"]) << line;
    acked.insert(j["control_id"].get<std::string>());
  }
  ASSERT_EQ(acked.size(), static_cast<size_t>(n));

  // Wait until the audit trail says every message has ended (delivered, rejected or dead-lettered), then stop
  // the server cleanly; the verdict is read from the inbox and the files (an audit line can be lost to a kill
  // between an inbox write and its line).
  std::map<std::string, std::set<uint64_t>> seqs_of;  // control id -> the seqs it was stored or recognised under
  auto read_audit = [&]() {
    seqs_of.clear();
    std::set<uint64_t> ended;
    std::istringstream lines(ReadFile(Path("inbox/audit.jsonl")));
    std::string l;
    while (std::getline(lines, l)) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      if (j.is_discarded() || !j.contains("seq")) continue;
      std::string ev = j["event"];
      uint64_t seq = j["seq"].get<uint64_t>();
      if (ev == "received") seqs_of[j["control_id"].get<std::string>()].insert(seq);
      if (ev == "delivered" || ev == "rejected" || ev == "dead-lettered") ended.insert(seq);
    }
    return ended.size();
  };
  auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(25);
  while (read_audit() < static_cast<size_t>(n) && std::chrono::steady_clock::now() < settle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(server, SIGTERM);
  int st = 0;
  ::waitpid(server, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  read_audit();

  // Stored once: each ACKed control id has one sequence number.
  for (const std::string& id : acked) {
    EXPECT_EQ(seqs_of[id].size(), 1u) << id << " has " << seqs_of[id].size() << " sequence numbers";
  }
  // Nothing left in the inbox: no message waiting for conversion or delivery.
  auto inbox = serve::Inbox::Open(Path("inbox/db"), /*sync=*/false);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  std::vector<uint64_t> pending;
  std::vector<serve::DeliveryRecord> queued, dead_letters;
  ASSERT_TRUE((*inbox)->Pending(&pending).ok());
  ASSERT_TRUE((*inbox)->Deliveries(&queued).ok());
  ASSERT_TRUE((*inbox)->DeadLetters(&dead_letters).ok());
  EXPECT_TRUE(pending.empty()) << pending.size() << " not converted";
  EXPECT_TRUE(queued.empty()) << queued.size() << " not delivered";
  // One output per message: .json (delivered or dead-lettered) or .rejected.
  std::map<std::string, std::string> outputs;  // file name -> content
  for (const auto& e : fs::directory_iterator(Path("out"))) {
    std::string name = e.path().filename().string();
    if (name.rfind(".cw-tmp-", 0) != 0) outputs[name] = ReadFile(e.path().string());
  }
  std::set<std::string> ok;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    ok = accepted;
  }
  size_t delivered = 0, rejected = 0, dead = dead_letters.size();
  std::set<std::string> dead_files;
  for (const auto& d : dead_letters) dead_files.insert(d.file);
  for (const std::string& id : acked) {
    if (seqs_of[id].size() != 1) continue;
    char base[32];
    std::snprintf(base, sizeof base, "%016llu", static_cast<unsigned long long>(*seqs_of[id].begin()));
    bool json = outputs.count(std::string(base) + ".json") > 0, rej = outputs.count(std::string(base) + ".rejected") > 0;
    ASSERT_NE(json, rej) << id << ": " << (json ? "two outputs" : "no output");
    if (rej) {
      ++rejected;
      continue;
    }
    const std::string& body = outputs[std::string(base) + ".json"];
    if (dead_files.count(std::string(base) + ".json")) {
      EXPECT_TRUE(RefusedForGood(body)) << id << " dead-lettered though the server would take it";
    } else {
      EXPECT_FALSE(RefusedForGood(body)) << id;
      EXPECT_TRUE(ok.count(body)) << id << " never reached the FHIR server";
      ++delivered;
    }
  }
  EXPECT_EQ(outputs.size(), acked.size());
  EXPECT_EQ(delivered + rejected + dead, acked.size());
  EXPECT_EQ(rejected, static_cast<size_t>(n / 25));
  EXPECT_GT(dead, 0u);
  // Every body the FHIR server was sent is an output, byte for byte (no torn or foreign delivery).
  std::set<std::string> contents;
  for (const auto& [name, text] : outputs) contents.insert(text);
  for (const Request& r : fhir.requests()) EXPECT_TRUE(contents.count(r.body)) << "a request body that is no output";
  // No patient content in the audit trail or the logs (made-up name and birth date of every message).
  for (const std::string& file : {Path("inbox/audit.jsonl"), log}) {
    std::string text = ReadFile(file);
    for (const char* phi : {"ZEBULON", "QUIXOTE", "19011231"}) EXPECT_EQ(text.find(phi), std::string::npos) << file;
  }
  std::printf("crash test: %d kills, %zu ACKed = %zu delivered + %zu rejected + %zu dead-lettered; %zu FHIR requests\n",
              kills, acked.size(), delivered, rejected, dead, fhir.requests().size());
}

}  // namespace
}  // namespace crosswalk::clitest
