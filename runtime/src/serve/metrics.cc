#include "serve/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace crosswalk::serve {

void LatencyHistogram::Observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  size_t i = 0;
  while (i < kBuckets && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void LatencyHistogram::Render(const char* name, const char* help, std::string* out) const {
  std::string n = name;
  *out += "# HELP " + n + " " + help + "\n# TYPE " + n + " histogram\n";
  uint64_t cumulative = 0;
  char le[32];
  for (size_t i = 0; i < kBuckets; ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::snprintf(le, sizeof le, "%g", kBounds[i]);
    *out += n + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += counts_[kBuckets].load(std::memory_order_relaxed);
  *out += n + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  std::snprintf(le, sizeof le, "%.6f", static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  *out += n + "_sum " + le + "\n" + n + "_count " + std::to_string(cumulative) + "\n";
}

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& host, uint16_t port,
                                                                std::function<std::string()> render,
                                                                AdminHandler admin) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("metrics: '" + host + "' is not an IPv4 address");
  }
  std::unique_ptr<MetricsEndpoint> m(new MetricsEndpoint());
  m->render_ = std::move(render);
  m->admin_ = std::move(admin);
  m->fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m->fd_ < 0) return IoError(std::string("metrics: socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(m->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(m->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m->fd_, 16) != 0) {
    return IoError("metrics: cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(m->fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  m->port_ = ntohs(addr.sin_port);
  m->thread_ = std::thread([p = m.get()] { p->Loop(); });
  return m;
}

MetricsEndpoint::~MetricsEndpoint() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void MetricsEndpoint::Loop() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    int c = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (c < 0) continue;
    char addr[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof addr);
    Answer(c, peer.sin_family == AF_INET && (ntohl(peer.sin_addr.s_addr) >> 24) == 127,
           std::string(addr) + ":" + std::to_string(ntohs(peer.sin_port)));
    ::close(c);
  }
}

namespace {

// GET /dead-letters and GET /rejected (with or without a query) are the admin handler's listings.
bool IsAdminGet(std::string_view line) {
  for (std::string_view path : {"GET /dead-letters", "GET /rejected"}) {
    if (line.substr(0, path.size()) == path &&
        (line.size() == path.size() || line[path.size()] == ' ' || line[path.size()] == '?')) {
      return true;
    }
  }
  return false;
}

}  // namespace

void MetricsEndpoint::Answer(int fd, bool loopback, const std::string& peer) {
  // The request line and headers, up to 4 KiB, within a second.
  std::string req;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (req.find("\r\n\r\n") == std::string::npos && req.find("\n\n") == std::string::npos && req.size() < 4096) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) return;
    char buf[1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  std::string line = req.substr(0, req.find_first_of("\r\n"));
  std::string status = "404 Not Found", type = "text/plain; charset=utf-8", body = "not found\n";
  if (line.rfind("GET /metrics ", 0) == 0 || line == "GET /metrics") {
    status = "200 OK";
    type = "text/plain; version=0.0.4; charset=utf-8";
    body = render_();
  } else if (line.rfind("GET /health ", 0) == 0 || line == "GET /health") {
    status = "200 OK";
    body = "ok\n";
  } else if (admin_ && (line.rfind("POST ", 0) == 0 || IsAdminGet(line))) {
    // The header a web page cannot add to a cross-site request without a CORS preflight (which is refused),
    // so a browser on this machine cannot be made to replay.
    std::string lower = req;
    for (char& ch : lower) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    if (!loopback) {
      status = "403 Forbidden";
      body = "admin requests are taken from this machine only\n";
    } else if (lower.find("\nx-crosswalk-admin:") == std::string::npos) {
      status = "403 Forbidden";
      body = "admin requests need the header X-Crosswalk-Admin\n";
    } else {
      size_t from = line.find(' ') + 1;
      size_t to = line.find(' ', from);
      std::string method = line.substr(0, from - 1);
      std::string target = line.substr(from, to == std::string::npos ? std::string::npos : to - from);
      int code = admin_(method, target, peer, &body);
      if (code == 200 && method == "GET") type = "application/x-ndjson; charset=utf-8";
      switch (code) {
        case 200: status = "200 OK"; break;
        case 400: status = "400 Bad Request"; break;
        case 404: status = "404 Not Found"; break;
        case 503: status = "503 Service Unavailable"; break;
        default: status = "500 Internal Server Error"; break;
      }
    }
  } else if (line.rfind("GET ", 0) != 0) {
    status = "405 Method Not Allowed";
    body = admin_ ? "only GET and POST\n" : "only GET\n";
  }
  std::string out = "HTTP/1.0 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  std::string_view rest = out;
  while (!rest.empty()) {
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace crosswalk::serve
