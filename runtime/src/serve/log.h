// Structured logs of `crosswalk serve` on stderr: one line per event, JSON or text, filtered by level.
//
//   {"time":"2026-11-30T06:10:00.123Z","level":"warn","event":"retry","listener":"mllp:127.0.0.1:2575",
//    "seq":7,"control_id":"MSG00001","detail":"HTTP 503; try 1 of 10, next in 734 ms"}
//   2026-11-30T06:10:00.123Z warn retry listener=mllp:127.0.0.1:2575 seq=7 control_id=MSG00001 detail="HTTP 503; ..."
//
// The lines carry what an audit event may carry (AuditEvent: ids, hashes, counts, reasons that name
// positions and limits), never message content. The audit trail forwards each of its events here at the
// level LevelOfAuditEvent gives; the tool adds its own (listening, reloaded, stopped).
//
// Thread-safe: each line is one write() to the descriptor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "serve/audit.h"

namespace crosswalk::serve {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kJson, kText };

// "debug", "info", "warn", "error" -> *out; false for another word.
bool ParseLogLevel(std::string_view text, LogLevel* out);
// "json", "text" -> *out; false for another word.
bool ParseLogFormat(std::string_view text, LogFormat* out);
std::string_view LogLevelName(LogLevel level);

// The level an audit event is logged at: error for failures that need someone (error, dead-lettered,
// received/store-failed), warn for refusals and retries (refused, tls-failed, rejected, retry, received/
// malformed or too-large), debug for the rest (connection and per-message steps; recovered, stopped and
// reloaded, which the tool reports itself at info).
LogLevel LevelOfAuditEvent(const AuditEvent& e);

class Logger {
 public:
  // Lines at `level` or above go to `fd` (not owned) in `format`; text lines start with `prefix`.
  Logger(LogLevel level, LogFormat format, int fd = 2, std::string prefix = "crosswalk serve: ")
      : level_(level), format_(format), fd_(fd), prefix_(std::move(prefix)) {}

  bool enabled(LogLevel level) const { return level >= level_; }
  LogFormat format() const { return format_; }
  // Writes `e` as one line when `level` is enabled: JSON {"time","level","event",fields...}, or text
  // "PREFIX LEVEL EVENT key=value ...".
  void Write(LogLevel level, const AuditEvent& e) const;
  // A line of the tool's own (start, reload, stop): JSON {"time","level","event","listener","detail":
  // message}, or text "PREFIX message" (the human form the tool printed before logs had levels).
  void Say(LogLevel level, std::string_view event, std::string_view message, std::string_view listener = {}) const;

 private:
  void Emit(std::string line) const;
  LogLevel level_;
  LogFormat format_;
  int fd_;
  std::string prefix_;
};

}  // namespace crosswalk::serve
