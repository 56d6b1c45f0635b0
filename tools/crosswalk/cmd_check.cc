// crosswalk check FILE.cw... [-I DIR]... [--werror]
//
// Everything `compile` checks (syntax, names, imports, paths, types, limits, the verifier), without writing a
// program: for editors, pre-commit hooks and CI jobs that only need to know whether the maps are sound.
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "crosswalk/compiler/compiler.h"
#include "safe_text.h"

namespace {

constexpr const char* kUsage =
    "usage: crosswalk check FILE.cw... [-I DIR]... [--werror] [--allow-undeclared-z]\n"
    "  Compiles maps (and what they import) and runs every static check; writes nothing.\n"
    "  -I DIR     also look for imported modules in DIR (repeatable)\n"
    "  --werror   treat warnings as errors (exit 1 when there is any)\n"
    "  --allow-undeclared-z   no warning for Z-segments read without a `segment` declaration\n"
    "  Diagnostics are printed as file:line:col with the source line; exit 0 when the maps are sound,\n"
    "  1 when there are errors, 2 on a usage error.\n";

int RunCheck(const std::vector<std::string>& args) {
  std::vector<std::string> inputs;
  crosswalk::compiler::CompileOptions options;
  bool werror = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "-I" && i + 1 < args.size()) {
      options.include_dirs.push_back(args[++i]);
    } else if (a.rfind("-I", 0) == 0 && a.size() > 2) {
      options.include_dirs.push_back(a.substr(2));
    } else if (a == "--allow-undeclared-z") {
      options.warn_undeclared_z_segments = false;
    } else if (a == "--werror") {
      werror = true;
    } else if (!a.empty() && a[0] == '-') {
      crosswalk::cli::PrintSafe(stderr, "crosswalk check: unknown option '" + a + "'");
      std::fputs(kUsage, stderr);
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  crosswalk::compiler::CompileResult result = crosswalk::compiler::Compile(inputs, options);
  std::string diags = crosswalk::compiler::FormatDiagnostics(result);
  if (!diags.empty()) std::fputs(diags.c_str(), stderr);
  size_t errors = 0, warnings = 0;
  for (const auto& d : result.diagnostics) {
    errors += d.severity == crosswalk::compiler::Severity::kError;
    warnings += d.severity == crosswalk::compiler::Severity::kWarning;
  }
  if (!result.ok() || (werror && warnings > 0)) {
    std::fprintf(stderr, "crosswalk check: %zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s",
                 warnings, warnings == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(check, "check", "FILE.cw... [-I DIR]...  compile and check maps, write nothing", RunCheck);
