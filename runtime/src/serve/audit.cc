#include "serve/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

namespace crosswalk::serve {
namespace {

bool CodeChar(char c, bool underscore) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (underscore && c == '_');
}

}  // namespace

bool LooksLikeMessageType(std::string_view type) {
  size_t comp = 0, len = 0;
  for (char c : type) {
    if (c == '^') {
      if (len == 0 || ++comp > 2) return false;
      len = 0;
      continue;
    }
    if (!CodeChar(c, comp > 0) || ++len > (comp == 0 ? 3 : 7)) return false;
  }
  return len > 0 && (comp > 0 || len == 3);
}

std::string NowInstant() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::Open(const std::string& dir) {
  std::string path = dir + "/audit.jsonl";
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return IoError("cannot open the audit trail '" + path + "': " + std::strerror(errno));
  return Status::Ok();
}

void AuditLog::Write(const AuditEvent& e) {
  nlohmann::ordered_json j;
  j["time"] = NowInstant();
  j["event"] = e.event;
  if (!e.listener.empty()) j["listener"] = e.listener;
  if (!e.peer.empty()) j["peer"] = e.peer;
  if (e.seq != 0) j["seq"] = e.seq;
  // The sender's control id is an identifier, not content; bounded so a hostile value cannot bloat the trail.
  if (!e.control_id.empty()) j["control_id"] = e.control_id.substr(0, 64);
  if (LooksLikeMessageType(e.type)) j["type"] = e.type;
  if (!e.sha256.empty()) j["sha256"] = e.sha256;
  if (e.bytes >= 0) j["bytes"] = e.bytes;
  if (!e.outcome.empty()) j["outcome"] = e.outcome;
  if (!e.detail.empty()) j["detail"] = e.detail;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return;
  // O_APPEND: one write() per line keeps lines whole even if another process appends too.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size())) ++write_errors_;
}

void AuditLog::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) ++write_errors_;
}

}  // namespace crosswalk::serve
