// The libcurl easy handle every HTTP call of `crosswalk serve` starts from (FHIR delivery, OAuth tokens):
// http/https only, no redirects, no signals, a whole-request timeout, the caller's CA bundle, libcurl's error
// text in `error_buffer` (CURL_ERROR_SIZE bytes), an abort flag polled during the transfer, and a client
// certificate for mutual TLS.
//
// The PEM files are read once, by LoadCurlTls, checked with OpenSSL, and given to libcurl as bytes
// (CURLOPT_*_BLOB), never as paths: libcurl reads a path again at each new connection (and caches a CA file
// by path for a day), so a file damaged on disk after a refused reload would break the next connection. With
// the bytes, what was checked is what is used, until a reload hands over a new handle with new bytes.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "crosswalk/status.h"

namespace crosswalk::serve {

struct CurlTlsFiles {
  std::string ca_file;    // PEM CAs; empty = the system's
  std::string cert_file;  // PEM client certificate, then its chain; empty = none (then key_file is empty too)
  std::string key_file;   // its PEM private key (unencrypted)
};

// The files' bytes, checked. Holds a private key: never logged, never copied into a message.
struct CurlTls {
  std::string ca_pem, cert_pem, key_pem;  // empty when the file is not given
};

// Reads and checks the files: the CA file holds at least one certificate, the certificate and the key load
// and the key is the certificate's. kInvalidArgument naming the file, never its content ("TLS: cannot use the
// CA file 'x': ..."). An empty CurlTls when no file is given.
[[nodiscard]] Result<CurlTls> LoadCurlTls(const CurlTlsFiles& files);

// nullptr when libcurl cannot make a handle. Set CURLOPT_XFERINFODATA to a `const std::atomic<bool>*` (or
// nullptr) before each transfer: the transfer stops with CURLE_ABORTED_BY_CALLBACK once it is true. libcurl
// copies the TLS bytes.
CURL* NewCurlHandle(const std::string& url, uint64_t timeout_ms, const CurlTls& tls, char* error_buffer);

}  // namespace crosswalk::serve
