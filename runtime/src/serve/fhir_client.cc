#include "serve/fhir_client.h"

#include "serve/curl_handle.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>

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

struct FhirClient::Impl {
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  std::vector<std::string> header_lines;   // with OAuth, the list is rebuilt per request with the token
  std::unique_ptr<TokenSource> tokens;
  std::string url;
  char error[CURL_ERROR_SIZE] = {};
  ~Impl() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
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
  im.curl = NewCurlHandle(im.url, options.timeout_ms, options.ca_file, im.error);
  if (im.curl == nullptr) return Internal("libcurl could not create a handle");
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
    OAuthOptions oauth = options.oauth;
    if (oauth.ca_file.empty()) oauth.ca_file = options.ca_file;
    CW_ASSIGN_OR_RETURN(im.tokens, TokenSource::Create(oauth));
  }
  curl_easy_setopt(im.curl, CURLOPT_HTTPHEADER, im.headers);
  curl_easy_setopt(im.curl, CURLOPT_WRITEFUNCTION, DropBody);
  curl_easy_setopt(im.curl, CURLOPT_HEADERFUNCTION, OnHeader);
  return client;
}

FhirClient::~FhirClient() = default;

uint64_t FhirClient::tokens_fetched() const { return impl_->tokens ? impl_->tokens->tokens_fetched() : 0; }

HttpResult FhirClient::Post(std::string_view body, const std::atomic<bool>* abort) {
  HttpResult r;
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
