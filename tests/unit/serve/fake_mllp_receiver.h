// A recording MLLP receiver on loopback for the MLLP delivery tests: it answers each frame as a script says
// (AA, AE, AR, an ACK of another control id first, no answer at all, a reset, AA and then closing the
// connection) and records every frame it got, with the control id and the answer. It can be stopped (the
// port then refuses connections) and started again on the same port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hl7v2/message.h"
#include "serve/mllp.h"

namespace crosswalk::serve::test {

class FakeMllpReceiver {
 public:
  // kCAThenAA / kCAThenAE: a commit ACK, then an application ACK; kCAOnly: a commit ACK, then silence.
  enum class Answer { kAA, kAE, kAR, kOtherAckThenAA, kSilent, kReset, kAAThenClose, kCAThenAA, kCAThenAE, kCAOnly };
  struct Received {
    std::string control_id;
    std::string bytes;
    Answer answer;
  };
  // Chooses the answer to the `attempt`-th frame (1, 2, ...) carrying `control_id`.
  using Script = std::function<Answer(const std::string& control_id, int attempt)>;

  explicit FakeMllpReceiver(Script script) : script_(std::move(script)) {}
  ~FakeMllpReceiver() { Stop(); }

  // Listens on 127.0.0.1:port (0: any free port); false when it cannot bind.
  bool Start(uint16_t port = 0) {
    Stop();
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
      ::close(listen_fd_);
      listen_fd_ = -1;
      return false;
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_ = false;
    thread_ = std::thread([this] { Loop(); });
    return true;
  }
  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  uint16_t port() const { return port_; }
  std::vector<Received> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int connections() const { return connections_; }

  static std::string Ack(const std::string& code, const std::string& control_id) {
    std::string ack = "MSH|^~\\&|RECEIVER|SITE|CROSSWALK||20261130061000||ACK|R" + control_id + "|P|2.5\rMSA|" + code +
                      "|" + control_id + "|some text about the message\r";
    if (code != "AA" && code != "CA") ack += "ERR|||207^Application internal error^HL70357|E\r";
    return ack;
  }

 private:
  struct Conn {
    int fd;
    MllpDeframer deframer{1 << 20};
  };

  void Loop() {
    std::vector<std::unique_ptr<Conn>> conns;
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : conns) fds.push_back({c->fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          ++connections_;
          conns.push_back(std::make_unique<Conn>(Conn{fd}));
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        Conn* c = conns[i - 1].get();
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[8192];
        ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
        if (n <= 0) {
          ::close(c->fd);
          c->fd = -1;
          continue;
        }
        c->deframer.Append(std::string_view(buf, static_cast<size_t>(n)));
        std::string frame;
        while (c->fd >= 0 && c->deframer.Next(&frame) == MllpDeframer::kFrame) Reply(c, frame);
      }
      std::erase_if(conns, [](const std::unique_ptr<Conn>& c) { return c->fd < 0; });
    }
    for (auto& c : conns) ::close(c->fd);
  }

  void Reply(Conn* c, const std::string& frame) {
    hl7v2::Message m;
    std::string control_id = m.Parse(frame).ok() ? std::string(m.Raw(0, 10)) : std::string();
    Answer a;
    {
      std::lock_guard<std::mutex> lock(mu_);
      int attempt = 1;
      for (const Received& r : received_) attempt += r.control_id == control_id;
      a = script_(control_id, attempt);
      received_.push_back({control_id, frame, a});
    }
    std::string out;
    switch (a) {
      case Answer::kAA:
      case Answer::kAAThenClose:
        AppendMllpFrame(Ack("AA", control_id), &out);
        break;
      case Answer::kAE:
        AppendMllpFrame(Ack("AE", control_id), &out);
        break;
      case Answer::kAR:
        AppendMllpFrame(Ack("AR", control_id), &out);
        break;
      case Answer::kCAThenAA:
      case Answer::kCAThenAE:
        AppendMllpFrame(Ack("CA", control_id), &out);
        AppendMllpFrame(Ack(a == Answer::kCAThenAA ? "AA" : "AE", control_id), &out);
        break;
      case Answer::kCAOnly:
        AppendMllpFrame(Ack("CA", control_id), &out);
        break;
      case Answer::kOtherAckThenAA:
        AppendMllpFrame(Ack("AE", "SOMETHING-ELSE"), &out);
        AppendMllpFrame(Ack("AA", control_id), &out);
        break;
      case Answer::kSilent:
        return;
      case Answer::kReset: {
        linger l{1, 0};  // close with RST
        ::setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(c->fd);
        c->fd = -1;
        return;
      }
    }
    (void)!::send(c->fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (a == Answer::kAAThenClose) {
      ::close(c->fd);
      c->fd = -1;
    }
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Received> received_;
};

}  // namespace crosswalk::serve::test
