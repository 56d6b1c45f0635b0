// libFuzzer target for the compiler front end: map source text -> CompileSource (parse adapter, checks,
// folding, lowering, emission), all in memory. Imports resolve against the shipped maps (maps/), so seeds
// that `import hl7v2.datatypes` compile as they do in the build.
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_compile_fuzz
//   build-fuzz/tests/fuzz/crosswalk_compile_fuzz build-fuzz/tests/fuzz/seeds/maps
//
// Invariants: the compiler never crashes or throws; a failed compile has an error diagnostic; a program it
// emits loads through the bounded reader (which verifies it) and disassembles.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "crosswalk/compiler/compiler.h"
#include "fuzz_common.h"

namespace {

using crosswalk::fuzz::Check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  crosswalk::compiler::CompileOptions options;
  options.include_dirs = {CW_SOURCE_DIR "/maps"};
  // The root file sits beside the shipped maps so that relative imports behave as in maps/hl7v2/.
  crosswalk::compiler::CompileResult r =
      crosswalk::compiler::CompileSource(CW_SOURCE_DIR "/maps/hl7v2/fuzz-input.cw", text, options);
  if (!r.ok()) {
    bool has_error = std::any_of(r.diagnostics.begin(), r.diagnostics.end(), [](const auto& d) {
      return d.severity == crosswalk::compiler::Severity::kError;
    });
    Check(has_error, "a failed compile reported no error diagnostic");
    (void)crosswalk::compiler::FormatDiagnostics(r);
    return 0;
  }
  crosswalk::Result<crosswalk::bytecode::Program> program = crosswalk::bytecode::ReadProgram(*r.bytecode);
  Check(program.ok(), "the compiler emitted a program the loader rejects");
  (void)crosswalk::bytecode::Disassemble(*program);
  return 0;
}
