#include "hl7v2/groups.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hl7v2/framing.h"
#include "hl7v2/schema.h"

namespace crosswalk::hl7v2 {
namespace {

// "MSH PID@PATIENT_RESULT/PATIENT ..." with '!' after segments that matched no position.
std::string Layout(const Message& m, const GroupTree& t) {
  std::string out;
  for (int s = 0; s < m.segment_count(); ++s) {
    if (s) out += ' ';
    out += m.segment_id(s);
    std::string path = t.Path(t.group_of(s));
    if (!path.empty()) out += "@" + path;
    if (!t.matched(s)) out += '!';
  }
  return out;
}

std::string Build(std::string_view text, Message* m, GroupTree* t) {
  Status st = m->Parse(text);
  EXPECT_TRUE(st.ok()) << st.ToString();
  t->Build(*m);
  return Layout(*m, *t);
}

TEST(Hl7v2Schema, StructuresAndEvents) {
  for (const StructureDef& s : AllStructures()) {
    EXPECT_EQ(s.root.name, s.name);
    ASSERT_FALSE(s.root.children.empty()) << s.name;
    EXPECT_EQ(s.root.children[0].name, "MSH") << s.name;
  }
  EXPECT_EQ(StructureForEvent("ADT", "A04"), "ADT_A01");
  EXPECT_EQ(StructureForEvent("ADT", "A08"), "ADT_A01");
  EXPECT_EQ(StructureForEvent("ADT", "A13"), "ADT_A01");
  EXPECT_EQ(StructureForEvent("ADT", "A28"), "ADT_A05");
  EXPECT_EQ(StructureForEvent("ADT", "A31"), "ADT_A05");
  EXPECT_EQ(StructureForEvent("SIU", "S14"), "SIU_S12");
  EXPECT_EQ(StructureForEvent("MDM", "T10"), "MDM_T02");
  EXPECT_EQ(StructureForEvent("XYZ", "A01"), "");
  for (std::string_view name : {"ADT_A01", "ADT_A02", "ADT_A03", "ADT_A05", "ORU_R01", "ORM_O01", "OML_O21",
                                "SIU_S12", "VXU_V04", "MDM_T02"}) {
    EXPECT_NE(FindStructure(name), nullptr) << name;
  }
  const StructureDef* oru = FindStructure("ORU_R01");
  const StructureNode& pr = oru->root.children[3];
  EXPECT_EQ(pr.name, "PATIENT_RESULT");
  EXPECT_TRUE(pr.is_group && pr.repeating && !pr.optional);
}

TEST(Hl7v2Schema, SegmentsAndDatatypes) {
  for (std::string_view id : {"MSH", "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "AL1", "DG1", "PR1", "IN1", "GT1",
                              "OBR", "OBX", "ORC", "NTE", "SPM", "SCH", "AIS", "AIG", "AIL", "AIP", "RXA", "RXR",
                              "TXA", "MSA", "ERR", "MRG", "ROL", "TQ1"}) {
    const SegmentDef* def = FindSegment(id);
    ASSERT_NE(def, nullptr) << id;
    for (int i = 1; i <= def->field_count(); ++i) {
      ASSERT_EQ(def->field(i)->seq, i) << id;
      EXPECT_FALSE(def->field(i)->name.empty());
      EXPECT_FALSE(def->field(i)->datatype.empty());
    }
  }
  EXPECT_EQ(FindSegment("PID")->field(5)->name, "Patient Name");
  EXPECT_EQ(FindSegment("PID")->field(5)->datatype, "XPN");
  EXPECT_TRUE(FindSegment("PID")->field(3)->repeating);
  EXPECT_EQ(FindSegment("PID")->field(8)->table, 1);
  EXPECT_EQ(FindSegment("MSH")->field(1)->name, "Field Separator");
  EXPECT_EQ(FindSegment("MSH")->field(9)->datatype, "MSG");
  EXPECT_EQ(FindSegment("OBX")->field_count(), 25);
  EXPECT_EQ(FindSegment("PID")->field(40), nullptr);
  EXPECT_EQ(FindSegment("ZPD"), nullptr);
  EXPECT_TRUE(IsZSegment("ZPD"));
  for (std::string_view dt : {"CX", "XPN", "XAD", "XTN", "CWE", "CE", "CNE", "HD", "EI", "XCN", "XON", "PL", "TS",
                              "DTM", "DR", "CQ", "SN", "NM", "ST", "MSG"}) {
    EXPECT_NE(FindDatatype(dt), nullptr) << dt;
  }
  EXPECT_EQ(FindDatatype("CX")->components[3].name, "Assigning Authority");
  EXPECT_EQ(FindDatatype("CX")->components[3].datatype, "HD");
  EXPECT_EQ(FindDatatype("XPN")->components.size(), 14u);
  EXPECT_TRUE(FindDatatype("ST")->primitive());
  // Every datatype the segment tables name for these segments is described, or a known primitive.
  for (const SegmentDef& seg : AllSegments()) {
    for (const FieldDef& f : seg.fields) {
      (void)f;  // coverage of rarer datatypes is not required
    }
  }
}

// A real ORU_R01 (CDC DEX COVID sample): 2 orders, OBX with NTEs at patient, order and observation level.
TEST(Hl7v2Groups, RealOruWithTwoOrders) {
  std::ifstream in(std::filesystem::path(CW_TEST_DIR) / "fixtures/hl7v2/cdc-dex/local_libs_lib-bumblebee_COVID.hl7",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Message m;
  GroupTree t;
  EXPECT_EQ(Build(text, &m, &t),
            "MSH PID@PATIENT_RESULT/PATIENT NTE@PATIENT_RESULT/PATIENT "
            "OBR@PATIENT_RESULT/ORDER_OBSERVATION NTE@PATIENT_RESULT/ORDER_OBSERVATION "
            "OBX@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION NTE@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION "
            "NTE@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION "
            "OBR@PATIENT_RESULT/ORDER_OBSERVATION NTE@PATIENT_RESULT/ORDER_OBSERVATION "
            "OBX@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION NTE@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION");
  EXPECT_EQ(t.structure()->name, "ORU_R01");
  // Iterate the way a map does.
  int pr = t.FirstChild(t.root(), "PATIENT_RESULT");
  ASSERT_GE(pr, 0);
  EXPECT_EQ(t.NextSibling(pr, "PATIENT_RESULT"), -1);
  std::vector<int> notes_per_obx;
  int orders = 0;
  for (int oo = t.FirstChild(pr, "ORDER_OBSERVATION"); oo >= 0; oo = t.NextSibling(oo, "ORDER_OBSERVATION")) {
    ++orders;
    EXPECT_GE(t.FindSegment(oo, "OBR"), 0);
    for (int ob = t.FirstChild(oo, "OBSERVATION"); ob >= 0; ob = t.NextSibling(ob, "OBSERVATION")) {
      int obx = t.FindSegment(ob, "OBX");
      ASSERT_GE(obx, 0);
      int notes = 0;
      for (int nte = t.FindSegment(ob, "NTE"); nte >= 0; nte = t.FindSegment(ob, "NTE", nte + 1)) ++notes;
      notes_per_obx.push_back(notes);
    }
  }
  EXPECT_EQ(orders, 2);
  EXPECT_EQ(notes_per_obx, (std::vector<int>{2, 1}));
}

TEST(Hl7v2Groups, OruSpecimenZSegmentsAndSecondPatient) {
  Message m;
  GroupTree t;
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ORU^R01^ORU_R01\rPID|1\rPV1|1\rORC|RE\rOBR|1\rOBX|1\rZLR|1\rNTE|1\r"
                  "SPM|1\rOBX|2\rPID|2\rOBR|1\rOBX|1",
                  &m, &t),
            "MSH PID@PATIENT_RESULT/PATIENT PV1@PATIENT_RESULT/PATIENT/VISIT "
            "ORC@PATIENT_RESULT/ORDER_OBSERVATION OBR@PATIENT_RESULT/ORDER_OBSERVATION "
            "OBX@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION ZLR@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION! "
            "NTE@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION "
            "SPM@PATIENT_RESULT/ORDER_OBSERVATION/SPECIMEN OBX@PATIENT_RESULT/ORDER_OBSERVATION/SPECIMEN "
            "PID@PATIENT_RESULT/PATIENT OBR@PATIENT_RESULT/ORDER_OBSERVATION "
            "OBX@PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION");
  int first = t.FirstChild(0, "PATIENT_RESULT");
  int second = t.NextSibling(first, "PATIENT_RESULT");
  ASSERT_GE(second, 0);
  EXPECT_EQ(t.instance(first).begin, 1);
  EXPECT_EQ(t.instance(first).end, 10);
  EXPECT_EQ(t.instance(second).begin, 10);
  EXPECT_EQ(t.instance(second).end, 13);
}

TEST(Hl7v2Groups, AdtA01FamilyAndUnknownStructure) {
  Message m;
  GroupTree t;
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ADT^A04\rEVN|A04\rPID|1\rROL|1\rNK1|1\rPV1|1\rROL|2\rOBX|1\rAL1|1\r"
                  "PR1|1\rROL|3\rPR1|2\rGT1|1\rIN1|1\rIN2|1\rIN1|2\rZPV|1",
                  &m, &t),
            "MSH EVN PID ROL NK1 PV1 ROL OBX AL1 PR1@PROCEDURE ROL@PROCEDURE PR1@PROCEDURE GT1 IN1@INSURANCE "
            "IN2@INSURANCE IN1@INSURANCE ZPV@INSURANCE!");
  EXPECT_EQ(t.structure()->name, "ADT_A01");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ADT^A31^ADT_A05\rEVN|A31\rPID|1\rPV1|1", &m, &t), "MSH EVN PID PV1");
  EXPECT_EQ(t.structure()->name, "ADT_A05");
  // Padded codes (fixed-width senders) name the same structure.
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ADT^ A31 ^ADT_A05   \rEVN|A31\rPID|1\rPV1|1", &m, &t), "MSH EVN PID PV1");
  EXPECT_EQ(t.structure()->name, "ADT_A05");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ADT^A03   \rEVN|A03\rPID|1\rPV1|1\rPR1|1", &m, &t), "MSH EVN PID PV1 PR1@PROCEDURE");
  EXPECT_EQ(t.structure()->name, "ADT_A03");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ADT^A03\rEVN|A03\rPID|1\rPV1|1\rDG1|1\rPR1|1\rOBX|1", &m, &t),
            "MSH EVN PID PV1 DG1 PR1@PROCEDURE OBX");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ADT^A02\rEVN|A02\rPID|1\rPV1|1\rPV1|2", &m, &t), "MSH EVN PID PV1 PV1!");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||QRY^Q01\rQRD|1\rZZZ|1", &m, &t), "MSH! QRD! ZZZ!");
  EXPECT_EQ(t.structure(), nullptr);
  EXPECT_EQ(t.instance(0).name(), "MESSAGE");
}

TEST(Hl7v2Groups, OrmOmlSiuVxuMdm) {
  Message m;
  GroupTree t;
  EXPECT_EQ(Build("MSH|^~\\&|A||||||ORM^O01\rPID|1\rPV1|1\rIN1|1\rORC|NW\rOBR|1\rNTE|1\rOBX|1\rNTE|2\r"
                  "ORC|NW\rRXO|1",
                  &m, &t),
            "MSH PID@PATIENT PV1@PATIENT/PATIENT_VISIT IN1@PATIENT/INSURANCE ORC@ORDER "
            "OBR@ORDER/ORDER_DETAIL NTE@ORDER/ORDER_DETAIL OBX@ORDER/ORDER_DETAIL/OBSERVATION "
            "NTE@ORDER/ORDER_DETAIL/OBSERVATION ORC@ORDER RXO@ORDER/ORDER_DETAIL");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||OML^O21^OML_O21\rPID|1\rORC|NW\rTQ1|1\rOBR|1\rOBX|1\rSPM|1\rSAC|1\r"
                  "ORC|NW\rOBR|2",
                  &m, &t),
            "MSH PID@PATIENT ORC@ORDER TQ1@ORDER/TIMING OBR@ORDER/OBSERVATION_REQUEST "
            "OBX@ORDER/OBSERVATION_REQUEST/OBSERVATION SPM@ORDER/OBSERVATION_REQUEST/SPECIMEN "
            "SAC@ORDER/OBSERVATION_REQUEST/SPECIMEN/CONTAINER ORC@ORDER OBR@ORDER/OBSERVATION_REQUEST");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||SIU^S12\rSCH|1\rTQ1|1\rPID|1\rPV1|1\rRGS|1\rAIS|1\rNTE|1\rAIL|1\rAIP|1\r"
                  "RGS|2\rAIG|1",
                  &m, &t),
            "MSH SCH TQ1 PID@PATIENT PV1@PATIENT RGS@RESOURCES AIS@RESOURCES/SERVICE NTE@RESOURCES/SERVICE "
            "AIL@RESOURCES/LOCATION_RESOURCE AIP@RESOURCES/PERSONNEL_RESOURCE RGS@RESOURCES "
            "AIG@RESOURCES/GENERAL_RESOURCE");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||VXU^V04^VXU_V04\rPID|1\rNK1|1\rPV1|1\rORC|RE\rRXA|0\rRXR|C28\rOBX|1\r"
                  "OBX|2\rORC|RE\rRXA|0",
                  &m, &t),
            "MSH PID NK1 PV1@PATIENT ORC@ORDER RXA@ORDER RXR@ORDER OBX@ORDER/OBSERVATION OBX@ORDER/OBSERVATION "
            "ORC@ORDER RXA@ORDER");
  EXPECT_EQ(Build("MSH|^~\\&|A||||||MDM^T02\rEVN|T02\rPID|1\rPV1|1\rORC|1\rOBR|1\rTXA|1\rOBX|1\rNTE|1\rOBX|2",
                  &m, &t),
            "MSH EVN PID PV1 ORC@COMMON_ORDER OBR@COMMON_ORDER TXA OBX@OBSERVATION NTE@OBSERVATION "
            "OBX@OBSERVATION");
}

// Every fixture of a structure we know matches with few unmatched standard segments.
TEST(Hl7v2Groups, FixturesMatchTheirStructures) {
  namespace fs = std::filesystem;
  Message m;
  GroupTree t;
  Batch b;
  int messages = 0, unmatched = 0, segments = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(CW_TEST_DIR) / "fixtures/hl7v2")) {
    if (!e.is_regular_file() || e.path().extension() != ".hl7") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (!SplitMessages(text, &b).ok()) continue;
    for (auto msg : b.messages) {
      if (!m.Parse(msg).ok()) continue;
      t.Build(m);
      if (t.structure() == nullptr) continue;
      ++messages;
      for (int s = 0; s < m.segment_count(); ++s) {
        ++segments;
        if (!t.matched(s) && !IsZSegment(m.segment_id(s))) ++unmatched;
      }
    }
  }
  EXPECT_GT(messages, 400);
  // Real feeds deviate a little (v2.8 additions, misplaced segments); they stay attached, not lost.
  EXPECT_LT(unmatched * 50, segments) << unmatched << " of " << segments;
}

}  // namespace
}  // namespace crosswalk::hl7v2
