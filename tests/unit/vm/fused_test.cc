// The fused instructions of format 6 (EQK ... V2COMP2, written by the peephole pass) mean exactly the pairs
// they replace: the same maps compiled with and without the pass give the same outputs; and hand-made
// programs the verifier accepts cannot make the VM loop (APPEND r r).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bytecode/format.h"
#include "bytecode/program.h"
#include "bytecode/reader.h"
#include "bytecode/writer.h"
#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

std::string RunCompiled(const std::string& src, std::string_view input, bool peephole) {
  compiler::CompileOptions options;
  options.peephole = peephole;
  compiler::CompileResult r = compiler::CompileSource("t.cw", src, options);
  EXPECT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
  if (!r.ok()) return "COMPILE ERROR";
  auto p = TheRuntime().Load(*r.bytecode);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return "LOAD ERROR";
  Ran ran = RunOn(**p, input);
  return ran.status.ok() ? ran.out.json : "ERROR: " + ran.status.ToString();
}

TEST(VmFused, JsonMapsGiveTheSameOutputWithAndWithoutThePass) {
  const std::string src = JsonMap(R"(
  g: match input.g { "M" => "male" "F" | "f" => "female" 1 => "one" _ => "unknown" }
  both: "yes" if input.a and input.b
  either: "yes" if input.a or not input.b
  same: "same" if input.a == input.b
  differ: "differ" if input.a != input.b
  isx: input.s == "x"
  notx: input.s != "x"
  pick: if input.n == 2 then "two" else if input.n != 3 then "not three" else "three"
  kept[]: for x in input.xs where x != "" and x != "b" => x
)");
  const std::vector<std::string> inputs = {
      R"({})",
      R"({"g":"M","a":1,"b":1,"s":"x","n":2,"xs":["a","","b","c"]})",
      R"({"g":"f","a":true,"b":false,"s":"y","n":3,"xs":[]})",
      R"({"g":1,"a":"","b":"z","s":null,"n":2.0,"xs":["b"]})",
      R"({"g":"F","a":[1],"b":[1],"n":4})",
  };
  for (const std::string& in : inputs) {
    SCOPED_TRACE(in);
    EXPECT_EQ(RunCompiled(src, in, true), RunCompiled(src, in, false));
  }
  EXPECT_EQ(RunCompiled(src, inputs[1], true),
            R"({"g":"male","both":"yes","either":"yes","same":"same","isx":true,"notx":false,"pick":"two",)"
            R"("kept":["a","c"]})");
}

TEST(VmFused, ComponentChainsGiveTheSameOutputWithAndWithoutThePass) {
  const std::string src = R"(
map Adt : hl7v2 "ADT^A01" -> json {
  ids[]: for cx in PID-3 => { value: cx.1, system: cx.4.1, sub: cx.4.2 }
  names[]: for s in PID => s.5.2
  kind: "M" if PID-8 == "M"
}
)";
  const std::string msg = Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5",
                               "PID|1||123^^^HOSP&1.2.3&ISO~456^^^OTHER||DOE^JOHN||19800101|M"});
  EXPECT_EQ(RunCompiled(src, msg, true), RunCompiled(src, msg, false));
  EXPECT_EQ(RunCompiled(src, msg, true),
            R"({"ids":[{"value":"123","system":"HOSP","sub":"1.2.3"},{"value":"456","system":"OTHER"}],)"
            R"("names":["JOHN"],"kind":"M"})");
}

// LOADK + SETK -> SETKK: a constant member is stored from the pool; an empty one ("" or null) is not.
TEST(VmFused, ConstantMembersGiveTheSameOutputWithAndWithoutThePass) {
  const std::string src = JsonMap(R"(
  system: "http://loinc.org"
  big: 3000000000
  d: 1.50
  none: ""
  nil: null
  guarded: "yes" if input.a
  coding: { system: "http://snomed.info/sct", code: "12345", display: input.d }
  list[]: "first"
  list[]: input.d
)");
  compiler::CompileResult r = compiler::CompileSource("t.cw", src, compiler::CompileOptions{});
  ASSERT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
  auto program = bytecode::ReadProgram(*r.bytecode);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  int setkk = 0;
  for (uint32_t pc = 0; pc < program->code.size(); pc += bytecode::Length(bytecode::GetOp(program->code[pc]))) {
    setkk += bytecode::GetOp(program->code[pc]) == bytecode::Op::SETKK;
  }
  EXPECT_EQ(setkk, 8);  // every constant member (top level and in `coding`); `list`'s items go by APPEND
  for (const std::string in : {R"({})", R"({"a":true,"d":"x"})"}) {
    SCOPED_TRACE(in);
    EXPECT_EQ(RunCompiled(src, in, true), RunCompiled(src, in, false));
  }
  EXPECT_EQ(RunCompiled(src, R"({"a":true,"d":"x"})", true),
            R"({"system":"http://loinc.org","big":3000000000,"d":1.50,"guarded":"yes",)"
            R"("coding":{"system":"http://snomed.info/sct","code":"12345","display":"x"},"list":["first","x"]})");
}

TEST(VmFused, AppendingAnArrayToItselfEnds) {
  // APPEND R0 R0 doubles the array once (a damaged or hand-made program: the compiler never emits it).
  bytecode::Program p;
  std::vector<uint32_t>& c = p.code;
  c.push_back(bytecode::EncodeABC(bytecode::Op::NEWARR, 0, 0, 0));
  c.push_back(bytecode::EncodeAD(bytecode::Op::LOADI, 1, 7));
  c.push_back(bytecode::EncodeABC(bytecode::Op::APPEND, 0, 1, 0));
  c.push_back(bytecode::EncodeABC(bytecode::Op::APPEND, 0, 0, 0));
  c.push_back(bytecode::EncodeABC(bytecode::Op::APPENDP, 0, 0, 0));
  c.push_back(bytecode::EncodeABC(bytecode::Op::RET, 0, 0, 0));
  p.functions.push_back({"m", 0, 2, 0, static_cast<uint32_t>(c.size())});
  p.maps.push_back({"M", bytecode::Kind::kJson, bytecode::Kind::kJson, "", 0});
  auto prog = TheRuntime().Load(bytecode::WriteProgram(p));
  ASSERT_TRUE(prog.ok()) << prog.status().ToString();
  Ran r = RunOn(**prog, "{}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.out.json, "[7,7,7,7]");
}

}  // namespace
}  // namespace crosswalk::vmtest
