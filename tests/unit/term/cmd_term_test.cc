// `crosswalk term` through the command registry (the same code path as the binary).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "command.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::Fixture;
using testing::TempDir;

int RunTerm(std::vector<std::string> args) {
  for (const auto& c : cli::Commands()) {
    if (c.name == "term") return c.run(args);
  }
  ADD_FAILURE() << "term command not registered";
  return -1;
}

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

}  // namespace
}  // namespace crosswalk::term
