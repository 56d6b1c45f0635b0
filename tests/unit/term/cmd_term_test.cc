// `crosswalk term` through the command registry (the same code path as the binary).
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "command.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::Fixture;
using testing::TempDir;

int RunTerm(std::vector<std::string> args) { return testing::RunCommand("term", std::move(args)); }

TEST(CmdTerm, ImportQueryAndExitCodes) {
  TempDir dir;
  const std::string db = dir.db();
  EXPECT_EQ(RunTerm({"import", "--db", db, Fixture("v2-codesystems-utg.ndjson"),
                 Fixture("CodeSystem-administrative-gender.json"), Fixture("v2-to-fhir-ig-conceptmaps.ndjson")}),
            0);
  EXPECT_EQ(RunTerm({"import", "--db", db, "--column", "source_system=LocalSystem", "--column", "source_code=LocalCode",
                 "--column", "target_system=FhirSystem", "--column", "target_code=FhirCode", "--column", "map_url=Map",
                 "--column", "map_version=Ver", Fixture("epic-sex.csv")}),
            0);
  EXPECT_EQ(RunTerm({"import", "--db", db, "--map-url", "urn:example:labmap", Fixture("local-lab-codes.csv")}), 0);
  const std::string v2 = "http://terminology.hl7.org/CodeSystem/v2-0001";
  EXPECT_EQ(RunTerm({"lookup", "--db", db, v2, "F"}), 0);
  EXPECT_EQ(RunTerm({"lookup", "--db", db, v2, "nope"}), 1);
  EXPECT_EQ(RunTerm({"validate", "--db", db, v2, "M"}), 0);
  EXPECT_EQ(RunTerm({"validate", "--db", db, v2, "nope"}), 1);
  EXPECT_EQ(RunTerm({"translate", "--db", db, v2, "F"}), 0);
  EXPECT_EQ(RunTerm({"translate", "--db", db, "--map", "urn:example:map:epic-sex", "urn:example:epic:sex", "2",
                 "--target", "http://hl7.org/fhir/administrative-gender"}),
            0);
  EXPECT_EQ(RunTerm({"translate", "--db", db, "--map", "urn:example:labmap", "urn:example:lab", "GLU"}), 0);
  EXPECT_EQ(RunTerm({"translate", "--db", db, "--map", "urn:example:labmap", "urn:example:lab", "XYZ"}), 1);
  EXPECT_EQ(RunTerm({"translate", "--db", db, "--map", "urn:none", v2, "F"}), 1);
  EXPECT_EQ(RunTerm({"stats", "--db", db, "--list"}), 0);
  // Usage errors.
  EXPECT_EQ(RunTerm({"lookup", v2, "F"}), 2);                          // no --db
  EXPECT_EQ(RunTerm({"lookup", "--db", db, v2}), 2);                   // missing CODE
  EXPECT_EQ(RunTerm({"frobnicate", "--db", db}), 2);                   // unknown subcommand
  EXPECT_EQ(RunTerm({"import", "--db", db, "--column", "bogus=X", Fixture("epic-sex.csv")}), 2);
  // Failures.
  EXPECT_EQ(RunTerm({"import", "--db", db, Fixture("bad-row.csv")}), 1);
  EXPECT_EQ(RunTerm({"stats", "--db", dir.path() + "/missing"}), 1);
}

// The R4 operations through the tool: expand, subsumes, validate --display, translate --all/--reverse/
// --equivalence/--depends-on, import --header-rows. Stdout is compared line by line.
TEST(CmdTerm, OperationsPrintTheirAnswers) {
  TempDir dir;
  const std::string db = dir.db();
  const std::string files = dir.path() + "/in.json";
  {
    std::ofstream(files) << R"({"resourceType":"Bundle","entry":[
      {"resource":{"resourceType":"CodeSystem","url":"urn:cs","concept":[{"code":"a","display":"A","concept":[
        {"code":"b","display":"B"},{"code":"c","display":"C","property":[{"code":"inactive","valueBoolean":true}]}]}]}},
      {"resource":{"resourceType":"ValueSet","url":"urn:vs","compose":{"include":[{"system":"urn:cs",
        "filter":[{"property":"concept","op":"descendent-of","value":"a"}]}]}}},
      {"resource":{"resourceType":"ConceptMap","url":"urn:map","group":[{"source":"urn:s","target":"urn:cs",
        "element":[{"code":"x","target":[{"code":"b","equivalence":"wider"},{"code":"c","equivalence":"equal",
          "dependsOn":[{"property":"urn:p","value":"v"}],"product":[{"property":"urn:q","value":"w"}]}]}]}]}}]})";
  }
  ASSERT_EQ(RunTerm({"import", "--db", db, files}), 0);
  auto out = [&](std::vector<std::string> args, int want) {
    ::testing::internal::CaptureStdout();
    int rc = RunTerm(std::move(args));
    std::string text = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(rc, want) << text;
    return text;
  };
  EXPECT_EQ(out({"expand", "--db", db, "urn:vs"}, 0), "total: 2\nurn:cs\tb\tB\nurn:cs\tc\tC\n");
  EXPECT_EQ(out({"expand", "--db", db, "urn:vs", "--offset", "1", "--count", "1"}, 0), "total: 2\nurn:cs\tc\tC\n");
  EXPECT_EQ(out({"expand", "--db", db, "urn:vs", "--active-only"}, 0),
            "total: 1\nparameter: activeOnly=true\nurn:cs\tb\tB\n");
  EXPECT_EQ(out({"expand", "--db", db, "urn:vs", "--filter", "c", "--lang", "de"}, 0),
            "total: 1\nparameter: displayLanguage=de\nparameter: filter=c\nurn:cs\tc\tC\n");
  EXPECT_EQ(out({"subsumes", "--db", db, "urn:cs", "a", "c"}, 0), "subsumes\n");
  EXPECT_EQ(out({"subsumes", "--db", db, "urn:cs", "b", "c"}, 0), "not-subsumed\n");
  EXPECT_EQ(out({"validate", "--db", db, "urn:cs", "b", "--display", "B"}, 0), "valid\ndisplay: B\n");
  EXPECT_EQ(out({"validate", "--db", db, "urn:cs", "b", "--display", "Bee"}, 1), "invalid\ndisplay: B\n");
  EXPECT_EQ(out({"validate", "--db", db, "urn:cs", "c"}, 0), "valid\ndisplay: C\ninactive: true\n");
  EXPECT_EQ(out({"validate", "--db", db, "", "a", "--valueset", "urn:vs"}, 1), "invalid\n");
  EXPECT_EQ(out({"translate", "--db", db, "--map", "urn:map", "urn:s", "x"}, 0),
            "target_system: urn:cs\ntarget_code: b\ntarget_display: B\nequivalence: wider\nmap: urn:map|\n");
  EXPECT_EQ(out({"translate", "--db", db, "--map", "urn:map", "urn:s", "x", "--depends-on", "urn:p=v", "--all"}, 0),
            "target_system: urn:cs\ntarget_code: c\ntarget_display: C\nequivalence: equal\nmap: urn:map|\n"
            "depends_on: urn:p = v\nproduct: urn:q = w\n\n"
            "target_system: urn:cs\ntarget_code: b\ntarget_display: B\nequivalence: wider\nmap: urn:map|\n");
  EXPECT_EQ(out({"translate", "--db", db, "--map", "urn:map", "urn:s", "x", "--equivalence", "narrower"}, 1), "");
  EXPECT_EQ(out({"translate", "--db", db, "--map", "urn:map", "--reverse", "urn:cs", "b"}, 0),
            "source_system: urn:s\nsource_code: x\nsource_display: \nequivalence: wider\nmap: urn:map|\n");
  EXPECT_EQ(RunTerm({"translate", "--db", db, "--map", "urn:map", "urn:s", "x", "--equivalence", "bogus"}), 2);
  EXPECT_EQ(RunTerm({"import", "--db", db, "--header-rows", "9", files}), 2);
  EXPECT_EQ(RunTerm({"import", "--db", db, "--keep-current", "--make-current", files}), 2);
}

}  // namespace
}  // namespace crosswalk::term
