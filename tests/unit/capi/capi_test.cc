// The C API, end to end: compile a map, load it through cw_program_load, run messages, check errors.
#include "crosswalk/crosswalk.h"

#include <gtest/gtest.h>

#include <string>

#include "crosswalk/compiler/compiler.h"

namespace {

std::string Compile(const std::string& source) {
  auto r = crosswalk::compiler::CompileSource("capi.cw", source);
  EXPECT_TRUE(r.ok()) << crosswalk::compiler::FormatDiagnostics(r);
  return r.bytecode.value_or("");
}

TEST(CApiTest, RunsAMapOnHl7AndReportsErrors) {
  std::string cwb = Compile(R"(
map A : hl7v2 "ADT^A01" -> fhir "Patient" {
  resourceType: "Patient"
  name[]: { family: PID-5.1, given[]: PID-5.2 }
  fail "no patient id" if not PID-3
})");
  cw_runtime* rt = nullptr;
  ASSERT_EQ(cw_runtime_create(nullptr, 0, &rt), CW_OK) << cw_last_error();
  cw_program* prog = nullptr;
  ASSERT_EQ(cw_program_load(rt, cwb.data(), cwb.size(), &prog), CW_OK) << cw_last_error();
  cw_context* ctx = nullptr;
  ASSERT_EQ(cw_context_create(rt, &ctx), CW_OK);

  std::string msg = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||123||Doe^Jane\r";
  const char* out = nullptr;
  size_t len = 0;
  ASSERT_EQ(cw_run(ctx, prog, msg.data(), msg.size(), &out, &len), CW_OK) << cw_last_error();
  EXPECT_EQ(std::string(out, len), R"({"resourceType":"Patient","name":[{"family":"Doe","given":["Jane"]}]})");
  EXPECT_STREQ(cw_last_error(), "");

  std::string no_id = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||||Doe^Jane\r";
  EXPECT_EQ(cw_run(ctx, prog, no_id.data(), no_id.size(), &out, &len), CW_FAILED_PRECONDITION);
  EXPECT_NE(std::string(cw_last_error()).find("capi.cw:5:3: no patient id"), std::string::npos) << cw_last_error();

  std::string oru = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\r";
  EXPECT_EQ(cw_run(ctx, prog, oru.data(), oru.size(), &out, &len), CW_NOT_FOUND);

  std::string garbage = "\x01\x02 not a message";
  EXPECT_NE(cw_run(ctx, prog, garbage.data(), garbage.size(), &out, &len), CW_OK);

  cw_context_destroy(ctx);
  cw_program_destroy(prog);
  cw_runtime_destroy(rt);
}

TEST(CApiTest, RejectsCorruptProgramsAndNullArguments) {
  cw_runtime* rt = nullptr;
  ASSERT_EQ(cw_runtime_create(nullptr, 0, &rt), CW_OK);
  cw_program* prog = nullptr;
  std::string junk = "not a crosswalk program at all";
  EXPECT_EQ(cw_program_load(rt, junk.data(), junk.size(), &prog), CW_CORRUPT);
  EXPECT_NE(std::string(cw_last_error()), "");
  EXPECT_EQ(cw_program_load(rt, nullptr, 5, &prog), CW_INVALID_ARGUMENT);
  EXPECT_EQ(cw_context_create(rt, nullptr), CW_INVALID_ARGUMENT);
  std::string uses_terms = Compile(R"(map A : json -> json { g: translate(input.x, "http://example.org/cm") })");
  EXPECT_EQ(cw_program_load(rt, uses_terms.data(), uses_terms.size(), &prog), CW_FAILED_PRECONDITION);
  cw_runtime_destroy(rt);
  EXPECT_NE(cw_runtime_create("/nonexistent/crosswalk-store", 28, &rt), CW_OK);
}

}  // namespace
