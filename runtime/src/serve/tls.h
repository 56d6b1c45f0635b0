// TLS for the MLLP listener of `crosswalk serve` (OpenSSL): the server's certificate chain and key, TLS 1.2 or
// later, and optionally client certificates checked against a CA bundle (mutual TLS, what most HL7 interface
// agreements ask for when the feed crosses a network).
//
// Connections are non-blocking: TlsConn wraps one SSL object; Read/Write return what they did and whether
// the socket must become readable or writable first, so the server's poll loop drives the handshake too (the
// first Read performs it).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "crosswalk/serve.h"
#include "crosswalk/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace crosswalk::serve {

// The client side (delivery to an MLLP receiver over TLS): the receiver's certificate is always verified,
// against ca_file or, when empty, the system's CAs; cert_file and key_file present a client certificate.
struct TlsClientOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class TlsContext {
 public:
  // kInvalidArgument naming the file that cannot be used (never key material).
  [[nodiscard]] static Result<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  // A client context (TLS 1.2 or later, peer verification on). kInvalidArgument naming the file.
  [[nodiscard]] static Result<std::unique_ptr<TlsContext>> CreateClient(const TlsClientOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }
  bool verifies_clients() const { return verify_clients_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  bool verify_clients_ = false;
};

class TlsConn {
 public:
  // The server side of an accepted connection.
  TlsConn(const TlsContext& ctx, int fd);
  // The client side of a connected socket: the peer's certificate must name `server_name` (a DNS name, sent
  // as SNI too, or an IP address literal, matched against the certificate's IP addresses).
  TlsConn(const TlsContext& ctx, int fd, const std::string& server_name);
  ~TlsConn();
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;

  enum class Io { kDone, kWantRead, kWantWrite, kClosed, kError };
  // Performs (or continues) the handshake: kDone once it is complete. A failed certificate check is kError
  // with error() = "certificate verify failed (hostname mismatch)" and the like.
  Io Handshake();
  // Decrypts up to `n` bytes into `buf` (*got = how many when kDone).
  Io Read(char* buf, size_t n, size_t* got);
  // Encrypts and sends up to `n` bytes (*sent = how many were taken when kDone).
  Io Write(const char* buf, size_t n, size_t* sent);
  // Bytes already decrypted and buffered (readable without the socket being readable).
  bool has_buffered() const;
  bool handshake_done() const;
  // Why the last kError happened (OpenSSL's reason text: e.g. "certificate verify failed"), for the audit.
  const std::string& error() const { return error_; }
  // Sends close_notify (best effort, non-blocking).
  void Shutdown();

 private:
  Io Fail(int ret);
  SSL* ssl_ = nullptr;
  std::string error_;
};

}  // namespace crosswalk::serve
