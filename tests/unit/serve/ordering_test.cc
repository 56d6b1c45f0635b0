// Per-sender ordering with -j N, NDJSON and stdout-free outputs, reloading onto a new Runtime, the
// configuration file and the structured log: Server in-process on loopback with the shipped map.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mllp_client.h"
#include "crosswalk/serve.h"
#include "serve/log.h"
#include "serve/server.h"
#include "server_fixture.h"

namespace crosswalk::serve {
namespace {

namespace fs = std::filesystem;
using test::AckCode;
using test::MllpClient;
using test::Slurp;

// An ADT^A01 from sender SND<s> about patient P<p>, or an ORU^R01 from that sender when `oru`.
std::string Message(int sender, int patient, int i, bool oru = false) {
  std::string msh = "MSH|^~\\&|SND" + std::to_string(sender) + "|FAC|RCV|FAC|20240102030405||" +
                    (oru ? "ORU^R01^ORU_R01" : "ADT^A01^ADT_A01") + "|C" + std::to_string(i) + "|P|2.5.1\r";
  return msh + "PID|1||P" + std::to_string(patient) + "^^^MRN^MR||DOE^JOHN||19800101|M\r";
}

// The audit file's whole lines. The server appends while tests poll: a read can end inside a line being
// written (one write() per line is atomic for appenders, not for a reader), so a last line without its
// newline is not yet a line.
std::vector<nlohmann::json> AuditLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::string text = Slurp(path);
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
  }
  return out;
}

class OrderingTest : public test::ServerFixture {
 protected:
  OrderingTest() : ServerFixture("order") {}
  size_t Written() {
    size_t n = 0;
    for (const auto& j : AuditLines(options_.inbox_dir + "/audit.jsonl")) n += j["event"] == "written";
    return n;
  }
};

TEST(OrderingKeyTest, SenderAndForAdtThePatient) {
  EXPECT_EQ(Server::OrderingKey(Message(1, 7, 1)), std::string("SND1^FAC\0P7", 11));
  EXPECT_EQ(Server::OrderingKey(Message(1, 8, 2)), std::string("SND1^FAC\0P8", 11));
  EXPECT_EQ(Server::OrderingKey(Message(2, 7, 3)), std::string("SND2^FAC\0P7", 11));
  // ORU: the sender only (results of one sender stay in order whatever the patient).
  EXPECT_EQ(Server::OrderingKey(Message(1, 7, 4, true)), "SND1^FAC");
  EXPECT_EQ(Server::OrderingKey(Message(1, 8, 5, true)), "SND1^FAC");
  // PID-3.1 of the first repetition only; an ADT without PID is keyed by its sender and an empty patient.
  EXPECT_EQ(Server::OrderingKey("MSH|^~\\&|A|B|||x||ADT^A08|1|P|2.5\rPID|1||X1^^^M~X2^^^N\r"),
            std::string("A^B\0X1", 6));
  EXPECT_EQ(Server::OrderingKey("MSH|^~\\&|A|B|||x||ADT^A08|1|P|2.5\r"), std::string("A^B\0", 4));
}

// 3 senders x 4 patients, interleaved, 480 messages on one connection with 4 workers: for every key, the
// outputs become durable (audit `written`), and the NDJSON lines are appended, in arrival order.
TEST_F(OrderingTest, FourWorkersKeepArrivalOrderPerSenderAndPatient) {
  options_.workers = 4;
  options_.ndjson_path = dir_ + "/out.ndjson";
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  const int n = 480;
  std::map<std::string, std::string> key_of;  // control id -> "sender/patient"
  std::string burst;
  for (int i = 0; i < n; ++i) {
    int sender = i % 3, patient = (i / 3) % 4;
    AppendMllpFrame(Message(sender, patient, i), &burst);
    key_of["C" + std::to_string(i)] = std::to_string(sender) + "/" + std::to_string(patient);
  }
  ASSERT_TRUE(c.SendRaw(burst));
  for (int i = 0; i < n; ++i) {
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack, 30000), MllpClient::kAck) << i;
    ASSERT_EQ(AckCode(ack), "AA");
  }
  ASSERT_TRUE(WaitFor([&] { return Written() >= static_cast<size_t>(n); }));
  Stop();
  std::map<std::string, uint64_t> last;  // key -> last seq written
  std::set<std::string> converted_by_map;
  size_t written = 0;
  for (const auto& j : AuditLines(options_.inbox_dir + "/audit.jsonl")) {
    if (j["event"] != "written") continue;
    ++written;
    std::string key = key_of.at(j["control_id"].get<std::string>());
    uint64_t seq = j["seq"].get<uint64_t>();
    EXPECT_GT(seq, last[key]) << "key " << key << " written out of order";
    last[key] = seq;
  }
  EXPECT_EQ(written, static_cast<size_t>(n));
  // The NDJSON file: one JSON line per output, in arrival order per key (each Bundle names its message).
  std::ifstream in(options_.ndjson_path);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["resourceType"], "Bundle");
    ++lines;
  }
  EXPECT_EQ(lines, static_cast<size_t>(n));
}

// An output that cannot be written (here: its final name is taken by a folder that is not empty, so the
// rename fails, as a full disk or an I/O error would fail the write) leaves its message in the inbox at the
// head of the queue: it is tried again after output_retry_ms, the later messages of its key wait behind it
// (nothing of that key is written out of order), another key's messages go on, and once the cause is gone
// every message is written, in order, without a restart.
TEST_F(OrderingTest, AnOutputThatCannotBeWrittenIsTriedAgainAndHoldsBackItsKey) {
  options_.workers = 2;
  options_.output_retry_ms = 20;
  fs::create_directories(options_.out_dir + "/0000000000000001.json/blocker");
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  // Seq 1..3: sender 1, patient 1; seq 4..5: sender 2, patient 2.
  std::string burst;
  for (int i = 0; i < 3; ++i) AppendMllpFrame(Message(1, 1, i), &burst);
  for (int i = 3; i < 5; ++i) AppendMllpFrame(Message(2, 2, i), &burst);
  ASSERT_TRUE(c.SendRaw(burst));
  for (int i = 0; i < 5; ++i) {
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack, 30000), MllpClient::kAck) << i;
    ASSERT_EQ(AckCode(ack), "AA");
  }
  auto errors_for_seq1 = [&] {
    size_t n = 0;
    for (const auto& j : AuditLines(options_.inbox_dir + "/audit.jsonl")) {
      n += j["event"] == "error" && j.value("seq", uint64_t{0}) == 1;
    }
    return n;
  };
  // The other key is written; seq 1 fails more than once (it is tried again, not parked until a restart).
  ASSERT_TRUE(WaitFor([&] {
    return fs::exists(options_.out_dir + "/0000000000000004.json") &&
           fs::exists(options_.out_dir + "/0000000000000005.json") && errors_for_seq1() >= 3;
  }));
  EXPECT_FALSE(fs::exists(options_.out_dir + "/0000000000000002.json"));
  EXPECT_FALSE(fs::exists(options_.out_dir + "/0000000000000003.json"));
  EXPECT_GE(server_->stats().output_errors.load(), 3u);
  fs::remove_all(options_.out_dir + "/0000000000000001.json");
  ASSERT_TRUE(WaitFor([&] { return Written() >= 5; }));
  Stop();
  std::vector<uint64_t> written;  // seqs in the order their outputs were written
  for (const auto& j : AuditLines(options_.inbox_dir + "/audit.jsonl")) {
    if (j["event"] == "written") written.push_back(j["seq"].get<uint64_t>());
    if (j["event"] == "error") {
      // Says why (the rename, and the folder's path), never the message's content.
      std::string detail = j["detail"];
      EXPECT_NE(detail.find("tried again"), std::string::npos) << detail;
      EXPECT_EQ(detail.find("DOE"), std::string::npos) << detail;
    }
  }
  ASSERT_EQ(written.size(), 5u);
  std::vector<uint64_t> key1;
  for (uint64_t seq : written) {
    if (seq <= 3) key1.push_back(seq);
  }
  EXPECT_EQ(key1, (std::vector<uint64_t>{1, 2, 3}));
  for (int seq = 1; seq <= 5; ++seq) {
    EXPECT_TRUE(fs::is_regular_file(options_.out_dir + "/000000000000000" + std::to_string(seq) + ".json")) << seq;
  }
}

// Two listeners of one process on one pool of 2 workers (what `-j 2` with two listeners makes): each
// listener's messages run with its own inbox and outputs, both listeners get all of theirs converted, and
// within each the outputs of a key are written in arrival order. Both bursts are sent before either is read
// back, so the two Servers compete for the same two threads.
TEST_F(OrderingTest, TwoListenersShareOnePoolAndEachKeepsItsOrder) {
  auto pool = std::make_shared<WorkerPool>(2);
  EXPECT_EQ(pool->size(), 2u);
  ServerOptions a = options_, b = options_;
  a.pool = b.pool = pool;
  a.workers = b.workers = pool->size();
  b.inbox_dir = dir_ + "/inbox-b";
  b.out_dir = dir_ + "/out-b";
  std::vector<std::unique_ptr<Server>> servers;
  for (const ServerOptions* o : {&a, &b}) {
    auto s = Server::Create(*o, runtime_, program_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    servers.push_back(std::move(*s));
  }
  std::vector<Status> results(2);
  std::vector<std::thread> runs;
  for (size_t i = 0; i < 2; ++i) runs.emplace_back([&, i] { results[i] = servers[i]->Run(); });
  const int n = 240;
  std::vector<MllpClient> clients(2);
  std::map<std::string, std::string> key_of;  // control id -> "sender/patient"
  for (size_t l = 0; l < 2; ++l) {
    ASSERT_TRUE(clients[l].Connect(servers[l]->port()));
    std::string burst;
    for (int i = 0; i < n; ++i) {
      int sender = i % 2, patient = (i / 2) % 3;
      AppendMllpFrame(Message(sender, patient, i), &burst);
      key_of["C" + std::to_string(i)] = std::to_string(sender) + "/" + std::to_string(patient);
    }
    ASSERT_TRUE(clients[l].SendRaw(burst));
  }
  for (size_t l = 0; l < 2; ++l) {
    for (int i = 0; i < n; ++i) {
      std::string ack;
      ASSERT_EQ(clients[l].ReadAck(&ack), MllpClient::kAck) << l << " " << i;
      ASSERT_EQ(AckCode(ack), "AA");
    }
  }
  auto written = [&](const std::string& inbox) {
    size_t k = 0;
    for (const auto& j : AuditLines(inbox + "/audit.jsonl")) k += j["event"] == "written";
    return k;
  };
  EXPECT_TRUE(WaitFor([&] { return written(a.inbox_dir) >= n && written(b.inbox_dir) >= n; }));
  for (auto& s : servers) s->RequestStop();
  for (auto& t : runs) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  for (const ServerOptions* o : {&a, &b}) {
    std::map<std::string, uint64_t> last;  // key -> last seq written
    size_t count = 0;
    for (const auto& j : AuditLines(o->inbox_dir + "/audit.jsonl")) {
      if (j["event"] != "written") continue;
      ++count;
      std::string key = key_of.at(j["control_id"].get<std::string>());
      uint64_t seq = j["seq"].get<uint64_t>();
      EXPECT_GT(seq, last[key]) << o->inbox_dir << ": key " << key << " written out of order";
      last[key] = seq;
    }
    EXPECT_EQ(count, static_cast<size_t>(n)) << o->inbox_dir;
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(o->out_dir)) files += e.path().extension() == ".json";
    EXPECT_EQ(files, static_cast<size_t>(n)) << o->out_dir;
  }
}

// A listener's cap: with a pool of 2 and workers = 1, at most one batch of that listener runs at a time, so
// its keys still all complete (in order) on the one thread its cap allows.
TEST_F(OrderingTest, AListenerCappedToOneWorkerOfASharedPoolStillFinishesInOrder) {
  auto pool = std::make_shared<WorkerPool>(2);
  options_.pool = pool;
  options_.workers = 1;
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  std::string burst;
  const int n = 60;
  for (int i = 0; i < n; ++i) AppendMllpFrame(Message(1, i % 2, i), &burst);
  ASSERT_TRUE(c.SendRaw(burst));
  for (int i = 0; i < n; ++i) {
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack, 30000), MllpClient::kAck) << i;
  }
  ASSERT_TRUE(WaitFor([&] { return Written() >= static_cast<size_t>(n); }));
  Stop();
  uint64_t last = 0;
  for (const auto& j : AuditLines(options_.inbox_dir + "/audit.jsonl")) {
    if (j["event"] != "written") continue;
    EXPECT_GT(j["seq"].get<uint64_t>(), last);  // one worker at a time: arrival order overall
    last = j["seq"].get<uint64_t>();
  }
}

TEST_F(OrderingTest, NdjsonIsCutBackToWhatTheInboxCommittedAndAnExistingFileIsKept) {
  options_.ndjson_path = dir_ + "/out.ndjson";
  std::ofstream(options_.ndjson_path) << "{\"kept\":true}\n";  // a file that was there before: kept whole
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(Message(1, 1, i)));
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  }
  ASSERT_TRUE(WaitFor([&] { return Written() >= 3; }));
  Stop();
  std::string committed = Slurp(options_.ndjson_path);
  ASSERT_EQ(std::count(committed.begin(), committed.end(), '\n'), 4) << committed;
  EXPECT_EQ(committed.rfind("{\"kept\":true}\n", 0), 0u);
  // A crash after an append and before the inbox's mark leaves bytes past the committed length.
  std::ofstream(options_.ndjson_path, std::ios::app) << "{\"resourceType\":\"Bundle\",\"half\":";
  Start();
  Stop();
  EXPECT_EQ(Slurp(options_.ndjson_path), committed);
}

// No output folder (an NDJSON file only, no file per message): the lines are the outputs, committed with the
// inbox's marks; a rejected message is kept in the inbox; a program that writes HL7 v2 is refused at start and
// at reload, since its outputs would have nowhere to go.
TEST_F(OrderingTest, WithoutAnOutputFolderTheNdjsonFileIsTheOutput) {
  options_.out_dir.clear();
  options_.ndjson_path = dir_ + "/out.ndjson";
  options_.sync = true;
  auto v2 = runtime_->Load(Slurp(std::string(CW_BUILD_DIR) + "/maps/fhir-to-hl7v2.cwb"));
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  auto refused = Server::Create(options_, runtime_, *v2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().ToString().find("HL7 v2"), std::string::npos) << refused.status().ToString();
  {
    ServerOptions none = options_;
    none.ndjson_path.clear();
    EXPECT_EQ(Server::Create(none, runtime_, program_).status().code(), StatusCode::kInvalidArgument);
    ServerOptions fhir = options_;
    fhir.fhir.base_url = "http://127.0.0.1:9/fhir";
    EXPECT_EQ(Server::Create(fhir, runtime_, program_).status().code(), StatusCode::kInvalidArgument);
  }

  Start();
  EXPECT_EQ(server_->Reload(runtime_, *v2).code(), StatusCode::kInvalidArgument);
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  std::string ack;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(c.Send(Message(1, i % 2, i)));
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_EQ(AckCode(ack), "AA");
  }
  ASSERT_TRUE(c.Send("MSH|^~\\&|SND1|FAC|RCV|FAC|20240102030405||ZZZ^Z01|Z1|P|2.5.1\r"));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  auto rejected = [&] {
    size_t n = 0;
    for (const auto& j : AuditLines(options_.inbox_dir + "/audit.jsonl")) n += j["event"] == "rejected";
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return Written() >= 4 && rejected() >= 1; }));
  EXPECT_EQ(server_->stats().written.load(), 4u);
  EXPECT_EQ(server_->stats().rejected.load(), 1u);
  Stop();
  EXPECT_FALSE(fs::exists(dir_ + "/out"));
  std::string lines = Slurp(options_.ndjson_path);
  ASSERT_EQ(std::count(lines.begin(), lines.end(), '\n'), 4) << lines;
  std::istringstream in(lines);
  std::string line;
  std::vector<std::string> ids;
  while (std::getline(in, line)) {
    nlohmann::json b = nlohmann::json::parse(line);
    EXPECT_EQ(b["resourceType"], "Bundle");
    ids.push_back(b["identifier"]["value"].get<std::string>());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"C0", "C1", "C2", "C3"})) << "one worker, arrival order";
  // Nothing is pending: a restart appends nothing; the rejected message is listed from the inbox.
  Start();
  Stop();
  EXPECT_EQ(Slurp(options_.ndjson_path), lines);
  auto inbox = Inbox::Open(options_.inbox_dir + "/db", false);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  std::vector<RejectedMessage> listed;
  ASSERT_TRUE((*inbox)->Rejected(&listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].control_id, "Z1");
}

TEST_F(OrderingTest, ReloadOntoANewRuntimeRunsTheNextMessagesWithIt) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Message(1, 1, 1)));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  ASSERT_TRUE(WaitFor([&] { return Written() >= 1; }));
  // A second Runtime on the same store, as SIGHUP makes: the old one is released by the server.
  auto rt = Runtime::Create({.terminology_dir = std::string(CW_BUILD_DIR) + "/terminology"});
  ASSERT_TRUE(rt.ok());
  std::shared_ptr<const Runtime> fresh = std::move(*rt);
  auto prog = fresh->Load(Slurp(std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb"));
  ASSERT_TRUE(prog.ok());
  std::weak_ptr<const Runtime> old = runtime_;
  ASSERT_TRUE(server_->Reload(fresh, *prog).ok());
  runtime_.reset();
  program_.reset();
  ASSERT_TRUE(c.Send(Message(1, 1, 2)));  // same connection
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AA");
  ASSERT_TRUE(WaitFor([&] { return Written() >= 2; }));
  ASSERT_TRUE(WaitFor([&] { return old.expired(); }));  // the worker dropped its context on the old store
  Stop();
  EXPECT_NE(Audit().find("\"event\":\"reloaded\""), std::string::npos);
}

TEST_F(OrderingTest, AuditEventsAreLoggedAtTheirLevelWithoutContent) {
  std::string log_path = dir_ + "/log.jsonl";
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  Logger logger(LogLevel::kDebug, LogFormat::kJson, fd);
  options_.logger = &logger;
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Message(1, 1, 1)));
  ASSERT_TRUE(c.Send("not hl7 at all"));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  ASSERT_TRUE(WaitFor([&] { return Written() >= 1; }));
  Stop();
  ::close(fd);
  std::map<std::string, std::string> level_of;
  for (const auto& j : AuditLines(log_path)) {
    level_of[j["event"].get<std::string>() + "/" + j.value("outcome", "")] = j["level"];
    EXPECT_TRUE(j.contains("time"));
  }
  EXPECT_EQ(level_of["received/stored"], "debug");
  EXPECT_EQ(level_of["received/malformed"], "warn");
  EXPECT_EQ(level_of["written/ok"], "debug");
  std::string text = Slurp(log_path);
  EXPECT_EQ(text.find("DOE"), std::string::npos);
  EXPECT_EQ(text.find("19800101"), std::string::npos);
}

TEST(LoggerTest, TextLinesAndLevels) {
  char path[] = "/tmp/cw_log_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  Logger logger(LogLevel::kWarn, LogFormat::kText, fd);
  logger.Write(LogLevel::kDebug, {.event = "written", .seq = 1});
  logger.Write(LogLevel::kWarn, {.event = "retry", .seq = 7, .control_id = "M1", .detail = "HTTP 503; try 1 of 10"});
  logger.Say(LogLevel::kInfo, "reloaded", "reloaded x.cwb (3 maps)");
  logger.Say(LogLevel::kError, "failed", "bind failed");
  ::close(fd);
  EXPECT_EQ(Slurp(path),
            "crosswalk serve: warn retry seq=7 control_id=M1 detail=\"HTTP 503; try 1 of 10\"\n"
            "crosswalk serve: bind failed\n");
  ::unlink(path);
}

TEST(LoggerTest, JsonLinesOfSay) {
  char path[] = "/tmp/cw_log_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  Logger logger(LogLevel::kInfo, LogFormat::kJson, fd);
  logger.Say(LogLevel::kInfo, "reloaded", "reloaded \"x.cwb\" (3 maps)", "mllp:127.0.0.1:2575");
  logger.Say(LogLevel::kError, "failed", "bind failed");
  logger.Say(LogLevel::kDebug, "quiet", "not shown");
  ::close(fd);
  std::vector<nlohmann::ordered_json> lines;
  std::istringstream in(Slurp(path));
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::ordered_json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  lines[0].erase("time");
  EXPECT_EQ(lines[0].dump(), R"({"level":"info","event":"reloaded","listener":"mllp:127.0.0.1:2575",)"
                             R"j("detail":"reloaded \"x.cwb\" (3 maps)"})j");
  lines[1].erase("time");
  EXPECT_EQ(lines[1].dump(), R"({"level":"error","event":"failed","detail":"bind failed"})");
  ::unlink(path);
}

TEST(ServeConfigTest, ListenersWithPathsFromTheFileFolder) {
  auto c = ParseServeConfig(R"({
    "log": {"level": "warn", "format": "json"},
    "listeners": [
      {"name": "adt", "mllp": "127.0.0.1:2575", "program": "a.cwb", "term": "/abs/term", "inbox": "in-a",
       "workers": 4, "map": "ADT_A01", "sync": false, "app_acks": true, "vars": {"site": "x"},
       "outputs": {"dir": "out-a", "ndjson": "a.ndjson",
                   "fhir": {"base": "http://127.0.0.1:8080/fhir", "headers": ["Authorization: Bearer t"],
                            "max_tries": 3}},
       "limits": {"max_pending": 7, "max_connections": 2, "max_frame_bytes": 1024, "dedup_days": 2},
       "metrics": "127.0.0.1:0"},
      {"mllp": "127.0.0.1:0", "program": "b.cwb", "inbox": "in-b", "outputs": {"dir": "out-b", "stdout": true}}
    ]})", "/etc/cw");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_level, LogLevel::kWarn);
  EXPECT_EQ(c->log_format, LogFormat::kJson);
  ASSERT_EQ(c->listeners.size(), 2u);
  const ListenerConfig& a = c->listeners[0];
  EXPECT_EQ(a.name, "adt");
  EXPECT_EQ(a.program_path, "/etc/cw/a.cwb");
  EXPECT_EQ(a.term_dir, "/abs/term");
  EXPECT_EQ(a.options.port, 2575);
  EXPECT_EQ(a.options.inbox_dir, "/etc/cw/in-a");
  EXPECT_EQ(a.options.out_dir, "/etc/cw/out-a");
  EXPECT_EQ(a.options.ndjson_path, "/etc/cw/a.ndjson");
  EXPECT_EQ(a.options.workers, 4u);
  EXPECT_FALSE(a.options.sync);
  EXPECT_TRUE(a.options.app_acks);
  EXPECT_FALSE(c->listeners[1].options.app_acks);  // off unless asked
  EXPECT_EQ(a.options.run_options.map_name, "ADT_A01");
  EXPECT_EQ(a.options.fhir.max_tries, 3u);
  EXPECT_EQ(a.options.fhir.headers.size(), 1u);
  EXPECT_EQ(a.options.max_pending, 7u);
  EXPECT_EQ(a.options.dedup_seconds, 2u * 86400);
  EXPECT_EQ(c->listeners[1].options.dedup_seconds, 30u * 86400);  // the default
  EXPECT_TRUE(a.options.metrics);
  EXPECT_EQ(c->listeners[1].name, "listeners[1]");
  EXPECT_TRUE(c->listeners[1].options.stdout_output);
  EXPECT_TRUE(c->listeners[1].options.sync);
  // The process's pool: without a top-level "workers", the listeners' own summed (1 for one without).
  EXPECT_EQ(c->workers, 0u);
  EXPECT_TRUE(a.workers_given);
  EXPECT_FALSE(c->listeners[1].workers_given);
  EXPECT_EQ(PoolSize(*c), 5u);
}

TEST(ServeConfigTest, TopLevelWorkersSizesTheSharedPool) {
  auto c = ParseServeConfig(R"({"workers": 3, "listeners": [
      {"mllp": "127.0.0.1:1", "program": "p.cwb", "inbox": "i1", "outputs": {"dir": "o1"}, "workers": 1},
      {"mllp": "127.0.0.1:2", "program": "p.cwb", "inbox": "i2", "outputs": {"dir": "o2"}}]})", "/d");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->workers, 3u);
  EXPECT_EQ(PoolSize(*c), 3u);
  EXPECT_EQ(c->listeners[0].options.workers, 1u);  // its cap on the pool
  auto bad = ParseServeConfig(R"({"workers": 0, "listeners": [
      {"mllp": "127.0.0.1:1", "program": "p.cwb", "inbox": "i1", "outputs": {"dir": "o1"}}]})", "/d");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "workers: must be a whole number from 1 to 1024");
}

TEST(ServeConfigTest, MistakesNameTheKey) {
  auto error = [](const std::string& text) {
    auto c = ParseServeConfig(text, "/d");
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  const std::string ok = R"("mllp": "127.0.0.1:1", "program": "p.cwb", "inbox": "i", "outputs": {"dir": "o"})";
  EXPECT_EQ(error("{\"listeners\": [{" + ok + "}]}"), "ok");
  EXPECT_EQ(error("{"), "the configuration is not valid JSON");
  EXPECT_EQ(error("{\"listeners\": []}"), "listeners: required, an array of at least one listener");
  EXPECT_EQ(error("{\"listeners\": [{" + ok + ", \"wrokers\": 2}]}"), "listeners[0].wrokers: unknown key");
  EXPECT_EQ(error("{\"listeners\": [{" + ok + ", \"workers\": 0}]}"),
            "listeners[0].workers: must be a whole number from 1 to 1024");
  EXPECT_EQ(error(R"({"listeners": [{"mllp": "x", "program": "p", "inbox": "i", "outputs": {"dir": "o"}}]})"),
            "listeners[0].mllp: takes HOST:PORT, not 'x'");
  EXPECT_EQ(error(R"({"listeners": [{"mllp": "127.0.0.1:1", "program": "p", "inbox": "i"}]})"),
            "listeners[0].outputs: required (\"dir\" or \"ndjson\")");
  const std::string head = R"({"listeners": [{"mllp": "127.0.0.1:1", "program": "p", "inbox": "i", "outputs": )";
  EXPECT_EQ(error(head + R"({"ndjson": "o.ndjson"}}]})"), "ok");
  EXPECT_EQ(error(head + R"({"stdout": true}}]})"), "listeners[0].outputs.dir: required without \"ndjson\"");
  EXPECT_EQ(error(head + R"({"ndjson": "o.ndjson", "fhir": {"base": "http://h/fhir"}}}]})"),
            "listeners[0].outputs.dir: required with \"fhir\" or \"mllp\" (they send its files)");
  EXPECT_EQ(error(R"({"listeners": [{"mllp": "127.0.0.1:1", "program": "p", "inbox": "i", "outputs": {"dir": "o", "fhir": {}}}]})"),
            "listeners[0].outputs.fhir.base: required");
  // Mutual TLS toward the FHIR server: "cert" and "cert_key" together ("key" is the SMART signing key).
  const std::string fhir = head + R"({"dir": "o", "fhir": {"base": "https://h/fhir", )";
  EXPECT_EQ(error(fhir + R"("cert": "us.crt", "cert_key": "us.key"}}}]})"), "ok");
  EXPECT_EQ(error(fhir + R"("cert": "us.crt"}}}]})"), "listeners[0].outputs.fhir.cert_key: required with cert");
  EXPECT_EQ(error(fhir + R"("cert_key": "us.key"}}}]})"), "listeners[0].outputs.fhir.cert: required with cert_key");
  EXPECT_EQ(error(fhir + R"("cert": 7, "cert_key": "us.key"}}}]})").rfind("listeners[0].outputs.fhir.cert: ", 0), 0u);
  EXPECT_EQ(error("{\"listeners\": [{" + ok + "}, {" + ok + "}]}"),
            "listeners[1]: the address '127.0.0.1:1' is used by an earlier listener");
  EXPECT_EQ(error(R"({"listeners": [{"mllp": "127.0.0.1:1", "program": "p", "inbox": "i", "outputs": {"dir": "o"}},
                                   {"mllp": "127.0.0.1:2", "program": "p", "inbox": "i", "outputs": {"dir": "o2"}}]})"),
            "listeners[1]: the inbox '/d/i' is used by an earlier listener");
  EXPECT_EQ(error("{\"log\": {\"level\": \"loud\"}, \"listeners\": [{" + ok + "}]}"),
            "log.level: must be debug, info, warn or error");
}

}  // namespace
}  // namespace crosswalk::serve
