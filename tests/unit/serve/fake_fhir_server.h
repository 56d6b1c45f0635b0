// A scripted FHIR server on loopback for the serve tests: records every request, answers from a script or
// a handler (a status, extra headers, a body, or a reset of the connection).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
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
  Clock::time_point at;
};
struct Response {
  int status = 200;
  std::string headers;  // extra header lines, each ending in \r\n
  std::string body;     // empty: a small Bundle or OperationOutcome by status
  bool reset = false;   // close the connection without answering (a reset as the client sees it)
};

class FakeFhirServer {
 public:
  FakeFhirServer() {
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
  }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir/"; }
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
        Serve(c);
        ::close(c);
      });
    }
    for (auto& t : connections_) t.join();
  }
  // One connection, keep-alive: requests until the client closes or we stop.
  void Serve(int c) {
    std::string buf;
    while (!stop_) {
      size_t end = buf.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (!Read(c, &buf)) return;
        continue;
      }
      std::string head = buf.substr(0, end + 2);
      size_t length = 0;
      size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) length = std::stoul(head.substr(cl + 16));
      while (buf.size() < end + 4 + length) {
        if (!Read(c, &buf)) return;
      }
      Request r;
      r.at = Clock::now();
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
      if (::send(c, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) return;
    }
  }
  bool Read(int c, std::string* buf) {
    for (;;) {
      if (stop_) return false;
      pollfd p{c, POLLIN, 0};
      int n = ::poll(&p, 1, 20);
      if (n == 0) continue;
      if (n < 0) return false;
      char tmp[65536];
      ssize_t got = ::recv(c, tmp, sizeof tmp, 0);
      if (got <= 0) return false;
      buf->append(tmp, static_cast<size_t>(got));
      return true;
    }
  }

  int fd_ = -1;
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
