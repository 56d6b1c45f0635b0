// Server in-process on loopback: the real shipped map (build/maps/hl7v2-to-fhir.cwb) and the real sample
// messages from tests/fixtures/hl7v2; ACKs, outputs, partial frames, malformed frames, limits at N and N+1,
// dedup of a resend, restart recovery, back-pressure, and no patient content in the audit trail.
#include "serve/server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hl7v2/framing.h"
#include "hl7v2/message.h"
#include "mllp_client.h"
#include "server_fixture.h"

namespace crosswalk::serve {
namespace {

namespace fs = std::filesystem;
using test::AckCode;
using test::MllpClient;

using test::Slurp;

std::string Adt(const std::string& control, const std::string& extra_msh = "") {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|" + control + "|P|2.5.1" + extra_msh +
         "\rPID|1||12345^^^MRN^MR||DOE^JOHN||19800101|M\r";
}

// Output files (not temporaries) in `dir`.
std::vector<std::string> Outputs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(".cw-tmp-", 0) != 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ServerTest : public test::ServerFixture {
 protected:
  ServerTest() : ServerFixture("serve") {}
  // Waits (at most 20 s) until `n` outputs exist.
  bool WaitOutputs(size_t n) {
    return WaitFor([&] { return Outputs(options_.out_dir).size() >= n; });
  }
};

// One message of each of a spread of fixture files (every 12th single-message row of the manifest).
std::vector<std::string> FixtureMessages() {
  std::ifstream manifest(std::string(CW_TEST_DIR) + "/fixtures/hl7v2/MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  std::vector<std::string> out;
  for (int row = 0; std::getline(manifest, line); ++row) {
    if (row % 12 != 0) continue;
    std::string path = line.substr(0, line.find('\t'));
    std::string data = Slurp(std::string(CW_TEST_DIR) + "/fixtures/" + path);
    hl7v2::Batch batch;
    if (!hl7v2::SplitMessages(data, &batch).ok() || batch.messages.empty()) continue;
    hl7v2::Message m;
    if (!m.Parse(batch.messages[0]).ok() || m.Raw(0, 10).empty()) continue;  // cannot be keyed: AR (tested below)
    out.emplace_back(batch.messages[0]);
  }
  return out;
}

TEST_F(ServerTest, RealSampleMessagesAreAcknowledgedAfterStorageAndConverted) {
  Start();
  std::vector<std::string> messages = FixtureMessages();
  ASSERT_GE(messages.size(), 10u);
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  std::set<std::string> family_names;
  for (const std::string& m : messages) {
    hl7v2::Message parsed;
    ASSERT_TRUE(parsed.Parse(m).ok());
    std::string control(parsed.Raw(0, 10));
    int pid = parsed.FindSegment("PID");
    if (pid > 0 && parsed.Raw(pid, 5, 1, 1).size() >= 4) family_names.insert(std::string(parsed.Raw(pid, 5, 1, 1)));
    ASSERT_TRUE(c.Send(m));
    // MSH-15 empty: original mode (AA); otherwise enhanced mode (CA), none for NE (never) and ER (errors only).
    std::string_view accept = parsed.Raw(0, 15);
    if (accept == "NE" || accept == "ER") continue;
    std::string code = accept.empty() ? "AA" : "CA";
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_NE(ack.find("\rMSA|" + code + "|" + control), std::string::npos) << ack;
  }
  ASSERT_TRUE(WaitOutputs(messages.size()));
  Stop();
  std::vector<std::string> outs = Outputs(options_.out_dir);
  ASSERT_EQ(outs.size(), messages.size());
  size_t json = 0;
  for (size_t i = 0; i < outs.size(); ++i) {
    // Named by arrival order: 0000000000000001.json, ...
    char expected[17];
    std::snprintf(expected, sizeof expected, "%016zu", i + 1);
    EXPECT_EQ(outs[i].substr(0, 16), expected);
    if (outs[i].ends_with(".json")) {
      ++json;
      auto j = nlohmann::json::parse(Slurp(options_.out_dir + "/" + outs[i]), nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << outs[i];
      EXPECT_EQ(j.value("resourceType", ""), "Bundle") << outs[i];
    }
  }
  EXPECT_GE(json, messages.size() / 2);
  // The audit trail has every step and no patient name.
  std::string audit = Audit();
  EXPECT_NE(audit.find("\"event\":\"received\""), std::string::npos);
  EXPECT_NE(audit.find("\"event\":\"acknowledged\""), std::string::npos);
  EXPECT_NE(audit.find("\"event\":\"written\""), std::string::npos);
  ASSERT_FALSE(family_names.empty());
  for (const std::string& name : family_names) EXPECT_EQ(audit.find(name), std::string::npos) << name;
}

TEST_F(ServerTest, PartialFramesAndSeveralFramesPerRead) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  std::string framed;
  AppendMllpFrame(Adt("P1"), &framed);
  for (size_t i = 0; i < framed.size(); i += 7) {  // 7 bytes at a time, each its own segment on the wire
    ASSERT_TRUE(c.SendRaw(framed.substr(i, 7)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|P1"), std::string::npos) << ack;
  std::string two;
  AppendMllpFrame(Adt("P2"), &two);
  AppendMllpFrame(Adt("P3"), &two);
  ASSERT_TRUE(c.SendRaw(two));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|P2"), std::string::npos) << ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|P3"), std::string::npos) << ack;
  ASSERT_TRUE(WaitOutputs(3));
}

TEST_F(ServerTest, MalformedFrameGetsArAndTheConnectionContinues) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send("this is not HL7 DOE^JOHN"));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AR") << ack;
  EXPECT_NE(ack.find("\rERR|"), std::string::npos) << ack;
  EXPECT_EQ(ack.find("DOE"), std::string::npos) << ack;
  // An MSH without a control id cannot be keyed: AR, addressed to the sender.
  ASSERT_TRUE(c.Send("MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01|||2.5.1\rPID|1||1||DOE^JOHN\r"));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AR") << ack;
  EXPECT_NE(ack.find("MSH-10 (message control id) is empty"), std::string::npos) << ack;
  EXPECT_NE(ack.find("|RCV|FAC|SND|FAC|"), std::string::npos) << ack;
  // A message whose MSH reads but whose body does not (an invalid segment id further down): AR addressed to
  // the sender and naming its control id, so a sender that resends until acknowledged stops.
  ASSERT_TRUE(c.Send("MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01|BAD1|P|2.5.1\rPIDX|1||1||DOE^JOHN\r"));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AR") << ack;
  EXPECT_NE(ack.find("\rMSA|AR|BAD1|"), std::string::npos) << ack;
  EXPECT_NE(ack.find("|RCV|FAC|SND|FAC|"), std::string::npos) << ack;
  EXPECT_NE(ack.find("invalid segment id"), std::string::npos) << ack;
  // Its MSH-15 is followed: enhanced mode gets CR; NE gets nothing (the next ACK is the next message's).
  ASSERT_TRUE(c.Send("MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01|BAD2|P|2.5.1|||AL\rPIDX|1\r"));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|CR|BAD2|"), std::string::npos) << ack;
  ASSERT_TRUE(c.Send("MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01|BAD3|P|2.5.1|||NE\rPIDX|1\r"));
  ASSERT_TRUE(c.Send(Adt("OK1")));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|OK1"), std::string::npos) << ack;
  ASSERT_TRUE(WaitOutputs(1));
  Stop();
  EXPECT_EQ(Outputs(options_.out_dir).size(), 1u);  // refused frames are not stored
  std::string audit = Audit();
  EXPECT_NE(audit.find("\"outcome\":\"malformed\""), std::string::npos);
  EXPECT_NE(audit.find("\"control_id\":\"BAD1\""), std::string::npos) << audit;
  EXPECT_EQ(audit.find("DOE"), std::string::npos);
}

TEST_F(ServerTest, FrameLimitAtNAndNPlusOne) {
  std::string m = Adt("F1");
  options_.max_frame_bytes = m.size();
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(m));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AA") << ack;
  ASSERT_TRUE(c.Send(Adt("F12")));  // one byte more
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AR") << ack;
  EXPECT_NE(ack.find("the frame exceeds max_frame_bytes (" + std::to_string(m.size()) + ")"), std::string::npos) << ack;
  EXPECT_EQ(c.ReadAck(&ack, 5000), MllpClient::kClosed);  // the stream cannot be resynchronised
  ASSERT_TRUE(WaitOutputs(1));
}

TEST_F(ServerTest, ConnectionLimitAtNAndNPlusOne) {
  options_.max_connections = 2;
  Start();
  MllpClient a, b, over;
  std::string ack;
  ASSERT_TRUE(a.Connect(server_->port()));
  ASSERT_TRUE(a.Send(Adt("C1")));
  ASSERT_EQ(a.ReadAck(&ack), MllpClient::kAck);
  ASSERT_TRUE(b.Connect(server_->port()));
  ASSERT_TRUE(b.Send(Adt("C2")));
  ASSERT_EQ(b.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AA");
  ASSERT_TRUE(over.Connect(server_->port()));  // the kernel accepts; the server closes it
  EXPECT_EQ(over.ReadAck(&ack, 5000), MllpClient::kClosed);
  // The count and the audit line may follow the close by a moment.
  for (int i = 0; i < 250 && (server_->stats().refused_connections.load() < 1 ||
                              Audit().find("max_connections (2) reached") == std::string::npos); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->stats().refused_connections.load(), 1u);
  EXPECT_NE(Audit().find("max_connections (2) reached"), std::string::npos);
  a.Close();  // a slot frees up once the server has seen the close (retried: the machine may be loaded)
  bool served = false;
  for (int attempt = 0; attempt < 250 && !served; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!over.Connect(server_->port()) || !over.Send(Adt("C3"))) continue;
    served = over.ReadAck(&ack) == MllpClient::kAck;
  }
  ASSERT_TRUE(served);
  EXPECT_EQ(AckCode(ack), "AA");
}

TEST_F(ServerTest, AResendAfterALostAckIsStoredOnceAndAChangedMessageIsNew) {
  Start();
  std::string ack;
  for (int i = 0; i < 2; ++i) {
    MllpClient c;  // a new connection each time, as a sender that lost the ACK would open
    ASSERT_TRUE(c.Connect(server_->port()));
    ASSERT_TRUE(c.Send(Adt("D1")));
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_EQ(AckCode(ack), "AA");
  }
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Adt("D1", "|||")));  // the same control id, other bytes: a new message
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  ASSERT_TRUE(WaitOutputs(2));
  Stop();
  EXPECT_EQ(Outputs(options_.out_dir).size(), 2u);
  EXPECT_NE(Audit().find("\"outcome\":\"duplicate\""), std::string::npos);
}

// The dedup window (options.dedup_seconds): within it a resend is a duplicate; after it the id is forgotten
// by the server's pruning pass (audit `pruned`, the metric) and the same bytes are a new message.
TEST_F(ServerTest, AResendAfterTheDedupWindowIsANewMessage) {
  options_.dedup_seconds = 1;
  Start();
  std::string ack;
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.Send(Adt("P1")));
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
    EXPECT_EQ(AckCode(ack), "AA");
  }
  EXPECT_EQ(server_->stats().duplicates.load(), 1u);
  ASSERT_TRUE(WaitOutputs(1));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().dedup_pruned.load() >= 1; }));
  ASSERT_TRUE(c.Send(Adt("P1")));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AA");
  ASSERT_TRUE(WaitOutputs(2));
  EXPECT_EQ(server_->stats().stored.load(), 2u);
  EXPECT_EQ(server_->stats().duplicates.load(), 1u);
  Stop();
  EXPECT_NE(Audit().find("\"event\":\"pruned\""), std::string::npos);
  EXPECT_EQ(Outputs(options_.out_dir).size(), 2u);
}

TEST_F(ServerTest, MessagesTheMapRejectsAreAcknowledgedThenRecordedWithTheReason) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send("MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ZZZ^Z01|R1|P|2.5.1\rPID|1||1||SECRETNAME^J\r"));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AA") << ack;  // stored: the ACK promises durability, not conversion
  ASSERT_TRUE(WaitOutputs(1));
  Stop();
  std::vector<std::string> outs = Outputs(options_.out_dir);
  ASSERT_EQ(outs, std::vector<std::string>{"0000000000000001.rejected"});
  std::string reason = Slurp(options_.out_dir + "/" + outs[0]);
  EXPECT_NE(reason.find("ZZZ^Z01"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("SECRETNAME"), std::string::npos) << reason;
  auto inbox = Inbox::Open(options_.inbox_dir + "/db");
  ASSERT_TRUE(inbox.ok());
  std::vector<RejectedMessage> rejected;
  ASSERT_TRUE((*inbox)->Rejected(&rejected).ok());
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].seq, 1u);
  EXPECT_EQ(Audit().find("SECRETNAME"), std::string::npos);
}

TEST_F(ServerTest, EnhancedModeAnswersCommitAcks) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Adt("E1", "|||AL|NE")));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "CA") << ack;
  ASSERT_TRUE(c.Send("garbage"));  // no MSH: original mode
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AR") << ack;
  ASSERT_TRUE(c.Send(Adt("E2", "|||NE|NE")));  // the sender asked for no accept ACK
  ASSERT_TRUE(c.Send(Adt("E3")));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|E3"), std::string::npos) << ack;
  ASSERT_TRUE(WaitOutputs(3));
}

// Fixed-width senders pad their codes: MSH-15/16 `AL   ` ask for what `AL` asks for.
TEST_F(ServerTest, PaddedAcknowledgmentCodesAreRead) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Adt("P1", "|||AL   |NE  ")));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "CA") << ack;
  ASSERT_TRUE(c.Send(Adt("P2", "||| NE |NE   ")));  // no accept ACK asked for
  ASSERT_TRUE(c.Send(Adt("P3")));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|P3"), std::string::npos) << ack;
  ASSERT_TRUE(WaitOutputs(3));
}

TEST_F(ServerTest, StoredMessagesNotDoneAreProcessedAtStart) {
  {
    fs::create_directories(options_.inbox_dir);
    auto inbox = Inbox::Open(options_.inbox_dir + "/db");
    ASSERT_TRUE(inbox.ok());
    std::vector<InboxItem> items(3);
    for (int i = 0; i < 3; ++i) {
      items[i].sender = "SND^FAC";
      items[i].record.control_id = "R" + std::to_string(i);
      items[i].record.text = Adt(items[i].record.control_id);
      items[i].record.sha256 = Sha256Hex(items[i].record.text);
      items[i].record.received = "2026-01-01T00:00:00.000Z";
    }
    ASSERT_TRUE((*inbox)->Store(&items).ok());
  }
  Start();
  ASSERT_TRUE(WaitOutputs(3));
  Stop();
  EXPECT_EQ(Outputs(options_.out_dir),
            (std::vector<std::string>{"0000000000000001.json", "0000000000000002.json", "0000000000000003.json"}));
  auto inbox = Inbox::Open(options_.inbox_dir + "/db");
  ASSERT_TRUE(inbox.ok());
  std::vector<uint64_t> pending;
  ASSERT_TRUE((*inbox)->Pending(&pending).ok());
  EXPECT_TRUE(pending.empty());
  EXPECT_NE(Audit().find("\"event\":\"recovered\""), std::string::npos);
}

TEST_F(ServerTest, AnOutputThatCannotBeWrittenLeavesTheMessageInTheInboxForTheNextStart) {
  // A non-empty directory where the first output's temporary file must go: open() fails with EISDIR.
  std::string blocker = options_.out_dir + "/.cw-tmp-0000000000000001.json";
  fs::create_directories(blocker);
  std::ofstream(blocker + "/keep") << "x";
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Adt("W1")));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_EQ(AckCode(ack), "AA");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Audit().find("\"event\":\"error\"") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Stop();
  EXPECT_NE(Audit().find("cannot create"), std::string::npos) << Audit();
  EXPECT_TRUE(Outputs(options_.out_dir).empty());
  {
    auto inbox = Inbox::Open(options_.inbox_dir + "/db");
    ASSERT_TRUE(inbox.ok());
    std::vector<uint64_t> pending;
    ASSERT_TRUE((*inbox)->Pending(&pending).ok());
    EXPECT_EQ(pending, std::vector<uint64_t>{1});  // not lost: still stored
  }
  fs::remove_all(blocker);
  Start();
  ASSERT_TRUE(WaitOutputs(1));
  Stop();
  EXPECT_EQ(Outputs(options_.out_dir), std::vector<std::string>{"0000000000000001.json"});
}

// A message converted again (after a crash before its mark) finds its output's name taken by the earlier
// run's file: the new output replaces it whole.
TEST_F(ServerTest, AnOutputReplacesAnEarlierRunsFileOfTheSameName) {
  fs::create_directories(options_.out_dir);
  std::ofstream(options_.out_dir + "/0000000000000001.json") << "an earlier run's output";
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Adt("R1")));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  ASSERT_TRUE(WaitFor([&] { return Audit().find("\"event\":\"written\"") != std::string::npos; }));
  Stop();
  EXPECT_EQ(Outputs(options_.out_dir), std::vector<std::string>{"0000000000000001.json"});
  std::string out = Slurp(options_.out_dir + "/0000000000000001.json");
  EXPECT_EQ(out.rfind("{", 0), 0u) << out;
  EXPECT_NE(out.find("\"resourceType\":\"Bundle\""), std::string::npos);
}

// Application ACKs (--app-acks): an enhanced-mode message whose MSH-16 asks for one gets, after its CA, an AA
// once its output is durable or an AE when the program rejects it, on its connection, MSH-10 "CWA" + seq.
TEST_F(ServerTest, ApplicationAcksFollowTheCommitAckAsMsh16Asks) {
  options_.app_acks = true;
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  auto next = [&](const std::string& want) {
    std::string ack;
    if (c.ReadAck(&ack, 20000) != MllpClient::kAck) return std::string("no ACK (wanted " + want + ")");
    size_t at = ack.find("\rMSA|" + want);
    size_t end = at + 5 + want.size();
    return at != std::string::npos && end < ack.size() && (ack[end] == '|' || ack[end] == '\r') ? std::string() : ack;
  };
  const std::string rejected = "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ZZZ^Z01|";
  ASSERT_TRUE(c.Send(Adt("E1", "|||AL|AL")));
  EXPECT_EQ(next("CA|E1"), "");
  std::string aa;
  ASSERT_EQ(c.ReadAck(&aa, 20000), MllpClient::kAck);
  EXPECT_NE(aa.find("\rMSA|AA|E1"), std::string::npos) << aa;
  EXPECT_NE(aa.find("|CWA1|"), std::string::npos) << aa;               // MSH-10: CWA + the inbox seq
  EXPECT_NE(aa.find("MSH|^~\\&|RCV|FAC|SND|FAC|"), std::string::npos) << aa;  // addressed back to the sender
  ASSERT_TRUE(c.Send(rejected + "E2|P|2.5.1|||AL|AL\rPID|1||1\r"));  // no map for ZZZ: rejected
  EXPECT_EQ(next("CA|E2"), "");
  std::string ae;
  ASSERT_EQ(c.ReadAck(&ae, 20000), MllpClient::kAck);
  EXPECT_NE(ae.find("\rMSA|AE|E2|the program rejected the message"), std::string::npos) << ae;
  EXPECT_NE(ae.find("\rERR|"), std::string::npos) << ae;
  // ER: only on error; SU: only on success; NE and original mode: never. The AL message sent last is the
  // proof: its AA is the next frame after its CA, so none of those came before it.
  ASSERT_TRUE(c.Send(Adt("E3", "|||AL|ER")));
  EXPECT_EQ(next("CA|E3"), "");
  ASSERT_TRUE(c.Send(rejected + "E4|P|2.5.1|||AL|SU\rPID|1||1\r"));
  EXPECT_EQ(next("CA|E4"), "");
  ASSERT_TRUE(c.Send(Adt("E5", "|||AL|NE")));
  EXPECT_EQ(next("CA|E5"), "");
  ASSERT_TRUE(c.Send(Adt("O1")));
  EXPECT_EQ(next("AA|O1"), "");
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; ++at) ++n;
    return n;
  };
  // E1, E3, E5 and O1 written, E2 and E4 rejected: everything before E6 is done.
  ASSERT_TRUE(WaitFor([&] {
    std::string a = Audit();
    return count(a, "\"event\":\"written\"") >= 4 && count(a, "\"event\":\"rejected\"") >= 2;
  }));
  ASSERT_TRUE(c.Send(Adt("E6", "|||AL|AL")));
  EXPECT_EQ(next("CA|E6"), "");
  EXPECT_EQ(next("AA|E6"), "");
  // A message whose connection is gone when it is done: its ACK cannot be sent, and that is audited.
  MllpClient gone;
  ASSERT_TRUE(gone.Connect(server_->port()));
  ASSERT_TRUE(gone.Send(Adt("E7", "|||AL|AL")));
  std::string ca;
  ASSERT_EQ(gone.ReadAck(&ca), MllpClient::kAck);
  gone.Close();
  ASSERT_TRUE(WaitFor([&] {
    std::string a = Audit();
    return count(a, "\"event\":\"app-acknowledged\"") + count(a, "\"event\":\"app-ack-undelivered\"") >= 4;
  }));
  const uint64_t sent = server_->stats().app_acks.load(), undelivered = server_->stats().app_acks_undelivered.load();
  Stop();
  std::string audit = Audit();
  // E1, E2, E6 and E7 (E7's sent before the close was seen, or not).
  EXPECT_EQ(count(audit, "\"event\":\"app-acknowledged\"") + count(audit, "\"event\":\"app-ack-undelivered\""), 4u)
      << audit;
  EXPECT_EQ(sent + undelivered, 4u);  // crosswalk_app_acks_total, crosswalk_app_acks_undelivered_total
  EXPECT_NE(audit.find("\"seq\":1,\"control_id\":\"E1\",\"type\":\"ADT^A01^ADT_A01\",\"outcome\":\"AA\""),
            std::string::npos) << audit;
  EXPECT_NE(audit.find("\"seq\":2,\"control_id\":\"E2\",\"type\":\"ZZZ^Z01\",\"outcome\":\"AE\""), std::string::npos)
      << audit;
}

// Off by default: an enhanced-mode message asking for an application ACK gets its CA only.
TEST_F(ServerTest, ApplicationAcksAreOffByDefault) {
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  ASSERT_TRUE(c.Send(Adt("E1", "|||AL|AL")));
  std::string ack;
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|CA|E1"), std::string::npos) << ack;
  ASSERT_TRUE(WaitFor([&] { return Audit().find("\"event\":\"written\"") != std::string::npos; }));
  ASSERT_TRUE(c.Send(Adt("O1")));
  ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck);
  EXPECT_NE(ack.find("\rMSA|AA|O1"), std::string::npos) << ack;  // the next frame: no application ACK of E1
  Stop();
  EXPECT_EQ(Audit().find("app-ack"), std::string::npos);
}

TEST_F(ServerTest, BackPressureNeverDrops) {
  options_.max_pending = 1;
  options_.workers = 2;
  Start();
  MllpClient c;
  ASSERT_TRUE(c.Connect(server_->port()));
  std::string burst;
  const int n = 60;
  for (int i = 0; i < n; ++i) AppendMllpFrame(Adt("B" + std::to_string(i)), &burst);
  ASSERT_TRUE(c.SendRaw(burst));  // one write: the listener must pause between groups, not drop
  for (int i = 0; i < n; ++i) {
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), MllpClient::kAck) << i;
    EXPECT_NE(ack.find("\rMSA|AA|B" + std::to_string(i) + "\r"), std::string::npos) << ack;
  }
  ASSERT_TRUE(WaitOutputs(n));
  Stop();
  EXPECT_EQ(Outputs(options_.out_dir).size(), static_cast<size_t>(n));
}

TEST_F(ServerTest, OptionsAreChecked) {
  ServerOptions bad = options_;
  bad.max_connections = 0;
  EXPECT_EQ(Server::Create(bad, runtime_, program_).status().code(), StatusCode::kInvalidArgument);
  bad = options_;
  bad.host = "not-an-address";
  EXPECT_EQ(Server::Create(bad, runtime_, program_).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crosswalk::serve
