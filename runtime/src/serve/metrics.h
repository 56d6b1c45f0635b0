// The health and metrics endpoint of `crosswalk serve` (--metrics HOST:PORT): a minimal HTTP/1.0 responder on
// its own thread, for a local scraper (Prometheus) and liveness probes.
//
//   GET /metrics  200, Prometheus text format 0.0.4 (the body a callback renders at each request)
//   GET /health   200 "ok"
//   POST ...,     the admin handler (replays and listings: see ServerCore::Admin), from a loopback peer only
//   GET /dead-letters, GET /rejected    and with the header X-Crosswalk-Admin (which no browser sends
//                 cross-site without a preflight); else 403
//   anything else 404; a request that does not arrive within a second is dropped
//
// One connection at a time, closed after each answer. Bind it to loopback unless the network is trusted:
// GET needs no credentials (it shows counts, never message content); POST is refused to any peer that is
// not on this machine, whatever address the endpoint is bound to.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "crosswalk/status.h"

namespace crosswalk::serve {

// A latency histogram with fixed buckets (1 ms to 10 s), safe to observe from any thread (relaxed atomics).
class LatencyHistogram {
 public:
  static constexpr double kBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static constexpr size_t kBuckets = sizeof(kBounds) / sizeof(kBounds[0]);
  void Observe(double seconds);
  // Appends the Prometheus text of the histogram `name` (with # HELP and # TYPE lines).
  void Render(const char* name, const char* help, std::string* out) const;

 private:
  std::atomic<uint64_t> counts_[kBuckets + 1] = {};  // the last one: above every bound (+Inf only)
  std::atomic<uint64_t> sum_us_{0};
};

class MetricsEndpoint {
 public:
  // Answers an admin request from a loopback peer: takes the method (POST, or GET for a listing), the request
  // target (path and query) and the peer's address, returns the HTTP status (200, 400, 404, 500, 503) and
  // sets the body (plain text; NDJSON for a GET answered 200).
  using AdminHandler = std::function<int(std::string_view method, std::string_view target, std::string_view peer,
                                         std::string* body)>;
  // Binds HOST:PORT (IPv4; port 0 = any free port) and starts answering. kIoError when it cannot bind.
  // Without `admin`, every POST is 405.
  [[nodiscard]] static Result<std::unique_ptr<MetricsEndpoint>> Start(const std::string& host, uint16_t port,
                                                                      std::function<std::string()> render,
                                                                      AdminHandler admin = nullptr);
  ~MetricsEndpoint();  // stops the thread
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  uint16_t port() const { return port_; }

 private:
  MetricsEndpoint() = default;
  void Loop();
  void Answer(int fd, bool loopback, const std::string& peer);

  int fd_ = -1;
  uint16_t port_ = 0;
  std::function<std::string()> render_;
  AdminHandler admin_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace crosswalk::serve
