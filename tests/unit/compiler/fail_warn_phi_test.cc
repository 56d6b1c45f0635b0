// PHI in fail/warn messages: a message that interpolates input values is shown, by default, as the map wrote
// it (`bad name ${PID-5.1}`) with the map location, never with the values; RunOptions::log_phi shows the
// values. A message known when compiled (literal, folded template, constant) is shown as it is.
// The input is a real HL7 v2 fixture (tests/fixtures/hl7v2/rethinkhealth/adt-a01-full.hl7).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk {
namespace {

using compiler::CompileResult;
using compiler::CompileSource;
using compiler::FormatDiagnostics;

Runtime& Rt() {
  static std::unique_ptr<Runtime> rt = std::move(Runtime::Create()).value();
  return *rt;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string& Message() {
  static const std::string m =
      ReadFile(std::filesystem::path(CW_TEST_DIR) / "fixtures/hl7v2/rethinkhealth/adt-a01-full.hl7");
  return m;
}

// PID-5.1 and PID-5.2 of the fixture, read from its text (so the test follows the fixture).
std::string PidComponent(int field, int component) {
  const std::string& m = Message();
  size_t pid = m.find("PID|");
  std::string seg = m.substr(pid, m.find_first_of("\r\n", pid) - pid);
  size_t at = 0;
  for (int f = 0; f < field; ++f) at = seg.find('|', at) + 1;
  std::string value = seg.substr(at, seg.find('|', at) - at);
  at = 0;
  for (int c = 1; c < component; ++c) at = value.find('^', at) + 1;
  return value.substr(at, value.find_first_of("^~", at) - at);
}

std::shared_ptr<const Program> Build(const std::string& src, std::string* bytecode = nullptr) {
  CompileResult r = CompileSource("phi.cw", src);
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  if (!r.ok()) return nullptr;
  if (bytecode) *bytecode = *r.bytecode;
  auto p = Rt().Load(*r.bytecode);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : nullptr;
}

Status RunOn(const Program& p, bool log_phi, RunOutput* out) {
  RunContext ctx(Rt());
  RunOptions o;
  o.log_phi = log_phi;
  return ctx.Run(p, Message(), o, out);
}

const char* kFailMap = R"(map A : hl7v2 "ADT^A01" -> json {
  id: PID-3.1
  fail "bad name ${PID-5.1}, given ${ PID-5.2 }" if PID-5.1
}
)";

TEST(FailWarnPhi, FixtureHasTheValuesTheTestLooksFor) {
  EXPECT_EQ(PidComponent(5, 1), "SMITH");
  EXPECT_EQ(PidComponent(5, 2), "ALICE");
}

TEST(FailWarnPhi, FailShowsTheTemplateNotTheValuesByDefault) {
  auto p = Build(kFailMap);
  ASSERT_TRUE(p);
  RunOutput out;
  Status s = RunOn(*p, /*log_phi=*/false, &out);
  ASSERT_FALSE(s.ok());
  std::string text = s.ToString();
  EXPECT_NE(text.find("bad name ${PID-5.1}, given ${PID-5.2}"), std::string::npos) << text;
  EXPECT_NE(text.find("phi.cw:3:3"), std::string::npos) << "the map location: " << text;
  EXPECT_EQ(text.find(PidComponent(5, 1)), std::string::npos) << "PHI in the error: " << text;
  EXPECT_EQ(text.find(PidComponent(5, 2)), std::string::npos) << "PHI in the error: " << text;
}

TEST(FailWarnPhi, FailShowsTheValuesWhenTheHostAsks) {
  auto p = Build(kFailMap);
  ASSERT_TRUE(p);
  RunOutput out;
  Status s = RunOn(*p, /*log_phi=*/true, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("bad name " + PidComponent(5, 1) + ", given " + PidComponent(5, 2)),
            std::string::npos)
      << s.ToString();
}

TEST(FailWarnPhi, WarnShowsTheTemplateByDefaultAndTheValuesWithLogPhi) {
  auto p = Build(R"(map A : hl7v2 "ADT^A01" -> json {
  warn "check ${PID-5.1}"
  warn PID-5.2
  id: PID-3.1
}
)");
  ASSERT_TRUE(p);
  RunOutput out;
  ASSERT_TRUE(RunOn(*p, false, &out).ok());
  ASSERT_EQ(out.warnings.size(), 2u);
  EXPECT_EQ(out.warnings[0].message, "check ${PID-5.1}");
  EXPECT_EQ(out.warnings[0].line, 2u);
  EXPECT_EQ(out.warnings[1].message, "${PID-5.2}") << "a bare expression is shown as ${expr}";
  RunOutput phi;
  ASSERT_TRUE(RunOn(*p, true, &phi).ok());
  ASSERT_EQ(phi.warnings.size(), 2u);
  EXPECT_EQ(phi.warnings[0].message, "check " + PidComponent(5, 1));
  EXPECT_EQ(phi.warnings[1].message, PidComponent(5, 2));
}

TEST(FailWarnPhi, TextKnownWhenCompiledIsShownAsItIs) {
  std::string bc;
  auto p = Build(R"(const WHY = "no patient name"
map A : hl7v2 "ADT^A01" -> json {
  warn "plain ${'text'} folded"
  warn WHY
  fail "missing PID-5" if PID-5.1
}
)",
                 &bc);
  ASSERT_TRUE(p);
  auto prog = bytecode::ReadProgram(bc);
  ASSERT_TRUE(prog.ok());
  std::string listing = bytecode::Disassemble(*prog);
  EXPECT_EQ(listing.find("FAILR"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("WARNR"), std::string::npos) << listing;
  for (bool log_phi : {false, true}) {
    RunOutput out;
    Status s = RunOn(*p, log_phi, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.ToString().find("missing PID-5"), std::string::npos) << s.ToString();
    ASSERT_EQ(out.warnings.size(), 2u);
    EXPECT_EQ(out.warnings[0].message, "plain text folded");
    EXPECT_EQ(out.warnings[1].message, "no patient name");
  }
}

TEST(FailWarnPhi, EveryValueBearingFormIsRedacted) {
  // Whatever the message expression, no value of the fixture reaches the default text.
  const char* forms[] = {
      "PID-5.1",
      "upper(PID-5.1)",
      "PID-5.1 ?? \"none\"",
      "(if PID-5.1 then PID-5.1 else \"x\")",
      "\"${upper(PID-5.1)} / ${PID-5.2 ?? 'none'}\"",
      "null ?? \"name ${PID-5.1}\"",
  };
  for (const char* form : forms) {
    SCOPED_TRACE(form);
    auto p = Build(std::string("map A : hl7v2 \"ADT^A01\" -> json {\n  warn ") + form + "\n  fail " + form +
                   "\n}\n");
    ASSERT_TRUE(p);
    RunOutput out;
    Status s = RunOn(*p, false, &out);
    ASSERT_FALSE(s.ok());
    std::string all = s.ToString();
    for (const auto& w : out.warnings) all += "\n" + w.message;
    for (const std::string& phi : {PidComponent(5, 1), PidComponent(5, 2)}) {
      EXPECT_EQ(all.find(phi), std::string::npos) << all;
    }
    RunOutput shown;
    Status t = RunOn(*p, true, &shown);
    ASSERT_FALSE(t.ok());
    std::string with = t.ToString();
    for (const auto& w : shown.warnings) with += "\n" + w.message;
    EXPECT_NE(with.find(PidComponent(5, 1)), std::string::npos) << "log_phi shows the values: " << with;
  }
}

TEST(FailWarnPhi, DisassemblyShowsTheShownText) {
  std::string bc;
  ASSERT_TRUE(Build(kFailMap, &bc));
  auto prog = bytecode::ReadProgram(bc);
  ASSERT_TRUE(prog.ok());
  std::string listing = bytecode::Disassemble(*prog);
  EXPECT_NE(listing.find("FAILR"), std::string::npos) << listing;
  EXPECT_NE(listing.find("\"bad name ${PID-5.1}, given ${PID-5.2}\""), std::string::npos) << listing;
}

TEST(FailWarnPhi, Format1ProgramStillLoadsAndRuns) {
  // Written by the format-1 compiler: its fail/warn are FAIL/WARN, whose text the VM shows as before
  // (runtime/bytecode/README.md, version history). Recompiling gives FAILR/WARNR.
  std::string v1 = ReadFile(std::filesystem::path(CW_TEST_DIR) / "unit/bytecode/data/format1_fail_warn.cwb");
  auto p = Rt().Load(v1);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  RunContext ctx(Rt());
  RunOutput out;
  Status s = ctx.Run(**p, R"({"id":"7"})", {}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.json, R"({"id":"7"})");
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0].line, 4u);
  Status f = ctx.Run(**p, R"({"id":"7","name":"x"})", {}, &out);
  EXPECT_EQ(f.code(), StatusCode::kFailedPrecondition) << f.ToString();
  EXPECT_EQ(f.context().map_line, 5u);
  // The same source compiled now shows no value by default.
  CompileResult r = compiler::Compile({std::string(CW_TEST_DIR) + "/unit/bytecode/data/format1_fail_warn.cw"});
  ASSERT_TRUE(r.ok()) << FormatDiagnostics(r);
  auto p2 = Rt().Load(*r.bytecode);
  ASSERT_TRUE(p2.ok());
  Status g = ctx.Run(**p2, R"({"id":"7","name":"DOE^JANE"})", {}, &out);
  EXPECT_EQ(g.message(), "bad name ${input.name}");
  EXPECT_EQ(out.warnings.at(0).message, "checking ${input.id}");
}

}  // namespace
}  // namespace crosswalk
