// VM semantics, one construct at a time, through the public API (compile → Runtime::Load → RunContext::Run).
#include <gtest/gtest.h>

#include <string>

#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

// ---- literals -------------------------------------------------------------------------------------------

TEST(VmLiterals, ScalarsAndDecimalScale) {
  EXPECT_EQ(Eval(JsonMap(R"(i: 42, d: 1.50, z: 0.000, neg: -3, nd: -0.50, t: true, f: false, s: "x")")),
            R"({"i":42,"d":1.50,"z":0.000,"neg":-3,"nd":-0.50,"t":true,"f":false,"s":"x"})");
}

TEST(VmLiterals, StringEscapesAndQuotes) {
  EXPECT_EQ(Eval(JsonMap(R"(a: "q\"b\\s\tt\n", b: 'say "hi"', c: "\u00e9\$x")")),
            R"({"a":"q\"b\\s\tt\n","b":"say \"hi\"","c":"é$x"})");
}

TEST(VmLiterals, NullAndEmptyAreNeverWritten) {
  EXPECT_EQ(Eval(JsonMap(R"(keep: 1, n: null, e: "", o: {}, a: [], on: { x: null, y: "" }, an: [null, ""])")),
            R"({"keep":1})");
}

// ---- string templates -----------------------------------------------------------------------------------

TEST(VmTemplates, InterpolatesAndSkipsAbsentParts) {
  EXPECT_EQ(Eval(JsonMap(R"(a: "urn:${input.id}:${input.missing}!", b: "${input.n} and ${input.d}")"),
                 R"({"id":"p1","n":7,"d":1.50})"),
            R"({"a":"urn:p1:!","b":"7 and 1.50"})");
}

TEST(VmTemplates, NestedSingleQuotedString) {
  EXPECT_EQ(Eval(JsonMap(R"(a: "x${input.v ?? 'none'}y")")), R"({"a":"xnoney"})");
}

// ---- arithmetic -----------------------------------------------------------------------------------------

TEST(VmArithmetic, IntegersAndDecimals) {
  EXPECT_EQ(Eval(JsonMap(R"(a: input.i + input.j * 2, b: input.i - 10, c: input.d + input.i, d: input.d * input.d,
                           e: 0.1 + 0.2, f: input.i % 3, g: -input.i, h: input.d - input.d)"),
                 R"({"i":7,"j":3,"d":1.50})"),
            R"({"a":13,"b":-3,"c":8.50,"d":2.2500,"e":0.3,"f":1,"g":-7,"h":0.00})");
}

TEST(VmArithmetic, AbsentOperandGivesAbsent) {
  EXPECT_EQ(Eval(JsonMap(R"(a: input.missing + 1, b: 2)")), R"({"b":2})");
}

TEST(VmArithmetic, OverflowIsAnErrorWithMapLocation) {
  auto p = Build(JsonMap("  ok: 1\n  big: input.n + 1"));
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, R"({"n":9223372036854775807})");
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.context().map_file, "t.cw");
  EXPECT_EQ(r.status.context().map_line, 3u);
  EXPECT_GT(r.status.context().map_col, 0u);
  EXPECT_EQ(r.status.ToString().find("9223372036854775807"), std::string::npos) << "no input values in errors";
}

TEST(VmArithmetic, DivisionByZeroIsAnErrorWithMapLocation) {
  auto p = Build(JsonMap("  ok: 1\n\n  q: input.a / input.z"));
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, R"({"a":10,"z":0})");
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.context().map_file, "t.cw");
  EXPECT_EQ(r.status.context().map_line, 4u);
  Ran m = RunOn(*Build(JsonMap("  q: input.a % input.z")), R"({"a":10,"z":0})");
  EXPECT_FALSE(m.status.ok());
  Ran d = RunOn(*Build(JsonMap("  q: input.a / input.z")), R"({"a":1.5,"z":0.0})");
  EXPECT_FALSE(d.status.ok());
}

TEST(VmArithmetic, TextOperandIsATypeError) {
  auto p = Build(JsonMap("  q: input.s + 1"));
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, R"({"s":"secret-value"})");
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << r.status.ToString();
  EXPECT_EQ(r.status.context().map_line, 2u);
  EXPECT_EQ(r.status.ToString().find("secret-value"), std::string::npos);
}

// ---- comparison and logic -------------------------------------------------------------------------------

TEST(VmCompare, NumbersByValueStringsBytewise) {
  EXPECT_EQ(Eval(JsonMap(R"(a: input.d == 1.5, b: input.i < input.d, c: "ab" < "b", d: input.s == "x",
                           e: input.i != 1, f: input.missing < 1, g: input.missing > 1, h: 2 >= 2, i: 3 <= 2)"),
                 R"({"i":1,"d":1.50,"s":"x"})"),
            R"({"a":true,"b":true,"c":true,"d":true,"e":false,"f":false,"g":false,"h":true,"i":false})");
}

TEST(VmLogic, Truthiness) {
  EXPECT_EQ(Eval(JsonMap(R"(a: input.zero and true, b: input.empty or false, c: not input.missing,
                           d: not input.arr, e: input.obj or "y", f: not 0, g: true and input.s)"),
                 R"({"zero":0,"empty":"","arr":[],"obj":{},"s":"t"})"),
            R"({"a":true,"b":false,"c":true,"d":true,"e":true,"f":false,"g":true})");
}

// ---- ?? / if / match -------------------------------------------------------------------------------------

TEST(VmFirstPresent, SkipsEmptyValues) {
  EXPECT_EQ(Eval(JsonMap(R"(a: input.missing ?? input.empty ?? input.arr ?? "d", b: input.zero ?? 5, c: input.f ?? 1)"),
                 R"({"empty":"","arr":[],"zero":0,"f":false})"),
            R"({"a":"d","b":0,"c":false})");
}

TEST(VmConditional, IfThenElse) {
  EXPECT_EQ(Eval(JsonMap(R"(a: if input.n > 1 then "big" else "small", b: if input.missing then 1 else 2)"),
                 R"({"n":5})"),
            R"({"a":"big","b":2})");
}

TEST(VmMatch, ArmsAlternativesAndDefault) {
  const std::string src =
      JsonMap(R"(a: match input.g { "M" => "male" "F" | "f" => "female" _ => "unknown" }
                 b: match input.g { "X" => 1 })");
  EXPECT_EQ(Eval(src, R"({"g":"M"})"), R"({"a":"male"})");
  EXPECT_EQ(Eval(src, R"({"g":"f"})"), R"({"a":"female"})");
  EXPECT_EQ(Eval(src, R"({"g":"Q"})"), R"({"a":"unknown"})");
  EXPECT_EQ(Eval(src, R"({"g":"X"})"), R"({"a":"unknown","b":1})");
  EXPECT_EQ(Eval(JsonMap(R"(a: match input.n { 1 => "one" 2 | 3 => "few" _ => "many" })"), R"({"n":3})"),
            R"({"a":"few"})");
}

// ---- loops, let, objects, arrays ------------------------------------------------------------------------

TEST(VmFor, ComprehensionWithWhere) {
  EXPECT_EQ(Eval(JsonMap(R"(a: for x in input.xs where x > 1 => x * 10, b: for x in input.xs where x > 9 => x)"),
                 R"({"xs":[1,2,3]})"),
            R"({"a":[20,30]})");
}

TEST(VmFor, StatementAppendsPerItem) {
  EXPECT_EQ(Eval(JsonMap(R"(for x in input.xs where x.keep { item[]: { id: x.id } }
                           for y in input.none { never[]: y })"),
                 R"({"xs":[{"id":"a","keep":true},{"id":"b"},{"id":"c","keep":1}]})"),
            R"({"item":[{"id":"a"},{"id":"c"}]})");
}

TEST(VmLet, LocalNamesForTheRestOfTheBlock) {
  EXPECT_EQ(Eval(JsonMap(R"(let a = input.n * 2
                           let b = a + 1
                           x: b
                           o: { let a = 100, y: a })"),
                 R"({"n":4})"),
            R"({"x":9,"o":{"y":100}})");
}

TEST(VmObjects, ConditionalFieldsAndIfBlocks) {
  EXPECT_EQ(Eval(JsonMap(R"(a: 1 if input.yes
                           b: 2 if input.no
                           if input.n > 3 { c: "gt" } else if input.n > 1 { c: "mid" } else { c: "le" }
                           "value[x]": "k")"),
                 R"({"yes":true,"no":false,"n":2})"),
            R"({"a":1,"c":"mid","value[x]":"k"})");
}

TEST(VmObjects, ConditionalOverrideReplacesEarlierValue) {
  EXPECT_EQ(Eval(JsonMap(R"(a: "first"
                           a: "second" if input.yes)"),
                 R"({"yes":true})"),
            R"({"a":"second"})");
}

TEST(VmArrays, LiteralDropsAbsentItems) {
  EXPECT_EQ(Eval(JsonMap(R"(a: [1, input.missing, "x", input.also_missing], b: [input.missing])")),
            R"({"a":[1,"x"]})");
}

TEST(VmArrays, AppendFlattensArrays) {
  EXPECT_EQ(Eval(JsonMap(R"(a[]: 1
                           a[]: [2, 3]
                           a[]: input.xs
                           a[]: input.missing
                           a[]: []
                           e[]: input.missing)"),
                 R"({"xs":[4,5]})"),
            R"({"a":[1,2,3,4,5]})");
}

TEST(VmObjects, EmptyNestedObjectIsDropped) {
  EXPECT_EQ(Eval(JsonMap(R"(name[]: { family: input.f, given[]: input.g }
                           other: { inner: { deeper: input.missing } })"),
                 R"({"f":"","g":null})"),
            R"({})");
}

TEST(VmMembers, BracketAndIndex) {
  EXPECT_EQ(Eval(JsonMap(R"(a: input["odd key"], b: input.xs[0], c: input.xs[5], d: input.o.p.q, e: input.xs[1].k)"),
                 R"({"odd key":"v","xs":[10,{"k":"w"}],"o":{"p":{"q":true}}})"),
            R"({"a":"v","b":10,"d":true,"e":"w"})");
}

// ---- functions ------------------------------------------------------------------------------------------

TEST(VmFunctions, ExpressionBlockAndRecursion) {
  EXPECT_EQ(Eval(JsonMap(R"(f: Fact(input.n), c: Coding(input.c, "http://s"), r: Pick(input.n))",
                         R"(def Fact(n) = if n <= 1 then 1 else n * Fact(n - 1)
                            def Coding(code, system) { system: system, code: code }
                            def Pick(n) {
                              x: 1
                              if n > 10 { return "early" }
                              return n + 1
                            })"),
                 R"({"n":20,"c":"M"})"),
            R"({"f":2432902008176640000,"c":{"system":"http://s","code":"M"},"r":"early"})");
}

// A callee's frame starts at its caller's argument run (CALL): the caller's locals, and the arguments
// already evaluated for an outer call, lie below it and survive calls that use more registers than the
// caller has left.
TEST(VmFunctions, CallsInArgumentsKeepTheCallersValues) {
  EXPECT_EQ(Eval(JsonMap(R"(
  let k = input.n
  let m = k + 1
  r: Pair(k, Pair(Wide(m, k), Pair(m, Wide(k, m))))
  k: k
  m: m)",
                         R"(def Wide(a, b) {
                              let x = a + 1
                              let y = b * 10
                              s: x + y
                              p: [a, b, x, y]
                            }
                            def Pair(a, b) { l: a, r: b })"),
                 R"({"n":2})"),
            R"({"r":{"l":2,"r":{"l":{"s":24,"p":[3,2,4,20]},"r":{"l":3,"r":{"s":33,"p":[2,3,3,30]}}}},"k":2,"m":3})");
}

TEST(VmFunctions, BlockWithoutReturnGivesObject) {
  EXPECT_EQ(Eval(JsonMap(R"(o: Obj(1), e: Obj(input.missing))", R"(def Obj(v) { value: v })")), R"({"o":{"value":1}})");
}

TEST(VmFunctions, ReturnInAMapBody) {
  EXPECT_EQ(Eval(JsonMap("  a: 1\n  if input.flat { return input.v }")), R"({"a":1})");
  EXPECT_EQ(Eval(JsonMap("  a: 1\n  if input.flat { return input.v }"), R"({"flat":true,"v":[1,2]})"), "[1,2]");
}

TEST(VmFunctions, MutualRecursion) {
  EXPECT_EQ(Eval(JsonMap(R"(e: IsEven(input.n), o: IsEven(7))",
                         R"(def IsEven(n) = if n == 0 then true else IsOdd(n - 1)
                            def IsOdd(n) = if n == 0 then false else IsEven(n - 1))"),
                 R"({"n":10})"),
            R"({"e":true,"o":false})");
}

// ---- warn / fail ----------------------------------------------------------------------------------------

TEST(VmWarn, RecordsWarningsWithLocationAndContinues) {
  auto p = Build(JsonMap("  a: 1\n  warn \"no id\" if not input.id\n  warn \"always\"\n  warn \"never\" if false\n  b: 2"));
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, "{}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.out.json, R"({"a":1,"b":2})");
  ASSERT_EQ(r.out.warnings.size(), 2u);
  EXPECT_EQ(r.out.warnings[0].message, "no id");
  EXPECT_EQ(r.out.warnings[0].map_file, "t.cw");
  EXPECT_EQ(r.out.warnings[0].line, 3u);
  EXPECT_EQ(r.out.warnings[0].col, 3u);
  EXPECT_EQ(r.out.warnings[1].message, "always");
  EXPECT_EQ(r.out.warnings[1].line, 4u);
  EXPECT_EQ(r.out.map_name, "M");
}

// One context and one output for many runs (how a server runs): each run's warnings are exactly its own,
// whatever the runs before left (the context reuses the storage of earlier warnings).
TEST(VmWarn, EachRunHasItsOwnWarningsWhenTheOutputIsReused) {
  auto p = Build(JsonMap("  a: 1\n  warn \"a long warning that does not fit in a short string\" if input.long\n"
                         "  warn \"short\" if input.short\n  b: 2"));
  ASSERT_TRUE(p);
  RunContext ctx(TheRuntime());
  RunOutput out;
  for (int i = 0; i < 200; ++i) {
    const bool lng = i % 3 == 0, shrt = i % 2 == 0;
    std::string in = std::string("{\"long\":") + (lng ? "true" : "false") + ",\"short\":" + (shrt ? "true" : "false") + "}";
    ASSERT_TRUE(ctx.Run(*p, in, {}, &out).ok()) << i;
    std::vector<std::string> got;
    for (const RunWarning& w : out.warnings) {
      got.push_back(w.message + "@" + w.map_file + ":" + std::to_string(w.line) + ":" + std::to_string(w.col));
    }
    std::vector<std::string> want;
    if (lng) want.push_back("a long warning that does not fit in a short string@t.cw:3:3");
    if (shrt) want.push_back("short@t.cw:4:3");
    EXPECT_EQ(got, want) << i;
  }
}

TEST(VmFail, StopsWithFailedPreconditionAndLocation) {
  auto p = Build(JsonMap("  a: 1\n\n    fail \"missing id\" if not input.id\n  b: 2"));
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, "{}");
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status.message(), "missing id");
  EXPECT_EQ(r.status.context().map_file, "t.cw");
  EXPECT_EQ(r.status.context().map_line, 4u);
  EXPECT_EQ(r.status.context().map_col, 5u);
  Ran ok = RunOn(*p, R"({"id":"x"})");
  EXPECT_TRUE(ok.status.ok());
  EXPECT_EQ(ok.out.json, R"({"a":1,"b":2})");
}

TEST(VmFail, MessageTemplateInsideFunction) {
  auto p = Build(JsonMap("  a: Check(input.n)", "def Check(n) {\n  fail \"bad count ${n}\" if n > 2\n  return n\n}"));
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, R"({"n":3})");
  ASSERT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status.message(), "bad count ${n}");  // the value only with RunOptions::log_phi
  EXPECT_EQ(r.status.context().map_line, 5u);
}

// ---- runtime options ------------------------------------------------------------------------------------

TEST(VmOptions, NowAndVariables) {
  RunOptions o;
  o.now = "2024-01-02T03:04:05Z";
  o.variables = {{"site", "A1"}};
  EXPECT_EQ(Eval(JsonMap(R"(t: now(), v: var("site"), w: var("nope"))"), "{}", o),
            R"({"t":"2024-01-02T03:04:05Z","v":"A1"})");
  EXPECT_EQ(Eval(JsonMap(R"(t: now(), k: 1)")), R"({"k":1})");
}

TEST(VmOptions, PrettyOutput) {
  RunOptions o;
  o.pretty = true;
  EXPECT_EQ(Eval(JsonMap(R"(a: 1, b: [2])"), "{}", o), "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}");
}

}  // namespace
}  // namespace crosswalk::vmtest
