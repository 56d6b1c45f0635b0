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
//
// Declared in the public crosswalk/serve.h (FhirOptions, HttpResult, Verdict, Classify, Describe, RetryDelayMs,
// FhirClient); this internal name stays for the server's sources.
#pragma once

#include "crosswalk/serve.h"
#include "crosswalk/status.h"

namespace crosswalk::serve {

// Checks what FhirClient::ReloadTls would take (the CA, the client certificate and key, the token
// endpoint's, the SMART key) without handing anything over: Server::ReloadTls checks every destination's
// files before any of them takes its own. The same errors as ReloadTls.
[[nodiscard]] Status CheckFhirTls(const FhirOptions& options);

}  // namespace crosswalk::serve
#include "serve/oauth.h"
