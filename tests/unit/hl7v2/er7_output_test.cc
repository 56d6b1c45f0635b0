// A map's ER7 output (runtime/src/vm/er7_output.cc through the Writer) never carries a raw control byte,
// whatever the FHIR input holds: the reported defect was a display "\u001c\r" that closed the MLLP frame
// and injected a segment.
#include <gtest/gtest.h>

#include <string>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"
#include "hl7v2/message.h"

namespace crosswalk::hl7v2 {
namespace {

TEST(Er7Output, FhirTextCannotBreakFramingOrInjectSegments) {
  compiler::CompileResult r = compiler::CompileSource("t.cw", R"(map O : fhir "Observation" -> hl7v2 "ORU^R01" {
  segments[]: { id: "MSH", 3: "CW", 9: { 1: "ORU", 2: "R01" }, 10: Observation.id, 12: "2.5.1" }
  segments[]: { id: "OBX", 1: "1", 2: "ST", 3: { 1: Observation.code.text, 2: Observation.code.coding[0].display },
                5: Observation.valueString }
})");
  ASSERT_TRUE(r.ok()) << compiler::FormatDiagnostics(r);
  auto rt = Runtime::Create();
  ASSERT_TRUE(rt.ok());
  auto program = (*rt)->Load(*r.bytecode);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  const std::string input =
      R"({"resourceType":"Observation","id":"o\u000b1","code":{"text":"Glucose\u001c\rMSH|^~\\&|EVIL\rPID|1",)"
      R"("coding":[{"display":"a\u0000b\u001b[2J"}]},"valueString":"line 1\r\nline 2\ttab"})";
  RunContext ctx(**rt);
  RunOutput out;
  ASSERT_TRUE(ctx.Run(**program, input, {}, &out).ok());
  ASSERT_EQ(out.kind, OutputKind::kHl7v2);
  int segments = 0;
  for (char c : out.json) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      ++segments;
    } else {
      EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "raw control byte " << static_cast<int>(u) << " in " << out.json;
    }
  }
  EXPECT_EQ(segments, 2);
  // Read back: the same values, in the same two segments.
  Message m;
  ASSERT_TRUE(m.Parse(out.json).ok());
  ASSERT_EQ(m.segment_count(), 2);
  std::string scratch;
  EXPECT_EQ(m.Value(0, 10, 1, 1, 1, &scratch), "o\x0b" "1");
  EXPECT_EQ(m.Value(1, 3, 1, 1, 1, &scratch), "Glucose\x1c\rMSH|^~\\&|EVIL\rPID|1");
  EXPECT_EQ(m.Value(1, 3, 1, 2, 1, &scratch), std::string("a\0b\x1b[2J", 7));
  EXPECT_EQ(m.Value(1, 5, 1, 1, 1, &scratch), "line 1\r\nline 2\ttab");
}

}  // namespace
}  // namespace crosswalk::hl7v2
