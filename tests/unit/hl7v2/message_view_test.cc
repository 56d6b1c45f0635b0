// crosswalk::MessageView (crosswalk/hl7v2.h): the public reading API that `inspect` and `coverage` use.
#include <gtest/gtest.h>

#include <string>

#include "crosswalk/hl7v2.h"

namespace {

using crosswalk::MessageView;

const char kOru[] =
    "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240101120000||ORU^R01^ORU_R01|42|P|2.5.1\r"
    "PID|1||123^^^HOSP^MR||DOE^JANE\\S\\X\r"
    "OBR|1||F1|4548-4^HbA1c^LN\r"
    "OBX|1|NM|4548-4^HbA1c^LN||6.1|%|||||F\r"
    "ZXT|1|\"\"\r";

TEST(MessageViewTest, ReadsSegmentsFieldsDelimitersAndDecodes) {
  MessageView m;
  ASSERT_TRUE(m.Parse(kOru).ok());
  ASSERT_EQ(m.segment_count(), 5);
  EXPECT_EQ(m.segment_id(0), "MSH");
  EXPECT_EQ(m.segment_id(1), "PID");
  EXPECT_EQ(m.field(0, 1), "|");
  EXPECT_EQ(m.field(0, 2), "^~\\&");
  EXPECT_EQ(m.field(0, 9), "ORU^R01^ORU_R01");
  EXPECT_EQ(m.field_count(1), 5);
  EXPECT_EQ(m.field(1, 5), "DOE^JANE\\S\\X");
  std::string scratch;
  EXPECT_EQ(m.Decode("JANE\\S\\X", &scratch), "JANE^X");
  MessageView::Delimiters d = m.delimiters();
  EXPECT_EQ(d.component, '^');
  EXPECT_EQ(d.repetition, '~');
  EXPECT_EQ(d.subcomponent, '&');
  EXPECT_TRUE(MessageView::IsExplicitNull(m.field(4, 2)));
  // Out of range: empty, never a crash.
  EXPECT_EQ(m.field(1, 99), "");
  EXPECT_EQ(m.field(99, 1), "");
  EXPECT_EQ(m.segment_id(-1), "");
  EXPECT_EQ(m.field_count(7), 0);
}

TEST(MessageViewTest, GivesEachSegmentItsGroup) {
  MessageView m;
  ASSERT_TRUE(m.Parse(kOru).ok());
  EXPECT_EQ(m.structure(), "ORU_R01");
  EXPECT_EQ(m.group_path(0), "ORU_R01");
  EXPECT_EQ(m.group_path(1), "PATIENT_RESULT/PATIENT");
  EXPECT_EQ(m.group_path(3), "PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION");
  EXPECT_TRUE(m.in_structure(3));
  EXPECT_FALSE(m.in_structure(4));  // a Z-segment has no place in ORU_R01
}

TEST(MessageViewTest, RefusesWhatIsNotAMessageAndIsThenEmpty) {
  MessageView m;
  ASSERT_TRUE(m.Parse(kOru).ok());
  crosswalk::Status s = m.Parse("PID|1||123\r");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString().find("123"), std::string::npos) << s.ToString();  // position, no content
  EXPECT_EQ(m.segment_count(), 0);
  EXPECT_EQ(m.structure(), "");
  EXPECT_EQ(m.group_path(0), "");
}

}  // namespace
