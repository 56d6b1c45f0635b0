// MllpSender (crosswalk/serve.h): one MLLP connection to a receiver, a message sent and its ACK awaited.
//
// Every wait is a poll() of at most 100 ms, so the abort flag (the server's stop) is seen quickly; the whole
// attempt (connect, send, ACK) is bounded by timeout_ms. The socket is non-blocking throughout.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "crosswalk/serve.h"
#include "hl7v2/message.h"

namespace crosswalk::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kAbortCheckMs = 100;

// A code safe to log: letters, digits, '-', '_' and '.', at most 16 bytes (an HL7 table code); else empty.
std::string SafeCode(std::string_view s) {
  if (s.empty() || s.size() > 16) return {};
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return {};
  }
  return std::string(s);
}

enum class Wait { kReady, kTimeout, kAborted };

// Waits until `fd` has `events`, the deadline passes or *abort is set.
Wait WaitFor(int fd, short events, Clock::time_point deadline, const std::atomic<bool>* abort) {
  for (;;) {
    if (abort != nullptr && abort->load()) return Wait::kAborted;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::kTimeout;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kAbortCheckMs)));
    if (n > 0) return Wait::kReady;
    if (n < 0 && errno != EINTR) return Wait::kReady;  // the following call reports the error
  }
}

}  // namespace

Verdict ClassifyAck(const MllpResult& r) {
  if (r.invalid) return Verdict::kDead;
  if (r.code == "AA" || r.code == "CA") return Verdict::kDelivered;
  if (r.code == "AE" || r.code == "AR" || r.code == "CE" || r.code == "CR") return Verdict::kDead;
  return Verdict::kRetry;
}

std::string DescribeAck(const MllpResult& r) {
  if (r.invalid) return r.error;
  if (r.code.empty()) return "transport: " + r.error;
  std::string s = "ACK " + r.code;
  if (!r.error_code.empty()) s += " (ERR-3 " + r.error_code + ")";
  return s;
}

Result<std::unique_ptr<MllpSender>> MllpSender::Create(const MllpOutOptions& options) {
  if (options.host.empty()) return InvalidArgument("mllp out: no host");
  if (options.timeout_ms == 0 || options.max_tries == 0) {
    return InvalidArgument("mllp out: timeout_ms and max_tries must be at least 1");
  }
  return std::unique_ptr<MllpSender>(new MllpSender(options));
}

MllpSender::MllpSender(const MllpOutOptions& options) : options_(options) {}

MllpSender::~MllpSender() { Close(); }

void MllpSender::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// Opens the connection (each address of the host in turn) within the deadline. "" or the reason; *aborted
// when the stop flag was raised.
std::string MllpSender::Connect(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* abort,
                                bool* aborted) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  std::string port = std::to_string(options_.port);
  if (int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    return "cannot resolve '" + options_.host + "': " + ::gai_strerror(rc);
  }
  std::string error = "no address";
  for (addrinfo* a = list; a != nullptr && fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    Wait w = WaitFor(fd, POLLOUT, deadline, abort);
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (w == Wait::kReady) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (w != Wait::kReady || so_error != 0) {
      ::close(fd);
      if (w == Wait::kAborted) *aborted = true;
      if (w != Wait::kReady) {
        error = "connect timed out";
        break;
      }
      error = std::strerror(so_error);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    ++connections_;
  }
  ::freeaddrinfo(list);
  return fd_ >= 0 ? std::string() : "cannot connect to " + options_.host + ":" + port + ": " + error;
}

MllpResult MllpSender::Send(std::string_view message, const std::atomic<bool>* abort) {
  MllpResult r;
  hl7v2::Message m;
  if (!m.Parse(message).ok() || m.Raw(0, 10).empty()) {
    r.invalid = true;
    r.error = "the output is not an HL7 v2 message with MSH-10 (control id); it cannot be acknowledged";
    return r;
  }
  const std::string control_id(m.Raw(0, 10));
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  std::string framed;
  AppendMllpFrame(message, &framed);

  // A kept connection the receiver closed (or reset) while it was idle is replaced before anything is sent
  // on it, so an idle timeout on the receiver's side costs no try and sends nothing twice.
  if (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    char byte;
    if (::poll(&p, 1, 0) > 0 && ((p.revents & (POLLHUP | POLLERR)) || ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)) {
      Close();
    }
  }
  std::string error;
  Wait w = Wait::kReady;
  if (fd_ < 0) {
    bool aborted = false;
    r.error = Connect(deadline, abort, &aborted);
    r.aborted = aborted;
    if (aborted || !r.error.empty()) return r;
  }

  // Send the frame.
  std::string_view out = framed;
  while (!out.empty() && error.empty()) {
    ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      w = WaitFor(fd_, POLLOUT, deadline, abort);
      if (w == Wait::kTimeout) error = "timed out sending the message";
    } else {
      error = std::string("send: ") + std::strerror(errno);
    }
    if (w == Wait::kAborted) break;
  }

  // Wait for the ACK of this control id; ACKs of others (late ones) are skipped.
  MllpDeframer deframer(options_.max_ack_bytes);
  std::string frame;
  char buf[16 << 10];
  while (error.empty() && w != Wait::kAborted) {
    MllpDeframer::Result next = deframer.Next(&frame);
    if (next == MllpDeframer::kTooLarge) {
      error = "an answer larger than " + std::to_string(options_.max_ack_bytes) + " bytes";
      break;
    }
    if (next == MllpDeframer::kFrame) {
      hl7v2::Message ack;
      int msa = -1;
      if (!ack.Parse(frame).ok() || (msa = ack.FindSegment("MSA")) < 0) {
        error = "the receiver answered a frame that is not an ACK";
        break;
      }
      if (ack.Raw(msa, 2) != control_id) continue;
      std::string code(ack.Raw(msa, 1));
      if (code != "AA" && code != "AE" && code != "AR" && code != "CA" && code != "CE" && code != "CR") {
        error = "the ACK has an unknown acknowledgment code (MSA-1)";
        break;
      }
      r.code = std::move(code);
      if (int err = ack.FindSegment("ERR"); err >= 0) {
        r.error_code = SafeCode(ack.Raw(err, 3, 1, 1));
        if (r.error_code.empty()) r.error_code = SafeCode(ack.Raw(err, 1, 1, 4));  // v2.3: ERR-1.4
      }
      return r;
    }
    w = WaitFor(fd_, POLLIN, deadline, abort);
    if (w == Wait::kTimeout) {
      error = "no ACK within " + std::to_string(options_.timeout_ms) + " ms";
      break;
    }
    if (w == Wait::kAborted) break;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      deframer.Append(std::string_view(buf, static_cast<size_t>(n)));
    } else if (n == 0) {
      error = "the receiver closed the connection before its ACK";
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      error = std::string("recv: ") + std::strerror(errno);
    }
  }
  // Whatever happened, this connection cannot carry the next message: a late ACK would be misread.
  Close();
  if (w == Wait::kAborted) {
    r.aborted = true;
    return r;
  }
  r.error = std::move(error);
  return r;
}

}  // namespace crosswalk::serve
