#include "serve/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace crosswalk::serve {
namespace {

std::string LastSslError() {
  unsigned long e = ERR_peek_last_error();
  std::string out;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    out = reason != nullptr ? reason : "TLS error " + std::to_string(e);
  }
  ERR_clear_error();
  return out;
}

// The certificate chain and private key a context presents (the server's, or a client's for mutual TLS).
Status UseCertificate(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    std::string why = LastSslError();
    return InvalidArgument("TLS: cannot use the certificate file '" + cert_file + "': " + why);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    std::string why = LastSslError();
    return InvalidArgument("TLS: cannot use the key file '" + key_file + "': " + why);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    LastSslError();
    return InvalidArgument("TLS: the key in '" + key_file + "' does not match the certificate");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return InvalidArgument("TLS needs a certificate file and a key file");
  }
  std::unique_ptr<TlsContext> t(new TlsContext());
  t->ctx_ = SSL_CTX_new(TLS_server_method());
  if (t->ctx_ == nullptr) return Internal("OpenSSL could not create a TLS context");
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(t->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  CW_RETURN_IF_ERROR(UseCertificate(t->ctx_, options.cert_file, options.key_file));
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(t->ctx_, options.client_ca_file.c_str(), nullptr) != 1) {
      std::string why = LastSslError();
      return InvalidArgument("TLS: cannot use the client CA file '" + options.client_ca_file + "': " + why);
    }
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    t->verify_clients_ = true;
  }
  return t;
}

Result<std::unique_ptr<TlsContext>> TlsContext::CreateClient(const TlsClientOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return InvalidArgument("TLS: a client certificate needs both its certificate file and its key file");
  }
  std::unique_ptr<TlsContext> t(new TlsContext());
  t->ctx_ = SSL_CTX_new(TLS_client_method());
  if (t->ctx_ == nullptr) return Internal("OpenSSL could not create a TLS context");
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(t->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  int loaded = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(t->ctx_)
                                       : SSL_CTX_load_verify_locations(t->ctx_, options.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    std::string why = LastSslError();
    return InvalidArgument(options.ca_file.empty() ? "TLS: cannot load the system's CA certificates: " + why
                                                   : "TLS: cannot use the CA file '" + options.ca_file + "': " + why);
  }
  SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER, nullptr);
  if (!options.cert_file.empty()) {
    CW_RETURN_IF_ERROR(UseCertificate(t->ctx_, options.cert_file, options.key_file));
  }
  return t;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsConn::TlsConn(const TlsContext& ctx, int fd) {
  ssl_ = SSL_new(ctx.get());
  if (ssl_ != nullptr) {
    SSL_set_fd(ssl_, fd);
    SSL_set_accept_state(ssl_);
  }
}

TlsConn::TlsConn(const TlsContext& ctx, int fd, const std::string& server_name) {
  ssl_ = SSL_new(ctx.get());
  if (ssl_ == nullptr) return;
  SSL_set_fd(ssl_, fd);
  SSL_set_connect_state(ssl_);
  in6_addr ip{};
  bool is_ip = ::inet_pton(AF_INET, server_name.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, server_name.c_str(), &ip) == 1;
  bool named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), server_name.c_str()) == 1
                     : SSL_set_tlsext_host_name(ssl_, server_name.c_str()) == 1 && SSL_set1_host(ssl_, server_name.c_str()) == 1;
  if (!named) {  // an unusable name: no connection may pass unverified
    SSL_free(ssl_);
    ssl_ = nullptr;
    error_ = "cannot check the receiver's certificate against the name '" + server_name + "'";
  }
  ERR_clear_error();
}

TlsConn::~TlsConn() { SSL_free(ssl_); }

TlsConn::Io TlsConn::Handshake() {
  if (ssl_ == nullptr) {
    if (error_.empty()) error_ = "no TLS connection";
    return Io::kError;
  }
  int ret = SSL_do_handshake(ssl_);
  if (ret == 1) return Io::kDone;
  Io io = Fail(ret);
  if (io == Io::kError || io == Io::kClosed) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      error_ = "certificate verify failed (" + std::string(X509_verify_cert_error_string(verify)) + ")";
    } else if (io == Io::kClosed) {
      error_ = "the receiver closed the connection during the TLS handshake";
      io = Io::kError;
    }
  }
  return io;
}

TlsConn::Io TlsConn::Fail(int ret) {
  int e = SSL_get_error(ssl_, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return Io::kClosed;
    case SSL_ERROR_SYSCALL:
      error_ = LastSslError();
      if (error_.empty()) error_ = "the connection closed during TLS";
      return Io::kError;
    default:
      error_ = LastSslError();
      if (error_.empty()) error_ = "TLS error";
      return Io::kError;
  }
}

TlsConn::Io TlsConn::Read(char* buf, size_t n, size_t* got) {
  *got = 0;
  if (ssl_ == nullptr) return Io::kError;
  size_t r = 0;
  int ret = SSL_read_ex(ssl_, buf, n, &r);
  if (ret == 1) {
    *got = r;
    return Io::kDone;
  }
  return Fail(ret);
}

TlsConn::Io TlsConn::Write(const char* buf, size_t n, size_t* sent) {
  *sent = 0;
  if (ssl_ == nullptr) return Io::kError;
  size_t w = 0;
  int ret = SSL_write_ex(ssl_, buf, n, &w);
  if (ret == 1) {
    *sent = w;
    return Io::kDone;
  }
  return Fail(ret);
}

bool TlsConn::has_buffered() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

bool TlsConn::handshake_done() const { return ssl_ != nullptr && SSL_is_init_finished(ssl_); }

void TlsConn::Shutdown() {
  if (ssl_ != nullptr && SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace crosswalk::serve
