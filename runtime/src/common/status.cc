#include "crosswalk/status.h"

#include <string>

namespace crosswalk {

std::string_view StatusCodeName(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kCorrupt: return "corrupt";
    case StatusCode::kFailedPrecondition: return "failed precondition";
    case StatusCode::kLimitExceeded: return "limit exceeded";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kIoError: return "I/O error";
    case StatusCode::kInternal: return "internal error";
    case StatusCode::kParseError: return "parse error";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string message)
    : Status(code, std::move(message), ErrorContext{}) {}

Status::Status(StatusCode code, std::string message, ErrorContext context) {
  if (code == StatusCode::kOk) return;
  rep_ = std::make_unique<Rep>(Rep{code, std::move(message), std::move(context)});
}

Status::Status(const Status& other) {
  if (other.rep_) rep_ = std::make_unique<Rep>(*other.rep_);
}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

std::string_view Status::message() const noexcept { return rep_ ? std::string_view(rep_->message) : ""; }

const ErrorContext& Status::context() const noexcept {
  static const ErrorContext kEmpty;
  return rep_ ? rep_->context : kEmpty;
}

std::string Status::ToString() const {
  if (!rep_) return "ok";
  std::string out;
  const ErrorContext& c = rep_->context;
  if (!c.map_file.empty()) {
    out += c.map_file;
    if (c.map_line) out += ":" + std::to_string(c.map_line) + ":" + std::to_string(c.map_col);
    out += ": ";
  }
  if (!c.input_position.empty()) out += c.input_position + ": ";
  out += rep_->message;
  return out;
}

}  // namespace crosswalk
