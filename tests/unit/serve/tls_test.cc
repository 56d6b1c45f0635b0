// TLS on the MLLP listener: a certificate made here, an OpenSSL client that verifies it, MLLP over TLS with
// AA for a stored message; a plain-TCP sender and (with --tls-client-ca) a client without an accepted
// certificate are refused before anything is stored, and the audit says why.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mllp_client.h"
#include "test_cert.h"
#include "server_fixture.h"
#include "serve/mllp.h"
#include "serve/server.h"

namespace crosswalk::serve {
namespace {

namespace fs = std::filesystem;
using test::Cert;

// A blocking TLS client: verifies the server with `ca`, presents `client` when given.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca, const Cert* client) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (client != nullptr) {
      SSL_CTX_use_certificate_file(ctx_, client->cert.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, client->key.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
    connected_ = SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
    ERR_clear_error();
  }
  bool connected() const { return connected_; }
  // Sends one MLLP frame; returns the ACK frame, or "" when the connection ends first.
  std::string Exchange(const std::string& message) {
    std::string framed;
    AppendMllpFrame(message, &framed);
    if (SSL_write(ssl_, framed.data(), static_cast<int>(framed.size())) <= 0) return "";
    MllpDeframer d(1 << 20);
    std::string ack;
    char buf[4096];
    while (d.Next(&ack) != MllpDeframer::kFrame) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) return "";
      d.Append(std::string_view(buf, static_cast<size_t>(n)));
    }
    return ack;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

using test::Slurp;

const std::string kAdt =
    "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|TLS1|P|2.5.1\rPID|1||12345^^^MRN^MR||DOE^JOHN\r";

class TlsTest : public test::ServerFixture {
 protected:
  TlsTest() : ServerFixture("tls") {}
  void SetUp() override {
    ServerFixture::SetUp();
    server_cert_ = std::make_unique<Cert>(dir_, "mllp.test");
    client_cert_ = std::make_unique<Cert>(dir_, "epic.test");
    stranger_cert_ = std::make_unique<Cert>(dir_, "stranger.test");
    options_.tls.cert_file = server_cert_->cert;
    options_.tls.key_file = server_cert_->key;
  }

  std::unique_ptr<Cert> server_cert_, client_cert_, stranger_cert_;
};

TEST_F(TlsTest, MllpOverTlsIsAcknowledgedAndAPlainSenderIsRefused) {
  Start();
  {
    TlsClient c(server_->port(), server_cert_->cert, nullptr);
    ASSERT_TRUE(c.connected());
    std::string ack = c.Exchange(kAdt);
    EXPECT_EQ(test::AckCode(ack), "AA") << ack;
    // A second message on the same TLS connection.
    std::string second = kAdt;
    second.replace(second.find("TLS1"), 4, "TLS2");
    EXPECT_EQ(test::AckCode(c.Exchange(second)), "AA");
  }
  {
    test::MllpClient plain;
    ASSERT_TRUE(plain.Connect(server_->port()));
    ASSERT_TRUE(plain.Send(kAdt));
    std::string ack;
    EXPECT_NE(plain.ReadAck(&ack, 3000), test::MllpClient::kAck);  // no ACK over plain TCP: the handshake fails
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->stats().written < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->stats().stored, 2u);
  EXPECT_EQ(server_->stats().written, 2u);
  EXPECT_NE(Audit().find(R"("event":"tls-failed")"), std::string::npos);
}

TEST_F(TlsTest, ClientCertificatesAreRequiredWhenAClientCaIsGiven) {
  options_.tls.client_ca_file = client_cert_->cert;
  Start();
  {
    TlsClient ok(server_->port(), server_cert_->cert, client_cert_.get());
    ASSERT_TRUE(ok.connected());
    EXPECT_EQ(test::AckCode(ok.Exchange(kAdt)), "AA");
  }
  for (const Cert* who : std::vector<const Cert*>{nullptr, stranger_cert_.get()}) {
    TlsClient refused(server_->port(), server_cert_->cert, who);
    // TLS 1.3: the client may finish its side before the server refuses; then the first exchange fails.
    if (refused.connected()) EXPECT_EQ(refused.Exchange(kAdt), "");
  }
  EXPECT_EQ(server_->stats().stored, 1u);
  std::string audit = Audit();
  EXPECT_NE(audit.find(R"("event":"tls-failed")"), std::string::npos) << audit;
}

// The MLLP sender (--mllp-out with TLS) against this listener over TLS, with the test's certificates: the
// receiver's certificate is verified for its CA and its name, and the connection is kept across messages.
MllpResult SendOverTls(uint16_t port, MllpOutOptions o, const std::string& control_id, MllpSender** keep = nullptr) {
  o.host = "127.0.0.1";
  o.port = port;
  o.timeout_ms = 5000;
  auto sender = MllpSender::Create(o);
  if (!sender.ok()) return MllpResult{.error = std::string(sender.status().message())};
  std::string m = kAdt;
  m.replace(m.find("TLS1"), 4, control_id);
  MllpResult r = (*sender)->Send(m, nullptr);
  if (keep != nullptr) *keep = sender->release();
  return r;
}

TEST_F(TlsTest, MllpSenderVerifiesTheReceiverAndDeliversOverTls) {
  Start();
  MllpOutOptions o;
  o.tls = true;
  o.tls_ca_file = server_cert_->cert;
  MllpSender* kept = nullptr;
  MllpResult r = SendOverTls(server_->port(), o, "OUT1", &kept);
  EXPECT_EQ(r.code, "AA") << r.error;
  std::unique_ptr<MllpSender> sender(kept);
  std::string second = kAdt;
  second.replace(second.find("TLS1"), 4, "OUT2");
  r = sender->Send(second, nullptr);
  EXPECT_EQ(r.code, "AA") << r.error;
  EXPECT_EQ(sender->connections_opened(), 1u);  // one TLS session for both
  sender.reset();
  // The certificate's DNS name, while connecting to its address.
  o.tls_server_name = "mllp.test";
  r = SendOverTls(server_->port(), o, "OUT3");
  EXPECT_EQ(r.code, "AA") << r.error;
  // Another name than the certificate's: refused by the sender before anything is sent.
  o.tls_server_name = "other.test";
  r = SendOverTls(server_->port(), o, "BAD1");
  EXPECT_EQ(r.code, "");
  EXPECT_NE(r.error.find("certificate verify failed (hostname mismatch)"), std::string::npos) << r.error;
  EXPECT_EQ(ClassifyAck(r), Verdict::kRetry);
  // A CA that did not issue the receiver's certificate.
  o.tls_server_name.clear();
  o.tls_ca_file = stranger_cert_->cert;
  r = SendOverTls(server_->port(), o, "BAD2");
  EXPECT_EQ(r.code, "");
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
  // Plain MLLP to a TLS receiver gets no ACK.
  r = SendOverTls(server_->port(), MllpOutOptions{}, "BAD3");
  EXPECT_EQ(r.code, "");
  EXPECT_FALSE(r.error.empty());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->stats().written < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->stats().stored, 3u);  // OUT1..3; none of the refused ones
  EXPECT_EQ(Audit().find("BAD"), std::string::npos);
  // Files that cannot be used are named when the sender is made.
  o.tls_ca_file = dir_ + "/missing-ca.pem";
  auto bad = MllpSender::Create({.host = "127.0.0.1", .port = 1, .tls = true, .tls_ca_file = o.tls_ca_file});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("missing-ca.pem"), std::string::npos) << bad.status().ToString();
  bad = MllpSender::Create({.host = "127.0.0.1", .port = 1, .tls = true, .tls_cert_file = client_cert_->cert});
  ASSERT_FALSE(bad.ok());
}

TEST_F(TlsTest, MllpSenderPresentsItsClientCertificate) {
  options_.tls.client_ca_file = client_cert_->cert;
  Start();
  MllpOutOptions o;
  o.tls = true;
  o.tls_ca_file = server_cert_->cert;
  MllpResult r = SendOverTls(server_->port(), o, "NOCERT");  // the receiver wants a certificate
  EXPECT_EQ(r.code, "");
  EXPECT_FALSE(r.error.empty());
  o.tls_cert_file = client_cert_->cert;
  o.tls_key_file = client_cert_->key;
  r = SendOverTls(server_->port(), o, "MTLS1");
  EXPECT_EQ(r.code, "AA") << r.error;
  EXPECT_EQ(server_->stats().stored, 1u);
}

// A renewed certificate is taken without a restart (ReloadTls; the CLI on SIGHUP): connections accepted from
// then on present the new certificate, an open session goes on, and files that cannot be used are refused
// with their name while the certificate in use stays.
TEST_F(TlsTest, ARenewedListenerCertificateIsTakenWithoutDroppingAConnection) {
  Start();
  TlsClient open(server_->port(), server_cert_->cert, nullptr);
  ASSERT_TRUE(open.connected());
  EXPECT_EQ(test::AckCode(open.Exchange(kAdt)), "AA");
  // Renewal: a new key and certificate for the same name, written over the files in use.
  fs::create_directories(dir_ + "/renewed");
  Cert renewed(dir_ + "/renewed", "mllp.test");
  fs::copy_file(server_cert_->cert, dir_ + "/old.crt");
  fs::copy_file(renewed.cert, server_cert_->cert, fs::copy_options::overwrite_existing);
  fs::copy_file(renewed.key, server_cert_->key, fs::copy_options::overwrite_existing);
  ASSERT_TRUE(server_->ReloadTls().ok());
  {
    // A client that trusts only the old certificate: the server presents the renewed one.
    TlsClient old_trust(server_->port(), dir_ + "/old.crt", nullptr);
    EXPECT_FALSE(old_trust.connected());
  }
  {
    // A client that trusts only the renewed certificate connects; the old one is not presented any more.
    TlsClient fresh(server_->port(), renewed.cert, nullptr);
    ASSERT_TRUE(fresh.connected());
    std::string m = kAdt;
    m.replace(m.find("TLS1"), 4, "TLS2");
    EXPECT_EQ(test::AckCode(fresh.Exchange(m)), "AA");
  }
  // The session opened before the renewal goes on.
  std::string m = kAdt;
  m.replace(m.find("TLS1"), 4, "TLS3");
  EXPECT_EQ(test::AckCode(open.Exchange(m)), "AA");
  // A damaged certificate file: refused, named; the renewed certificate stays in use.
  { std::ofstream(server_cert_->cert, std::ios::trunc) << "not a certificate\n"; }
  Status st = server_->ReloadTls();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("mllp.test.crt"), std::string::npos) << st.ToString();
  {
    TlsClient still(server_->port(), renewed.cert, nullptr);
    ASSERT_TRUE(still.connected());
    m.replace(m.find("TLS3"), 4, "TLS4");
    EXPECT_EQ(test::AckCode(still.Exchange(m)), "AA");
  }
  EXPECT_EQ(server_->stats().stored, 4u);
  EXPECT_NE(Audit().find(R"("event":"reloaded")"), std::string::npos);
}

// The MLLP sender's client certificate is read again by ReloadTls for its next connection.
TEST_F(TlsTest, MllpSenderTakesARenewedClientCertificateAtItsNextConnection) {
  options_.tls.client_ca_file = client_cert_->cert;
  Start();
  fs::create_directories(dir_ + "/sender");
  MllpOutOptions o;
  o.host = "127.0.0.1";
  o.port = server_->port();
  o.timeout_ms = 5000;
  o.tls = true;
  o.tls_ca_file = server_cert_->cert;
  o.tls_cert_file = dir_ + "/sender/client.crt";
  o.tls_key_file = dir_ + "/sender/client.key";
  auto install = [&](const Cert& c) {
    fs::copy_file(c.cert, o.tls_cert_file, fs::copy_options::overwrite_existing);
    fs::copy_file(c.key, o.tls_key_file, fs::copy_options::overwrite_existing);
  };
  install(*stranger_cert_);  // a certificate the receiver does not accept
  auto sender = MllpSender::Create(o);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  std::string m = kAdt;
  m.replace(m.find("TLS1"), 4, "SND1");
  EXPECT_EQ((*sender)->Send(m, nullptr).code, "");  // refused
  install(*client_cert_);  // renewed: now one the receiver accepts
  ASSERT_TRUE((*sender)->ReloadTls().ok());
  m.replace(m.find("SND1"), 4, "SND2");
  MllpResult r = (*sender)->Send(m, nullptr);
  EXPECT_EQ(r.code, "AA") << r.error;
  // Files that cannot be used: refused with the name, the certificate in use stays.
  fs::remove(o.tls_key_file);
  Status st = (*sender)->ReloadTls();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("client.key"), std::string::npos) << st.ToString();
  EXPECT_EQ(server_->stats().stored, 1u);
}

TEST_F(TlsTest, UnusableFilesAreNamedAtStart) {
  options_.tls.key_file = stranger_cert_->key;  // not the certificate's key
  auto s = Server::Create(options_, runtime_, program_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("stranger.test.key"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().message().find("mismatch"), std::string::npos) << s.status().ToString();
  options_.tls.key_file = dir_ + "/missing.key";
  s = Server::Create(options_, runtime_, program_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("missing.key"), std::string::npos);
}

}  // namespace
}  // namespace crosswalk::serve
