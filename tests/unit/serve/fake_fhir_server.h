// A scripted FHIR server on loopback for the serve tests: records every request, answers from a script or
// a handler (a status, extra headers, a body, or a reset of the connection). With FakeTls it speaks HTTPS
// (OpenSSL) and, with a client CA, requires a client certificate issued by it (mutual TLS); each request
// records the CN of the certificate the client presented.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace crosswalk::serve::test {

using Clock = std::chrono::steady_clock;


struct Request {
  std::string method, path, headers, body;
  std::string client_cn;  // HTTPS: the CN of the client's certificate ("" without one)
  Clock::time_point at;
};
struct FakeTls {
  std::string cert, key;  // the server's certificate and key (PEM)
  std::string client_ca;  // PEM CAs whose client certificates are required; empty: none asked
};
struct Response {
  int status = 200;
  std::string headers;  // extra header lines, each ending in \r\n
  std::string body;     // empty: a small Bundle or OperationOutcome by status
  bool reset = false;   // close the connection without answering (a reset as the client sees it)
};

class FakeFhirServer {
 public:
  explicit FakeFhirServer(const FakeTls* tls = nullptr) {
    if (tls != nullptr) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx_, tls->cert.c_str()), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx_, tls->key.c_str(), SSL_FILETYPE_PEM), 1);
      if (!tls->client_ca.empty()) {
        EXPECT_EQ(SSL_CTX_load_verify_locations(ctx_, tls->client_ca.c_str(), nullptr), 1);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      }
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeFhirServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }
  std::string url() const {
    return (ctx_ != nullptr ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) + "/fhir/";
  }
  // HTTPS: handshakes that failed (no client certificate, an unknown one, a client that refused ours).
  int handshake_failures() const { return handshake_failures_; }
  // HTTPS: handshakes that succeeded (one per connection).
  int accepted() const { return accepted_; }
  // Responses given in order; once they run out, 200.
  void Script(std::vector<Response> r) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(r.begin(), r.end());
  }
  // Answers every request instead of the script (e.g. routing by path).
  void Handle(std::function<Response(const Request&)> handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  bool WaitRequests(size_t n, int seconds = 20) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (requests().size() < n) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      // A thread per connection: clients keep connections alive (the token endpoint's and the FHIR base's).
      connections_.emplace_back([this, c] {
        Conn conn{c, nullptr, ""};
        if (ctx_ == nullptr || Accept(&conn)) Serve(conn);
        if (conn.ssl != nullptr) SSL_free(conn.ssl);
        ::close(c);
        ERR_clear_error();
      });
    }
    for (auto& t : connections_) t.join();
  }
  struct Conn {
    int fd;
    SSL* ssl;
    std::string client_cn;
  };
  // The server side of the handshake, blocking but bounded (5 s), so a client that never finishes it holds
  // nothing up for long.
  bool Accept(Conn* conn) {
    timeval tv{5, 0};
    ::setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    conn->ssl = SSL_new(ctx_);
    SSL_set_fd(conn->ssl, conn->fd);
    if (SSL_accept(conn->ssl) != 1) {
      ++handshake_failures_;
      return false;
    }
    if (X509* peer = SSL_get1_peer_certificate(conn->ssl)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      conn->client_cn = cn;
      X509_free(peer);
    }
    ++accepted_;
    return true;
  }
  // One connection, keep-alive: requests until the client closes or we stop.
  void Serve(Conn& conn) {
    const int c = conn.fd;
    std::string buf;
    while (!stop_) {
      size_t end = buf.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (!Read(conn, &buf)) return;
        continue;
      }
      std::string head = buf.substr(0, end + 2);
      size_t length = 0;
      size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) length = std::stoul(head.substr(cl + 16));
      while (buf.size() < end + 4 + length) {
        if (!Read(conn, &buf)) return;
      }
      Request r;
      r.at = Clock::now();
      r.client_cn = conn.client_cn;
      std::istringstream first(head.substr(0, head.find("\r\n")));
      first >> r.method >> r.path;
      r.headers = head;
      r.body = buf.substr(end + 4, length);
      buf.erase(0, end + 4 + length);
      Response resp;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(r);
        if (handler_) {
          resp = handler_(r);
        } else if (!script_.empty()) {
          resp = script_.front();
          script_.pop_front();
        }
      }
      if (resp.reset) {
        linger l{1, 0};  // RST, not FIN
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        return;
      }
      std::string body = !resp.body.empty() ? resp.body
                         : resp.status < 300 ? R"({"resourceType":"Bundle","type":"transaction-response"})"
                                             : R"({"resourceType":"OperationOutcome"})";
      std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " X\r\nContent-Type: application/fhir+json\r\n" +
                        resp.headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (conn.ssl != nullptr) {
        if (SSL_write(conn.ssl, out.data(), static_cast<int>(out.size())) != static_cast<int>(out.size())) return;
      } else if (::send(c, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
        return;
      }
    }
  }
  bool Read(Conn& conn, std::string* buf) {
    const int c = conn.fd;
    for (;;) {
      if (stop_) return false;
      char tmp[65536];
      if (conn.ssl == nullptr || SSL_pending(conn.ssl) == 0) {
        pollfd p{c, POLLIN, 0};
        int n = ::poll(&p, 1, 20);
        if (n == 0) continue;
        if (n < 0) return false;
      }
      ssize_t got = conn.ssl != nullptr ? SSL_read(conn.ssl, tmp, sizeof tmp) : ::recv(c, tmp, sizeof tmp, 0);
      if (got <= 0) return false;
      buf->append(tmp, static_cast<size_t>(got));
      return true;
    }
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;  // HTTPS when set
  std::atomic<int> handshake_failures_{0};
  std::atomic<int> accepted_{0};
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;  // only the accepting thread touches it
  std::mutex mu_;
  std::deque<Response> script_;
  std::function<Response(const Request&)> handler_;
  std::vector<Request> requests_;
};

}  // namespace crosswalk::serve::test
