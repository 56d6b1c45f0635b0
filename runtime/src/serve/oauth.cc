#include "serve/oauth.h"

#include "serve/curl_handle.h"

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace crosswalk::serve {
namespace {

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

size_t KeepBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() < (1u << 20)) body->append(data, size * n);  // a token response is small
  return size * n;
}

std::string FormEscape(CURL* c, std::string_view v) {
  char* e = curl_easy_escape(c, v.data(), static_cast<int>(v.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

}  // namespace

CurlTlsFiles TlsFiles(const OAuthOptions& o) { return {o.ca_file, o.client_cert_file, o.client_key_file}; }

std::string Base64Url(std::string_view bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (bytes.size() - i == 1) {
    uint32_t v = b(i) << 16;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
  }
  return out;
}

// ---- JwtSigner ------------------------------------------------------------------------------------------

struct JwtSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

JwtSigner::~JwtSigner() = default;

Result<std::unique_ptr<JwtSigner>> JwtSigner::FromPemFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return InvalidArgument("cannot read the private key file '" + path + "'");
  EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ERR_clear_error();
  if (pkey == nullptr) return InvalidArgument("'" + path + "' holds no PEM private key (an unencrypted one is needed)");
  std::unique_ptr<JwtSigner> s(new JwtSigner());
  s->key_ = std::make_unique<Key>();
  s->key_->pkey = pkey;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_get_bits(pkey) < 2048) return InvalidArgument("the RSA key in '" + path + "' is shorter than 2048 bits");
    s->alg_ = "RS384";
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group, &len) != 1 ||
        std::string_view(group) != "secp384r1") {
      return InvalidArgument("the EC key in '" + path + "' is not on P-384 (ES384 needs secp384r1)");
    }
    s->alg_ = "ES384";
  } else {
    return InvalidArgument("the private key in '" + path + "' is neither RSA nor EC P-384");
  }
  return s;
}

Result<std::string> JwtSigner::Sign(std::string_view header_json, std::string_view claims_json) const {
  std::string input = Base64Url(header_json) + "." + Base64Url(claims_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return Internal("OpenSSL: out of memory");
  size_t len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    ERR_clear_error();
    return Internal("OpenSSL could not sign the client assertion");
  }
  if (alg_ == "ES384") {
    // OpenSSL gives an ASN.1 DER ECDSA-Sig-Value; JWS wants r || s, each 48 bytes big-endian (RFC 7518 3.4).
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (es == nullptr) return Internal("OpenSSL gave an ECDSA signature that does not decode");
    unsigned char raw[96] = {};
    bool fits = BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 48) == 48 && BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 48, 48) == 48;
    ECDSA_SIG_free(es);
    if (!fits) return Internal("an ECDSA signature component does not fit 48 bytes");
    sig.assign(reinterpret_cast<const char*>(raw), 96);
  }
  return input + "." + Base64Url(sig);
}

// ---- TokenSource ----------------------------------------------------------------------------------------

struct TokenSource::Impl {
  OAuthOptions options;
  std::unique_ptr<JwtSigner> signer;
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  std::string token;
  int64_t expires_at = 0;  // Unix seconds
  ~Impl() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  CURL* NewHandle(const CurlTls& with) {
    CURL* c = NewCurlHandle(options.token_url, options.timeout_ms, with, error);
    if (c != nullptr) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, KeepBody);
    return c;
  }
};

TokenSource::~TokenSource() = default;

Result<std::unique_ptr<TokenSource>> TokenSource::Create(const OAuthOptions& options) {
  if (options.token_url.rfind("https://", 0) != 0 && options.token_url.rfind("http://", 0) != 0) {
    return InvalidArgument("the OAuth token URL must start with https:// (or http:// for a local test)");
  }
  if (options.client_id.empty()) return InvalidArgument("OAuth needs a client id");
  std::unique_ptr<TokenSource> t(new TokenSource());
  t->impl_ = std::make_unique<Impl>();
  t->impl_->options = options;
  CW_ASSIGN_OR_RETURN(t->impl_->signer, JwtSigner::FromPemFile(options.key_file));
  auto tls = LoadCurlTls(TlsFiles(options));
  if (!tls.ok()) return InvalidArgument("token endpoint " + std::string(tls.status().message()));
  CURL* c = t->impl_->curl = t->impl_->NewHandle(*tls);  // libcurl copies the bytes
  if (c == nullptr) return Internal("libcurl could not create a handle");
  return t;
}

Status TokenSource::Renew(std::unique_ptr<JwtSigner> signer, const CurlTls& tls, bool drop_token) {
  CURL* c = impl_->NewHandle(tls);
  if (c == nullptr) return Internal("libcurl could not create a handle");
  curl_easy_cleanup(impl_->curl);
  impl_->curl = c;
  if (signer) impl_->signer = std::move(signer);
  if (drop_token) Invalidate();
  return Status::Ok();
}

void TokenSource::Invalidate() {
  impl_->token.clear();
  impl_->expires_at = 0;
}

Result<std::string> TokenSource::Token(const std::atomic<bool>* abort) {
  Impl& im = *impl_;
  int64_t now = UnixSeconds();
  if (!im.token.empty() && now + 60 < im.expires_at) return im.token;

  unsigned char jti[16];
  if (RAND_bytes(jti, sizeof jti) != 1) return Internal("OpenSSL could not make a random jti");
  nlohmann::json header = {{"alg", std::string(im.signer->alg())}, {"typ", "JWT"}};
  if (!im.options.kid.empty()) header["kid"] = im.options.kid;
  nlohmann::json claims = {{"iss", im.options.client_id}, {"sub", im.options.client_id},
                           {"aud", im.options.token_url}, {"exp", now + 300},
                           {"jti", Hex(jti, sizeof jti)}};
  CW_ASSIGN_OR_RETURN(std::string assertion, im.signer->Sign(header.dump(), claims.dump()));
  std::string form = "grant_type=client_credentials&scope=" + FormEscape(im.curl, im.options.scope) +
                     "&client_assertion_type=" +
                     FormEscape(im.curl, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                     "&client_assertion=" + FormEscape(im.curl, assertion);
  std::string body;
  im.error[0] = '\0';
  curl_easy_setopt(im.curl, CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(im.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
  curl_easy_setopt(im.curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(im.curl, CURLOPT_XFERINFODATA, abort);
  CURLcode code = curl_easy_perform(im.curl);
  if (code == CURLE_ABORTED_BY_CALLBACK) return FailedPrecondition("stopping");
  if (code != CURLE_OK) {
    return IoError("token endpoint: transport: " +
                   (im.error[0] != '\0' ? std::string(im.error) : std::string(curl_easy_strerror(code))));
  }
  long status = 0;
  curl_easy_getinfo(im.curl, CURLINFO_RESPONSE_CODE, &status);
  nlohmann::json answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status != 200) {
    std::string what = "token endpoint: HTTP " + std::to_string(status);
    // The OAuth error code (RFC 6749 5.2) only when it has the shape of one: never free text from the server.
    if (answer.is_object() && answer.contains("error") && answer["error"].is_string()) {
      std::string e = answer["error"];
      bool code_like = !e.empty() && e.size() <= 64 &&
                       e.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
      if (code_like) what += " (" + e + ")";
    }
    return IoError(what);
  }
  if (!answer.is_object() || !answer.contains("access_token") || !answer["access_token"].is_string() ||
      answer["access_token"].get<std::string>().empty()) {
    return IoError("token endpoint: the answer has no access_token");
  }
  int64_t expires_in = 300;  // RFC 6749 makes expires_in optional; SMART recommends 300 s at most
  if (answer.contains("expires_in") && answer["expires_in"].is_number_integer()) {
    expires_in = answer["expires_in"].get<int64_t>();
  }
  im.token = answer["access_token"].get<std::string>();
  im.expires_at = now + expires_in;
  ++fetched_;
  return im.token;
}

}  // namespace crosswalk::serve
