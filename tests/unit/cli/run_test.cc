// `crosswalk run` features a user scripts against: ACKs, lineage tracing, directories and batches where
// every message is accounted for, and ER7 output for maps whose target is hl7v2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_test_util.h"

namespace crosswalk::clitest {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(CliTest, AckDirGivesAaForConvertedAndAeWithReasonForRejected) {
  std::string cwb = CompileGood();
  std::string good = Write("good.hl7", kAdt);
  // A message type no map accepts: rejected (its patient name must not reach the ACK or stderr).
  std::string bad = Write("bad.hl7",
                          "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ORU^R01^ORU_R01|MSG2|P|2.5.1\r"
                          "PID|1||||SECRETNAME^JOHN||19800101|M\r");
  std::string acks = Path("acks");
  Proc p = Tool("run " + cwb + " --in " + good + " --ack-dir " + acks + " --now 2024-05-01T12:00:00Z");
  EXPECT_EQ(p.status, 0) << p.err;
  std::string aa = Slurp(acks + "/good.hl7.ack.hl7");
  EXPECT_NE(aa.find("MSH|^~\\&|RCV|FAC|SND|FAC|20240501120000+0000||ACK^A01^ACK|ACKMSG1|P|2.5.1"), std::string::npos)
      << aa;
  EXPECT_NE(aa.find("\rMSA|AA|MSG1"), std::string::npos) << aa;

  Proc q = Tool("run " + cwb + " --in " + bad + " --ack-dir " + acks);
  EXPECT_NE(q.status, 0);
  std::string ae = Slurp(acks + "/bad.hl7.ack.hl7");
  EXPECT_NE(ae.find("\rMSA|AE|MSG2|"), std::string::npos) << ae;
  EXPECT_NE(ae.find("\rERR|"), std::string::npos) << ae;
  EXPECT_NE(ae.find("no map for HL7 v2 message type ORU\\S\\R01"), std::string::npos) << ae;  // escaped
  EXPECT_EQ(ae.find("SECRETNAME"), std::string::npos) << ae;
  EXPECT_EQ(q.err.find("SECRETNAME"), std::string::npos) << q.err;
}

TEST_F(CliTest, TraceNamesMapLocationsAndInputPathsButNoValues) {
  std::string cwb = CompileGood();
  std::string msg = Write("adt.hl7", kAdt);
  Proc p = Tool("run " + cwb + " --in " + msg + " --trace");
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.err.find("trace: $.id <- "), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("good.cw:3:3 from PID-3[1].1"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("from PID-5[1].1"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find("DOE"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find("12345"), std::string::npos) << p.err;
}

TEST_F(CliTest, DirectoriesAndBatchesAccountForEveryMessage) {
  std::string cwb = CompileGood();
  std::filesystem::create_directories(Path("in"));
  Write("in/one.hl7", kAdt);
  // A batch of two messages (FHS/BHS envelope), the second of a type no map accepts.
  Write("in/batch.hl7", std::string("FHS|^~\\&\rBHS|^~\\&\r") + kAdt +
                            "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|9|P|2.5.1\rPID|1||9\rBTS|2\rFTS|1\r");
  Write("in/garbage.hl7", "this is not a message\n");
  Proc p = Tool("run " + cwb + " --in " + Path("in") + " --out-dir " + Path("out") + " -j 2");
  EXPECT_EQ(p.status, 3) << p.err;  // finished, with rejections
  EXPECT_NE(p.err.find("4 messages: 2 converted, 2 rejected"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("batch.hl7#2: rejected: no map for HL7 v2 message type ORU^R01"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("garbage.hl7: rejected:"), std::string::npos) << p.err;
  EXPECT_TRUE(std::filesystem::exists(Path("out/one.hl7.json")));
  EXPECT_TRUE(std::filesystem::exists(Path("out/batch.hl7#1.json")));
}

TEST_F(CliTest, Hl7v2TargetWritesEscapedEr7) {
  std::string src = Write("oru.cw", R"(map O : fhir "Observation" -> hl7v2 "ORU^R01" {
  segments[]: { id: "MSH", 3: "CW", 9: { 1: "ORU", 2: "R01" }, 10: Observation.id, 12: "2.5.1" }
  segments[]: { id: "OBX", 1: "1", 2: "NM", 3: { 1: Observation.code.text, 3: "L" }, 5: string(Observation.valueQuantity.value),
                8: '""', 14: hl7_dtm(Observation.effectiveDateTime) }
})");
  ASSERT_EQ(Tool("compile " + src + " -o " + Path("oru.cwb")).status, 0);
  std::string in = Write("obs.json", R"({"resourceType":"Observation","id":"o1","code":{"text":"A|B^C&D"},)"
                                     R"("valueQuantity":{"value":1.50},"effectiveDateTime":"2024-03-12T08:10:00-05:00"})");
  Proc p = Tool("run " + Path("oru.cwb") + " --in " + in);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out,
            "MSH|^~\\&|CW||||||ORU^R01|o1||2.5.1\r"
            "OBX|1|NM|A\\F\\B\\S\\C\\T\\D^^L||1.50|||\"\"||||||20240312081000-0500\r");
}

}  // namespace
}  // namespace crosswalk::clitest

namespace crosswalk::clitest {

// `run --check` loads the program against the store and reads no input: the shipped program against the
// shipped store passes and names what it found; without a store, or with one that lacks a map the program
// uses, it fails naming the first missing resource.
TEST_F(CliTest, RunCheckLoadsTheProgramAgainstTheStore) {
  std::string shipped = std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb";
  std::string store = std::string(CW_BUILD_DIR) + "/terminology";
  Proc ok = Tool("run " + shipped + " --term " + store + " --check");
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find(" maps, "), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find(" terminology resources found in " + store), std::string::npos) << ok.out;

  Proc no_store = Tool("run " + shipped + " --check");
  EXPECT_EQ(no_store.status, 1);
  EXPECT_NE(no_store.err.find("no terminology store is open"), std::string::npos) << no_store.err;

  std::string src = Write("missing.cw", R"(map M : json -> json { g: translate(input.x, "urn:example:not-seeded") })");
  Proc compiled = Tool("compile " + src + " -o " + Path("missing.cwb"));
  ASSERT_EQ(compiled.status, 0) << compiled.err;
  Proc lacks = Tool("run " + Path("missing.cwb") + " --term " + store + " --check");
  EXPECT_EQ(lacks.status, 1);
  EXPECT_NE(lacks.err.find("lacks ConceptMap 'urn:example:not-seeded'"), std::string::npos) << lacks.err;
}

// `run --profile FILE`: the counts of every thread's runs, per message, with the map's functions by name,
// the built-ins and the opcodes; never message content. It excludes tracing.
TEST_F(CliTest, ProfileCountsEveryThreadsRunsPerMessage) {
  std::string src = Write("prof.cw", R"(map Adt : hl7v2 "ADT^*" -> json {
  id: Ident(PID-3)
  family: Family(PID-5)
  again: Family(PID-5)
}
def Ident(cx) = trim(cx.1)
def Family(xpn) = if xpn.1 then upper(join([xpn.1, xpn.2, xpn.3, xpn.4, xpn.5, xpn.6], " ")) else null
)");
  Proc compiled = Tool("compile " + src + " -o " + Path("prof.cwb"));
  ASSERT_EQ(compiled.status, 0) << compiled.err;
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += kAdt;
  std::string in = Write("five.hl7", batch);
  std::string report = Path("profile.txt");
  Proc p = Tool("run " + Path("prof.cwb") + " --in " + in + " --out " + Path("out.ndjson") + " -j 2 --profile " + report);
  ASSERT_EQ(p.status, 0) << p.err;
  std::string text = Slurp(report);
  EXPECT_EQ(text.rfind("# crosswalk run --profile: 5 runs; per run: ", 0), 0u) << text;
  // Per message: Ident runs once; Family once, and its second call with the same field is reused.
  EXPECT_NE(text.find("\nIdent                                            1.00         0.00 "), std::string::npos) << text;
  EXPECT_NE(text.find("\nFamily                                           1.00         1.00 "), std::string::npos) << text;
  EXPECT_NE(text.find("\ntrim                                             1.00\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nupper                                            1.00\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nopcode "), std::string::npos) << text;
  EXPECT_NE(text.find("\nCALLB                                            3.00\n"), std::string::npos) << text;
  for (const char* phi : {"DOE", "12345", "19800101"}) EXPECT_EQ(text.find(phi), std::string::npos) << text;
  EXPECT_EQ(Slurp(Path("out.ndjson")).find(R"({"id":"12345","family":"DOE JOHN","again":"DOE JOHN"})"), 0u);

  Proc traced = Tool("run " + Path("prof.cwb") + " --in " + in + " --trace --profile " + report);
  EXPECT_EQ(traced.status, 2);
  EXPECT_NE(traced.err.find("--profile excludes --trace"), std::string::npos) << traced.err;
}

}  // namespace crosswalk::clitest
