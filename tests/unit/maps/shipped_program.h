// The shipped HL7 v2 -> FHIR program as the maps tests load it: one Runtime on the seeded terminology store
// (<build>/terminology) and the program <build>/maps/hl7v2-to-fhir.cwb, for a whole test suite.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"

namespace crosswalk::maps_testing {

// Sets *runtime and *program (owned by the caller: delete both in TearDownTestSuite); a fatal test failure
// when the store or the program cannot be loaded.
inline void LoadShippedProgram(Runtime** runtime, std::shared_ptr<const Program>** program) {
  RuntimeOptions ro;
  ro.terminology_dir = std::string(CW_BUILD_DIR) + "/terminology";
  auto rt = Runtime::Create(ro);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  *runtime = std::move(*rt).release();
  std::ifstream in(std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb", std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  ASSERT_FALSE(bytes.str().empty()) << "build the crosswalk_hl7v2_to_fhir target first";
  auto loaded = (*runtime)->Load(bytes.str());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  *program = new std::shared_ptr<const Program>(*loaded);
}

// What LoadShippedProgram made, released (TearDownTestSuite).
inline void ReleaseShippedProgram(Runtime** runtime, std::shared_ptr<const Program>** program) {
  delete *program;
  *program = nullptr;
  delete *runtime;
  *runtime = nullptr;
}

// Runs the program on the segments joined by CR: the output Bundle, or null after a test failure naming why.
inline nlohmann::json ConvertSegments(const Runtime& runtime, const Program& program,
                                      const std::vector<std::string>& segments, const RunOptions& options = {}) {
  std::string message;
  for (const auto& s : segments) message += s + "\r";
  RunContext ctx(runtime);
  RunOutput out;
  Status s = ctx.Run(program, message, options, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok() ? nlohmann::json::parse(out.json) : nlohmann::json();
}

}  // namespace crosswalk::maps_testing
