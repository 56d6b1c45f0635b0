// VM semantics on HL7 v2 input: paths, repetitions, components, groups, Z-segments, escapes, explicit null,
// and map selection by message type.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

std::string ReadFixture(const std::string& rel) {
  std::ifstream in(std::string(CW_TEST_DIR) + "/fixtures/" + rel, std::ios::binary);
  EXPECT_TRUE(in) << rel;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kAdt = Hl7({
    R"(MSH|^~\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|MSG1|P|2.5.1)",
    R"(PID|1||111^^^MRN^MR~222^^^SSA&2.16.840&ISO^SS~333^^^X||DOE^JOHN^Q~ROE^RICHARD^^^^^M||19800101|""|||A\F\B\S\C\T\D\E\E\R\X\X41\|)",
    R"(PV1|1|I)",
    R"(ZPI|1|custom^value|||z5)",
});

std::string V2Map(const std::string& body, const std::string& type = "\"ADT^A01\"") {
  return "map M : hl7v2 " + type + " -> json {\n" + body + "\n}\n";
}

TEST(VmHl7, FieldsComponentsRepetitions) {
  EXPECT_EQ(Eval(V2Map(R"(family: PID-5.1, given: PID-5.2, first_id: PID-3, id2: PID-3[2].1,
                        auth2: PID-3[2].4.1, oid: PID-3[2].4.2, rep3: PID-3[3].4, dob: PID-7,
                        code: MSH-9.1, trig: MSH-9.2, sep: MSH-1, enc: MSH-2)"),
                 kAdt),
            R"({"family":"DOE","given":"JOHN","first_id":"111","id2":"222","auth2":"SSA","oid":"2.16.840",)"
            R"("rep3":"X","dob":"19800101","code":"ADT","trig":"A01","sep":"|","enc":"^~\\&"})");
}

TEST(VmHl7, RepetitionsInFor) {
  EXPECT_EQ(Eval(V2Map(R"(ids[]: for cx in PID-3 => { value: cx.1, system: cx.4.1, oid: cx.4.2 }
                        for xpn in PID-5 { names[]: { family: xpn.1, use: match xpn.7 { "M" => "maiden" _ => "usual" } } }
                        n: count(PID-3))"),
                 kAdt),
            R"({"ids":[{"value":"111","system":"MRN"},{"value":"222","system":"SSA","oid":"2.16.840"},)"
            R"({"value":"333","system":"X"}],"names":[{"family":"DOE","use":"usual"},{"family":"ROE","use":"maiden"}],"n":3})");
}

TEST(VmHl7, SegmentVariablesAndComponentsOfVariables) {
  EXPECT_EQ(Eval(V2Map(R"(a: P(PID), has_pv1: exists(PV1), no_obx: exists(OBX))",
                       "") + "def P(pid) { id: pid.3.1, fam: pid.5.1, sub: pid.3[2].4.2 }",
                 kAdt),
            R"({"a":{"id":"111","fam":"DOE","sub":"2.16.840"},"has_pv1":true,"no_obx":false})");
}

TEST(VmHl7, EscapesDecoded) {
  EXPECT_EQ(Eval(V2Map(R"(v: PID-11)"), kAdt), R"({"v":"A|B^C&D\\E~XA"})");
}

TEST(VmHl7, ExplicitNullVersusEmpty) {
  EXPECT_EQ(Eval(V2Map(R"(gender: PID-8, marital: PID-9, null8: is_null(PID-8), null9: is_null(PID-9),
                        exists8: exists(PID-8), g: PID-8 ?? "unknown")"),
                 kAdt),
            R"({"null8":true,"null9":false,"exists8":false,"g":"unknown"})");
}

// A value of white space only says nothing (and is no valid FHIR string): it reads empty, as an empty one,
// and `if`/`??`/`where` take it as absent. Trailing blanks are padding and go (`ROE   `); text keeps its
// inner and leading spaces.
TEST(VmHl7, BlankValuesReadEmpty) {
  const std::string msg = Hl7({
      R"(MSH|^~\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|MSG1|P|2.5.1)",
      "PID|1||  ^ ^^\t||  ^JO  HN^ \\.br\\ ~ROE   |  SMITH \t| |\\.br\\|   ~ ~F|",
  });
  EXPECT_EQ(Eval(V2Map(R"(family: PID-5.1, given: PID-5.2, middle: PID-5.3, id: PID-3, has_id: exists(PID-3),
                        id_if: if PID-3 then "yes" else "no", dob: PID-7 ?? "none", sex: PID-8,
                        marital: for r in PID-9 where r => r, n9: count(PID-9), fam2: PID-5[2].1, mother: PID-6)"),
                 msg),
            R"({"given":"JO  HN","has_id":false,"id_if":"no","dob":"none","marital":["F"],"n9":3,"fam2":"ROE",)"
            R"("mother":"  SMITH"})");
}

// Fixed-width senders pad fields: MSH-9 `ADT^A01   ` selects the ADT^A01 map, `""   ` is the explicit null.
TEST(VmHl7, PaddedCodesAndNulls) {
  const std::string msg = Hl7({
      R"(MSH|^~\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01   |MSG1|P|2.5.1)",
      R"(PID|1||123   ||DOE   ^JOHN||19800101|""   )",
  });
  EXPECT_EQ(Eval(V2Map(R"(id: PID-3, family: PID-5.1, null8: is_null(PID-8), trig: MSH-9.2)"), msg),
            R"({"id":"123","family":"DOE","null8":true,"trig":"A01"})");
}

TEST(VmHl7, ZSegments) {
  EXPECT_EQ(Eval(V2Map(R"(z1: ZPI-2.2, z5: ZPI-5, zs: for z in ZPI => z.1)"), kAdt), R"({"z1":"value","z5":"z5","zs":["1"]})");
}

TEST(VmHl7, ZSegmentsFixture) {
  std::string msg = ReadFixture("hl7v2/rethinkhealth/edge-z-segments.hl7");
  EXPECT_EQ(Eval(V2Map(R"(v: ZVN-3.2, e: ZPD-5, id: PID-3.1)"), msg), R"({"v":"VALUE2","e":"EXTENDED_FIELD_4","id":"99999"})");
}

TEST(VmHl7, SegmentGroupsOnRealOru) {
  // LAB-ORU-1 (Microsoft FHIR-Converter, starts with a UTF-8 BOM): two OBR orders with five OBX each; some
  // OBX have no value.
  std::string msg = ReadFixture("hl7v2/ms-fhir-converter/LAB-ORU-1.hl7");
  const std::string src = R"(map ORU : hl7v2 "ORU^R01" -> json {
  for order in ORDER_OBSERVATION {
    orders[]: {
      code: order.OBR-4.1
      n: count(order.OBSERVATION)
      values[]: for obs in order.OBSERVATION where obs.OBX-5 => obs.OBX-5
      units[]: for obs in order.OBSERVATION => obs.OBX-6
    }
  }
  first: OBX-3.1
  pid: PID-5.1
})";
  RunOptions o;
  o.input_kind = InputKind::kHl7v2;
  EXPECT_EQ(Eval(src, msg, o),
            R"({"orders":[{"code":"24317-0","n":5,"values":["4.06","40.1","221"],"units":["tera.l-1","%","giga.l-1"]},)"
            R"({"code":"26464-8","n":5,"values":["72","2","20","6","0"],"units":["%","%","%","%","%"]}],)"
            R"("first":"11156-7","pid":"DUCK"})");
}

TEST(VmHl7, ForOverSegmentNameVisitsEverySegment) {
  // docs/language.md: "`for obx in OBX { … }` every OBX segment (of the message, or of the group it is asked
  // of)": a segment name as a loop source (or in count/last) is every segment of that id (V2SEGS).
  std::string msg = ReadFixture("hl7v2/rethinkhealth/oru-r01-lab.hl7");
  EXPECT_EQ(Eval(V2Map(R"(codes: for obx in OBX => obx.3.1
                        for obx in OBX where obx.2 == "NM" { v[]: decimal(obx.5) })", "\"ORU^R01\""),
                 msg),
            R"({"codes":["WBC","RBC","HGB","HCT","PLT"],"v":[7.5,4.8,14.2,42.1,250]})");
  std::string lab = ReadFixture("hl7v2/ms-fhir-converter/LAB-ORU-1.hl7");
  RunOptions o;
  o.input_kind = InputKind::kHl7v2;
  EXPECT_EQ(Eval(V2Map(R"(for order in ORDER_OBSERVATION { o[]: { c: for obx in order.OBX => obx.1, n: count(order.OBX) } })",
                       "\"ORU^R01\""),
                 lab, o),
            R"({"o":[{"c":["1","2","3","4","5"],"n":5},{"c":["1","2","3","4","5"],"n":5}]})");
}

// An HL7 v2 field or component put into an array the map builds stays a place in the message (APPENDP):
// components, subcomponents, repetitions and count() of an item read the message as they would on the
// path itself, however the array travels (let, a function argument, nesting, `??`, a comprehension).
const std::string kPlaces = Hl7({
    R"(MSH|^~\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|MSG1|P|2.5.1)",
    R"(PID|1||111^^^MRN^MR~222^^^SSA&2.16.840&ISO^SS~333^^^X||DOE^JOHN~ROE^RICHARD||19800101|"")",
    R"(PV1|1|I|WARD^101^B^HOSP&1.2.3&ISO||||||||^^^TEMP&9.9&DNS)",
});

TEST(VmHl7, ArrayItemsKeepTheirPlaceInTheMessage) {
  // The issue's case: hd.1 of a component is its first subcomponent; of a leaf, the leaf itself.
  EXPECT_EQ(Eval(V2Map(R"(hd: for hd in [PV1-3.4, PV1-3.1] => hd.1,
                        oid: for hd in [PV1-3.4] => hd.2)"), kPlaces),
            R"({"hd":["HOSP","WARD"],"oid":["1.2.3"]})");
  // A repeating field as an item: its repetitions (for, count, [i]) and its components (an array the body
  // gives is spliced into the result, as an array item always is).
  EXPECT_EQ(Eval(V2Map(R"(reps: for f in [PID-3, PID-5] => count(f),
                        fams: for f in [PID-5] => for x in f => x.1,
                        second: [PID-3][0][2].4.2,
                        comps: for cx in [PID-3[2], PID-3[3]] => cx.4.1)"), kPlaces),
            R"({"reps":[3,2],"fams":["DOE","ROE"],"second":"2.16.840","comps":["SSA","X"]})");
  // A field whose first component is empty reads as absent but is present (as `if PV1-11` is): it stays
  // in the array and its components are there; PID-8 (explicit null "") and an empty field are dropped.
  EXPECT_EQ(Eval(V2Map(R"(n: count([PV1-11, PID-8, PID-4]), temp: for pl in [PV1-11] => pl.4.1,
                        text: [PV1-11, PV1-3, PV1-3.4])"), kPlaces),
            R"({"n":1,"temp":["TEMP"],"text":["WARD","HOSP"]})");
}

TEST(VmHl7, ArraysOfPlacesThroughLetsFunctionsNestingAndCoalesce) {
  EXPECT_EQ(Eval(V2Map(R"(let pls = [PV1-11, PV1-3]
                        facility: Facilities(pls)
                        last_ns: last(pls).4.1
                        nested: for hd in [[PV1-3.4, PV1-11.4], PID-3[2].4] => hd.2
                        coalesced: for pl in [PV1-6 ?? PV1-11] => pl.4.3
                        picked: for cx in (for cx in PID-3 where cx.4.1 != "MRN" => cx) => cx.4.1
                        joined: join([PID-5[1], PID-5[2]], "/")
                        same: [PID-3[1]] == ["111"])",
                       "") + "def Facilities(pls) = for pl in pls => pl.4.1",
                 kPlaces),
            R"({"facility":["TEMP","HOSP"],"last_ns":"HOSP","nested":["1.2.3","9.9","2.16.840"],)"
            R"("coalesced":["DNS"],"picked":["SSA","X"],"joined":"DOE/ROE","same":true})");
  // `key[]:` builds output: it appends the text, as before.
  EXPECT_EQ(Eval(V2Map(R"(k[]: [PV1-3.4, PV1-11]
                        k[]: PV1-3)"), kPlaces),
            R"({"k":["HOSP","WARD"]})");
}

TEST(VmHl7, MllpFramedInput) {
  std::string framed = "\x0b" + kAdt + "\x1c\r";
  EXPECT_EQ(Eval(V2Map("id: PID-3.1"), framed), R"({"id":"111"})");
}

// ---- map selection --------------------------------------------------------------------------------------

const char* kSelect = R"(
map Exact : hl7v2 "ADT^A01" -> json { m: "exact" }
map Wild : hl7v2 "ADT^*" -> json { m: "wild" }
map Oru : hl7v2 "ORU" -> json { m: "oru" }
map Any : hl7v2 -> json { m: "any" }
map Pat : fhir "Patient" -> json { m: "patient", id: Patient.id }
)";

std::string Msg(const std::string& type) {
  return Hl7({"MSH|^~\\&|A|B|C|D|20240101||" + type + "|1|P|2.5.1", "PID|1||9"});
}

TEST(VmSelect, MostSpecificMapWins) {
  auto p = Build(kSelect);
  ASSERT_TRUE(p);
  auto run = [&](std::string_view in) {
    Ran r = RunOn(*p, in);
    return r.status.ok() ? r.out.map_name + " " + r.out.json : "ERROR " + r.status.ToString();
  };
  EXPECT_EQ(run(Msg("ADT^A01^ADT_A01")), R"(Exact {"m":"exact"})");
  EXPECT_EQ(run(Msg("ADT^A08")), R"(Wild {"m":"wild"})");
  EXPECT_EQ(run(Msg("ORU^R01")), R"(Oru {"m":"oru"})");
  EXPECT_EQ(run(Msg("SIU^S12")), R"(Any {"m":"any"})");
  EXPECT_EQ(run(R"({"resourceType":"Patient","id":"p1"})"), R"(Pat {"m":"patient","id":"p1"})");
}

TEST(VmSelect, UnknownTypeIsNotFound) {
  auto p = Build(R"(map Exact : hl7v2 "ADT^A01" -> json { m: "exact" }
map Pat : fhir "Patient" -> json { m: 1 })");
  ASSERT_TRUE(p);
  Ran r = RunOn(*p, Msg("ORU^R01"));
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound) << r.status.ToString();
  Ran j = RunOn(*p, R"({"resourceType":"Observation"})");
  EXPECT_EQ(j.status.code(), StatusCode::kNotFound) << j.status.ToString();
}

TEST(VmSelect, ByNameOverridesType) {
  auto p = Build(kSelect);
  ASSERT_TRUE(p);
  RunOptions o;
  o.map_name = "Any";
  Ran r = RunOn(*p, Msg("ADT^A01"), o);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.out.json, R"({"m":"any"})");
  o.map_name = "Nope";
  EXPECT_FALSE(RunOn(*p, Msg("ADT^A01"), o).status.ok());
}

TEST(VmSelect, MapsListedInDeclarationOrder) {
  auto p = Build(kSelect);
  ASSERT_TRUE(p);
  auto maps = p->maps();
  ASSERT_EQ(maps.size(), 5u);
  EXPECT_EQ(maps[0].name, "Exact");
  EXPECT_EQ(maps[0].source_kind, "hl7v2");
  EXPECT_EQ(maps[0].message_type, "ADT^A01");
  EXPECT_EQ(maps[4].name, "Pat");
  EXPECT_EQ(maps[4].source_kind, "fhir");
  EXPECT_EQ(maps[4].message_type, "Patient");
}

TEST(VmInput, MalformedInputIsParseError) {
  auto p = Build(V2Map("a: 1", ""));
  ASSERT_TRUE(p);
  EXPECT_EQ(RunOn(*p, "{\"a\": ").status.code(), StatusCode::kParseError);
  EXPECT_EQ(RunOn(*p, "MSH").status.code(), StatusCode::kParseError);
}

}  // namespace
}  // namespace crosswalk::vmtest
