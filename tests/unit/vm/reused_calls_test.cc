// Reused calls (RunOptions::reuse_calls, runtime/src/vm/call_memo.h): a pure function called again with the
// same arguments in one message returns the first call's value without running; the output never changes,
// only the work. Functions that warn or translate always run.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "bytecode/format.h"
#include "bytecode/program.h"
#include "bytecode/reader.h"
#include "vm/call_memo.h"
#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

uint64_t InstructionsFor(const Program& program, std::string_view input, bool reuse_calls) {
  RunOptions options;
  options.reuse_calls = reuse_calls;
  return SmallestBudget(program, input, options);
}

std::string Output(const Program& program, std::string_view input, bool reuse_calls) {
  RunOptions options;
  options.reuse_calls = reuse_calls;
  Ran r = RunOn(program, input, options);
  return r.status.ok() ? r.out.json : "ERROR: " + r.status.ToString();
}

TEST(ReusedCalls, ASecondCallWithTheSameArgumentsDoesNotRunAgain) {
  auto p = Build(JsonMap("  a: Sum(input.n)\n  b: Sum(input.n)\n  c: Sum(input.n)\n  d: Sum(input.m)",
                         "def Sum(n) = if n <= 0 then 0 else n + Sum(n - 1)"));
  ASSERT_TRUE(p);
  const std::string in = R"({"n":60,"m":61})";
  EXPECT_EQ(Output(*p, in, true), R"({"a":1830,"b":1830,"c":1830,"d":1891})");
  EXPECT_EQ(Output(*p, in, true), Output(*p, in, false));
  const uint64_t reused = InstructionsFor(*p, in, true);
  const uint64_t run = InstructionsFor(*p, in, false);
  // Without reuse: four sums of 60 or 61 terms. With it: Sum(60) once, then b and c are found, and
  // Sum(61) runs one level and finds Sum(60).
  EXPECT_LT(reused * 3, run) << reused << " vs " << run;
}

TEST(ReusedCalls, ArgumentsAreComparedByValue) {
  // Strings by their bytes wherever they come from; HL7 v2 places by the place; objects by identity.
  auto p = Build(R"(map M : hl7v2 -> json {
  a: Tag(PID-5.1)
  b: Tag(PID-5.2)
  c: Tag("DOE")
  d: Tag(NK1-2.1)
  e: Tag(PID-5.1)
  f: Tag(PID-3.1)
  g: Tag(PID-3.1.1)
  o: Both({ x: PID-5.1 }, { x: PID-5.2 })
  p: Both({ x: PID-5.2 }, { x: PID-5.1 })
}
def Tag(v) = "<${v}>"
def Both(l, r) = "${l.x}/${r.x}")");
  ASSERT_TRUE(p);
  const std::string in = Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5", "PID|1||123^^^H^MR||DOE^JOHN",
                              "NK1|1|ROE^JANE"});
  const std::string want =
      R"({"a":"<DOE>","b":"<JOHN>","c":"<DOE>","d":"<ROE>","e":"<DOE>","f":"<123>","g":"<123>",)"
      R"("o":"DOE/JOHN","p":"JOHN/DOE"})";
  EXPECT_EQ(Output(*p, in, true), want);
  EXPECT_EQ(Output(*p, in, false), want);
}

TEST(ReusedCalls, AValuesFlagsArePartOfIt) {
  // -0.0 and 0.0 are the same number but not the same output; nor is a number kept as text and a string.
  std::string body;
  for (char c = 'a'; c <= 't'; ++c) body += std::string(body.empty() ? "" : ", ") + c + ": x";
  auto p = Build(JsonMap("  a: Wide(input.neg)\n  b: Wide(input.pos)\n  c: Wide(input.big)\n  d: Wide(input.text)",
                         "def Wide(x) { " + body + " }"));
  ASSERT_TRUE(p);
  const std::string in = R"({"neg":-0.0,"pos":0.0,"big":1.000000000000000000E-245,"text":"1.000000000000000000E-245"})";
  const std::string out = Output(*p, in, true);
  EXPECT_EQ(out, Output(*p, in, false));
  EXPECT_NE(out.find(R"("a":{"a":-0.0,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("b":{"a":0.0,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("c":{"a":1.000000000000000000E-245,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("d":{"a":"1.000000000000000000E-245",)"), std::string::npos) << out;
}

TEST(ReusedCalls, AFunctionThatWarnsRunsEveryTime) {
  auto p = Build(JsonMap("  a: Check(input.n)\n  b: Check(input.n)\n  c: Outer(input.n)\n  d: Outer(input.n)",
                         "def Check(n) {\n  warn \"large\" if n > 2\n  return n\n}\n"
                         "def Outer(n) { value: Check(n) }"));
  ASSERT_TRUE(p);
  for (bool reuse : {true, false}) {
    RunOptions options;
    options.reuse_calls = reuse;
    Ran r = RunOn(*p, R"({"n":3})", options);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.out.json, R"({"a":3,"b":3,"c":{"value":3},"d":{"value":3}})");
    EXPECT_EQ(r.out.warnings.size(), 4u) << "reuse " << reuse;
  }
}

TEST(ReusedCalls, WarningsMakeAFunctionAndItsCallersImpure) {
  // A translation warns under the "warn" unmapped policy only; under the others it is a pure lookup.
  compiler::CompileResult r = compiler::CompileSource("t.cw", JsonMap("  a: A(1)\n  b: C(1)\n  c: E(1)\n  d: G(1)\n  e: H(1)\n  f: K(1)", R"(
def A(n) = B(n) + 1
def B(n) = n * 2
def C(n) = D(n)
def D(n) {
  warn "d"
  return n
}
def E(n) = translate("x", "urn:map:m", { unmapped: "warn" })
def H(n) = translate("x", "urn:map:m", { unmapped: "keep" })
def K(n) = translate_coding("x", "urn:map:m")
def G(n) = if n > 0 then G(n - 1) else 0
)"));
  ASSERT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
  auto program = bytecode::ReadProgram(*r.bytecode);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  std::vector<uint8_t> pure = vm::PureFunctions(*program);
  auto is_pure = [&](const std::string& name) {
    for (size_t i = 0; i < program->functions.size(); ++i) {
      if (program->functions[i].name == name) return pure[i] != 0;
    }
    ADD_FAILURE() << "no function " << name;
    return false;
  };
  EXPECT_TRUE(is_pure("A"));
  EXPECT_TRUE(is_pure("B"));
  EXPECT_FALSE(is_pure("C"));
  EXPECT_FALSE(is_pure("D"));
  EXPECT_FALSE(is_pure("E"));
  EXPECT_TRUE(is_pure("H"));
  EXPECT_TRUE(is_pure("K"));
  EXPECT_TRUE(is_pure("G"));
}

TEST(ReusedCalls, ALongChainOfCallsIsWeighedWithoutDeepRecursion) {
  // F0 calls F1 ... calls F199999, each `CALL; RET` (3 words): a program may chain many functions, and the
  // loader's weighing must not recurse once per link. Every link weighs more than a body worth remembering.
  bytecode::Program prog;
  const uint32_t n = 200'000;
  for (uint32_t f = 0; f < n; ++f) {
    bytecode::Function fn;
    fn.name = "F" + std::to_string(f);
    fn.num_params = 1;
    fn.num_registers = 2;
    fn.code_begin = static_cast<uint32_t>(prog.code.size());
    if (f + 1 < n) {
      prog.code.push_back(bytecode::EncodeABC(bytecode::Op::CALL, 1, 0, 1));
      prog.code.push_back(f + 1);
    }
    prog.code.push_back(bytecode::EncodeABC(bytecode::Op::RET, 0, 0, 0));
    fn.code_end = static_cast<uint32_t>(prog.code.size());
    prog.functions.push_back(fn);
  }
  std::vector<uint8_t> reusable = vm::ReusableFunctions(prog);
  ASSERT_EQ(reusable.size(), n);
  EXPECT_TRUE(reusable[0]);
  EXPECT_TRUE(reusable[n - 20]);  // 19 links below it: 58 words
  EXPECT_FALSE(reusable[n - 2]);  // 4 words
  EXPECT_FALSE(reusable[n - 1]);  // 1 word
}

TEST(ReusedCalls, ARecursionWithTheSameArgumentsStillMeetsTheBudget) {
  auto p = Build(JsonMap("  a: Forever(1)", "def Forever(n) = if n > 0 then Forever(n) else 0"));
  ASSERT_TRUE(p);
  RunOptions options;
  options.limits.max_instructions = 100'000;
  options.limits.max_call_depth = 1'000'000;
  Ran r = RunOn(*p, "{}", options);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kLimitExceeded) << r.status.ToString();
}

TEST(ReusedCalls, EachMessageStartsAfresh) {
  auto p = Build(JsonMap("  a: Twice(input.s)\n  b: Twice(input.s)", "def Twice(s) = \"${s}${s}\""));
  ASSERT_TRUE(p);
  RunContext ctx(TheRuntime());
  for (const char* s : {"x", "y", "x", "zz"}) {
    RunOutput out;
    ASSERT_TRUE(ctx.Run(*p, std::string(R"({"s":")") + s + "\"}", {}, &out).ok());
    EXPECT_EQ(out.json, std::string(R"({"a":")") + s + s + R"(","b":")" + s + s + "\"}");
  }
}

// A function never called twice with the same arguments stops being looked up after CallMemo::kProbeCalls
// lookups, and is looked at again after kRetryAfter calls without; one that is found now and then keeps
// its lookups; another program starts over.
TEST(ReusedCalls, LookupsStopForAFunctionThatIsNeverFoundAndComeBack) {
  vm::CallMemo memo;
  int program_a = 0, program_b = 0;
  memo.Bind(&program_a, 2);
  auto call = [&](uint32_t fn, int64_t arg) {  // one lookup and, on a miss, the call's result
    const vm::Value v = vm::Value::Int(arg);
    vm::Value result;
    uint32_t entry = vm::CallMemo::kNone;
    if (memo.Find(fn, &v, 1, &result, &entry)) return true;
    if (entry != vm::CallMemo::kNone) memo.Fill(entry, v);
    return false;
  };
  memo.Reset();
  for (uint32_t i = 0; i < vm::CallMemo::kProbeCalls; ++i) {
    ASSERT_TRUE(memo.Worth(0));
    EXPECT_FALSE(call(0, i));  // function 0: a new argument every time
    ASSERT_TRUE(memo.Worth(1));
    EXPECT_EQ(call(1, i % 4 == 3 ? 0 : i), i % 4 == 3 && i > 0);  // function 1: found every so often
  }
  EXPECT_FALSE(memo.Worth(0));
  EXPECT_TRUE(memo.Worth(1));
  memo.Reset();  // a new message: what was learnt stays
  for (uint32_t i = 2; i < vm::CallMemo::kRetryAfter; ++i) ASSERT_FALSE(memo.Worth(0)) << i;
  EXPECT_TRUE(memo.Worth(0));  // looked at again
  EXPECT_FALSE(call(0, -1));
  EXPECT_TRUE(memo.Worth(0));
  memo.Bind(&program_b, 2);
  EXPECT_TRUE(memo.Worth(0));
}

}  // namespace
}  // namespace crosswalk::vmtest
