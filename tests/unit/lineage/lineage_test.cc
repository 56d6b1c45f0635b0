// Lineage (RunOptions::trace): for every output value, its JSON path in the written document, the map
// location that set it, the input paths its data came from and those that decided it, and the terminology
// decisions on its way. Each expectation below is worked out from the map by hand.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../term/term_test_util.h"
#include "../vm/vm_test_util.h"
#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk {
namespace {

using vmtest::Build;
using vmtest::Hl7;
using vmtest::RunOn;

// "loc | from a, b | when c | decisions", one per output path.
std::map<std::string, std::string> Summary(const RunOutput& out) {
  std::map<std::string, std::string> m;
  for (const LineageRecord& r : out.lineage) {
    auto list = [&](const std::vector<uint32_t>& which) {
      std::string s;
      for (uint32_t i : which) s += (s.empty() ? "" : ", ") + r.inputs[i].path;
      return s;
    };
    std::string line = std::to_string(r.line) + ":" + std::to_string(r.col) + " | from " + list(r.data_inputs) +
                       " | when " + list(r.condition_inputs);
    for (const LineageDecision& d : r.decisions) {
      line += " | " + d.op + " " + d.url + " " + d.result + " of";
      for (uint32_t i : d.inputs) line += " " + r.inputs[i].path;
    }
    EXPECT_EQ(m.count(r.output_path), 0u) << "two records for " << r.output_path;
    m[r.output_path] = line;
  }
  return m;
}

RunOptions Traced() {
  RunOptions o;
  o.trace = true;
  return o;
}

constexpr const char* kAdt = R"(def Name(xpn) { family: upper(xpn.1), given[]: xpn.2, given[]: xpn.3 }
def Id(cx) = "${cx.4}|${cx.1}"
map A : hl7v2 "ADT^A01" -> json {
  let mrn = PID-3.1
  id: "p-${mrn}"
  ids[]: for cx in PID-3 => Id(cx)
  gender: match PID-8 { "M" => "male" "F" => "female" _ => "unknown" }
  active: if PID-30 then false else true
  name[]: for xpn in PID-5 where xpn.1 => Name(xpn)
  birthDate: date(PID-7) ?? "none"
  if PID-2 { language: "en" }
  for obx in OBX where obx.2 == "NM" {
    value[]: decimal(obx.5)
  }
  total: count(OBX)
  ...{ copied: PV1-2 }
}
)";

const std::string kMsg = Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1",
                              "PID|1|X|123^^^H~456^^^X||DOE^JOHN~^ANN~ROE^RICH^Q||19800101|F",
                              "PV1|1|I",
                              "OBX|1|NM|x||5",
                              "OBX|2|ST|y||six",
                              "OBX|3|NM|z||7"});

TEST(LineageTest, EveryValueOfASmallMapHasTheSourcesReadFromIt) {
  auto p = Build(kAdt);
  ASSERT_TRUE(p);
  auto r = RunOn(*p, kMsg, Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto m = Summary(r.out);
  // Through a let and a string template.
  EXPECT_EQ(m["$.id"], "5:3 | from PID-3[1].1 | when ");
  // Through a user function with a template, per repetition (located at the comprehension that made it).
  EXPECT_EQ(m["$.ids[0]"], "6:10 | from PID-3[1].4, PID-3[1].1 | when ");
  EXPECT_EQ(m["$.ids[1]"], "6:10 | from PID-3[2].4, PID-3[2].1 | when ");
  // A match arm's literal: decided by PID-8.
  EXPECT_EQ(m["$.gender"], "7:3 | from  | when PID-8");
  // if-then-else on an empty field: still decided by it.
  EXPECT_EQ(m["$.active"], "8:3 | from  | when PID-30");
  // for … where …: the second repetition (^ANN) is filtered out; the third is written as name[1].
  EXPECT_EQ(m["$.name[0].family"], "1:17 | from PID-5[1].1 | when ");
  EXPECT_EQ(m["$.name[0].given[0]"], "1:39 | from PID-5[1].2 | when PID-5[1].1");
  EXPECT_EQ(m["$.name[1].family"], "1:17 | from PID-5[3].1 | when ");
  EXPECT_EQ(m["$.name[1].given[1]"], "1:55 | from PID-5[3].3 | when PID-5[3].1");
  EXPECT_EQ(m.count("$.name[2].family"), 0u);
  // A built-in, and `??` that did not need its right side.
  EXPECT_EQ(m["$.birthDate"], "10:3 | from PID-7 | when ");
  // A statement-level if.
  EXPECT_EQ(m["$.language"], "11:14 | from  | when PID-2");
  // Repeated segments are named by ordinal; the filter's field is a condition.
  EXPECT_EQ(m["$.value[0]"], "13:5 | from OBX[1]-5 | when OBX[1]-2");
  EXPECT_EQ(m["$.value[1]"], "13:5 | from OBX[3]-5 | when OBX[3]-2");
  EXPECT_EQ(m.count("$.value[2]"), 0u);
  // A spread keeps the location of the member it copies.
  EXPECT_EQ(m["$.copied"], "16:8 | from PV1-2 | when ");
  // A count of segments comes from the segments (no field of theirs).
  EXPECT_EQ(m["$.total"], "15:3 | from OBX[1], OBX[2], OBX[3] | when ");
  // One record per written leaf, in output order.
  ASSERT_FALSE(r.out.lineage.empty());
  EXPECT_EQ(r.out.lineage.front().output_path, "$.id");
  EXPECT_EQ(r.out.lineage.size(), r.out.trace.size());
  EXPECT_EQ(r.out.trace.front(), "$.id <- t.cw:5:3 from PID-3[1].1");
}

TEST(LineageTest, TheRightSideOfFirstPresentIsDecidedByTheLeft) {
  auto p = Build(R"(map A : hl7v2 -> json {
  birth: date(PID-7) ?? "unknown"
  name: PID-5.1 ?? PID-5.2 ?? "nobody"
})");
  ASSERT_TRUE(p);
  auto r = RunOn(*p, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1", "PID|1||1||^JOHN"}), Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto m = Summary(r.out);
  EXPECT_EQ(m["$.birth"], "2:3 | from  | when PID-7");
  EXPECT_EQ(m["$.name"], "3:3 | from PID-5[1].2 | when PID-5[1].1");
}

TEST(LineageTest, ValuesKeepTheirSourcesThroughObjectsTheMapBuilds) {
  // A value stored in a local object and read back (GETK), and an array built then looped over.
  auto p = Build(R"(def Pair(a, b) { first: a, second: b }
map A : hl7v2 -> json {
  let pair = Pair(PID-5.1, PID-5.2)
  family: pair.first
  given: pair.second
  let codes = [PID-3.1, PID-4.1]
  for c, i in codes { all[]: "${c}-${i}" }
  joined: join(codes, ",")
})");
  ASSERT_TRUE(p);
  auto r = RunOn(*p, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1", "PID|1||1|2|DOE^JOHN"}), Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto m = Summary(r.out);
  EXPECT_EQ(m["$.family"], "4:3 | from PID-5[1].1 | when ");
  EXPECT_EQ(m["$.given"], "5:3 | from PID-5[1].2 | when ");
  EXPECT_EQ(m["$.all[0]"], "7:23 | from PID-3[1].1 | when ");
  EXPECT_EQ(m["$.all[1]"], "7:23 | from PID-4[1].1 | when ");
  EXPECT_EQ(m["$.joined"], "8:3 | from PID-3[1].1, PID-4[1].1 | when ");
}

TEST(LineageTest, PlacesInAnArrayTheMapBuildsKeepTheirSources) {
  // The items of [PV1-3.4, PV1-11.4] stay places (APPENDP): a component read from an item is the input
  // place below the item's own.
  auto p = Build(R"(map A : hl7v2 -> json {
  ids: for hd in [PV1-3.4, PV1-11.4] => hd.2
  names: [PV1-3.4, PV1-11]
})");
  ASSERT_TRUE(p);
  auto r = RunOn(*p, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1", "PV1|1|I|W^1^B^HOSP&1.2.3||||||||^^^TMP&9.9"}),
                 Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto m = Summary(r.out);
  EXPECT_EQ(r.out.json, R"({"ids":["1.2.3","9.9"],"names":["HOSP"]})");
  EXPECT_EQ(m["$.ids[0]"], "2:8 | from PV1-3[1].4, PV1-3[1].4.2 | when ");
  EXPECT_EQ(m["$.ids[1]"], "2:8 | from PV1-11[1].4, PV1-11[1].4.2 | when ");
  // PV1-11 reads as absent (its first component is empty): kept in the array, never written.
  EXPECT_EQ(m["$.names[0]"], "3:16 | from PV1-3[1].4 | when ");
  EXPECT_EQ(m.count("$.names[1]"), 0u);
}

TEST(LineageTest, JsonInputsAreNamedByJsonPath) {
  auto p = Build(R"(map P : fhir "Patient" -> json {
  family: Patient.name[0].family
  given[]: for g in Patient.name[0].given => upper(g)
  identifier: Patient.identifier
  female: Patient.gender == "female"
})");
  ASSERT_TRUE(p);
  auto r = RunOn(*p, R"({"resourceType":"Patient","gender":"female",
    "name":[{"family":"Doe","given":["Jo","Ann"]}],
    "identifier":[{"system":"urn:mrn","value":"1"},{"value":"2"}]})",
                 Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto m = Summary(r.out);
  EXPECT_EQ(m["$.family"], "2:3 | from $.name[0].family | when ");
  EXPECT_EQ(m["$.given[0]"], "3:12 | from $.name[0].given[0] | when ");
  EXPECT_EQ(m["$.given[1]"], "3:12 | from $.name[0].given[1] | when ");
  // A copied input container: each leaf names its own input path.
  EXPECT_EQ(m["$.identifier[0].system"], "4:3 | from $.identifier[0].system | when ");
  EXPECT_EQ(m["$.identifier[1].value"], "4:3 | from $.identifier[1].value | when ");
  EXPECT_EQ(m["$.female"], "5:3 | from $.gender | when ");
}

TEST(LineageTest, PathsAreThoseOfTheWrittenDocument) {
  // Empty values are not written: the indexes in the lineage are those of the output, not of the map.
  auto p = Build(R"(map A : hl7v2 -> json {
  entry[]: { resource: { id: PID-2 } }
  entry[]: { resource: { id: PID-3.1, note: PID-4 } }
})");
  ASSERT_TRUE(p);
  auto r = RunOn(*p, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1", "PID|1||7"}), Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.out.json, R"({"entry":[{"resource":{"id":"7"}}]})");
  ASSERT_EQ(r.out.lineage.size(), 1u);
  EXPECT_EQ(r.out.lineage[0].output_path, "$.entry[0].resource.id");
  EXPECT_EQ(r.out.lineage[0].inputs[0].segment, "PID");
  EXPECT_EQ(r.out.lineage[0].inputs[0].field, 3u);
  EXPECT_EQ(r.out.lineage[0].inputs[0].comp, 1u);
}

TEST(LineageTest, OffByDefaultAndTheSameOutputWhenOn) {
  auto p = Build(kAdt);
  ASSERT_TRUE(p);
  auto off = RunOn(*p, kMsg);
  auto on = RunOn(*p, kMsg, Traced());
  ASSERT_TRUE(off.status.ok() && on.status.ok());
  EXPECT_TRUE(off.out.lineage.empty());
  EXPECT_TRUE(off.out.trace.empty());
  EXPECT_TRUE(off.out.lines_run.empty());
  EXPECT_EQ(off.out.json, on.out.json);
}

TEST(LineageTest, LinesRunAreTheLinesWhoseCodeRan) {
  auto p = Build(R"(def Never(x) = x
def Used(x) = x
map A : hl7v2 -> json {
  a: Used(PID-3)
  b: Never(PID-4) if PID-30
})");
  ASSERT_TRUE(p);
  auto r = RunOn(*p, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1", "PID|1||7"}), Traced());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  std::vector<uint32_t> ran;
  for (const SourceLine& l : r.out.lines_run) {
    EXPECT_EQ(l.file, "t.cw");
    ran.push_back(l.line);
  }
  EXPECT_EQ(ran, (std::vector<uint32_t>{2, 3, 4, 5}));  // line 5 ran its condition, not its call
  std::vector<uint32_t> all;
  for (const SourceLine& l : p->source_lines()) all.push_back(l.line);
  EXPECT_EQ(all, (std::vector<uint32_t>{1, 2, 3, 4, 5}));
}

// Terminology decisions, against a store made for the test.
class LineageTermTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new term::testing::TempDir();
    std::string file = dir_->path() + "/map.json";
    std::ofstream(file) << R"({"resourceType":"ConceptMap","url":"urn:map:sex","group":[{"source":"urn:v2","target":"urn:fhir",
      "element":[{"code":"F","target":[{"code":"female","equivalence":"equivalent"}]}]}]})";
    std::string cs = dir_->path() + "/cs.json";
    std::ofstream(cs) << R"({"resourceType":"CodeSystem","url":"urn:cs","content":"complete",
      "concept":[{"code":"a","display":"Alpha"}]})";
    Status s = term::testing::ImportInto(dir_->db(), {file, cs});
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto rt = Runtime::Create({.terminology_dir = dir_->db()});
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    runtime_ = rt->release();
  }
  static void TearDownTestSuite() {
    delete runtime_;
    delete dir_;
  }
  static RunOutput Run(const std::string& src, const std::string& msg, bool log_phi = false) {
    auto c = compiler::CompileSource("t.cw", src);
    EXPECT_TRUE(c.ok()) << compiler::FormatDiagnostics(c);
    auto p = runtime_->Load(*c.bytecode);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    RunContext ctx(*runtime_);
    RunOutput out;
    RunOptions o = Traced();
    o.log_phi = log_phi;
    Status s = ctx.Run(**p, msg, o, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  static term::testing::TempDir* dir_;
  static Runtime* runtime_;
};
term::testing::TempDir* LineageTermTest::dir_ = nullptr;
Runtime* LineageTermTest::runtime_ = nullptr;

constexpr const char* kTermMap = R"(map A : hl7v2 -> json {
  gender: translate(PID-8, "urn:map:sex") ?? "unknown"
  kept: translate(PID-9, "urn:map:sex", "keep")
  display: lookup(PID-10, "urn:cs")
})";

TEST_F(LineageTermTest, TranslateAndLookupAreRecordedWithTheirCodesInputs) {
  RunOutput out = Run(kTermMap, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1",
                                     "PID|1||1|||||F|Q|a"}));
  auto m = Summary(out);
  EXPECT_EQ(m["$.gender"], "2:3 | from PID-8 | when  | translate urn:map:sex mapped of PID-8");
  EXPECT_EQ(m["$.kept"], "3:3 | from PID-9 | when  | translate urn:map:sex unmapped of PID-9");
  EXPECT_EQ(m["$.display"], "4:3 | from PID-10 | when  | lookup urn:cs found of PID-10");
  // Codes are not shown unless the host asks (they can carry content).
  for (const LineageRecord& r : out.lineage) {
    for (const LineageDecision& d : r.decisions) {
      EXPECT_TRUE(d.source_code.empty() && d.target_code.empty());
    }
  }
  EXPECT_EQ(out.trace[0], "$.gender <- t.cw:2:3 from PID-8 [translate via urn:map:sex: mapped at t.cw:2:11]");
}

TEST_F(LineageTermTest, AnUnmappedCodeDecidesTheDefault) {
  RunOutput out = Run(kTermMap, Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1", "PID|1||1|||||X"}), true);
  auto m = Summary(out);
  EXPECT_EQ(m["$.gender"], "2:3 | from  | when PID-8 | translate urn:map:sex unmapped of PID-8");
  ASSERT_EQ(out.lineage.size(), 1u);
  ASSERT_EQ(out.lineage[0].decisions.size(), 1u);
  EXPECT_EQ(out.lineage[0].decisions[0].source_code, "X");  // with log_phi
}

}  // namespace
}  // namespace crosswalk
