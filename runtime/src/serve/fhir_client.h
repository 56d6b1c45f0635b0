// Delivery of converted messages to a FHIR R4 server: a transaction Bundle POSTed to the server's base URL
// over HTTP(S) with libcurl, and the retry policy around it.
//
//   FhirClient::Post  -> HttpResult (status, transport error, Retry-After)
//   Classify          -> delivered (2xx) | retry (transport error, timeout, 408, 425, 429, 500, 502, 503, 504)
//                        | dead (any other status: the server refused the content; sending it again won't help)
//   RetryDelayMs      -> exponential backoff with jitter, at least what Retry-After asked for
//
// Nothing of the message reaches a log: results carry the HTTP status and libcurl's error text (host and
// transport only); response bodies are read and dropped (an OperationOutcome may echo patient data).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"
#include "serve/oauth.h"

namespace crosswalk::serve {

struct FhirOptions {
  std::string base_url;              // http:// or https:// ... ; the transaction endpoint (POST [base])
  std::vector<std::string> headers;  // "Name: value" sent with every request (e.g. an Authorization header)
  std::string ca_file;               // PEM bundle to verify the server with; empty = the system's CAs
  uint32_t max_tries = 10;           // attempts before a message becomes a dead letter (>= 1)
  uint64_t timeout_ms = 30000;       // one attempt, connection included
  uint64_t backoff_initial_ms = 1000;
  uint64_t backoff_max_ms = 300000;  // 5 minutes
  // SMART Backend Services (oauth.h): with a token URL, every request carries "Authorization: Bearer TOKEN";
  // a 401 drops the cached token and is retried with a new one.
  OAuthOptions oauth;
};

struct HttpResult {
  long status = 0;                // HTTP status; 0 when no response came (see error)
  std::string error;              // transport error (libcurl's text), empty when a response came
  int64_t retry_after_ms = -1;    // the Retry-After header (seconds or HTTP-date), -1 when absent
  bool aborted = false;           // the abort flag was raised during the attempt (not an attempt: no verdict)
  bool token_refused = false;     // 401 with an OAuth token: the token was dropped, a retry gets a new one
  bool token_failed = false;      // no token could be had (error says why); the FHIR server was not called
};

enum class Verdict { kDelivered, kRetry, kDead };

// What to do after an attempt.
Verdict Classify(const HttpResult& r);
// "HTTP 503" or "transport: <libcurl error>".
std::string Describe(const HttpResult& r);
// The wait before attempt `tries + 1` after `tries` failed ones (tries >= 1): initial * 2^(tries-1) capped at
// backoff_max_ms, scaled by a jitter factor in [0.5, 1.0) from `random` (any 64-bit value), and never less than
// Retry-After (itself capped at 24 hours).
uint64_t RetryDelayMs(const FhirOptions& options, uint32_t tries, int64_t retry_after_ms, uint64_t random);

// One libcurl handle (connections are kept alive between posts). Not thread-safe: one per delivering thread.
class FhirClient {
 public:
  // kInvalidArgument when the URL is not http(s) or a header has no ':'.
  [[nodiscard]] static Result<std::unique_ptr<FhirClient>> Create(const FhirOptions& options);
  ~FhirClient();
  FhirClient(const FhirClient&) = delete;
  FhirClient& operator=(const FhirClient&) = delete;

  // POSTs `body` (a FHIR JSON Bundle) to the base URL. Returns early with aborted = true once *abort is set.
  HttpResult Post(std::string_view body, const std::atomic<bool>* abort);
  // Access tokens fetched so far (0 without OAuth).
  uint64_t tokens_fetched() const;

 private:
  FhirClient() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crosswalk::serve
