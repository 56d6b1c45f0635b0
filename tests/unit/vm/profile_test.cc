// RunOptions::profile (RunContext::Profile): bytecode instructions and calls per map function, calls per
// built-in, instructions per opcode. The counts are exact: they add up to the instructions the run took
// from its budget, they do not change the output, and a context counts only the program it ran last.
#include <gtest/gtest.h>

#include <string>

#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

const RunProfile::Function* FunctionNamed(const RunProfile& p, const std::string& name) {
  for (const auto& f : p.functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

uint64_t CountNamed(const std::vector<RunProfile::Count>& v, const std::string& name) {
  for (const auto& c : v) {
    if (c.name == name) return c.count;
  }
  ADD_FAILURE() << "no count named " << name;
  return 0;
}

constexpr const char* kDefs =
    "def Sum(n) = if n <= 0 then 0 else n + Sum(n - 1)\n"
    "def Name(s) = upper(trim(s))\n";

TEST(RunProfile, CountsCallsReusedCallsBuiltinsAndInstructions) {
  auto p = Build(JsonMap("  a: Sum(input.n)\n  b: Sum(input.n)\n  c: Name(input.s)\n  d: Name(input.t)", kDefs));
  ASSERT_TRUE(p);
  const std::string in = R"({"n":10,"s":" ann ","t":"bob"})";
  RunContext ctx(TheRuntime());
  RunOptions options;
  options.profile = true;
  RunOutput out;
  ASSERT_TRUE(ctx.Run(*p, in, options, &out).ok());
  EXPECT_EQ(out.json, R"({"a":55,"b":55,"c":"ANN","d":"BOB"})");
  RunProfile prof = ctx.Profile();
  EXPECT_EQ(prof.runs, 1u);
  const auto* sum = FunctionNamed(prof, "Sum");
  const auto* name = FunctionNamed(prof, "Name");
  ASSERT_NE(sum, nullptr);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(sum->calls, 11u);  // Sum(10) .. Sum(0) once; b finds Sum(10)
  EXPECT_EQ(sum->reused, 1u);
  EXPECT_EQ(name->calls + name->reused, 2u);
  EXPECT_GT(sum->instructions, 0u);
  EXPECT_EQ(CountNamed(prof.builtins, "trim"), 2u);
  EXPECT_EQ(CountNamed(prof.builtins, "upper"), 2u);
  // Every instruction is counted once, in the function whose body ran it and under its opcode. The run's
  // instruction budget covers them and a little more: the work charged by built-ins and the output writer.
  uint64_t by_function = 0, by_opcode = 0;
  for (const auto& f : prof.functions) by_function += f.instructions;
  for (const auto& o : prof.opcodes) by_opcode += o.count;
  EXPECT_EQ(by_function, by_opcode);
  const uint64_t budget = SmallestBudget(*p, in);
  EXPECT_LT(by_function, budget);
  EXPECT_GT(by_function + 16, budget);
  EXPECT_EQ(CountNamed(prof.opcodes, "CALLB"), CountNamed(prof.builtins, "trim") + CountNamed(prof.builtins, "upper"));

  // A second run adds to the counts; ClearProfile starts afresh.
  ASSERT_TRUE(ctx.Run(*p, in, options, &out).ok());
  RunProfile twice = ctx.Profile();
  EXPECT_EQ(twice.runs, 2u);
  EXPECT_EQ(FunctionNamed(twice, "Sum")->calls, 22u);
  EXPECT_EQ(FunctionNamed(twice, "Sum")->instructions, 2 * sum->instructions);
  ctx.ClearProfile();
  EXPECT_EQ(ctx.Profile().runs, 0u);
  EXPECT_TRUE(ctx.Profile().functions.empty());
}

TEST(RunProfile, TheOutputIsTheSameAndRunsWithoutItCountNothing) {
  auto p = Build(JsonMap("  a: Sum(input.n)\n  c: Name(input.s)", kDefs));
  ASSERT_TRUE(p);
  const std::string in = R"({"n":30,"s":"x"})";
  RunContext ctx(TheRuntime());
  RunOutput plain, counted;
  ASSERT_TRUE(ctx.Run(*p, in, {}, &plain).ok());
  EXPECT_EQ(ctx.Profile().runs, 0u);
  RunOptions options;
  options.profile = true;
  ASSERT_TRUE(ctx.Run(*p, in, options, &counted).ok());
  EXPECT_EQ(plain.json, counted.json);
  ASSERT_TRUE(ctx.Run(*p, in, {}, &plain).ok());
  EXPECT_EQ(ctx.Profile().runs, 1u);  // the run without profile added nothing
  // A traced run ignores profile.
  options.trace = true;
  ASSERT_TRUE(ctx.Run(*p, in, options, &counted).ok());
  EXPECT_EQ(ctx.Profile().runs, 1u);
}

TEST(RunProfile, AnotherProgramStartsAfreshAndProfilesAdd) {
  auto p1 = Build(JsonMap("  a: Sum(input.n)", kDefs));
  auto p2 = Build(JsonMap("  c: Name(input.s)", kDefs));
  ASSERT_TRUE(p1 && p2);
  RunOptions options;
  options.profile = true;
  RunContext one(TheRuntime()), two(TheRuntime());
  RunOutput out;
  ASSERT_TRUE(one.Run(*p1, R"({"n":3})", options, &out).ok());
  ASSERT_TRUE(one.Run(*p2, R"({"s":"a"})", options, &out).ok());
  RunProfile last = one.Profile();
  EXPECT_EQ(last.runs, 1u);
  EXPECT_EQ(FunctionNamed(last, "Sum")->calls, 0u);
  EXPECT_EQ(FunctionNamed(last, "Name")->calls, 1u);
  // Two contexts' profiles of one program add up (crosswalk run -j N sums its threads' this way).
  ASSERT_TRUE(two.Run(*p2, R"({"s":"b"})", options, &out).ok());
  ASSERT_TRUE(two.Run(*p2, R"({"s":"c"})", options, &out).ok());
  last.Add(two.Profile());
  EXPECT_EQ(last.runs, 3u);
  EXPECT_EQ(FunctionNamed(last, "Name")->calls, 3u);
  EXPECT_EQ(CountNamed(last.builtins, "upper"), 3u);
  RunProfile empty;
  empty.Add(last);
  EXPECT_EQ(empty.runs, 3u);
}

}  // namespace
}  // namespace crosswalk::vmtest
