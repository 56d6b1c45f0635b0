// The configuration file of `crosswalk serve --config FILE` (JSON): one or more listeners, each bound to its
// program, terminology store, map, inbox, outputs and limits. docs/serve.md ("Configuration file") is the
// reference; an example:
//
//   {
//     "log": {"level": "info", "format": "json"},
//     "workers": 4,
//     "listeners": [
//       {"name": "adt", "mllp": "0.0.0.0:2575", "program": "hl7v2-to-fhir.cwb", "term": "terminology",
//        "inbox": "inbox-adt", "workers": 2,
//        "outputs": {"dir": "out-adt", "ndjson": "adt.ndjson", "fhir": {"base": "https://fhir.example.org/r4"}},
//        "limits": {"max_pending": 5000}}
//     ]
//   }
//
// Relative paths are taken from the folder of the configuration file. Every listener has its own inbox,
// program, outputs and audit trail (ServerOptions); they share the process, its worker pool ("workers") and
// the log; the metrics of each one are apart. An unknown key, a value of the wrong type or range, or two listeners on the same address,
// inbox, output folder or NDJSON file is an error naming the key's path ("listeners[1].outputs.dir: ...").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"
#include "serve/log.h"
#include "serve/server.h"

namespace crosswalk::serve {

struct ListenerConfig {
  std::string name;          // "listeners[i]" when not given; names the listener in logs
  std::string program_path;  // the .cwb (reloaded from this path on SIGHUP)
  std::string term_dir;      // the terminology store ("" = none; reopened on SIGHUP)
  bool allow_term_drift = false;  // load a program whose terminology content changed (a warning)
  ServerOptions options;     // host/port, inbox, outputs, limits, FHIR, TLS, metrics, run options
  bool workers_given = false;  // the listener has a "workers" key (its cap on the shared pool)
};

struct ServeConfig {
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  bool log_given = false;  // the file has a "log" object
  // The process's worker threads, shared by every listener (top-level "workers"); 0 when not given, and then
  // PoolSize() sums the listeners' "workers" (1 for a listener without one).
  unsigned workers = 0;
  std::vector<ListenerConfig> listeners;
};

// The size of the process's shared worker pool: `workers` when given, else the sum over the listeners of
// their "workers" (1 each by default), at most 1024. A listener's "workers" is its cap on the pool (the most
// threads that run its messages at once); the caller sets the pool's size for a listener that gives none.
unsigned PoolSize(const ServeConfig& config);

// Parses the configuration text; `base_dir` resolves relative paths. kInvalidArgument with the key's path.
[[nodiscard]] Result<ServeConfig> ParseServeConfig(std::string_view text, const std::string& base_dir);

// "HOST:PORT" or "[IPv6]:PORT" -> host (without the brackets), port; false when it has another form (an IPv6
// address needs its brackets).
bool ParseHostPort(std::string_view text, std::string* host, uint16_t* port);

}  // namespace crosswalk::serve
