#include "serve/fhir_client.h"

#include "serve/curl_handle.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace crosswalk::serve {
namespace {

constexpr int64_t kMaxRetryAfterMs = int64_t{24} * 3600 * 1000;

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Retry-After: delay-seconds | HTTP-date (RFC 9110 10.2.3). -1 when it cannot be read.
int64_t ParseRetryAfter(std::string_view v) {
  v = Trim(v);
  if (v.empty()) return -1;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return kMaxRetryAfterMs;
    return std::min<int64_t>(std::strtoll(std::string(v).c_str(), nullptr, 10) * 1000, kMaxRetryAfterMs);
  }
  std::time_t when = curl_getdate(std::string(v).c_str(), nullptr);
  if (when < 0) return -1;
  std::time_t now = std::time(nullptr);
  return when <= now ? 0 : std::min<int64_t>((when - now) * int64_t{1000}, kMaxRetryAfterMs);
}

size_t DropBody(char*, size_t size, size_t n, void*) { return size * n; }

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  if (StartsWithNoCase(line, "retry-after:")) {
    static_cast<HttpResult*>(user)->retry_after_ms = ParseRetryAfter(line.substr(12));
  }
  return size * n;
}

}  // namespace

Verdict Classify(const HttpResult& r) {
  if (r.status == 0 || r.token_refused) return Verdict::kRetry;  // no response: connection refused, timeout, TLS failure, reset
  if (r.status >= 200 && r.status < 300) return Verdict::kDelivered;
  switch (r.status) {
    case 408:  // request timeout
    case 425:  // too early
    case 429:  // too many requests
    case 500:
    case 502:
    case 503:
    case 504:
      return Verdict::kRetry;
    default:
      return Verdict::kDead;
  }
}

std::string Describe(const HttpResult& r) {
  if (r.token_refused) return "HTTP 401 (the access token was refused; a new one will be fetched)";
  if (r.token_failed) return r.error;
  if (r.status != 0) return "HTTP " + std::to_string(r.status);
  return "transport: " + (r.error.empty() ? std::string("no response") : r.error);
}

uint64_t RetryDelayMs(uint64_t initial_ms, uint64_t max_ms, uint32_t tries, int64_t retry_after_ms, uint64_t random) {
  uint64_t delay = std::max<uint64_t>(initial_ms, 1);
  for (uint32_t i = 1; i < tries && delay < max_ms; ++i) delay *= 2;
  delay = std::min(delay, std::max<uint64_t>(max_ms, 1));
  // Jitter in [0.5, 1.0): senders that failed together do not retry together.
  delay = delay / 2 + (delay / 2) * (random % 1024) / 1024;
  if (retry_after_ms >= 0) delay = std::max<uint64_t>(delay, static_cast<uint64_t>(std::min(retry_after_ms, kMaxRetryAfterMs)));
  return delay;
}

uint64_t RetryDelayMs(const FhirOptions& options, uint32_t tries, int64_t retry_after_ms, uint64_t random) {
  return RetryDelayMs(options.backoff_initial_ms, options.backoff_max_ms, tries, retry_after_ms, random);
}

namespace {

// The token endpoint takes the FHIR server's CA and client certificate unless it has its own.
OAuthOptions TokenOptions(const FhirOptions& options) {
  OAuthOptions o = options.oauth;
  if (o.ca_file.empty()) o.ca_file = options.ca_file;
  if (o.client_cert_file.empty() && o.client_key_file.empty()) {
    o.client_cert_file = options.client_cert_file;
    o.client_key_file = options.client_key_file;
  }
  return o;
}

}  // namespace

Status CheckFhirTls(const FhirOptions& options) {
  auto tls = LoadCurlTls({options.ca_file, options.client_cert_file, options.client_key_file});
  if (!tls.ok()) return InvalidArgument("FHIR " + std::string(tls.status().message()));
  if (options.oauth.token_url.empty()) return Status::Ok();
  OAuthOptions o = TokenOptions(options);
  auto token_tls = LoadCurlTls(TlsFiles(o));
  if (!token_tls.ok()) return InvalidArgument("FHIR token endpoint " + std::string(token_tls.status().message()));
  auto signer = JwtSigner::FromPemFile(o.key_file);
  if (!signer.ok()) return InvalidArgument("FHIR SMART key: " + std::string(signer.status().message()));
  return Status::Ok();
}

// What a ReloadTls hands to the delivering thread: the next Post applies it before its request.
struct FhirReload {
  CurlTls tls;                        // the FHIR server's CA and client certificate, read again
  CurlTls token_tls;                  // the token endpoint's (without OAuth: empty)
  std::unique_ptr<JwtSigner> signer;  // the SMART key read again (null without OAuth)
  bool drop_token = false;            // the SMART key or a client certificate changed
};

struct FhirClient::Impl {
  FhirOptions options;                     // ca/cert/key paths, read again by a reload
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  std::vector<std::string> header_lines;   // with OAuth, the list is rebuilt per request with the token
  std::unique_ptr<TokenSource> tokens;
  std::string url;
  char error[CURL_ERROR_SIZE] = {};
  std::mutex reload_mu;                    // ReloadTls (any thread) against Post (the delivering thread)
  std::unique_ptr<FhirReload> reload;      // under reload_mu: taken by the next Post
  std::string fingerprint;                 // under reload_mu: SHA-256 of the SMART key and client certificates
  ~Impl() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  CurlTlsFiles files() const { return {options.ca_file, options.client_cert_file, options.client_key_file}; }
  // Plain http without files or OAuth has nothing to reload.
  bool has_tls() const {
    return StartsWithNoCase(url, "https://") || tokens != nullptr || !options.ca_file.empty() ||
           !options.client_cert_file.empty();
  }
  CURL* NewHandle(const CurlTls& with) {
    CURL* c = NewCurlHandle(url, options.timeout_ms, with, error);
    if (c == nullptr) return nullptr;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, DropBody);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    return c;
  }
  // Whether a cached token may have been bound to what changed (the SMART key, a client certificate):
  // their bytes, hashed, never logged.
  std::string Fingerprint(const CurlTls& fhir_tls, const CurlTls& token_tls) const {
    std::string key;
    if (!options.oauth.key_file.empty() && !ReadWholeFile(options.oauth.key_file, &key).empty()) key.clear();
    return Sha256Hex(Sha256Hex(key) + Sha256Hex(fhir_tls.cert_pem) + Sha256Hex(token_tls.cert_pem));
  }
};

Result<std::unique_ptr<FhirClient>> FhirClient::Create(const FhirOptions& options) {
  std::string url = options.base_url;
  if (!StartsWithNoCase(url, "http://") && !StartsWithNoCase(url, "https://")) {
    return InvalidArgument("the FHIR base URL must start with http:// or https://");
  }
  while (url.size() > 8 && url.back() == '/') url.pop_back();
  if (options.max_tries == 0) return InvalidArgument("the FHIR delivery needs at least one try");
  std::unique_ptr<FhirClient> client(new FhirClient());
  client->impl_ = std::make_unique<Impl>();
  Impl& im = *client->impl_;
  im.url = std::move(url);
  im.options = options;
  im.options.oauth = TokenOptions(options);
  // Checked here, with OpenSSL, so that a file that cannot be used stops the start naming it, instead of
  // every attempt failing in libcurl.
  auto tls = LoadCurlTls(im.files());
  if (!tls.ok()) return InvalidArgument("FHIR " + std::string(tls.status().message()));
  im.headers = curl_slist_append(im.headers, "Content-Type: application/fhir+json");
  im.headers = curl_slist_append(im.headers, "Accept: application/fhir+json");
  im.headers = curl_slist_append(im.headers, "Expect:");  // no 100-continue round trip before the body
  for (const std::string& h : options.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || h.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgument("a FHIR header must be 'Name: value' on one line");
    }
    im.headers = curl_slist_append(im.headers, h.c_str());
    im.header_lines.push_back(h);
  }
  if (!options.oauth.token_url.empty()) {
    CW_ASSIGN_OR_RETURN(im.tokens, TokenSource::Create(im.options.oauth));
  }
  im.curl = im.NewHandle(*tls);  // libcurl copies the bytes
  if (im.curl == nullptr) return Internal("libcurl could not create a handle");
  im.fingerprint = im.Fingerprint(*tls, CurlTls{});
  if (im.tokens) {
    auto token_tls = LoadCurlTls(TlsFiles(im.options.oauth));  // read once more only for the fingerprint
    if (token_tls.ok()) im.fingerprint = im.Fingerprint(*tls, *token_tls);
  }
  return client;
}

FhirClient::~FhirClient() = default;

uint64_t FhirClient::tokens_fetched() const { return impl_->tokens ? impl_->tokens->tokens_fetched() : 0; }

Status FhirClient::ReloadTls(bool* reloaded) {
  if (reloaded != nullptr) *reloaded = false;
  Impl& im = *impl_;
  if (!im.has_tls()) return Status::Ok();
  // Everything is checked before anything is handed over: a damaged file leaves the files in use in use.
  auto next = std::make_unique<FhirReload>();
  auto tls = LoadCurlTls(im.files());
  if (!tls.ok()) return InvalidArgument("FHIR " + std::string(tls.status().message()));
  next->tls = std::move(*tls);
  if (im.tokens) {
    auto token_tls = LoadCurlTls(TlsFiles(im.options.oauth));
    if (!token_tls.ok()) return InvalidArgument("FHIR token endpoint " + std::string(token_tls.status().message()));
    next->token_tls = std::move(*token_tls);
    auto signer = JwtSigner::FromPemFile(im.options.oauth.key_file);
    if (!signer.ok()) return InvalidArgument("FHIR SMART key: " + std::string(signer.status().message()));
    next->signer = std::move(*signer);
  }
  std::string fingerprint = im.Fingerprint(next->tls, next->token_tls);
  std::lock_guard<std::mutex> lock(im.reload_mu);
  // Two reloads before the next Post: the token is dropped if either changed something.
  next->drop_token = fingerprint != im.fingerprint || (im.reload != nullptr && im.reload->drop_token);
  im.fingerprint = std::move(fingerprint);
  im.reload = std::move(next);
  if (reloaded != nullptr) *reloaded = true;
  return Status::Ok();
}

HttpResult FhirClient::Post(std::string_view body, const std::atomic<bool>* abort) {
  HttpResult r;
  std::unique_ptr<FhirReload> reload;
  {
    std::lock_guard<std::mutex> lock(impl_->reload_mu);
    reload = std::move(impl_->reload);
  }
  if (reload) {
    // A new handle with the new bytes: no kept connection, no cached CA store or TLS session. If libcurl
    // cannot make one (out of memory), the old handle goes on with what it has.
    if (CURL* fresh = impl_->NewHandle(reload->tls); fresh != nullptr) {
      curl_easy_cleanup(impl_->curl);
      impl_->curl = fresh;
    }
    if (impl_->tokens) {
      // Fails only when libcurl cannot make a handle; then nothing changed and the old key and handle go on.
      (void)impl_->tokens->Renew(std::move(reload->signer), reload->token_tls, reload->drop_token);
    }
  }
  CURL* c = impl_->curl;
  impl_->error[0] = '\0';
  curl_slist* with_token = nullptr;
  if (impl_->tokens) {
    Result<std::string> token = impl_->tokens->Token(abort);
    if (!token.ok()) {
      if (token.status().code() == StatusCode::kFailedPrecondition) {
        r.aborted = true;
      } else {
        r.error = std::string(token.status().message());
        r.token_failed = true;
      }
      return r;
    }
    for (const char* h : {"Content-Type: application/fhir+json", "Accept: application/fhir+json", "Expect:"}) {
      with_token = curl_slist_append(with_token, h);
    }
    for (const std::string& h : impl_->header_lines) with_token = curl_slist_append(with_token, h.c_str());
    with_token = curl_slist_append(with_token, ("Authorization: Bearer " + *token).c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, with_token);
  }
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, abort);
  CURLcode code = curl_easy_perform(c);
  if (with_token != nullptr) {
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, impl_->headers);
    curl_slist_free_all(with_token);
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    r.aborted = true;
    return r;
  }
  if (code != CURLE_OK) {
    r.error = impl_->error[0] != '\0' ? std::string(impl_->error) : std::string(curl_easy_strerror(code));
    r.retry_after_ms = -1;
    return r;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  if (r.status == 401 && impl_->tokens) {
    impl_->tokens->Invalidate();
    r.token_refused = true;
  }
  return r;
}

}  // namespace crosswalk::serve
