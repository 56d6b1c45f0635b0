// A small blocking MLLP client for the serve tests (loopback only, every read bounded by a timeout).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "serve/mllp.h"

namespace crosswalk::serve::test {

class MllpClient {
 public:
  MllpClient() : deframer_(64u << 20) {}
  ~MllpClient() { Close(); }
  MllpClient(const MllpClient&) = delete;
  MllpClient& operator=(const MllpClient&) = delete;

  bool Connect(uint16_t port) {
    Close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    deframer_ = MllpDeframer(64u << 20);
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return fd_ >= 0; }

  // Sends raw bytes (a frame, part of one, several).
  bool SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool Send(std::string_view message) {
    std::string framed;
    AppendMllpFrame(message, &framed);
    return SendRaw(framed);
  }

  enum ReadResult { kAck, kClosed, kTimeout };
  // Reads the next ACK frame within `timeout_ms`.
  ReadResult ReadAck(std::string* ack, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (deframer_.Next(ack) == MllpDeframer::kFrame) return kAck;
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0) return kTimeout;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) return kTimeout;
      char buf[8192];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return kClosed;
      deframer_.Append(std::string_view(buf, static_cast<size_t>(n)));
    }
  }

 private:
  int fd_ = -1;
  MllpDeframer deframer_;
};

// "MSA|AA|..." -> "AA"; "" when the ACK has no MSA.
inline std::string AckCode(const std::string& ack) {
  size_t p = ack.find("\rMSA|");
  if (p == std::string::npos) return {};
  return ack.substr(p + 5, 2);
}

}  // namespace crosswalk::serve::test
