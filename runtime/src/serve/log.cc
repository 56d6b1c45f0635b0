#include "serve/log.h"

#include <unistd.h>

#include <cerrno>

#include "json/json_writer.h"
#include "serve/audit.h"

namespace crosswalk::serve {
namespace {

// A text value: bare when it is one word of safe characters, else a JSON string (quotes and escapes).
void AppendTextValue(std::string_view v, std::string* out) {
  bool bare = !v.empty();
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out->append(v.data(), v.size());
  } else {
    vm::AppendJsonString(v, out);
  }
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  if (text == "debug") *out = LogLevel::kDebug;
  else if (text == "info") *out = LogLevel::kInfo;
  else if (text == "warn") *out = LogLevel::kWarn;
  else if (text == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

bool ParseLogFormat(std::string_view text, LogFormat* out) {
  if (text == "json") *out = LogFormat::kJson;
  else if (text == "text") *out = LogFormat::kText;
  else return false;
  return true;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

LogLevel LevelOfAuditEvent(const AuditEvent& e) {
  std::string_view ev = e.event;
  if (ev == "error" || ev == "dead-lettered") return LogLevel::kError;
  if (ev == "received") {
    if (e.outcome == "store-failed") return LogLevel::kError;
    if (e.outcome == "malformed" || e.outcome == "too-large") return LogLevel::kWarn;
    return LogLevel::kDebug;
  }
  if (ev == "refused" || ev == "tls-failed" || ev == "rejected" || ev == "retry") return LogLevel::kWarn;
  return LogLevel::kDebug;
}

void Logger::Write(LogLevel level, const AuditEvent& e) const {
  if (!enabled(level)) return;
  std::string line;
  if (format_ == LogFormat::kJson) {
    AppendAuditJson(NowInstant(), LogLevelName(level), e, &line);
  } else {
    line = prefix_;
    line += LogLevelName(level);
    line += ' ';
    line += e.event;
    for (const AuditField& f : AuditFields(e)) {
      line += ' ';
      line += f.key;
      line += '=';
      AppendTextValue(f.value, &line);
    }
  }
  Emit(std::move(line));
}

void Logger::Say(LogLevel level, std::string_view event, std::string_view message, std::string_view listener) const {
  if (!enabled(level)) return;
  std::string line;
  if (format_ == LogFormat::kJson) {
    AppendAuditJson(NowInstant(), LogLevelName(level), {.event = event, .listener = listener, .detail = message},
                    &line);
  } else {
    line = prefix_;
    line.append(message.data(), message.size());
  }
  Emit(std::move(line));
}

void Logger::Emit(std::string line) const {
  line += '\n';
  size_t off = 0;
  while (off < line.size()) {  // one write() in practice; a pipe may take less
    ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace crosswalk::serve
