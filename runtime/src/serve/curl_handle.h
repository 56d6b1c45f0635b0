// The libcurl easy handle every HTTP call of `crosswalk serve` starts from (FHIR delivery, OAuth tokens):
// http/https only, no redirects, no signals, a whole-request timeout, the caller's CA bundle, libcurl's error
// text in `error_buffer` (CURL_ERROR_SIZE bytes), and an abort flag polled during the transfer.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace crosswalk::serve {

// nullptr when libcurl cannot make a handle. Set CURLOPT_XFERINFODATA to a `const std::atomic<bool>*` (or
// nullptr) before each transfer: the transfer stops with CURLE_ABORTED_BY_CALLBACK once it is true.
CURL* NewCurlHandle(const std::string& url, uint64_t timeout_ms, const std::string& ca_file, char* error_buffer);

}  // namespace crosswalk::serve
