// Runs a one-map program of the DSL against a Runtime: the terminology tests that go through a map.
#pragma once

#include <string>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk::term::testing {

// Compiles `map M : json -> json { body }`, loads it into `runtime` and runs it on `input`: the JSON output,
// or "COMPILE: ..." / "LOAD: ..." / "ERROR: ..." with the diagnostics or status.
inline std::string EvalJsonMap(const Runtime& runtime, const std::string& body, const std::string& input = "{}") {
  auto c = compiler::CompileSource("t.cw", "map M : json -> json {\n" + body + "\n}\n");
  if (!c.ok()) return "COMPILE: " + compiler::FormatDiagnostics(c);
  auto p = runtime.Load(*c.bytecode);
  if (!p.ok()) return "LOAD: " + p.status().ToString();
  RunContext ctx(runtime);
  RunOutput out;
  Status s = ctx.Run(**p, input, {}, &out);
  if (!s.ok()) return "ERROR: " + s.ToString();
  return out.json;
}

}  // namespace crosswalk::term::testing
