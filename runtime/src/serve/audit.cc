#include "serve/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "json/json_writer.h"
#include "serve/log.h"
#include "serve/log_json.h"

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

std::vector<AuditField> AuditFields(const AuditEvent& e) {
  std::vector<AuditField> f;
  auto text = [&](std::string_view key, std::string_view v) {
    if (!v.empty()) f.push_back({key, std::string(v), false});
  };
  text("listener", e.listener);
  text("peer", e.peer);
  if (e.seq != 0) f.push_back({"seq", std::to_string(e.seq), true});
  // The sender's control id is an identifier, not content; bounded so a hostile value cannot bloat the trail.
  text("control_id", e.control_id.substr(0, 64));
  if (LooksLikeMessageType(e.type)) text("type", e.type);
  text("sha256", e.sha256);
  if (e.bytes >= 0) f.push_back({"bytes", std::to_string(e.bytes), true});
  text("outcome", e.outcome);
  text("detail", e.detail);
  return f;
}

void AppendAuditFields(const AuditEvent& e, nlohmann::ordered_json* j) {
  for (AuditField& f : AuditFields(e)) {
    if (f.number) {
      (*j)[std::string(f.key)] = std::stoull(f.value);
    } else {
      (*j)[std::string(f.key)] = std::move(f.value);
    }
  }
}

void AppendAuditJson(std::string_view time, std::string_view level, const AuditEvent& e, std::string* out) {
  out->append("{\"time\":");
  vm::AppendJsonString(time, out);
  if (!level.empty()) {
    out->append(",\"level\":");
    vm::AppendJsonString(level, out);
  }
  out->append(",\"event\":");
  vm::AppendJsonString(e.event, out);
  for (const AuditField& f : AuditFields(e)) {
    out->append(",\"");
    out->append(f.key);  // a key of AuditFields: plain ASCII
    out->append("\":");
    if (f.number) {
      out->append(f.value);  // decimal digits (std::to_string of an integer)
    } else {
      vm::AppendJsonString(f.value, out);
    }
  }
  out->push_back('}');
}

void AuditLog::Write(const AuditEvent& e) {
  if (logger_ != nullptr) logger_->Write(LevelOfAuditEvent(e), e);
  std::string line;
  line.reserve(256);
  AppendAuditJson(NowInstant(), {}, e, &line);
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
