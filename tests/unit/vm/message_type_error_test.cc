// "No map for message type X" names X only when X has the shape of a code: MSH-9 and resourceType come
// from the message, and the error text ends up in ACKs and logs.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

const char* kAdtOnly = "map A : hl7v2 \"ADT^A01\" -> json {\n  a: 1\n}\n";
const char* kPatientOnly = "map P : fhir \"Patient\" -> json {\n  a: 1\n}\n";

std::string Hl7WithType(const std::string& msh9) {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||" + msh9 + "|MSG1|P|2.5.1\rPID|1||123\r";
}

Status RunHl7(const std::string& msh9) {
  auto p = Build(kAdtOnly);
  EXPECT_TRUE(p);
  return RunOn(*p, Hl7WithType(msh9)).status;
}

TEST(MessageTypeError, RealCodesAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"ORU^R01", "ORU^R01"},       {"ORU^R01^ORU_R01", "ORU^R01"}, {"ZXX_Y^Z99", "ZXX_Y^Z99"},
      {"ADT^A99", "ADT^A99"},       {"SIU", "SIU"},                 {"ADT12345^A0123456", "ADT12345^A0123456"},
  };
  for (const auto& [type, shown] : cases) {
    SCOPED_TRACE(type);
    Status s = RunHl7(type);
    ASSERT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
    EXPECT_EQ(s.message(), std::string("no map for HL7 v2 message type ") + shown) << s.ToString();
  }
}

TEST(MessageTypeError, ContentThatIsNotACodeIsNotShown) {
  const std::string cases[] = {
      "DOE JOHN SSN 123-45-6789^A99",    // a name and an SSN
      "ADT^DOE JOHN",                    // in the trigger
      "ADT\\X0A\\SECRET^A01",            // an escaped newline
      "ADT\x1b[31mSECRET^A01",           // an ANSI escape
      "adt^a01",                         // lower case: not a code either
      "ADTADTADT^A01",                   // 9 characters
      std::string(1 << 20, 'A') + "^A01",  // a megabyte
  };
  for (const std::string& type : cases) {
    SCOPED_TRACE(type.substr(0, 40));
    Status s = RunHl7(type);
    ASSERT_EQ(s.code(), StatusCode::kNotFound) << s.ToString().substr(0, 200);
    std::string text = s.ToString();
    EXPECT_NE(text.find("no map for HL7 v2 message type (not shown: not a message code)"), std::string::npos)
        << text.substr(0, 200);
    EXPECT_EQ(text.find("SECRET"), std::string::npos);
    EXPECT_EQ(text.find("DOE"), std::string::npos);
    EXPECT_EQ(text.find("6789"), std::string::npos);
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_LT(text.size(), 200u);
  }
}

TEST(MessageTypeError, ResourceTypeIsShownOnlyWhenItIsAResourceName) {
  auto p = Build(kPatientOnly);
  ASSERT_TRUE(p);
  Status s = RunOn(*p, R"({"resourceType":"Observation","id":"1"})").status;
  ASSERT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.ToString().find("no map for JSON input of resourceType Observation"), std::string::npos) << s.ToString();
  for (const char* rt : {"DOE JOHN 123-45-6789", "Observation\\nSECRET", "observation", "Obs1",
                         "ObservationObservationObservationObservationObservationObservationX"}) {
    SCOPED_TRACE(rt);
    Status bad = RunOn(*p, std::string(R"({"resourceType":")") + rt + "\"}").status;
    ASSERT_EQ(bad.code(), StatusCode::kNotFound) << bad.ToString();
    EXPECT_NE(bad.ToString().find("no map for JSON input of resourceType (not shown: not a message code)"),
              std::string::npos)
        << bad.ToString();
    EXPECT_EQ(bad.ToString().find("SECRET"), std::string::npos);
    EXPECT_EQ(bad.ToString().find("DOE"), std::string::npos);
  }
  // No resourceType at all: nothing to name.
  Status none = RunOn(*p, R"({"id":"1"})").status;
  ASSERT_EQ(none.code(), StatusCode::kNotFound);
  EXPECT_EQ(none.ToString().find("resourceType"), std::string::npos) << none.ToString();
}

}  // namespace
}  // namespace crosswalk::vmtest

namespace crosswalk::vmtest {
namespace {

TEST(Er7OutputError, KeysFromTheInputAreShownOnlyWhenTheyLookLikeNames) {
  // A spread copies the input's keys into a segment: a key that is not a field number is an error, which
  // names the key only when it has the shape of a name.
  auto p = Build("map O : json -> hl7v2 {\n  segments[]: { id: \"MSH\", ...input }\n}\n");
  ASSERT_TRUE(p);
  Ran named = RunOn(*p, R"({"note":"x"})");
  ASSERT_EQ(named.status.code(), StatusCode::kInvalidArgument) << named.status.ToString();
  EXPECT_NE(named.status.ToString().find("segment 1 (MSH) has key 'note', which is not a field number"),
            std::string::npos)
      << named.status.ToString();
  Ran secret = RunOn(*p, R"({"DOE JOHN 123-45-6789":"x"})");
  ASSERT_EQ(secret.status.code(), StatusCode::kInvalidArgument) << secret.status.ToString();
  EXPECT_NE(secret.status.ToString().find("has key '(not shown)', which is not a field number"), std::string::npos)
      << secret.status.ToString();
  EXPECT_EQ(secret.status.ToString().find("DOE"), std::string::npos) << secret.status.ToString();
}

}  // namespace
}  // namespace crosswalk::vmtest
