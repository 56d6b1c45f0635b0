#include "serve/curl_handle.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <mutex>

#include "crosswalk/serve.h"

namespace crosswalk::serve {
namespace {

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* abort = static_cast<const std::atomic<bool>*>(user);
  return abort != nullptr && abort->load() ? 1 : 0;
}

// An encrypted key is refused rather than prompting on the terminal for its pass phrase.
int NoPassphrase(char*, int, int, void*) { return -1; }

std::string OpenSslReason() {
  unsigned long e = ERR_peek_last_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "no PEM data";
}

Status ReadPem(const std::string& path, const char* what, std::string* out) {
  if (std::string error = ReadWholeFile(path, out); !error.empty()) {
    return InvalidArgument(std::string("TLS: cannot read the ") + what + " file '" + path + "': " + error);
  }
  return Status::Ok();
}

struct Bio {
  BIO* b;
  explicit Bio(const std::string& bytes) : b(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()))) {}
  ~Bio() { BIO_free(b); }
};

}  // namespace

Result<CurlTls> LoadCurlTls(const CurlTlsFiles& files) {
  CurlTls tls;
  if (files.cert_file.empty() != files.key_file.empty()) {
    return InvalidArgument("TLS: a client certificate needs both its certificate file and its key file");
  }
  if (!files.ca_file.empty()) {
    CW_RETURN_IF_ERROR(ReadPem(files.ca_file, "CA", &tls.ca_pem));
    Bio bio(tls.ca_pem);
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.b, nullptr, NoPassphrase, nullptr);
    int certs = 0;
    for (int i = 0; infos != nullptr && i < sk_X509_INFO_num(infos); ++i) {
      if (sk_X509_INFO_value(infos, i)->x509 != nullptr) ++certs;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (certs == 0) {
      return InvalidArgument("TLS: cannot use the CA file '" + files.ca_file + "': " + OpenSslReason());
    }
    ERR_clear_error();
  }
  if (!files.cert_file.empty()) {
    CW_RETURN_IF_ERROR(ReadPem(files.cert_file, "certificate", &tls.cert_pem));
    CW_RETURN_IF_ERROR(ReadPem(files.key_file, "key", &tls.key_pem));
    Bio cert_bio(tls.cert_pem), key_bio(tls.key_pem);
    X509* cert = PEM_read_bio_X509(cert_bio.b, nullptr, NoPassphrase, nullptr);
    if (cert == nullptr) {
      return InvalidArgument("TLS: cannot use the certificate file '" + files.cert_file + "': " + OpenSslReason());
    }
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.b, nullptr, NoPassphrase, nullptr);
    if (key == nullptr) {
      X509_free(cert);
      return InvalidArgument("TLS: cannot use the key file '" + files.key_file + "': " + OpenSslReason() +
                             " (an unencrypted PEM key is needed)");
    }
    bool match = X509_check_private_key(cert, key) == 1;
    EVP_PKEY_free(key);
    X509_free(cert);
    ERR_clear_error();
    if (!match) return InvalidArgument("TLS: the key in '" + files.key_file + "' does not match the certificate");
  }
  return tls;
}

CURL* NewCurlHandle(const std::string& url, uint64_t timeout_ms, const CurlTls& tls, char* error_buffer) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* c = curl_easy_init();
  if (c == nullptr) return nullptr;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirected POST is not what the server was given
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<uint64_t>(timeout_ms, 10000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "crosswalk-serve");
  auto blob = [&](CURLoption option, const std::string& bytes) {
    curl_blob b{const_cast<char*>(bytes.data()), bytes.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, option, &b);
  };
  if (!tls.ca_pem.empty()) {
    // The blob replaces the CA file, not the CA folder libcurl may be built with: only the given CAs count.
    blob(CURLOPT_CAINFO_BLOB, tls.ca_pem);
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  }
  if (!tls.cert_pem.empty()) {
    blob(CURLOPT_SSLCERT_BLOB, tls.cert_pem);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    blob(CURLOPT_SSLKEY_BLOB, tls.key_pem);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }
  return c;
}

}  // namespace crosswalk::serve
