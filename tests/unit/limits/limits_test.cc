// Every documented limit at N and N+1 (Wren's test/limit): RunLimits (instructions, call depth, output bytes,
// arena bytes), CompileOptions (source bytes, nesting, errors) and registers per function (255). Exceeding a
// limit gives a named error (kLimitExceeded at run time, a diagnostic code at compile time).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk {
namespace {

using compiler::CompileOptions;
using compiler::CompileResult;
using compiler::CompileSource;
using compiler::FormatDiagnostics;

Runtime& Rt() {
  static std::unique_ptr<Runtime> rt = std::move(Runtime::Create()).value();
  return *rt;
}

std::shared_ptr<const Program> Build(const std::string& src) {
  CompileResult r = CompileSource("limits.cw", src);
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  if (!r.ok()) return nullptr;
  auto p = Rt().Load(*r.bytecode);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : nullptr;
}

Status RunWith(const Program& p, std::string_view input, const RunLimits& limits, RunOutput* out = nullptr) {
  RunContext ctx(Rt());
  RunOutput local;
  RunOptions o;
  o.limits = limits;
  return ctx.Run(p, input, o, out ? out : &local);
}

// Smallest value in [lo, hi] for which ok(value) holds, assuming monotonicity; hi must be ok.
uint64_t SmallestOk(uint64_t lo, uint64_t hi, const std::function<bool(uint64_t)>& ok) {
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ---- run limits -----------------------------------------------------------------------------------------

const char* kRecursive = R"(map M : json -> json {
  d: Down(input.n)
}
def Down(n) = if n <= 0 then 0 else 1 + Down(n - 1)
)";

TEST(RunLimit, InstructionsExactlyAtTheBudget) {
  auto p = Build(kRecursive);
  ASSERT_TRUE(p);
  const std::string in = R"({"n":50})";
  auto ok = [&](uint64_t budget) {
    RunLimits l;
    l.max_instructions = budget;
    return RunWith(*p, in, l).ok();
  };
  uint64_t n = SmallestOk(1, 1'000'000, ok);
  ASSERT_GT(n, 100u) << "50 calls take more than 100 instructions";
  RunLimits l;
  l.max_instructions = n;
  RunOutput out;
  Status at = RunWith(*p, in, l, &out);
  ASSERT_TRUE(at.ok()) << at.ToString();
  EXPECT_EQ(out.json, R"({"d":50})");
  l.max_instructions = n - 1;
  Status over = RunWith(*p, in, l);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.code(), StatusCode::kLimitExceeded) << over.ToString();
  EXPECT_NE(over.ToString().find("instruction"), std::string::npos) << over.ToString();
  EXPECT_EQ(over.context().map_file, "limits.cw") << over.ToString();
  EXPECT_GT(over.context().map_line, 0u) << over.ToString();
  // The count is a property of the program and input: the same budget gives the same answer every time.
  l.max_instructions = n;
  EXPECT_TRUE(RunWith(*p, in, l).ok());
}

TEST(RunLimit, InstructionsStopAnInfiniteLoop) {
  auto p = Build("map M : json -> json {\n  a: Forever(1)\n}\ndef Forever(n) = if n > 0 then Forever(n) else 0\n");
  ASSERT_TRUE(p);
  RunLimits l;
  l.max_instructions = 100'000;
  l.max_call_depth = 1'000'000;  // only the instruction budget can stop it... unless tail calls grow the stack
  Status s = RunWith(*p, "{}", l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.ToString();
  EXPECT_EQ(s.context().map_line, 4u) << s.ToString();
}

TEST(RunLimit, CallDepthExactlyAtTheLimit) {
  auto p = Build(kRecursive);
  ASSERT_TRUE(p);
  for (uint32_t limit : {10u, 200u}) {
    SCOPED_TRACE(limit);
    RunLimits l;
    l.max_call_depth = limit;
    // Down(k) makes k+1 nested calls of Down under the map's own frame.
    uint64_t deepest_ok = 0;
    for (uint64_t k = 0; k < limit + 5; ++k) {
      if (RunWith(*p, R"({"n":)" + std::to_string(k) + "}", l).ok()) deepest_ok = k;
      else break;
    }
    // Nested calls = deepest_ok + 1; the map frame is depth 1 or 0 depending on the convention.
    uint64_t calls = deepest_ok + 1;
    EXPECT_TRUE(calls == limit || calls == limit - 1) << "deepest ok recursion: Down(" << deepest_ok << ")";
    Status over = RunWith(*p, R"({"n":)" + std::to_string(deepest_ok + 1) + "}", l);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.code(), StatusCode::kLimitExceeded) << over.ToString();
    EXPECT_NE(over.ToString().find("call depth"), std::string::npos) << over.ToString();
    EXPECT_EQ(over.context().map_file, "limits.cw");
    EXPECT_EQ(over.context().map_line, 4u) << over.ToString();
  }
}

TEST(RunLimit, CallDepthCountsTheMapFrameAsOne) {
  // Pins the convention: with max_call_depth = N, a chain of exactly N - 1 user calls under the map succeeds.
  auto p = Build(kRecursive);
  ASSERT_TRUE(p);
  RunLimits l;
  l.max_call_depth = 10;
  Status nine = RunWith(*p, R"({"n":8})", l);   // Down(8)..Down(0): 9 calls + the map = 10 frames
  Status ten = RunWith(*p, R"({"n":9})", l);    // 10 calls + the map = 11 frames
  EXPECT_TRUE(nine.ok()) << nine.ToString();
  EXPECT_FALSE(ten.ok());
}

TEST(RunLimit, OutputBytesExactly) {
  auto p = Build("map M : json -> json {\n  s: input.s\n  xs: for x in input.xs => x\n}\n");
  ASSERT_TRUE(p);
  const std::string in = R"({"s":"abcdefghij","xs":[1,2,3,4,5,6,7,8,9,10]})";
  RunOutput out;
  ASSERT_TRUE(RunWith(*p, in, {}, &out).ok());
  const uint64_t size = out.json.size();
  EXPECT_EQ(out.json, R"({"s":"abcdefghij","xs":[1,2,3,4,5,6,7,8,9,10]})");
  RunLimits l;
  l.max_output_bytes = size;
  Status at = RunWith(*p, in, l, &out);
  EXPECT_TRUE(at.ok()) << at.ToString();
  l.max_output_bytes = size - 1;
  Status over = RunWith(*p, in, l);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.code(), StatusCode::kLimitExceeded) << over.ToString();
  EXPECT_NE(over.ToString().find("output"), std::string::npos) << over.ToString();
}

TEST(RunLimit, ArenaBytesExactly) {
  auto p = Build("map M : json -> json {\n  xs: for x in input.xs => { v: x, s: \"item ${x}\" }\n}\n");
  ASSERT_TRUE(p);
  std::string in = R"({"xs":[)";
  for (int i = 0; i < 2000; ++i) in += (i ? "," : "") + std::to_string(i);
  in += "]}";
  auto ok = [&](uint64_t bytes) {
    RunLimits l;
    l.max_arena_bytes = bytes;
    return RunWith(*p, in, l).ok();
  };
  uint64_t n = SmallestOk(1, uint64_t{256} << 20, ok);
  ASSERT_GT(n, 1000u);
  EXPECT_TRUE(ok(n));
  RunLimits l;
  l.max_arena_bytes = n - 1;
  Status over = RunWith(*p, in, l);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.code(), StatusCode::kLimitExceeded) << over.ToString();
  EXPECT_NE(over.ToString().find("memory"), std::string::npos) << over.ToString();
  // A fresh context with the exact budget still succeeds (the count does not depend on history).
  EXPECT_TRUE(ok(n));
}

// ---- compile limits -------------------------------------------------------------------------------------

std::string Codes(const CompileResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.code + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + " ";
  return s;
}

TEST(CompileLimit, SourceBytesExactly) {
  std::string src = "map M : json -> json { a: 1 }\n";
  src += "//" + std::string(1000, 'x') + "\n";
  CompileOptions o;
  o.max_source_bytes = src.size();
  CompileResult at = CompileSource("t.cw", src, o);
  EXPECT_TRUE(at.ok()) << FormatDiagnostics(at);
  o.max_source_bytes = src.size() - 1;
  CompileResult over = CompileSource("t.cw", src, o);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(Codes(over), "E0002@1:1 ");
}

std::string Nested(int depth) {
  return "map M : json -> json {\n  a: " + std::string(depth, '(') + "1" + std::string(depth, ')') + "\n}\n";
}
std::string NestedObjects(int depth) {
  std::string s = "map M : json -> json {\n  a: ";
  for (int i = 0; i < depth; ++i) s += "{ k: ";
  s += "1";
  for (int i = 0; i < depth; ++i) s += " }";
  return s + "\n}\n";
}

std::string NestedIfs(int depth) {
  std::string s = "map M : json -> json {\n";
  for (int i = 0; i < depth; ++i) s += "if input.a { ";
  s += "k: 1";
  for (int i = 0; i < depth; ++i) s += " }";
  return s + "\n}\n";
}

TEST(CompileLimit, NestingExactly) {
  // Parentheses cost one level each; the map body, the field and the expression take the first three. So with
  // max_nesting = N, N - 3 parentheses compile and N - 2 give E0003 — for every N.
  for (uint32_t limit : {20u, 21u, 200u}) {
    SCOPED_TRACE(limit);
    CompileOptions o;
    o.max_nesting = limit;
    int at = static_cast<int>(limit) - 3;
    CompileResult ok = CompileSource("t.cw", Nested(at), o);
    EXPECT_TRUE(ok.ok()) << FormatDiagnostics(ok);
    CompileResult over = CompileSource("t.cw", Nested(at + 1), o);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(Codes(over), "E0003@2:" + std::to_string(7 + at) + " ") << "the caret is on the innermost operand";
  }
}

TEST(CompileLimit, NestingOfObjectsAndBlocks) {
  // Object literals and if blocks are nested too; each is rejected with E0003 past the limit, and a larger
  // limit admits more.
  for (auto make : {&NestedObjects, &NestedIfs}) {
    int previous = 0;
    for (uint32_t limit : {20u, 60u, 200u}) {
      CompileOptions o;
      o.max_nesting = limit;
      int deepest = 0;
      for (int d = 1; d < 400; ++d) {
        if (CompileSource("t.cw", make(d), o).ok()) deepest = d;
        else break;
      }
      EXPECT_GT(deepest, previous) << limit;
      EXPECT_LE(deepest, static_cast<int>(limit)) << limit;
      CompileResult over = CompileSource("t.cw", make(deepest + 1), o);
      ASSERT_FALSE(over.ok());
      EXPECT_EQ(over.diagnostics[0].code, "E0003") << Codes(over);
      previous = deepest;
    }
  }
}

TEST(CompileLimit, NestingCountsSourceLevels) {
  // CompileOptions::max_nesting counts parse levels (an object literal costs 3, an if block 2); the default
  // (600) admits 200 nested objects.
  CompileOptions o;
  EXPECT_TRUE(CompileSource("t.cw", NestedObjects(190), o).ok());
  EXPECT_TRUE(CompileSource("t.cw", NestedIfs(190), o).ok());
}

TEST(CompileLimit, DefaultNestingRejectsHugeDepthWithoutCrashing) {
  CompileResult r = CompileSource("t.cw", Nested(100'000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0003") << Codes(r);
  CompileResult o = CompileSource("t.cw", NestedObjects(50'000));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.diagnostics[0].code, "E0003") << Codes(o);
}

TEST(CompileLimit, MaxErrorsExactly) {
  std::string src = "map M : json -> json {\n";
  for (int i = 0; i < 12; ++i) src += "  a" + std::to_string(i) + ": Nope" + std::to_string(i) + "()\n";
  src += "}\n";
  auto errors = [&](uint32_t cap) {
    CompileOptions o;
    o.max_errors = cap;
    CompileResult r = CompileSource("t.cw", src, o);
    size_t n = 0;
    for (const auto& d : r.diagnostics) n += d.severity == compiler::Severity::kError;
    return n;
  };
  EXPECT_EQ(errors(12), 12u);
  EXPECT_EQ(errors(11), 11u);
  EXPECT_EQ(errors(13), 12u);
  EXPECT_EQ(errors(1), 1u);
}

// A map with `n` live locals (each `let` holds a register until the block ends).
std::string ManyLets(int n) {
  std::string s = "map M : json -> json {\n";
  for (int i = 0; i < n; ++i) s += "  let v" + std::to_string(i) + " = input.a" + std::to_string(i) + "\n";
  s += "  x: [";
  for (int i = 0; i < n; i += 50) s += (i ? ", v" : "v") + std::to_string(i);
  return s + "]\n}\n";
}

TEST(CompileLimit, RegistersPerFunctionExactly) {
  int most = -1;
  for (int n = 200; n < 300; ++n) {
    if (CompileSource("t.cw", ManyLets(n)).ok()) most = n;
    else break;
  }
  ASSERT_GT(most, 200);
  CompileResult over = CompileSource("t.cw", ManyLets(most + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.diagnostics[0].code, "E0401") << Codes(over);
  EXPECT_EQ(over.diagnostics.size(), 1u) << "reported once per function: " << Codes(over);
  // The largest accepted function uses all 255 registers (R0..R254) and loads and runs.
  auto p = Build(ManyLets(most));
  ASSERT_TRUE(p);
  RunOutput out;
  Status s = RunWith(*p, R"({"a0":"first","a250":"last"})", {}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_NE(out.json.find("first"), std::string::npos) << out.json;
}

TEST(CompileLimit, TooManyParametersAt64And65) {
  auto params = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? ", p" : "p") + std::to_string(i);
    return s;
  };
  EXPECT_TRUE(CompileSource("t.cw", "map M : json -> json { a: 1 }\ndef F(" + params(64) + ") = p63\n").ok());
  CompileResult r = CompileSource("t.cw", "map M : json -> json { a: 1 }\ndef F(" + params(65) + ") = p0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0207") << Codes(r);
}

std::string BigIf(int fields) {
  std::string src = "map M : json -> json {\n  if input.go {\n";
  for (int i = 0; i < fields; ++i) src += "    k" + std::to_string(i) + ": input.a + " + std::to_string(i) + "\n";
  return src + "  }\n  done: true\n}\n";
}

TEST(CompileLimit, JumpDistance) {
  // A conditional jump has a 16-bit offset: an if block a few thousand fields long fits and runs; one of
  // 12,000 fields (about 48,000 words) does not and is E0402, reported once, in the block.
  CompileResult fits = CompileSource("t.cw", BigIf(2000));
  ASSERT_TRUE(fits.ok()) << FormatDiagnostics(fits).substr(0, 300);
  auto p = Rt().Load(*fits.bytecode);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  RunOutput out;
  ASSERT_TRUE(RunWith(**p, R"({"go":false,"a":1})", {}, &out).ok());
  EXPECT_EQ(out.json, R"({"done":true})");
  ASSERT_TRUE(RunWith(**p, R"({"go":true,"a":1})", {}, &out).ok());
  EXPECT_NE(out.json.find("\"k1999\":2000"), std::string::npos);
  CompileResult r = CompileSource("t.cw", BigIf(12000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0402@12002:5 ");
}

TEST(CompileLimit, TooManyConstants) {
  // 65,536 distinct constants fit in a 16-bit constant index; one more is E0403.
  auto src = [](int n) {
    std::string s = "map M : json -> json {\n";
    for (int i = 0; i < n; ++i) s += "  a[]: \"c" + std::to_string(i) + "\"\n";
    return s + "}\n";
  };
  CompileResult r = CompileSource("t.cw", src(70000));
  ASSERT_FALSE(r.ok());
  bool found = false;
  for (const auto& d : r.diagnostics) found |= d.code == "E0403";
  EXPECT_TRUE(found) << Codes(r).substr(0, 200);
}

}  // namespace
}  // namespace crosswalk
