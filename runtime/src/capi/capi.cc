// The C API shim: catches everything, maps Status codes to cw_status.
#include "crosswalk/crosswalk.h"

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "crosswalk/runtime.h"

struct cw_runtime {
  std::unique_ptr<crosswalk::Runtime> rt;
};
struct cw_program {
  std::shared_ptr<const crosswalk::Program> program;
};
struct cw_context {
  std::unique_ptr<crosswalk::RunContext> ctx;
  crosswalk::RunOutput out;
};

namespace {

thread_local std::string g_last_error;

cw_status Fail(const crosswalk::Status& s) {
  g_last_error = s.ToString();
  return static_cast<cw_status>(static_cast<int>(s.code()));
}
cw_status Ok() {
  g_last_error.clear();
  return CW_OK;
}
cw_status FailText(cw_status code, const char* text) {
  g_last_error = text;
  return code;
}

template <typename Fn>
cw_status Guard(Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return FailText(CW_LIMIT_EXCEEDED, "out of memory");
  } catch (const std::exception& e) {
    g_last_error = std::string("internal error: ") + e.what();
    return CW_INTERNAL;
  } catch (...) {
    return FailText(CW_INTERNAL, "internal error");
  }
}

static_assert(static_cast<int>(crosswalk::StatusCode::kParseError) == CW_PARSE_ERROR);
static_assert(static_cast<int>(crosswalk::StatusCode::kInternal) == CW_INTERNAL);

}  // namespace

extern "C" {

const char* cw_last_error(void) { return g_last_error.c_str(); }

cw_status cw_runtime_create(const char* dir, size_t dir_len, cw_runtime** out) {
  return Guard([&] {
    if (out == nullptr || (dir == nullptr && dir_len != 0)) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    crosswalk::RuntimeOptions o;
    if (dir_len) o.terminology_dir.assign(dir, dir_len);
    auto rt = crosswalk::Runtime::Create(o);
    if (!rt.ok()) return Fail(rt.status());
    *out = new cw_runtime{std::move(rt).value()};
    return Ok();
  });
}

void cw_runtime_destroy(cw_runtime* runtime) { delete runtime; }

cw_status cw_program_load(cw_runtime* runtime, const void* bytes, size_t len, cw_program** out) {
  return Guard([&] {
    if (runtime == nullptr || out == nullptr || (bytes == nullptr && len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    auto p = runtime->rt->Load(std::string_view(static_cast<const char*>(bytes), len));
    if (!p.ok()) return Fail(p.status());
    *out = new cw_program{std::move(p).value()};
    return Ok();
  });
}

void cw_program_destroy(cw_program* program) { delete program; }

cw_status cw_context_create(cw_runtime* runtime, cw_context** out) {
  return Guard([&] {
    if (runtime == nullptr || out == nullptr) return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    *out = new cw_context{std::make_unique<crosswalk::RunContext>(*runtime->rt), {}};
    return Ok();
  });
}

void cw_context_destroy(cw_context* context) { delete context; }

cw_status cw_run(cw_context* context, const cw_program* program, const char* input, size_t input_len,
                 const char** output, size_t* output_len) {
  return Guard([&] {
    if (context == nullptr || program == nullptr || output == nullptr || output_len == nullptr ||
        (input == nullptr && input_len != 0)) {
      return FailText(CW_INVALID_ARGUMENT, "NULL argument");
    }
    crosswalk::Status s =
        context->ctx->Run(*program->program, std::string_view(input, input_len), crosswalk::RunOptions{}, &context->out);
    if (!s.ok()) return Fail(s);
    *output = context->out.json.data();
    *output_len = context->out.json.size();
    return Ok();
  });
}

}  // extern "C"
