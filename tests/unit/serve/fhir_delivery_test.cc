// Delivery to a FHIR server (crosswalk serve --fhir-base): the retry policy on its own, then the Server with
// the shipped map against a scripted HTTP server on loopback: delivered in order with the configured headers,
// retried on 503/429 (Retry-After honoured), dead-lettered on a permanent refusal and after too many tries,
// kept across a restart while the FHIR server is down, and replayed from the dead letters; SMART Backend
// Services tokens; the metrics and health endpoint.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fake_fhir_server.h"
#include "mllp_client.h"
#include "server_fixture.h"
#include "test_cert.h"
#include "serve/oauth.h"
#include "serve/fhir_client.h"
#include "serve/inbox.h"
#include "serve/server.h"

namespace crosswalk::serve {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using test::FakeFhirServer;
using test::Request;
using test::Response;

// ---- the policy -------------------------------------------------------------------------------------------

TEST(FhirPolicyTest, WhatIsRetriedAndWhatIsNot) {
  auto verdict = [](long status) { return Classify(HttpResult{.status = status}); };
  EXPECT_EQ(verdict(200), Verdict::kDelivered);
  EXPECT_EQ(verdict(201), Verdict::kDelivered);
  for (long s : {408L, 425L, 429L, 500L, 502L, 503L, 504L}) EXPECT_EQ(verdict(s), Verdict::kRetry) << s;
  for (long s : {400L, 401L, 403L, 404L, 409L, 412L, 422L, 501L}) EXPECT_EQ(verdict(s), Verdict::kDead) << s;
  EXPECT_EQ(Classify(HttpResult{.status = 0, .error = "Connection refused"}), Verdict::kRetry);
  EXPECT_EQ(Describe(HttpResult{.status = 503}), "HTTP 503");
  EXPECT_EQ(Describe(HttpResult{.status = 0, .error = "Connection refused"}), "transport: Connection refused");
}

TEST(FhirPolicyTest, BackoffDoublesWithJitterUpToTheCapAndHonoursRetryAfter) {
  FhirOptions o;
  o.backoff_initial_ms = 1000;
  o.backoff_max_ms = 8000;
  for (uint64_t random : {uint64_t{0}, uint64_t{511}, uint64_t{1023}, ~uint64_t{0}}) {
    uint64_t expected_full = 1000;
    for (uint32_t tries = 1; tries <= 8; ++tries) {
      uint64_t d = RetryDelayMs(o, tries, -1, random);
      EXPECT_GE(d, expected_full / 2) << tries;
      EXPECT_LT(d, expected_full) << tries;
      expected_full = std::min<uint64_t>(expected_full * 2, 8000);
    }
  }
  EXPECT_EQ(RetryDelayMs(o, 1, 120000, 0), 120000u);       // Retry-After longer than the backoff wins
  EXPECT_LT(RetryDelayMs(o, 1, 0, 0), 1000u);               // "retry at once" still gets the backoff
  EXPECT_EQ(RetryDelayMs(o, 1, int64_t{1} << 50, 0), 24u * 3600 * 1000);  // capped at a day
  EXPECT_LT(RetryDelayMs(o, 4000000000u, -1, 0), 8000u);    // no overflow however many tries
}

TEST(FhirPolicyTest, OptionsAreChecked) {
  FhirOptions o;
  o.base_url = "ftp://example.org/fhir";
  EXPECT_EQ(FhirClient::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.base_url = "http://127.0.0.1:1/fhir";
  o.headers = {"no colon here"};
  EXPECT_EQ(FhirClient::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.headers = {"X-Bad: a\r\nInjected: b"};
  EXPECT_EQ(FhirClient::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.headers = {"Authorization: Bearer t"};
  EXPECT_TRUE(FhirClient::Create(o).ok());
}

// ---- the Server delivering ------------------------------------------------------------------------------

using test::Slurp;

std::string Adt(const std::string& control) {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|" + control +
         "|P|2.5.1\rPID|1||12345^^^MRN^MR||DOE^JOHN||19800101|M\r";
}

class FhirDeliveryTest : public test::ServerFixture {
 protected:
  FhirDeliveryTest() : ServerFixture("fhir") {}
  void SetUp() override {
    ServerFixture::SetUp();
    options_.fhir.base_url = fhir_.url();
    options_.fhir.backoff_initial_ms = 5;
    options_.fhir.backoff_max_ms = 50;
    options_.fhir.timeout_ms = 5000;
  }
  void SendAll(const std::vector<std::string>& controls) {
    test::MllpClient c;
    ASSERT_TRUE(c.Connect(server_->port()));
    for (const std::string& id : controls) {
      ASSERT_TRUE(c.Send(Adt(id)));
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

  FakeFhirServer fhir_;
};

TEST_F(FhirDeliveryTest, EachOutputIsPostedOnceInOrderWithTheHeaders) {
  options_.fhir.headers = {"Authorization: Bearer secret-token"};
  Start();
  SendAll({"M1", "M2", "M3"});
  ASSERT_TRUE(fhir_.WaitRequests(3));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 3; }));
  Stop();
  auto reqs = fhir_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].method, "POST");
    EXPECT_EQ(reqs[i].path, "/fhir");  // the base URL, trailing slash dropped
    EXPECT_NE(reqs[i].headers.find("Content-Type: application/fhir+json"), std::string::npos);
    EXPECT_NE(reqs[i].headers.find("Authorization: Bearer secret-token"), std::string::npos);
    auto bundle = nlohmann::json::parse(reqs[i].body);
    EXPECT_EQ(bundle["resourceType"], "Bundle");
    EXPECT_EQ(bundle["type"], "transaction");
    EXPECT_EQ(bundle["identifier"]["value"], "M" + std::to_string(i + 1));  // arrival order (one worker)
    // The body is the durable output, byte for byte.
    char name[32];
    std::snprintf(name, sizeof name, "%016zu.json", i + 1);
    EXPECT_EQ(reqs[i].body, Slurp(options_.out_dir + "/" + name));
  }
  EXPECT_TRUE(Queue(false).empty());
  EXPECT_TRUE(Queue(true).empty());
  std::string audit = Audit();
  EXPECT_NE(audit.find(R"("event":"delivered")"), std::string::npos);
  EXPECT_EQ(audit.find("secret-token"), std::string::npos);  // headers never reach the audit
  EXPECT_EQ(audit.find("DOE"), std::string::npos);
}

TEST_F(FhirDeliveryTest, ServiceUnavailableAndTooManyRequestsAreRetriedHonouringRetryAfter) {
  fhir_.Script({{503, "Retry-After: 1\r\n"}, {429, ""}, {200, ""}});
  Start();
  SendAll({"R1"});
  ASSERT_TRUE(fhir_.WaitRequests(3));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 1; }));
  EXPECT_EQ(server_->stats().retries, 2u);
  Stop();
  auto reqs = fhir_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_GE(reqs[1].at - reqs[0].at, std::chrono::milliseconds(1000));  // Retry-After: 1 second
  EXPECT_EQ(reqs[0].body, reqs[2].body);
  std::string audit = Audit();
  EXPECT_NE(audit.find("HTTP 503; try 1 of 10"), std::string::npos) << audit;
  EXPECT_NE(audit.find("HTTP 429; try 2 of 10"), std::string::npos) << audit;
  EXPECT_TRUE(Queue(false).empty());
}

TEST_F(FhirDeliveryTest, APermanentRefusalIsADeadLetterThatCanBeReplayed) {
  fhir_.Script({{422, ""}});
  Start();
  SendAll({"D1", "D2"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().dead_letters == 1 && server_->stats().delivered == 1; }));
  Stop();
  EXPECT_EQ(fhir_.requests().size(), 2u);  // no retry of the refused one; the next one is not held back
  auto dead = Queue(true);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].seq, 1u);
  EXPECT_EQ(dead[0].control_id, "D1");
  EXPECT_EQ(dead[0].last_error, "HTTP 422 (refused by the FHIR server; not retried)");
  {
    auto inbox = Inbox::Open(options_.inbox_dir + "/db", false);
    ASSERT_TRUE(inbox.ok());
    EXPECT_EQ((*inbox)->Replay(2).code(), StatusCode::kNotFound);  // delivered, not dead
    ASSERT_TRUE((*inbox)->Replay(1).ok());
  }
  EXPECT_TRUE(Queue(true).empty());
  Start();
  ASSERT_TRUE(fhir_.WaitRequests(3));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 1; }));
  Stop();
  EXPECT_EQ(nlohmann::json::parse(fhir_.requests()[2].body)["identifier"]["value"], "D1");
  EXPECT_TRUE(Queue(false).empty());
  EXPECT_TRUE(Queue(true).empty());
}

// A stop while a POST is in flight lets it finish (within a grace period) and records it delivered: the next
// start does not send it again.
TEST_F(FhirDeliveryTest, AStopLetsTheDeliveryInFlightFinish) {
  std::atomic<bool> entered{false};
  fhir_.Handle([&](const Request&) -> Response {
    entered = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // a slow server
    return {.status = 200};
  });
  Start();
  SendAll({"G1"});
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  Stop();
  EXPECT_EQ(fhir_.requests().size(), 1u);
  EXPECT_TRUE(Queue(false).empty()) << "the delivery in flight was aborted";
  EXPECT_NE(Audit().find(R"("event":"delivered")"), std::string::npos);
  Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Stop();
  EXPECT_EQ(fhir_.requests().size(), 1u) << "sent again after a clean stop";
}

TEST_F(FhirDeliveryTest, TooManyTriesIsADeadLetter) {
  options_.fhir.max_tries = 3;
  fhir_.Script({{500, ""}, {502, ""}, {504, ""}});
  Start();
  SendAll({"T1"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().dead_letters == 1; }));
  Stop();
  EXPECT_EQ(fhir_.requests().size(), 3u);
  auto dead = Queue(true);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].tries, 3u);
  EXPECT_EQ(dead[0].last_error, "HTTP 504 (gave up after 3 tries)");
}

TEST_F(FhirDeliveryTest, WhileTheServerIsDownDeliveriesWaitInTheInboxAcrossARestart) {
  // A port nothing listens on: connection refused, retried.
  FakeFhirServer* up = &fhir_;
  {
    int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
    options_.fhir.base_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/fhir";
    ::close(probe);  // bound, never listening, now closed: connections to it are refused
  }
  options_.fhir.max_tries = 1000000;
  Start();
  SendAll({"W1", "W2"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().retries >= 3; }));
  EXPECT_EQ(server_->stats().delivered, 0u);
  Stop();
  auto waiting = Queue(false);
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_GE(waiting[0].tries, 1u);
  EXPECT_NE(waiting[0].last_error.find("transport: "), std::string::npos) << waiting[0].last_error;
  EXPECT_NE(Audit().find(R"("event":"retry")"), std::string::npos);

  options_.fhir.base_url = up->url();  // the server is back
  Start();
  ASSERT_TRUE(up->WaitRequests(2));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 2; }));
  Stop();
  auto reqs = up->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(reqs[0].body)["identifier"]["value"], "W1");
  EXPECT_EQ(nlohmann::json::parse(reqs[1].body)["identifier"]["value"], "W2");
  EXPECT_TRUE(Queue(false).empty());
  EXPECT_NE(Audit().find("converted messages not yet delivered"), std::string::npos);
}


// ---- SMART Backend Services (private_key_jwt) ---------------------------------------------------------------

// A fresh private key ("RSA" 2048 or "EC" P-384) written as PEM; the public half for verifying.
struct TestKey {
  EVP_PKEY* pkey = nullptr;
  std::string path;
  TestKey(const std::string& dir, const std::string& kind, int bits_or_zero, const char* curve = "P-384") {
    pkey = kind == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits_or_zero))
                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    path = dir + "/" + kind + std::to_string(bits_or_zero) + curve + ".pem";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
  }
  ~TestKey() { EVP_PKEY_free(pkey); }
};

std::string Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
            : ch >= '0' && ch <= '9' ? ch - '0' + 52 : ch == '-' ? 62 : ch == '_' ? 63 : -1;
    if (v < 0) return "";
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Checks a compact JWS with the key's public half (RS384, or ES384 with r || s).
bool VerifyJwt(const std::string& jwt, EVP_PKEY* key) {
  size_t dot2 = jwt.rfind('.');
  if (dot2 == std::string::npos) return false;
  std::string input = jwt.substr(0, dot2);
  std::string sig = Base64UrlDecode(jwt.substr(dot2 + 1));
  if (EVP_PKEY_is_a(key, "EC")) {
    if (sig.size() != 96) return false;
    ECDSA_SIG* es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 48, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 48, 48, nullptr));
    unsigned char* der = nullptr;
    int n = i2d_ECDSA_SIG(es, &der);
    sig.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha384(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

nlohmann::json JwtPart(const std::string& jwt, int part) {
  size_t a = jwt.find('.'), b = jwt.rfind('.');
  std::string p = part == 0 ? jwt.substr(0, a) : jwt.substr(a + 1, b - a - 1);
  return nlohmann::json::parse(Base64UrlDecode(p));
}

// The form field `name` of an x-www-form-urlencoded body, decoded.
std::string FormField(const std::string& body, const std::string& name) {
  size_t p = ("&" + body).find("&" + name + "=");
  if (p == std::string::npos) return "";
  size_t start = p + name.size() + 1, end = body.find('&', start);
  std::string v = body.substr(start, end == std::string::npos ? std::string::npos : end - start), out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size()) {
      out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += v[i] == '+' ? ' ' : v[i];
    }
  }
  return out;
}

TEST(JwtSignerTest, Rs384AndEs384SignaturesVerifyWithThePublicKey) {
  std::string dir = (fs::temp_directory_path() / ("cw_jwt_" + std::to_string(::getpid()))).string();
  fs::create_directories(dir);
  for (auto [kind, bits, alg] : {std::tuple{"RSA", 2048, "RS384"}, std::tuple{"EC", 0, "ES384"}}) {
    TestKey key(dir, kind, bits);
    auto signer = JwtSigner::FromPemFile(key.path);
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    EXPECT_EQ((*signer)->alg(), alg);
    auto jwt = (*signer)->Sign(R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})", R"({"iss":"me"})");
    ASSERT_TRUE(jwt.ok()) << jwt.status().ToString();
    EXPECT_TRUE(VerifyJwt(*jwt, key.pkey)) << kind;
    EXPECT_EQ(JwtPart(*jwt, 1)["iss"], "me");
    std::string tampered = *jwt;
    tampered[tampered.find('.') + 2] ^= 1;
    EXPECT_FALSE(VerifyJwt(tampered, key.pkey)) << kind;
  }
  // Each refusal names the file (the SMART key is one of several files a server's start reads).
  TestKey small(dir, "RSA", 1024);
  TestKey p256(dir, "EC", 0, "P-256");
  for (const std::string& bad : {small.path, p256.path, dir + "/missing.pem"}) {
    Status s = JwtSigner::FromPemFile(bad).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.ToString().find(bad), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
  fs::remove_all(dir);
}

class SmartBackendTest : public FhirDeliveryTest {
 protected:
  void SetUp() override {
    FhirDeliveryTest::SetUp();
    key_ = std::make_unique<TestKey>(dir_, "EC", 0);
    options_.fhir.oauth.token_url = "http://127.0.0.1:" + std::to_string(fhir_.port()) + "/token";
    options_.fhir.oauth.client_id = "crosswalk-test-client";
    options_.fhir.oauth.key_file = key_->path;
    options_.fhir.oauth.kid = "key-1";
    options_.fhir.oauth.scope = "system/Patient.write system/Encounter.write";
  }
  std::unique_ptr<TestKey> key_;
};

TEST_F(SmartBackendTest, ASignedAssertionBuysATokenThatIsCachedAndRenewedAfterA401) {
  std::atomic<int> tokens{0};
  std::atomic<int> refuse_once{0};
  fhir_.Handle([&](const Request& r) -> Response {
    if (r.path == "/token") {
      int n = ++tokens;
      return {200, "", R"({"access_token":"tok-)" + std::to_string(n) + R"(","token_type":"bearer","expires_in":300})"};
    }
    if (r.headers.find("Authorization: Bearer tok-") == std::string::npos) return {403, ""};
    if (refuse_once == 1) {
      refuse_once = 2;
      return {401, ""};
    }
    return {200, ""};
  });
  Start();
  SendAll({"S1", "S2", "S3"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 3; }));
  refuse_once = 1;
  SendAll({"S4"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 4; }));
  Stop();
  auto reqs = fhir_.requests();
  std::vector<Request> token_reqs, fhir_reqs;
  for (const Request& r : reqs) (r.path == "/token" ? token_reqs : fhir_reqs).push_back(r);
  ASSERT_EQ(token_reqs.size(), 2u);  // one for S1-S3, one after the 401
  ASSERT_EQ(fhir_reqs.size(), 5u);   // S1, S2, S3, S4 refused, S4 again
  EXPECT_NE(fhir_reqs[0].headers.find("Authorization: Bearer tok-1"), std::string::npos);
  EXPECT_NE(fhir_reqs[2].headers.find("Authorization: Bearer tok-1"), std::string::npos);
  EXPECT_NE(fhir_reqs[4].headers.find("Authorization: Bearer tok-2"), std::string::npos);

  const std::string& form = token_reqs[0].body;
  EXPECT_EQ(FormField(form, "grant_type"), "client_credentials");
  EXPECT_EQ(FormField(form, "scope"), "system/Patient.write system/Encounter.write");
  EXPECT_EQ(FormField(form, "client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  std::string jwt = FormField(form, "client_assertion");
  EXPECT_TRUE(VerifyJwt(jwt, key_->pkey));
  auto header = JwtPart(jwt, 0), claims = JwtPart(jwt, 1);
  EXPECT_EQ(header["alg"], "ES384");
  EXPECT_EQ(header["kid"], "key-1");
  EXPECT_EQ(claims["iss"], "crosswalk-test-client");
  EXPECT_EQ(claims["sub"], "crosswalk-test-client");
  EXPECT_EQ(claims["aud"], options_.fhir.oauth.token_url);
  EXPECT_LE(claims["exp"].get<int64_t>() - std::time(nullptr), 300);
  EXPECT_EQ(claims["jti"].get<std::string>().size(), 32u);
  EXPECT_NE(FormField(token_reqs[1].body, "client_assertion"), jwt);  // a new jti each time
  EXPECT_EQ(Audit().find("tok-"), std::string::npos);                // tokens never reach the audit
}

TEST_F(SmartBackendTest, ARefusingTokenEndpointIsRetriedAndNamedByItsErrorCodeOnly) {
  options_.fhir.max_tries = 2;
  fhir_.Handle([&](const Request& r) -> Response {
    if (r.path == "/token") return {400, "", R"({"error":"invalid_client","error_description":"key 12345 unknown"})"};
    return {200, ""};
  });
  Start();
  SendAll({"E1"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().dead_letters == 1; }));
  Stop();
  for (const Request& r : fhir_.requests()) EXPECT_EQ(r.path, "/token");  // the FHIR server was never called
  auto dead = Queue(true);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].last_error, "token endpoint: HTTP 400 (invalid_client) (gave up after 2 tries)");
  EXPECT_EQ(Audit().find("12345"), std::string::npos);
}


// A renewed SMART key is read by ReloadTls: the cached token stays while the key is the same, and is dropped
// when it changed, so the next token is bought with an assertion signed by the new key.
TEST_F(SmartBackendTest, AReloadedKeyDropsTheCachedTokenOnlyWhenItChanged) {
  std::atomic<int> tokens{0};
  fhir_.Handle([&](const Request& r) -> Response {
    if (r.path == "/token") {
      return {200, "", R"({"access_token":"tok-)" + std::to_string(++tokens) + R"(","expires_in":300})"};
    }
    return {200, ""};
  });
  auto client = FhirClient::Create(options_.fhir);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  FhirClient& c = **client;
  EXPECT_EQ(c.Post("{}", nullptr).status, 200);
  bool reloaded = false;
  ASSERT_TRUE(c.ReloadTls(&reloaded).ok());
  EXPECT_TRUE(reloaded);
  EXPECT_EQ(c.Post("{}", nullptr).status, 200);
  EXPECT_EQ(c.tokens_fetched(), 1u);  // the same key: the token is kept
  fs::create_directories(dir_ + "/renewed");
  TestKey renewed(dir_ + "/renewed", "EC", 0);
  fs::copy_file(renewed.path, key_->path, fs::copy_options::overwrite_existing);
  ASSERT_TRUE(c.ReloadTls().ok());
  EXPECT_EQ(c.Post("{}", nullptr).status, 200);
  EXPECT_EQ(c.tokens_fetched(), 2u);
  std::vector<Request> token_reqs;
  for (const Request& r : fhir_.requests()) {
    if (r.path == "/token") token_reqs.push_back(r);
  }
  ASSERT_EQ(token_reqs.size(), 2u);
  EXPECT_TRUE(VerifyJwt(FormField(token_reqs[0].body, "client_assertion"), key_->pkey));
  EXPECT_TRUE(VerifyJwt(FormField(token_reqs[1].body, "client_assertion"), renewed.pkey));
  EXPECT_FALSE(VerifyJwt(FormField(token_reqs[1].body, "client_assertion"), key_->pkey));
  // A damaged key is refused, named, and the key in use stays.
  std::ofstream(key_->path) << "not a key\n";
  Status st = c.ReloadTls();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(key_->path), std::string::npos) << st.ToString();
  EXPECT_EQ(c.Post("{}", nullptr).status, 200);
}

// ---- mutual TLS toward the FHIR server --------------------------------------------------------------------

// An HTTPS FHIR server on loopback that requires a client certificate issued by the test's CA (the client
// certificate is self-signed and is that CA).
class FhirTlsTest : public test::ServerFixture {
 protected:
  FhirTlsTest() : ServerFixture("fhirtls") {}
  void SetUp() override {
    ServerFixture::SetUp();
    server_cert_ = std::make_unique<test::Cert>(dir_, "fhir.test");
    client_cert_ = std::make_unique<test::Cert>(dir_, "crosswalk.test");
    stranger_ = std::make_unique<test::Cert>(dir_, "stranger.test");
    test::FakeTls tls{server_cert_->cert, server_cert_->key, client_cert_->cert};
    fhir_ = std::make_unique<FakeFhirServer>(&tls);
    options_.fhir.base_url = fhir_->url();
    options_.fhir.ca_file = server_cert_->cert;
    options_.fhir.backoff_initial_ms = 5;
    options_.fhir.backoff_max_ms = 50;
    options_.fhir.timeout_ms = 5000;
    options_.fhir.max_tries = 100000;  // retried for as long as the test waits
  }
  void TearDown() override {
    Stop();
    fhir_.reset();
    ServerFixture::TearDown();
  }
  void Send(const std::string& control) {
    test::MllpClient c;
    ASSERT_TRUE(c.Connect(server_->port()));
    ASSERT_TRUE(c.Send(Adt(control)));
    std::string ack;
    ASSERT_EQ(c.ReadAck(&ack), test::MllpClient::kAck);
    ASSERT_EQ(test::AckCode(ack), "AA");
  }
  // `from` copied over `to` (a renewed file written in place).
  static void CopyOver(const std::string& from, const std::string& to) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  }

  std::unique_ptr<test::Cert> server_cert_, client_cert_, stranger_;
  std::unique_ptr<FakeFhirServer> fhir_;
};

TEST_F(FhirTlsTest, ADeliveryNeedsTheClientCertificateTheServerAsksFor) {
  // No client certificate: every handshake is refused, the message waits at the head of the queue.
  Start();
  Send("T1");
  ASSERT_TRUE(WaitFor([&] { return server_->stats().retries >= 2 && fhir_->handshake_failures() >= 2; }));
  EXPECT_EQ(server_->stats().delivered, 0u);
  Stop();
  // A certificate the server does not know: refused too.
  options_.fhir.client_cert_file = stranger_->cert;
  options_.fhir.client_key_file = stranger_->key;
  int failures = fhir_->handshake_failures();
  Start();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().retries >= 2 && fhir_->handshake_failures() >= failures + 2; }));
  EXPECT_EQ(server_->stats().delivered, 0u);
  Stop();
  EXPECT_TRUE(fhir_->requests().empty());
  // The certificate of the test's CA: delivered, the server saw it.
  options_.fhir.client_cert_file = client_cert_->cert;
  options_.fhir.client_key_file = client_cert_->key;
  Start();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 1; }));
  Stop();
  auto reqs = fhir_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].client_cn, "crosswalk.test");
  EXPECT_NE(reqs[0].body.find(R"("resourceType":"Bundle")"), std::string::npos);
  std::string audit = Audit();
  EXPECT_NE(audit.find(R"("event":"retry")"), std::string::npos);
  EXPECT_NE(audit.find("transport: "), std::string::npos);
  EXPECT_EQ(audit.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(FhirTlsTest, TheTokenEndpointGetsTheClientCertificateToo) {
  TestKey key(dir_, "EC", 0);
  options_.fhir.client_cert_file = client_cert_->cert;
  options_.fhir.client_key_file = client_cert_->key;
  options_.fhir.oauth.token_url = "https://127.0.0.1:" + std::to_string(fhir_->port()) + "/token";
  options_.fhir.oauth.client_id = "crosswalk-test-client";
  options_.fhir.oauth.key_file = key.path;
  fhir_->Handle([&](const Request& r) -> Response {
    if (r.path == "/token") return {200, "", R"({"access_token":"tok-1","expires_in":300})"};
    return {r.headers.find("Authorization: Bearer tok-1") != std::string::npos ? 200 : 403, ""};
  });
  Start();
  Send("T2");
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 1; }));
  Stop();
  auto reqs = fhir_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/token");
  EXPECT_EQ(reqs[0].client_cn, "crosswalk.test");
  EXPECT_EQ(reqs[1].client_cn, "crosswalk.test");
}

TEST_F(FhirTlsTest, UnusableFilesAreRefusedAtStartNamingTheFile) {
  auto error = [&](FhirOptions o) {
    auto c = FhirClient::Create(o);
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  FhirOptions o = options_.fhir;
  o.client_cert_file = client_cert_->cert;
  o.client_key_file = client_cert_->key;
  EXPECT_EQ(error(o), "ok");
  FhirOptions mismatch = o;
  mismatch.client_key_file = stranger_->key;
  EXPECT_EQ(error(mismatch), "FHIR TLS: the key in '" + stranger_->key + "' does not match the certificate");
  FhirOptions half = o;
  half.client_key_file.clear();
  EXPECT_EQ(error(half), "FHIR TLS: a client certificate needs both its certificate file and its key file");
  FhirOptions missing = o;
  missing.ca_file = dir_ + "/missing-ca.pem";
  EXPECT_EQ(error(missing).rfind("FHIR TLS: cannot read the CA file '" + missing.ca_file + "'", 0), 0u) << error(missing);
  std::string damaged = dir_ + "/damaged.crt";
  std::ofstream(damaged) << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  FhirOptions bad_cert = o;
  bad_cert.client_cert_file = damaged;
  std::string e = error(bad_cert);
  EXPECT_EQ(e.rfind("FHIR TLS: cannot use the certificate file '" + damaged + "': ", 0), 0u) << e;
  EXPECT_EQ(e.find("not base64"), std::string::npos);  // the file's content is never in the message
  FhirOptions bad_ca = o;
  bad_ca.ca_file = damaged;
  EXPECT_EQ(error(bad_ca).rfind("FHIR TLS: cannot use the CA file '" + damaged + "': ", 0), 0u) << error(bad_ca);
  // The Server refuses to start with them.
  options_.fhir = mismatch;
  auto s = Server::Create(options_, runtime_, program_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(stranger_->key), std::string::npos) << s.status().ToString();
}

// SIGHUP's Server::ReloadTls: a CA that does not verify the server is replaced in place and the queued
// message is delivered; a damaged CA, a client certificate whose key does not match, are refused, named, and
// the files in use stay in use (for new connections too: libcurl got their bytes, not their paths).
TEST_F(FhirTlsTest, ReloadTlsTakesRenewedFilesAndKeepsThoseInUseWhenOneIsDamaged) {
  const std::string ca = dir_ + "/fhir-ca.pem", cert = dir_ + "/us.crt", key = dir_ + "/us.key";
  CopyOver(stranger_->cert, ca);  // verifies nothing the server presents
  CopyOver(stranger_->cert, cert);  // a client certificate the server does not know
  CopyOver(stranger_->key, key);
  options_.fhir.ca_file = ca;
  options_.fhir.client_cert_file = cert;
  options_.fhir.client_key_file = key;
  Start();
  Send("U1");
  ASSERT_TRUE(WaitFor([&] { return server_->stats().retries >= 2; }));
  EXPECT_EQ(server_->stats().delivered, 0u);

  std::ofstream(ca) << "not a certificate\n";
  Status st = server_->ReloadTls();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'" + ca + "'"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("not a certificate"), std::string::npos);

  // The renewed CA, but a client certificate written without its key: refused, naming the key.
  CopyOver(server_cert_->cert, ca);
  CopyOver(client_cert_->cert, cert);
  st = server_->ReloadTls();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'" + key + "' does not match"), std::string::npos) << st.ToString();
  uint64_t retries = server_->stats().retries;
  ASSERT_TRUE(WaitFor([&] { return server_->stats().retries >= retries + 2; }));  // still the old files
  EXPECT_EQ(server_->stats().delivered, 0u);

  CopyOver(client_cert_->key, key);
  ASSERT_TRUE(server_->ReloadTls().ok());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 1; }));
  EXPECT_NE(Audit().find(R"("event":"reloaded","listener")"), std::string::npos);
  EXPECT_NE(Audit().find(R"x("detail":"TLS (FHIR)")x"), std::string::npos) << Audit();

  // The CA damaged on disk after the reload: refused; a new connection (the server resets the kept one)
  // still verifies with the CA in use.
  std::ofstream(ca) << "not a certificate\n";
  EXPECT_EQ(server_->ReloadTls().code(), StatusCode::kInvalidArgument);
  fhir_->Script({{.reset = true}});
  Send("U2");
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 2; }));
  Stop();
  auto reqs = fhir_->requests();
  ASSERT_GE(reqs.size(), 3u);  // U1, U2 reset, U2 again
  EXPECT_EQ(reqs.back().client_cn, "crosswalk.test");
  EXPECT_GE(fhir_->accepted(), 2);  // the connection after the reset was a new TLS session
  EXPECT_EQ(Audit().find("PRIVATE KEY"), std::string::npos);
}


// ---- the metrics endpoint ---------------------------------------------------------------------------------

// `method` `path` on loopback:port; the whole answer (status line, headers, body).
std::string HttpGet(uint16_t port, const std::string& path, const std::string& method = "GET",
                    const std::string& headers = "X-Crosswalk-Admin: 1\r\n") {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: 0\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST_F(FhirDeliveryTest, MetricsAndHealthEndpoint) {
  options_.metrics = true;
  options_.metrics_port = 0;
  fhir_.Script({{503, ""}});
  Start();
  ASSERT_NE(server_->metrics_port(), 0);
  SendAll({"P1", "P2"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 2; }));
  std::string m = HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_EQ(m.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << m;
  EXPECT_NE(m.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  for (const char* line : {"crosswalk_messages_stored_total 2\n", "crosswalk_outputs_written_total 2\n",
                           "crosswalk_fhir_delivered_total 2\n", "crosswalk_fhir_retries_total 1\n",
                           "crosswalk_pending_messages 0\n", "# TYPE crosswalk_pending_messages gauge\n",
                           "# TYPE crosswalk_frames_received_total counter\n",
                           "# TYPE crosswalk_ack_seconds histogram\n", "crosswalk_convert_seconds_count 2\n",
                           "crosswalk_deliver_seconds_count 2\n", "crosswalk_ack_seconds_bucket{le=\"+Inf\"} 2\n",
                           "crosswalk_ack_seconds_bucket{le=\"0.001\"} "}) {
    EXPECT_NE(m.find(line), std::string::npos) << line << m;
  }
  EXPECT_NE(HttpGet(server_->metrics_port(), "/health").find("\r\n\r\nok\n"), std::string::npos);
  EXPECT_EQ(HttpGet(server_->metrics_port(), "/other").rfind("HTTP/1.0 404", 0), 0u);
  Stop();
}

// A dead letter replayed while the server runs, through the metrics endpoint's POST (loopback only): the
// delivering thread takes it at once, no restart; audited. A seq that is no dead letter is 404, a query
// that is not seq=N or all is 400, and a replay after the stop is refused.
TEST_F(FhirDeliveryTest, ADeadLetterIsReplayedOnTheRunningServer) {
  options_.metrics = true;
  fhir_.Script({{422, ""}});
  Start();
  SendAll({"R1", "R2"});
  ASSERT_TRUE(WaitFor([&] { return server_->stats().dead_letters == 1 && server_->stats().delivered == 1; }));
  const uint16_t port = server_->metrics_port();
  // The listing of the running server: one NDJSON line per dead letter, ids and the reason, no content.
  std::string r = HttpGet(port, "/dead-letters");
  ASSERT_EQ(r.rfind("HTTP/1.0 200 OK", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: application/x-ndjson"), std::string::npos) << r;
  std::string listing = r.substr(r.find("\r\n\r\n") + 4);
  ASSERT_EQ(std::count(listing.begin(), listing.end(), '\n'), 1) << listing;
  nlohmann::json entry = nlohmann::json::parse(listing);
  EXPECT_EQ(entry["seq"], 1);
  EXPECT_EQ(entry["control_id"], "R1");
  EXPECT_EQ(entry["tries"], 1);
  EXPECT_EQ(entry["file"], "0000000000000001.json");
  EXPECT_NE(entry["reason"].get<std::string>().find("422"), std::string::npos) << listing;
  r = HttpGet(port, "/rejected");
  EXPECT_EQ(r.rfind("HTTP/1.0 200 OK", 0), 0u) << r;
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");  // none rejected
  EXPECT_EQ(HttpGet(port, "/dead-letters", "GET", "").rfind("HTTP/1.0 403", 0), 0u);  // no admin header
  EXPECT_EQ(HttpGet(port, "/dead-letters?all").rfind("HTTP/1.0 400", 0), 0u);
  EXPECT_EQ(HttpGet(port, "/dead-lettersX").rfind("HTTP/1.0 404", 0), 0u);
  r = HttpGet(port, "/dead-letters/replay?seq=2", "POST");
  EXPECT_EQ(r.rfind("HTTP/1.0 404", 0), 0u) << r;  // delivered, not dead
  EXPECT_NE(r.find("not a dead letter"), std::string::npos) << r;
  for (const char* bad : {"/dead-letters/replay", "/dead-letters/replay?seq=", "/dead-letters/replay?seq=0",
                          "/dead-letters/replay?seq=1x", "/dead-letters/replay?id=1"}) {
    EXPECT_EQ(HttpGet(port, bad, "POST").rfind("HTTP/1.0 400", 0), 0u) << bad;
  }
  EXPECT_EQ(HttpGet(port, "/elsewhere", "POST").rfind("HTTP/1.0 404", 0), 0u);
  EXPECT_EQ(HttpGet(port, "/dead-letters/replay?seq=1", "PUT").rfind("HTTP/1.0 405", 0), 0u);
  // Without the admin header (what a web page could send cross-site): refused.
  EXPECT_EQ(HttpGet(port, "/dead-letters/replay?seq=1", "POST", "").rfind("HTTP/1.0 403", 0), 0u);
  EXPECT_EQ(server_->stats().dead_letters, 1u);
  r = HttpGet(port, "/dead-letters/replay?seq=1", "POST", "x-crosswalk-admin: yes\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.0 200 OK", 0), 0u) << r;
  EXPECT_NE(r.find("\r\n\r\nqueued 1\n"), std::string::npos) << r;
  ASSERT_TRUE(fhir_.WaitRequests(3));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().delivered == 2; }));
  EXPECT_EQ(server_->ReplayDeadLetter(1).code(), StatusCode::kNotFound);  // delivered now
  EXPECT_EQ(HttpGet(port, "/dead-letters/replay?all", "POST").rfind("HTTP/1.0 200", 0), 0u);  // none: fine
  r = HttpGet(port, "/dead-letters");
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "") << r;  // delivered: no dead letter left
  auto* server = server_.get();
  server->RequestStop();
  thread_.join();
  EXPECT_TRUE(run_status_.ok());
  EXPECT_EQ(server->ReplayDeadLetter(1).code(), StatusCode::kFailedPrecondition);  // stopped: offline replay
  server_.reset();
  auto reqs = fhir_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(reqs[2].body)["identifier"]["value"], "R1");
  EXPECT_TRUE(Queue(false).empty());
  EXPECT_TRUE(Queue(true).empty());
  std::string audit = Audit();
  EXPECT_NE(audit.find(R"("event":"replayed","listener")"), std::string::npos) << audit;
  EXPECT_NE(audit.find("dead letter queued for delivery again (running server)"), std::string::npos);
  // Each listing is audited with who asked and how many it showed.
  EXPECT_NE(audit.find(R"("event":"listed","listener")"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("peer":"127.0.0.1:)"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("outcome":"ok","detail":"1 dead letters")"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("detail":"0 rejected messages")"), std::string::npos) << audit;
}

}  // namespace
}  // namespace crosswalk::serve
