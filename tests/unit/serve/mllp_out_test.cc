// Delivery to an HL7 v2 receiver over MLLP (crosswalk serve --mllp-out): the sender on its own against a
// recording receiver on loopback (AA, AE, AR, an ACK of another message first, silence, a reset, a receiver
// that closes idle connections, a port nobody listens on), then the Server with a v2 -> v2 map: every
// output reaches the receiver in order and is acknowledged exactly once, what the receiver refuses is a dead
// letter with its code (never its text), and what could not be sent waits in the inbox across a restart.
// Also: IPv6 listeners and the HOST:PORT forms of the flags and the configuration file.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "crosswalk/compiler/compiler.h"
#include "fake_mllp_receiver.h"
#include "mllp_client.h"
#include "server_fixture.h"
#include "crosswalk/serve.h"
#include "serve/inbox.h"
#include "serve/server.h"

namespace crosswalk::serve {
namespace {

using Answer = test::FakeMllpReceiver::Answer;
using Clock = std::chrono::steady_clock;

std::string Adt(const std::string& control, const std::string& patient = "12345") {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|" + control + "|P|2.5.1\rPID|1||" + patient +
         "^^^MRN^MR||DOE^JOHN||19800101|M\r";
}

// A port that refuses connections: bound, never listening, closed.
uint16_t RefusingPort() {
  int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(probe);
  return ntohs(addr.sin_port);
}

// ---- the sender on its own ------------------------------------------------------------------------------------

TEST(MllpPolicyTest, AckCodesDecide) {
  auto verdict = [](const char* code) { return ClassifyAck(MllpResult{.code = code}); };
  EXPECT_EQ(verdict("AA"), Verdict::kDelivered);
  EXPECT_EQ(verdict("CA"), Verdict::kDelivered);
  for (const char* c : {"AE", "AR", "CE", "CR"}) EXPECT_EQ(verdict(c), Verdict::kDead) << c;
  EXPECT_EQ(ClassifyAck(MllpResult{.error = "no ACK within 10 ms"}), Verdict::kRetry);
  EXPECT_EQ(ClassifyAck(MllpResult{.error = "x", .invalid = true}), Verdict::kDead);
  EXPECT_EQ(DescribeAck(MllpResult{.code = "AE", .error_code = "207"}), "ACK AE (ERR-3 207)");
  EXPECT_EQ(DescribeAck(MllpResult{.code = "AA"}), "ACK AA");
  EXPECT_EQ(DescribeAck(MllpResult{.error = "no ACK within 10 ms"}), "transport: no ACK within 10 ms");
  EXPECT_FALSE(MllpSender::Create({}).ok());
  EXPECT_FALSE(MllpSender::Create({.host = "127.0.0.1", .port = 1, .max_tries = 0}).ok());
  EXPECT_FALSE(MllpSender::Create({.host = "127.0.0.1", .port = 1, .timeout_ms = 0}).ok());
}

class MllpSenderTest : public testing::Test {
 protected:
  std::unique_ptr<MllpSender> Sender(uint16_t port, uint64_t timeout_ms = 2000) {
    auto s = MllpSender::Create({.host = "127.0.0.1", .port = port, .timeout_ms = timeout_ms});
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::atomic<bool> abort_{false};
};

TEST_F(MllpSenderTest, AnswersOfTheReceiverOnOneKeptConnection) {
  std::map<std::string, std::vector<Answer>> script = {
      {"A1", {Answer::kAA}},           {"A2", {Answer::kAE}}, {"A3", {Answer::kAR}},
      {"A4", {Answer::kOtherAckThenAA}}, {"A5", {Answer::kAA}}};
  test::FakeMllpReceiver rx([&](const std::string& id, int attempt) { return script.at(id).at(attempt - 1); });
  ASSERT_TRUE(rx.Start());
  auto s = Sender(rx.port());
  MllpResult r = s->Send(Adt("A1"), &abort_);
  EXPECT_EQ(r.code, "AA");
  EXPECT_EQ(ClassifyAck(r), Verdict::kDelivered);
  r = s->Send(Adt("A2"), &abort_);
  EXPECT_EQ(r.code, "AE");
  EXPECT_EQ(r.error_code, "207");
  EXPECT_EQ(ClassifyAck(r), Verdict::kDead);
  EXPECT_EQ(DescribeAck(r), "ACK AE (ERR-3 207)");  // the ACK's own text is not repeated
  r = s->Send(Adt("A3"), &abort_);
  EXPECT_EQ(r.code, "AR");
  r = s->Send(Adt("A4"), &abort_);  // an ACK for another control id comes first: skipped
  EXPECT_EQ(r.code, "AA");
  r = s->Send(Adt("A5"), &abort_);
  EXPECT_EQ(r.code, "AA");
  EXPECT_EQ(s->connections_opened(), 1u);
  EXPECT_EQ(rx.connections(), 1);
  auto got = rx.received();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].bytes, Adt("A1"));
}

// With app_acks, a message in enhanced mode asking for an application ACK always (MSH-15/16 AL): the commit ACK
// is not the answer, the application ACK that follows is; one asking for it on error only (ER) is answered by
// its CA. Without app_acks, the CA answers.
TEST_F(MllpSenderTest, AnEnhancedModeMessageWaitsForItsApplicationAck) {
  auto enhanced = [](const std::string& id, const std::string& msh16) {
    return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|" + id + "|P|2.5.1|||AL|" + msh16 +
           "\rPID|1||12345^^^MRN^MR||DOE^JOHN||19800101|M\r";
  };
  std::map<std::string, std::vector<Answer>> script = {
      {"C1", {Answer::kCAThenAA}}, {"C2", {Answer::kCAThenAE}}, {"C3", {Answer::kCAOnly, Answer::kCAThenAA}},
      {"C4", {Answer::kCAOnly}}, {"C5", {Answer::kCAThenAA}}};
  test::FakeMllpReceiver rx([&](const std::string& id, int attempt) { return script.at(id).at(attempt - 1); });
  ASSERT_TRUE(rx.Start());
  auto created = MllpSender::Create({.host = "127.0.0.1", .port = rx.port(), .timeout_ms = 300, .app_acks = true});
  ASSERT_TRUE(created.ok());
  auto& s = *created;
  MllpResult r = s->Send(enhanced("C1", "AL"), &abort_);
  EXPECT_EQ(r.code, "AA");
  EXPECT_EQ(ClassifyAck(r), Verdict::kDelivered);
  r = s->Send(enhanced("C2", "AL"), &abort_);
  EXPECT_EQ(r.code, "AE");
  EXPECT_EQ(r.error_code, "207");
  EXPECT_EQ(ClassifyAck(r), Verdict::kDead);
  r = s->Send(enhanced("C3", "AL"), &abort_);  // committed, then silence: tried again
  EXPECT_EQ(r.code, "");
  EXPECT_NE(r.error.find("no application ACK (MSH-16 AL) within 300 ms of the commit ACK (CA)"), std::string::npos)
      << r.error;
  EXPECT_EQ(ClassifyAck(r), Verdict::kRetry);
  r = s->Send(enhanced("C3", "AL"), &abort_);
  EXPECT_EQ(r.code, "AA");
  r = s->Send(enhanced("C4", "ER"), &abort_);  // ER: no news is good news, the CA answers
  EXPECT_EQ(r.code, "CA");
  EXPECT_EQ(ClassifyAck(r), Verdict::kDelivered);
  // Without app_acks (the default) the CA of an AL message is the answer, as before.
  auto plain = Sender(rx.port(), 300);
  r = plain->Send(enhanced("C5", "AL"), &abort_);
  EXPECT_EQ(r.code, "CA");
  EXPECT_EQ(ClassifyAck(r), Verdict::kDelivered);
}

TEST_F(MllpSenderTest, SilenceAResetAndAClosedIdleConnection) {
  std::map<std::string, std::vector<Answer>> script = {
      {"S1", {Answer::kSilent, Answer::kAA}},
      {"R1", {Answer::kReset, Answer::kAAThenClose}},
      {"I1", {Answer::kAA}}};
  test::FakeMllpReceiver rx([&](const std::string& id, int attempt) { return script.at(id).at(attempt - 1); });
  ASSERT_TRUE(rx.Start());
  auto s = Sender(rx.port(), 300);
  auto t0 = Clock::now();
  MllpResult r = s->Send(Adt("S1"), &abort_);
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(290));
  EXPECT_TRUE(r.code.empty());
  EXPECT_EQ(r.error, "no ACK within 300 ms");
  EXPECT_EQ(ClassifyAck(r), Verdict::kRetry);
  r = s->Send(Adt("S1"), &abort_);  // a new connection: a late ACK on the old one cannot be misread
  EXPECT_EQ(r.code, "AA");
  EXPECT_EQ(s->connections_opened(), 2u);

  r = s->Send(Adt("R1"), &abort_);
  EXPECT_TRUE(r.code.empty());
  EXPECT_NE(r.error.find("reset"), std::string::npos) << r.error;
  EXPECT_EQ(ClassifyAck(r), Verdict::kRetry);
  r = s->Send(Adt("R1"), &abort_);  // AA, then the receiver closes the connection
  EXPECT_EQ(r.code, "AA");
  EXPECT_EQ(s->connections_opened(), 3u);
  // The closed connection is noticed before sending: a new one, nothing sent twice, no failed attempt.
  for (int i = 0; i < 100 && rx.connections() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  r = s->Send(Adt("I1"), &abort_);
  EXPECT_EQ(r.code, "AA") << r.error;
  EXPECT_EQ(s->connections_opened(), 4u);
  int i1 = 0;
  for (const auto& g : rx.received()) i1 += g.control_id == "I1";
  EXPECT_EQ(i1, 1);
}

TEST_F(MllpSenderTest, RefusedConnectionsAbortAndMessagesWithoutAControlId) {
  auto s = Sender(RefusingPort());
  MllpResult r = s->Send(Adt("X1"), &abort_);
  EXPECT_EQ(ClassifyAck(r), Verdict::kRetry);
  EXPECT_NE(r.error.find("cannot connect to 127.0.0.1:"), std::string::npos) << r.error;

  r = s->Send("MSH|^~\\&|A|B|C|D|20240102||ADT^A01|\rPID|1\r", &abort_);
  EXPECT_TRUE(r.invalid);
  EXPECT_EQ(ClassifyAck(r), Verdict::kDead);
  r = s->Send("not a message", &abort_);
  EXPECT_TRUE(r.invalid);

  test::FakeMllpReceiver rx([](const std::string&, int) { return Answer::kSilent; });
  ASSERT_TRUE(rx.Start());
  auto slow = Sender(rx.port(), 60000);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    abort_ = true;
  });
  auto t0 = Clock::now();
  r = slow->Send(Adt("X2"), &abort_);
  stopper.join();
  EXPECT_TRUE(r.aborted);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
}

// ---- the Server delivering ------------------------------------------------------------------------------------

// v2 -> v2: the message's control id, a fixed MSH and the patient identifier.
constexpr char kForwardMap[] = R"(map Forward : hl7v2 "ADT^*" -> hl7v2 "ADT^A01" {
  segments[]: { id: "MSH", 3: "CROSSWALK", 5: "RECEIVER", 9: { 1: "ADT", 2: "A01" }, 10: MSH-10, 11: "P", 12: "2.5.1" }
  segments[]: { id: "PID", 1: "1", 3: PID-3.1 }
})";

class MllpOutServerTest : public test::ServerFixture {
 protected:
  MllpOutServerTest() : ServerFixture("mllpout") {}
  void SetUp() override {
    ServerFixture::SetUp();
    compiler::CompileResult r = compiler::CompileSource("forward.cw", kForwardMap);
    ASSERT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
    auto prog = runtime_->Load(*r.bytecode);
    ASSERT_TRUE(prog.ok()) << prog.status().ToString();
    program_ = *prog;
    options_.mllp_out.host = "127.0.0.1";
    options_.mllp_out.timeout_ms = 300;
    options_.mllp_out.backoff_initial_ms = 5;
    options_.mllp_out.backoff_max_ms = 40;
  }
  void SendAll(const std::vector<std::string>& controls) {
    test::MllpClient c;
    ASSERT_TRUE(c.Connect(server_->port()));
    for (size_t i = 0; i < controls.size(); ++i) {
      ASSERT_TRUE(c.Send(Adt(controls[i], "P" + std::to_string(i % 7))));
      std::string ack;
      ASSERT_EQ(c.ReadAck(&ack), test::MllpClient::kAck);
      ASSERT_EQ(test::AckCode(ack), "AA");
    }
  }
  std::vector<DeliveryRecord> Queue(bool dead) {
    auto inbox = Inbox::Open(options_.inbox_dir + "/db", false);
    EXPECT_TRUE(inbox.ok()) << inbox.status().ToString();
    std::vector<DeliveryRecord> out;
    if (inbox.ok()) EXPECT_TRUE((dead ? (*inbox)->DeadLetters(&out) : (*inbox)->Deliveries(&out)).ok());
    return out;
  }
};

TEST_F(MllpOutServerTest, EveryOutputIsAcknowledgedOnceInOrderRefusalsAreDeadLettersWithTheirCode) {
  // Message i: 0, 1 AA; 2 silent once then AA; 3 reset once then AA; 4 AE; 5 AR.
  auto kind = [](const std::string& id) { return std::stoi(id.substr(1)) % 6; };
  test::FakeMllpReceiver rx([&](const std::string& id, int attempt) {
    switch (kind(id)) {
      case 2: return attempt == 1 ? Answer::kSilent : Answer::kAA;
      case 3: return attempt == 1 ? Answer::kReset : Answer::kAA;
      case 4: return Answer::kAE;
      case 5: return Answer::kAR;
      default: return Answer::kAA;
    }
  });
  ASSERT_TRUE(rx.Start());
  options_.mllp_out.port = rx.port();
  std::vector<std::string> ids;
  for (int i = 0; i < 36; ++i) ids.push_back("M" + std::to_string(i));
  Start();
  SendAll(ids);
  ASSERT_TRUE(WaitFor([&] { return server_->stats().mllp_delivered + server_->stats().mllp_dead_letters == 36; }));
  EXPECT_EQ(server_->stats().mllp_delivered, 24u);
  EXPECT_EQ(server_->stats().mllp_dead_letters, 12u);
  EXPECT_EQ(server_->stats().mllp_retries, 12u);  // one per silent or reset first attempt
  EXPECT_EQ(server_->stats().delivered + server_->stats().dead_letters, 0u);  // no FHIR counts
  std::string metrics = server_->RenderMetrics();
  EXPECT_NE(metrics.find("crosswalk_mllp_delivered_total 24\n"), std::string::npos);
  EXPECT_NE(metrics.find("crosswalk_pending_messages 0\n"), std::string::npos);
  Stop();

  // Each message acknowledged AA exactly once, in arrival order; every resend byte for byte the first send.
  std::vector<std::string> accepted;
  std::map<std::string, std::string> first_bytes;
  for (const auto& got : rx.received()) {
    auto [it, inserted] = first_bytes.emplace(got.control_id, got.bytes);
    EXPECT_EQ(it->second, got.bytes) << got.control_id;
    if (got.answer == Answer::kAA) accepted.push_back(got.control_id);
    EXPECT_NE(got.bytes.find("MSH|^~\\&|CROSSWALK||RECEIVER||"), std::string::npos);
  }
  std::vector<std::string> expected;
  for (const std::string& id : ids) {
    if (kind(id) < 4) expected.push_back(id);
  }
  EXPECT_EQ(accepted, expected);
  EXPECT_EQ(first_bytes.size(), 36u);  // every output reached the receiver

  auto dead = Queue(true);
  ASSERT_EQ(dead.size(), 12u);
  for (const DeliveryRecord& d : dead) {
    std::string code = kind(d.control_id) == 4 ? "AE" : "AR";
    EXPECT_EQ(d.last_error, "ACK " + code + " (ERR-3 207) (rejected by the MLLP receiver; not retried)");
    EXPECT_EQ(d.tries, 1u);  // the refused attempt
  }
  EXPECT_TRUE(Queue(false).empty());
  std::string audit = Audit();
  EXPECT_NE(audit.find(R"("event":"delivered")"), std::string::npos);
  EXPECT_NE(audit.find(R"("outcome":"AA","detail":"mllp://127.0.0.1:)" + std::to_string(rx.port())),
            std::string::npos)
      << audit;
  EXPECT_NE(audit.find("transport: no ACK within 300 ms; try 1 of 10"), std::string::npos);
  EXPECT_EQ(audit.find("some text about the message"), std::string::npos);  // the receiver's text stays out
  EXPECT_EQ(audit.find("DOE"), std::string::npos);
}

TEST_F(MllpOutServerTest, WhileTheReceiverIsDownOutputsWaitInTheInboxAcrossARestartAndDeadLettersReplay) {
  uint16_t port = RefusingPort();
  options_.mllp_out.port = port;
  options_.mllp_out.max_tries = 1000000;
  Start();
  SendAll({"W1", "W2", "W3"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().mllp_retries >= 3; }));
  EXPECT_EQ(server_->stats().mllp_delivered, 0u);
  Stop();
  auto waiting = Queue(false);
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_GE(waiting[0].tries, 1u);
  EXPECT_NE(waiting[0].last_error.find("transport: cannot connect"), std::string::npos) << waiting[0].last_error;

  // The receiver is back, refusing W2 for good.
  test::FakeMllpReceiver rx([](const std::string& id, int attempt) {
    return id == "W2" && attempt == 1 ? Answer::kAR : Answer::kAA;
  });
  ASSERT_TRUE(rx.Start(port));
  Start();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().mllp_delivered + server_->stats().mllp_dead_letters == 3; }));
  Stop();
  EXPECT_EQ(Queue(true).size(), 1u);
  {
    auto inbox = Inbox::Open(options_.inbox_dir + "/db", false);
    ASSERT_TRUE(inbox.ok());
    ASSERT_TRUE((*inbox)->Replay(2).ok());  // W2
  }
  Start();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().mllp_delivered == 1; }));
  Stop();
  std::vector<std::string> order;
  for (const auto& got : rx.received()) order.push_back(got.control_id + ":" + (got.answer == Answer::kAA ? "AA" : "AR"));
  EXPECT_EQ(order, (std::vector<std::string>{"W1:AA", "W2:AR", "W3:AA", "W2:AA"}));
  EXPECT_TRUE(Queue(true).empty());
  EXPECT_TRUE(Queue(false).empty());
}

TEST_F(MllpOutServerTest, JsonOutputsAreNotSentOverMllp) {
  test::FakeMllpReceiver rx([](const std::string&, int) { return Answer::kAA; });
  ASSERT_TRUE(rx.Start());
  options_.mllp_out.port = rx.port();
  auto prog = runtime_->Load(test::Slurp(std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb"));
  ASSERT_TRUE(prog.ok());
  program_ = *prog;
  Start();
  SendAll({"J1"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().written == 1; }));
  EXPECT_EQ(server_->stats().mllp_delivered, 0u);
  Stop();
  EXPECT_TRUE(rx.received().empty());
  EXPECT_TRUE(Queue(false).empty());
}

// ---- IPv6 and addresses ---------------------------------------------------------------------------------------

class Ipv6ListenerTest : public test::ServerFixture {
 protected:
  Ipv6ListenerTest() : ServerFixture("ipv6") {}
};

TEST_F(Ipv6ListenerTest, ListensOnTheIpv6LoopbackAndNamesPeersInBrackets) {
  {
    int probe = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (probe >= 0) ::close(probe);
    if (!ok) GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  options_.host = "::1";
  Start();
  EXPECT_EQ(server_->listener_name(), "mllp:[::1]:" + std::to_string(server_->port()));
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  a.sin6_port = htons(server_->port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string framed;
  AppendMllpFrame(Adt("V6"), &framed);
  ASSERT_EQ(::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL), static_cast<ssize_t>(framed.size()));
  MllpDeframer d(1 << 20);
  std::string ack;
  char buf[4096];
  while (d.Next(&ack) != MllpDeframer::kFrame) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    d.Append(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(fd);
  EXPECT_EQ(test::AckCode(ack), "AA");
  ASSERT_TRUE(WaitFor([&] { return server_->stats().written == 1; }));
  Stop();
  std::string audit = Audit();
  EXPECT_NE(audit.find(R"("listener":"mllp:[::1]:)"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("peer":"[::1]:)"), std::string::npos) << audit;

  // An IPv4 client is not taken by an IPv6 listener (IPV6_V6ONLY): each family needs its own listener.
  options_.host = "::1";
  Start();
  test::MllpClient v4;
  EXPECT_FALSE(v4.Connect(server_->port()));
}

TEST(ServeAddressTest, HostPortFormsAndTheMllpOutputOfTheConfigurationFile) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(ParseHostPort("127.0.0.1:2575", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 2575);
  EXPECT_TRUE(ParseHostPort("[::1]:2575", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_TRUE(ParseHostPort("[::]:0", &host, &port));
  EXPECT_EQ(host, "::");
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(ParseHostPort("receiver.example.org:6661", &host, &port));
  EXPECT_EQ(host, "receiver.example.org");
  for (const char* bad : {"::1:2575", "[::1]2575", "[]:1", "[::1:1", "1.2.3.4", "1.2.3.4:", ":1", "h:65536", "h:x"}) {
    EXPECT_FALSE(ParseHostPort(bad, &host, &port)) << bad;
  }

  auto c = ParseServeConfig(R"({"listeners": [
      {"mllp": "[::1]:2575", "program": "p.cwb", "inbox": "i", "outputs": {"dir": "o",
       "mllp": {"address": "lab.example.org:6661", "max_tries": 4, "timeout_ms": 2000, "backoff_ms": 100,
                "app_acks": true}}}]})",
                            "/d");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ServerOptions& o = c->listeners[0].options;
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.mllp_out.host, "lab.example.org");
  EXPECT_EQ(o.mllp_out.port, 6661);
  EXPECT_EQ(o.mllp_out.max_tries, 4u);
  EXPECT_EQ(o.mllp_out.timeout_ms, 2000u);
  EXPECT_EQ(o.mllp_out.backoff_initial_ms, 100u);
  EXPECT_TRUE(o.mllp_out.app_acks);
  auto error = [](const std::string& mllp) {
    auto r = ParseServeConfig(R"({"listeners": [{"mllp": "127.0.0.1:1", "program": "p", "inbox": "i",
                                 "outputs": {"dir": "o", "mllp": )" + mllp + "}}]}",
                              "/d");
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(error(R"({})"), "listeners[0].outputs.mllp.address: required");
  EXPECT_EQ(error(R"({"address": "h:0"})"),
            "listeners[0].outputs.mllp.address: takes HOST:PORT (a port other than 0), not 'h:0'");
  EXPECT_EQ(error(R"({"address": "h:1", "tries": 2})"), "listeners[0].outputs.mllp.tries: unknown key");
  EXPECT_NE(error(R"({"address": "h:1", "app_acks": "yes"})").find("listeners[0].outputs.mllp.app_acks"),
            std::string::npos);
}

}  // namespace
}  // namespace crosswalk::serve
