// Status and Result<T>: how Crosswalk reports an operation that could not be done.
//
// A map author's mistakes are Diagnostics (compiler); our failures are Status; our bugs are assertions.
// Status::Ok() is one null pointer; the payload is heap-allocated only on error. The payload holds a
// message and an ErrorContext (map location, input position). It never holds field values (no PHI).
//
// Thread-safety: a Status is a value; distinct objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace crosswalk {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller passed something unusable (bad option, unknown subcommand)
  kNotFound,            // a file, code, map or resource that was asked for does not exist
  kCorrupt,             // a .cwb file or store record failed verification
  kFailedPrecondition,  // the operation cannot run in this state (unbound store, `fail` in a map)
  kLimitExceeded,       // a named run or load limit was exceeded
  kUnimplemented,       // a feature this build does not have
  kIoError,             // the OS or RocksDB refused an I/O operation
  kInternal,            // a bug in Crosswalk
  kParseError,          // an input message or document is malformed
};

// Returns a stable lower-case name for a code ("corrupt", "limit exceeded", ...).
std::string_view StatusCodeName(StatusCode code) noexcept;

// Where an error happened. Every field is optional (empty / zero when unknown).
struct ErrorContext {
  std::string map_file;  // map source file, from the debug line table
  uint32_t map_line = 0;
  uint32_t map_col = 0;
  std::string function;  // function name in the map
  int64_t pc = -1;       // bytecode pc, -1 when not known
  // Input position: "MSH segment 1, field 9" style text built by the readers. Never field values.
  std::string input_position;
  uint64_t byte_offset = UINT64_MAX;  // offset in the input or file, UINT64_MAX when not known
};

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message);
  Status(StatusCode code, std::string message, ErrorContext context);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() noexcept { return Status(); }

  bool ok() const noexcept { return rep_ == nullptr; }
  StatusCode code() const noexcept { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message without context; empty for Ok.
  std::string_view message() const noexcept;
  // The context; an empty context for Ok.
  const ErrorContext& context() const noexcept;
  ErrorContext* mutable_context() noexcept { return rep_ ? &rep_->context : nullptr; }

  // One line: "[file:line:col: ][input position: ]message".
  std::string ToString() const;

  // Marks an error as deliberately ignored (greppable).
  void IgnoreError() const noexcept {}

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    ErrorContext context;
  };
  std::unique_ptr<Rep> rep_;
};

// Convenience constructors.
inline Status InvalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status Corrupt(std::string m) { return Status(StatusCode::kCorrupt, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status LimitExceeded(std::string m) { return Status(StatusCode::kLimitExceeded, std::move(m)); }
inline Status Unimplemented(std::string m) { return Status(StatusCode::kUnimplemented, std::move(m)); }
inline Status IoError(std::string m) { return Status(StatusCode::kIoError, std::move(m)); }
inline Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
inline Status ParseError(std::string m) { return Status(StatusCode::kParseError, std::move(m)); }

// A value or a non-Ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result built from an Ok status");
  }

  bool ok() const noexcept { return std::holds_alternative<T>(v_); }
  const Status& status() const& noexcept {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Status status() && { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::move(std::get<T>(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace crosswalk

#define CW_STATUS_CONCAT_INNER_(a, b) a##b
#define CW_STATUS_CONCAT_(a, b) CW_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not Ok.
#define CW_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::crosswalk::Status cw_status_tmp_ = (expr);  \
    if (!cw_status_tmp_.ok()) return cw_status_tmp_; \
  } while (0)

// `CW_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a Result or returns its status.
#define CW_ASSIGN_OR_RETURN(lhs, expr) \
  CW_ASSIGN_OR_RETURN_IMPL_(CW_STATUS_CONCAT_(cw_result_, __LINE__), lhs, expr)
#define CW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()
