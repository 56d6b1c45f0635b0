// OAuth2 client credentials with a signed JWT (private_key_jwt, RFC 7523), as SMART Backend Services asks of
// a system client: the token endpoint gets a client assertion signed with our private key (RS384 for an RSA key,
// ES384 for an EC P-384 key), and answers an access token that is cached until shortly before it expires.
//
//   JWT header  {"alg":"RS384"|"ES384","typ":"JWT","kid":KID}
//   JWT claims  {"iss":CLIENT_ID,"sub":CLIENT_ID,"aud":TOKEN_URL,"exp":now+300,"jti":128 random bits in hex}
//   POST TOKEN_URL  grant_type=client_credentials&scope=SCOPE
//                   &client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
//                   &client_assertion=JWT
//
// Errors name the token endpoint's status and its OAuth `error` code, never the token or the key.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crosswalk/serve.h"
#include "crosswalk/status.h"
#include "serve/curl_handle.h"

namespace crosswalk::serve {

// OAuthOptions is declared in crosswalk/serve.h.

// The token endpoint's TLS files.
CurlTlsFiles TlsFiles(const OAuthOptions& options);

// base64url without padding (RFC 7515 section 2).
std::string Base64Url(std::string_view bytes);

// A JWT signer for one private key.
class JwtSigner {
 public:
  // kInvalidArgument when the file is not a PEM RSA or EC P-384 private key.
  [[nodiscard]] static Result<std::unique_ptr<JwtSigner>> FromPemFile(const std::string& path);
  ~JwtSigner();
  JwtSigner(const JwtSigner&) = delete;
  JwtSigner& operator=(const JwtSigner&) = delete;

  std::string_view alg() const { return alg_; }  // "RS384" or "ES384"
  // header.claims.signature, each part base64url; `header_json` and `claims_json` are JSON objects.
  [[nodiscard]] Result<std::string> Sign(std::string_view header_json, std::string_view claims_json) const;

 private:
  JwtSigner() = default;
  struct Key;
  std::unique_ptr<Key> key_;
  std::string alg_;
};

// Access tokens from the token endpoint, cached. Not thread-safe: one per delivering thread.
class TokenSource {
 public:
  [[nodiscard]] static Result<std::unique_ptr<TokenSource>> Create(const OAuthOptions& options);
  ~TokenSource();
  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // The cached token, or a new one when there is none or it expires within a minute. kIoError when the
  // token endpoint cannot be reached or refuses (the text names the status and the OAuth error code);
  // kFailedPrecondition when *abort was raised.
  [[nodiscard]] Result<std::string> Token(const std::atomic<bool>* abort);
  // Forget the cached token (the FHIR server answered 401).
  void Invalidate();
  // After a reload (FhirClient::ReloadTls): signs with `signer` from now on (the SMART key read again) and
  // starts from a new libcurl handle with `tls` (the CA and client certificate read again): a new connection
  // and TLS session. Drops the cached token when `drop_token`. kInternal, and nothing changed, when libcurl
  // cannot make a handle.
  [[nodiscard]] Status Renew(std::unique_ptr<JwtSigner> signer, const CurlTls& tls, bool drop_token);
  uint64_t tokens_fetched() const { return fetched_; }

 private:
  TokenSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t fetched_ = 0;
};

}  // namespace crosswalk::serve
