// Helpers for the VM tests: compile a map from source, load it, run it through the public API.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk::vmtest {

inline Runtime& TheRuntime() {
  static std::unique_ptr<Runtime> rt = [] {
    auto r = Runtime::Create();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(*r);
  }();
  return *rt;
}

// Compiles `src` (as file "t.cw") and loads it; fails the test on diagnostics.
inline std::shared_ptr<const Program> Build(const std::string& src, const std::string& path = "t.cw") {
  compiler::CompileResult r = compiler::CompileSource(path, src);
  EXPECT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
  if (!r.ok()) return nullptr;
  auto p = TheRuntime().Load(*r.bytecode);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return nullptr;
  return *p;
}

struct Ran {
  Status status;
  RunOutput out;
};

inline Ran RunOn(const Program& program, std::string_view input, const RunOptions& options = {}) {
  RunContext ctx(TheRuntime());
  Ran r;
  r.status = ctx.Run(program, input, options, &r.out);
  return r;
}

// Smallest instruction budget (RunLimits::max_instructions) with which `program` maps `input` under
// `options`: exact and reproducible (the instructions run, plus the work charged by built-ins and the writer).
inline uint64_t SmallestBudget(const Program& program, std::string_view input, RunOptions options = {}) {
  auto ok = [&](uint64_t budget) {
    options.limits.max_instructions = budget;
    return RunOn(program, input, options).status.ok();
  };
  uint64_t lo = 1, hi = 10'000'000;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Compiles and runs; returns the JSON output, or "ERROR: <status>" when the run failed.
inline std::string Eval(const std::string& src, std::string_view input = "{}", const RunOptions& options = {}) {
  auto p = Build(src);
  if (!p) return "COMPILE ERROR";
  Ran r = RunOn(*p, input, options);
  if (!r.status.ok()) return "ERROR: " + r.status.ToString();
  return r.out.json;
}

// A JSON-input map whose body is `body`.
inline std::string JsonMap(const std::string& body, const std::string& defs = "") {
  return "map M : json -> json {\n" + body + "\n}\n" + defs;
}

// HL7 v2 message from lines joined with \r.
inline std::string Hl7(std::initializer_list<std::string_view> segments) {
  std::string s;
  for (auto seg : segments) {
    s.append(seg);
    s.push_back('\r');
  }
  return s;
}

}  // namespace crosswalk::vmtest
