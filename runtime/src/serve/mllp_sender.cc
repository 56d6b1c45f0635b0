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
#include "serve/tls.h"

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

// Sends all of `out` on the connection (TLS when `tls`) before the deadline: "" or the reason; *w says
// whether the deadline passed or the stop flag was raised.
std::string SendAll(int fd, TlsConn* tls, std::string_view out, Clock::time_point deadline,
                    const std::atomic<bool>* abort, Wait* w) {
  while (!out.empty()) {
    short want = POLLOUT;
    if (tls != nullptr) {
      size_t sent = 0;
      TlsConn::Io io = tls->Write(out.data(), out.size(), &sent);
      if (io == TlsConn::Io::kDone) {
        out.remove_prefix(sent);
        continue;
      }
      if (io == TlsConn::Io::kClosed) return "the receiver closed the connection";
      if (io == TlsConn::Io::kError) return "TLS: " + tls->error();
      want = io == TlsConn::Io::kWantRead ? POLLIN : POLLOUT;
    } else {
      ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return std::string("send: ") + std::strerror(errno);
    }
    *w = WaitFor(fd, want, deadline, abort);
    if (*w == Wait::kTimeout) return "timed out sending the message";
    if (*w == Wait::kAborted) return {};
  }
  return {};
}

// Reads what the connection has (waiting for it until the deadline) into buf: *got bytes, 0 when the
// receiver closed it. "" or the reason; *w as for SendAll.
std::string RecvSome(int fd, TlsConn* tls, char* buf, size_t cap, size_t* got, Clock::time_point deadline,
                     const std::atomic<bool>* abort, Wait* w) {
  *got = 0;
  for (;;) {
    short want = POLLIN;
    if (tls != nullptr) {
      TlsConn::Io io = tls->Read(buf, cap, got);
      if (io == TlsConn::Io::kDone || io == TlsConn::Io::kClosed) return {};
      if (io == TlsConn::Io::kError) return "TLS: " + tls->error();
      want = io == TlsConn::Io::kWantWrite ? POLLOUT : POLLIN;
    } else {
      ssize_t n = ::recv(fd, buf, cap, MSG_DONTWAIT);
      if (n >= 0) {
        *got = static_cast<size_t>(n);
        return {};
      }
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return std::string("recv: ") + std::strerror(errno);
      if (errno == EINTR) continue;
    }
    *w = WaitFor(fd, want, deadline, abort);
    if (*w != Wait::kReady) return {};
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
  std::unique_ptr<MllpSender> sender(new MllpSender(options));
  if (options.tls) {
    auto ctx = TlsContext::CreateClient({options.tls_ca_file, options.tls_cert_file, options.tls_key_file});
    if (!ctx.ok()) return InvalidArgument("mllp out: " + std::string(ctx.status().message()));
    sender->tls_ctx_ = std::move(*ctx);
    if (sender->options_.tls_server_name.empty()) sender->options_.tls_server_name = options.host;
  }
  return sender;
}

Status MllpSender::ReloadTls() {
  if (!options_.tls) return Status::Ok();
  auto ctx = TlsContext::CreateClient({options_.tls_ca_file, options_.tls_cert_file, options_.tls_key_file});
  if (!ctx.ok()) return InvalidArgument("mllp out: " + std::string(ctx.status().message()));
  std::lock_guard<std::mutex> lock(tls_mu_);
  tls_ctx_ = std::move(*ctx);
  return Status::Ok();
}

MllpSender::MllpSender(const MllpOutOptions& options) : options_(options) {}

MllpSender::~MllpSender() {
  if (tls_) tls_->Shutdown();  // close_notify on a kept session, best effort
  Close();
}

void MllpSender::Close() {
  tls_.reset();
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
  if (fd_ < 0) return "cannot connect to " + options_.host + ":" + port + ": " + error;
  std::shared_ptr<TlsContext> ctx;
  {
    std::lock_guard<std::mutex> lock(tls_mu_);
    ctx = tls_ctx_;
  }
  if (!ctx) return {};
  // The TLS handshake, within the same deadline; the receiver's certificate is verified for the name. (The
  // session holds its own reference to the OpenSSL context: a ReloadTls meanwhile does not end it.)
  tls_ = std::make_unique<TlsConn>(*ctx, fd_, options_.tls_server_name);
  for (;;) {
    TlsConn::Io io = tls_->Handshake();
    if (io == TlsConn::Io::kDone) return {};
    if (io != TlsConn::Io::kWantRead && io != TlsConn::Io::kWantWrite) {
      error = "TLS handshake with " + options_.host + ":" + port + " failed: " + tls_->error();
      break;
    }
    Wait w = WaitFor(fd_, io == TlsConn::Io::kWantRead ? POLLIN : POLLOUT, deadline, abort);
    if (w == Wait::kAborted) *aborted = true;
    if (w != Wait::kReady) {
      error = "the TLS handshake timed out";
      break;
    }
  }
  Close();
  return error;
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
  // With options_.app_acks, a message in enhanced mode asking for an application ACK always (MSH-15 valued,
  // MSH-16 AL): its commit ACK (CA) is followed by the receiver's application ACK, which is the answer (AA
  // delivered, AE/AR refused). SU and ER answer only one outcome, so waiting would stall on the other: their
  // CA is the answer.
  const bool app_ack = options_.app_acks && !hl7v2::TrimBlanks(m.Raw(0, 15)).empty() && hl7v2::TrimBlanks(m.Raw(0, 16)) == "AL";
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  bool committed = false;  // the CA of an app_ack message came: waiting for its application ACK
  std::string framed;
  AppendMllpFrame(message, &framed);

  // A kept connection the receiver closed (or reset) while it was idle is replaced before anything is sent
  // on it, so an idle timeout on the receiver's side costs no try and sends nothing twice.
  if (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    char byte;
    if (::poll(&p, 1, 0) > 0) {
      if (p.revents & (POLLHUP | POLLERR)) {
        Close();
      } else if (tls_) {
        // TLS records came while idle: session tickets (kept), a close_notify (closed), or a late ACK of an
        // earlier message (dropped: it would be skipped anyway).
        char scratch[4096];
        size_t got = 0;
        TlsConn::Io io;
        while ((io = tls_->Read(scratch, sizeof scratch, &got)) == TlsConn::Io::kDone) {
        }
        if (io == TlsConn::Io::kClosed || io == TlsConn::Io::kError) Close();
      } else if (::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
        Close();
      }
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
  error = SendAll(fd_, tls_.get(), framed, deadline, abort, &w);

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
      if (app_ack && code == "CA") {  // committed: the application ACK follows, within a new timeout
        committed = true;
        deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
        continue;
      }
      r.code = std::move(code);
      if (int err = ack.FindSegment("ERR"); err >= 0) {
        r.error_code = SafeCode(ack.Raw(err, 3, 1, 1));
        if (r.error_code.empty()) r.error_code = SafeCode(ack.Raw(err, 1, 1, 4));  // v2.3: ERR-1.4
      }
      return r;
    }
    size_t got = 0;
    error = RecvSome(fd_, tls_.get(), buf, sizeof buf, &got, deadline, abort, &w);
    if (w == Wait::kTimeout) {
      error = committed ? "no application ACK (MSH-16 AL) within " + std::to_string(options_.timeout_ms) +
                              " ms of the commit ACK (CA)"
                        : "no ACK within " + std::to_string(options_.timeout_ms) + " ms";
      break;
    }
    if (w == Wait::kAborted || !error.empty()) break;
    if (got == 0) {
      error = committed ? "the receiver closed the connection before its application ACK"
                        : "the receiver closed the connection before its ACK";
      break;
    }
    deframer.Append(std::string_view(buf, got));
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
