// `crosswalk check`, `crosswalk test` and `crosswalk fmt` as a map author runs them: a folder of maps and
// golden cases, failures with readable differences, --update, JUnit XML, formatting in place and --check,
// exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_test_util.h"

namespace crosswalk::clitest {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMap = R"(map Adt : hl7v2 "ADT^*" -> json {
  resourceType: "Patient"
  id: PID-3.1
  name[]: for xpn in PID-5 => { family: xpn.1, given[]: xpn.2 }
  gender: match PID-8 { "M" => "male" "F" => "female" _ => null }
  birthDate: date(PID-7)
  weight: decimal("1.50")
  warn "no id" if not PID-3
  fail "unknown sex" if PID-8 == "X"
}
)";

std::string Adt(const std::string& pid3, const std::string& sex) {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|MSG1|P|2.5.1\r"
         "PID|1||" + pid3 + "||DOE^JOHN||19800101|" + sex + "\r";
}

class AuthoringTest : public CliTest {
 protected:
  // maps/adt.cw with cases maps/tests/{ok,rejected,warned}.hl7.
  void WriteFolder() {
    fs::create_directories(dir_ / "maps" / "tests");
    Write("maps/adt.cw", kMap);
    Write("maps/tests/ok.hl7", Adt("12345^^^MRN^MR", "M"));
    Write("maps/tests/rejected.hl7", Adt("12345", "X"));
    Write("maps/tests/warned.hl7", Adt("", "F"));
  }
};

TEST_F(AuthoringTest, CheckWritesNothingAndReportsErrorsAndWarnings) {
  std::string good = Write("good.cw", kMap);
  Proc p = Tool("check " + good);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, "");
  EXPECT_EQ(p.err, "");
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_NE(e.path().extension(), ".cwb") << "check wrote a program";

  std::string bad = Write("bad.cw", "map M : hl7v2 \"ADT^A01\" -> json {\n  a: Nope(1)\n  c: nothing\n}\n");
  Proc q = Tool("check " + bad);
  EXPECT_EQ(q.status, 1);
  EXPECT_NE(q.err.find("bad.cw:2:6: error: unknown function 'Nope'"), std::string::npos) << q.err;
  EXPECT_NE(q.err.find("bad.cw:3:6: error: undefined name 'nothing'"), std::string::npos) << q.err;
  EXPECT_NE(q.err.find("crosswalk check: 2 errors, 0 warnings"), std::string::npos) << q.err;

  EXPECT_EQ(Tool("check").status, 2);
  EXPECT_EQ(Tool("check --bogus " + good).status, 2);
  EXPECT_EQ(Tool("check --help").status, 0);
  EXPECT_EQ(Tool("check " + Path("missing.cw")).status, 1);
}

TEST_F(AuthoringTest, CheckWarningsAndTheirSwitches) {
  std::string map = Write("z.cw", "map M : hl7v2 \"ADT^A01\" -> json {\n  vip: ZPI-2\n}\n");
  Proc p = Tool("check " + map);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.err.find("z.cw:2:8: warning: Z-segment ZPI is not declared"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("[W0002]"), std::string::npos) << p.err;
  Proc strict = Tool("check --werror " + map);
  EXPECT_EQ(strict.status, 1);
  EXPECT_NE(strict.err.find("crosswalk check: 0 errors, 1 warning"), std::string::npos) << strict.err;
  Proc allowed = Tool("check --werror --allow-undeclared-z " + map);
  EXPECT_EQ(allowed.status, 0) << allowed.err;
  EXPECT_EQ(allowed.err, "");
  // Declared, the segment is checked against its declaration.
  std::string declared = Write("zd.cw", "segment ZPI { 1: set_id, 2: vip_flag }\n"
                                        "map M : hl7v2 \"ADT^A01\" -> json {\n  vip: ZPI-2\n  pet: ZPI-44\n}\n");
  Proc d = Tool("check " + declared);
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.err.find("zd.cw:4:8: error: ZPI has no field 44 (its declaration at line 1 has fields up to 2) [E0217]"),
            std::string::npos)
      << d.err;
  EXPECT_EQ(Tool("compile --allow-undeclared-z " + map + " -o " + Path("z.cwb")).status, 0);
}

TEST_F(AuthoringTest, CheckResolvesImportsThroughIncludeDirs) {
  fs::create_directories(dir_ / "lib" / "util");
  Write("lib/util/names.cw", "def Upper(x) = upper(x)\n");
  std::string map = Write("m.cw", "import util.names\nmap M : json -> json {\n  a: names.Upper(input.a)\n}\n");
  EXPECT_EQ(Tool("check " + map).status, 1);
  Proc p = Tool("check " + map + " -I " + Path("lib"));
  EXPECT_EQ(p.status, 0) << p.err;
}

TEST_F(AuthoringTest, TestWithoutExpectationsFailsThenUpdateRecordsThem) {
  WriteFolder();
  Proc first = Tool("test " + Path("maps"));
  EXPECT_EQ(first.status, 1);
  EXPECT_NE(first.out.find("no expectation (ok.expected.json, ok.expected.hl7 or ok.rejected)"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("3 cases: 0 passed, 3 failed"), std::string::npos) << first.out;

  Proc update = Tool("test --update " + Path("maps"));
  EXPECT_EQ(update.status, 0) << update.out << update.err;
  EXPECT_NE(update.out.find("3 cases: 3 updated, 0 unchanged, 0 failed"), std::string::npos) << update.out;
  EXPECT_EQ(ReadFile(Path("maps/tests/ok.expected.json")),
            "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"12345\",\n  \"name\": [\n    {\n"
            "      \"family\": \"DOE\",\n      \"given\": [\n        \"JOHN\"\n      ]\n    }\n  ],\n"
            "  \"gender\": \"male\",\n  \"birthDate\": \"1980-01-01\",\n  \"weight\": 1.50\n}\n");
  EXPECT_EQ(ReadFile(Path("maps/tests/rejected.rejected")), "adt.cw:9:3: unknown sex\n");
  EXPECT_EQ(ReadFile(Path("maps/tests/warned.warnings")), "adt.cw:8:3: no id\n");
  EXPECT_FALSE(fs::exists(Path("maps/tests/ok.warnings")));

  // From another folder, with the map named explicitly: the same expectations hold.
  Proc again = Tool("test " + Path("maps/adt.cw") + " " + Path("maps/tests"));
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(again.out, "3 cases: 3 passed, 0 failed\n");
  // A second update changes nothing.
  Proc noop = Tool("test --update " + Path("maps"));
  EXPECT_NE(noop.out.find("3 cases: 0 updated, 3 unchanged, 0 failed"), std::string::npos) << noop.out;
}

TEST_F(AuthoringTest, DifferencesArePrintedByPath) {
  WriteFolder();
  ASSERT_EQ(Tool("test --update " + Path("maps")).status, 0);
  // Member order does not matter; values, exact decimals and array items do.
  Write("maps/tests/ok.expected.json",
        R"({"id": "12345", "resourceType": "Patient", "name": [{"family": "DOW", "given": ["JOHN", "Q"]}],)"
        R"( "gender": "female", "weight": 1.5, "extra": {"a": 1}})");
  Write("maps/tests/rejected.rejected", "another reason\n");
  Write("maps/tests/warned.warnings", "adt.cw:8:3: something else\n");
  Proc p = Tool("test " + Path("maps") + " --junit " + Path("report.xml"));
  EXPECT_EQ(p.status, 1);
  std::string ok = "FAIL " + Path("maps/tests/ok.hl7") + "\n"
                   "  $.name[0].family: expected \"DOW\", got \"DOE\"\n"
                   "  $.name[0].given[1]: missing (expected \"Q\")\n"
                   "  $.gender: expected \"female\", got \"male\"\n"
                   "  $.weight: expected 1.5, got 1.50\n"
                   "  $.extra: missing (expected {\"a\":1})\n"
                   "  $.birthDate: unexpected \"1980-01-01\"\n";
  EXPECT_NE(p.out.find(ok), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("  expected a rejection containing: another reason\n"
                       "  rejected with: adt.cw:9:3: unknown sex\n"),
            std::string::npos)
      << p.out;
  EXPECT_NE(p.out.find("  warnings differ; expected:\n    adt.cw:8:3: something else\n  got:\n    adt.cw:8:3: no id\n"),
            std::string::npos)
      << p.out;
  EXPECT_NE(p.out.find("3 cases: 0 passed, 3 failed"), std::string::npos) << p.out;
  std::string xml = ReadFile(Path("report.xml"));
  EXPECT_NE(xml.find("<testsuite name=\"crosswalk test\" tests=\"3\" failures=\"3\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"$.name[0].family: expected &quot;DOW&quot;, got &quot;DOE&quot;\">"),
            std::string::npos)
      << xml;
}

TEST_F(AuthoringTest, OneCaseFileAndItsKindOfExpectation) {
  WriteFolder();
  // A case that converts but is expected to be rejected, and one expected as HL7 v2 text.
  Write("maps/tests/ok.rejected", "anything");
  Proc p = Tool("test " + Path("maps/adt.cw") + " " + Path("maps/tests/ok.hl7"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.out.find("expected a rejection (anything), but the input converted"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("1 cases: 0 passed, 1 failed"), std::string::npos) << p.out;
  fs::remove(Path("maps/tests/ok.rejected"));
  Write("maps/tests/ok.expected.hl7", "MSH|x\n");
  Proc h = Tool("test " + Path("maps/adt.cw") + " " + Path("maps/tests/ok.hl7"));
  EXPECT_NE(h.out.find("the output is JSON, not HL7 v2"), std::string::npos) << h.out;
  Write("maps/tests/ok.expected.json", "{}");
  Proc both = Tool("test " + Path("maps/adt.cw") + " " + Path("maps/tests/ok.hl7"));
  EXPECT_NE(both.out.find("more than one expectation beside the input"), std::string::npos) << both.out;
  // A file of two messages is not one case.
  Write("maps/tests/two.hl7", Adt("1", "M") + Adt("2", "F"));
  Proc two = Tool("test " + Path("maps/adt.cw") + " " + Path("maps/tests/two.hl7"));
  EXPECT_NE(two.out.find("the input holds 2 messages; a case is one message"), std::string::npos) << two.out;
}

TEST_F(AuthoringTest, HL7OutputComparedSegmentBySegment) {
  fs::create_directories(dir_ / "oru");
  Write("oru/to-v2.cw", "map Out : json -> hl7v2 \"ORU^R01\" {\n"
                        "  segments[]: { id: \"MSH\", 9: \"ORU^R01\", 10: input.id }\n"
                        "  segments[]: { id: \"PID\", 3: input.mrn }\n}\n");
  Write("oru/a.json", R"({"id": "C1", "mrn": "M9"})");
  ASSERT_EQ(Tool("test --update " + Path("oru")).status, 0);
  std::string expected = ReadFile(Path("oru/a.expected.hl7"));
  ASSERT_NE(expected.find("\nPID|||M9\n"), std::string::npos) << expected;
  Write("oru/a.expected.hl7", expected.substr(0, expected.find("PID")) + "PID|||M8\n");
  Proc p = Tool("test " + Path("oru"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.out.find("  segment 2: expected PID|||M8\n                  got PID|||M9\n"), std::string::npos)
      << p.out;
}

TEST_F(AuthoringTest, UsageAndCompileErrors) {
  EXPECT_EQ(Tool("test").status, 2);
  EXPECT_EQ(Tool("test --help").status, 0);
  EXPECT_EQ(Tool("test --bogus x").status, 2);
  fs::create_directories(dir_ / "empty");
  Write("empty/a.hl7", Adt("1", "M"));
  Proc nomaps = Tool("test " + Path("empty"));
  EXPECT_EQ(nomaps.status, 2);
  EXPECT_NE(nomaps.err.find("no maps"), std::string::npos) << nomaps.err;
  Proc missing = Tool("test " + Path("nothing-here"));
  EXPECT_EQ(missing.status, 1);
  Write("empty/broken.cw", "map M : json -> json {\n  a: nope\n}\n");
  Proc broken = Tool("test " + Path("empty"));
  EXPECT_EQ(broken.status, 1);
  EXPECT_NE(broken.err.find("undefined name 'nope'"), std::string::npos) << broken.err;
  EXPECT_NE(broken.err.find("crosswalk test: the maps do not compile"), std::string::npos) << broken.err;
}

TEST_F(AuthoringTest, FmtRewritesInPlaceAndChecks) {
  fs::create_directories(dir_ / "m" / "sub");
  std::string messy = "map   M:json->json{\na :1   // one\n}\n";
  std::string canonical = "map M : json -> json {\n  a: 1   // one\n}\n";
  Write("m/a.cw", messy);
  Write("m/sub/b.cw", canonical);
  Write("m/notes.txt", messy);
  Proc check = Tool("fmt --check " + Path("m"));
  EXPECT_EQ(check.status, 1);
  EXPECT_EQ(check.out, Path("m/a.cw") + "\n");
  EXPECT_NE(check.err.find("1 file is not in the canonical layout"), std::string::npos) << check.err;
  EXPECT_EQ(ReadFile(Path("m/a.cw")), messy) << "--check wrote";

  Proc fmt = Tool("fmt " + Path("m"));
  EXPECT_EQ(fmt.status, 0) << fmt.err;
  EXPECT_EQ(ReadFile(Path("m/a.cw")), canonical);
  EXPECT_EQ(ReadFile(Path("m/notes.txt")), messy);
  EXPECT_EQ(Tool("fmt --check " + Path("m")).status, 0);

  // Standard input to standard output.
  Write("in.cw", messy);
  Proc pipe = Tool("fmt - < " + Path("in.cw"));
  EXPECT_EQ(pipe.status, 0);
  EXPECT_EQ(pipe.out, canonical);
}

TEST_F(AuthoringTest, FmtLeavesAFileWithSyntaxErrorsAlone) {
  std::string broken = "map M : json -> json {\n  a: (1\n}\n";
  Write("bad.cw", broken);
  Proc p = Tool("fmt " + Path("bad.cw"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("bad.cw:2:6: error: '(' is not closed before"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("not formatted (it does not parse)"), std::string::npos) << p.err;
  EXPECT_EQ(ReadFile(Path("bad.cw")), broken);
  EXPECT_EQ(Tool("fmt").status, 2);
  EXPECT_EQ(Tool("fmt --bogus x.cw").status, 2);
  EXPECT_EQ(Tool("fmt " + Path("missing.cw")).status, 1);
}

}  // namespace
}  // namespace crosswalk::clitest
