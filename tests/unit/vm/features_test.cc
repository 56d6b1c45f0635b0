// Language features added after the first release of the language reference: loop positions, conditional
// and spliced array items, object spread, return from maps, module constants built from constants,
// indexing segments, and a UTF-8 BOM before JSON input.
#include <gtest/gtest.h>

#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

const std::string kNk = Hl7({
    R"(MSH|^~\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|MSG1|P|2.5.1)",
    R"(PID|1||111||DOE^JOHN||19800101|M)",
    R"(NK1|1|ONE^A|SPO)",
    R"(NK1|2|TWO^B|CHD)",
    R"(NK1|3|THREE^C|CHD)",
});

TEST(VmFeatures, LoopPositions) {
  EXPECT_EQ(Eval(JsonMap(R"(a: for x, i in input.xs => "${i}=${x}"
                            for x, i in input.xs where i > 0 { b[]: i })"),
                 R"({"xs":["p","q","r"]})"),
            R"({"a":["0=p","1=q","2=r"],"b":[1,2]})");
}

TEST(VmFeatures, ConditionalAndSplicedArrayItems) {
  EXPECT_EQ(Eval(JsonMap(R"(a: [1, 2 if false, 3 if input.t, null, ...input.xs, input.xs])"),
                 R"({"t":true,"xs":[7,8]})"),
            R"({"a":[1,3,7,8,7,8]})");
}

TEST(VmFeatures, ObjectSpreadAndReturnFromAMap) {
  EXPECT_EQ(Eval(JsonMap(R"(a: 1
                            ...Base() 
                            ...{ c: 3 } if input.t
                            ...{ d: 4 } if not input.t)",
                         "def Base() { a: 9, b: 2, e: \"\" }"),
                 R"({"t":true})"),
            R"({"a":9,"b":2,"c":3})");
  EXPECT_EQ(Eval("map M : json -> json { return [1, 2] }"), "[1,2]");
}

TEST(VmFeatures, ConstantsBuiltFromConstants) {
  EXPECT_EQ(Eval("const BASE = \"http://x/\"\nconst FULL = \"${BASE}cm\"\nconst N = 2 * 21\n" +
                 JsonMap("a: FULL, n: N")),
            R"({"a":"http://x/cm","n":42})");
}

TEST(VmFeatures, IndexingAndCountingSegments) {
  EXPECT_EQ(Eval(R"(map M : hl7v2 "ADT^A01" -> json {
  first: NK1[1].2.1, second: NK1[2].2.1, none: NK1[4].2.1, n: count(NK1), last: last(NK1).2.1
  rel: for nk in NK1 where nk.3 == "CHD" => nk.2.1
})",
                 kNk),
            R"({"first":"ONE","second":"TWO","n":3,"last":"THREE","rel":["TWO","THREE"]})");
}

// segment_index(x): the 1-based position in the message of the segment a reference is in (a segment, a field
// or a component of one), so segments the structure places alike can be told apart by order (ARV after PID or
// after PV1: both are the message's own in ADT_A01); absent for an absent segment and for other values.
TEST(VmFeatures, SegmentIndexTellsSegmentsApartByPosition) {
  std::string adt = Hl7({
      R"(MSH|^~\&|S|F|R|F|20240102030405||ADT^A01|M1|P|2.6)",
      R"(EVN|A01)",
      R"(PID|1||111||DOE^J)",
      R"(ARV|1|A|DEM)",
      R"(PV1|1|I)",
      R"(ARV|2|A|LOC)",
  });
  EXPECT_EQ(Eval(R"(map M : hl7v2 "ADT^A01" -> json {
  msh: segment_index(MSH), field: segment_index(PID-5.1), all: for a in ARV => segment_index(a)
  visit: for a in ARV where segment_index(a) > segment_index(PV1) => a.3
  none: segment_index(DB1) ?? "absent", text: segment_index("PID") ?? "absent"
})",
                 adt),
            R"({"msh":1,"field":3,"all":[4,6],"visit":["LOC"],"none":"absent","text":"absent"})");
}

// direct(NTE): the segments the message (or a group) holds itself, not those inside its child groups. SIU_S12:
// the appointment's NTE follows SCH; each resource group (RESOURCES/SERVICE) may have NTEs of its own.
TEST(VmFeatures, DirectSegmentsOfAGroup) {
  std::string siu = Hl7({
      R"(MSH|^~\&|S|F|R|F|20240102030405||SIU^S12^SIU_S12|M1|P|2.5.1)",
      R"(SCH|1||||||||||^^^202401021000)",
      R"(NTE|1||appointment note)",
      R"(PID|1||111)",
      R"(RGS|1)",
      R"(AIS|1||X^Exam)",
      R"(NTE|1||service note)",
  });
  EXPECT_EQ(Eval(R"(map M : hl7v2 "SIU^S12" -> json {
  own: for n in direct(NTE) => n.3
  all: for n in NTE => n.3
  service: for g in SERVICE => for n in direct(g.NTE) => n.3
})",
                 siu),
            R"({"own":["appointment note"],"all":["appointment note","service note"],"service":["service note"]})");
}

TEST(VmFeatures, JsonInputWithAByteOrderMark) {
  EXPECT_EQ(Eval("map P : fhir \"Patient\" -> json { id: Patient.id }", "\xEF\xBB\xBF{\"resourceType\":\"Patient\",\"id\":\"x\"}"),
            R"({"id":"x"})");
}

}  // namespace
}  // namespace crosswalk::vmtest
